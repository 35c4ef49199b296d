"""The scenario's infrastructure faults: the time they add to requests and to starting sessions, when each
chance strikes a session's commands, and what the drivers answer when it does."""

from __future__ import annotations

import logging
import random
import threading
import time

from shareflow_sim.protocol.errors import UnknownError
from shareflow_sim.protocol.sessions import Session
from shareflow_sim.scenario import Scenario

log = logging.getLogger("shareflow_sim.server")

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


class FaultInjector:
    """The seeded draws of a scenario's faults, one random stream each, and what they do to sessions."""

    def __init__(self, scenario: Scenario) -> None:
        self.faults = scenario.faults
        self._lock = threading.Lock()
        seed = scenario.seed
        self._latency = random.Random(f"latency:{seed}")
        self._session_start = random.Random(f"session_start:{seed}")
        # one stream per fault, so that turning one on leaves the others' draws as they were
        self._streams = {
            "drop_session": random.Random(f"faults:{seed}"),
            **{fault: random.Random(f"{fault}:{seed}") for fault in ("server_error", "app_crash", "offline")},
        }
        self._offline_until: dict[str, float] = {}  # phone name -> when the host sees it again (monotonic)

    def inject_latency(self) -> None:
        """The latency added to a request (``latency_ms``)."""
        self._wait(self._latency, self.faults.latency_ms)

    # Real phones make every new session wait while the driver starts its server on them: UiAutomator2's
    # instrumentation (about 20 s on a Samsung S7, where ~30% of a suite's run went into creating sessions:
    # appium/appium#11527) or WebDriverAgent (an iOS session in about 30 s with Appium 1: appium/appium#20317).
    def start_session(self) -> None:
        """The time a new session takes to start its driver's server on the phone (``session_start_ms``)."""
        self._wait(self._session_start, self.faults.session_start_ms)

    def _wait(self, stream: random.Random, range_ms: tuple[int, int]) -> None:
        """Sleep for a draw of ``stream`` in ``range_ms``; nothing is drawn for a range of zero."""
        lo, hi = range_ms
        if hi > 0:
            with self._lock:
                delay = stream.uniform(lo, hi)
            time.sleep(delay / 1000)

    def strikes(self, fault: str) -> bool:
        """Whether ``fault`` (a chance of the scenario's faults) strikes this command.

        Nothing is drawn for a fault that is off, so seeded runs without it stay as they were.
        """
        with self._lock:
            return self._strikes(fault)

    def _strikes(self, fault: str) -> bool:
        chance = getattr(self.faults, fault)
        return chance > 0 and self._streams[fault].random() < chance

    def online(self, phone: str, now: float) -> bool:
        """Does the host see ``phone`` at ``now`` (monotonic)?"""
        with self._lock:
            return self._offline_until.get(phone, 0.0) <= now

    def before_command(self, session: Session, label: str) -> None:
        """The faults that strike before a command of ``session`` runs (hold its lock)."""
        phone = session.phone
        with self._lock:  # each fault draws once per command, whichever others strike
            offline, error, crash = (self._strikes(f) for f in ("offline", "server_error", "app_crash"))
        if offline and session.gone is None:
            offline_s = self.faults.offline_s
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
