"""``shareflow calibrate``: a template library recorded on one phone, by walking the suites' flows on it.

The walk is the suites' own: the page objects take the steps of the reporter's flow (open the item, share
it to WeChat, paste it into the group, send, tap the link, open the item in Taobao, buy), then of its Tao
password copied from the group into Taobao, then of a link of each kind of the suites' data sent into the
group and tapped. Where a step waits for a screen state,
the screen (:class:`CalibratingScreen`) first looks for where that state shows on the phone itself, once
the screen holds still:

1. by the element: the page objects' locator whose template is that state (``template:`` in
   ``apps/*.yaml``), else the locator the shipped template was recorded from (its sidecar's
   ``source.locator``), in the node tree;
2. by the words: the words the shipped template shows (declared, else read), read by OCR on the
   screenshot (the lowest line holding them: the newest message, the tab bar);
3. by ``--rect STATE=x,y,w,h``, when neither finds it, the step waits for that state alone and the screen
   changed since the last state seen (more than its status bar: the clock ticks on a screen left as it was);
4. by asking (stdin a terminal), under the same conditions.

Nothing is recorded while a banner or a pop-up the page objects clear is up (their ``transient`` and
``interruptions``): the wait dismisses it and looks again. There it cuts the new template, shaped as the
shipped one (its size at this phone's density, its words where the shipped template has its words), or
the rectangle given as it is; from then on the walk matches that state with the new template. A state the
walk never waits for, or waits for where it does not show (WeChat's blocked page shows only when WeChat
blocks), is not reached.

Once the walk is over, each new template must find itself on the screenshot it was cut from and must not
be found on the screenshot of any other state recorded, unless the state shows there too: at the place it
was cut from (the voice button under the paste menu), or by its element or words; a template that fails
either is left out. What is left is written, with
``calibrate-report.json``, to ``<out>/<device or profile>/<platform>/<app>-<version>/``, built in a
temporary folder beside it and moved into place at the end: an error leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml
from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import WebDriverException

from shareflow import clipboard
from shareflow.apps.base import INTERRUPTING_APPS
from shareflow.apps.hema import Hema
from shareflow.apps.locators import locators
from shareflow.artifacts import ScreenshotMode
from shareflow.capture import TRIM_TOLERANCE, trim_bounds
from shareflow.devices import Device, Platform
from shareflow.errors import DeviceSetupError, InfrastructureError, UsageError
from shareflow.evidence import Evidence
from shareflow.links import HOSTS, LINK_KINDS, LinkKind
from shareflow.phone import Phone
from shareflow.screen import DEFAULT_TIMEOUT_S, OnMiss, Screen, StateNotReached, decode_png
from shareflow.vision import ocr
from shareflow.vision.match import Box, Match, ScreenImage, TemplateError, check_template, find
from shareflow.vision.template_text import save_words
from shareflow.vision.templates import (
    Template,
    TemplateLibrary,
    app_folder,
    folder_name,
    read_meta,
    template_from,
)
from shareflow.wait import TimedOut

REPORT = "calibrate-report.json"
APPS = ("taobao", "wechat")  # the apps the page objects drive
PAD = 6  # pixels of margin kept around a rectangle given (as shareflow capture keeps)
WORDS_MARGIN = 4  # pixels kept around the words, when the shipped shape is narrower than they are here
SAME_PLACE = 0.5  # the share of a template's box a match on its own screenshot must overlap


class CalibrateError(UsageError):
    """Bad input to ``shareflow calibrate``: one message naming the option and the value."""


Rect = tuple[float, float, float, float]  # x, y, w, h in element-rect units (Android pixels, iOS points)


def parse_rects(values: Sequence[str], known: Sequence[str]) -> dict[str, Rect]:
    """``--rect STATE=x,y,w,h`` options: each state one the library knows, four numbers, sizes positive."""
    rects: dict[str, Rect] = {}
    for value in values:
        state, equals, numbers = value.partition("=")
        if not equals:
            raise CalibrateError(f"--rect {value!r}: expected STATE=x,y,w,h (e.g. wechat/chat=24,2200,90,90)")
        if state not in known:
            raise CalibrateError(f"--rect {value!r}: unknown state {state!r} (known: {', '.join(known)})")
        try:
            x, y, w, h = (float(v) for v in numbers.split(","))
        except ValueError:
            raise CalibrateError(f"--rect {value!r}: expected x,y,w,h as four comma-separated numbers") from None
        if min(x, y) < 0 or min(w, h) <= 0:
            raise CalibrateError(f"--rect {value!r}: x and y must be zero or more, w and h positive")
        rects[state] = (x, y, w, h)
    return rects


def screen_size(driver: webdriver.Remote) -> tuple[float, float]:
    """The whole screen in element-rect units: the window's width, the screenshot's height (Android's window
    leaves out the navigation bar, which taps still reach: appium/appium#13685)."""
    window = driver.get_window_size()
    shot = decode_png(driver.get_screenshot_as_png())
    per_unit = shot.shape[1] / float(window["width"])
    return float(window["width"]), round(shot.shape[0] / per_unit, 1)


def check_rects(rects: dict[str, Rect], window: tuple[float, float]) -> None:
    """Every ``--rect`` inside the phone's screen (``window``: its size in element-rect units)."""
    width, height = window
    for state, (x, y, w, h) in rects.items():
        if x + w > width or y + h > height:
            shown = ",".join(f"{v:g}" for v in (x, y, w, h))
            raise CalibrateError(
                f"--rect {state}={shown}: off the screen, which is {width:g}x{height:g} "
                "(pixels on Android, points on iOS)"
            )


# -- where a state shows ---------------------------------------------------------------------------
def _selector_from_source(platform: str, text: str) -> tuple[str, str] | None:
    """The Appium selector a shipped template's sidecar says it was recorded from (``source.locator``)."""
    if not text:
        return None
    if platform == "android":
        if text.startswith("new UiSelector()"):
            return AppiumBy.ANDROID_UIAUTOMATOR, text
        return AppiumBy.ACCESSIBILITY_ID, text
    if re.search(r"\s(==|CONTAINS|BEGINSWITH)\s", text):
        return AppiumBy.IOS_PREDICATE, text
    return AppiumBy.ACCESSIBILITY_ID, text


def page_object_selectors(state: str, platform: str, versions: dict[str, str]) -> list[tuple[str, str]]:
    """The selectors of the page objects' elements whose template is ``state`` (not a landmark beside one)."""
    found = []
    for app in APPS:
        entries = locators(app).data["elements"]
        for name, entry in entries.items():
            template = entry.get("template")
            if not template:
                continue
            pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[a-z0-9_]+)", pattern)
            hit = re.fullmatch(pattern, state)
            if hit is None:
                continue
            try:
                locator = locators(app).get(name, platform, versions.get(app, ""), **hit.groupdict())
            except KeyError:  # the selector needs a value the state's name does not give
                continue
            if locator.selector is not None and not locator.beside:
                found.append(locator.selector)
    return found


STATUS_BAR = 0.06  # the top of the screen, where the clock and the status icons change by themselves
UNCHANGED = 0.01  # the share of pixels below it that may differ on a screen that did not change


def changed(screen: np.ndarray, before: np.ndarray | None) -> bool:
    """Whether ``screen`` is another screen than ``before``: more than a clock or a status icon differs."""
    if before is None or before.shape != screen.shape:
        return True
    top = round(screen.shape[0] * STATUS_BAR)
    differs = np.abs(screen[top:].astype(np.int16) - before[top:]).max(axis=2) > TRIM_TOLERANCE
    return float(differs.mean()) > UNCHANGED


def _fold(text: str) -> str:
    """Text as the words of a state are looked for: width and case folded, spaces dropped (punctuation
    kept: 【淘宝】 is a message's head, 淘宝 any word of it)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass
class Shot:
    """One screenshot the walk recorded a state on, and what shows on it."""

    image: np.ndarray
    digest: str
    present: set[str] = field(default_factory=set)  # states whose element or words show on it
    lines: list[ocr.Line] | None = None  # its words, read once


@dataclass
class Recorded:
    """A state recorded: its template (cut from ``shot``), where and how it was found."""

    state: str
    crop: np.ndarray
    box: Box  # where it was cut from the screenshot, in its pixels
    how: str
    shot: Shot
    meta: dict[str, Any]
    template: Template


@dataclass
class Calibration:
    """What the walk recorded and what it could not; the options it was given."""

    device: Device
    driver: webdriver.Remote
    base: TemplateLibrary  # the phone's view of the library it had before (the shapes of the states)
    rects: dict[str, Rect]
    states: Sequence[str]  # the states of the library (what may be recorded)
    ask: Callable[[str, np.ndarray], Rect | None] | None = None  # interactive: the rectangle of a state shown
    recorded: dict[str, Recorded] = field(default_factory=dict)
    missed: dict[str, str] = field(default_factory=dict)  # state -> why it was not recorded (the last reason)
    asked: set[str] = field(default_factory=set)  # states waited for or looked at
    last_seen: np.ndarray | None = None  # the screen a state was last found on
    density: float | None = None  # the screen's pixels per dp / point (per element-rect unit when not told)
    _tried: set[tuple[str, str]] = field(default_factory=set)  # (digest, state) already tried
    _shots: dict[str, Shot] = field(default_factory=dict)

    @property
    def platform(self) -> Platform:
        return self.device.platform

    def versions(self) -> dict[str, str]:
        return dict(self.device.apps)

    def shipped(self, state: str) -> Template | None:
        try:
            return self.base.get(self.platform, state)
        except (UsageError, TemplateError):
            return None

    # -- locating --------------------------------------------------------------------------------
    def selectors(self, state: str) -> list[tuple[str, str]]:
        found = page_object_selectors(state, self.platform, self.versions())
        shipped = self.shipped(state)
        source = _selector_from_source(self.platform, str(shipped.source.get("locator", ""))) if shipped else None
        return found + ([source] if source and source not in found else [])

    def by_element(self, state: str, rect_scale: float) -> tuple[Box, str] | None:
        for selector in self.selectors(state):
            try:
                elements = self.driver.find_elements(*selector)
                r = elements[-1].rect if elements else None
            except WebDriverException:
                continue
            if r and r["width"] > 0 and r["height"] > 0:
                box = tuple(round(v * rect_scale) for v in (r["x"], r["y"], r["width"], r["height"]))
                return (box[0], box[1], box[2], box[3]), f"element {selector[1]}"
        return None

    def words_of(self, state: str) -> str:
        shipped = self.shipped(state)
        return shipped.text if shipped is not None else ""

    def by_words(self, state: str, shot: Shot) -> tuple[Box, str] | None:
        """The lowest line of text holding the state's words, as a box of those words alone."""
        words = self.words_of(state)
        if not words:
            return None
        if shot.lines is None:
            shot.lines = ocr.find_lines(shot.image)
        want = _fold(words)
        best: Box | None = None
        for line in shot.lines:
            read = _fold(line.words)
            at = read.find(want)
            if not want or at < 0:
                continue
            x, y, w, h = line.box
            per_char = w / max(len(read), 1)  # where the words are along the line, by their characters
            box = (x + round(per_char * at), y, max(1, round(per_char * len(want))), h)
            if best is None or box[1] > best[1]:
                best = box
        return (best, f"words {words}") if best is not None else None

    # -- cutting -----------------------------------------------------------------------------------
    def cut(
        self, state: str, image: np.ndarray, box: Box, density: float | None, shaped: bool
    ) -> tuple[np.ndarray, Box]:
        """The template of ``state`` around ``box``, and where it was cut: shaped as the shipped template, else
        ``box`` trimmed to its content."""
        height, width = image.shape[:2]
        x, y, w, h = box
        shipped = self.shipped(state) if shaped else None
        if shipped is None:
            x0, y0 = max(0, x - PAD), max(0, y - PAD)
            x1, y1 = min(width, x + w + PAD), min(height, y + h + PAD)
            tx0, ty0, tx1, ty1 = trim_bounds(image[y0:y1, x0:x1], PAD)
            return image[y0 + ty0 : y0 + ty1, x0 + tx0 : x0 + tx1].copy(), (x0 + tx0, y0 + ty0, tx1 - tx0, ty1 - ty0)
        if density and shipped.capture_scale:
            k = density / shipped.capture_scale
        else:
            k = width / (shipped.capture_resolution or (width, height))[0]
        th, tw = shipped.image.shape[:2]
        anchor = shipped.text_box or shipped.words_box or (0.0, 0.0, 1.0, 1.0)
        cw = max(round(tw * k), round(w / max(anchor[2], 0.05)) if shipped.text else 0, w + 2 * WORDS_MARGIN)
        ch = max(round(th * k), h + 2 * WORDS_MARGIN)
        cx, cy = x + w / 2, y + h / 2
        x0 = round(cx - (anchor[0] + anchor[2] / 2) * cw)
        y0 = round(cy - (anchor[1] + anchor[3] / 2) * ch)
        x0, y0 = min(max(0, x0), max(0, width - cw)), min(max(0, y0), max(0, height - ch))
        crop = image[y0 : y0 + ch, x0 : x0 + cw].copy()
        return crop, (x0, y0, crop.shape[1], crop.shape[0])

    def interrupted(self, screen: Screen) -> bool:
        """Whether something the page objects clear is over the screen (a banner, a pop-up): never recorded.
        Found by its element, or, where the node tree hides it, by its words on the screenshot."""
        for app in INTERRUPTING_APPS:
            data = locators(app).data
            names = [*data.get("transient", []), *(entry["shown"] for entry in data.get("interruptions", []))]
            for name in names:
                locator = locators(app).get(name, self.platform, self.device.apps.get(app, ""))
                if locator.selector is None:
                    if locator.words is not None and screen.words(locator.words, whole=True) is not None:
                        return True
                    continue
                with contextlib.suppress(WebDriverException):
                    if self.driver.find_elements(*locator.selector):
                        return True
        return False

    # -- recording ---------------------------------------------------------------------------------
    def shot(self, image: np.ndarray, digest: str, rect_scale: float | None = None) -> Shot:
        """The screenshot ``digest``; new, with the states whose elements show on it (asked of the phone now,
        with ``rect_scale``: the screen is still the one shot)."""
        if digest not in self._shots:
            shot = self._shots[digest] = Shot(image, digest)
            if rect_scale is not None:
                shot.present.update(s for s in self.states if self.by_element(s, rect_scale) is not None)
        return self._shots[digest]

    def try_record(self, screen: CalibratingScreen, state: str, image: ScreenImage, alone: bool) -> None:
        """Record ``state`` from ``image`` if it can be found there (see the module's steps)."""
        digest = screen.digest()
        if (digest, state) in self._tried or self.interrupted(screen):
            return  # an interruption is dismissed between looks (the page objects' on_miss): look again then
        self._tried.add((digest, state))
        rect_scale = image.width / screen.window_size()[0]
        shot = self.shot(image.bgr, digest, rect_scale)
        located = self.by_element(state, rect_scale) or self.by_words(state, shot)
        shaped = True
        if located is None and alone and changed(image.bgr, self.last_seen):
            given = self.rects.get(state)
            how = "rect"
            if given is None and self.ask is not None and state not in self.recorded:
                given, how = self.ask(state, image.bgr), "asked"
            if given is not None:
                x, y, w, h = (round(v * rect_scale) for v in given)
                located, shaped = ((x, y, w, h), f"{how} {','.join(f'{v:g}' for v in given)}"), False
        if located is None:
            ways = ["element" if self.selectors(state) else "", "words" if self.words_of(state) else ""]
            tried = " or ".join(w for w in ways if w) or "nothing (no element, no words: give --rect)"
            self.missed[state] = f"looked for by {tried}"
            return
        box, how = located
        self.density = screen.density or rect_scale
        crop, cut = self.cut(state, image.bgr, box, self.density, shaped)
        try:
            check_template(crop)
        except TemplateError as exc:
            self.missed[state] = f"the place found ({how}) cannot be a template: {exc}"
            return
        meta = self.meta(state, image.bgr, screen.density or rect_scale, how)
        template = Template(
            crop,
            threshold=float(meta["threshold"]),
            capture_resolution=(image.width, image.height),
            capture_scale=float(meta["capture_scale"]),
            region=tuple(meta["region"]) if "region" in meta else None,
            text=meta.get("text", ""),
            state=state,
            platform=self.platform,
        )
        self.recorded[state] = Recorded(state, crop, cut, how, shot, meta, template)
        self.missed.pop(state, None)

    def meta(self, state: str, image: np.ndarray, density: float, how: str) -> dict[str, Any]:
        """The new template's sidecar: this screen, the shipped template's threshold, region and declared words."""
        shipped = self.shipped(state)
        meta: dict[str, Any] = {
            "capture_resolution": [int(image.shape[1]), int(image.shape[0])],
            "capture_scale": round(float(density), 4),
            "threshold": shipped.threshold if shipped is not None else 0.85,
        }
        if shipped is not None and shipped.region is not None:
            meta["region"] = list(shipped.region)
        if shipped is not None and shipped.text_source == "declared" and not how.startswith(("rect", "asked")):
            meta["text"] = shipped.text
        meta["source"] = {"device": self.device.name, "located_by": how, "by": "shareflow calibrate"}
        return meta

    def present_on(self, shot: Shot, state: str) -> bool:
        """Whether ``state`` shows on ``shot`` by its words (for states found by words) or was found there."""
        if state in shot.present:
            return True
        recorded = self.recorded[state]
        if recorded.how.startswith("words"):
            return self.by_words(state, shot) is not None
        return False


class CalibratingLibrary(TemplateLibrary):
    """The phone's view of the library, with the templates the walk recorded first."""

    def __init__(self, base: TemplateLibrary, calibration: Calibration) -> None:
        super().__init__(*base.roots, phone=base.phone)
        self._loaded, self._lock = base._loaded, base._lock
        self.calibration = calibration

    def get(self, platform: str, state: str) -> Template:
        recorded = self.calibration.recorded.get(state)
        return recorded.template if recorded is not None else super().get(platform, state)


class CalibratingScreen(Screen):
    """A screen that, before it matches a state not yet recorded, records it where the phone shows it."""

    calibration: Calibration
    _waiting: Sequence[str] = ()

    def digest(self) -> str:
        return self._shot[0] if self._shot is not None else ""

    def _match(self, state: str, screen: ScreenImage) -> Match:
        cal = self.calibration
        cal.asked.add(state)
        if state not in self._matches and state not in cal.recorded and self.still():
            cal.try_record(self, state, screen, alone=list(self._waiting) == [state])
        match = super()._match(state, screen)
        if match.found:
            cal.last_seen = screen.bgr
            if state in cal.recorded:
                cal.shot(screen.bgr, self.digest()).present.add(state)
        return match

    def expect_any(
        self, states: Sequence[str], timeout: float = DEFAULT_TIMEOUT_S, on_miss: OnMiss = None
    ) -> tuple[str, Match]:
        self._waiting = list(states)
        self.calibration.asked.update(states)
        try:
            return super().expect_any(states, timeout, on_miss)
        finally:
            self._waiting = ()


# -- the walk ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FlowData:
    """What the walk shares and where: an item of Taobao, the group chat, a link of each kind, and the products
    bought at a cashier no link leads to (the suites' data.yaml)."""

    item: str
    group: str
    links: dict[LinkKind, str]  # link kind -> an item's URL of that kind
    products: dict[str, str]  # cashier -> a product's title (Hema's)


def read_data(path: Path) -> FlowData:
    """The item, the group and the links of the suites' test data (``tests/e2e/data.yaml``)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        links = {kind: str(raw["items"][kind]["url"]) for kind in LINK_KINDS if kind in raw["items"]}
        products = {str(k): str(v) for k, v in (raw.get("products") or {}).items()}
        return FlowData(str(raw["items"]["taobao"]["id"]), str(raw["group"]), links, products)
    except OSError as exc:
        raise CalibrateError(f"--data {path}: cannot read: {exc.strerror}") from None
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise CalibrateError(
            f"--data {path}: expected the suites' data (group, items.taobao.id, items.<kind>.url): {exc}"
        ) from None


# what ends a part of the walk early, said in the report: a state or an element not shown, a check of the
# flow's, the session or the phone failing (the library then holds what was recorded until then)
STOPS = (StateNotReached, TimedOut, AssertionError, WebDriverException, InfrastructureError, DeviceSetupError)
Steps = list[tuple[str, Callable[[], object]]]


def _to_chat_list(phone: Phone) -> None:
    """去微信粘贴, and WeChat back at its chat list (it comes up where it was)."""
    if phone.taobao.go_paste_in_wechat() != "wechat/chat_list":
        phone.wechat.back_to_chat_list()


def _through_the_link(phone: Phone) -> None:
    """Tap the Tao password's link; past WeChat's interstitial, into Taobao and to the order, where it opens."""
    wechat = phone.wechat
    outcome = wechat.tap_link("taobao")
    if outcome == "interstitial":
        wechat.continue_past_interstitial("taobao")
    if outcome not in ("direct", "interstitial"):
        raise AssertionError(f"the link opened {outcome!r}: the item and the order were not reached")
    wechat.open_in_app("taobao")
    phone.taobao.buy_now()


def _reporters_flow(phone: Phone, data: FlowData) -> Steps:
    taobao, wechat = phone.taobao, phone.wechat
    return [
        ("open the item", lambda: taobao.open_item(data.item)),
        ("share it to WeChat", taobao.share_to_wechat),
        ("去微信粘贴", lambda: _to_chat_list(phone)),
        (f"open the chat {data.group}", lambda: wechat.open_chat(data.group, group=True)),
        ("paste and send", wechat.paste_and_send),
        ("tap the link, 立即购买", lambda: _through_the_link(phone)),
        ("提交订单", taobao.submit_order),
    ]


def _open_group(phone: Phone, data: FlowData) -> None:
    phone.wechat.open()
    phone.wechat.open_chat(data.group, group=True)


def _paste_link(phone: Phone, url: str) -> None:
    clipboard.write(phone, url)
    phone.wechat.paste()


def _copied_into_taobao(phone: Phone, data: FlowData) -> Steps:
    """The password the reporter's flow sent, copied from the group and opened by Taobao from the clipboard."""
    wechat = phone.wechat
    return [
        (f"open the chat {data.group}", lambda: _open_group(phone, data)),
        ("copy the password", lambda: wechat.copy_newest_message(shown_as="wechat/my_link")),
        ("Taobao reads the clipboard", lambda: phone.taobao.open_from_clipboard(allow_paste=True)),
    ]


def _link_of(phone: Phone, data: FlowData, kind: LinkKind) -> Steps:
    """A link of ``kind`` sent into the group and tapped, as the link-outcome suite does."""
    wechat = phone.wechat
    return [
        (f"open the chat {data.group}", lambda: _open_group(phone, data)),
        ("paste", lambda: _paste_link(phone, data.links[kind])),
        ("send", lambda: wechat.send(proof=f"wechat/my_{kind}_url")),
        ("tap it", lambda: _past_the_interstitial(phone, kind)),
    ]


def _to_hema_s_cashier(phone: Phone, product: str) -> Steps:
    """Hema's product into the cart, 结算, 提交订单: its cashier, as the cashier suite walks there."""
    hema = Hema(phone)
    return [
        ("open Hema", hema.open),
        (f"{product} into the cart", lambda: hema.add_to_cart(product)),
        ("结算 → 提交订单", hema.checkout),
    ]


def _past_the_interstitial(phone: Phone, kind: LinkKind) -> None:
    """Tap the newest link of ``kind``; past WeChat's interstitial, where it shows, to the shop's page (the
    suites' 1:1 chats may open directly what the group shows behind the interstitial)."""
    if phone.wechat.tap_link(kind, host=HOSTS[kind], shown_as=f"wechat/my_{kind}_url") == "interstitial":
        phone.wechat.continue_past_interstitial(kind)


def walk(phone: Phone, data: FlowData, say: Callable[[str], None]) -> str:
    """The suites' flows on ``phone``, by the page objects: the reporter's, its password copied into Taobao,
    a link of each kind of the data, then Hema to its cashier (when the data names its product). Each starts
    afresh, whether the one before went through or not. Returns how the parts that stopped ended ("" when
    every part went through)."""
    parts = [
        ("the reporter's flow", _reporters_flow(phone, data)),
        ("the password copied into Taobao", _copied_into_taobao(phone, data)),
        *((f"a {kind} link", _link_of(phone, data, kind)) for kind in data.links),
    ]
    if "hema" in data.products:
        parts.append(("Hema's cashier", _to_hema_s_cashier(phone, data.products["hema"])))
    ends = []
    for part, steps in parts:
        say(part)
        for name, step in [("start afresh", phone.start_afresh), *steps]:
            say(f"  {name}")
            try:
                step()
            except STOPS as exc:
                ends.append(f"{part} stopped at '{name}': {str(exc).splitlines()[0]}")
                break
    return "; ".join(ends)


# -- checking and writing ---------------------------------------------------------------------------
def _overlap(a: Box, b: Box) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / max(1, min(a[2] * a[3], b[2] * b[3]))


def check(calibration: Calibration, templates: dict[str, Template], density: float | None) -> dict[str, str]:
    """Each new template finds itself and no other state's screenshot (unless the state shows there too);
    returns the states that fail, with why."""
    rejected: dict[str, str] = {}
    shots = {r.shot.digest: r.shot for r in calibration.recorded.values()}
    owners = {digest: [s for s, r in calibration.recorded.items() if r.shot.digest == digest] for digest in shots}
    for state, template in templates.items():
        recorded = calibration.recorded[state]
        hint = density / template.capture_scale if density and template.capture_scale else None
        own = find(ScreenImage(recorded.shot.image), template, hint)
        if not own.found or own.box is None or _overlap(own.box, recorded.box) < SAME_PLACE:
            rejected[state] = f"does not find itself on its own screenshot (confidence {own.confidence:.2f})"
            continue
        for digest, shot in shots.items():
            if digest == recorded.shot.digest or state in shot.present:
                continue
            other = find(ScreenImage(shot.image), template, hint)
            if not other.found or other.box is None or _overlap(other.box, own.box) >= SAME_PLACE:
                continue  # not there, or where it is on its own screen: the same thing still shown
            if not calibration.present_on(shot, state):
                rejected[state] = f"also found on the screen of {', '.join(owners[digest])} (not that state)"
                break
    return rejected


@dataclass
class Result:
    """What ``shareflow calibrate`` did: written, left out and why, and where."""

    library: Path
    report: dict[str, Any]
    complete: bool


def library_root(out: Path, device: Device, per_profile: bool) -> Path:
    owner = folder_name(device.profile if per_profile else device.name)
    if not owner:
        raise CalibrateError(f"--per-profile: {device.name} has no profile in devices.yaml to name the library by")
    return out / owner / device.platform


def version_of(device: Device, app: str) -> str:
    return device.os_version if app == "system" else device.apps.get(app, "")


def write(calibration: Calibration, out: Path, per_profile: bool, walk_end: str, all_states: list[str]) -> Result:
    """Write what validated, and the report, to ``out``; built beside it first, moved into place at the end."""
    device = calibration.device
    root = library_root(out, device, per_profile)
    out.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=".calibrate-", dir=out))
    try:
        staged = build / root.relative_to(out)
        written: dict[str, Path] = {}
        for state, recorded in sorted(calibration.recorded.items()):
            app, _, name = state.partition("/")
            png = staged / app_folder(app, version_of(device, app)) / f"{name}.png"
            png.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(png), recorded.crop)
            png.with_suffix(".yaml").write_text(
                yaml.safe_dump(recorded.meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            save_words(png, recorded.crop)
            written[state] = png
        templates = {
            s: template_from(p, read_meta(p.with_suffix(".yaml")), s, device.platform) for s, p in written.items()
        }
        rejected = check(calibration, templates, calibration.density)
        for state in rejected:
            png = written.pop(state)
            for path in (png, png.with_suffix(".yaml"), png.with_suffix(".ocr.yaml")):
                path.unlink(missing_ok=True)
        report = _report(calibration, root, written, rejected, walk_end, all_states)
        report["kept"] = carry_earlier(staged, root)
        staged.mkdir(parents=True, exist_ok=True)
        (staged / REPORT).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        _move_into_place(staged, root)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    complete = not walk_end and not rejected
    return Result(root, report, complete)


def _report(
    calibration: Calibration,
    root: Path,
    written: dict[str, Path],
    rejected: dict[str, str],
    walk_end: str,
    all_states: list[str],
) -> dict[str, Any]:
    device = calibration.device
    staged_root = next(iter(written.values())).parents[1] if written else None
    recorded = [
        {
            "state": state,
            "located_by": calibration.recorded[state].how,
            "box": list(calibration.recorded[state].box),
            "file": str((root / png.relative_to(staged_root)) if staged_root else png),
        }
        for state, png in sorted(written.items())
    ]
    not_reached = []
    for state in all_states:
        if state in written or state in rejected:
            continue
        if state in calibration.missed:
            why = f"waited for, but not found on the phone: {calibration.missed[state]}"
        elif state in calibration.asked:
            why = "waited for, never shown (the flow went another way: e.g. the link opened directly)"
        else:
            why = "not on the suites' flows as this phone went through them"
        not_reached.append({"state": state, "why": why})
    return {
        "device": device.name,
        "platform": device.platform,
        "os_version": device.os_version,
        "apps": {app: version_of(device, app) for app in APPS},
        "library": str(root),
        "walk": walk_end or "completed",
        "recorded": recorded,
        "rejected": [{"state": s, "why": why} for s, why in sorted(rejected.items())],
        "not_reached": not_reached,
    }


def carry_earlier(staged: Path, root: Path) -> list[dict[str, str]]:
    """Copy into ``staged`` the templates an earlier calibration wrote to ``root`` that this one did not
    record again (a rerun that stopped early, or that was given only some ``--rect``s, adds to the library:
    it never loses what it did not reach). Returns them, as the report lists them."""
    kept = []
    for folder in (
        sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    ):
        app = folder.name.partition("-")[0]
        for png in sorted(folder.glob("*.png")):
            target = staged / folder.name / png.name
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            for path in (png, png.with_suffix(".yaml"), png.with_suffix(".ocr.yaml")):
                if path.is_file():
                    shutil.copy2(path, target.with_name(path.name))
            kept.append({"state": f"{app}/{png.stem}", "file": str(png), "why": "recorded by an earlier calibration"})
    return kept


def _move_into_place(staged: Path, root: Path) -> None:
    """Each ``<app>-<version>/`` folder and the report replace theirs in ``root`` (the others are kept)."""
    root.mkdir(parents=True, exist_ok=True)
    for item in sorted(staged.iterdir()):
        target = root / item.name
        old = None
        if target.exists():
            old = target.with_name(f".{item.name}.old-{os.getpid()}")
            target.rename(old)
        item.rename(target)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()


# -- asking ------------------------------------------------------------------------------------------
def asker(folder: Path, read: Callable[[str], str]) -> Callable[[str, np.ndarray], Rect | None]:
    """Ask for a state's rectangle on the screen shown (saved as a PNG to look at); empty: skip it."""

    def ask(state: str, image: np.ndarray) -> Rect | None:
        path = folder / f"{state.replace('/', '-')}-{hashlib.blake2b(image.tobytes(), digest_size=4).hexdigest()}.png"
        cv2.imwrite(str(path), image)
        answer = read(
            f"{state}: not found by element or words. Is it on the screen ({path})? "
            "Its rectangle x,y,w,h (pixels on Android, points on iOS), or empty to skip"
        ).strip()
        if not answer:
            return None
        try:
            return parse_rects([f"{state}={answer}"], [state])[state]
        except CalibrateError as exc:
            print(f"shareflow: {exc}; skipped", file=sys.stderr)
            return None

    return ask


@contextlib.contextmanager
def calibrating_phone(
    device: Device,
    driver: webdriver.Remote,
    library: TemplateLibrary,
    rects: dict[str, Rect],
    work: Path,
    ask: Callable[[str, np.ndarray], Rect | None] | None,
) -> Iterator[tuple[Phone, Calibration]]:
    """``device``'s session as a phone whose screen records the states it waits for."""
    base = library.for_phone(device)
    calibration = Calibration(device, driver, base, rects, library.states(device.platform), ask)
    screenshots: ScreenshotMode = "off"
    phone = Phone.on(device, driver, library, Evidence(work / "evidence"), screenshots, work / "floors")
    screen = CalibratingScreen(
        driver,
        device.platform,
        CalibratingLibrary(base, calibration),
        phone.evidence,
        screenshots,
        phone.screen.density,
    )
    screen.calibration = calibration
    screen.guard = phone.check_in_front
    phone.screen = screen
    (work / "floors").mkdir(parents=True, exist_ok=True)
    yield phone, calibration
