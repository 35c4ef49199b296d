"""Session commands' routes: each area's table of them, and the commands on the session itself (its
capabilities, its end, its timeouts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shareflow_sim.protocol.arguments import NUMBER
from shareflow_sim.protocol.errors import InvalidArgument
from shareflow_sim.protocol.sessions import Call

Handler = Callable[[Call], Any]


class Commands:
    """One area's session commands: ``(method, path, handler, native)`` in the order they were registered."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, str, Handler, bool]] = []

    def __call__(self, method: str, path: str, native: bool = False) -> Callable[[Handler], Handler]:
        """Register a handler for ``/session/{session_id}<path>``; ``native``: refused in web contexts."""

        def register(handler: Handler) -> Handler:
            self.routes.append((method, path, handler, native))
            return handler

        return register


command = Commands()


@command("GET", "")
def get_session(c: Call) -> dict[str, Any]:
    return c.session.caps


@command("DELETE", "")
def delete_session(c: Call) -> None:
    c.service.end(c.session, cleanup=c.session.gone is None)  # a phone off the host is left as it is


@command("GET", "/timeouts")
def get_timeouts(c: Call) -> dict[str, int]:
    return {"implicit": c.session.implicit_ms, "pageLoad": 300000, "script": 30000}


@command("POST", "/timeouts")
def set_timeouts(c: Call) -> None:
    given = [k for k in ("implicit", "pageLoad", "script") if k in c.body]
    if not given:
        raise InvalidArgument("W3C protocol expects any of script, pageLoad or implicit to be set")
    for key in given:
        value = c.param(key, NUMBER, 0)
        if value < 0:
            raise InvalidArgument(f"'{key}' must be a non-negative number of milliseconds")
    if "implicit" in given:
        c.session.implicit_ms = int(c.param("implicit", NUMBER, 0))
