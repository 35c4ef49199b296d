"""Screen-state assertions by template matching: expect, expect_not, tap.

Waits poll screenshots (:func:`shareflow.wait.until`). Each poll takes one
screenshot for every state waited for, and a screenshot whose pixels did not
change is not matched again. iOS screenshots are in pixels while taps are in
points: a tap on a match converts with the ratio of the screenshot it was
found on to the window size.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

import cv2
import numpy as np
from appium import webdriver
from lxml import etree
from selenium.common.exceptions import WebDriverException

from shareflow.artifacts import ScreenshotMode
from shareflow.devices import Platform
from shareflow.errors import ProductFailure, UnrecognisedScreen
from shareflow.evidence import Evidence, annotate, beside
from shareflow.vision import ocr
from shareflow.vision.match import Box, Match, ScreenImage, find, find_all
from shareflow.vision.templates import Template, TemplateLibrary
from shareflow.wait import TimedOut, until

MOVING_LIMIT_S = 0.6  # a screen still changing after this long is matched all the same
DEFAULT_TIMEOUT_S = 20.0
CLOSEST_SHOWN = 3  # how many of the states waited for a failed wait names, closest first
OnMiss = Callable[[], object] | None
TEXT_ATTRIBUTES = {"android": "text", "ios": "label"}


class StateNotReached(TimedOut, UnrecognisedScreen):
    """A screen state was not shown in time (or did not go away); ``match`` is its best candidate, when known.

    A :class:`~shareflow.wait.TimedOut` (its message reads "Timed out after 20 s while waiting for
    screen state … Closest: …", naming the states waited for, closest first), and an unrecognised
    screen, not a product failure: a screen that shows nothing known proves nothing. The page object
    that recognises a known wrong state there raises :class:`WrongState` instead.
    """

    def __init__(self, message: str, match: Match | None = None) -> None:
        super().__init__(message)
        self.match = match


class WrongState(ProductFailure):
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


def screen_texts(source: str, platform: str) -> list[str]:
    """The texts a page source shows, in order, each once."""
    tree = etree.fromstring(source.encode("utf-8"))
    texts = (node.get(TEXT_ATTRIBUTES[platform], "").strip() for node in tree.iter())
    return list(dict.fromkeys(t for t in texts if t))


def _bare(text: str) -> str:
    """``text`` as words are compared with the node tree's: NFKC, without spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split())


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
        platform: Platform,
        templates: TemplateLibrary,
        evidence: Evidence,
        screenshots: ScreenshotMode = "on",
        density: float | None = None,
    ) -> None:
        self.driver = driver
        self.platform = platform
        self.templates = templates
        self.evidence = evidence
        self.screenshots = screenshots
        self.density = density  # pixels per logical unit, when the session tells it
        self._window: tuple[float, float] | None = None
        self._shot: tuple[str, bytes] | None = None  # the newest screenshot's digest and PNG
        self._image: ScreenImage | None = None  # ... decoded, once something looks at it
        self._steady = False  # whether the newest screenshot repeated the one before
        self._moving_since = 0.0  # when the screen began changing from poll to poll
        self._shown_since = 0.0  # when the newest screenshot's pixels first showed
        self._matches: dict[str, Match] = {}  # states already matched on that screenshot
        self._tree: list[str] | None = None  # the node tree's texts when that screenshot was matched (bare)
        self.guard: Callable[[], None] | None = None  # runs before a wait gives up; may raise a better reason

    # -- looking ---------------------------------------------------------------
    def refresh(self) -> bytes:
        """Take a fresh screenshot (its PNG); it is decoded only when looked at (:meth:`image`): a
        transition's frames, skipped by waits, never are."""
        data = self.driver.get_screenshot_as_png()
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if self._shot is None or self._shot[0] != digest:
            if self._steady or self._shot is None:
                self._moving_since = time.monotonic()
            self._shown_since = time.monotonic()
            self._shot, self._image, self._matches, self._steady = (digest, data), None, {}, False
            self._tree = None
        else:
            self._steady = True
        return data

    def image(self) -> ScreenImage:
        """The newest screenshot, decoded (once); when its pixels did not change, the one already matched."""
        if self._image is None:
            png = self._shot[1] if self._shot is not None else self.refresh()
            self._image = ScreenImage(decode_png(png))
        return self._image

    def screenshot(self) -> ScreenImage:
        """A fresh screenshot, decoded; when its pixels did not change, the one already prepared (and matched)."""
        self.refresh()
        return self.image()

    def still(self) -> bool:
        """Whether the newest screenshot has the same pixels as the one before it."""
        return self._steady

    def unchanged_for(self) -> float:
        """Seconds since the newest screenshot's pixels first showed (as far as polls saw)."""
        return time.monotonic() - self._shown_since

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
        return density / template.capture_scale if density and template.capture_scale else None

    def _match(self, state: str, screen: ScreenImage) -> Match:
        """``state``'s template matched on ``screen`` (once per screenshot)."""
        if state not in self._matches:
            template = self.templates.get(self.platform, state)
            self._matches[state] = find(
                screen, template, self._scale_hint(template, screen), tree_shows=self.tree_shows
            )
        return self._matches[state]

    def tree_shows(self, words: str) -> bool:
        """Whether a text of the node tree (its page source, read once per screenshot) holds ``words``
        exactly: what a state's words holding a character the recogniser confuses (已/己) are taken on
        where drawing them cannot tell (a font this machine lacks: PingFang SC) and the tree has them."""
        if self._tree is None:
            try:
                source = self.driver.page_source
            except WebDriverException:
                source = ""
            self._tree = [_bare(text) for text in screen_texts(source, self.platform)] if source else []
        want = _bare(words)
        return bool(want) and any(want in text for text in self._tree)

    def look(self, state: str) -> Look:
        """One screenshot, matched against ``state``'s template."""
        screen = self.screenshot()
        return Look(screen.bgr, self._match(state, screen))

    def find_all(self, state: str) -> list[Match]:
        """Every place ``state``'s template shows on a fresh screenshot, best first (each can be tapped)."""
        screen = self.screenshot()
        template = self.templates.get(self.platform, state)
        hint = self._scale_hint(template, screen)
        return find_all(screen, template, hint, found=self._match(state, screen), tree_shows=self.tree_shows)

    def words_after(self, head: Match, pattern: str, lines: int) -> Match | None:
        """Where words matching ``pattern`` (a regular expression) are written from ``head`` on: on its
        line or the ``lines`` below it, as tall as it, up to the screen's right edge — read by OCR
        from the newest screenshot. None when no line there holds them.

        A message whose head is a template (its 【淘宝】) but whose link moves with what comes before
        it (a slogan, a wrapped line) is tapped so: at the link's words, wherever they are.
        """
        if head.box is None:
            raise ValueError("a template that was not found has nothing after it")
        x, y, _, h = head.box
        return self.words(pattern, (x, y, self.image().width - x, h * lines))

    def words(self, pattern: str, region: Box | None = None, *, whole: bool = False) -> Match | None:
        """The first line of text (top to bottom) holding words that match ``pattern`` (a regular
        expression), read by OCR in ``region`` of the newest screenshot (all of it by default), as a
        match of those words alone; with ``whole``, the line's words must match entirely. None when
        no line does.

        For what shows on the screenshot only: a system alert the page source and the alert commands
        do not see (iOS 17's paste alert), a link inside a message.
        """
        image = self.image()
        for line in self.lines(region):
            words = line.words.strip()
            found = re.fullmatch(pattern, words) if whole else re.search(pattern, words)
            if found is None:
                continue
            lx, ly, lw, lh = line.box
            per_char = lw / max(len(words), 1)  # where the words are along the line, by their characters
            start, end = lx + per_char * found.start(), lx + per_char * found.end()
            box = (round(start), ly, max(1, round(end - start)), lh)
            return Match(True, round(line.score, 4), box, box, 1.0, 0.0, screen_size=(image.width, image.height))
        return None

    def lines(self, region: Box | None = None) -> list[ocr.Line]:
        """The lines of text OCR reads in ``region`` of the newest screenshot (all of it by default), top to
        bottom, their boxes in the screenshot's pixels; read once per screenshot and region."""
        image = self.image()
        return image.lines(region if region is not None else (0, 0, image.width, image.height))

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
        """Wait until one of ``states`` is on screen; returns which, and where.

        Raises :class:`StateNotReached` (an unrecognised screen) naming the states, closest first: each
        one's confidence against its threshold, and where (with the last screenshot and the best
        candidate's side-by-side as evidence).
        """
        sighting = Sighting(self, states, timeout)

        def between() -> None:
            if on_miss is not None and sighting.looked:
                on_miss()

        state, look = until(
            sighting,
            what="screen state " + " or ".join(repr(s) for s in states),
            timeout=timeout,
            between=between,
            closest=sighting.closest,
            fail=sighting.fail,
            moving=lambda: not sighting.looked,
        )
        if self.screenshots == "on":
            self.evidence.match(f"{state} found", look.screen, look.match, state)
        return state, look.match

    def expect_not(self, state: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Wait until ``state`` is no longer on screen."""
        shown: list[Look] = []

        def gone() -> bool | None:
            look = self.look(state)
            if look.match.found:
                shown[:] = [look]
                return None
            return True

        def closest() -> str:
            match = shown[0].match
            return f"still shown at confidence {match.confidence:.2f} at {list(match.box or ())}"

        def fail(message: str) -> StateNotReached:
            self.give_up()
            look = shown[0]
            if self.screenshots != "off":
                self.evidence.match(f"{state} still shown", look.screen, look.match, state, failure=True)
            return StateNotReached(message, look.match)

        until(gone, what=f"screen state {state!r} to go away", timeout=timeout, closest=closest, fail=fail)

    def describe(self, state: str, match: Match) -> str:
        """``state``'s candidate ``match`` in words: its confidence against the threshold, and where."""
        threshold = self.templates.get(self.platform, state).threshold
        where = list(match.best) if match.best else "nowhere"
        return f"{state!r} at confidence {match.confidence:.2f} (needs {threshold:.2f}) at {where}"

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
        if self.screenshots != "off":
            picture = annotate(self.image().bgr, match, state)
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

    def tap(
        self,
        target: str | Match,
        timeout: float = DEFAULT_TIMEOUT_S,
        *,
        at: tuple[float, float] = (0.5, 0.5),
        hold: float = 0.0,
    ) -> Match:
        """Tap a match at ``at`` (a point given as fractions of its box: the centre by default).

        Given a state, wait for it first (:meth:`expect`) and tap where it was found. ``hold`` (seconds)
        makes the tap a long press. Returns the match tapped.
        """
        match = self.expect(target, timeout) if isinstance(target, str) else target
        if match.screen_size is None:
            raise ValueError("a match without the size of its screenshot cannot be tapped")
        x, y = match.point(at)
        k = points_per_pixel(match.screen_size[0], self.window_size()[0])
        position = (round(x * k), round(y * k))
        if hold:
            self.driver.tap([position], round(hold * 1000))
        else:
            self.driver.tap([position])
        return match


class Sighting:
    """The probe of a screen wait: a screenshot per poll, matched against each state once the screen holds still.

    Frames of a transition still running are skipped (they are not looks that missed: pop-ups are not
    dismissed after them), except when the time is up: then the screen is matched as it is.
    """

    def __init__(self, screen: Screen, states: Sequence[str], timeout: float) -> None:
        self.screen, self.states = screen, list(states)
        # at most the wait's own deadline (set just after), so that its last try is a look
        self.deadline = time.monotonic() + timeout
        self.looked = False  # whether the newest poll matched the states (not a transition's frame)
        self.best: dict[str, Look] = {}  # each state's best look so far
        self.last: dict[str, Look] = {}  # each state's newest look

    def __call__(self) -> tuple[str, Look] | None:
        self.screen.refresh()
        self.looked = self.screen.settled() or time.monotonic() >= self.deadline
        if not self.looked:
            return None
        screen = self.screen.image()
        for state in self.states:
            look = self.last[state] = Look(screen.bgr, self.screen._match(state, screen))
            if look.match.found:
                return state, look
            if state not in self.best or look.match.confidence >= self.best[state].match.confidence:
                self.best[state] = look
        return None

    def nearest(self) -> tuple[str, Look]:
        """The state that came closest, and its best look."""
        return max(self.best.items(), key=lambda kv: kv[1].match.confidence)

    def closest(self) -> str:
        """The states waited for, closest first (at most :data:`CLOSEST_SHOWN`): confidence, threshold, where."""
        ranked = sorted(self.best.items(), key=lambda kv: kv[1].match.confidence, reverse=True)
        return "; ".join(self.screen.describe(state, look.match) for state, look in ranked[:CLOSEST_SHOWN])

    def fail(self, message: str) -> StateNotReached:
        """The guard runs first; then the last screenshot and the side-by-side of the best candidate are kept."""
        screen = self.screen
        screen.give_up()
        state, look = self.nearest()
        if screen.screenshots != "off":
            template = screen.templates.get(screen.platform, state)
            final = self.last[state]
            screen.evidence.match(f"{state} not reached", final.screen, final.match, state, failure=True)
            screen.evidence.comparison(state, template.image, look.screen, look.match, template.threshold)
        return StateNotReached(message, look.match)
