"""Pixels for view trees: the virtual phones' screenshots.

:class:`Renderer` draws a phone's layers (bottom to top, each node before its
children) onto one RGB canvas. The bottom layer (the app's screen) and the
whole stack are cached by content signature, so a dialog or a new status bar
over an unchanged screen only draws the layers above it; finished PNGs are
cached too. Text is drawn in the profile's font (:mod:`shareflow_sim.fonts`;
WenQuanYi Micro Hei unless the profile names another CJK font: a font without
CJK glyphs would draw tofu boxes). A phone in dark mode (devices.yaml ``skin:
dark``) draws every colour of its views through :func:`dark`: greys turned
over (white grounds dark, black text light), colours dimmed; pictures as they are.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Generic, TypeVar

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from shareflow_sim.fonts import Font, load, stroke
from shareflow_sim.icons import ICONS, RGB, glyph_mask, product_image, rgba
from shareflow_sim.profiles import Profile
from shareflow_sim.ui import TAIL_TIP, TAIL_W, Layer, Node, Style

__all__ = ["ICONS", "Renderer", "blend_transition", "encode_png"]

PLACEHOLDER = "#B2B2B2"  # an empty edit field's hint text
LINE_SPACING = 1.4  # baseline distance of wrapped lines, in font sizes
ELLIPSIS = "…"
_NO_LINE_START = set("，。、；：！？）》」』】〕…,.;:!?)]}’”")
_TOKEN = re.compile(r"[!-~\u00c0-\u024f]+|\s|.")  # a Latin word / URL, a space, or one character
_FONT_LOCK = threading.Lock()  # FreeType faces are shared by all renderers

K = TypeVar("K")
V = TypeVar("V")
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels (a clip)
Frame = tuple[int, int, int, int]  # x, y, w, h in pixels


class _LRU(Generic[K, V]):
    """A small least-recently-used map."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self._size:
            self._data.popitem(last=False)
        return value


# -- dark mode -------------------------------------------------------------
GREY_SATURATION = 0.3  # below this a colour is a grey, turned over in dark mode


@lru_cache(maxsize=1024)
def dark(colour: str) -> str:
    """``colour`` (``#RRGGBB[AA]``) as a phone in dark mode draws it: a grey turned over (white ground
    → near black, black text → light grey), a colour dimmed (a pale one more); translucent black (a
    scrim) stays."""
    (r, g, b), alpha = rgba(colour)
    hue, light, sat = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    if alpha < 255 and light < 0.2:
        return colour
    if sat < GREY_SATURATION or light > 0.9:
        light = 0.1 + 0.8 * (1 - light)
    else:  # a pale colour (a message bubble) darker still, so that light text shows on it
        light *= 0.85 if light <= 0.55 else 0.6
    rgb = colorsys.hls_to_rgb(hue, light, sat)
    return "#" + "".join(f"{round(v * 255):02X}" for v in rgb) + (f"{alpha:02X}" if alpha < 255 else "")


# -- text ------------------------------------------------------------------
@lru_cache(maxsize=16384)
def _char_width(font: Font, px: int, bold: bool, ch: str) -> float:
    with _FONT_LOCK:
        return load(font, px, bold).getlength(ch)


def text_width(font: Font, text: str, px: int, bold: bool = False) -> float:
    """The advance of ``text`` in ``font`` at ``px`` pixels (without a bold stroke)."""
    return sum(_char_width(font, px, bold, ch) for ch in text)


@lru_cache(maxsize=4096)
def wrap_text(font: Font, text: str, px: int, bold: bool, avail: int, lines: int) -> tuple[str, ...]:
    """``text`` broken into at most ``lines`` lines of ``avail`` pixels, the last ending in "…"
    if it overflows. CJK breaks anywhere; Latin words and URLs move down whole unless too long
    or already on the last line."""
    avail -= 2 * stroke(font, px, bold)
    out: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0.0
        for tok in _TOKEN.findall(para):
            tw = text_width(font, tok, px, bold)
            if used + tw <= avail:
                line, used = line + tok, used + tw
            elif tok.isspace():
                out.append(line)
                line, used = "", 0.0
            elif len(tok) > 1 and tw <= avail and line and len(out) < lines - 1:
                out.append(line)
                line, used = tok, tw
            else:
                for ch in tok:
                    cw = _char_width(font, px, bold, ch)
                    if used + cw > avail and line:
                        carry = line[-1] if ch in _NO_LINE_START and len(line) > 1 else ""
                        out.append(line[: len(line) - len(carry)])
                        line, used = carry, text_width(font, carry, px, bold)
                    line, used = line + ch, used + cw
            if len(out) > lines:
                break
        out.append(line)
        if len(out) > lines:
            break
    out = [s.rstrip() for s in out]
    if len(out) <= lines:
        return tuple(out)
    last = out[lines - 1]
    room = avail - _char_width(font, px, bold, ELLIPSIS)
    while last and text_width(font, last, px, bold) > room:
        last = last[:-1]
    return (*out[: lines - 1], last.rstrip() + ELLIPSIS)


@lru_cache(maxsize=2048)
def _line_mask(font: Font, text: str, px: int, bold: bool) -> tuple[Image.Image, int, int, float]:
    """One line's coverage mask, its offset from the line's top-left, and its advance."""
    sw = stroke(font, px, bold)
    with _FONT_LOCK:
        face = load(font, px, bold)
        x0, y0, x1, y1 = face.getbbox(text, stroke_width=sw)
        mask = Image.new("L", (max(1, x1 - x0), max(1, y1 - y0)), 0)
        ImageDraw.Draw(mask).text((-x0, -y0), text, fill=255, font=face, stroke_width=sw, stroke_fill=255)
        advance = face.getlength(text) + 2 * sw
    return mask, x0, y0, advance


@lru_cache(maxsize=256)
def _metrics(font: Font, px: int, bold: bool) -> tuple[int, int]:
    with _FONT_LOCK:
        return load(font, px, bold).getmetrics()


# -- masks -------------------------------------------------------------------
@lru_cache(maxsize=256)
def _alpha_lut(alpha: int) -> list[int]:
    return [v * alpha // 255 for v in range(256)]


def _faded(mask: Image.Image, alpha: int) -> Image.Image:
    return mask if alpha == 255 else mask.point(_alpha_lut(alpha))


@lru_cache(maxsize=64)
def _corner(r: int) -> Image.Image:
    """An anti-aliased top-left quarter disc of radius ``r``."""
    big = Image.new("L", (r * 4, r * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, r * 8 - 1, r * 8 - 1), fill=255)
    return big.reduce(4)


@lru_cache(maxsize=256)
def _round_mask(w: int, h: int, r: int, alpha: int = 255) -> Image.Image:
    """A ``w`` x ``h`` rounded-rectangle mask of corner radius ``r``."""
    mask = Image.new("L", (w, h), 255)
    if r > 0:
        c = _corner(r)
        mask.paste(c, (0, 0))
        mask.paste(c.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w - r, 0))
        mask.paste(c.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, h - r))
        mask.paste(c.transpose(Image.Transpose.ROTATE_180), (w - r, h - r))
    return _faded(mask, alpha)


@lru_cache(maxsize=16)
def _tail_mask(t: int, side: str, alpha: int = 255) -> Image.Image:
    """A ``t`` x ``2t`` anti-aliased right-angled triangle pointing ``side`` (its base one pixel into the body)."""
    k = 4
    big = Image.new("L", ((t + 1) * k, 2 * t * k), 0)
    tip, base = (0, (t + 1) * k) if side == "left" else ((t + 1) * k, 0)
    ImageDraw.Draw(big).polygon([(tip, t * k), (base, 0), (base, 2 * t * k)], fill=255)
    mask = big.reduce(k)
    return _faded(mask, alpha)


@lru_cache(maxsize=128)
def _ring_mask(w: int, h: int, r: int, width: int, alpha: int) -> Image.Image:
    """The outline of :func:`_round_mask`, ``width`` pixels thick."""
    inner = Image.new("L", (w, h), 0)
    if w > 2 * width and h > 2 * width:
        inner.paste(_round_mask(w - 2 * width, h - 2 * width, max(0, r - width)), (width, width))
    return _faded(ImageChops.subtract(_round_mask(w, h, r), inner), alpha)


def _blit(canvas: Image.Image, ink: RGB | Image.Image, x: int, y: int, mask: Image.Image, clip: Box) -> None:
    """Paint ``ink`` through ``mask`` placed at (x, y), inside ``clip`` only."""
    w, h = mask.size
    x0, y0, x1, y1 = max(x, clip[0]), max(y, clip[1]), min(x + w, clip[2]), min(y + h, clip[3])
    if x0 >= x1 or y0 >= y1:
        return
    if (x0, y0, x1, y1) != (x, y, x + w, y + h):
        part = (x0 - x, y0 - y, x1 - x, y1 - y)
        mask = mask.crop(part)
        if isinstance(ink, Image.Image):
            ink = ink.crop(part)
    canvas.paste(ink, (x0, y0, x1, y1), mask)


# -- PNG ---------------------------------------------------------------------
def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(img: Image.Image) -> bytes:
    """``img`` (RGB) as PNG: unfiltered rows, fast deflate (about 3x faster than PIL's encoder)."""
    pixels = np.asarray(img)
    h, w, _ = pixels.shape
    rows = np.zeros((h, w * 3 + 1), np.uint8)
    rows[:, 1:] = pixels.reshape(h, w * 3)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"".join(
        (b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header), _chunk(b"IDAT", zlib.compress(rows, 1)), _chunk(b"IEND", b""))
    )


# -- the renderer ------------------------------------------------------------
def _signature(layer: Layer) -> bytes:
    """A digest of everything in ``layer`` that shows on screen."""
    digest = hashlib.blake2b(digest_size=16)
    for n in layer.root.walk():
        shown = (n.role, n.frame, n.text, n.value, n.style, n.enabled, n.selected, len(n.children))
        digest.update(repr(shown).encode())
    return digest.digest()


CANVASES = 2  # full-size canvases kept per phone (the screen and its overlays; ~12 MB each at 1290x2796)
PNGS = 8  # encoded screenshots kept per phone


class Renderer:
    """Draws one phone's layers, in its profile's font; safe to share between threads."""

    def __init__(self, profile: Profile, dark: bool = False) -> None:
        self.font = profile.font
        self.dark = dark  # dark mode: every view colour through :func:`dark`
        for bold in (False, True):
            load(self.font, 16, bold)  # fail now, clearly, if the font is missing or the wrong face
        self.profile = profile
        self.scale = profile.scale
        self.size = (profile.width_px, profile.height_px)
        self._lock = threading.Lock()
        self._canvases: _LRU[tuple[bytes, ...], Image.Image] = _LRU(CANVASES)
        self._pngs: _LRU[tuple[bytes, ...], bytes] = _LRU(PNGS)

    def render(self, layers: list[Layer]) -> Image.Image:
        """The screen showing ``layers`` (bottom first), as a new RGB image."""
        with self._lock:
            return self._canvas(tuple(_signature(layer) for layer in layers), layers).copy()

    def png(self, layers: list[Layer]) -> bytes:
        """PNG bytes of :meth:`render`."""
        with self._lock:
            key = tuple(_signature(layer) for layer in layers)
            data = self._pngs.get(key)
            if data is None:
                data = self._pngs.put(key, encode_png(self._canvas(key, layers)))
            return data

    def _canvas(self, key: tuple[bytes, ...], layers: Sequence[Layer]) -> Image.Image:
        """The image of ``layers`` (read-only): cached, or drawn over the cached bottom layer."""
        start, base = 0, None
        for i in (len(layers), 1):
            base = self._canvases.get(key[:i])
            if base is not None:
                start = i
                break
        if base is not None and start == len(layers):
            return base
        canvas = base.copy() if base is not None else Image.new("RGB", self.size, (0, 0, 0))
        draw = ImageDraw.Draw(canvas, "RGBA")
        for i in range(start, len(layers)):
            self._node(canvas, draw, layers[i].root)
            if i == 0 and len(layers) > 1:
                self._canvases.put(key[:1], canvas.copy())
        return self._canvases.put(key, canvas)

    def _node(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, node: Node, bound: Box | None = None) -> None:
        """Draw ``node`` and its children inside ``bound`` (the screen, or the scroll view they are content of)."""
        bound = bound or (0, 0, *self.size)
        x, y, w, h = node.frame.scaled(self.scale)
        if w <= 0 or h <= 0:
            return
        clip = (max(x, bound[0]), max(y, bound[1]), min(x + w, bound[2]), min(y + h, bound[3]))
        if clip[0] < clip[2] and clip[1] < clip[3]:
            self._paint(canvas, draw, node, (x, y, w, h), clip)
        if node.scroll is not None:  # a scroll view clips its content: a row partly out is drawn in part
            if clip[0] >= clip[2] or clip[1] >= clip[3]:
                return
            bound = clip
        for child in node.children:
            self._node(canvas, draw, child, bound)

    def _ink(self, colour: str) -> tuple[RGB, int]:
        """A view colour as this phone draws it (its skin): ((r, g, b), alpha)."""
        return rgba(dark(colour) if self.dark else colour)

    def _paint(self, canvas: Image.Image, draw: ImageDraw.ImageDraw, node: Node, frame: Frame, clip: Box) -> None:
        x, y, w, h = frame
        st = node.style
        if st.tail and st.bg:  # the body beside its tail
            t = round(TAIL_W * self.scale)
            tip = y + round(TAIL_TIP * self.scale)
            ink, alpha = self._ink(st.bg)
            _blit(canvas, ink, x if st.tail == "left" else x + w - t - 1, tip - t, _tail_mask(t, st.tail, alpha), clip)
            x, w = (x + t if st.tail == "left" else x), w - t
            frame = (x, y, w, h)
        r = min(round(st.radius * self.scale), w // 2, h // 2)
        if st.bg:
            self._fill(canvas, draw, frame, st.bg, r, clip)
        if st.border:
            (ink, alpha), bw = self._ink(st.border), max(1, round(self.scale))
            if r:
                _blit(canvas, ink, x, y, _ring_mask(w, h, r, bw, alpha), clip)
            else:
                draw.rectangle((x, y, x + w - 1, y + h - 1), outline=(*ink, alpha), width=bw)
        if st.icon:
            self._icon(canvas, draw, st.icon, st.fg, frame, r, clip)
        text, fg = node.value or node.text, st.fg
        if node.role == "edit" and not node.value:
            fg = PLACEHOLDER
        if text:
            pad = round(st.pad * self.scale)
            area = (x + pad, y, w - 2 * pad, h)
            self._text(canvas, text, fg, round(st.size * self.scale), st, area, clip)

    def _fill(
        self, canvas: Image.Image, draw: ImageDraw.ImageDraw, frame: Frame, colour: str, r: int, clip: Box
    ) -> None:
        x, y, w, h = frame
        ink, alpha = self._ink(colour)
        if alpha == 0:
            return
        if r:
            _blit(canvas, ink, x, y, _round_mask(w, h, r, alpha), clip)
        else:
            x0, y0, x1, y1 = max(x, clip[0]), max(y, clip[1]), min(x + w, clip[2]), min(y + h, clip[3])
            if x0 < x1 and y0 < y1 and alpha == 255:
                canvas.paste(ink, (x0, y0, x1, y1))
            elif x0 < x1 and y0 < y1:
                draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(*ink, alpha))

    def _icon(
        self, canvas: Image.Image, draw: ImageDraw.ImageDraw, icon: str, fg: str, frame: Frame, r: int, clip: Box
    ) -> None:
        """A glyph in ``fg``, or a product photo, avatar or app icon picture."""
        x, y, w, h = frame
        kind, _, arg = icon.partition(":")
        if kind == "product":
            picture = product_image(arg, w, h)
            _blit(canvas, picture, x, y, _round_mask(w, h, r), clip)
        elif kind in ("avatar", "appicon"):
            colour, _, label = arg.partition(":")
            side = min(w, h)
            square = (x + (w - side) // 2, y + (h - side) // 2, side, side)
            self._fill(canvas, draw, square, colour, round(side * (0.1 if kind == "avatar" else 0.225)), clip)
            px = round(side * (0.5 if len(label) < 2 else 0.34))
            self._text(canvas, label, "#FFFFFF", px, Style(bold=True, align="center"), square, clip)
        else:
            ink, alpha = self._ink(fg)
            _blit(canvas, ink, x, y, _faded(glyph_mask(icon, w, h), alpha), clip)

    def lines(self, node: Node) -> tuple[str, ...]:
        """The lines ``node``'s text is drawn in: wrapped to its frame, the last cut with "…" if it overflows."""
        text, st = node.value or node.text, node.style
        _, _, w, h = node.frame.scaled(self.scale)
        w -= 2 * round(st.pad * self.scale)
        px = round(st.size * self.scale)
        return self._wrap(text, px, st, w, h) if text and w > 0 and px > 0 else ()

    def _wrap(self, text: str, px: int, st: Style, w: int, h: int) -> tuple[str, ...]:
        """``text`` wrapped to ``w`` pixels, in as many lines as the style allows and ``h`` pixels hold."""
        ascent, descent = _metrics(self.font, px, st.bold)
        fits = 1 + max(0, h - ascent - descent) // round(px * LINE_SPACING)
        return wrap_text(self.font, text, px, st.bold, w, max(1, min(st.lines, fits)))

    def _text(self, canvas: Image.Image, text: str, fg: str, px: int, st: Style, area: Frame, clip: Box) -> None:
        """Wrap, align and draw ``text`` inside ``area`` (x, y, w, h)."""
        x, y, w, h = area
        if w <= 0 or px <= 0:
            return
        lines = self._wrap(text, px, st, w, h)
        ascent, descent = _metrics(self.font, px, st.bold)
        step = round(px * LINE_SPACING)
        block = ascent + descent + (len(lines) - 1) * step
        top = {"top": y, "middle": y + (h - block) // 2, "bottom": y + h - block}[st.valign]
        ink, alpha = self._ink(fg)
        for i, line in enumerate(lines):
            if not line:
                continue
            mask, dx, dy, advance = _line_mask(self.font, line, px, st.bold)
            slack = w - advance
            left = x + {"left": 0, "center": slack / 2, "right": slack}[st.align]
            _blit(canvas, ink, round(left) + dx, top + i * step + dy, _faded(mask, alpha), clip)


# -- transitions -------------------------------------------------------------
def blend_transition(old: Image.Image, new: Image.Image, progress: float, platform: str) -> Image.Image:
    """A frame of the transition from ``old`` to ``new`` at ``progress`` (0..1, linear time;
    eased here). iOS pushes ``new`` in from the right over a dimmed, parallax-shifted
    ``old``; Android fades ``new`` in while it rises from 8% of the height."""
    if old.size != new.size:
        raise ValueError(f"transition between different sizes {old.size} and {new.size}")
    t = 1 - (1 - min(max(progress, 0.0), 1.0)) ** 3
    w, h = new.size
    if platform == "ios":
        frame = new.convert("RGB")
        edge = round(w * (1 - t))
        if edge > 0:
            shift = round(0.3 * w * t)
            dim = 1 - 0.25 * t
            frame.paste(old.crop((shift, 0, shift + edge, h)).convert("RGB").point(lambda v: round(v * dim)), (0, 0))
            if edge < w:
                frame.paste(new.crop((0, 0, w - edge, h)), (edge, 0))
        return frame
    if platform == "android":
        frame = old.convert("RGB")
        dy = round(0.08 * h * (1 - t))
        lower = Image.blend(old.crop((0, dy, w, h)).convert("RGB"), new.crop((0, 0, w, h - dy)).convert("RGB"), t)
        frame.paste(lower, (0, dy))
        return frame
    raise ValueError(f"unknown platform {platform!r}: expected 'ios' or 'android'")
