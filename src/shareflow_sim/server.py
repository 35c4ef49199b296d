"""The virtual farm's Appium endpoint: W3C WebDriver and Appium's extensions over HTTP.

A harness drives the farm's phones with appium-python-client exactly as it
drives real phones through Appium 3 with the UiAutomator2 and XCUITest
drivers: the same routes, payloads, capabilities, units and W3C errors.
Commands run in worker threads; each holds its phone's lock only while it
touches the phone, so every phone of the farm runs concurrently.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import difflib
import io
import json
import logging
import math
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn
from lxml import etree
from PIL import Image
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shareflow_sim import locate, source
from shareflow_sim.farm import Farm
from shareflow_sim.phone import LONG_PRESS_S, NOT_RUNNING, RUNNING_IN_BACKGROUND, Phone
from shareflow_sim.recording import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S, Recorder
from shareflow_sim.source import Entry, Identity, Source

log = logging.getLogger("shareflow_sim.server")

APPIUM_VERSION = "3.0.0"
W3C_ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
NATIVE = "NATIVE_APP"
WEBVIEW_LAYER = "wechat.webview"
WEBVIEW_CONTEXT = {"android": "WEBVIEW_xweb", "ios": "WEBVIEW_1"}
DRIVERS = {"android": ("UiAutomator2", "AndroidUiautomator2Driver"), "ios": ("XCUITest", "XCUITestDriver")}
PLATFORM_NAMES = {"android": "Android", "ios": "iOS"}
ANDROID_API = {"9": 28, "10": 29, "11": 30, "12": 31, "13": 33, "14": 34, "15": 35, "16": 36}
STANDARD_CAPS = {
    "browserName",
    "browserVersion",
    "platformName",
    "acceptInsecureCerts",
    "pageLoadStrategy",
    "proxy",
    "setWindowRect",
    "timeouts",
    "unhandledPromptBehavior",
    "webSocketUrl",
}
DEFAULT_COMMAND_TIMEOUT_S = 60.0
POLL_S = 0.1  # implicit wait polling interval
TAP_SLOP = 10.0  # logical units a touch may wander and still be a tap
MAX_GESTURE_WAIT_S = 5.0  # real time one gesture may take
MAX_SERVER_LOG = 2000
DEVICE_TIME_FORMAT = "YYYY-MM-DDTHH:mm:ssZ"

# -- what the drivers answer when the scenario's faults strike -------------------------------------
# A transient driver failure passes through Appium as "unknown error" 500, its text after Appium's
# prefix: UiAutomator2's server once UiAutomation lost its connection (appium/appium#13741), XCTest
# failing to snapshot the app under WebDriverAgent (facebookarchive/WebDriverAgent#1074).
SERVER_ERRORS = {
    "android": "java.lang.IllegalStateException: UiAutomation not connected!",
    "ios": 'Error Domain=com.apple.dt.xctest.automation-support.error Code=8 "Error getting main window -25201" '
    "UserInfo={NSLocalizedDescription=Error getting main window -25201}",
}
# A device gone from the host (adb or usbmux lost it): the driver's proxy to its on-device server hangs
# up (appium/appium#9868, #15483); after that UiAutomator2 knows its instrumentation process has exited
# and says so for every command (UIA2Proxy.proxyCommand, appium-uiautomator2-driver
# lib/uiautomator2-server/core.ts: InvalidContextError, which is W3C "unknown error" 500).
HANG_UP = "Could not proxy command to the remote server. Original error: socket hang up"
INSTRUMENTATION_GONE = (
    "'{label}' cannot be proxied to UiAutomator2 server because the instrumentation process is not running "
    "(probably crashed). Check the server log and/or the logcat output for more details"
)
# New sessions on a device the host does not see: appium-android-driver's device lookup, and
# appium-xcuitest-driver's (its "with invalid udid" test).
NOT_CONNECTED = {
    "android": "Device {udid} was not in the list of connected devices",
    "ios": "Unknown device or simulator UDID: '{udid}'",
}
# WebDriverAgent's activeApplication, when the app the session launched (appium:bundleId) is no longer
# running (appium/WebDriverAgent, WebDriverAgentLib/Routing/FBSession.m; "invalid element state" 400 as
# appium/appium#15358 shows). UiAutomator2 has no such check: its instrumentation runs in a process of
# its own, so the session carries on and sees the launcher.
AUT_CRASHED = "The application under test with bundle id '{bundle}' is not running, possibly crashed"


# -- W3C errors ------------------------------------------------------------------------
class WebDriverError(Exception):
    """A W3C WebDriver error: its code, HTTP status and message."""

    error = "unknown error"
    status = 500
    default = "An unknown server-side error occurred while processing the command."

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.default)

    def response(self) -> JSONResponse:
        body = {"value": {"error": self.error, "message": str(self), "stacktrace": ""}}
        return JSONResponse(body, status_code=self.status)


class UnknownError(WebDriverError):
    @classmethod
    def wrapping(cls, original: str) -> UnknownError:
        """Appium's UnknownError around a driver's own words."""
        return cls(f"{cls.default} Original error: {original}")


class NoSuchElement(WebDriverError):
    error, status = "no such element", 404
    default = "An element could not be located on the page using the given search parameters."


class StaleElement(WebDriverError):
    error, status = "stale element reference", 404
    default = "An element command failed because the referenced element is no longer attached to the DOM."


class InvalidSessionId(WebDriverError):
    error, status = "invalid session id", 404
    default = "A session is either terminated or not started"


class UnknownCommand(WebDriverError):
    error, status = "unknown command", 404
    default = (
        "The requested resource could not be found, or a request was received using an HTTP method "
        "that is not supported by the mapped resource"
    )


class UnknownMethod(WebDriverError):
    error, status = "unknown method", 405
    default = "Method has not yet been implemented"


class InvalidArgument(WebDriverError):
    error, status = "invalid argument", 400
    default = "The arguments passed to the command are either invalid or malformed"


class InvalidSelector(WebDriverError):
    error, status = "invalid selector", 400


class InvalidElementState(WebDriverError):
    error, status = "invalid element state", 400


class ElementNotInteractable(WebDriverError):
    error, status = "element not interactable", 400


class MoveTargetOutOfBounds(WebDriverError):
    error, status = "move target out of bounds", 500


class SessionNotCreated(WebDriverError):
    error, status = "session not created", 500

    def __init__(self, details: str) -> None:
        super().__init__(f"A new session could not be created. Details: {details}")


class NoSuchAlert(WebDriverError):
    error, status = "no such alert", 404
    default = "An attempt was made to operate on a modal dialog when one was not open."


class NoSuchContext(WebDriverError):
    error, status = "no such context", 400
    default = "No such context found."


class UnsupportedOperation(WebDriverError):
    error, status = "unsupported operation", 500


# -- arguments ---------------------------------------------------------------------------
_REQUIRED = object()
NUMBER = (int, float)


def _arg(data: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = _REQUIRED) -> Any:
    """``data[name]`` checked against ``kind``; missing or null gives ``default`` (or invalid argument)."""
    value = data.get(name)
    if value is None:
        if default is _REQUIRED:
            raise InvalidArgument(f"Parameters were incorrect. We wanted '{name}' and you sent {sorted(data)}")
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidArgument(f"'{name}' has an invalid value: {value!r}")
    return value


def _element_id(value: Any) -> str:
    """An element id from a string or a W3C element reference."""
    if isinstance(value, dict):
        value = value.get(W3C_ELEMENT) or value.get("ELEMENT")
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"{value!r} is not an element reference")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- sessions ------------------------------------------------------------------------------
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

    def param(self, name: str, kind: type | tuple[type, ...], default: Any = _REQUIRED) -> Any:
        return _arg(self.body, name, kind, default)

    def only(self, platform: str) -> None:
        """A route only the ``platform``'s driver has."""
        if self.platform != platform:
            raise UnknownCommand()

    def window(self) -> dict[str, int]:
        p = self.phone.profile
        if self.android:
            return {"x": 0, "y": 0, "width": p.width_px, "height": p.height_px}
        return {"x": 0, "y": 0, "width": round(p.width), "height": round(p.height)}

    def snapshot(self) -> Source:
        """The page source now."""
        phone = self.phone
        with phone.lock:
            layers = phone.layers()
            app = phone.foreground
            token = ("launcher",) if app is None else (app.package, *app.screen_id())
            label = app.label if app is not None else "SpringBoard"
            return source.build(layers, phone.profile, app_label=label, screen_token=token)

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
            x0, y0, x1, y1 = map(int, re.findall(r"-?\d+", el.get("bounds", "")))
            return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
        return {k: int(el.get(k, "0")) for k in ("x", "y", "width", "height")}

    def center(self, el: etree._Element) -> tuple[float, float]:
        """The logical point a tap on the element's visible part goes to."""
        r, w = self.rect(el), self.window()
        x0, y0 = max(r["x"], 0), max(r["y"], 0)
        x1, y1 = min(r["x"] + r["width"], w["width"]), min(r["y"] + r["height"], w["height"])
        if x1 <= x0 or y1 <= y0:
            raise ElementNotInteractable("The element is not visible on the screen")
        return (x0 + x1) / 2 / self.scale, (y0 + y1) / 2 / self.scale

    def logical(self, x: float, y: float) -> tuple[float, float]:
        return x / self.scale, y / self.scale


# -- session creation ----------------------------------------------------------------------
def _promote_options(caps: dict[str, Any]) -> dict[str, Any]:
    """``appium:options`` entries become top-level ``appium:`` capabilities."""
    options = caps.get("appium:options")
    if options is None:
        return caps
    if not isinstance(options, dict):
        raise SessionNotCreated("The appium:options capability must be an object")
    out = {k: v for k, v in caps.items() if k != "appium:options"}
    out.update({k if k.startswith("appium:") else f"appium:{k}": v for k, v in options.items()})
    return out


def merge_capabilities(body: dict[str, Any]) -> dict[str, Any]:
    """W3C capability processing: alwaysMatch merged with the first compatible firstMatch entry."""
    caps = body.get("capabilities")
    if not isinstance(caps, dict):
        raise InvalidArgument("W3C capabilities ('capabilities' with 'alwaysMatch'/'firstMatch') are required")
    always = caps.get("alwaysMatch") or {}
    first = caps.get("firstMatch") or [{}]
    if not isinstance(always, dict) or not isinstance(first, list) or not all(isinstance(f, dict) for f in first):
        raise InvalidArgument("'alwaysMatch' must be an object and 'firstMatch' a list of objects")
    always, first = _promote_options(always), [_promote_options(f) for f in first]
    unprefixed = [k for k in dict.fromkeys([*always, *(k for f in first for k in f)]) if ":" not in k]
    unprefixed = [k for k in unprefixed if k not in STANDARD_CAPS]
    if unprefixed:
        raise InvalidArgument(
            "All non-standard capabilities should have a vendor prefix. "
            f"The following capabilities did not have one: {','.join(unprefixed)}"
        )
    clashes = []
    for entry in first:
        clash = sorted(set(always) & set(entry))
        if not clash:
            return {**always, **entry}
        clashes.append(f"property '{clash[0]}' should not exist on both primary and secondary object")
    raise InvalidArgument(clashes[0])


def _version_matches(want: str, have: str) -> bool:
    """Does OS version ``have`` satisfy the requested ``want`` ("13" matches "13.0.1")?"""

    def parts(v: str) -> list[int]:
        nums = [int(p) for p in re.findall(r"\d+", v)]
        while nums and nums[-1] == 0 and len(nums) > 1:
            nums.pop()
        return nums

    w, h = parts(want), parts(have)
    return bool(w) and h[: len(w)] == w


def _platform(caps: dict[str, Any]) -> str:
    name = caps.get("platformName")
    if not isinstance(name, str) or not name:
        raise SessionNotCreated("You must include a platformName capability")
    platform = name.lower()
    automation = caps.get("appium:automationName")
    expected = DRIVERS.get(platform, ("", ""))[0]
    if not isinstance(automation, str) or automation.lower() != expected.lower():
        raise SessionNotCreated(
            f"Could not find a driver for automationName '{automation}' and platformName '{name}'. "
            "Have you installed a driver that supports those capabilities? "
            "Run 'appium driver list --installed' to see. The virtual farm serves UiAutomator2 (Android) "
            "and XCUITest (iOS)."
        )
    return platform


def _session_caps(phone: Phone, caps: dict[str, Any]) -> dict[str, Any]:
    """What Appium answers: the requested capabilities plus the device's details."""
    p = phone.profile
    android = phone.platform == "android"
    bar_px = round(p.status_bar * p.scale)
    bottom_px = round(p.bottom_bar * p.scale) if android else 0
    out = {k.removeprefix("appium:"): v for k, v in caps.items()}
    out.update(
        platformName=PLATFORM_NAMES[phone.platform],
        automationName=DRIVERS[phone.platform][0],
        deviceName=phone.name,
        udid=phone.udid,
        platformVersion=phone.os_version,
        deviceModel=p.model,
        deviceScreenSize=f"{p.width_px}x{p.height_px}",
        pixelRatio=p.scale,
        statBarHeight=bar_px if android else p.status_bar,
        viewportRect={"left": 0, "top": bar_px, "width": p.width_px, "height": p.height_px - bar_px - bottom_px},
    )
    if android:
        out.update(
            deviceUDID=phone.udid,
            deviceScreenDensity=p.dpi,
            deviceApiLevel=ANDROID_API.get(phone.os_version.split(".")[0]),
        )
    return out


# -- the service ----------------------------------------------------------------------------
class FarmService:
    """Sessions on the farm's phones, and the faults the scenario injects into them."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        seed = farm.scenario.seed
        self._latency = random.Random(f"latency:{seed}")
        # one stream per fault, so that turning one on leaves the others' draws as they were
        self._streams = {
            "drop_session": random.Random(f"faults:{seed}"),
            **{fault: random.Random(f"{fault}:{seed}") for fault in ("server_error", "app_crash", "offline")},
        }
        self._offline_until: dict[str, float] = {}  # phone name -> when the host sees it again (monotonic)

    # -- session table ---------------------------------------------------------------
    def _reap(self) -> None:
        """End sessions idle past their newCommandTimeout (hold ``_lock``)."""
        now = time.monotonic()
        for session in [s for s in self.sessions.values() if s.expired(now)]:
            log.info("session %s on %s timed out", session.id, session.phone.name)
            self._drop(session, cleanup=True)

    def _drop(self, session: Session, cleanup: bool) -> None:
        self.sessions.pop(session.id, None)
        if session.recorder is not None:
            session.recorder.discard()
            session.recorder = None
        with session.phone.lock:
            session.phone.auto_alerts = None
            if cleanup:
                session.cleanup()

    def end(self, session: Session, cleanup: bool = True) -> None:
        with self._lock:
            self._drop(session, cleanup)

    def close(self) -> None:
        """End every session (the server is stopping)."""
        with self._lock:
            for session in list(self.sessions.values()):
                self._drop(session, cleanup=False)

    def status(self) -> dict[str, Any]:
        with self._lock:
            self._reap()
            busy = {s.phone.name for s in self.sessions.values()}
        phones = [
            {
                "name": p.name,
                "udid": p.udid,
                "platformName": PLATFORM_NAMES[p.platform],
                "platformVersion": p.os_version,
                "model": p.profile.model,
                "busy": p.name in busy,
            }
            for p in self.farm.phones.values()
        ]
        return {
            "ready": True,
            "message": "The server is ready to accept new connections",
            "build": {"version": APPIUM_VERSION, "name": "shareflow-sim"},
            "phones": phones,
        }

    # -- new session --------------------------------------------------------------------
    def _pick(self, platform: str, caps: dict[str, Any]) -> Phone:
        """The phone the capabilities ask for (hold ``_lock``)."""
        phones = [p for p in self.farm.phones.values() if p.platform == platform]
        udid, name, version = (caps.get(f"appium:{k}") for k in ("udid", "deviceName", "platformVersion"))
        if udid is not None:
            phones = [p for p in phones if p.udid == udid]
            wanted = f"udid '{udid}'"
        elif name is not None:
            phones = [p for p in phones if p.name == name]
            wanted = f"deviceName '{name}'"
        else:
            wanted = f"platformName '{caps['platformName']}'"
        if version is not None:
            phones = [p for p in phones if _version_matches(str(version), p.os_version)]
            wanted += f" and platformVersion '{version}'"
        if not phones:
            known = ", ".join(
                f"{p.name} ({p.platform} {p.os_version}, udid {p.udid})" for p in self.farm.phones.values()
            )
            raise SessionNotCreated(f"No device of the farm matches {wanted}. The farm has: {known}")
        now = time.monotonic()
        online = [p for p in phones if self._offline_until.get(p.name, 0.0) <= now]
        if not online:
            raise SessionNotCreated(NOT_CONNECTED[platform].format(udid=phones[0].udid))
        phones = online
        busy = {s.phone.name for s in self.sessions.values()}
        free = [p for p in phones if p.name not in busy]
        if not free:
            names = ", ".join(p.name for p in phones)
            raise SessionNotCreated(f"The device matching {wanted} is busy: {names} already has a session")
        return free[0]

    def new_session(self, body: dict[str, Any]) -> dict[str, Any]:
        self._inject_latency()
        caps = merge_capabilities(body)
        platform = _platform(caps)
        timeout = _arg(caps, "appium:newCommandTimeout", NUMBER, DEFAULT_COMMAND_TIMEOUT_S)
        if timeout < 0:
            raise InvalidArgument("'newCommandTimeout' must not be negative")
        with self._lock:
            self._reap()
            phone = self._pick(platform, caps)
            session = Session(str(uuid.uuid4()), phone, _session_caps(phone, caps), float(timeout))
            self.sessions[session.id] = session
        try:
            with phone.lock:
                session.cleanup = _prepare(phone, caps)
                if platform == "ios" and isinstance(caps.get("appium:bundleId"), str):
                    session.aut = caps["appium:bundleId"]
                    session.aut_expected = phone.app_state(session.aut) >= RUNNING_IN_BACKGROUND
        except Exception:
            self.end(session, cleanup=False)
            raise
        log.info("session %s on %s", session.id, phone.name)
        return {"sessionId": session.id, "capabilities": session.caps}

    # -- commands ------------------------------------------------------------------------
    def _inject_latency(self) -> None:
        lo, hi = self.farm.scenario.faults.latency_ms
        if hi > 0:
            with self._lock:
                delay = self._latency.uniform(lo, hi)
            time.sleep(delay / 1000)

    def _strikes(self, fault: str) -> bool:
        """Whether ``fault`` (a chance of the scenario's faults) strikes this command (hold ``_lock``).

        Nothing is drawn for a fault that is off, so seeded runs without it stay as they were.
        """
        chance = getattr(self.farm.scenario.faults, fault)
        return chance > 0 and self._streams[fault].random() < chance

    def _session(self, sid: str, faulty: bool) -> Session:
        with self._lock:
            self._reap()
            session = self.sessions.get(sid)
            if session is None:
                raise InvalidSessionId()
            if faulty and self._strikes("drop_session"):
                log.warning("fault: drop_session on %s: session %s lost", session.phone.name, sid)
                self._drop(session, cleanup=False)
                raise InvalidSessionId()
            session.busy += 1
            return session

    def _faults(self, session: Session, label: str) -> None:
        """The faults that strike before a command of ``session`` runs (hold its lock)."""
        phone = session.phone
        with self._lock:  # each fault draws once per command, whichever others strike
            offline, error, crash = (self._strikes(f) for f in ("offline", "server_error", "app_crash"))
        if offline and session.gone is None:
            offline_s = self.farm.scenario.faults.offline_s
            log.warning("fault: offline on %s: off the host for %.1f s", phone.name, offline_s)
            with self._lock:
                self._offline_until[phone.name] = time.monotonic() + offline_s
            session.gone = 0
        if session.gone is not None:
            session.gone += 1
            if session.platform == "android" and session.gone > 1:
                raise UnknownError(INSTRUMENTATION_GONE.format(label=label))
            raise UnknownError.wrapping(HANG_UP)
        if error:
            log.warning("fault: server_error on %s: %s answered 500", phone.name, label)
            raise UnknownError.wrapping(SERVER_ERRORS[session.platform])
        if crash:
            crashed = phone.crash()
            if crashed is not None:
                log.warning("fault: app_crash on %s: %s crashed", phone.name, crashed.package)

    def run(self, handler: Handler, native: bool, params: dict[str, str], body: dict[str, Any], label: str) -> Any:
        """Run one session command: faults, the session's queue, the handler."""
        self._inject_latency()
        faulty = handler is not delete_session  # ending a session always works, as with Appium
        session = self._session(params["session_id"], faulty)
        try:
            with session.lock:
                if session.id not in self.sessions:
                    raise InvalidSessionId()
                session.note(label)
                if faulty:
                    self._faults(session, label)
                if native and session.context != NATIVE:
                    raise UnsupportedOperation(
                        f"'{label}' is not available in the web context {session.context} of the virtual farm; "
                        f"switch to {NATIVE}"
                    )
                if native and session.aut_crashed():
                    raise InvalidElementState(AUT_CRASHED.format(bundle=session.aut))
                return handler(Call(session, params, body, self))
        except WebDriverError:
            raise
        except Exception as exc:
            log.exception("command %s failed", label)
            raise UnknownError(f"An unknown server-side error occurred while processing the command: {exc}") from exc
        finally:
            session.last_used = time.monotonic()
            session.busy -= 1


def _prepare(phone: Phone, caps: dict[str, Any]) -> Callable[[], None]:
    """Set the phone up for a new session; returns what ending the session does."""
    android = phone.platform == "android"
    if caps.get("appium:app"):
        raise SessionNotCreated(
            "Installing apps ('appium:app') is not supported by the virtual farm: its phones come with "
            "Taobao and WeChat installed; use appium:appPackage/appActivity or appium:bundleId"
        )
    auto = {"appium:autoAcceptAlerts": "accept", "appium:autoDismissAlerts": "dismiss"}
    phone.auto_alerts = None if android else next((v for k, v in auto.items() if caps.get(k) is True), None)
    phone.devlog.drain()  # the session's log starts now
    app_id = caps.get("appium:appPackage" if android else "appium:bundleId")
    if app_id is None:
        return lambda: None
    if not isinstance(app_id, str) or not phone.has_app(app_id):
        raise SessionNotCreated(f"The application '{app_id}' is not installed on the device {phone.name}")
    no_reset = caps.get("appium:noReset") is True
    if not no_reset:
        phone.terminate_app(app_id)
    if caps.get("appium:autoLaunch", True) is not False:
        phone.open_app(app_id)
    if android:
        keep = no_reset or caps.get("appium:dontStopAppOnReset") is True
    else:
        keep = caps.get("appium:shouldTerminateApp", True) is False
    return (lambda: None) if keep else (lambda: phone.terminate_app(app_id))


# -- routes -------------------------------------------------------------------------------------
Handler = Callable[[Call], Any]
ROUTES: list[tuple[str, str, Handler, bool]] = []


def command(method: str, path: str, native: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for ``/session/{session_id}<path>``; ``native``: refused in web contexts."""

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, path, handler, native))
        return handler

    return register


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


# -- screen ---------------------------------------------------------------------------------------
@command("GET", "/screenshot")
def screenshot(c: Call) -> str:
    return _b64(c.phone.screenshot_png())


@command("GET", "/element/{element_id}/screenshot", native=True)
def element_screenshot(c: Call) -> str:
    with c.phone.lock:
        _, el, _ = c.element()
        png = c.phone.screenshot_png()
    r = c.rect(el)
    k = c.phone.profile.scale / c.scale  # pixels per session unit
    box = (round(r["x"] * k), round(r["y"] * k), round((r["x"] + r["width"]) * k), round((r["y"] + r["height"]) * k))
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).crop(box).save(out, format="PNG")
    return _b64(out.getvalue())


@command("GET", "/source", native=True)
def page_source(c: Call) -> str:
    return c.snapshot().xml()


@command("GET", "/window/rect")
def window_rect(c: Call) -> dict[str, int]:
    return c.window()


@command("GET", "/window/{handle}/size")
def window_size(c: Call) -> dict[str, int]:
    """The drivers' deprecated JSONWP route (``handle`` is ``current``)."""
    w = c.window()
    return {"width": w["width"], "height": w["height"]}


@command("GET", "/orientation")
def get_orientation(c: Call) -> str:
    return "PORTRAIT"


@command("POST", "/orientation")
def set_orientation(c: Call) -> None:
    if str(c.param("orientation", str)).upper() != "PORTRAIT":
        raise UnsupportedOperation("The virtual phones only support the PORTRAIT orientation")


# -- finding elements --------------------------------------------------------------------------------
def _search(c: Call, using: str, value: str, scope_id: str | None) -> list[Entry]:
    with c.phone.lock:
        if scope_id is None:
            src = c.snapshot()
            scope, whole = src.scope, True
        else:
            src, scope, _ = c.element(scope_id)
            whole = False
        package = c.phone.current_package
        try:
            found = locate.find(scope, using, value, platform=c.platform, package=package, whole=whole)
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


# -- elements --------------------------------------------------------------------------------------------
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
    return el.get(_IOS_ALIASES.get(name, name))


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
    return el.get("displayed" if c.android else "visible") == "true"


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


# -- pointer actions -----------------------------------------------------------------------------------
@dataclass
class _Finger:
    """One pointer of an action sequence, in session units."""

    x: float = 0.0
    y: float = 0.0
    start: tuple[float, float] | None = None
    held_s: float = 0.0
    travel: float = 0.0  # furthest from where it went down, in logical units


def _duration(action: dict[str, Any]) -> float:
    value = _arg(action, "duration", NUMBER, 0)
    if value < 0:
        raise InvalidArgument("An action's duration must not be negative")
    return value / 1000


def _move_target(c: Call, finger: _Finger, action: dict[str, Any]) -> tuple[float, float]:
    x, y = _arg(action, "x", NUMBER, 0), _arg(action, "y", NUMBER, 0)
    origin = action.get("origin", "viewport")
    if origin == "pointer":
        x, y = finger.x + x, finger.y + y
    elif isinstance(origin, dict):
        with c.phone.lock:
            _, el, _ = c.element(_element_id(origin))
        r = c.rect(el)
        x, y = r["x"] + r["width"] / 2 + x, r["y"] + r["height"] / 2 + y
    elif origin != "viewport":
        raise InvalidArgument(f"Unknown pointerMove origin {origin!r}")
    w = c.window()
    if not (0 <= x <= w["width"] and 0 <= y <= w["height"]):
        raise MoveTargetOutOfBounds(f"The point ({x}, {y}) is outside the screen ({w['width']}x{w['height']})")
    return x, y


def _release(c: Call, finger: _Finger) -> None:
    """A pointer went up: a tap, a long press or a swipe."""
    assert finger.start is not None
    sx, sy = c.logical(*finger.start)
    if finger.travel >= TAP_SLOP:
        c.phone.swipe(sx, sy, *c.logical(finger.x, finger.y))
    elif finger.held_s >= LONG_PRESS_S:
        c.phone.long_press(sx, sy)
    else:
        c.phone.tap(sx, sy)
    finger.start = None


def _pointer_step(c: Call, finger: _Finger, action: dict[str, Any]) -> None:
    kind = action.get("type")
    if kind == "pointerMove":
        finger.x, finger.y = _move_target(c, finger, action)
        if finger.start is not None:
            dx, dy = finger.x - finger.start[0], finger.y - finger.start[1]
            finger.travel = max(finger.travel, math.hypot(dx, dy) / c.scale)
    elif kind == "pointerDown":
        finger.start, finger.held_s, finger.travel = (finger.x, finger.y), 0.0, 0.0
    elif kind == "pointerUp":
        if finger.start is not None:
            _release(c, finger)
    elif kind == "pointerCancel":
        finger.start = None
    elif kind != "pause":
        raise InvalidArgument(f"Unknown pointer action type {kind!r}")


_SOURCE_ACTIONS = {
    "pointer": {"pause", "pointerMove", "pointerDown", "pointerUp", "pointerCancel"},
    "key": {"pause", "keyDown", "keyUp"},
    "none": {"pause"},
    "wheel": {"pause", "scroll"},
}


def _sources(body: dict[str, Any]) -> list[dict[str, Any]]:
    sources = _arg(body, "actions", list)
    for src in sources:
        if not isinstance(src, dict) or src.get("type") not in _SOURCE_ACTIONS or not isinstance(src.get("id"), str):
            raise InvalidArgument(f"Invalid input source {src!r}")
        params = src.get("parameters") or {}
        if src["type"] == "pointer" and params.get("pointerType", "mouse") not in ("mouse", "pen", "touch"):
            raise InvalidArgument(f"Unknown pointerType {params.get('pointerType')!r}")
        actions = _arg(src, "actions", list)
        if not all(isinstance(a, dict) and a.get("type") in _SOURCE_ACTIONS[src["type"]] for a in actions):
            raise InvalidArgument(f"Invalid actions for a {src['type']} input source: {actions!r}")
    return sources


@command("POST", "/actions", native=True)
def perform_actions(c: Call) -> None:
    """W3C actions, tick by tick in real time; pointers become taps, long presses and swipes."""
    sources = _sources(c.body)
    fingers: dict[str, _Finger] = {}
    waited = 0.0
    for tick in range(max((len(s["actions"]) for s in sources), default=0)):
        duration = 0.0
        for src in sources:
            if tick >= len(src["actions"]):
                continue
            action = src["actions"][tick]
            if action["type"] in ("pause", "pointerMove"):
                duration = max(duration, _duration(action))
            if src["type"] == "pointer":
                _pointer_step(c, fingers.setdefault(src["id"], _Finger()), action)
        for finger in fingers.values():
            if finger.start is not None:
                finger.held_s += duration
        wait = min(duration, MAX_GESTURE_WAIT_S - waited)
        if wait > 0:
            time.sleep(wait)
            waited += wait


@command("DELETE", "/actions", native=True)
def release_actions(c: Call) -> None:
    """Nothing stays pressed between action sequences."""


# -- navigation and device -----------------------------------------------------------------------------
def _ios_back(c: Call) -> None:
    """XCUITest's back: tap the first button of the top navigation bar, if there is one."""
    with c.phone.lock:
        src = c.snapshot()
        bars = [el for el, e in src.entries.items() if e.node is not None and e.node.role == "nav"]
        buttons = [b for b in (bars[-1].iter("XCUIElementTypeButton") if bars else ()) if b.get("visible") == "true"]
        if buttons:
            c.phone.tap(*c.center(buttons[0]))


@command("POST", "/back")
def back(c: Call) -> None:
    if c.android:
        c.phone.back()
    else:
        _ios_back(c)


@command("POST", "/appium/device/press_keycode")
def press_keycode(c: Call) -> None:
    c.only("android")
    c.phone.press_key(c.param("keycode", int))


@command("GET", "/appium/device/current_activity")
def current_activity(c: Call) -> str:
    c.only("android")
    return c.phone.current_activity


@command("GET", "/appium/device/current_package")
def current_package(c: Call) -> str:
    c.only("android")
    return c.phone.current_package


_MOMENT = re.compile(r"\[[^\]]*\]|YYYY|YY|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|SSS|ZZ|Z|A")


def device_time(when: datetime, fmt: str = DEVICE_TIME_FORMAT) -> str:
    """``when`` in a moment.js format, as Appium's getDeviceTime formats it."""
    offset = when.strftime("%z") or "+0000"
    tokens = {
        "YYYY": f"{when.year:04d}",
        "YY": f"{when.year % 100:02d}",
        "MM": f"{when.month:02d}",
        "M": str(when.month),
        "DD": f"{when.day:02d}",
        "D": str(when.day),
        "HH": f"{when.hour:02d}",
        "H": str(when.hour),
        "hh": f"{(when.hour - 1) % 12 + 1:02d}",
        "h": str((when.hour - 1) % 12 + 1),
        "mm": f"{when.minute:02d}",
        "m": str(when.minute),
        "ss": f"{when.second:02d}",
        "s": str(when.second),
        "SSS": f"{when.microsecond // 1000:03d}",
        "ZZ": offset,
        "Z": f"{offset[:3]}:{offset[3:]}",
        "A": "AM" if when.hour < 12 else "PM",
    }
    return _MOMENT.sub(lambda m: m.group(0)[1:-1] if m.group(0).startswith("[") else tokens[m.group(0)], fmt)


@command("GET", "/appium/device/system_time")
def system_time(c: Call) -> str:
    return device_time(c.phone.now())


@command("POST", "/appium/device/system_time")
def system_time_formatted(c: Call) -> str:
    return device_time(c.phone.now(), c.param("format", str, DEVICE_TIME_FORMAT))


# -- contexts ----------------------------------------------------------------------------------------------
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


# -- logs ---------------------------------------------------------------------------------------------------
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


# -- alerts ----------------------------------------------------------------------------------------------------
@dataclass
class _Alert:
    """The alert on screen: its text and buttons, and how to answer it."""

    text: str
    buttons: list[str]
    answer: Callable[[str | None, bool], None]


def _in_app_alert(c: Call) -> _Alert | None:
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

    return _Alert("\n".join(texts), labels, answer)


def _alert(c: Call) -> _Alert:
    phone = c.phone
    with phone.lock:
        phone.layers()  # let due events show their alerts
        alert = phone.alert
        if alert is not None:
            parts = [alert.title, alert.message] if not c.android else [alert.message or alert.title]
            return _Alert("\n".join(p for p in parts if p), [b.label for b in alert.buttons], _answer_system(phone))
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


def _answer(c: Call, label: str | None, accept: bool) -> None:
    alert = _alert(c)
    with c.phone.lock:
        alert.answer(label, accept)


@command("GET", "/alert/text")
def alert_text(c: Call) -> str:
    return _alert(c).text


@command("POST", "/alert/accept")
def accept_alert(c: Call) -> None:
    _answer(c, None, True)


@command("POST", "/alert/dismiss")
def dismiss_alert(c: Call) -> None:
    _answer(c, None, False)


# -- screen recording ------------------------------------------------------------------------------------------
def _recording_options(c: Call) -> dict[str, Any]:
    options = c.param("options", dict, {})
    if options.get("remotePath"):
        raise UnsupportedOperation("Uploading recordings (remotePath) is not supported by the virtual farm")
    return options


def _finish_recording(session: Session) -> str:
    recorder, session.recorder = session.recorder, None
    return "" if recorder is None else _b64(recorder.stop())


@command("POST", "/appium/start_recording_screen")
def start_recording(c: Call) -> str:
    """Start recording; a recording still running is returned (or dropped with forceRestart)."""
    options = _recording_options(c)
    try:
        limit = float(options.get("timeLimit", DEFAULT_TIME_LIMIT_S))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"timeLimit must be a number of seconds, got {options['timeLimit']!r}") from exc
    if not 0 < limit <= MAX_TIME_LIMIT_S:
        raise InvalidArgument(f"timeLimit must be in (0, {MAX_TIME_LIMIT_S:.0f}] seconds, got {limit}")
    previous = ""
    if c.session.recorder is not None:
        if options.get("forceRestart") or options.get("forcedRestart"):
            c.session.recorder.discard()
            c.session.recorder = None
        else:
            previous = _finish_recording(c.session)
    c.session.recorder = Recorder(c.phone.frame, time_limit_s=limit).start()
    return previous


@command("POST", "/appium/stop_recording_screen")
def stop_recording(c: Call) -> str:
    _recording_options(c)
    return _finish_recording(c.session)


# -- execute: mobile: methods --------------------------------------------------------------------------------------
MobileMethod = Callable[[Call, dict[str, Any]], Any]


def _app_id(c: Call, a: dict[str, Any]) -> str:
    app_id = _arg(a, "appId" if c.android else "bundleId", str)
    if not c.phone.has_app(app_id):
        raise UnknownError(f"The application '{app_id}' is not installed on the device {c.phone.name}")
    return app_id


def m_activate_app(c: Call, a: dict[str, Any]) -> None:
    c.phone.open_app(_app_id(c, a))


def m_terminate_app(c: Call, a: dict[str, Any]) -> bool:
    app_id = _app_id(c, a)
    if app_id == c.session.aut:
        c.session.aut_expected = False  # stopped on purpose: WDA no longer calls it crashed
    return c.phone.terminate_app(app_id)


def m_query_app_state(c: Call, a: dict[str, Any]) -> int:
    return c.phone.app_state(_arg(a, "appId" if c.android else "bundleId", str))


def m_is_app_installed(c: Call, a: dict[str, Any]) -> bool:
    return c.phone.has_app(_arg(a, "appId" if c.android else "bundleId", str))


def m_deep_link(c: Call, a: dict[str, Any]) -> None:
    url = _arg(a, "url", str)
    app_id = _arg(a, "package", str) if c.android else _arg(a, "bundleId", str, None)
    try:
        c.phone.deep_link(url, app_id)
    except KeyError as exc:
        raise UnknownError(f"Cannot open '{url}': {exc.args[0]}") from exc


def _plaintext(a: dict[str, Any]) -> None:
    kind = _arg(a, "contentType", str, "plaintext")
    if kind.lower() != "plaintext":
        raise InvalidArgument(f"The virtual phones' clipboard holds plain text only, not '{kind}'")


def m_get_clipboard(c: Call, a: dict[str, Any]) -> str:
    _plaintext(a)
    return _b64(c.phone.clipboard_text.encode("utf-8"))


def m_set_clipboard(c: Call, a: dict[str, Any]) -> None:
    _plaintext(a)
    try:
        text = base64.b64decode(_arg(a, "content", str), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidArgument("'content' must be base64-encoded UTF-8 text") from exc
    c.phone.set_clipboard(text)


def m_press_key(c: Call, a: dict[str, Any]) -> None:
    c.phone.press_key(_arg(a, "keycode", int))


def _gesture_point(c: Call, a: dict[str, Any]) -> tuple[float, float]:
    """Where a mobile: gesture touches: an element (offsets from its top-left) or x/y."""
    x, y = _arg(a, "x", NUMBER, None), _arg(a, "y", NUMBER, None)
    if a.get("elementId") is None:
        if x is None or y is None:
            raise InvalidArgument("Either 'elementId' or both 'x' and 'y' must be provided")
        return c.logical(x, y)
    with c.phone.lock:
        _, el, _ = c.element(_element_id(a["elementId"]))
    if x is None or y is None:
        return c.center(el)
    r = c.rect(el)
    return c.logical(r["x"] + x, r["y"] + y)


def _hold(c: Call, point: tuple[float, float], seconds: float) -> None:
    time.sleep(min(max(seconds, 0.0), MAX_GESTURE_WAIT_S))
    (c.phone.long_press if seconds >= LONG_PRESS_S else c.phone.tap)(*point)


def m_click_gesture(c: Call, a: dict[str, Any]) -> None:
    c.phone.tap(*_gesture_point(c, a))


def m_long_click_gesture(c: Call, a: dict[str, Any]) -> None:
    _hold(c, _gesture_point(c, a), _arg(a, "duration", NUMBER, 500) / 1000)


def m_touch_and_hold(c: Call, a: dict[str, Any]) -> None:
    _hold(c, _gesture_point(c, a), _arg(a, "duration", NUMBER))


def m_press_button(c: Call, a: dict[str, Any]) -> None:
    name = _arg(a, "name", str).lower()
    if name == "home":
        c.phone.go_home()
    elif name not in ("volumeup", "volumedown"):
        raise InvalidArgument(f"The button '{name}' is unknown. Only home, volumeUp and volumeDown are supported")


def m_alert(c: Call, a: dict[str, Any]) -> list[str] | None:
    action = _arg(a, "action", str)
    if action == "getButtons":
        return _alert(c).buttons
    if action not in ("accept", "dismiss"):
        raise InvalidArgument(f"The alert action '{action}' is unknown. Use accept, dismiss or getButtons")
    _answer(c, _arg(a, "buttonLabel", str, None), action == "accept")
    return None


def m_accept_alert(c: Call, a: dict[str, Any]) -> None:
    _answer(c, _arg(a, "buttonLabel", str, None), True)


def m_dismiss_alert(c: Call, a: dict[str, Any]) -> None:
    _answer(c, _arg(a, "buttonLabel", str, None), False)


def m_device_time(c: Call, a: dict[str, Any]) -> str:
    return device_time(c.phone.now(), _arg(a, "format", str, DEVICE_TIME_FORMAT))


def m_keyboard_shown(c: Call, a: dict[str, Any]) -> bool:
    return any(e.node is not None and e.node.focused and e.node.role == "edit" for e in c.snapshot().entries.values())


def m_hide_keyboard(c: Call, a: dict[str, Any]) -> bool:
    return m_keyboard_shown(c, a)


MOBILE: dict[str, dict[str, MobileMethod]] = {
    "android": {
        "activateApp": m_activate_app,
        "terminateApp": m_terminate_app,
        "queryAppState": m_query_app_state,
        "isAppInstalled": m_is_app_installed,
        "deepLink": m_deep_link,
        "getClipboard": m_get_clipboard,
        "setClipboard": m_set_clipboard,
        "pressKey": m_press_key,
        "clickGesture": m_click_gesture,
        "longClickGesture": m_long_click_gesture,
        "acceptAlert": m_accept_alert,
        "dismissAlert": m_dismiss_alert,
        "getDeviceTime": m_device_time,
        "getCurrentActivity": lambda c, a: c.phone.current_activity,
        "getCurrentPackage": lambda c, a: c.phone.current_package,
        "isKeyboardShown": m_keyboard_shown,
        "hideKeyboard": m_hide_keyboard,
    },
    "ios": {
        "activateApp": m_activate_app,
        "terminateApp": m_terminate_app,
        "queryAppState": m_query_app_state,
        "isAppInstalled": m_is_app_installed,
        "deepLink": m_deep_link,
        "getClipboard": m_get_clipboard,
        "setClipboard": m_set_clipboard,
        "tap": m_click_gesture,
        "touchAndHold": m_touch_and_hold,
        "pressButton": m_press_button,
        "alert": m_alert,
        "getDeviceTime": m_device_time,
        "isKeyboardShown": m_keyboard_shown,
        "hideKeyboard": m_hide_keyboard,
    },
}


def _mobile(c: Call, name: str, args: list[Any]) -> Any:
    methods = MOBILE[c.platform]
    method = methods.get(name)
    if method is None:
        driver = DRIVERS[c.platform][1]
        names = [f"mobile: {m}" for m in methods]
        guess = difflib.get_close_matches(f"mobile: {name}", names, n=1, cutoff=0) or names
        raise UnsupportedOperation(
            f"Unsupported execute method 'mobile: {name}', did you mean '{guess[0]}'? Make sure the installed "
            f"{driver} is up-to-date. Execute methods available in the current driver version are: {', '.join(names)}"
        )
    if len(args) > 1 or (args and not isinstance(args[0], dict)):
        raise InvalidArgument(
            "Did not get correct format of arguments for execute method. Expected zero or one arguments "
            f"to execute script and instead received: {json.dumps(args)}"
        )
    return method(c, args[0] if args else {})


@command("POST", "/execute/sync")
def execute(c: Call) -> Any:
    script = c.param("script", str)
    args = c.param("args", list, [])
    match = re.fullmatch(r"\s*mobile:\s*(\w+)\s*", script)
    if match is not None:
        return _mobile(c, match.group(1), args)
    if c.session.context != NATIVE:
        raise UnsupportedOperation("Scripts in web contexts are not supported by the virtual farm")
    raise UnknownMethod("Method is not implemented")


@command("POST", "/execute/async")
def execute_async(c: Call) -> Any:
    return execute(c)


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


# -- the web app -------------------------------------------------------------------------------------------------
async def _body(request: Request) -> dict[str, Any]:
    if request.method not in ("POST", "PUT"):
        return {}
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise InvalidArgument(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidArgument("The request body must be a JSON object")
    return body


def _endpoint(service: FarmService, handler: Handler, native: bool) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> JSONResponse:
        label = f"{request.method} {request.url.path}"
        try:
            body = await _body(request)
            params = dict(request.path_params)
            value = await run_in_threadpool(service.run, handler, native, params, body, label)
        except WebDriverError as exc:
            return exc.response()
        return JSONResponse({"value": value})

    return endpoint


def create_app(farm: Farm) -> Starlette:
    """The HTTP application serving ``farm``'s phones."""
    service = FarmService(farm)

    async def status(request: Request) -> JSONResponse:
        return JSONResponse({"value": await run_in_threadpool(service.status)})

    async def new_session(request: Request) -> JSONResponse:
        try:
            body = await _body(request)
            value = await run_in_threadpool(service.new_session, body)
        except WebDriverError as exc:
            return exc.response()
        return JSONResponse({"value": value})

    async def unknown(request: Request, exc: Exception) -> JSONResponse:
        return UnknownCommand().response()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        service.close()

    routes = [Route("/status", status, methods=["GET"]), Route("/session", new_session, methods=["POST"])]
    routes += [
        Route(f"/session/{{session_id}}{path}", _endpoint(service, handler, native), methods=[method])
        for method, path, handler, native in ROUTES
    ]
    app = Starlette(routes=routes, exception_handlers={404: unknown, 405: unknown}, lifespan=lifespan)
    app.state.service = service
    return app


# -- serving -------------------------------------------------------------------------------------------------------
class _Uvicorn(uvicorn.Server):
    """uvicorn that calls back once it listens."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket. TCP_NODELAY (inherited by accepted sockets) matters: uvicorn writes a
    response's head and body separately, and with Nagle's algorithm every keep-alive response
    would wait ~40 ms for the client's delayed ACK."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _server(farm: Farm, sock: socket.socket, on_ready: Callable[[str], None]) -> _Uvicorn:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    config = uvicorn.Config(
        create_app(farm), log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    return _Uvicorn(config, lambda: on_ready(url))


def serve(farm: Farm, host: str = "127.0.0.1", port: int = 4723, on_ready: Callable[[str], None] = print) -> None:
    """Serve ``farm`` until SIGINT or SIGTERM; ``on_ready(url)`` once listening (port 0: a free port)."""
    with _bind(host, port) as sock:
        _server(farm, sock, on_ready).run(sockets=[sock])


@contextlib.contextmanager
def serve_in_thread(farm: Farm, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``farm`` from a background thread; yields the server's URL."""
    ready: list[str] = []
    started = threading.Event()

    def on_ready(url: str) -> None:
        ready.append(url)
        started.set()

    with _bind(host, port) as sock:
        server = _server(farm, sock, on_ready)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="shareflow-sim", daemon=True)
        thread.start()
        try:
            if not started.wait(15):
                raise RuntimeError("the virtual farm's server did not start")
            yield ready[0]
        finally:
            server.should_exit = True
            thread.join(15)
