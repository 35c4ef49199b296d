"""Vector glyphs and picture placeholders drawn by the renderer.

A glyph is a function drawing white (255) on a black mask through a
:class:`Pen` whose coordinates are a 24-unit grid centred in the frame; the
renderer supersamples the mask and tints it with the node's ``fg`` colour.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter

SUPERSAMPLE = 4
Point = tuple[float, float]
RGB = tuple[int, int, int]


@lru_cache(maxsize=256)
def rgba(colour: str) -> tuple[RGB, int]:
    """``#RRGGBB`` or ``#RRGGBBAA`` as ((r, g, b), alpha)."""
    digits = colour[1:] if colour.startswith("#") else ""
    try:
        if len(digits) not in (6, 8):
            raise ValueError
        value = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
    except ValueError:
        raise ValueError(f"bad colour {colour!r}: expected #RRGGBB or #RRGGBBAA") from None
    return (value[0], value[1], value[2]), value[3] if len(value) == 4 else 255


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


class Pen:
    """Draws on a mask in grid units: a ``grid``-unit square centred in it."""

    def __init__(self, draw: ImageDraw.ImageDraw, w: int, h: int, grid: float = 24) -> None:
        self.draw = draw
        self.k = min(w, h) / grid
        self.ox = (w - grid * self.k) / 2
        self.oy = (h - grid * self.k) / 2
        self.span = w / self.k  # the frame's width in grid units

    def p(self, x: float, y: float) -> Point:
        return (self.ox + x * self.k, self.oy + y * self.k)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[Point, Point]:
        return self.p(x0, y0), self.p(x1, y1)

    def px(self, width: float) -> int:
        return max(1, round(width * self.k))

    def line(self, pts: Sequence[Point], width: float = 2.0, ink: int = 255) -> None:
        """A polyline with round joints and caps."""
        self.draw.line([self.p(*q) for q in pts], fill=ink, width=self.px(width), joint="curve")
        for q in (pts[0], pts[-1]):
            self.circle(q[0], q[1], width / 2, ink)

    def circle(self, cx: float, cy: float, r: float, ink: int = 255) -> None:
        self.draw.ellipse(self.box(cx - r, cy - r, cx + r, cy + r), fill=ink)

    def ring(self, cx: float, cy: float, r: float, width: float = 1.8, ink: int = 255) -> None:
        self.draw.ellipse(self.box(cx - r, cy - r, cx + r, cy + r), outline=ink, width=self.px(width))

    def oval(self, x0: float, y0: float, x1: float, y1: float, ink: int = 255) -> None:
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=ink)

    def rect(self, x0: float, y0: float, x1: float, y1: float, r: float = 0, width: float = 0, ink: int = 255) -> None:
        """A (rounded) rectangle, filled unless ``width`` gives an outline."""
        if width:
            self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), r * self.k, outline=ink, width=self.px(width))
        else:
            self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), r * self.k, fill=ink)

    def poly(self, pts: Sequence[Point], ink: int = 255) -> None:
        self.draw.polygon([self.p(*q) for q in pts], fill=ink)

    def arc(self, cx: float, cy: float, r: float, start: float, end: float, width: float = 1.8) -> None:
        """An arc; angles in degrees clockwise from 3 o'clock."""
        self.draw.arc(self.box(cx - r, cy - r, cx + r, cy + r), start, end, fill=255, width=self.px(width))

    def pie(self, cx: float, cy: float, r: float, start: float, end: float, ink: int = 255) -> None:
        self.draw.pieslice(self.box(cx - r, cy - r, cx + r, cy + r), start, end, fill=ink)


def _back(p: Pen) -> None:
    p.line([(20, 12), (4.5, 12)])
    p.line([(11, 5), (4.5, 12), (11, 19)])


def _chevron_left(p: Pen) -> None:
    p.line([(15.5, 3.5), (7, 12), (15.5, 20.5)], 2.4)


def _chevron_right(p: Pen) -> None:
    p.line([(9, 5), (16, 12), (9, 19)], 1.8)


def _close(p: Pen) -> None:
    p.line([(5, 5), (19, 19)])
    p.line([(19, 5), (5, 19)])


def _share(p: Pen) -> None:
    p.line([(17.5, 5.5), (6.5, 12), (17.5, 18.5)], 1.6)
    for x, y in ((17.5, 5.5), (6.5, 12), (17.5, 18.5)):
        p.circle(x, y, 3.2)


def _more(p: Pen) -> None:
    for x in (5, 12, 19):
        p.circle(x, 12, 2)


def _plus(p: Pen) -> None:
    p.ring(12, 12, 10.5, 1.5)
    p.line([(12, 7), (12, 17)], 1.5)
    p.line([(7, 12), (17, 12)], 1.5)


def _smile(p: Pen) -> None:
    p.ring(12, 12, 10.5, 1.5)
    p.circle(8.5, 9.5, 1.3)
    p.circle(15.5, 9.5, 1.3)
    p.arc(12, 12, 5.5, 25, 155, 1.5)


def _voice(p: Pen) -> None:
    p.ring(12, 12, 10.5, 1.5)
    p.pie(7.5, 12, 2.2, -50, 50)
    p.arc(7.5, 12, 5.5, -50, 50, 1.5)
    p.arc(7.5, 12, 9, -50, 50, 1.5)


def _search(p: Pen) -> None:
    p.ring(10.5, 10.5, 7, 2)
    p.line([(15.7, 15.7), (20.5, 20.5)], 2.4)


def _cart(p: Pen) -> None:
    p.line([(2, 3.5), (5, 3.5), (7.5, 15.5), (19, 15.5)], 1.8)
    p.line([(6, 7), (21, 7), (19, 12.5), (7, 12.5)], 1.8)
    p.circle(9, 19.5, 1.8)
    p.circle(17.5, 19.5, 1.8)


def _heart(p: Pen) -> None:
    pts = []
    for i in range(48):
        t = 2 * math.pi * i / 48
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((12 + x * 0.58, 11.5 - y * 0.58))
    p.line([*pts, pts[0]], 1.8)


def _star_points(cx: float, cy: float, r: float) -> list[Point]:
    pts = []
    for i in range(10):
        a = math.radians(-90 + 36 * i)
        rr = r if i % 2 == 0 else r * 0.45
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def _star(p: Pen) -> None:
    pts = _star_points(12, 12.8, 10)
    p.line([*pts, pts[0]], 1.7)


def _shop(p: Pen) -> None:
    p.line([(3, 9), (5, 3.5), (19, 3.5), (21, 9), (3, 9)], 1.7)
    p.line([(4.5, 9), (4.5, 20.5), (19.5, 20.5), (19.5, 9)], 1.7)
    p.line([(10, 20.5), (10, 14.5), (14, 14.5), (14, 20.5)], 1.7)


def _home(p: Pen) -> None:
    p.line([(2.5, 11.5), (12, 3), (21.5, 11.5)], 1.8)
    p.line([(5.5, 9.5), (5.5, 20.5), (18.5, 20.5), (18.5, 9.5)], 1.8)
    p.line([(10, 20.5), (10, 14.5), (14, 14.5), (14, 20.5)], 1.8)


def _nav_back(p: Pen) -> None:
    p.line([(16, 5.5), (16, 18.5), (6, 12), (16, 5.5)], 1.8)


def _nav_home(p: Pen) -> None:
    p.ring(12, 12, 7.5, 1.8)


def _nav_recents(p: Pen) -> None:
    p.rect(6, 6, 18, 18, 1.5, 1.8)


def _wifi(p: Pen) -> None:
    for outer, inner in ((16, 12.5), (9.8, 6.3)):
        p.pie(12, 19, outer, 225, 315)
        p.pie(12, 19, inner, 225, 315, ink=0)
    p.pie(12, 19, 3.8, 225, 315)


def _signal(p: Pen) -> None:
    for i in range(4):
        x = 2.5 + i * 5.2
        p.rect(x, 18 - 4 * i - 3.5, x + 3.6, 19, 0.8)


def _battery(p: Pen) -> None:
    half = min((p.span - 3) / 2, 12.5)
    x0, x1 = 12 - half, 12 + half - 2
    p.rect(x0, 6.5, x1, 17.5, 3, 1.3)
    p.rect(x0 + 2.2, 8.7, x0 + 2.2 + (x1 - x0 - 4.4) * 0.8, 15.3, 1.5)
    p.rect(x1 + 0.8, 10, x1 + 2.2, 14, 0.7)


def _check(p: Pen) -> None:
    p.line([(4.5, 12.5), (9.5, 17.5), (19.5, 6.5)], 2.2)


def _chat(p: Pen) -> None:
    p.rect(2.5, 4, 21.5, 17, 4, 1.8)
    p.poly([(6.5, 16), (6, 21.5), (12.5, 16)])


def _contacts(p: Pen) -> None:
    p.ring(10, 8, 4, 1.8)
    p.arc(10, 21, 7.5, 180, 360, 1.8)
    p.line([(18, 8), (21.5, 8)], 1.8)
    p.line([(19, 12.5), (21.5, 12.5)], 1.8)


def _discover(p: Pen) -> None:
    p.ring(12, 12, 10.5, 1.5)
    p.poly([(16.8, 7.2), (13.6, 13.6), (7.2, 16.8), (10.4, 10.4)])
    p.circle(12, 12, 1.2, ink=0)


def _me(p: Pen) -> None:
    p.ring(12, 7.5, 4.5, 1.8)
    p.arc(12, 22, 8.5, 180, 360, 1.8)


def _camera(p: Pen) -> None:
    p.rect(2.5, 7, 21.5, 19.5, 2.5, 1.8)
    p.line([(8, 7), (9.5, 4.3), (14.5, 4.3), (16, 7)], 1.8)
    p.ring(12, 13, 3.8, 1.8)


def _copy(p: Pen) -> None:
    p.rect(8.5, 3, 20.5, 15.5, 2, 1.8)
    p.rect(2.5, 7.5, 16.5, 22, 3, ink=0)
    p.rect(3.5, 8.5, 15.5, 21, 2, 1.8)


def _capsule(p: Pen, a: Point, b: Point) -> None:
    p.line([a, b], 7.5)
    p.line([a, b], 4, ink=0)


def _link(p: Pen) -> None:
    _capsule(p, (6.3, 17.7), (10, 14))
    _capsule(p, (14, 10), (17.7, 6.3))
    p.line([(9.5, 14.5), (14.5, 9.5)], 1.8)


def _poster(p: Pen) -> None:
    p.rect(3.5, 2.5, 20.5, 21.5, 1.5, 1.8)
    p.poly([(6, 18.5), (10.5, 12), (13.5, 15.5), (15.5, 13.5), (18, 18.5)])
    p.circle(15.5, 7.5, 1.8)


def _qq(p: Pen) -> None:
    p.oval(6.5, 2.5, 17.5, 19.5)
    p.oval(3.5, 10, 8.5, 16)
    p.oval(15.5, 10, 20.5, 16)
    p.oval(5.5, 18, 11.5, 21.8)
    p.oval(12.5, 18, 18.5, 21.8)
    p.oval(9, 11, 15, 18.5, ink=0)
    p.circle(10.2, 7.5, 1.2, ink=0)
    p.circle(13.8, 7.5, 1.2, ink=0)


def _dingtalk(p: Pen) -> None:
    p.poly([(4, 4.5), (20, 8.5), (15.5, 13), (18.5, 13), (9, 21.5), (11, 15.5), (7.5, 15.5), (9.5, 12), (5, 9.5)])


def _moments(p: Pen) -> None:
    p.ring(12, 12, 10.5, 1.5)
    for i in range(6):
        a = math.radians(60 * i)
        b = math.radians(60 * i + 100)
        p.line([(12 + 10.3 * math.cos(a), 12 + 10.3 * math.sin(a)), (12 + 5 * math.cos(b), 12 + 5 * math.sin(b))], 1.4)


def _wechat(p: Pen) -> None:
    p.oval(1.5, 3, 16.5, 15.5)
    p.poly([(4.5, 13), (3.5, 17.5), (8.5, 14.5)])
    p.oval(7.5, 8.3, 23.5, 21.2, ink=0)
    p.oval(9, 9.8, 22, 19.7)
    p.poly([(19.5, 18), (20.5, 21.5), (16.5, 19)])
    for x, y, ink in ((6.3, 7.5, 0), (11.6, 7.5, 0), (13.2, 13.6, 0), (17.8, 13.6, 0)):
        p.circle(x, y, 1.05, ink)


Glyph = Callable[[Pen], None]

ICONS: dict[str, Glyph] = {
    "back": _back,
    "chevron_left": _chevron_left,
    "chevron_right": _chevron_right,
    "close": _close,
    "share": _share,
    "more": _more,
    "plus": _plus,
    "smile": _smile,
    "voice": _voice,
    "search": _search,
    "cart": _cart,
    "heart": _heart,
    "star": _star,
    "shop": _shop,
    "home": _home,
    "nav_back": _nav_back,
    "nav_home": _nav_home,
    "nav_recents": _nav_recents,
    "wifi": _wifi,
    "signal": _signal,
    "battery": _battery,
    "check": _check,
    "chat": _chat,
    "contacts": _contacts,
    "discover": _discover,
    "me": _me,
    "camera": _camera,
    "copy": _copy,
    "link": _link,
    "poster": _poster,
    "qq": _qq,
    "dingtalk": _dingtalk,
    "moments": _moments,
    "wechat": _wechat,
}


@lru_cache(maxsize=512)
def glyph_mask(name: str, w: int, h: int) -> Image.Image:
    """The anti-aliased mask of glyph ``name`` for a ``w`` x ``h`` pixel frame."""
    try:
        glyph = ICONS[name]
    except KeyError:
        raise KeyError(f"unknown icon {name!r}; known: {', '.join(sorted(ICONS))}") from None
    big = Image.new("L", (w * SUPERSAMPLE, h * SUPERSAMPLE), 0)
    glyph(Pen(ImageDraw.Draw(big), big.width, big.height))
    return big.reduce(SUPERSAMPLE)


def _gift(body: Pen, detail: Pen) -> None:
    body.rect(24, 44, 76, 82, 2)
    body.rect(20, 33, 80, 45, 2)
    detail.rect(46, 33, 54, 82)
    detail.rect(20, 43, 80, 46)
    for x0, x1 in ((30, 49), (51, 70)):
        detail.oval(x0, 20, x1, 33)
        detail.oval(x0 + 5, 24, x1 - 5, 30, ink=0)


def _bottle(body: Pen, detail: Pen) -> None:
    body.rect(42, 11, 58, 22, 2)
    body.rect(44, 20, 56, 34)
    body.rect(31, 30, 69, 86, 12)
    detail.rect(31, 48, 69, 68)
    detail.rect(37, 36, 41, 46, 2)


def _tee(body: Pen, detail: Pen) -> None:
    body.poly([(31, 20), (42, 16), (58, 16), (69, 20), (86, 36), (75, 48), (68, 42), (68, 86), (32, 86),
               (32, 42), (25, 48), (14, 36)])  # fmt: skip
    body.oval(43, 9, 57, 23, ink=0)
    detail.arc(50, 16, 8, 0, 180, 3)
    detail.rect(32, 76, 68, 79)


def _bag(body: Pen, detail: Pen) -> None:
    body.ring(50, 40, 15, 5)
    body.rect(20, 40, 80, 86, 6)
    detail.rect(20, 50, 80, 54)
    detail.rect(44, 48, 56, 58, 2)


_SHAPES = (_gift, _bottle, _tee, _bag)


@lru_cache(maxsize=16)
def product_image(colour: str, w: int, h: int) -> Image.Image:
    """A stylised product photo: a soft gradient and an object silhouette in ``colour``."""
    base, _ = rgba(colour)
    top, bottom = mix(base, (255, 255, 255), 0.9), mix(base, (255, 255, 255), 0.62)
    gradient = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), gradient)
    shadow = Image.new("L", (max(1, w // 4), max(1, h // 4)), 0)
    Pen(ImageDraw.Draw(shadow), shadow.width, shadow.height, 100).oval(22, 82, 78, 92, ink=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(1, min(w, h) // 200))).resize((w, h))
    img.paste(mix(base, (0, 0, 0), 0.45), (0, 0), shadow)
    masks = [Image.new("L", (w * 2, h * 2), 0) for _ in range(2)]
    body, detail = (Pen(ImageDraw.Draw(m), w * 2, h * 2, 100) for m in masks)
    _SHAPES[zlib.crc32(colour.upper().encode()) % len(_SHAPES)](body, detail)
    body_mask, detail_mask = (m.reduce(2) for m in masks)
    img.paste(mix(base, (0, 0, 0), 0.08), (0, 0), body_mask)
    img.paste(mix(base, (255, 255, 255), 0.45), (0, 0), detail_mask)
    return img
