"""Finding elements: by each driver's locator strategies, from the screen or an element, with the implicit wait."""

from __future__ import annotations

import time
from typing import Any

from shareflow_sim import locate
from shareflow_sim.protocol.errors import InvalidSelector, NoSuchElement
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call
from shareflow_sim.protocol.settings import ENFORCE_XPATH1
from shareflow_sim.source import Entry

POLL_S = 0.1  # implicit wait polling interval

command = Commands()


def _search(c: Call, using: str, value: str, scope_id: str | None) -> list[Entry]:
    """Matches on the screen now; UiSelectors search the active window only, even with ``enableMultiWindows``
    (appium-uiautomator2-driver ``docs/android-multiwindow.md``)."""
    with c.phone.lock:
        if scope_id is None:
            src = c.snapshot()
            scope, whole = src.scope, True
            if using == "-android uiautomator" and src.active is not None:
                scope = src.active
        else:
            src, scope, _ = c.element(scope_id)
            whole = False
        package = c.phone.current_package
        xpath2 = c.android and c.session.settings.get(ENFORCE_XPATH1) is not True
        try:
            found = locate.find(scope, using, value, platform=c.platform, package=package, whole=whole, xpath2=xpath2)
        except locate.SelectorError as exc:
            raise InvalidSelector(str(exc)) from exc
        return [src.entries[el] for el in found if el in src.entries]


def _find(c: Call, many: bool, scope_id: str | None = None) -> Any:
    """Find element(s), polling until the implicit wait runs out."""
    using, value = c.param("using", str), c.param("value", str)
    if using not in locate.STRATEGIES[c.platform]:
        raise InvalidSelector(f"Locator Strategy '{using}' is not supported for this session")
    deadline = time.monotonic() + c.session.implicit_ms / 1000
    while True:
        found = _search(c, using, value, scope_id)
        if found or time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    refs = [c.session.ref(entry.identity) for entry in found]
    if many:
        return refs
    if not refs:
        raise NoSuchElement()
    return refs[0]


@command("POST", "/element", native=True)
def find_element(c: Call) -> dict[str, str]:
    return _find(c, many=False)


@command("POST", "/elements", native=True)
def find_elements(c: Call) -> list[dict[str, str]]:
    return _find(c, many=True)


@command("POST", "/element/{element_id}/element", native=True)
def find_child(c: Call) -> dict[str, str]:
    return _find(c, many=False, scope_id=c.params["element_id"])


@command("POST", "/element/{element_id}/elements", native=True)
def find_children(c: Call) -> list[dict[str, str]]:
    return _find(c, many=True, scope_id=c.params["element_id"])


@command("GET", "/element/active", native=True)
def active_element(c: Call) -> dict[str, str]:
    focused = [e for e in c.snapshot().entries.values() if e.node is not None and e.node.focused]
    if not focused:
        raise NoSuchElement("There is no focused element on the screen")
    return c.session.ref(focused[-1].identity)
