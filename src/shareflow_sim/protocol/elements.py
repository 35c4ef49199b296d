"""Elements: their attributes, text, state and rect, clicking them, and typing into them."""

from __future__ import annotations

from typing import Any

from lxml import etree

from shareflow_sim.protocol.errors import InvalidArgument, InvalidElementState
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call
from shareflow_sim.source import Entry

command = Commands()

_ANDROID_ATTRIBUTES = {
    name: name
    for name in (
        "text",
        "content-desc",
        "resource-id",
        "class",
        "package",
        "checkable",
        "checked",
        "clickable",
        "enabled",
        "focusable",
        "focused",
        "long-clickable",
        "password",
        "scrollable",
        "selected",
        "bounds",
        "displayed",
        "hint",
    )
} | {
    "contentDescription": "content-desc",
    "resourceId": "resource-id",
    "className": "class",
    "longClickable": "long-clickable",
}
_IOS_ALIASES = {"wdName": "name", "wdLabel": "label", "wdValue": "value", "wdType": "type", "elementType": "type"}
_IOS_ALIASES |= {"wdEnabled": "enabled", "wdVisible": "visible", "wdAccessible": "accessible", "displayed": "visible"}


def _flag(flag: bool) -> str:
    return "true" if flag else "false"


def _attribute(c: Call, el: etree._Element, entry: Entry, name: str) -> Any:
    if c.android:
        if name == "name":
            return el.get("content-desc") or el.get("text")
        if name not in _ANDROID_ATTRIBUTES:
            supported = sorted({*_ANDROID_ATTRIBUTES, "name"})
            raise InvalidArgument(
                f"'{name}' attribute is unknown for the element. "
                f"Only the following attributes are supported: {supported}"
            )
        return el.get(_ANDROID_ATTRIBUTES[name])
    if name == "rect":
        return c.rect(el)
    if name == "selected":
        return _flag(entry.node is not None and entry.node.selected)
    if name == "hittable":  # XCTest's isHittable: false when covered by another element (appium-xcuitest-driver
        # #1918, WebDriverAgent #756: the element's hit point; Apple's XCUIElement.isHittable)
        return _flag(entry.node is not None and _displayed(c, el) and c.phone.reaches(entry.node, *c.center(el)))
    return el.get(_IOS_ALIASES.get(name, name))


def _displayed(c: Call, el: etree._Element) -> bool:
    """Whether the element is on screen, as the source says (UiAutomator2's displayed, WebDriverAgent's visible)."""
    return el.get("displayed" if c.android else "visible") == "true"


def _text(c: Call, el: etree._Element) -> str:
    if c.android:
        return el.get("text", "")
    if el.tag in ("XCUIElementTypeTextField", "XCUIElementTypeTextView"):
        return el.get("value", "")
    return el.get("label") or el.get("value") or ""


@command("POST", "/element/{element_id}/click", native=True)
def click(c: Call) -> None:
    with c.phone.lock:
        _, el, _ = c.element()
        c.phone.tap(*c.center(el))


@command("GET", "/element/{element_id}/text", native=True)
def element_text(c: Call) -> str:
    _, el, _ = c.element()
    return _text(c, el)


@command("GET", "/element/{element_id}/attribute/{name}", native=True)
def element_attribute(c: Call) -> Any:
    _, el, entry = c.element()
    return _attribute(c, el, entry, c.params["name"])


@command("GET", "/element/{element_id}/property/{name}", native=True)
def element_property(c: Call) -> Any:
    return element_attribute(c)


@command("GET", "/element/{element_id}/rect", native=True)
def element_rect(c: Call) -> dict[str, int]:
    _, el, _ = c.element()
    return c.rect(el)


@command("GET", "/element/{element_id}/displayed", native=True)
def element_displayed(c: Call) -> bool:
    _, el, _ = c.element()
    return _displayed(c, el)


@command("GET", "/element/{element_id}/enabled", native=True)
def element_enabled(c: Call) -> bool:
    _, el, _ = c.element()
    return el.get("enabled") == "true"


@command("GET", "/element/{element_id}/selected", native=True)
def element_selected(c: Call) -> bool:
    _, _, entry = c.element()
    return entry.node is not None and entry.node.selected


@command("GET", "/element/{element_id}/name", native=True)
def element_name(c: Call) -> str:
    _, el, _ = c.element()
    return el.tag


def _typed(text: str) -> str:
    """What typing ``text`` enters: WebDriver's special keys (U+E000-U+F8FF) type nothing."""
    return "".join(ch for ch in text if not "\ue000" <= ch <= "\uf8ff")


def _set_text(c: Call, text: str, append: bool) -> None:
    with c.phone.lock:
        _, _, entry = c.element()
        node = entry.node
        if node is None or node.on_text is None:
            raise InvalidElementState(f"Cannot set the element to '{text}'. Did you interact with the correct element?")
        c.phone.set_text(node, (node.value if append else "") + text)


@command("POST", "/element/{element_id}/value", native=True)
def send_keys(c: Call) -> None:
    text = c.body.get("text")
    if text is None:
        keys = c.param("value", list)
        text = "".join(str(k) for k in keys)
    if not isinstance(text, str):
        raise InvalidArgument("'text' must be a string")
    _set_text(c, _typed(text), append=True)


@command("POST", "/element/{element_id}/clear", native=True)
def clear(c: Call) -> None:
    _set_text(c, "", append=False)
