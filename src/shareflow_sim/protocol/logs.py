"""Logs: the device's (logcat or syslog) and the session's server log."""

from __future__ import annotations

from typing import Any

from shareflow_sim.protocol.errors import InvalidArgument
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call

command = Commands()


@command("GET", "/se/log/types")
def log_types(c: Call) -> list[str]:
    return [c.phone.devlog.kind, "server"]


@command("POST", "/se/log")
def get_log(c: Call) -> list[dict[str, Any]]:
    kind = c.param("type", str)
    if kind == c.phone.devlog.kind:
        return [entry.as_json() for entry in c.phone.devlog.drain()]
    if kind == "server":
        s = c.session
        new, s.server_log_read = s.server_log[s.server_log_read :], len(s.server_log)
        return new
    raise InvalidArgument(f"Unsupported log type '{kind}'. Supported types: {log_types(c)}")
