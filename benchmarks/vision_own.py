"""Screens of our own design for the template-matching corpus, drawn with plain PIL outside the farm.

Two invented apps with their own colours, corner radii and layouts — 鲜果集市, a fruit shop (a
product page, the cart, a delete dialog over the cart) and 飞语, a chat app (the chat list, a
group chat) — drawn at three densities (``own-hd`` 720×1560 at 2, ``own-fhd`` 1080×2400 at 2.75,
``own-qhd`` 1284×2778 at 3) in two fonts (Noto Sans CJK SC, WenQuanYi Micro Hei), each drawn at
twice the size and reduced (another anti-aliasing than the farm's renderer). A screen is a list
of :class:`Item` in drawing order, a flat view tree: a near miss is checked in it to show its
target nowhere, and a positive's box is its item's frame.

Templates are cut from ``own-fhd`` in Noto Sans CJK SC as ``shareflow capture`` cuts them (the
element with 6 px of margin, trimmed to its content) with the sidecar that command writes:
capture resolution, scale and the text (threshold: the matcher's default). The cases of each of
the eight targets: on the five other density/font screens, positives; on all six, the label with
one character changed, and (six targets) the colour state flipped (a disabled button, the other
side's bubble), negatives.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import yaml
from PIL import Image, ImageDraw

from shareflow.capture import trim
from shareflow_sim.fonts import NOTO_SANS_CJK_SC, WQY_MICRO_HEI, Font, load, stroke

SS = 2  # drawn at twice the size, then reduced
PAD = 6  # px of margin around a cut element, as ``shareflow capture`` keeps
Box = tuple[int, int, int, int]
Shown = Literal["yes", "covered", "no"]
Put = Callable[[str, str, np.ndarray], str]  # (device, name, BGR image) -> the stored screen's path

INK, GREY, LINE, PAGE, WHITE = "#1F2329", "#8A8F99", "#E5E6EB", "#F4F5F7", "#FFFFFF"
BLUE, AMBER, RED, TEAL, MINT = "#3D6AF2", "#F5A623", "#E0454B", "#0E7C7B", "#B8EBD9"
DISABLED = "#C9CDD4"


@dataclass(frozen=True)
class Density:
    """A screen of our own: its name, size in pixels and pixels per dp."""

    name: str
    width: int
    height: int
    scale: float


DENSITIES = (
    Density("own-hd", 720, 1560, 2.0),
    Density("own-fhd", 1080, 2400, 2.75),
    Density("own-qhd", 1284, 2778, 3.0),
)
FONTS = (NOTO_SANS_CJK_SC, WQY_MICRO_HEI)
TEMPLATE_FROM = (DENSITIES[1], NOTO_SANS_CJK_SC)


@dataclass(frozen=True)
class Item:
    """One drawn element: a frame in dp, a fill (rectangle, circle or picture), a border and a label."""

    key: str
    frame: tuple[float, float, float, float]  # x, y, w, h in dp
    text: str = ""
    fill: str | None = None
    ink: str = INK
    size: float = 15.0
    bold: bool = False
    radius: float = 0.0
    align: Literal["left", "center", "right"] = "center"
    shape: Literal["rect", "circle", "picture"] = "rect"
    border: str | None = None

    def box(self, scale: float) -> Box:
        x, y, w, h = self.frame
        return round(x * scale), round(y * scale), round(w * scale), round(h * scale)

    def look(self) -> tuple[object, ...]:
        return self.text, self.fill, self.ink, self.bold, self.shape


@dataclass(frozen=True)
class Target:
    """A state of our own apps: the screen it is on, the item the template shows, and its near misses."""

    state: str
    screen: str
    key: str
    sub: tuple[str, str]  # one character changed
    colour: dict[str, str] | None = None  # the item's colours swapped (None: not applicable)


TARGETS = (
    Target("shop/buy_now", "shop_item", "buy", ("单", "车"), {"fill": DISABLED}),
    Target("shop/add_to_cart", "shop_item", "add", ("入", "人"), {"fill": DISABLED}),
    Target("shop/checkout", "shop_cart", "checkout", ("结", "计"), {"fill": DISABLED}),
    Target("shop/delete_dialog", "shop_dialog", "dialog.title", ("品", "家")),
    Target("shop/delete", "shop_dialog", "dialog.ok", ("删", "册"), {"ink": DISABLED}),
    Target("chat/group", "chat_list", "row.1.name", ("讨", "计")),
    Target("chat/send", "chat", "send", ("送", "迭"), {"fill": DISABLED}),
    Target("chat/my_message", "chat", "msg.3", ("处", "办"), {"fill": WHITE}),
)


# -- the screens, in dp -------------------------------------------------------------------------------
def status_bar(w: float, bg: str, ink: str) -> list[Item]:
    return [
        Item("status", (0, 0, w, 28), fill=bg),
        Item("status.clock", (16, 4, 60, 20), "9:41", ink=ink, size=13, bold=True, align="left"),
        Item("status.battery", (w - 76, 4, 60, 20), "5G 88%", ink=ink, size=12, align="right"),
    ]


def nav_bar(w: float, title: str, bg: str = WHITE, ink: str = INK) -> list[Item]:
    return [
        *status_bar(w, bg, ink),
        Item("nav", (0, 28, w, 48), fill=bg),
        Item("nav.back", (4, 28, 40, 48), "‹", ink=ink, size=28),
        Item("nav.title", (w / 2 - 90, 28, 180, 48), title, ink=ink, size=17, bold=True),
    ]


def shop_item(w: float, h: float) -> list[Item]:
    """A product page: photo, price, name, a card of delivery rows and the buy bar."""
    photo = w * 0.8
    y = 76 + photo
    return [
        Item("page", (0, 0, w, h), fill=PAGE),
        *nav_bar(w, "商品详情"),
        Item("photo", (0, 76, w, photo), fill="#FCE3E3", shape="picture"),
        Item("price", (16, y + 12, 150, 34), "¥39.90", ink=RED, size=24, bold=True, align="left"),
        Item("chip.free", (w - 136, y + 18, 52, 22), "包邮", fill="#FFF1E0", ink="#E07B00", size=12, radius=4),
        Item("chip.fast", (w - 76, y + 18, 60, 22), "次日达", fill="#E8EEFF", ink=BLUE, size=12, radius=4),
        Item("name", (16, y + 52, w - 32, 26), "智利车厘子 JJ级 2斤装", size=17, bold=True, align="left"),
        Item("desc", (16, y + 80, w - 32, 20), "产地直发 · 坏果包赔", ink=GREY, size=13, align="left"),
        Item("card", (12, y + 112, w - 24, 96), fill=WHITE, radius=12),
        Item("card.ship", (28, y + 120, 48, 40), "配送", ink=GREY, size=14, align="left"),
        Item("card.ship.value", (84, y + 120, w - 120, 40), "上海市 浦东新区 · 明天送达", size=14, align="left"),
        Item("card.line", (28, y + 160, w - 56, 1), fill=LINE),
        Item("card.service", (28, y + 162, 48, 40), "服务", ink=GREY, size=14, align="left"),
        Item("card.service.value", (84, y + 162, w - 120, 40), "7天无理由退货 · 极速退款", size=14, align="left"),
        Item("bar", (0, h - 64, w, 64), fill=WHITE),
        Item("bar.line", (0, h - 64, w, 1), fill=LINE),
        Item("bar.shop.icon", (22, h - 56, 22, 22), fill="#FFD8A8", shape="circle"),
        Item("bar.shop", (12, h - 32, 42, 20), "店铺", ink=GREY, size=11),
        Item("bar.service.icon", (68, h - 56, 22, 22), fill="#C5D4FF", shape="circle"),
        Item("bar.service", (58, h - 32, 42, 20), "客服", ink=GREY, size=11),
        Item("add", (w - 236, h - 54, 110, 44), "加入购物车", fill=AMBER, ink=WHITE, size=15, bold=True, radius=6),
        Item("buy", (w - 120, h - 54, 108, 44), "立即下单", fill=BLUE, ink=WHITE, size=15, bold=True, radius=6),
    ]


CART = (
    ("车厘子 JJ级 2斤装", "¥39.90", "#FCE3E3"),
    ("阳光玫瑰葡萄 1.5kg", "¥45.80", "#E3F5D8"),
    ("海南贵妃芒 5斤", "¥34.00", "#FFF0C2"),
)


def shop_cart(w: float, h: float) -> list[Item]:
    """The cart: three rows (check, photo, name, price, quantity) and the checkout bar."""
    items = [Item("page", (0, 0, w, h), fill=PAGE), *nav_bar(w, "购物车(3)")]
    for i, (name, price, colour) in enumerate(CART):
        y = 88 + i * 124
        items += [
            Item(f"row.{i}", (12, y, w - 24, 112), fill=WHITE, radius=12),
            Item(f"row.{i}.check", (24, y + 45, 22, 22), fill=BLUE, shape="circle"),
            Item(f"row.{i}.photo", (58, y + 16, 80, 80), fill=colour, radius=8, shape="picture"),
            Item(f"row.{i}.name", (150, y + 16, w - 186, 24), name, size=15, align="left"),
            Item(f"row.{i}.spec", (150, y + 42, w - 186, 20), "规格：默认", ink=GREY, size=12, align="left"),
            Item(f"row.{i}.price", (150, y + 70, 90, 26), price, ink=RED, size=16, bold=True, align="left"),
            Item(f"row.{i}.qty", (w - 118, y + 70, 84, 26), "−   1   +", size=14, radius=13, border=LINE),
        ]
    return [
        *items,
        Item("bar", (0, h - 64, w, 64), fill=WHITE),
        Item("bar.all", (16, h - 54, 60, 44), "全选", size=14, align="left"),
        Item("bar.total", (w - 272, h - 54, 130, 44), "合计：¥119.70", ink=RED, size=15, bold=True, align="right"),
        Item("checkout", (w - 132, h - 54, 120, 44), "去结算(3)", fill=BLUE, ink=WHITE, size=15, bold=True, radius=22),
    ]


def shop_dialog(w: float, h: float) -> list[Item]:
    """The cart under a scrim, and a dialog asking to delete the chosen items."""
    x, y = w / 2 - 140, h / 2 - 90
    return [
        *shop_cart(w, h),
        Item("scrim", (0, 0, w, h), fill="#00000066"),
        Item("dialog", (x, y, 280, 170), fill=WHITE, radius=14),
        Item("dialog.title", (x + 20, y + 20, 240, 28), "删除商品", size=17, bold=True),
        Item("dialog.message", (x + 20, y + 56, 240, 40), "确定要删除这2件商品吗？", ink=GREY, size=14),
        Item("dialog.line", (x, y + 118, 280, 1), fill=LINE),
        Item("dialog.split", (x + 140, y + 118, 1, 52), fill=LINE),
        Item("dialog.cancel", (x, y + 119, 140, 51), "取消", ink="#5C6370", size=16),
        Item("dialog.ok", (x + 141, y + 119, 139, 51), "删除", ink=RED, size=16, bold=True),
    ]


CHATS = (
    ("林晓", "周六一起去爬山吗？", "10:24", "#F29B76"),
    ("产品讨论组", "王磊：新版本的截图发群里了", "09:58", TEAL),
    ("妈妈", "记得多穿点衣服", "昨天", "#E5A5C5"),
    ("快递小哥", "您的包裹已放在门卫室", "昨天", "#8FB3F0"),
    ("周末羽毛球", "场地订好了，老地方见", "周一", "#9CCB7A"),
)


def chat_list(w: float, h: float) -> list[Item]:
    """飞语's chat list: a search field, five conversations and the tab bar."""
    items = [
        Item("page", (0, 0, w, h), fill=WHITE),
        *status_bar(w, TEAL, WHITE),
        Item("nav", (0, 28, w, 52), fill=TEAL),
        Item("nav.title", (16, 28, 120, 52), "飞语", ink=WHITE, size=20, bold=True, align="left"),
        Item("nav.add", (w - 52, 28, 40, 52), "＋", ink=WHITE, size=22),
        Item("search", (12, 88, w - 24, 36), "搜索", fill="#EEF0F2", ink=GREY, size=14, radius=8),
    ]
    for i, (name, preview, when, colour) in enumerate(CHATS):
        y = 132 + i * 72
        items += [
            Item(f"row.{i}.avatar", (16, y + 12, 48, 48), name[0], fill=colour, ink=WHITE, size=18, shape="circle"),
            Item(f"row.{i}.name", (76, y + 12, w - 160, 24), name, size=16, bold=True, align="left"),
            Item(f"row.{i}.preview", (76, y + 38, w - 100, 22), preview, ink=GREY, size=13, align="left"),
            Item(f"row.{i}.time", (w - 84, y + 12, 68, 24), when, ink=GREY, size=12, align="right"),
            Item(f"row.{i}.line", (76, y + 71, w - 76, 1), fill=LINE),
        ]
    items.append(Item("tabs", (0, h - 56, w, 56), fill="#FAFAFA"))
    for i, tab in enumerate(("消息", "联系人", "发现", "我")):
        ink = TEAL if i == 0 else GREY
        items.append(Item(f"tab.{i}", (i * w / 4, h - 56, w / 4, 56), tab, ink=ink, size=13, bold=i == 0))
    return items


MESSAGES = (
    (False, "明天上午十点开会，别迟到"),
    (True, "好的，我会准时到"),
    (False, "新版本的截图发群里了吗？"),
    (True, "收到，马上处理"),
)


def chat(w: float, h: float) -> list[Item]:
    """A group chat of 飞语: four messages, the input field and the send button."""
    items = [
        Item("page", (0, 0, w, h), fill="#EDF1F2"),
        *nav_bar(w, "产品讨论组", TEAL, WHITE),
    ]
    for i, (mine, text) in enumerate(MESSAGES):
        y = 96 + i * 76
        width = 28 + 15 * len(text)
        if mine:
            items += [
                Item(f"msg.{i}.avatar", (w - 56, y, 40, 40), "我", fill="#6C8EEF", ink=WHITE, size=15, radius=6),
                Item(f"msg.{i}", (w - 66 - width, y, width, 40), text, fill=MINT, size=15, radius=10),
            ]
        else:
            items += [
                Item(f"msg.{i}.avatar", (16, y, 40, 40), "王", fill="#F29B76", ink=WHITE, size=15, radius=6),
                Item(f"msg.{i}", (66, y, width, 40), text, fill=WHITE, size=15, radius=10),
            ]
    return [
        *items,
        Item("input.bar", (0, h - 60, w, 60), fill="#F7F7F7"),
        Item(
            "input", (12, h - 50, w - 92, 40), "说点什么…", fill=WHITE, ink="#B0B4BA", size=14, radius=6, align="left"
        ),
        Item("send", (w - 72, h - 47, 60, 34), "发送", fill=TEAL, ink=WHITE, size=15, bold=True, radius=4),
    ]


SCREENS: dict[str, Callable[[float, float], list[Item]]] = {
    "shop_item": shop_item,
    "shop_cart": shop_cart,
    "shop_dialog": shop_dialog,
    "chat_list": chat_list,
    "chat": chat,
}


# -- changes and checks --------------------------------------------------------------------------------
def changed(items: list[Item], key: str, **change: Any) -> list[Item]:
    """``items`` with the one keyed ``key`` replaced by a copy with ``change``."""
    if not any(i.key == key for i in items):
        raise KeyError(f"no item {key!r}")
    return [dataclasses.replace(i, **change) if i.key == key else i for i in items]


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return min(a[0] + a[2], b[0] + b[2]) > max(a[0], b[0]) and min(a[1] + a[3], b[1] + b[3]) > max(a[1], b[1])


def shows(items: list[Item], target: Item) -> Shown:
    """Whether an item that looks like ``target`` is on screen: uncovered (yes), under a fill (covered), or not."""
    covered = False
    for i, item in enumerate(items):
        if item.look() != target.look():
            continue
        if any(later.fill and overlap(later.frame, item.frame) for later in items[i + 1 :]):
            covered = True
        else:
            return "yes"
    return "covered" if covered else "no"


# -- drawing -------------------------------------------------------------------------------------------
def rgba(colour: str) -> tuple[int, int, int, int]:
    alpha = int(colour[7:9], 16) if len(colour) == 9 else 255
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), alpha


def picture(size: tuple[int, int], colour: str) -> Image.Image:
    """A product photo: a soft vertical gradient of ``colour`` with two round fruits on it."""
    w, h = size
    r, g, b, _ = rgba(colour)
    fade = np.linspace(1.0, 0.82, h)[:, None, None]
    pixels = (np.array([r, g, b], float)[None, None, :] * fade).repeat(w, axis=1)
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for cx, cy, rad, fruit in ((0.42, 0.55, 0.2, (178, 34, 52)), (0.6, 0.5, 0.16, (200, 48, 60))):
        x, y, rr = cx * w, cy * h, rad * min(w, h)
        draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=fruit)
        draw.ellipse((x - rr * 0.5, y - rr * 0.6, x - rr * 0.1, y - rr * 0.2), fill=(236, 120, 130))
    return image


def draw(items: list[Item], density: Density, font: Font) -> np.ndarray:
    """The screen of ``items`` (BGR) at ``density``, its text in ``font``."""
    k = density.scale * SS
    canvas = Image.new("RGB", (density.width * SS, density.height * SS), (255, 255, 255))
    pen = ImageDraw.Draw(canvas, "RGBA")
    for item in items:
        x0, y0 = item.frame[0] * k, item.frame[1] * k
        x1, y1 = x0 + item.frame[2] * k, y0 + item.frame[3] * k
        if item.shape == "picture" and item.fill:
            photo = picture((round(x1 - x0), round(y1 - y0)), item.fill)
            mask = Image.new("L", photo.size, 0)
            ImageDraw.Draw(mask).rounded_rectangle((0, 0, *photo.size), radius=round(item.radius * k), fill=255)
            canvas.paste(photo, (round(x0), round(y0)), mask)
        elif item.shape == "circle" and item.fill:
            pen.ellipse((x0, y0, x1, y1), fill=rgba(item.fill))
        elif item.fill or item.border:
            pen.rounded_rectangle(
                (x0, y0, x1 - 1, y1 - 1),
                radius=round(item.radius * k),
                fill=rgba(item.fill) if item.fill else None,
                outline=rgba(item.border) if item.border else None,
                width=max(1, round(k / 2)),
            )
        if item.text:
            px = round(item.size * k)
            face = load(font, px, item.bold)
            anchor = {"left": "lm", "center": "mm", "right": "rm"}[item.align]
            inset = 12 * k if item.fill and item.align != "center" else 0
            at = {"left": x0 + inset, "center": (x0 + x1) / 2, "right": x1 - inset}[item.align]
            sw = stroke(font, px, item.bold)
            ink = rgba(item.ink)
            pen.text(
                (at, (y0 + y1) / 2), item.text, font=face, fill=ink, anchor=anchor, stroke_width=sw, stroke_fill=ink
            )
    small = canvas.reduce(SS)
    return cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2BGR)


# -- cases ---------------------------------------------------------------------------------------------
def family(font: Font) -> str:
    return font.regular.family


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = box
    return image[y : y + h, x : x + w]


def cut(image: np.ndarray, box: Box) -> np.ndarray:
    """``shareflow capture``'s crop: ``box`` with a margin of ``PAD`` px, trimmed to its content."""
    x, y, w, h = box
    return trim(image[max(0, y - PAD) : y + h + PAD, max(0, x - PAD) : x + w + PAD], PAD)


def item_of(items: list[Item], key: str) -> Item:
    return next(i for i in items if i.key == key)


class OwnCases:
    """Builds the ``own`` cases: templates written under ``templates``, screens stored with ``put``."""

    def __init__(self, put: Put, templates: Path, relative: Callable[[Path], str]) -> None:
        self.put, self.templates, self.relative = put, templates, relative
        self.cases: list[dict[str, Any]] = []
        self.skipped: Counter[str] = Counter()
        self._drawn: dict[tuple[str, str, str], tuple[str, np.ndarray]] = {}

    def screen(self, density: Density, font: Font, name: str) -> tuple[list[Item], str, np.ndarray]:
        """A plain screen's items, stored path and pixels (drawn once)."""
        items = SCREENS[name](density.width / density.scale, density.height / density.scale)
        key = (density.name, family(font), name)
        if key not in self._drawn:
            image = draw(items, density, font)
            self._drawn[key] = self.put(density.name, f"{name}.{slug(font)}", image), image
        return items, *self._drawn[key]

    def build(self) -> None:
        for t in TARGETS:
            self.target(t)

    def target(self, t: Target) -> None:
        """The template of ``t`` cut on its screen, then its positives and near misses on every other."""
        density, font = TEMPLATE_FROM
        items, _, image = self.screen(density, font, t.screen)
        target = item_of(items, t.key)
        if shows(items, target) != "yes":
            raise ValueError(f"{t.state}: its item {t.key} is not plainly on its own screen")
        path = self.templates / f"{t.state}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), cut(image, target.box(density.scale)))
        meta = {
            "capture_resolution": [density.width, density.height],
            "capture_scale": density.scale,
            "text": target.text,
            "source": {"device": density.name, "font": family(font), "item": t.key},
        }
        path.with_suffix(".yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), "utf-8")
        for d in DENSITIES:
            for f in FONTS:
                self.on(t, target, d, f)

    def on(self, t: Target, target: Item, d: Density, f: Font) -> None:
        """``t``'s cases on its screen at density ``d`` in font ``f``: the positive (unless it is the
        template's own screen) and the near misses, each checked in the items and in the pixels."""
        items, screen, image = self.screen(d, f, t.screen)
        box = item_of(items, t.key).box(d.scale)
        where = f"{d.name} in {family(f)}"
        if (d, f) != TEMPLATE_FROM:
            if shows(items, target) == "yes" and crop(image, box).std() > 0:
                self.add(t, d, f, "clean", screen, box, where)
            else:
                self.skipped["own clean: target not plainly shown"] += 1
        old, new = t.sub
        near: list[tuple[str, str, dict[str, str]]] = [
            ("one_char", f"{old}→{new}", {"text": target.text.replace(old, new, 1)})
        ]
        if t.colour:
            near.append(("colour", ", ".join(f"{k} {v}" for k, v in t.colour.items()), t.colour))
        for variant, detail, change in near:
            missed = changed(items, t.key, **change)
            if shows(missed, target) != "no":
                self.skipped[f"own {variant}: target still shown"] += 1
                continue
            drawn = draw(missed, d, f)
            if np.array_equal(crop(drawn, box), crop(image, box)):
                self.skipped[f"own {variant}: no change inside the template"] += 1
                continue
            path = self.put(d.name, f"{t.screen}.{slug(f)}.{t.key}.{variant}", drawn)
            self.add(t, d, f, variant, path, None, f"{detail}, {where}")

    def add(self, t: Target, d: Density, f: Font, variant: str, screen: str, box: Box | None, detail: str) -> None:
        density, _ = TEMPLATE_FROM
        self.cases.append(
            {
                "id": f"{d.name}/{t.state}/own/{variant}/{slug(f)}",
                "screen": screen,
                "template": self.relative(self.templates / f"{t.state}.png"),
                "capture_resolution": [density.width, density.height],
                "expect": box is not None,
                "box": list(box) if box is not None else None,
                "kind": "own",
                "variant": variant,
                "device": d.name,
                "density": d.scale,
                "platform": "own",
                "state": t.state,
                "font": family(f),
                "detail": detail,
            }
        )


def slug(font: Font) -> str:
    return family(font).replace(" ", "-")
