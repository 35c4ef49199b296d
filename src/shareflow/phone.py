"""A phone under test: its device entry, Appium session, screen, evidence and apps.

A :class:`Phone` lives for one test; its session may live longer (see :mod:`shareflow.keeper`).
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from appium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException

from shareflow.apps.locators import app_id, has_locators, locators
from shareflow.artifacts import ScreenshotMode, VideoMode
from shareflow.devices import Device, Platform
from shareflow.errors import InfrastructureError
from shareflow.evidence import Evidence
from shareflow.lease import chat_floor
from shareflow.screen import Screen, decode_png
from shareflow.session import open_driver
from shareflow.vision.templates import TemplateLibrary

if TYPE_CHECKING:  # the page objects import this module
    from shareflow.apps.taobao import Taobao
    from shareflow.apps.wechat import WeChat

LOG_TYPES = {"android": "logcat", "ios": "syslog"}
VIDEO_LIMIT_S = 1800
# Appium's app states (mobile: queryAppState, both drivers): 0 not installed, 1 not running,
# 2 running in the background suspended, 3 running in the background, 4 running in the foreground
APP_STATES = {0: "not installed", 1: "not running", 2: "suspended", 3: "in the background", 4: "in front"}
IN_FRONT = 4
APPS_UNDER_TEST = ("taobao", "wechat")  # the share flow's apps: stopped before each test, with the others the
# device entry lists (see Phone.start_afresh)


class AppNotInFront(InfrastructureError):
    """None of the apps the test drives is in front: one crashed, or another app took the screen.

    An infrastructure failure: nothing on screen proves a defect of the apps under test.
    """


@dataclass
class Phone:
    """One phone for the length of a test: its session, and a screen and page objects that report to the test."""

    device: Device
    driver: webdriver.Remote
    screen: Screen
    evidence: Evidence
    floors: Path  # where the floors of shared chats are held, for every worker of the run
    recording: bool = False
    extras: dict[str, object] = field(default_factory=dict)
    apps: dict[str, str] = field(default_factory=dict)  # the apps the test drives: name -> package / bundle id

    @classmethod
    def on(
        cls,
        device: Device,
        driver: webdriver.Remote,
        templates: TemplateLibrary,
        evidence: Evidence,
        screenshots: ScreenshotMode,
        floors: Path,
    ) -> Phone:
        """``device``'s session ``driver`` wrapped for one test, its screen shooting as ``screenshots`` says and
        taking each state's template from the most specific library ``templates`` has for it."""
        density = density_of(driver, device.platform)
        screen = Screen(driver, device.platform, templates.for_phone(device), evidence, screenshots, density)
        phone = cls(device, driver, screen, evidence, floors)
        screen.guard = phone.check_in_front
        return phone

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def platform(self) -> Platform:
        return self.device.platform

    @cached_property
    def taobao(self) -> Taobao:
        """Taobao on this phone (one page object per test)."""
        from shareflow.apps.taobao import Taobao  # here: the page objects import this module

        return Taobao(self)

    @cached_property
    def wechat(self) -> WeChat:
        """WeChat on this phone (one page object per test)."""
        from shareflow.apps.wechat import WeChat  # here: the page objects import this module

        return WeChat(self)

    def chat_floor(self, chat: str) -> AbstractContextManager[None]:
        """Hold ``chat``'s floor: no other phone of the run posts to it or taps its messages by place."""
        return chat_floor(self.floors, chat)

    def start_afresh(self, read_log: bool = False) -> None:
        """Taobao and WeChat stopped (and every other app the device entry lists that page objects drive), the
        clipboard empty and no system alert up: how every test starts.

        A Tao password left on the clipboard by an earlier test makes Taobao show its clipboard card, and
        on iOS 16+ leaves its paste alert over whichever app comes up next. With ``read_log`` (a session
        kept from an earlier test), the device log is read to date, so that a failure's log is this test's.
        """
        from shareflow import clipboard  # here: it imports this module

        for app in dict.fromkeys([*APPS_UNDER_TEST, *filter(has_locators, self.device.apps)]):
            self.driver.execute_script("mobile: terminateApp", locators(app).app_id(self.platform))
        clipboard.write(self, "")
        if self.platform == "ios":
            with contextlib.suppress(NoAlertPresentException):
                self.driver.execute_script("mobile: alert", {"action": "dismiss"})
        if read_log:
            self.device_log()

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
            try:
                state = self.driver.execute_script("mobile: queryAppState", app_id(self.platform, package))
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

    def start_video(self) -> None:
        """Record the screen (at most ``VIDEO_LIMIT_S``) until :meth:`stop_video`."""
        self.driver.start_recording_screen(timeLimit=VIDEO_LIMIT_S)
        self.recording = True

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


def density_of(driver: webdriver.Remote, platform: Platform) -> float | None:
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
    screenshots: ScreenshotMode,
    video: VideoMode,
    floors: Path,
) -> Phone:
    """Open a session on ``device`` and wrap it for a test; ``evidence`` may be shared by a test's phones.

    A session that fails to get ready (recording refused, a dropped connection) is quit at once, so the
    phone is not left busy until the server's new-command timeout.
    """
    driver = open_driver(device, url)
    try:
        phone = Phone.on(device, driver, templates, evidence, screenshots, floors)
        if video != "off":
            phone.start_video()
    except BaseException:
        with contextlib.suppress(WebDriverException, OSError):
            driver.quit()
        raise
    return phone


@contextmanager
def conversation(sender: Phone, receiver: Phone, chat: str | None = None) -> Iterator[WeChat]:
    """``sender`` posts what it copied into ``chat``; ``receiver`` opens that chat and sees the post.

    ``chat`` is a group both are in; None means the two phones' 1:1 chat. Yields the receiver's WeChat,
    on the chat, with the post arrived. A group's floor is held from the post to the block's end: no
    other phone of the run posts there meanwhile, so the receiver's newest message is the sender's.
    The sender opens the chat and pastes before: that needs no floor. The receiver's WeChat comes up
    after the post: a message arriving at its chat list re-sorts the rows under a tap, and drops a
    banner over the title bar its chat is proven by.
    """
    to = chat or receiver.device.wechat_nickname  # the chat as the sender's WeChat names it
    back = chat or sender.device.wechat_nickname  # ... and as the receiver's does
    sender.wechat.open_chat(to, group=chat is not None)
    sender.wechat.paste()
    with sender.wechat.floor():
        sender.wechat.send()
        wechat = receiver.wechat
        wechat.open()
        wechat.open_chat(back, group=chat is not None)
        wechat.wait_for_link()
        yield wechat
