"""Telling a character from its one-stroke look-alike in a font the template was not drawn in.

The recogniser reads 己 as 已 and 夭 as 天 (:data:`shareflow.vision.ocr.CONFUSABLE`), so where no
pixels agree (another font) words holding such a character cannot tell a state from its near miss.
Here the words are drawn again in each CJK font this machine has (fontconfig's list), fitted to the
words' ink on the screen. The font whose drawing agrees best with the words' other characters is the
screen's font when it agrees by :data:`FONT_MATCH` or more; drawn in that font, the confusable
character must agree better than each of its look-alikes by :data:`GLYPH_MARGIN`. When no installed
font is the screen's, the words are not trusted (as before): install the font the phones draw in
(Android's is Noto Sans CJK SC, Debian's fonts-noto-cjk) for its states to be found by their words.

The constants were chosen on benchmarks/lookalikes.py (labels in every installed face, two
rasterisers, PNG and JPEG, the label's own font known or hidden): there no look-alike is taken
(benchmarks/README.md, "Look-alikes told apart by drawing them").
"""

from __future__ import annotations

import functools
import math
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from shareflow.vision import ocr

FONT_MATCH = 0.95  # the other characters' mean correlation with a font's drawing that names it the screen's
GLYPH_MARGIN = 0.2  # share of the way from a look-alike's drawing to the character's the screen must be
DIFFER = 0.25  # ink (0–1) by which two drawings differ where they are compared
DRAW_PX = 64  # px: the size words are drawn at before being fitted to the screen's
REFINED = 2  # faces whose size is searched around the predicted one
NUDGES = (-1, 1)  # px: widths either side of the estimated one the character must still win at (with ``leading``)
WIDTH_SPAN = 0.15  # share of the width a line's height predicts for what it begins with, tried either side
SIZE_SPAN = 0.1  # share of the predicted size tried either side of it (hinting; a screenshot scaled)
BOLD_STROKE = 2  # px at DRAW_PX: the stroke that makes a regular face bold
SHIFT = 0.15  # share of the words' height each drawn character may move to find its place on the screen
MIN_HEIGHT = 8  # px: words whose ink is lower than this are not told apart
INK_SHARE = 0.02  # a row or column with less than this share of the words' ink is not part of them


@dataclass(frozen=True)
class Face:
    """One face of a font file, drawn as it is or made bold by a stroke (as phones embolden a font
    without a bold face)."""

    path: str
    index: int
    family: str
    bold: bool = False


@functools.cache
def faces() -> tuple[Face, ...]:
    """The Simplified Chinese faces fontconfig knows, one per file (none without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    listed = subprocess.run(
        [fc_list, ":lang=zh-cn", "--format=%{file}|%{index}|%{family[0]}\n"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    chosen: dict[str, Face] = {}
    for line in sorted(listed.splitlines()):
        path, index, family = line.split("|", 2)
        face = Face(path, int(index), family)
        regional = family.endswith((" SC", " CN"))
        if path not in chosen or (regional and not chosen[path].family.endswith((" SC", " CN"))):
            chosen[path] = face
    regular = sorted(chosen.values(), key=lambda f: f.path)
    return tuple(regular) + tuple(Face(f.path, f.index, f.family, bold=True) for f in regular)


@functools.cache
def _font(face: Face, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, px, index=face.index, layout_engine=ImageFont.Layout.BASIC)


def _ink(grey: np.ndarray) -> np.ndarray:
    """How far each pixel is from the ground, 0–1: ink whatever its colour or polarity."""
    level, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    light_ground = bool((grey > level).mean() >= 0.5)
    ground = float(np.median(grey[grey > level] if light_ground else grey[grey <= level]))
    distance = np.abs(grey.astype(np.float32) - ground)
    ink: np.ndarray = distance / max(1.0, float(distance.max()))
    _, labels, stats, _ = cv2.connectedComponentsWithStats((ink >= 0.5).astype(np.uint8), connectivity=8)
    h, w = grey.shape
    x, y, bw, bh = (stats[:, i] for i in range(4))
    edge = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)  # touching the crop's edge
    edge[0] = False  # label 0: what is not ink
    area = stats[:, cv2.CC_STAT_AREA]
    if area[edge].sum() < 0.5 * area[1:].sum():  # a button's corners, a border: not the words (unless most ink)
        ink[cv2.dilate(np.isin(labels, np.nonzero(edge)[0]).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 0
    return ink


def _extent(ink: np.ndarray, strokes: bool = False) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of the rows and columns holding the ink (with ``strokes``, those holding
    a pixel of a stroke: the share of a long line's ink its ascenders hold is too small to count)."""
    rows, cols = ink.sum(axis=1), ink.sum(axis=0)
    if rows.size == 0 or rows.max() <= 0:
        return None
    if strokes:
        ys, xs = np.nonzero((ink >= 0.5).any(axis=1))[0], np.nonzero((ink >= 0.5).any(axis=0))[0]
        if ys.size == 0:
            return None
    else:
        ys = np.nonzero(rows > INK_SHARE * rows.max())[0]
        xs = np.nonzero(cols > INK_SHARE * cols.max())[0]
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


@functools.cache
def _drawn(
    face: Face, text: str, px: int = DRAW_PX, strokes: bool = False
) -> tuple[np.ndarray, tuple[tuple[int, int], ...]]:
    """``text`` drawn in ``face`` ``px`` high, cut to its ink, and each character's columns in that cut."""
    font = _font(face, px)
    width = round(font.getlength(text)) + 2 * px
    image = Image.new("L", (width, 2 * px), 0)
    stroke = round(BOLD_STROKE * px / DRAW_PX) if face.bold else 0
    ImageDraw.Draw(image).text((px // 2, px // 2), text, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
    ink = np.asarray(image, np.float32) / 255
    box = _extent(ink, strokes)
    if box is None:
        return ink[:0, :0], ()
    x0, y0, x1, y1 = box
    columns = []
    for i in range(len(text)):
        left = px // 2 + font.getlength(text[:i])
        right = px // 2 + font.getlength(text[: i + 1])
        columns.append((round(left) - x0, round(right) - x0))
    return ink[y0:y1, x0:x1], tuple(columns)


def _size(words: np.ndarray, face: Face, text: str, strokes: bool) -> int:
    """The size (px) ``face`` draws ``text`` at to be as high as ``words``' ink: predicted from a large
    drawing, then corrected once from a drawing at that size (hinting and a bold stroke do not scale)."""
    px = DRAW_PX
    for _ in range(2):
        drawn, _ = _drawn(face, text, px, strokes)
        px = max(MIN_HEIGHT, round(px * words.shape[0] / max(1, drawn.shape[0])))
    return px


def _tiles(
    words: np.ndarray, face: Face, px: int, text: str, leading: bool = False, nudge: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each character of ``text`` drawn in ``face`` ``px`` high (the line fitted to ``words``' ink; with
    ``leading``, ``text`` is what they begin with: fitted to their height and left edge, its width
    wider by ``nudge`` pixels) and the part of ``words`` it may be found in."""
    drawn, columns = _drawn(face, text, px, leading)
    h, w = words.shape
    if drawn.size == 0:
        return []
    if leading:
        w = min(w, _leading_width(words, drawn) + nudge)
    fitted = cv2.resize(drawn, (w, h), interpolation=cv2.INTER_AREA)
    sx = w / drawn.shape[1]
    pad = max(2, round(SHIFT * h))
    padded = cv2.copyMakeBorder(words, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    tiles = []
    for left, right in columns:
        x0, x1 = max(0, round(left * sx)), min(w, round(right * sx))
        tiles.append((fitted[:, x0:x1], padded[:, x0 : x1 + 2 * pad]))
    return tiles


def _leading_width(words: np.ndarray, drawn: np.ndarray) -> int:
    """How wide the part of ``words`` is that ``drawn`` (what they begin with) spans: of the widths up to
    :data:`WIDTH_SPAN` either side of what the height predicts (kerning, hinting), the one whose columns'
    ink agrees best with the drawing's."""
    h, w = words.shape
    predicted = drawn.shape[1] * h / drawn.shape[0]
    profile = drawn.sum(axis=0, dtype=np.float32)
    best: tuple[float, int] = (-2.0, int(min(w, round(predicted))))
    for width in range(round(predicted * (1 - WIDTH_SPAN)), min(w, round(predicted * (1 + WIDTH_SPAN))) + 1):
        shown = words[:, :width].sum(axis=0, dtype=np.float32)
        expected = cv2.resize(profile[None, :], (width, 1), interpolation=cv2.INTER_AREA)[0]
        value = float(np.corrcoef(shown, expected)[0, 1]) if shown.std() > 0 else -1.0
        best = max(best, (value, width))
    return best[1]


def _placed(tile: np.ndarray, around: np.ndarray) -> tuple[float, np.ndarray]:
    """Where in ``around`` the drawn character ``tile`` correlates best: the correlation and the part there."""
    if tile.shape[1] < 2 or float(tile.std()) < 1e-3:
        return 1.0, tile  # a space or a mark too thin to compare: nothing to disagree
    _, value, _, (x, y) = cv2.minMaxLoc(cv2.matchTemplate(around, tile, cv2.TM_CCOEFF_NORMED))
    return float(value), around[y : y + tile.shape[0], x : x + tile.shape[1]]


def _agreement(words: np.ndarray, face: Face, px: int, text: str, which: list[int], leading: bool) -> float:
    """The mean correlation of the characters ``which`` of ``text``, drawn in ``face`` ``px`` high, with
    the screen where they may be."""
    tiles = _tiles(words, face, px, text, leading)
    return float(np.mean([_placed(*tiles[i])[0] for i in which])) if tiles else 0.0


def _screen_font(words: np.ndarray, text: str, which: list[int], leading: bool) -> tuple[float, Face, int] | None:
    """The installed face and size whose drawing of ``text`` agrees best with ``words`` at the characters
    ``which``, and how well (None without fonts). Each face is drawn at the size its line's height
    predicts; the likeliest :data:`REFINED` at sizes up to :data:`SIZE_SPAN` either side too."""
    guesses = sorted(
        (
            (_agreement(words, face, px, text, which, leading), face, px)
            for face in faces()
            for px in [_size(words, face, text, leading)]
        ),
        key=lambda g: -g[0],
    )
    tried = [
        (_agreement(words, face, size, text, which, leading), face, size)
        for _, face, px in guesses[:REFINED]
        for size in range(max(MIN_HEIGHT, math.floor(px * (1 - SIZE_SPAN))), math.ceil(px * (1 + SIZE_SPAN)) + 1)
    ]
    return max(guesses[:1] + tried, key=lambda g: g[0], default=None)


def _preference(
    words: np.ndarray,
    face: Face,
    px: int,
    text: str,
    tiles: list[tuple[np.ndarray, np.ndarray]],
    i: int,
    other: str,
    leading: bool,
    nudge: int,
) -> float:
    """How much closer the screen is to character ``i`` of ``text`` (its ``tiles``, from :func:`_tiles`) than
    to ``other`` in its place, both drawn in ``face``: the mean ink difference where the two drawings differ
    (a stroke, a gap), the look-alike's less the character's own."""
    own, rival = tiles[i], _tiles(words, face, px, text[:i] + other + text[i + 1 :], leading, nudge)[i]
    width = min(own[0].shape[1], rival[0].shape[1])
    t_own, t_rival = own[0][:, :width], rival[0][:, :width]
    differ = cv2.dilate((np.abs(t_own - t_rival) > DIFFER).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if not differ.any():
        return 0.0
    _, p_own = _placed(t_own, own[1])
    _, p_rival = _placed(t_rival, own[1])
    apart = float(np.abs(t_own - t_rival)[differ].mean())
    return float(np.abs(p_rival - t_rival)[differ].mean() - np.abs(p_own - t_own)[differ].mean()) / apart


def told_apart(crop: np.ndarray, text: str, *, leading: bool = False) -> bool:
    """Whether the words ``text`` shown on ``crop`` (BGR, cut around them) are those characters and not
    a look-alike of one: drawn in the screen's font (an installed font the other characters agree with
    by :data:`FONT_MATCH`), each confusable character beats its look-alikes by :data:`GLYPH_MARGIN`.
    With ``leading``, ``text`` is only what the words begin with (a line read further than a template's
    words, whose rest may be read wrong or cut with "…"); where they end is then estimated, and each
    character must still win (beat each look-alike at all) with the drawing :data:`NUDGES` pixels wider or
    narrower (a face that draws two look-alikes alike, as AR PL UMing its l and 1, decides on a pixel's
    shift: not trusted). The margin is asked at the estimate only: a pixel off, Noto's own l beat 1 by
    just 0.13-0.20 at 55-56 px, while a 1 shown in its place loses at the estimate already."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())
    ink = _ink(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))
    box = _extent(ink, strokes=leading)
    if box is None or box[3] - box[1] < MIN_HEIGHT:
        return False
    x0, y0, x1, y1 = box
    words = ink[y0:y1, x0:x1]
    confusable = ocr.confused_at(text)
    others = [i for i in range(len(text)) if i not in confusable]
    if not confusable or not others:
        return not confusable
    best = _screen_font(words, text, others, leading)
    if best is None or best[0] < FONT_MATCH:
        return False
    _, face, px = best
    return all(
        _preference(words, face, px, text, tiles, i, other, leading, nudge) >= (GLYPH_MARGIN if nudge == 0 else 0.0)
        for nudge in ((0, *NUDGES) if leading else (0,))
        for tiles in [_tiles(words, face, px, text, leading, nudge)]
        for i in confusable
        for other in ocr.lookalikes(text[i])
    )
