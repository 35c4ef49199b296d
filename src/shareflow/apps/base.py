"""Page objects' common moves: find by locator, fall back to the template or the words on screen, retry taps."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence

import numpy as np
from lxml import etree
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.remote.webelement import WebElement

from shareflow.apps.locators import Locator, locators
from shareflow.errors import DeviceSetupError
from shareflow.phone import IN_FRONT, Phone
from shareflow.screen import StateNotReached
from shareflow.vision.match import Match
from shareflow.wait import TimedOut, tap_until, until

FIND_TIMEOUT_S = 15.0
PROOF_TIMEOUT_S = 6.0  # how long a tap's effect may take before the tap is retried
BANNER_SWIPE_MS = 150
# a tap caught by a banner that dropped in as it arrived is tried again: with one tap in three caught
# (the soak's heavy noise), all five are caught once in 400 taps
TAP_TRIES = 5
INTERRUPTING_APPS = ("taobao", "wechat", "system")
# Scrolling a list to what is looked for (tap's ``scroll``): swipes of half the list, slow enough that a real
# list does not fling far past the finger; after each, the list is given LIST_SETTLE_S to come to rest.
LIST_SWIPE_MS = 800
LIST_SETTLE_S = 3.0
LIST_END_SWIPES = 2  # swipes in a row that move a list nothing: its end (one alone may have been swallowed)
LIST_FIND_TIMEOUT_S = 60.0  # a search that swipes through a list may take longer than FIND_TIMEOUT_S
# a pop-up stands until it is answered: its words (OCR, ~0.5 s a screen) are read only on a screen that
# has not changed for this long, never on each page a flow passes through (which its wait matches first)
POPUP_STANDS_S = 0.5
MIDDLE_BAND = (0.25, 0.75)  # where a list with neither an element nor a band of its own is swiped


class ElementNotShown(StateNotReached):
    """An element the flow needs is neither in the node tree nor on screen (in time, when it was waited for)."""


class EmptyTree(DeviceSetupError):
    """An element is looked up in the node tree, and the app's tree is empty: the phone is not set up for it."""


def empty_tree(source: str, package: str) -> bool:
    """Whether the page source holds ``package``'s window as a root with no children (UiAutomator2's dump of
    an app that keeps its views from it: WeChat from about 8.0.61 without an accessibility service)."""
    nodes = [node for node in etree.fromstring(source.encode("utf-8")).iter() if node.get("package") == package]
    return bool(nodes) and all(len(node) == 0 for node in nodes)


class PageObject:
    """An app on one phone; subclasses name ``app`` ("taobao", "wechat")."""

    app = ""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.driver = phone.driver
        self.screen = phone.screen
        self.platform = phone.platform
        self.locators = locators(self.app)
        self.version = phone.device.apps.get(self.app, "")
        self._last_closed = ""  # the pop-up whose × the last dismiss_interruptions tapped
        phone.apps[self.app] = self.package

    @property
    def package(self) -> str:
        return self.locators.package(self.platform)

    def not_shown(self, message: str, by_tree: str = "") -> ElementNotShown:
        """The failure of an element the flow needs, once the phone's guard found its apps in front, and,
        when it was looked up in the node tree (``by_tree``: which element), the tree was not empty."""
        self.screen.give_up()
        if by_tree:
            self.check_tree(by_tree)
        return ElementNotShown(message)

    def check_tree(self, what: str) -> None:
        """Raise :class:`EmptyTree` when the app's page source is an empty tree: element ``what``, looked up
        in it, cannot be found there. Called once a lookup gave up, not per poll. A session that does not
        give the page source leaves the failure as it was."""
        try:
            if not empty_tree(self.driver.page_source, self.package):
                return
        except (WebDriverException, etree.XMLSyntaxError):
            return
        device = self.phone.device
        if device.accessibility_service:
            fix = "its devices.yaml entry says an accessibility service is on: check on the phone that one is"
        else:
            fix = (
                "turn on an accessibility service on the phone (TalkBack, say) and set "
                "`accessibility_service: true` on its devices.yaml entry"
            )
        if self.app not in device.apps:
            fix += (
                f"; or give its {self.app} version there (apps: {{{self.app}: ...}}): the locators of a version "
                "that hides the tree find its elements by template and OCR instead"
            )
        raise EmptyTree(
            f"{device.name}: {self.app}'s node tree is empty (its page source is a root with no children), "
            f"and element {what!r} is looked up in it: the phone is not set up for this step. WeChat from "
            f"8.0.61 on Android empties its tree unless an accessibility service is on: {fix}"
        )

    def locator(self, what: str, **fmt: str) -> Locator:
        return self.locators.get(what, self.platform, self.version, **fmt)

    def element(self, what: str, timeout: float = FIND_TIMEOUT_S, **fmt: str) -> WebElement | None:
        """The element by its locator (the last match, the one drawn on top), or ``None``; raises
        :class:`EmptyTree` instead of ``None`` when the app's node tree is empty.

        Android's source lists windows top first (UiAutomator2's ``enableMultiWindows``): the app's window,
        the lowest, comes last, and within it the last match is drawn on top.
        """
        selector = self.locator(what, **fmt).selector
        if selector is None:
            return None

        def shown() -> WebElement | None:
            found = self.driver.find_elements(*selector)
            return found[-1] if found else None

        try:
            return until(shown, what=f"{self.app}: element {what!r}", timeout=timeout)
        except TimedOut:
            self.check_tree(what)
            return None

    def reset(self) -> None:
        """Stop the app, so that the next step starts it afresh."""
        self.driver.execute_script("mobile: terminateApp", self.locators.app_id(self.platform))

    def dismiss_interruptions(self) -> bool:
        """Clear what came over the page: swipe away banners (``transient``), close pop-ups (``interruptions``).

        An entry's ``unless`` names an element whose own close button looks the same on the screenshot
        (Taobao's clipboard card): while it shows, a button seen there only is left alone.
        One pop-up is closed per call. When pop-ups are stacked, the × of the one underneath takes no tap
        (the one on top catches it), and the node tree does not say which is on top: a pop-up whose ×
        was tapped by the call before and is still shown yields to the next one shown.
        Returns whether anything was cleared.
        """
        cleared = False
        shown: list[tuple[str, WebElement | Match]] = []  # (pop-up, its close button) of each pop-up up now
        stood: list[bool] = []  # whether a fresh screenshot stood still long enough to look for pop-ups on it

        def standing() -> bool:
            if not stood:
                self.screen.refresh()  # not a screenshot taken before the pop-up went
                stood.append(self.screen.unchanged_for() >= POPUP_STANDS_S)
            return stood[0]

        for app in INTERRUPTING_APPS:
            other = locators(app)
            version = self.phone.device.apps.get(app, "")
            for name in other.data.get("transient", []):
                selector = other.get(name, self.platform, version).selector
                for banner in self.driver.find_elements(*selector) if selector else []:
                    cleared = self._swipe_away(banner) or cleared
            for entry in other.data.get("interruptions", []):
                up = other.get(entry["shown"], self.platform, version)
                close = other.get(entry["close"], self.platform, version)
                button = self._close_button(up, close, app, standing)
                if isinstance(button, Match) and "unless" in entry:  # seen on the screen only: whose × is it?
                    button = None if self._shows(other.get(entry["unless"], self.platform, version)) else button
                if button is not None:
                    shown.append((f"{app}.{entry['shown']}", button))
        ahead = [pair for pair in shown if pair[0] != self._last_closed] + [
            p for p in shown if p[0] == self._last_closed
        ]
        for name, button in ahead[:1]:
            self._last_closed = name
            if isinstance(button, Match):
                self.screen.tap(button)
                return True
            if self._click(button):
                return True
        return cleared

    def _close_button(
        self, up: Locator, close: Locator, app: str, standing: Callable[[], bool]
    ) -> WebElement | Match | None:
        """The close button of the pop-up ``up`` when it is shown: its element, or, where no selector finds
        either (the node tree hides them: WeChat's own pop-ups on Android from 8.0.55; or nobody has
        published them: Taobao's pop-ups on iPhones), the close button's words (once the pop-up's own words
        show, where it names them) or template found on a fresh screenshot once the screen stood still for
        :data:`POPUP_STANDS_S` (``standing``, asked once per round): looking at the whole screen is slow,
        and a pop-up stands until answered — and only while its ``app`` is in front. A pop-up of
        another app than this page object's counts too: WeChat asks on a cold start, which may be Taobao's
        jump to it. None when it is not shown (or not yet known to be)."""
        if up.selector is not None and close.selector is not None:
            found = self.driver.find_elements(*up.selector)
            button = self._nearest(self.driver.find_elements(*close.selector), found[0]) if found else None
            return button if button is not None and self._uncovered(button) else None
        if up.selector is not None or close.selector is not None or (close.words or close.template) is None:
            return None
        if not standing() or not self._in_front(app):
            return None
        if up.words is not None and up.words != close.words and self.screen.words(up.words, whole=True) is None:
            return None  # its button's words (允许) may be another pop-up's too: the pop-up's own words first
        if close.words is not None:
            return self.screen.words(close.words, whole=True)
        match = self.screen.look(str(close.template)).match
        return match if match.found else None

    def _shows(self, locator: Locator) -> bool:
        """Whether the element ``locator`` finds is on screen now: in the node tree, else by its template."""
        if locator.selector is not None and self.driver.find_elements(*locator.selector):
            return True
        return locator.template is not None and self.screen.look(locator.template).match.found

    def _in_front(self, app: str) -> bool:
        """Whether ``app`` is in front (``mobile: queryAppState``, both drivers); True when the session cannot tell."""
        try:
            return bool(
                self.driver.execute_script("mobile: queryAppState", locators(app).app_id(self.platform)) == IN_FRONT
            )
        except WebDriverException:
            return True

    def _uncovered(self, button: WebElement) -> bool:
        """Whether a tap on ``button`` reaches it: XCUITest's ``hittable`` (false when another element is drawn over
        it: appium-xcuitest-driver #1918); UiAutomator2 has no such attribute, so there it counts as uncovered.

        A pop-up under another one (Taobao's promotion under its clipboard card) is left alone: a tap on its ×
        would land on what covers it (the card's 查看详情, on iPhone 15 Plus)."""
        if self.platform != "ios":
            return True
        try:
            return button.get_attribute("hittable") != "false"
        except (StaleElementReferenceException, NoSuchElementException):
            return False

    @staticmethod
    def _nearest(buttons: Sequence[WebElement], shown: WebElement) -> WebElement | None:
        """The close button of the pop-up ``shown`` belongs to: of those found, the one nearest to it.

        Pop-ups share their close button's label (iOS: every round × is 关闭, Taobao's clipboard card's
        as well as its promotion's), so the last one in the tree may close another pop-up; a pop-up's own
        × sits next to it. None when the pop-up or every button went meanwhile (an ordinary race).
        """

        def centre(element: WebElement) -> tuple[float, float]:
            r = element.rect
            return r["x"] + r["width"] / 2, r["y"] + r["height"] / 2

        try:
            at = centre(shown)
            distances = [(math.dist(at, centre(b)), i) for i, b in enumerate(buttons)]
        except (StaleElementReferenceException, NoSuchElementException):
            return None
        return buttons[min(distances)[1]] if distances else None

    def _swipe_away(self, banner: WebElement) -> bool:
        """Swipe a banner up and away; False when it went by itself first (an ordinary race: look again later)."""
        try:
            r = banner.rect
        except (StaleElementReferenceException, NoSuchElementException):
            return False
        x, y = r["x"] + r["width"] / 2, r["y"] + r["height"] / 2
        self.driver.swipe(x, y, x, max(1, r["y"] - r["height"]), BANNER_SWIPE_MS)
        return True

    def _click(self, element: WebElement, hold: float = 0.0) -> bool:
        """Click ``element`` (press it ``hold`` seconds, if given); False when it disappeared meanwhile (the
        pop-up closed by itself)."""
        try:
            if hold:
                ActionChains(self.driver).click_and_hold(element).pause(hold).release().perform()
            else:
                element.click()
        except (StaleElementReferenceException, NoSuchElementException):
            return False
        return True

    def _tap_once(
        self,
        what: str,
        timeout: float,
        done: Sequence[str] = (),
        hold: float = 0.0,
        scroll: str | None = None,
        **fmt: str,
    ) -> bool:
        """Clear what came over the page, then tap ``what`` (its locator, else its template, else, when the
        node tree hides it, its words read by OCR) once it shows; ``hold``: press it that many seconds.

        The template and the words need no node tree: they are how an element is found in an app that
        hides its tree (WeChat on Android from about 8.0.61). Returns False, without tapping, when
        instead one of the states ``done`` shows: an earlier tap took effect late and took ``what``
        away. Raises :class:`ElementNotShown` when neither shows within ``timeout`` (naming the
        template's best candidate, when ``what`` has a template), or :class:`EmptyTree` when its locator
        looked in the node tree and the app's tree is empty.

        ``scroll`` names the list ``what`` is in: while ``what`` is not shown, the list is swiped
        (:meth:`_swipe_list`) towards its end, then back towards its start; an element of the tree counts
        once its centre is inside the list. When the list stopped moving both ways (:data:`LIST_END_SWIPES`
        swipes in a row that moved nothing: a phone may swallow one), ``what`` is not in it:
        :class:`ElementNotShown` at once.
        """
        locator = self.locator(what, **fmt)
        seen: list[Match] = []  # the template's newest candidate
        way = [1, 0]  # scroll: +1 while swiping towards the list's end, -1 back; swipes in a row that moved nothing

        def tapped() -> bool | None:
            if locator.selector is not None:
                found = self.driver.find_elements(*locator.selector)
                if scroll is not None and found:
                    area = self._list_area(scroll)
                    found = [e for e in found if self._inside(e, area)]
                if found and self._click(found[-1], hold):
                    return True
            if locator.template is not None and (locator.selector is None or not locator.beside):
                match = self.screen.look(locator.template).match
                if match.found:
                    self.screen.tap(match, at=locator.at, hold=hold)
                    return True
                seen[:] = [match]
            if locator.words is not None and locator.selector is None:  # OCR (slow) only when the tree hides it
                if locator.template is None:
                    self.screen.refresh()
                line = self.screen.words(locator.words, whole=True)
                if line is not None:
                    self.screen.tap(line, hold=hold)
                    return True
            if any(self.screen.sees(state) for state in done):
                return False
            if scroll is not None:
                way[1] = 0 if self._swipe_list(scroll, way[0]) else way[1] + 1
                if way[1] >= LIST_END_SWIPES and way[0] < 0:
                    named = ", ".join(f"{k}={v!r}" for k, v in fmt.items())
                    raise self.not_shown(
                        f"{self.app}: no element {what!r}{f' ({named})' if named else ''} (by {how}) in the list "
                        f"{scroll!r}: swiped through it from end to end",
                        by_tree=what if locator.selector is not None else "",
                    )
                if way[1] >= LIST_END_SWIPES:
                    way[:] = [-1, 0]  # at the list's end: back towards its start
            return None

        def closest() -> str | None:
            return self.screen.describe(locator.template, seen[0]) if locator.template and seen else None

        how = " or ".join(
            part
            for part in (
                f"locator {locator.selector[1]!r}" if locator.selector else "",
                f"template {locator.template!r}" if locator.template else "",
                f"words {locator.words!r}" if locator.words else "",
            )
            if part
        )
        self.dismiss_interruptions()
        return until(
            tapped,
            what=f"{self.app}: element {what!r} (by {how})",
            timeout=timeout if scroll is None else max(timeout, LIST_FIND_TIMEOUT_S),
            between=self.dismiss_interruptions,
            closest=closest,
            fail=lambda message: self.not_shown(message, by_tree=what if locator.selector is not None else ""),
        )

    def tap(
        self,
        what: str,
        proof: str | Sequence[str],
        timeout: float = FIND_TIMEOUT_S,
        hold: float = 0.0,
        scroll: str | None = None,
        **fmt: str,
    ) -> str:
        """Tap element ``what`` (a long press, with ``hold`` seconds) until screen state ``proof`` (or one of
        several) shows; returns which. ``scroll``: the list ``what`` is in (a locator), swiped until it shows.

        A promotion or a notification banner may catch a tap: then the proof
        does not show, the interruption is dismissed and the tap repeated.
        """
        proofs = [proof] if isinstance(proof, str) else list(proof)
        return tap_until(
            # a tap after the first looks for the proof too: it may show after all, an earlier tap being late
            lambda attempt: self._tap_once(what, timeout, proofs if attempt else (), hold, scroll, **fmt),
            lambda seconds: self.screen.expect_any(proofs, seconds, self.dismiss_interruptions)[0],
            TAP_TRIES,
            patience=PROOF_TIMEOUT_S,
            timeout=timeout,
        )

    # -- lists ------------------------------------------------------------------------------------------------
    def _list_area(self, what: str) -> tuple[float, float, float, float]:
        """Where list ``what`` is, in window units (x, y, width, height): its element's rect where the node
        tree has it, else its locator's ``band`` of the window (a middle band, when it has none)."""
        locator = self.locator(what)
        found = self.driver.find_elements(*locator.selector) if locator.selector is not None else []
        if found:
            with contextlib.suppress(StaleElementReferenceException, NoSuchElementException):
                r = found[-1].rect
                return float(r["x"]), float(r["y"]), float(r["width"]), float(r["height"])
        return self._band_area(locator.band or MIDDLE_BAND)

    def _band_area(self, band: tuple[float, float]) -> tuple[float, float, float, float]:
        """A band of the window (``[top, bottom]``, fractions of its height) in window units (x, y, width, height)."""
        top, bottom = band
        width, height = self.screen.window_size()
        return 0.0, height * top, width, height * (bottom - top)

    @staticmethod
    def _inside(element: WebElement, area: tuple[float, float, float, float]) -> bool:
        """Whether ``element``'s centre is inside ``area`` (a list's, in window units): a row scrolled mostly
        out of view, or reported with its whole frame (XCUITest), is not to be tapped there."""
        try:
            r = element.rect
        except (StaleElementReferenceException, NoSuchElementException):
            return False
        x, y = float(r["x"] + r["width"] / 2), float(r["y"] + r["height"] / 2)
        return area[0] <= x <= area[0] + area[2] and area[1] <= y <= area[1] + area[3]

    def _list_pixels(self, area: tuple[float, float, float, float]) -> np.ndarray:
        """The newest screenshot's pixels inside ``area`` (window units: points on iOS, pixels on Android)."""
        image = self.screen.image()
        k = image.width / self.screen.window_size()[0]
        x, y, w, h = (round(v * k) for v in area)
        return image.bgr[y : y + h, x : x + w].copy()

    def _swipe_list(self, what: str, way: int) -> bool:
        """Swipe list ``what`` by half its height (``way`` +1: what is below comes into view; -1: what is
        above), through the W3C actions of the driver, as on a real phone; returns whether the list moved.

        Once the list holds still (two screenshots alike, within LIST_SETTLE_S: a real list may fling on),
        it is compared with how it was before the swipe: alike, it was at its end.
        """
        area = self._list_area(what)
        self.screen.refresh()
        before = self._list_pixels(area)
        x, y, w, h = area
        low, high = round(y + h * 0.75), round(y + h * 0.25)
        start, end = (low, high) if way > 0 else (high, low)
        self.driver.swipe(round(x + w / 2), start, round(x + w / 2), end, LIST_SWIPE_MS)

        def resting() -> bool | None:
            self.screen.refresh()
            return True if self.screen.still() else None

        with contextlib.suppress(TimedOut):
            until(resting, what=f"{self.app}: the list {what!r} to hold still", timeout=LIST_SETTLE_S)
        return not bool(np.array_equal(before, self._list_pixels(area)))
