"""Contexts: the native app, and the web view WeChat shows links in."""

from __future__ import annotations

from shareflow_sim.protocol.errors import NoSuchContext
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import NATIVE, Call

WEBVIEW_LAYER = "wechat.webview"
WEBVIEW_CONTEXT = {"android": "WEBVIEW_xweb", "ios": "WEBVIEW_1"}

command = Commands()


def _contexts(c: Call) -> list[str]:
    web = any(layer.name.startswith(WEBVIEW_LAYER) for layer in c.phone.layers())
    return [NATIVE, WEBVIEW_CONTEXT[c.platform]] if web else [NATIVE]


@command("GET", "/contexts")
def contexts(c: Call) -> list[str]:
    return _contexts(c)


@command("GET", "/context")
def current_context(c: Call) -> str:
    return c.session.context


@command("POST", "/context")
def switch_context(c: Call) -> None:
    name = c.param("name", str, NATIVE)
    if name not in _contexts(c):
        raise NoSuchContext()
    c.session.context = name
