"""WebDriver routes the drivers know but the farm does not implement: each answers "unknown method"."""

from __future__ import annotations

from shareflow_sim.protocol.errors import UnknownMethod
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call

command = Commands()


def _not_implemented(c: Call) -> None:
    raise UnknownMethod()


for _method, _path in (
    ("GET", "/url"),
    ("POST", "/url"),
    ("GET", "/title"),
    ("POST", "/forward"),
    ("POST", "/refresh"),
    ("GET", "/window/handles"),
    ("POST", "/frame"),
    ("GET", "/cookie"),
    ("POST", "/cookie"),
    ("DELETE", "/cookie"),
    ("POST", "/alert/text"),
):
    command(_method, _path)(_not_implemented)
