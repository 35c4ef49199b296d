"""A phone under test: its device entry, Appium session, screen and evidence."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from appium import webdriver
from selenium.common.exceptions import WebDriverException

from shareflow.devices import Device
from shareflow.evidence import Evidence
from shareflow.lease import chat_floor
from shareflow.screen import Screen, decode_png
from shareflow.session import open_driver
from shareflow.vision.templates import TemplateLibrary

LOG_TYPES = {"android": "logcat", "ios": "syslog"}
VIDEO_LIMIT_S = 1800
# Appium's app states (mobile: queryAppState, both drivers): 0 not installed, 1 not running,
# 2 running in the background suspended, 3 running in the background, 4 running in the foreground
APP_STATES = {0: "not installed", 1: "not running", 2: "suspended", 3: "in the background", 4: "in front"}
IN_FRONT = 4


class AppNotInFront(RuntimeError):
    """None of the apps the test drives is in front: one crashed, or another app took the screen.

    An infrastructure failure: nothing on screen proves a defect of the apps under test.
    """


@dataclass
class Phone:
    """One phone's session for the length of a test."""

    device: Device
    driver: webdriver.Remote
    screen: Screen
    evidence: Evidence
    floors: Path  # where the floors of shared chats are held, for every worker of the run
    recording: bool = False
    extras: dict[str, object] = field(default_factory=dict)
    apps: dict[str, str] = field(default_factory=dict)  # the apps the test drives: name -> package / bundle id

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def platform(self) -> str:
        return self.device.platform

    def chat_floor(self, chat: str) -> AbstractContextManager[None]:
        """Hold ``chat``'s floor: no other phone of the run posts to it or taps its messages by place."""
        return chat_floor(self.floors, chat)

    def attach_failure_evidence(self, screen: bool = True) -> None:
        """Screen at failure (PNG, unless ``screen`` is False), page source and device log (cut to size).

        Each is taken as far as the session still answers; what it did not give is said in one attachment.
        """
        prefix = f"{self.name}: "
        takes: dict[str, Callable[[str], object]] = {
            "page source": lambda name: self.evidence.page_source(name, self.driver.page_source),
            "device log": lambda name: self.evidence.device_log(name, self.device_log()),
        }
        if screen:
            takes = {"screen at failure": lambda name: self.evidence.image(name, self.screenshot())} | takes
        missing = []
        for what, take in takes.items():
            try:
                take(prefix + what)
            except WebDriverException as exc:
                missing.append(f"{what}: {exc.msg}")
        if missing:
            self.evidence.text(prefix + "evidence unavailable", "the session did not give\n" + "\n".join(missing))

    def check_in_front(self) -> None:
        """Raise :class:`AppNotInFront` when the session tells that none of the apps the test drives is in front.

        Called before a wait gives up: a screen not reached because the app is gone is not the app's fault.
        A state the session cannot tell (an error, an answer that is no state) leaves the failure as it was.
        """
        states = {}
        for app, package in self.apps.items():
            key = "appId" if self.platform == "android" else "bundleId"
            try:
                state = self.driver.execute_script("mobile: queryAppState", {key: package})
            except WebDriverException:
                return
            if not isinstance(state, int) or state == IN_FRONT:
                return
            states[app] = state
        if states:
            told = ", ".join(f"{app} {APP_STATES.get(state, f'state {state}')}" for app, state in states.items())
            raise AppNotInFront(
                f"{self.name}: no app under test is in front ({told}): it crashed, or another app took the screen"
            )

    def screenshot(self) -> np.ndarray:
        """The screen right now, in full resolution."""
        return decode_png(self.driver.get_screenshot_as_png())

    def device_log(self) -> str:
        """The device log lines the session has not handed out yet (logcat / syslog)."""
        return "\n".join(entry["message"] for entry in self.driver.get_log(LOG_TYPES[self.platform]))

    def stop_video(self, keep: bool) -> None:
        """Stop recording; attach the MP4 and write it to the evidence folder when ``keep``."""
        if not self.recording:
            return
        self.recording = False
        try:
            data = base64.b64decode(self.driver.stop_recording_screen())
        except WebDriverException:
            return
        if keep and data:
            self.evidence.video(f"{self.name}: video", data)

    def close(self) -> None:
        with contextlib.suppress(WebDriverException):
            self.driver.quit()


def density_of(driver: webdriver.Remote, platform: str) -> float | None:
    """Pixels per logical unit, when the session's capabilities tell it."""
    caps = driver.capabilities
    if platform == "android" and caps.get("deviceScreenDensity"):
        return float(caps["deviceScreenDensity"]) / 160
    if platform == "ios" and caps.get("pixelRatio"):
        return float(caps["pixelRatio"])
    return None


def open_phone(
    device: Device,
    url: str,
    templates: TemplateLibrary,
    evidence: Evidence,
    screenshots: str,
    video: str,
    floors: Path,
) -> Phone:
    """Open a session on ``device`` and wrap it for a test; ``evidence`` may be shared by a test's phones.

    A session that fails to get ready (recording refused, a dropped connection) is quit at once, so the
    phone is not left busy until the server's new-command timeout.
    """
    driver = open_driver(device, url)
    try:
        screen = Screen(driver, device.platform, templates, evidence, screenshots, density_of(driver, device.platform))
        phone = Phone(device, driver, screen, evidence, floors)
        screen.guard = phone.check_in_front
        if video != "off":
            driver.start_recording_screen(timeLimit=VIDEO_LIMIT_S)
            phone.recording = True
    except BaseException:
        with contextlib.suppress(WebDriverException, OSError):
            driver.quit()
        raise
    return phone
