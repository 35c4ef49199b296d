"""Sessions: one Appium session on one phone, and one command of it (its session, parameters and body)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from shareflow_sim import source
from shareflow_sim.phone import NOT_RUNNING, Phone
from shareflow_sim.protocol.arguments import REQUIRED, W3C_ELEMENT, arg
from shareflow_sim.protocol.errors import ElementNotInteractable, NoSuchElement, StaleElement, UnknownCommand
from shareflow_sim.recording import Recorder
from shareflow_sim.source import Entry, Identity, Source

if TYPE_CHECKING:
    from shareflow_sim.protocol.service import FarmService

NATIVE = "NATIVE_APP"
ENABLE_MULTI_WINDOWS = "enableMultiWindows"  # UiAutomator2's setting (protocol.settings)
MAX_SERVER_LOG = 2000


@dataclass
class Session:
    """One Appium session on one phone."""

    id: str
    phone: Phone
    caps: dict[str, Any]
    command_timeout_s: float
    cleanup: Callable[[], None] = lambda: None  # what ending the session does to the phone
    implicit_ms: int = 0
    context: str = NATIVE
    elements: dict[str, Identity] = field(default_factory=dict)
    element_ids: dict[Identity, str] = field(default_factory=dict)
    recorder: Recorder | None = None
    server_log: list[dict[str, Any]] = field(default_factory=list)
    server_log_read: int = 0
    aut: str | None = None  # iOS: the app the session launched (appium:bundleId), watched as WDA does
    aut_expected: bool = False  # ... while it is expected to run (until mobile: terminateApp stops it)
    gone: int | None = None  # commands failed since the phone dropped off the host (faults.offline)
    settings: dict[str, Any] = field(default_factory=dict)  # /appium/settings
    lock: threading.Lock = field(default_factory=threading.Lock)  # one command at a time, as Appium queues them
    last_used: float = field(default_factory=time.monotonic)
    busy: int = 0

    @property
    def platform(self) -> str:
        return self.phone.platform

    def aut_crashed(self) -> bool:
        """WebDriverAgent's check before reading or acting on the UI: is the app it launched gone?"""
        return self.aut is not None and self.aut_expected and self.phone.app_state(self.aut) == NOT_RUNNING

    def expired(self, now: float) -> bool:
        """Idle longer than ``newCommandTimeout`` (0 disables it)."""
        return self.busy == 0 and self.command_timeout_s > 0 and now - self.last_used > self.command_timeout_s

    def ref(self, identity: Identity) -> dict[str, str]:
        """The W3C reference of an element; the same element keeps the same id."""
        eid = self.element_ids.get(identity)
        if eid is None:
            eid = str(uuid.uuid4())
            self.element_ids[identity] = eid
            self.elements[eid] = identity
        return {W3C_ELEMENT: eid, "ELEMENT": eid}

    def note(self, message: str) -> None:
        """A line of the ``server`` log type."""
        self.server_log.append({"timestamp": int(time.time() * 1000), "level": "INFO", "message": message})
        if len(self.server_log) > MAX_SERVER_LOG:
            drop = len(self.server_log) - MAX_SERVER_LOG
            del self.server_log[:drop]
            self.server_log_read = max(0, self.server_log_read - drop)


@dataclass
class Call:
    """One command of a session: URL parameters and JSON body."""

    session: Session
    params: dict[str, str]
    body: dict[str, Any]
    service: FarmService

    @property
    def phone(self) -> Phone:
        return self.session.phone

    @property
    def platform(self) -> str:
        return self.session.platform

    @property
    def android(self) -> bool:
        return self.platform == "android"

    @property
    def scale(self) -> float:
        """Session units (Android pixels, iOS points) per logical unit."""
        return self.phone.profile.scale if self.android else 1.0

    def param(self, name: str, kind: type | tuple[type, ...], default: Any = REQUIRED) -> Any:
        return arg(self.body, name, kind, default)

    def only(self, platform: str) -> None:
        """A route only the ``platform``'s driver has."""
        if self.platform != platform:
            raise UnknownCommand()

    def window(self) -> dict[str, int]:
        """The window rect: on Android the display's app area, which leaves out the navigation bar.

        UiAutomator2 answers ``UiDevice.getDisplayHeight``, Android's ``Display.getSize`` (appium-uiautomator2-server
        ``handler/GetDeviceSize.java``; appium/appium#8724, #13685).
        """
        p = self.phone.profile
        if self.android:
            return {"x": 0, "y": 0, "width": p.width_px, "height": p.height_px - round(p.bottom_bar * p.scale)}
        return {"x": 0, "y": 0, "width": round(p.width), "height": round(p.height)}

    def screen(self) -> dict[str, int]:
        """The whole display in session units: where touches land (the navigation bar included)."""
        p = self.phone.profile
        if self.android:
            return {"width": p.width_px, "height": p.height_px}
        return {"width": round(p.width), "height": round(p.height)}

    def snapshot(self) -> Source:
        """The page source now (Android: the active window, or every window with ``enableMultiWindows`` on)."""
        phone = self.phone
        with phone.lock:
            layers = phone.layers()
            app = phone.foreground
            token = ("launcher",) if app is None else (app.package, *app.screen_id())
            label = app.label if app is not None else "SpringBoard"
            every = self.session.settings.get(ENABLE_MULTI_WINDOWS) is True
            return source.build(layers, phone.profile, app_label=label, screen_token=token, multi_window=every)

    def element(self, eid: str | None = None) -> tuple[Source, etree._Element, Entry]:
        """The element a handle points at, on the screen now (hold the phone lock to act on it)."""
        eid = eid or self.params["element_id"]
        identity = self.session.elements.get(eid)
        if identity is None:
            raise NoSuchElement(f"The element with id '{eid}' is unknown in this session")
        src = self.snapshot()
        found = src.find(identity)
        if found is None:
            raise StaleElement(f"The element '{eid}' does not exist in DOM anymore")
        return src, *found

    def rect(self, el: etree._Element) -> dict[str, int]:
        """An element's rect in session units, as the source shows it."""
        if self.android:
            x0, y0, x1, y1 = map(int, re.findall(r"-?\d+", el.get("bounds", "[0,0][0,0]")))  # a Toast has none
            return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
        return {k: int(el.get(k, "0")) for k in ("x", "y", "width", "height")}

    def center(self, el: etree._Element) -> tuple[float, float]:
        """The logical point a tap on the element's visible part goes to."""
        r, w = self.rect(el), self.screen()
        x0, y0 = max(r["x"], 0), max(r["y"], 0)
        x1, y1 = min(r["x"] + r["width"], w["width"]), min(r["y"] + r["height"], w["height"])
        if x1 <= x0 or y1 <= y0:
            raise ElementNotInteractable("The element is not visible on the screen")
        return (x0 + x1) / 2 / self.scale, (y0 + y1) / 2 / self.scale

    def logical(self, x: float, y: float) -> tuple[float, float]:
        return x / self.scale, y / self.scale
