"""What evidence a test keeps, decided in one place (as pytest-playwright's artifacts recorder does).

``--shareflow-screenshot``:

- ``on`` (default): every step's annotated screenshot, and on failure the pictures of the state not
  reached (the screen, the expected-vs-best-candidate side-by-side) and each phone's screen at failure;
- ``only-on-failure``: the failure's pictures only;
- ``off``: no picture at all.

``--shareflow-video``: each phone's screen is recorded for the test unless ``off``; the recording is
kept for every test with ``on``, for a failed one with ``retain-on-failure``.

Whatever the modes, a failed test gets each phone's page source and device log. Everything goes into
the test's folder and into Allure, through :attr:`Artifacts.evidence`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import allure

from shareflow.errors import UsageError
from shareflow.evidence import Evidence

if TYPE_CHECKING:
    from shareflow.phone import Phone

ScreenshotMode = Literal["on", "off", "only-on-failure"]  # pytest-playwright's --screenshot
VideoMode = Literal["on", "off", "retain-on-failure"]  # pytest-playwright's --video
SCREENSHOT_MODES: tuple[ScreenshotMode, ...] = get_args(ScreenshotMode)
VIDEO_MODES: tuple[VideoMode, ...] = get_args(VideoMode)


class Artifacts:
    """One test's evidence recorder: its folder, and what to take and keep on pass and on failure."""

    def __init__(self, folder: Path, screenshot: ScreenshotMode = "on", video: VideoMode = "off") -> None:
        if screenshot not in SCREENSHOT_MODES:
            raise UsageError(f"screenshot mode {screenshot!r}: expected one of {', '.join(SCREENSHOT_MODES)}")
        if video not in VIDEO_MODES:
            raise UsageError(f"video mode {video!r}: expected one of {', '.join(VIDEO_MODES)}")
        self.folder = folder
        self.screenshot = screenshot
        self.video = video
        self.evidence = Evidence(folder)
        self.phones: list[Phone] = []  # the test's phones, in the order they were opened
        self.finished = False

    # -- the policy ----------------------------------------------------------------------------
    @property
    def screen_mode(self) -> ScreenshotMode:
        """What a phone's screen shoots while the test runs: step shots with ``on``, failure pictures unless ``off``."""
        return self.screenshot

    @property
    def records_video(self) -> bool:
        return self.video != "off"

    def keeps_video(self, failed: bool) -> bool:
        return self.video == "on" or (failed and self.video == "retain-on-failure")

    @property
    def screen_at_failure(self) -> bool:
        return self.screenshot != "off"

    # -- the test's life -------------------------------------------------------------------------
    def watch(self, phone: Phone) -> None:
        """A phone of the test, ready: its screen is recorded from now on when a video may be kept."""
        if self.records_video:
            phone.start_video()
        self.phones.append(phone)

    def finish(self, failed: bool) -> None:
        """The test's closing evidence, once, attached to the test itself.

        A failure adds a "failure evidence" step: each phone's screen at failure, page source, device
        log and video. A pass keeps the videos with ``--shareflow-video on``.
        """
        if self.finished or not self.phones:
            return
        self.finished = True
        if not failed:
            for phone in self.phones:
                phone.stop_video(keep=self.keeps_video(failed=False))
            return
        with allure.step("failure evidence"):
            for phone in self.phones:
                phone.attach_failure_evidence(screen=self.screen_at_failure)
                phone.stop_video(keep=self.keeps_video(failed=True))

    def discard(self) -> None:
        """Stop the recordings still running, keeping nothing (the test never reached its end)."""
        for phone in self.phones:
            phone.stop_video(keep=False)
