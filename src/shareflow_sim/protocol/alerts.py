"""Alerts: the system's and (iOS) the apps' own, read and answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shareflow_sim.phone import Phone
from shareflow_sim.protocol.errors import InvalidArgument, InvalidElementState, NoSuchAlert
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call

command = Commands()


@dataclass
class Alert:
    """The alert on screen: its text and buttons, and how to answer it."""

    text: str
    buttons: list[str]
    answer: Callable[[str | None, bool], None]


def _in_app_alert(c: Call) -> Alert | None:
    """An app's own alert (iOS's XCUIElementTypeAlert): WDA handles those too."""
    src = c.snapshot()
    alerts = [e.node for e in src.entries.values() if e.node is not None and e.node.role == "alert"]
    if not alerts:
        return None
    node = alerts[-1]
    texts = [n.text for n in node.walk() if n.role == "text" and n.text]
    buttons = [n for n in node.walk() if n.role == "button"]
    labels = [b.text or b.desc for b in buttons]

    def answer(label: str | None, accept: bool) -> None:
        if not buttons:
            raise InvalidElementState("The alert has no buttons")
        if label is None:
            chosen = buttons[-1] if accept else buttons[0]
        elif label in labels:
            chosen = buttons[labels.index(label)]
        else:
            raise InvalidArgument(f"The alert has no button labelled '{label}' (buttons: {labels})")
        c.phone.tap(chosen.frame.cx, chosen.frame.cy)

    return Alert("\n".join(texts), labels, answer)


def current_alert(c: Call) -> Alert:
    phone = c.phone
    with phone.lock:
        phone.layers()  # let due events show their alerts
        alert = phone.alert
        if alert is not None and alert.paste and phone.os_major >= 17:
            alert = None  # iOS 17: WebDriverAgent does not see the paste alert (see Phone.paste)
        if alert is not None:
            parts = [alert.title, alert.message] if not c.android else [alert.message or alert.title]
            return Alert("\n".join(p for p in parts if p), [b.label for b in alert.buttons], _answer_system(phone))
        found = None if c.android else _in_app_alert(c)
    if found is None:
        raise NoSuchAlert()
    return found


def _answer_system(phone: Phone) -> Callable[[str | None, bool], None]:
    def answer(label: str | None, accept: bool) -> None:
        try:
            phone.answer_alert(label, accept)
        except KeyError as exc:
            raise InvalidArgument(f"The alert has no button labelled '{label}'") from exc
        except LookupError as exc:
            raise NoSuchAlert() from exc

    return answer


def answer_alert(c: Call, label: str | None, accept: bool) -> None:
    alert = current_alert(c)
    with c.phone.lock:
        alert.answer(label, accept)


@command("GET", "/alert/text")
def alert_text(c: Call) -> str:
    return current_alert(c).text


@command("POST", "/alert/accept")
def accept_alert(c: Call) -> None:
    answer_alert(c, None, True)


@command("POST", "/alert/dismiss")
def dismiss_alert(c: Call) -> None:
    answer_alert(c, None, False)
