"""Refresh the template library from the embedded farm.

Starts a quiet farm (no noise; link policy chosen so that every outcome page
appears), walks one Android and one iOS phone through every screen state the
suites use — by locators only — and captures each state's template:

    .venv/bin/python screenshots/record_templates.py [--android xiaomi-11] [--ios iphone-13] [--out DIR]

The walk feeds a *sink*: :class:`TemplateSink` writes the templates (this script);
:class:`ShotSink` instead hands each state's full screenshot and the template's rectangle
in it to a callback (``benchmarks/vision_corpus.py`` builds its accuracy corpus so).

Against real phones, use ``shareflow capture`` on a live session instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from appium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.remote.webelement import WebElement

from shareflow import launcher
from shareflow.apps.locators import to_appium
from shareflow.apps.wechat import OPEN_APP_LABELS
from shareflow.capture import capture, screen_scale, trim_bounds
from shareflow.devices import Device, load
from shareflow.links import LINK_KINDS
from shareflow.screen import decode_png
from shareflow.session import options_for
from shareflow.vision import ocr
from shareflow.wait import TimedOut, until
from shareflow_sim.scenario import NOISELESS

ROOT = Path(__file__).parent


def scenario(**noise: float) -> str:
    """The recording farm's scenario: noiseless but for ``noise``, every phone drawn in the library's font
    (WenQuanYi Micro Hei: the shipped templates were recorded in it; phones draw their own by default) and
    every app version plainly (by default each draws with its own small differences)."""
    policy = """\
seed: 11
font: WenQuanYi Micro Hei
looks: none
link_policy:
  wechat:
    group: {taobao: direct, tmall: direct, jd: direct, pinduoduo: direct, douyin: direct}
    p2p: {taobao: interstitial, tmall: blocked, jd: copy_to_browser}
"""
    return policy + "noise: " + json.dumps({**NOISELESS, **noise}) + "\n"


SCENARIO = scenario()
ITEM = "652419876401"
TAO_HOST = "tb.cn"  # in every Tao password's link: m.tb.cn or e.tb.cn, by the phone's Taobao version
BUBBLE_GROUND = 1  # dp (points on iOS) of the chat's ground kept left of a message bubble's view (its tail)
GROUP = "购物分享群"
LINKS = {
    "taobao": "https://item.taobao.com/item.htm?id=652419876401",
    "tmall": "https://detail.tmall.com/item.htm?id=612300000501",
    "jd": "https://item.m.jd.com/product/100012043978.html",
    "pinduoduo": "https://mobile.yangkeduo.com/goods.html?goods_id=327845196012",
    "douyin": "https://v.douyin.com/iRq7DkYb/",
}
WDA_RUNNER = "com.facebook.WebDriverAgentRunner.xctrunner"
APPS = {
    "android": {"taobao": "com.taobao.taobao", "wechat": "com.tencent.mm", "hema": "com.wudaokou.hippo"},
    "ios": {"taobao": "com.taobao.taobao4iphone", "wechat": "com.tencent.xin", "hema": "com.wudaokou.hippo"},
}
HEMA_PRODUCT = "盒马 日日鲜鲜牛奶 950ml"


Rect = tuple[float, float, float, float]  # x, y, w, h in element-rect units (Android pixels, iOS points)
Box = tuple[int, int, int, int]  # x, y, w, h in screenshot pixels


def by(platform: str, **selector: str) -> tuple[str, str]:
    """Android keys (text, desc, class, ...) or iOS keys (label, type, ...) as an Appium locator."""
    return to_appium(platform, selector)


class Sink(Protocol):
    """Where the walk's captures go."""

    def take(self, walker: Walker, state: str, rect: Rect, **options: Any) -> None:
        """``state`` is on screen; ``rect`` and ``options`` are what :func:`capture` takes."""


# icons drawn over whatever is behind them (a pop-up's × over the page under its scrim): their templates count
# their light strokes and a margin around them only (the PNG's alpha), so what shows through does not count
STROKES_ONLY = {"taobao/promo_close"}
STROKE_INK = 160  # grey level above which a pixel is the icon's stroke
STROKE_MARGIN = 0.05  # of the icon's height, around its strokes, that counts too (their edge against the ground)


def keep_strokes(path: Path) -> None:
    """Give the template PNG at ``path`` an alpha channel that keeps its strokes (and a margin) and drops the rest."""
    image = cv2.imread(str(path))
    strokes = (cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) > STROKE_INK).astype(np.uint8) * 255
    size = max(3, round(image.shape[0] * STROKE_MARGIN)) | 1
    mask = cv2.dilate(strokes, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    cv2.imwrite(str(path), np.dstack([image, mask]))


class TemplateSink:
    """Writes each state's template and its metadata under ``root`` (what this script is for)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def take(self, walker: Walker, state: str, rect: Rect, **options: Any) -> None:
        path = capture(walker.d, walker.platform, state, self.root, rect=rect, **options)
        if state in STROKES_ONLY:
            keep_strokes(path)
        print(f"  {path.relative_to(self.root)}")


def crop_box(
    screen: np.ndarray,
    scales: tuple[float, float],
    rect: Rect,
    inner: tuple[float, float] | None = None,
    anchor: str = "center",
    pad: int = 6,
) -> tuple[Box, Box]:
    """What :func:`capture` cuts from ``screen`` for ``rect``, in pixels: the rectangle before
    trimming and the template's box after it (the same for fixed-size ``inner`` crops).

    ``scales`` is (pixels per element-rect unit, pixels per logical unit) of the session."""
    rect_scale, density = scales
    sh, sw = screen.shape[:2]
    x, y, w, h = (round(v * rect_scale) for v in rect)
    if inner is not None:
        iw, ih = round(inner[0] * density), round(inner[1] * density)
        if anchor == "center":
            x, y = x + (w - iw) // 2, y + (h - ih) // 2
        x0, y0, x1, y1 = max(0, x), max(0, y), min(sw, x + iw), min(sh, y + ih)
        return (x0, y0, x1 - x0, y1 - y0), (x0, y0, x1 - x0, y1 - y0)
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(sw, x + w + pad), min(sh, y + h + pad)
    crop = screen[y0:y1, x0:x1]
    tx0, ty0, tx1, ty1 = trim_bounds(crop, pad)
    return (x0, y0, x1 - x0, y1 - y0), (x0 + tx0, y0 + ty0, tx1 - tx0, ty1 - ty0)


@dataclass(frozen=True)
class Shot:
    """One state as the walk reached it: the full screenshot and where the template is in it."""

    device: str
    platform: str
    state: str
    png: bytes
    rect: Box  # what capture cuts before trimming, in screenshot pixels
    box: Box  # the template's box after trimming (the ground truth)


class ShotSink:
    """Hands each state's screenshot and template box to ``receive`` instead of writing a template.

    ``settle`` (optional) runs first, e.g. to wait until a passing banner has gone."""

    def __init__(self, receive: Callable[[Shot], None], settle: Callable[[Walker], None] | None = None) -> None:
        self.receive, self.settle = receive, settle

    def take(self, walker: Walker, state: str, rect: Rect, **options: Any) -> None:
        if self.settle is not None:
            self.settle(walker)
        png = walker.d.get_screenshot_as_png()
        screen = decode_png(png)
        scales = screen_scale(walker.d, walker.platform, screen.shape[1])
        kw = {k: options[k] for k in ("inner", "anchor", "pad") if k in options}
        cut, box = crop_box(screen, scales, rect, **kw)
        self.receive(Shot(walker.device, walker.platform, state, png, cut, box))


class Walker:
    """One phone, walked through the screens by locators; hands each state to ``sink``."""

    def __init__(self, driver: webdriver.Remote, platform: str, device: str, sink: Sink) -> None:
        self.d, self.platform, self.device, self.sink = driver, platform, device, sink
        self.os_major = int(str(driver.capabilities.get("platformVersion") or "0").split(".")[0])

    def el(self, locator: tuple[str, str], timeout: float = 10) -> WebElement:
        """The element, once no notification banner (which catches taps) is over the screen."""
        started = time.monotonic()
        banner = by(
            self.platform,
            **({"desc_contains": "微信，"} if self.platform == "android" else {"label_contains": "微信，"}),
        )
        with contextlib.suppress(TimedOut):  # the banner stayed: look for the element all the same
            until(lambda: None if self.d.find_elements(*banner) else True, what="the banner to go", timeout=timeout)

        def shown() -> WebElement | None:
            found = self.d.find_elements(*locator)
            return found[-1] if found else None

        left = max(0.0, timeout - (time.monotonic() - started))
        return until(shown, what=f"{self.device}: {locator[1]}", timeout=left, fail=LookupError)

    def t(self, text: str, contains: bool = False) -> tuple[str, str]:
        if self.platform == "android":
            return by("android", **{"text_contains" if contains else "text": text})
        return by("ios", **{"label_contains" if contains else "label": text})

    def d_(self, desc: str) -> tuple[str, str]:
        return by(self.platform, **({"desc": desc} if self.platform == "android" else {"label": desc}))

    def unit(self) -> float:
        """Element-rect units per logical unit (pixels per dp on Android, 1 on iOS)."""
        return self.d.capabilities["deviceScreenDensity"] / 160 if self.platform == "android" else 1

    def grab(self, state: str, locator: tuple[str, str], grow: tuple[float, float] = (0, 0), **kw: object) -> None:
        """Capture the element; ``grow`` (up, down) in logical units widens the rectangle vertically."""
        r = self.el(locator).rect
        up, down = (g * self.unit() for g in grow)
        rect = (r["x"], r["y"] - up, r["width"], r["height"] + up + down)
        self.sink.take(self, state, rect, source={"device": self.device, "locator": locator[1]}, **kw)

    def words(self, text: str) -> Rect:
        """Where a line reading exactly ``text`` shows on a fresh screenshot, in element-rect units:
        for what the page source does not hold (iOS's paste alert)."""

        def read() -> Rect | None:
            screen = decode_png(self.d.get_screenshot_as_png())
            scale = screen_scale(self.d, self.platform, screen.shape[1])[0]
            line = next((li for li in ocr.find_lines(screen) if li.words.strip() == text), None)
            return tuple(v / scale for v in line.box) if line is not None else None  # type: ignore[return-value]

        return until(read, what=f"{self.device}: the words {text!r} on screen", timeout=10, fail=LookupError)

    def set_clipboard(self, text: str) -> None:
        """Set the clipboard; a real iPhone lets only WebDriverAgent's runner, in front, do it
        (appium-xcuitest-driver guide "Get/Set Clipboard")."""
        if self.platform == "ios":
            self.d.execute_script("mobile: activateApp", {"bundleId": WDA_RUNNER})
        self.d.set_clipboard_text(text)

    def app(self, name: str) -> dict[str, str]:
        return {"appId" if self.platform == "android" else "bundleId": APPS[self.platform][name]}

    def long_press(self, element: WebElement) -> None:
        ActionChains(self.d).click_and_hold(element).pause(0.8).release().perform()

    def send_text(self, chat: str, text: str | None) -> None:
        """Open ``chat`` from the chat list, paste the clipboard (after setting ``text``) and send."""
        if text is not None:
            self.set_clipboard(text)
        self.d.execute_script("mobile: terminateApp", self.app("wechat"))
        self.d.execute_script("mobile: activateApp", self.app("wechat"))
        self.el(self.d_(f"{chat}头像")).click()
        edit = "android.widget.EditText" if self.platform == "android" else "XCUIElementTypeTextView"
        self.long_press(self.el(by(self.platform, **{"class" if self.platform == "android" else "type": edit})))
        self.el(self.t("粘贴")).click()
        self.el(self.t("发送")).click()

    def newest_link(self, host: str) -> WebElement:
        return self.el(self.t(host, contains=True))

    def link_template(self, state: str, host: str) -> None:
        """The head of the newest Tao password message: its 【淘宝】, which every shape with a link starts
        with (a slogan, the host and the code that follow vary by Taobao version and share), from its
        bubble's left edge with :data:`BUBBLE_GROUND` of the chat beside it. Without the edge, the head is
        the head of the same password pasted into the input box (white behind 【淘宝】 there too)."""
        r = self.newest_link(host).rect
        attribute = "text" if self.platform == "android" else "label"
        bubble = self.el(("xpath", f"(//*[contains(@{attribute}, '{host}')])[last()]/..")).rect
        unit = self.unit()
        left = bubble["x"] - BUBBLE_GROUND * unit
        rect = (left, r["y"], r["x"] - 4 * unit - left, r["height"])
        self.sink.take(self, state, rect, pad=2, source={"device": self.device})

    def url_template(self, state: str, host: str) -> None:
        """The start of the newest plain-link message: its first 150 dp."""
        r = self.newest_link(host).rect
        rect = (r["x"], r["y"], min(r["width"], 150 * self.unit()), r["height"])
        self.sink.take(self, state, rect, pad=2, source={"device": self.device})

    def open_item(self) -> None:
        key = "package" if self.platform == "android" else "bundleId"
        url = f"taobao://item.taobao.com/item.htm?id={ITEM}"
        self.d.execute_script("mobile: deepLink", {"url": url, key: APPS[self.platform]["taobao"]})
        if self.d.find_elements(*self.t("查看详情")):  # the clipboard card from an earlier copy
            self.el(self.d_("关闭")).click()


def walk_share(w: Walker, group: str) -> None:
    """Taobao → share → WeChat group → the H5 page → Taobao → order confirmation."""
    p = w.platform
    w.open_item()
    w.grab("taobao/item", w.t("立即购买"), inner=(64, 24))
    w.el(w.d_("分享")).click()
    w.grab("taobao/share_panel", w.t("分享给好友"), inner=(76, 20))
    w.grab("taobao/share_wechat", w.t("微信"), grow=(60, 0), pad=0)  # no margin: it would show the neighbours
    w.el(w.t("微信")).click()
    w.grab("taobao/password_copied", w.t("淘口令已复制"))
    w.grab("taobao/go_paste", w.t("去微信粘贴"), inner=(76, 22))
    w.el(w.t("去微信粘贴")).click()
    tab = (
        by(p, text="微信", id="com.tencent.mm:id/f30")
        if p == "android"
        else by(p, label="微信", type="XCUIElementTypeButton")
    )
    if not w.d.find_elements(*w.d_(f"{group}头像")):  # WeChat came back inside a chat
        w.el(w.d_("返回")).click()
    w.grab("wechat/chat_list", tab, grow=(0, 0) if p == "android" else (-31, 0))
    w.el(w.d_(f"{group}头像")).click()
    w.grab("wechat/chat", w.d_("切换到按住说话"))
    edit = "android.widget.EditText" if p == "android" else "XCUIElementTypeTextView"
    w.long_press(w.el(by(p, **{"class" if p == "android" else "type": edit})))
    w.grab("wechat/paste_menu", w.t("粘贴"), inner=(36, 20))
    w.el(w.t("粘贴")).click()
    w.grab("wechat/send", w.t("发送"), inner=(34, 20))
    w.el(w.t("发送")).click()
    w.link_template("wechat/my_link", TAO_HOST)
    w.newest_link(TAO_HOST).click()
    w.grab("wechat/h5_taobao", w.t("打开淘宝App"))
    w.el(w.t("打开淘宝App")).click()
    w.el(w.t("立即购买")).click()
    w.grab("taobao/order_confirm", w.t("提交订单"), inner=(64, 24))
    w.el(w.t("提交订单")).click()
    w.grab("taobao/cashier", w.t("确认付款"))


def walk_outcomes(w: Walker, group: str, partner: str) -> None:
    """Every other kind's page (group: direct) and the interception pages (1:1 chat)."""
    for kind in LINK_KINDS:
        w.send_text(group, LINKS[kind])
        w.url_template(f"wechat/my_{kind}_url", LINKS[kind].split("/")[2])
        w.newest_link(LINKS[kind].split("/")[2]).click()
        if kind != "taobao":
            w.grab(f"wechat/h5_{kind}", w.t(OPEN_APP_LABELS[kind]))
    w.send_text(partner, LINKS["tmall"])
    w.newest_link("detail.tmall.com").click()
    w.grab("wechat/blocked", w.t("已停止访问该网页"))
    w.send_text(partner, LINKS["jd"])
    w.newest_link("item.m.jd.com").click()
    w.grab("wechat/copy_to_browser", w.t("如需浏览", contains=True), inner=(120, 22), anchor="topleft")
    w.send_text(partner, "https://m.tb.cn/h.AbCdEfG?tk=AbCdEfGhJkL")
    w.newest_link(TAO_HOST).click()
    w.grab("wechat/interstitial", w.t("非微信官方网页", contains=True), inner=(110, 22), anchor="topleft")
    w.grab("wechat/continue", w.t("继续访问"), inner=(68, 22))


def walk_hema(w: Walker) -> None:
    """Hema: its home page → a product → 加入购物车 → the cart → 结算 → 提交订单 → the cashier."""
    w.d.execute_script("mobile: terminateApp", w.app("hema"))
    w.d.execute_script("mobile: activateApp", w.app("hema"))
    w.sink.take(w, "hema/home", w.words("盒马鲜生"), pad=4, source={"device": w.device})  # its title, not its bar
    w.el(w.t(HEMA_PRODUCT)).click()
    w.grab("hema/item", w.t("加入购物车"), inner=(88, 24))  # the words: the button is as wide as half the screen
    w.el(w.t("加入购物车")).click()
    w.el(w.t("购物车")).click()
    w.grab("hema/cart", w.t("结算"))
    w.el(w.t("结算")).click()
    w.grab("hema/order_confirm", w.t("提交订单"))
    w.el(w.t("提交订单")).click()
    w.grab("hema/cashier", w.t("确认付款"))


def walk_receiver(w: Walker, group: str, sender: str) -> None:
    """A message from the other phone: their link, the copy menu, Taobao's clipboard card."""
    w.d.execute_script("mobile: terminateApp", w.app("wechat"))
    w.d.execute_script("mobile: activateApp", w.app("wechat"))
    w.el(w.d_(f"{group}头像")).click()
    w.el(w.d_(f"{sender}头像"))  # the other phone's message has arrived
    w.link_template("wechat/their_link", TAO_HOST)
    w.long_press(w.newest_link(TAO_HOST))
    w.grab("wechat/copy_menu", w.t("复制"), inner=(36, 20))
    w.el(w.t("复制")).click()
    w.d.execute_script("mobile: activateApp", w.app("taobao"))
    if w.platform == "ios" and w.os_major >= 16:  # iOS 16+ asks before an app reads another's clipboard
        # SpringBoard's alert, on the screenshot only, known by its question: one short line in any font (its
        # title wraps where the font says; its 允许粘贴 is also the tail of 不允许粘贴)
        w.sink.take(w, "system/paste_alert", w.words("要允许吗？"), source={"device": w.device, "words": "要允许吗？"})
        allow = w.words("允许粘贴")
        x, y, width, height = allow
        w.d.tap([(round(x + width / 2), round(y + height / 2))])
    w.grab("taobao/clipboard_card", w.t("查看详情"), inner=(68, 22))


def walk_promo(w: Walker) -> None:
    """Taobao's promotional pop-up (a farm with promo_popup: 1)."""
    w.open_item()
    w.grab("taobao/promo_popup", w.t("双12狂欢"), pad=0)  # no margin: it would show the dimmed page
    w.grab("taobao/promo_close", w.d_("关闭按钮" if w.platform == "android" else "关闭"))


def walk_order_disabled(w: Walker) -> None:
    """The order confirmation whose 提交订单 is disabled (a farm with the submit_order_disabled defect): a known
    wrong state, recognised so that a failure can name it."""
    w.open_item()
    w.el(w.t("立即购买")).click()
    w.grab("taobao/order_submit_disabled", w.t("提交订单"), inner=(64, 24))


PASSES = {  # a farm scenario each, and the states walked in it (promo: Taobao's pop-up over every page)
    "quiet": SCENARIO,
    "promo": scenario(promo_popup=1.0),
    "defects": SCENARIO + "defects: [submit_order_disabled]\n",
}


def walk(url: str, android: Device, ios: Device, sink: Sink, walk_pass: str) -> None:
    """Walk ``android`` and ``ios`` on the farm at ``url`` through the states of ``walk_pass``, each phone
    sharing to the other in turn, handing every state to ``sink``."""
    drivers = {d.platform: webdriver.Remote(url, options=options_for(d)) for d in (android, ios)}
    try:
        walkers = {p: Walker(drv, p, (android if p == "android" else ios).name, sink) for p, drv in drivers.items()}
        for sender, receiver in (("android", "ios"), ("ios", "android")):
            print(f"{walkers[sender].device} → {walkers[receiver].device}")
            if walk_pass != "quiet":
                (walk_promo if walk_pass == "promo" else walk_order_disabled)(walkers[sender])
                continue
            walk_share(walkers[sender], GROUP)
            sender_nick = (android if sender == "android" else ios).wechat_nickname
            walk_receiver(walkers[receiver], GROUP, sender_nick)
            partner = (ios if sender == "android" else android).wechat_nickname
            walk_outcomes(walkers[sender], GROUP, partner)
            walk_hema(walkers[sender])
    finally:
        for driver in drivers.values():
            driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=Path, default=ROOT.parent / "devices.yaml")
    parser.add_argument("--android", default="xiaomi-11")
    parser.add_argument("--ios", default="iphone-13")
    parser.add_argument("--out", type=Path, default=ROOT, help="template library to write (default: this folder)")
    parser.add_argument("--passes", default=",".join(PASSES), help=f"passes to walk (default: {','.join(PASSES)})")
    args = parser.parse_args()
    devices = {d.name: d for d in load(args.devices)}
    android, ios = devices[args.android], devices[args.ios]
    with tempfile.TemporaryDirectory(prefix="shareflow-record-") as folder:
        work = Path(folder)
        for walk_pass in args.passes.split(","):
            scenario = work / "scenario.yaml"
            scenario.write_text(PASSES[walk_pass])
            farm = launcher.start(args.devices, scenario, work)
            try:
                walk(farm.url, android, ios, TemplateSink(args.out), walk_pass)
            finally:
                farm.stop()


if __name__ == "__main__":
    main()
