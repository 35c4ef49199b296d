"""Accuracy corpus for template matching, built from the virtual farm's screens on every profile.

Walks the six phones of devices.yaml, in their three pairs, through every screen state the
suites use (the walk of ``screenshots/record_templates.py``, on its quiet farm served
in-process with the clock stopped) and keeps, at each state, the screenshot, the template's
box in it and the phone's view tree. From those it makes, per phone and state, with the
template library's templates and sidecars:

- positives (the template is on the screen; ``box`` says where): ``clean`` as the farm shows
  it (also other states' screens where the very same element shows), ``jpeg`` (re-encoded at
  quality 50), ``banner`` (a notification banner drawn by the farm), ``statusbar`` (another
  time on the clock), ``scroll`` (the content under the status bar shifted up or down);
- negatives (it is not): ``one_char`` (one character of the target's text changed),
  ``colour`` (its colour state flipped), ``neighbour`` (it is gone, its neighbours stay),
  ``sibling`` (the screen of a sibling state of the same layout), ``other`` (screens of other
  states), ``covered`` (a banner over all of it).

Every change but ``jpeg`` is made in the view tree and drawn by the phone's own renderer.
Each negative is checked against the tree (the target's text, colours and backdrop shown
nowhere, not even dimmed) and each positive against the clean pixels at its box. On the
phones the templates were recorded on, the box holds the template exactly; on the others it
is refined onto the template's content (text centres and wraps differently per width).
Android WeChat >= 8.0.55 hides node text from the walk's locators, so it is walked as
8.0.16, which draws the same pixels (checked before the walk).

Then, on screens and templates the matcher was not tuned on, four kinds (``variant`` says
which positive or near miss a case is; ``kind`` is the kind):

- ``bare``: the cases ``clean``, ``one_char``, ``colour`` and ``sibling`` of a seeded sample of
  ``BARE_STATES`` states per phone again, with the template copied as a bare PNG (no sidecar:
  no text, threshold, region) and no capture resolution, as Airtest users keep templates;
- ``font``: a seeded sample of ``FONT_STATES`` states per phone (of those whose template shows
  text) drawn by the phone's renderer in each of ``OTHER_FONTS`` (the templates are in
  WenQuanYi Micro Hei): the state (a positive, left out where its text would wrap or be cut
  otherwise in that font) and its ``one_char`` near miss (checked in the tree as above);
- ``reflow``: every state whose template shows text that one of ``OTHER_FONTS`` lays out otherwise
  (wraps or cuts at another place: a message bubble's link), drawn in that font — still shown, so a
  positive at the same box;
- ``cross``: templates cut on the phones the library was not recorded on (at the state's box,
  with the sidecar ``shareflow capture`` writes when it refreshes a template: that phone's
  capture resolution and scale, the library's threshold and text), matched on the other phones
  of the platform: ``clean``, ``one_char`` and ``colour`` of a seeded sample of
  ``CROSS_STATES`` states per pair of phones;
- ``own``: screens of our own design drawn outside the farm (``benchmarks/vision_own.py``).

Every case with the state on screen is in the positive-heavy ``mix`` (``"mix": true``), and a
seeded sample of the others so that ``MIX_POSITIVES`` of it are positives: a real test run,
where most ``expect()`` calls pass. The samples keep the build and a run of both tools within
about 20 minutes on a 2-core machine.

    .venv/bin/python benchmarks/vision_corpus.py [--out benchmarks/corpus] [--seed 2021] [--others 1]

Writes ``<out>/screens/<device>/<name>.png``, ``<out>/templates/{bare,cross,own}/``,
``<out>/cases.jsonl`` and ``<out>/summary.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import yaml
from PIL import Image

from shareflow.capture import KEPT
from shareflow.devices import Device, load
from shareflow.screen import decode_png
from shareflow_sim import scenario as scenarios
from shareflow_sim import system
from shareflow_sim.apps.wechat import TEXT_HIDDEN_FROM, parse_version
from shareflow_sim.farm import CHINA, Farm
from shareflow_sim.fonts import AR_PL_UMING, NOTO_SANS_CJK_SC, WQY_ZEN_HEI, Font
from shareflow_sim.phone import BANNER_NOISE, Phone, PhoneSpec
from shareflow_sim.profiles import Profile
from shareflow_sim.render import Renderer, text_width
from shareflow_sim.server import serve_in_thread
from shareflow_sim.specs import load_specs
from shareflow_sim.ui import Layer, Node, Rect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "screenshots"))
import record_templates as rt  # noqa: E402  (a script folder, not a package)
import vision_own  # noqa: E402  (benchmarks/, the folder of this script)

Box = tuple[int, int, int, int]  # x, y, w, h in screen pixels
Op = str | Mapping[str, str]  # "disable", "defect:<name>", or a recolour map (old colour -> new)
Shown = Literal["yes", "covered", "no"]

FROZEN = datetime(2021, 12, 12, 10, 30, tzinfo=CHINA)  # the farm's clock, stopped: screens repeat exactly
PAIRS = (("redmi-9a", "iphone-8"), ("xiaomi-11", "iphone-13"), ("galaxy-s21-ultra", "iphone-15-plus"))
WALKABLE_WECHAT = "8.0.16"  # WeChat >= 8.0.55 on Android hides node text, which the walk locates by
TRANSIENT = ("system.banner", "system.toast")
CHROME = ("system.statusbar", "system.navbar", "system.home_indicator")
SETTLE_S = 6.0
SCROLL_STEPS = tuple(range(24, 121, 8))  # dp; multiples of 8 move every profile by whole pixels
JPEG_QUALITY = 50
PNG_OPTIONS = [cv2.IMWRITE_PNG_COMPRESSION, 6]  # 40 % smaller than OpenCV's default, 2x slower to write
WRITE_QUEUE = 8  # screens waiting to be written at most
MESSAGE_KEY = re.compile(r"wechat\.msg\.\d+")  # a chat message's bubble; its avatar, nickname, time: <key>.*
PALE = 0.66  # how far a disabled button's colour moves to white (Taobao's disabled 提交订单: #FF5000 -> #FFC4A8)

ORANGE, GREEN, BUBBLE, WHITE, INK = "#FF5000", "#07C160", "#95EC69", "#FFFFFF", "#191919"
BLUE, RED, GOLD = "#1677FF", "#E8302E", "#FFE3A0"
POSITIVE = ("clean", "jpeg", "banner", "statusbar", "scroll", "reflow")
NEGATIVE = ("one_char", "colour", "neighbour", "sibling", "other", "covered")
UNTUNED = ("bare", "font", "cross", "own")  # kinds with positives and negatives, the variant in "variant"
OTHER_FONTS = (NOTO_SANS_CJK_SC, WQY_ZEN_HEI, AR_PL_UMING)  # the library's templates are in WenQuanYi Micro Hei
BARE_STATES = 6  # states per phone whose cases are repeated with bare templates
BARE_FROM = ("clean", "one_char", "colour", "sibling")
FONT_STATES = 5  # states per phone and font
CROSS_STATES = 4  # states per (template's phone, screen's phone)
CROSS_FROM = ("clean", "one_char", "colour")
MIX_POSITIVES = 0.85  # share of positives in the positive-heavy mix
COVERS = 0.05  # share of a node's box another node drawn after it must overlap to cover it (a line's fragments,
# 【淘宝】 and the link after it, touch where their boxes are rounded to pixels: that covers nothing)


@dataclass(frozen=True)
class Spec:
    """A state's target in the view tree and how its near misses are made.

    ``find``: the text the target starts with (its part inside the template), or what its
    accessibility label starts with when ``by="desc"`` (Taobao's pop-up × is 关闭按钮 on Android,
    关闭 on iOS); ``subs``: one-character changes (old, new) of that text; ``colour`` (``colour_ios``
    on iOS, when given) flips the colour state of ``scope`` (the target, its tab, or its backdrop: the
    nearest opaque ancestor);
    ``remove``: what the neighbour case takes away (target, tab, message, or a farm defect);
    ``siblings``: states of the same layout that a careless matcher confuses with this one.
    """

    find: str
    by: Literal["text", "desc"] = "text"
    subs: tuple[tuple[str, str], ...] = ()
    colour: Op = "disable"
    colour_ios: Op | None = None
    scope: Literal["target", "tab", "backdrop"] = "target"
    remove: str = "target"
    siblings: tuple[str, ...] = ()


H5 = ("wechat/h5_taobao", "wechat/h5_tmall", "wechat/h5_jd")
URLS = ("wechat/my_taobao_url", "wechat/my_tmall_url", "wechat/my_jd_url")
PAGES = ("wechat/blocked", "wechat/interstitial", "wechat/copy_to_browser")
LINK_SUBS = (("淘", "陶"), ("m.tb", "n.tb"), ("tb.cn", "tb.cm"))


def _but(group: tuple[str, ...], state: str) -> tuple[str, ...]:
    return tuple(s for s in group if s != state)


SPECS: dict[str, Spec] = {
    "taobao/item": Spec(
        "立即购买", subs=(("买", "卖"), ("即", "既")), siblings=("taobao/order_confirm", "taobao/clipboard_card")
    ),
    "taobao/order_confirm": Spec(
        "提交订单",
        subs=(("订", "汀"), ("交", "文")),
        colour="defect:submit_order_disabled",
        siblings=("taobao/item", "taobao/clipboard_card"),
    ),
    "taobao/order_submit_disabled": Spec(
        "提交订单",
        subs=(("订", "汀"), ("交", "文")),
        colour={"#FFC4A8": ORANGE},  # enabled again
        siblings=("taobao/order_confirm",),
    ),
    "taobao/clipboard_card": Spec(
        "查看详情", subs=(("查", "杳"), ("看", "着"), ("详", "洋")), siblings=("taobao/item", "taobao/order_confirm")
    ),
    "taobao/share_panel": Spec(
        "分享给好友",
        subs=(("享", "亨"), ("友", "发")),
        colour={"#888888": ORANGE},
        siblings=("taobao/password_copied",),
    ),
    "taobao/share_wechat": Spec(
        "微信",
        by="desc",
        subs=(("微", "徽"),),
        colour={GREEN: "#12B7F5"},
        remove="defect:share_panel_without_wechat",
        siblings=("wechat/chat_list",),
    ),
    "taobao/password_copied": Spec(
        "淘口令已复制",
        subs=(("令", "今"), ("已", "己")),
        colour={INK: ORANGE},
        siblings=("taobao/clipboard_card", "system/paste_alert"),
    ),
    "taobao/go_paste": Spec(
        "去微信粘贴",
        subs=(("去", "云"), ("贴", "帖")),
        colour={ORANGE: "#5F6368"},
        colour_ios={ORANGE: "#007AFF"},
        siblings=("system/paste_alert", "wechat/paste_menu"),
    ),
    "taobao/promo_popup": Spec("双12狂欢", subs=(("狂", "汪"), ("12", "13")), colour={RED: BLUE}, scope="backdrop"),
    "taobao/promo_close": Spec("关闭", by="desc", colour={WHITE: GOLD}),
    "system/paste_alert": Spec(
        "要允许吗",
        subs=(("允", "充"), ("要", "耍")),
        colour={"#191919": "#FF3B30"},
        siblings=("taobao/go_paste", "wechat/paste_menu"),
    ),
    "wechat/chat_list": Spec(
        "微信", subs=(("微", "徽"),), colour={GREEN: INK}, scope="tab", remove="tab", siblings=("taobao/share_wechat",)
    ),
    "wechat/chat": Spec("切换到按住说话", by="desc", colour={"#181818": GREEN}),
    "wechat/paste_menu": Spec(
        "粘贴",
        subs=(("贴", "帖"), ("粘", "沾")),
        colour={WHITE: "#2C2C2E", INK: WHITE},
        colour_ios={"#2C2C2E": WHITE, WHITE: INK},
        scope="backdrop",
        siblings=("wechat/copy_menu", "taobao/go_paste"),
    ),
    "wechat/copy_menu": Spec(
        "复制",
        subs=(("复", "夏"),),
        colour={"#4C4C4C": WHITE, WHITE: INK},
        scope="backdrop",
        siblings=("wechat/paste_menu",),
    ),
    "wechat/send": Spec("发送", subs=(("送", "选"), ("发", "友")), siblings=("wechat/continue", "wechat/chat")),
    "wechat/my_link": Spec(
        "【淘宝】",  # the head every Tao password with a link starts with (its template); its link varies
        subs=LINK_SUBS,
        colour={BUBBLE: WHITE},
        remove="message",
        siblings=("wechat/their_link",),
    ),
    "wechat/their_link": Spec(
        "【淘宝】",  # the head every Tao password with a link starts with (its template); its link varies
        subs=LINK_SUBS,
        colour={WHITE: BUBBLE},
        remove="message",
        siblings=("wechat/my_link",),
    ),
    "wechat/my_taobao_url": Spec(
        "https://item.taobao",
        subs=(("taobao", "taabao"), ("item", "itam")),
        colour={BUBBLE: WHITE},
        scope="backdrop",
        remove="message",
        siblings=_but(URLS, "wechat/my_taobao_url"),
    ),
    "wechat/my_tmall_url": Spec(
        "https://detail.tmall",
        subs=(("tmall", "tma1l"), ("detail", "detall")),
        colour={BUBBLE: WHITE},
        scope="backdrop",
        remove="message",
        siblings=_but(URLS, "wechat/my_tmall_url"),
    ),
    "wechat/my_jd_url": Spec(
        "https://item.m.jd",
        subs=(("m.jd", "m.id"), ("item", "itam")),
        colour={BUBBLE: WHITE},
        scope="backdrop",
        remove="message",
        siblings=_but(URLS, "wechat/my_jd_url"),
    ),
    "wechat/h5_taobao": Spec(
        "打开淘宝App", subs=(("淘", "陶"), ("开", "升")), colour={ORANGE: BLUE}, siblings=_but(H5, "wechat/h5_taobao")
    ),
    "wechat/h5_tmall": Spec(
        "打开天猫App", subs=(("天", "夭"), ("猫", "描")), colour={"#FF0036": BLUE}, siblings=_but(H5, "wechat/h5_tmall")
    ),
    "wechat/h5_jd": Spec(
        "打开京东App", subs=(("东", "车"), ("京", "凉")), colour={"#E1251B": BLUE}, siblings=_but(H5, "wechat/h5_jd")
    ),
    "wechat/blocked": Spec(
        "已停止访问该网页",
        subs=(("停", "亭"), ("问", "间"), ("已", "己")),
        colour={INK: "#FA5151"},
        siblings=_but(PAGES, "wechat/blocked"),
    ),
    "wechat/interstitial": Spec(
        "非微信官",
        subs=(("官", "宫"), ("非", "韭"), ("微", "徽")),
        colour={INK: "#10AEFF"},
        siblings=_but(PAGES, "wechat/interstitial"),
    ),
    "wechat/continue": Spec("继续访问", subs=(("访", "仿"), ("问", "间")), siblings=("wechat/blocked", "wechat/send")),
    "wechat/copy_to_browser": Spec(
        "如需浏览",
        subs=(("浏", "测"), ("览", "觉")),
        colour={INK: "#FA9D3B"},
        siblings=_but(PAGES, "wechat/copy_to_browser"),
    ),
}


class CorpusError(RuntimeError):
    """The farm, the walk and the view tree disagree: the corpus would not be honest."""


# -- the walk --------------------------------------------------------------------------------------
class FrozenFarm(Farm):
    """A farm whose wall clock stands still (timers still run): status bars and message times repeat."""

    def now(self) -> datetime:
        return self._start


@dataclass
class Capture:
    """One state on one phone: the screenshot, the template's box, the view tree (and farm-defect variants)."""

    device: str
    platform: str
    state: str
    screen: np.ndarray  # BGR
    box: Box
    layers: list[Layer]
    phone: Phone
    defects: dict[str, list[Layer]] = field(default_factory=dict)


def bgr(image: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def quiet_scenario(walk_pass: str) -> scenarios.Scenario:
    """The scenario of one of record_templates' passes, with the clock set."""
    data = yaml.safe_load(rt.PASSES[walk_pass])
    data["clock"] = {"start": FROZEN.isoformat()}
    return scenarios.from_dict(data, "record_templates.SCENARIO")


def walkable_devices(source: Path, work: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the pool file whose Android WeChat shows node text; returns it and the versions replaced."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    replaced = {}
    for entry in data["devices"]:
        version = entry.get("apps", {}).get("wechat", "")
        if entry["platform"] == "android" and version and parse_version(version) >= TEXT_HIDDEN_FROM:
            entry["apps"]["wechat"] = WALKABLE_WECHAT
            replaced[entry["name"]] = version
    path = work / "devices.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, replaced


def same_pixels_across_versions(spec: PhoneSpec, version: str) -> bool:
    """Whether WeChat ``version`` and the walkable one draw the chat list and the group chat alike on
    ``spec``'s phone (the version changes resource-ids and hides text from dumps, not pixels)."""
    images = []
    for v in (version, WALKABLE_WECHAT):
        farm = FrozenFarm(
            [dataclasses.replace(spec, app_versions={**spec.app_versions, "wechat": v})], quiet_scenario("quiet")
        )
        phone = farm.phones[spec.name]
        phone.open_app("com.tencent.mm")
        shots = [phone.renderer.render(phone.layers())]
        row = next(n for layer in phone.layers() for n in layer.root.walk() if n.key == "wechat.conv.group-1")
        phone.tap(row.frame.cx, row.frame.cy)
        if phone.layers()[0].name != "wechat.chat":
            raise CorpusError(f"{spec.name}: tapping the group did not open the chat")
        shots.append(phone.renderer.render(phone.layers()))
        images.append([np.asarray(s) for s in shots])
    return all(np.array_equal(a, b) for a, b in zip(*images, strict=True))


def wait_transients(farm: Farm) -> Callable[[rt.Walker], None]:
    """A settle hook: wait until no banner or toast passes over the walker's phone."""

    def settle(walker: rt.Walker) -> None:
        phone = farm.phones[walker.device]
        deadline = time.monotonic() + SETTLE_S
        while any(layer.name in TRANSIENT for layer in phone.layers()):
            if time.monotonic() > deadline:
                raise CorpusError(f"{walker.device}: a banner or toast did not go away")
            time.sleep(0.05)

    return settle


def keep(farm: Farm, captures: list[Capture]) -> Callable[[rt.Shot], None]:
    """A receiver for the walk: reads the phone's view tree, checks it draws the screenshot, keeps both."""

    def receive(shot: rt.Shot) -> None:
        phone = farm.phones[shot.device]
        layers = phone.layers()
        screen = decode_png(shot.png)
        if not np.array_equal(bgr(phone.renderer.render(layers)), screen):
            raise CorpusError(f"{shot.device} {shot.state}: the screenshot is not what the view tree draws")
        spec = SPECS[shot.state]
        defects = {op: defect_layers(phone, op) for op in (spec.colour, spec.remove) if str(op).startswith("defect:")}
        captures.append(Capture(shot.device, shot.platform, shot.state, screen, shot.box, layers, phone, defects))
        print(".", end="", flush=True)

    return receive


def defect_layers(phone: Phone, op: str) -> list[Layer]:
    """The phone's screen as it would be with the farm's seeded defect ``op`` ("defect:<name>")."""
    with phone.lock:
        original = phone.scenario
        phone.scenario = dataclasses.replace(original, defects=original.defects | {op.split(":", 1)[1]})
        try:
            return phone.layers()
        finally:
            phone.scenario = original


def walk_pair(devices_file: Path, android: Device, ios: Device) -> list[Capture]:
    """Every state of both phones: each of record_templates' passes (quiet, Taobao's pop-up, seeded defects)."""
    captures: list[Capture] = []
    for walk_pass in rt.PASSES:
        farm = FrozenFarm(load_specs(devices_file), quiet_scenario(walk_pass))
        sink = rt.ShotSink(keep(farm, captures), settle=wait_transients(farm))
        with serve_in_thread(farm) as url:
            rt.walk(url, android, ios, sink, walk_pass)
        print()
    return captures


# -- the view tree -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Placed:
    """A node in drawing order: its layer, ancestors, and the flat index span of its subtree."""

    node: Node
    layer: int
    ancestors: tuple[Node, ...]
    start: int
    end: int


def flatten(layers: list[Layer]) -> list[Placed]:
    """Every node of ``layers``, in the order the renderer draws them."""
    out: list[Placed] = []

    def visit(node: Node, layer: int, ancestors: tuple[Node, ...]) -> None:
        i = len(out)
        out.append(Placed(node, layer, ancestors, i, i + 1))
        for child in node.children:
            visit(child, layer, (*ancestors, node))
        out[i] = dataclasses.replace(out[i], end=len(out))

    for i, layer in enumerate(layers):
        visit(layer.root, i, ())
    return out


def opaque(colour: str | None) -> bool:
    return colour is not None and (len(colour) == 7 or colour[7:].upper() == "FF")


def visible(colour: str | None) -> bool:
    return colour is not None and (len(colour) == 7 or colour[7:] != "00")


def draws(node: Node) -> bool:
    """Whether the node puts anything on screen by itself."""
    s = node.style
    return visible(s.bg) or bool(s.border or s.icon or node.text or node.value)


def subtree_text(node: Node) -> str:
    return "".join(n.value or n.text for n in node.walk())


def look(node: Node) -> tuple[object, ...]:
    """What of a node's style shows on screen."""
    s = node.style
    inked, lettered = bool(node.text or node.value or s.icon), bool(node.text or node.value)
    return (s.bg, s.border, s.icon, s.fg if inked else None, (s.bold, s.size) if lettered else None, node.enabled)


def selected_by(spec: Spec, node: Node) -> bool:
    return (node.desc or "").startswith(spec.find) if spec.by == "desc" else subtree_text(node).startswith(spec.find)


def fingerprint(spec: Spec, placed: Placed) -> tuple[object, ...]:
    """How the target looks: its text (the template's part), the styles in it and the colour behind it."""
    node = placed.node
    text = subtree_text(node)
    backdrop = next((a.style.bg for a in reversed(placed.ancestors) if opaque(a.style.bg)), None)
    key = text[: len(spec.find)] if spec.by == "text" else text
    return key, frozenset(look(n) for n in node.walk()), backdrop, node.selected


def pixels(node: Node, scale: float) -> Box:
    return node.frame.scaled(scale)


def overlap(a: Box, b: Box) -> int:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


def iou(a: Box, b: Box) -> float:
    inter = overlap(a, b)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


def locate(spec: Spec, flat: list[Placed], box: Box, scale: float) -> Placed:
    """The node the template shows: of those ``spec`` selects, the one that fits ``box`` best."""
    scored = [(iou(pixels(p.node, scale), box), p) for p in flat if selected_by(spec, p.node)]
    scored = [(s, p) for s, p in scored if s > 0]
    if not scored:
        raise CorpusError(f"no node {spec.find!r} at {box}")
    return max(scored, key=lambda sp: (round(sp[0], 6), len(sp[1].ancestors)))[1]  # ties: the deepest


def lookalikes(spec: Spec, fp: tuple[object, ...], layers: list[Layer], scale: float) -> tuple[list[Placed], bool]:
    """The nodes that look like the target and nothing covers, and whether others are under something."""
    flat = flatten(layers)
    clear, covered = [], False
    for p in flat:
        if not selected_by(spec, p.node) or fingerprint(spec, p) != fp:
            continue
        box = pixels(p.node, scale)
        if any(draws(q.node) and overlap(pixels(q.node, scale), box) > COVERS * box[2] * box[3] for q in flat[p.end :]):
            covered = True
        else:
            clear.append(p)
    return clear, covered


def shows(spec: Spec, fp: tuple[object, ...], layers: list[Layer], scale: float) -> Shown:
    """Whether a node looking like the target is on screen: uncovered (yes), under something (covered), or not."""
    clear, covered = lookalikes(spec, fp, layers, scale)
    return "yes" if clear else "covered" if covered else "no"


# -- changes to the view tree -------------------------------------------------------------------------
def rebuild(layers: list[Layer], edit: Callable[[Node, Node], Node | None]) -> list[Layer]:
    """Copies of ``layers`` with every node passed through ``edit(original, copy)``; ``None`` drops it."""

    def visit(node: Node) -> Node | None:
        children = [c for c in (visit(child) for child in node.children) if c is not None]
        return edit(node, dataclasses.replace(node, children=children))

    out = []
    for layer in layers:
        root = visit(layer.root) or dataclasses.replace(layer.root, children=[])
        out.append(dataclasses.replace(layer, root=root))
    return out


def ids(node: Node) -> set[int]:
    return {id(n) for n in node.walk()}


def pale(colour: str) -> str:
    """A colour moved towards white as far as Taobao's disabled buttons are."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * PALE):02X}" for c in rgb) + colour[7:]


def recoloured(layers: list[Layer], scope: Node, mapping: Mapping[str, str], unselect: bool) -> list[Layer]:
    """``scope`` and all in it with colours swapped by ``mapping`` (and tabs unselected)."""
    inside, table = ids(scope), {k.upper(): v for k, v in mapping.items()}

    def swap(colour: str | None) -> str | None:
        return table.get(colour.upper(), colour) if colour else colour

    def edit(original: Node, copy: Node) -> Node:
        if id(original) not in inside:
            return copy
        s = copy.style
        style = dataclasses.replace(s, bg=swap(s.bg), fg=swap(s.fg) or s.fg, border=swap(s.border))
        return dataclasses.replace(copy, style=style, selected=copy.selected and not unselect)

    return rebuild(layers, edit)


def disabled(layers: list[Layer], scope: Node) -> list[Layer]:
    """``scope`` drawn as a disabled button: its fills paled, not enabled."""
    inside = ids(scope)

    def edit(original: Node, copy: Node) -> Node:
        if id(original) not in inside:
            return copy
        s = copy.style
        return dataclasses.replace(copy, style=dataclasses.replace(s, bg=pale(s.bg) if s.bg else None), enabled=False)

    return rebuild(layers, edit)


def removed(layers: list[Layer], gone: set[int]) -> list[Layer]:
    return rebuild(layers, lambda original, copy: None if id(original) in gone else copy)


def respelled(layers: list[Layer], target: Node, old: str, new: str, profile: Profile) -> list[Layer] | None:
    """The first text in ``target`` holding ``old`` with it replaced by ``new`` (its frame widened if
    the new text is wider, so that nothing wraps); ``None`` if no text in it holds ``old``."""
    node = next((n for n in target.walk() if old in (n.value or n.text)), None)
    if node is None:
        return None
    text = (node.value or node.text).replace(old, new, 1)
    scale, font, bold = profile.scale, profile.font, node.style.bold
    px = round(node.style.size * scale)
    grow = max(0.0, (text_width(font, text, px, bold) - text_width(font, node.value or node.text, px, bold)) / scale)

    def edit(original: Node, copy: Node) -> Node:
        if original is not node:
            return copy
        f = copy.frame
        spelled = {"value": text} if copy.value else {"text": text}
        return dataclasses.replace(copy, frame=Rect(f.x, f.y, f.w + grow, f.h), **spelled)

    return rebuild(layers, edit)


def shifted(layers: list[Layer], dy: float, profile: Profile) -> list[Layer]:
    """The content under the status bar moved down by ``dy`` (up if negative); system bars stay."""
    out = []
    for layer in layers:
        if layer.name in CHROME:
            out.append(layer)
            continue
        root = layer.root
        full = root.frame.w >= profile.width and root.frame.h >= profile.height
        moved = dataclasses.replace(root, children=[c.moved(dy) for c in root.children]) if full else root.moved(dy)
        out.append(dataclasses.replace(layer, root=moved))
    return out


def with_status_bar(layers: list[Layer], profile: Profile, now: datetime) -> list[Layer]:
    return [system.status_bar(profile, now) if layer.name == "system.statusbar" else layer for layer in layers]


def with_banner(layers: list[Layer], banner: Layer) -> list[Layer]:
    """``banner`` where the farm puts it: over the screen and its bars, under a system alert."""
    at = next((i for i, layer in enumerate(layers) if layer.name == "system.alert"), len(layers))
    return [*layers[:at], banner, *layers[at:]]


# -- cases -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    path: str  # relative to the repository
    capture_resolution: list[int]
    image: np.ndarray
    source_device: str
    capture_scale: float
    meta: dict[str, Any]  # its sidecar


def load_templates() -> dict[tuple[str, str], Template]:
    """Every template of the library by (platform, state)."""
    out = {}
    for png in sorted((ROOT / "screenshots").glob("*/*/*.png")):
        meta = yaml.safe_load(png.with_suffix(".yaml").read_text(encoding="utf-8"))
        platform, state = png.parent.parent.name, f"{png.parent.name}/{png.stem}"
        image = cv2.imread(str(png), cv2.IMREAD_COLOR)
        source = (meta.get("source") or {}).get("device", "")
        out[platform, state] = Template(
            str(png.relative_to(ROOT)),
            list(meta["capture_resolution"]),
            image,
            source,
            float(meta["capture_scale"]),
            meta,
        )
    return out


def bare_templates(templates: dict[tuple[str, str], Template], out: Path) -> dict[tuple[str, str], str]:
    """The library's PNGs copied to ``out`` without their sidecars, by (platform, state)."""
    paths = {}
    for (platform, state), template in templates.items():
        path = out / platform / f"{state}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / template.path, path)
        paths[platform, state] = relative(path)
    return paths


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = box
    return image[y : y + h, x : x + w]


def grey(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (3, 3), 0)


def correlation(window: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation map (flat patches count as no match)."""
    result = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    result = np.nan_to_num(result, nan=0.0, posinf=0.0, neginf=0.0)
    result[result > 1.0001] = 0.0
    return result


def agreement(template: np.ndarray, patch: np.ndarray) -> float:
    """Normalised correlation of the template, resized to the patch, with the patch (grey)."""
    t = cv2.resize(template, (patch.shape[1], patch.shape[0]), interpolation=cv2.INTER_AREA)
    return float(correlation(grey(patch), grey(t))[0, 0])


def refine(screen: np.ndarray, template: np.ndarray, box: Box, ratio: float) -> tuple[Box, float]:
    """Where the template's content lies near ``box`` (the crop rule's place on another phone):
    the best correlation of the template, resized by ``ratio`` -8..+4 % (glyph widths round
    down on smaller screens), within a fifth of the box's size around it. Text centres, wraps
    and rounds differently per width, so the rule's place can be some pixels off the content."""
    x, y, w, h = box
    margin = max(12, round(0.2 * max(w, h)))
    x0, y0 = max(0, x - margin), max(0, y - margin)
    window = grey(screen[y0 : y + h + margin, x0 : x + w + margin])
    best: tuple[float, Box] = (-1.0, box)
    th, tw = template.shape[:2]
    for k in ratio * np.linspace(0.92, 1.04, 13):
        size = (max(4, round(tw * k)), max(4, round(th * k)))
        if size[0] > window.shape[1] or size[1] > window.shape[0]:
            continue
        t = grey(cv2.resize(template, size, interpolation=cv2.INTER_AREA))
        _, value, _, (lx, ly) = cv2.minMaxLoc(correlation(window, t))
        if value > best[0]:
            best = (value, (x0 + lx, y0 + ly, size[0], size[1]))
    return best[1], round(best[0], 3)


class Store:
    """Writes each distinct screen image once, under ``<out>/screens/<device>/``, from worker threads."""

    def __init__(self, out: Path, pool: ThreadPoolExecutor) -> None:
        self.out, self.pool = out, pool
        self.paths: dict[bytes, str] = {}
        self.pending: list[Future[bool]] = []

    def put(self, device: str, name: str, image: np.ndarray) -> str:
        digest = hashlib.blake2b(image.tobytes(), digest_size=16).digest()
        if digest not in self.paths:
            path = self.out / "screens" / device / f"{name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            while len(self.pending) >= WRITE_QUEUE:  # hold rendering back rather than screens in memory
                self._done(self.pending.pop(0))
            self.pending.append(self.pool.submit(cv2.imwrite, str(path), image, PNG_OPTIONS))
            self.paths[digest] = relative(path)
        return self.paths[digest]

    def wait(self) -> None:
        while self.pending:
            self._done(self.pending.pop(0))

    @staticmethod
    def _done(write: Future[bool]) -> None:
        if not write.result():
            raise CorpusError("a screen image could not be written")


def relative(path: Path) -> str:
    """``path`` relative to the repository when inside it, else absolute."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass
class Target:
    """A state's capture with its target located in the view tree."""

    capture: Capture
    spec: Spec
    placed: Placed
    fp: tuple[object, ...]
    template: Template

    @property
    def scale(self) -> float:
        return self.capture.phone.profile.scale


class DeviceCases:
    """Builds one phone's cases from its captures."""

    def __init__(
        self,
        captures: list[Capture],
        templates: dict[tuple[str, str], Template],
        bare: dict[tuple[str, str], str],
        store: Store,
        args: argparse.Namespace,
    ) -> None:
        self.bare_paths = bare
        self.captures = {c.state: c for c in captures}
        self.device = captures[0].device
        self.platform = captures[0].platform
        self.phone = captures[0].phone
        self.profile = self.phone.profile
        self.renderer: Renderer = self.phone.renderer
        self.store, self.seed, self.others = store, args.seed, args.others
        self.cases: list[dict[str, Any]] = []
        self.skipped: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()
        self.checks: dict[str, dict[str, Any]] = {}
        self.targets = {s: self._target(c, templates) for s, c in self.captures.items()}
        self.screen_of = {
            s: self.store.put(self.device, s.replace("/", "."), c.screen) for s, c in self.captures.items()
        }

    def rng(self, *purpose: str) -> random.Random:
        return random.Random("/".join((str(self.seed), self.device, *purpose)))

    def _target(self, capture: Capture, templates: dict[tuple[str, str], Template]) -> Target:
        spec = SPECS[capture.state]
        scale = capture.phone.profile.scale
        placed = locate(spec, flatten(capture.layers), capture.box, scale)
        target = Target(capture, spec, placed, fingerprint(spec, placed), templates[capture.platform, capture.state])
        if shows(spec, target.fp, capture.layers, scale) != "yes":
            raise CorpusError(f"{capture.device} {capture.state}: the target is not plainly on its own screen")
        capture.box = self._ground_truth(target)
        return target

    def _ground_truth(self, t: Target) -> Box:
        """The template's box: the walk's box, which holds the template exactly on the phone it was
        recorded on; elsewhere the box refined onto the template's content (see :func:`refine`)."""
        state, box, template = t.capture.state, t.capture.box, t.template.image
        if t.template.source_device == self.device:
            patch = crop(t.capture.screen, box)
            if patch.shape != template.shape or not np.array_equal(patch, template):
                raise CorpusError(f"{self.device} {state}: the box does not hold the recorded template")
            self.checks[state] = {"box": list(box), "identical_to_template": True}
            return box
        before = agreement(template, crop(t.capture.screen, box))
        refined, after = refine(t.capture.screen, template, box, self.profile.scale / t.template.capture_scale)
        if overlap(refined, box) < 0.5 * refined[2] * refined[3]:  # a trimmed template lies inside the rule's box
            raise CorpusError(f"{self.device} {state}: the template's content is not near the walk's box {box}")
        self.checks[state] = {"walk_box": list(box), "box": list(refined), "correlation": [round(before, 3), after]}
        return refined

    # -- writing cases ----------------------------------------------------------------------------
    def add(
        self, t: Target, kind: str, screen: str, box: Box | None, detail: str, suffix: str = "", **extra: Any
    ) -> None:
        """A case of ``t``'s template on ``screen`` (``extra``: more fields, e.g. the untuned kinds' variant)."""
        state = t.capture.state
        case_id = f"{self.device}/{state}/{kind}{suffix}"
        self.ids[case_id] += 1
        if self.ids[case_id] > 1:  # the same target twice on one screen
            case_id += f"#{self.ids[case_id]}"
        self.cases.append(
            {
                "id": case_id,
                "screen": screen,
                "template": t.template.path,
                "capture_resolution": t.template.capture_resolution,
                "expect": box is not None,
                "box": list(box) if box is not None else None,
                "kind": kind,
                "device": self.device,
                "density": self.profile.scale,  # what a phone's session tells: the scale the template shows at
                "platform": self.platform,
                "state": state,
                "detail": detail,
                **extra,
            }
        )

    def render(self, layers: list[Layer]) -> np.ndarray:
        return bgr(self.renderer.render(layers))

    def build(self) -> None:
        by_screen: dict[str, list[Target]] = {}
        for state, t in self.targets.items():
            by_screen.setdefault(self.screen_of[state], []).append(t)
        for screen, group in by_screen.items():
            self.positives(screen, group)
        for t in self.targets.values():
            self.near_misses(t)
            self.elsewhere(t)
        self.bare()
        for font in OTHER_FONTS:
            self.font(font)

    # -- positives --------------------------------------------------------------------------------
    def positives(self, screen: str, group: list[Target]) -> None:
        """clean, jpeg, statusbar, banner and scroll for every state shown on one screen."""
        first = group[0].capture
        name = first.state.replace("/", ".")
        for t in group:
            self.add(t, "clean", screen, t.capture.box, "the screen as the farm shows it")
        _, jpeg = cv2.imencode(".jpg", first.screen, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        path = self.store.put(self.device, f"{name}.jpeg", cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
        for t in group:
            self.add(t, "jpeg", path, t.capture.box, f"JPEG quality {JPEG_QUALITY}, stored as PNG")
        self.status_bar(name, group)
        self.banner(name, group)
        self.scroll(name, group)

    def status_bar(self, name: str, group: list[Target]) -> None:
        rng = self.rng(name, "statusbar")
        now = FROZEN + timedelta(hours=rng.randint(1, 11), minutes=rng.randint(1, 59))
        image = self.render(with_status_bar(group[0].capture.layers, self.profile, now))
        path = self.store.put(self.device, f"{name}.statusbar", image)
        for t in group:
            self.positive_if_intact(t, "statusbar", image, path, t.capture.box, f"status bar clock {now:%H:%M}")

    def banner(self, name: str, group: list[Target]) -> None:
        rng = self.rng(name, "banner")
        app, title, body = rng.choice(BANNER_NOISE[self.platform])
        layer = system.banner_layer(self.profile, app, title, body, lambda: None)
        image = self.render(with_banner(group[0].capture.layers, layer))
        path = self.store.put(self.device, f"{name}.banner", image)
        card = pixels(layer.root, self.profile.scale)
        detail = f"notification banner {app}: {title}"
        for t in group:
            box = t.capture.box
            if not overlap(card, box):
                self.positive_if_intact(t, "banner", image, path, box, detail)
            elif overlap(card, box) == box[2] * box[3]:
                self.negative_if_gone(t, "covered", image, path, with_banner(t.capture.layers, layer), detail)
            else:
                self.skipped["banner: partly over the target"] += 1

    def scroll(self, name: str, group: list[Target]) -> None:
        """The content shifted by a seeded distance that keeps every target on this screen in view."""
        rng = self.rng(name, "scroll")
        steps = [s * rng.choice((-1, 1)) for s in SCROLL_STEPS]
        rng.shuffle(steps)
        scale = self.profile.scale
        top, bottom = self.profile.status_bar * scale, (self.profile.height - self.profile.bottom_bar) * scale
        fits = [
            dy
            for dy in steps
            if all(
                top <= t.capture.box[1] + dy * scale and t.capture.box[1] + t.capture.box[3] + dy * scale <= bottom
                for t in group
            )
        ]
        if not fits:
            self.skipped["scroll: no shift keeps the target in view"] += len(group)
            return
        dy = fits[0]
        image = self.render(shifted(group[0].capture.layers, dy, self.profile))
        path = self.store.put(self.device, f"{name}.scroll", image)
        for t in group:
            x, y, w, h = t.capture.box
            self.positive_if_intact(
                t, "scroll", image, path, (x, y + round(dy * scale), w, h), f"content shifted {dy:+d} dp"
            )

    def positive_if_intact(
        self, t: Target, kind: str, image: np.ndarray, path: str, box: Box, detail: str, suffix: str = ""
    ) -> None:
        """A positive if the pixels at ``box`` are the clean ones at the target (1 px of rounding searched)."""
        clean = crop(t.capture.screen, t.capture.box)
        x, y, w, h = box
        for dx, dy in ((0, 0), (0, -1), (0, 1), (-1, 0), (1, 0)):
            moved = (x + dx, y + dy, w, h)
            if crop(image, moved).shape == clean.shape and np.array_equal(crop(image, moved), clean):
                self.add(t, kind, path, moved, detail, suffix)
                return
        self.skipped[f"{kind}{' elsewhere' if suffix else ''}: target pixels differ"] += 1

    # -- negatives -------------------------------------------------------------------------------
    def negative_if_gone(
        self,
        t: Target,
        kind: str,
        image: np.ndarray,
        path: str | None,
        layers: list[Layer],
        detail: str,
        suffix: str = "",
    ) -> bool:
        """A negative if the tree shows the target nowhere (``covered``: only under the banner) and,
        for changes made to the target, the pixels at its box changed."""
        if shows(t.spec, t.fp, layers, t.scale) != ("covered" if kind == "covered" else "no"):
            self.skipped[f"{kind}: target still shown"] += 1
            return False
        unchanged = np.array_equal(crop(image, t.capture.box), crop(t.capture.screen, t.capture.box))
        if unchanged and kind in ("one_char", "colour", "neighbour"):
            self.skipped[f"{kind}: no change inside the template"] += 1
            return False
        if path is None:
            path = self.store.put(self.device, f"{t.capture.state.replace('/', '.')}.{kind}", image)
        self.add(t, kind, path, None, detail, suffix)
        return True

    def near_misses(self, t: Target) -> None:
        """one_char, colour and neighbour: the target changed in the tree, drawn by the farm's renderer."""
        for kind, made in (
            ("one_char", self.one_char(t)),
            ("colour", self.colour(t)),
            ("neighbour", self.neighbour(t)),
        ):
            if made is None:
                self.skipped[f"{kind}: not applicable"] += 1
                continue
            layers, detail = made
            self.negative_if_gone(t, kind, self.render(layers), None, layers, detail)

    def one_char(self, t: Target) -> tuple[list[Layer], str] | None:
        text = subtree_text(t.placed.node)
        subs = [(o, n) for o, n in t.spec.subs if o in text[: len(t.spec.find) if t.spec.by == "text" else None]]
        if not subs:
            return None
        old, new = self.rng(t.capture.state, "one_char").choice(subs)
        layers = respelled(t.capture.layers, t.placed.node, old, new, self.profile)
        if layers is None:
            return None
        return layers, f"{old}→{new}"

    def colour(self, t: Target) -> tuple[list[Layer], str] | None:
        op = t.spec.colour_ios if self.platform == "ios" and t.spec.colour_ios is not None else t.spec.colour
        if isinstance(op, str) and op.startswith("defect:"):
            return t.capture.defects[op], f"farm defect {op[7:]}"
        scope = self.scope(t)
        if op == "disable":
            return disabled(t.capture.layers, scope), "rendered disabled (fill paled towards white)"
        if isinstance(op, str):
            raise CorpusError(f"{t.capture.state}: unknown colour change {op!r}")
        detail = ", ".join(f"{a}→{b}" for a, b in op.items())
        return recoloured(t.capture.layers, scope, op, unselect=t.spec.scope == "tab"), detail

    @staticmethod
    def scope(t: Target, scope: str | None = None) -> Node:
        """The target, its tab, or its backdrop (the nearest opaque ancestor)."""
        scope = scope or t.spec.scope
        if scope == "tab":
            return next(n for n in reversed((*t.placed.ancestors, t.placed.node)) if n.role == "tab")
        if scope == "backdrop":
            return next(n for n in reversed(t.placed.ancestors) if opaque(n.style.bg))
        return t.placed.node

    def neighbour(self, t: Target) -> tuple[list[Layer], str] | None:
        how = t.spec.remove
        if how.startswith("defect:"):
            return t.capture.defects[how], f"farm defect {how[7:]}"
        if how == "message":  # the whole message: bubble, avatar, nickname and time
            node = next(n for n in reversed((*t.placed.ancestors, t.placed.node)) if MESSAGE_KEY.fullmatch(n.key))
            gone = {id(p.node) for p in flatten(t.capture.layers) if p.node.key.startswith(f"{node.key}.")} | {id(node)}
        else:
            node = self.scope(t, how)
            gone = {id(node)}
        return removed(t.capture.layers, gone), f"{how} {subtree_text(node)[:12] or node.desc} removed"

    def elsewhere(self, t: Target) -> None:
        """sibling and other: the clean screens of other states of this phone, where the target is not
        (where it is, the screen is a ``clean`` positive instead)."""
        own = self.screen_of[t.capture.state]
        for state in t.spec.siblings:
            if state in self.captures and self.screen_of[state] != own:
                self.on_screen_of(t, "sibling", state)
        pool = sorted(s for s in self.captures if s not in (t.capture.state, *t.spec.siblings))
        self.rng(t.capture.state, "other").shuffle(pool)
        used, made = {own}, 0
        for state in pool:
            if made < self.others and self.screen_of[state] not in used:
                used.add(self.screen_of[state])
                made += self.on_screen_of(t, "other", state)

    def on_screen_of(self, t: Target, kind: str, state: str) -> bool:
        """The template on the clean screen of ``state``: a negative (True) if the target is nowhere on
        it; a ``clean`` positive at each place it plainly is (pixels as at its own state)."""
        other, screen = self.captures[state], self.screen_of[state]
        clear, _ = lookalikes(t.spec, t.fp, other.layers, t.scale)
        own_x, own_y, _, _ = pixels(t.placed.node, t.scale)
        for p in clear:
            x, y, _, _ = pixels(p.node, t.scale)
            box = (t.capture.box[0] + x - own_x, t.capture.box[1] + y - own_y, *t.capture.box[2:])
            detail = f"the same target on the screen of {state}"
            self.positive_if_intact(t, "clean", other.screen, screen, box, detail, f"/{state}")
        if clear:
            return False
        return self.negative_if_gone(t, kind, other.screen, screen, other.layers, f"screen of {state}", f"/{state}")

    # -- untuned kinds ---------------------------------------------------------------------------
    def sample(self, states: list[str], count: int, *purpose: str) -> list[str]:
        """``count`` of ``states``, chosen by the seed."""
        states = sorted(states)
        self.rng(*purpose).shuffle(states)
        return states[:count]

    def bare(self) -> None:
        """bare: the clean, one_char, colour and sibling cases of a sample of states again, with the
        template as a bare PNG and no capture resolution."""
        chosen = set(self.sample(list(self.targets), BARE_STATES, "bare"))
        prefix = f"{self.device}/"
        for case in [c for c in self.cases if c["state"] in chosen and c["kind"] in BARE_FROM]:
            bare = {k: v for k, v in case.items() if k != "capture_resolution"}
            bare.update(
                id=prefix + "bare/" + case["id"].removeprefix(prefix),
                template=self.bare_paths[self.platform, case["state"]],
                kind="bare",
                variant=case["kind"],
            )
            self.cases.append(bare)

    def font(self, font: Font) -> None:
        """font: a sample of states whose template shows text, drawn by this phone's renderer in
        ``font``: the state (unless its text is laid out otherwise in that font) and its one_char."""
        renderer = Renderer(dataclasses.replace(self.profile, font=font))
        family = font.regular.family
        slug = family.replace(" ", "-")
        texts = [s for s, t in self.targets.items() if t.template.meta.get("text")]
        for state in self.sample(texts, FONT_STATES, "font", family):
            t = self.targets[state]
            name = f"{state.replace('/', '.')}.{slug}"
            image = bgr(renderer.render(t.capture.layers))
            box = t.capture.box
            extra = {"variant": "clean", "font": family}
            moved = [
                p.node
                for p in flatten(t.capture.layers)
                if overlap(pixels(p.node, t.scale), box) and self.renderer.lines(p.node) != renderer.lines(p.node)
            ]
            if moved:
                self.skipped[f"font: text laid out otherwise in {family}"] += 1  # a reflow case (below)
            elif np.array_equal(crop(image, box), crop(t.capture.screen, box)):
                self.skipped["font: no text inside the template"] += 1
            else:
                path = self.store.put(self.device, name, image)
                self.add(t, "font", path, box, f"drawn in {family}", f"/clean/{slug}", **extra)
            made = self.one_char(t)
            if made is None:
                self.skipped["font one_char: not applicable"] += 1
                continue
            layers, detail = made
            missed = bgr(renderer.render(layers))
            if shows(t.spec, t.fp, layers, t.scale) != "no":
                self.skipped["font one_char: target still shown"] += 1
            elif np.array_equal(crop(missed, box), crop(image, box)):
                self.skipped["font one_char: no change inside the template"] += 1
            else:
                path = self.store.put(self.device, f"{name}.one_char", missed)
                extra["variant"] = "one_char"
                self.add(t, "font", path, None, f"{detail}, drawn in {family}", f"/one_char/{slug}", **extra)

        for state in texts:  # every state whose text another font lays out otherwise: it is still shown
            t = self.targets[state]
            box = t.capture.box
            if any(
                overlap(pixels(p.node, t.scale), box) and self.renderer.lines(p.node) != renderer.lines(p.node)
                for p in flatten(t.capture.layers)
            ):
                name = f"{state.replace('/', '.')}.{slug}"
                path = self.store.put(self.device, name, bgr(renderer.render(t.capture.layers)))
                detail = f"drawn in {family}, its text laid out otherwise"
                self.add(t, "reflow", path, box, detail, f"/{slug}", variant="clean", font=family)

    def cut_templates(self, out: Path) -> tuple[list[int], dict[str, str]]:
        """Templates of every state cut on this phone, unless the library's were recorded on it: the
        clean screen at the state's box, with the sidecar ``shareflow capture`` writes when it
        refreshes a template (this phone's resolution and scale; the library's threshold, text,
        text box and region). Their capture resolution, and their paths by state."""
        paths = {}
        for state, t in self.targets.items():
            if t.template.source_device == self.device:
                continue
            path = out / self.device / f"{state}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), crop(t.capture.screen, t.capture.box))
            kept = {k: v for k, v in t.template.meta.items() if k in KEPT}
            meta = {
                "capture_resolution": [self.profile.width_px, self.profile.height_px],
                "capture_scale": self.profile.scale,
                **kept,
                "source": {"device": self.device, "box": list(t.capture.box)},
            }
            path.with_suffix(".yaml").write_text(
                yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            paths[state] = relative(path)
        return [self.profile.width_px, self.profile.height_px], paths


def cross_cases(
    cases: dict[str, list[dict[str, Any]]], cut: dict[str, tuple[list[int], dict[str, str]]], seed: int
) -> list[dict[str, Any]]:
    """cross: each phone's clean, one_char and colour cases of a sample of states, matched with
    the templates cut on another phone of its platform."""
    out = []
    platform = {device: built[0]["platform"] for device, built in cases.items()}
    for source, (resolution, templates) in sorted(cut.items()):
        for device, built in sorted(cases.items()):
            if device == source or platform[device] != platform[source]:
                continue
            states = sorted({c["state"] for c in built if c["kind"] == "clean"} & set(templates))
            random.Random(f"{seed}/cross/{source}/{device}").shuffle(states)
            chosen = set(states[:CROSS_STATES])
            prefix = f"{device}/"
            for case in built:
                if case["state"] in chosen and case["kind"] in CROSS_FROM:
                    out.append(
                        {
                            **case,
                            "id": f"{prefix}cross/{case['id'].removeprefix(prefix)}/from-{source}",
                            "template": templates[case["state"]],
                            "capture_resolution": resolution,
                            "kind": "cross",
                            "variant": case["kind"],
                            "template_device": source,
                        }
                    )
    return out


def mark_mix(cases: list[dict[str, Any]], seed: int) -> None:
    """The positive-heavy mix: every positive, and a seeded sample of negatives (``MIX_POSITIVES`` are positives)."""
    positives = sum(c["expect"] for c in cases)
    negatives = sorted((c for c in cases if not c["expect"]), key=lambda c: c["id"])
    random.Random(f"{seed}/mix").shuffle(negatives)
    chosen = {c["id"] for c in negatives[: round(positives * (1 - MIX_POSITIVES) / MIX_POSITIVES)]}
    for case in cases:
        case["mix"] = case["expect"] or case["id"] in chosen


# -- main --------------------------------------------------------------------------------------------
def group(case: dict[str, Any]) -> str:
    """The row a case is counted in: its kind, and for the untuned kinds whether it is a positive."""
    kind = case["kind"]
    return f"{kind} {'+' if case['expect'] else '-'}" if kind in UNTUNED else kind


def table(cases: list[dict[str, Any]], devices: list[str]) -> str:
    """Counts per kind (rows) and device (columns)."""
    counts = Counter((group(c), c["device"]) for c in cases)
    order = [*POSITIVE, *NEGATIVE, *(f"{k} {s}" for k in UNTUNED for s in "+-")]
    groups = [g for g in order if any(counts[g, d] for d in devices)]
    head = f"{'kind':<10} {'expect':<6} " + " ".join(f"{d:>16}" for d in devices) + f" {'total':>6}"
    rows = [head]
    for name in groups:
        cells = " ".join(f"{counts[name, d]:>16}" for d in devices)
        total = sum(counts[name, d] for d in devices)
        expect = name in POSITIVE or name.endswith("+")
        rows.append(f"{name:<10} {str(expect).lower():<6} {cells} {total:>6}")
    totals = " ".join(f"{sum(counts[g, d] for g in groups):>16}" for d in devices)
    rows.append(f"{'all':<10} {'':<6} {totals} {len(cases):>6}")
    mix = [c for c in cases if c["mix"]]
    rows.append(f"positive-heavy mix: {len(mix)} cases, {sum(c['expect'] for c in mix)} positives")
    return "\n".join(rows)


def summary(cases: list[dict[str, Any]], skipped: Counter[str], extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "cases": len(cases),
        "positives": sum(c["expect"] for c in cases),
        "negatives": sum(not c["expect"] for c in cases),
        "mix": dict(Counter("positives" if c["expect"] else "negatives" for c in cases if c["mix"])),
        "per_kind": dict(sorted(Counter(c["kind"] for c in cases).items())),
        "per_untuned_variant": dict(
            sorted(Counter(f"{c['kind']}/{c['variant']}" for c in cases if c["kind"] in UNTUNED).items())
        ),
        "per_device": dict(sorted(Counter(c["device"] for c in cases).items())),
        "per_device_kind": {
            d: dict(sorted(Counter(c["kind"] for c in cases if c["device"] == d).items()))
            for d in sorted({c["device"] for c in cases})
        },
        "skipped": dict(sorted(skipped.items())),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "corpus", help="corpus folder (replaced)")
    parser.add_argument("--devices", type=Path, default=ROOT / "devices.yaml", help="the six phones")
    parser.add_argument("--seed", type=int, default=2021, help="seed of every choice (default 2021)")
    parser.add_argument("--others", type=int, default=1, help="'other' negatives per state and phone (default 1)")
    args = parser.parse_args()
    started = time.monotonic()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    templates = load_templates()
    bare = bare_templates(templates, args.out / "templates" / "bare")
    by_device: dict[str, list[dict[str, Any]]] = {}
    cut: dict[str, tuple[list[int], dict[str, str]]] = {}
    skipped: Counter[str] = Counter()
    checks: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="shareflow-corpus-") as tmp, ThreadPoolExecutor(2) as pool:
        devices_file, replaced = walkable_devices(args.devices, Path(tmp))
        specs = {s.name: s for s in load_specs(args.devices)}
        identical = {name: same_pixels_across_versions(specs[name], v) for name, v in replaced.items()}
        if not all(identical.values()):
            raise CorpusError(f"WeChat versions draw differently on {identical}: cannot walk with {WALKABLE_WECHAT}")
        pool_devices = {d.name: d for d in load(devices_file)}
        store = Store(args.out, pool)
        for android, ios in PAIRS:
            print(f"walking {android} + {ios}")
            captures = walk_pair(devices_file, pool_devices[android], pool_devices[ios])
            for device in (android, ios):
                built = DeviceCases([c for c in captures if c.device == device], templates, bare, store, args)
                built.build()
                resolution, paths = built.cut_templates(args.out / "templates" / "cross")
                if paths:
                    cut[device] = resolution, paths
                by_device[device] = built.cases
                skipped += built.skipped
                checks[device] = built.checks
                print(f"  {device}: {len(built.captures)} states, {len(built.cases)} cases")
        print("our own screens")
        own = vision_own.OwnCases(store.put, args.out / "templates" / "own", relative)
        own.build()
        skipped += own.skipped
        store.wait()
    cases = [case for built in by_device.values() for case in built]
    cases += cross_cases(by_device, cut, args.seed) + own.cases
    mark_mix(cases, args.seed)
    devices = [d for pair in zip(*PAIRS, strict=True) for d in pair] + [d.name for d in vision_own.DENSITIES]
    with (args.out / "cases.jsonl").open("w", encoding="utf-8") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    seconds = round(time.monotonic() - started, 1)
    extra = {
        "seed": args.seed,
        "build_seconds": seconds,
        "walked_with_wechat": {n: f"{v} -> {WALKABLE_WECHAT} (draws identically)" for n, v in replaced.items()},
        "box_checks": checks,
    }
    (args.out / "summary.json").write_text(
        json.dumps(summary(cases, skipped, extra), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(table(cases, devices))
    print(f"skipped: {dict(sorted(skipped.items()))}")
    print(f"{len(cases)} cases in {seconds} s -> {relative(args.out)}")


if __name__ == "__main__":
    main()
