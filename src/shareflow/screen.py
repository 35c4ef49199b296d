"""Screen-state assertions by template matching: expect, expect_not, tap.

Waits poll screenshots with a deadline. Each poll takes one screenshot for
every state waited for, and a screenshot whose pixels did not change is not
matched again. iOS screenshots are in pixels while taps are in points: taps
convert with the ratio of the screenshot to the window size.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

import cv2
import numpy as np
from appium import webdriver

from shareflow.evidence import Evidence, annotate, beside
from shareflow.vision.match import Box, Match, ScreenImage, find, find_all
from shareflow.vision.templates import Template, TemplateLibrary

POLL_S = 0.05  # pause between screenshots that showed nothing new
MOVING_LIMIT_S = 0.6  # a screen still changing after this long is matched all the same
DEFAULT_TIMEOUT_S = 20.0
OnMiss = Callable[[], object] | None


class StateNotReached(AssertionError):
    """A screen state was not shown in time (or did not go away); ``match`` is its best candidate, when known."""

    def __init__(self, message: str, match: Match | None = None) -> None:
        super().__init__(message)
        self.match = match


class WrongState(AssertionError):
    """A known wrong state, positively recognised on screen: a product failure, with its proof.

    ``state`` is the state recognised; ``box`` (screenshot pixels) where the picture shows the problem.
    """

    def __init__(self, message: str, state: str, box: Box | None) -> None:
        super().__init__(message)
        self.state = state
        self.box = box


@dataclass(frozen=True)
class Look:
    """One screenshot and what was found on it."""

    screen: np.ndarray
    match: Match


def decode_png(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("the screenshot is not a readable image")
    return image


def points_per_pixel(screenshot_width: int, window_width: float) -> float:
    """How many tap units one screenshot pixel is (1 on Android, 1/scale on iOS)."""
    return window_width / screenshot_width


class Screen:
    """What a phone shows, asserted through templates of screen states."""

    def __init__(
        self,
        driver: webdriver.Remote,
        platform: str,
        templates: TemplateLibrary,
        evidence: Evidence,
        screenshots: str = "on",
        density: float | None = None,
    ) -> None:
        self.driver = driver
        self.platform = platform
        self.templates = templates
        self.evidence = evidence
        self.screenshots = screenshots  # on | off | only-on-failure
        self.density = density  # pixels per logical unit, when the session tells it
        self._window: tuple[float, float] | None = None
        self._shot: tuple[str, ScreenImage] | None = None  # the newest screenshot and its digest
        self._steady = False  # whether the newest screenshot repeated the one before
        self._moving_since = 0.0  # when the screen began changing from poll to poll
        self._matches: dict[str, Match] = {}  # states already matched on that screenshot
        self.guard: Callable[[], None] | None = None  # runs before a wait gives up; may raise a better reason

    # -- looking ---------------------------------------------------------------
    def screenshot(self) -> ScreenImage:
        """A fresh screenshot; when its pixels did not change, the one already prepared (and matched)."""
        data = self.driver.get_screenshot_as_png()
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if self._shot is None or self._shot[0] != digest:
            if self._steady or self._shot is None:
                self._moving_since = time.monotonic()
            self._shot, self._matches, self._steady = (digest, ScreenImage(decode_png(data))), {}, False
        else:
            self._steady = True
        return self._shot[1]

    def still(self) -> bool:
        """Whether the newest screenshot has the same pixels as the one before it."""
        return self._steady

    def settled(self) -> bool:
        """Whether the newest screenshot is worth matching: it repeated, or the screen keeps changing.

        Frames of a transition that is still running are skipped: they rarely show a
        state, and matching each one costs more than the next screenshot.
        """
        return self.still() or time.monotonic() - self._moving_since >= MOVING_LIMIT_S

    def _scale_hint(self, template: Template, screen: ScreenImage) -> float | None:
        density = self.density
        if density is None and self.platform == "ios":
            density = screen.width / self.window_size()[0]
        return density / template.capture_scale if density else None

    def _match(self, state: str, screen: ScreenImage) -> Match:
        """``state``'s template matched on ``screen`` (once per screenshot)."""
        if state not in self._matches:
            template = self.templates.get(self.platform, state)
            self._matches[state] = find(
                screen,
                template.image,
                threshold=template.threshold,
                scale_hint=self._scale_hint(template, screen),
                capture_resolution=template.capture_resolution,
                region=template.region_box(screen.width, screen.height),
                mask=template.mask,
                text=template.text,
                text_box=template.text_box,
            )
        return self._matches[state]

    def look(self, state: str) -> Look:
        """One screenshot, matched against ``state``'s template."""
        screen = self.screenshot()
        return Look(screen.bgr, self._match(state, screen))

    def find_all(self, state: str) -> tuple[list[Box], np.ndarray]:
        """Every place ``state``'s template shows on a fresh screenshot, and that screenshot."""
        screen = self.screenshot()
        match = self._match(state, screen)
        if not match.found:
            return [], screen.bgr
        template = self.templates.get(self.platform, state)
        found = find_all(
            screen, template.image, match.scale, template.threshold, template.mask, template.text, template.text_box
        )
        return [m.box for m in found if m.box is not None], screen.bgr

    def sees(self, state: str) -> bool:
        """Whether ``state`` is on screen right now (no waiting)."""
        return self.look(state).match.found

    # -- assertions ---------------------------------------------------------------
    def expect(self, state: str, timeout: float = DEFAULT_TIMEOUT_S, on_miss: OnMiss = None) -> Match:
        """Wait until ``state`` is on screen; fail with the best candidate when it is not.

        ``on_miss`` runs after each look that did not find it (to dismiss pop-ups).
        """
        return self.expect_any([state], timeout, on_miss)[1]

    def expect_any(
        self, states: Sequence[str], timeout: float = DEFAULT_TIMEOUT_S, on_miss: OnMiss = None
    ) -> tuple[str, Match]:
        """Wait until one of ``states`` is on screen; returns which, and where."""
        deadline = time.monotonic() + timeout
        best: dict[str, Look] = {}
        last: dict[str, Look] = {}
        while True:
            screen = self.screenshot()
            if not self.settled() and time.monotonic() < deadline:
                time.sleep(POLL_S)
                continue
            for state in states:
                look = last[state] = Look(screen.bgr, self._match(state, screen))
                if look.match.found:
                    if self.screenshots == "on":
                        self.evidence.match(f"{state} found", look.screen, look.match, state)
                    return state, look.match
                if state not in best or look.match.confidence >= best[state].match.confidence:
                    best[state] = look
            if time.monotonic() >= deadline:
                break
            if on_miss is not None:
                on_miss()
            time.sleep(POLL_S)
        self.give_up()
        state, look = max(best.items(), key=lambda kv: kv[1].match.confidence)
        template = self.templates.get(self.platform, state)
        if self.screenshots != "off":
            final = last[state]
            self.evidence.match(f"{state} not reached", final.screen, final.match, state, failure=True)
            self.evidence.comparison(state, template.image, look.screen, look.match, template.threshold)
        wanted = " or ".join(repr(s) for s in states)
        raise StateNotReached(
            f"screen state {wanted} not reached within {timeout:.0f} s: best was {state!r} at confidence "
            f"{look.match.confidence:.2f} (needs {template.threshold:.2f}) "
            f"at {list(look.match.best) if look.match.best else 'nowhere'}",
            look.match,
        )

    def expect_not(self, state: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Wait until ``state`` is no longer on screen."""
        deadline = time.monotonic() + timeout
        while True:
            look = self.look(state)
            if not look.match.found:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_S)
        self.give_up()
        if self.screenshots != "off":
            self.evidence.match(f"{state} still shown", look.screen, look.match, state, failure=True)
        raise StateNotReached(
            f"screen state {state!r} still shown after {timeout:.0f} s "
            f"(confidence {look.match.confidence:.2f} at {list(look.match.box or ())})"
        )

    def give_up(self) -> None:
        """A wait is about to fail: the guard (the phone's check that the apps under test are in front) runs first."""
        if self.guard is not None:
            self.guard()

    # -- proof of a wrong state --------------------------------------------------
    def prove(self, state: str, match: Match, message: str, note: Sequence[str] = ()) -> NoReturn:
        """Fail on ``state``, a known wrong state just recognised at ``match``: the screen, boxed, is the proof.

        ``note`` lines (what the phone said besides: a clipboard's content, the texts on the page) are
        drawn beside the screen. Raises :class:`WrongState`.
        """
        assert self._shot is not None
        if self.screenshots != "off":
            picture = annotate(self._shot[1].bgr, match, state)
            name = f"{state} shown: {message}"
            self.evidence.image(name, beside(picture, note) if note else picture)
        raise WrongState(message, state, match.box)

    def prove_absent(self, state: str, on: str, message: str) -> None:
        """Fail when ``on`` is recognised but ``state``, which it should show, is not: the side-by-side is the proof.

        Returns (does nothing) when ``on`` is not recognised: an unknown screen proves nothing.
        """
        screen = self.screenshot()
        shown, missing = self._match(on, screen), self._match(state, screen)
        if not shown.found or missing.found:
            return
        template = self.templates.get(self.platform, state)
        if self.screenshots != "off":
            self.evidence.match(f"{on} shown without {state}", screen.bgr, missing, state, failure=True)
            self.evidence.comparison(state, template.image, screen.bgr, missing, template.threshold)
        raise WrongState(message, on, missing.best)

    # -- touching ---------------------------------------------------------------
    def window_size(self) -> tuple[float, float]:
        if self._window is None:
            size = self.driver.get_window_size()
            self._window = (float(size["width"]), float(size["height"]))
        return self._window

    def to_tap_units(self, x: float, y: float, screenshot_width: int) -> tuple[int, int]:
        """Screenshot pixels → the units taps take (points on iOS)."""
        k = points_per_pixel(screenshot_width, self.window_size()[0])
        return round(x * k), round(y * k)

    def tap_at(self, x: float, y: float, screenshot_width: int) -> None:
        """Tap a place given in screenshot pixels."""
        self.driver.tap([self.to_tap_units(x, y, screenshot_width)])

    def tap(self, state: str, timeout: float = DEFAULT_TIMEOUT_S) -> Match:
        """Wait for ``state`` and tap the middle of where it was found."""
        match = self.expect(state, timeout)
        assert match.center is not None
        assert self._shot is not None
        self.tap_at(*match.center, self._shot[1].width)
        return match
