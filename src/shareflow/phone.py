"""A phone under test: its device entry, Appium session, screen and evidence."""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass, field

import allure
from appium import webdriver
from selenium.common.exceptions import WebDriverException

from shareflow.devices import Device
from shareflow.evidence import Evidence
from shareflow.screen import Screen, decode_png
from shareflow.session import open_driver
from shareflow.vision.templates import TemplateLibrary

LOG_TYPES = {"android": "logcat", "ios": "syslog"}
VIDEO_LIMIT_S = 1800


@dataclass
class Phone:
    """One phone's session for the length of a test."""

    device: Device
    driver: webdriver.Remote
    screen: Screen
    evidence: Evidence
    recording: bool = False
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def platform(self) -> str:
        return self.device.platform

    def attach_failure_evidence(self) -> None:
        """Last screen, page source and device log, for a failed test."""
        prefix = f"{self.name}: "
        try:
            self.evidence.image(prefix + "screen at failure", decode_png(self.driver.get_screenshot_as_png()))
            self.evidence.text(prefix + "page source", self.driver.page_source, "xml")
            lines = [entry["message"] for entry in self.driver.get_log(LOG_TYPES[self.platform])]
            self.evidence.text(prefix + "device log", "\n".join(lines))
        except WebDriverException as exc:
            self.evidence.text(prefix + "evidence unavailable", f"session gone before evidence was taken: {exc.msg}")

    def stop_video(self, keep: bool) -> None:
        """Stop recording; attach the MP4 when ``keep``."""
        if not self.recording:
            return
        self.recording = False
        try:
            data = base64.b64decode(self.driver.stop_recording_screen())
        except WebDriverException:
            return
        if keep and data:
            allure.attach(data, name=f"{self.name}: video", attachment_type=allure.attachment_type.MP4)
            path = self.evidence.folder / f"{self.name}-video.mp4"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self.evidence.files.append(path)

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
    device: Device, url: str, templates: TemplateLibrary, evidence: Evidence, screenshots: str, video: str
) -> Phone:
    """Open a session on ``device`` and wrap it for a test; ``evidence`` may be shared by a test's phones."""
    driver = open_driver(device, url)
    screen = Screen(driver, device.platform, templates, evidence, screenshots, density_of(driver, device.platform))
    phone = Phone(device, driver, screen, evidence)
    if video != "off":
        driver.start_recording_screen(timeLimit=VIDEO_LIMIT_S)
        phone.recording = True
    return phone
