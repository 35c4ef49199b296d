"""The checks a candidate place must pass besides overall structure: colour and detail.

Each returns an agreement in [0, 1] between the template (already resized
to the scale it shows at) and the screen patch at the candidate place.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Set

import cv2
import numpy as np

COLOUR_TOLERANCE = 10.0  # Lab distance (OpenCV's 8-bit Lab) of the ground that rendering alone causes
INK_MIN = 16.0  # Lab distance from the ground below which a pixel is not ink
INK_SHARE = 0.5  # ... nor a pixel less than this share as far from it as the farthest
INK_RATIO = 1.6  # the ink may be this many times more or less contrasted than the template's
INK_FADE = 0.5  # the ink's hue may fade to this share (thin strokes, compression)
HUE_TOLERANCE = 6.0  # chroma distance left over that still counts as the same hue
HUE_SPAN = 25.0  # further chroma distance at which hues count as wholly different
MIN_INK = 12  # a region with fewer ink pixels in the template is not compared for ink
COLOUR_SPAN = 40.0  # further Lab distance at which colours count as wholly different
TILE_FRACTION = 0.5  # tiles are about this share of the template's short side
MIN_TILE = 10  # px: tiles are never smaller
FLAT_TILE = 4.0  # grey-level spread under which a tile counts as flat (background)
FLAT_SPAN = 24.0  # further spread at which a flat template tile counts as wholly different
SHIFT = 2  # px each tile may move to absorb resampling and a residual scale error
GLYPH_GAP = 0.2  # a confused character's tile correlating this much less than the words' others scores 0
NARROW_GLYPH = 0.55  # a character that is not full width (Latin, digits) takes about this share of a CJK one
DIFFERENCE_WINDOW = 1 / 6  # share of the template's short side over which differences are averaged (a stroke or so)


def ground(lab: np.ndarray, grey: np.ndarray) -> np.ndarray:
    """The core colour (median Lab) of the image's larger part, light or dark: its ground or fill."""
    level, _ = cv2.threshold(grey.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    lighter = bool((grey > level).mean() >= 0.5)
    part = grey > level if lighter else grey <= level
    middle = np.median(grey[part])
    core = part & ((grey >= middle) if lighter else (grey <= middle))  # away from anti-aliased edges
    ground: np.ndarray = np.median(lab[core], axis=0)
    return ground


class _Colours:
    """An image in Lab with its ground colour and which pixels are ink."""

    def __init__(self, image: np.ndarray, keep: np.ndarray) -> None:
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        self.lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
        self.keep = keep
        self.ground = ground(self.lab[keep], grey[keep])
        self.offset = self.lab - self.ground
        distance = np.linalg.norm(self.offset, axis=2)
        far = float(np.percentile(distance[keep], 99))
        self.ink = keep & (distance >= max(INK_MIN, INK_SHARE * far))

    def ink_of(self, ys: slice, xs: slice) -> tuple[int, float, np.ndarray]:
        """How many ink pixels a region has, and their mean lightness and chroma relative to the ground."""
        ink = self.ink[ys, xs]
        if not ink.any():
            return 0, 0.0, np.zeros(2, np.float32)
        offset = self.offset[ys, xs][ink]
        return int(ink.sum()), float(offset[:, 0].mean()), offset[:, 1:].mean(axis=0)


def _ink_agreement(ours: tuple[int, float, np.ndarray], theirs: tuple[int, float, np.ndarray]) -> float:
    """Whether two inks are alike: lightness within a factor of :data:`INK_RATIO`, hue allowed to fade."""
    _, l_t, c_t = ours
    _, l_p, c_p = theirs
    lightness = 1.0
    if abs(l_t) >= INK_MIN:
        ratio = l_p / l_t
        excess = np.inf if ratio <= 0 else max(0.0, abs(float(np.log(ratio))) - float(np.log(INK_RATIO)))
        lightness = 1.0 - min(1.0, excess / float(np.log(2)))
    residual = min(float(np.linalg.norm(c_p - f * c_t)) for f in np.linspace(INK_FADE, 1.2, 8))
    return min(lightness, 1.0 - max(0.0, residual - HUE_TOLERANCE) / HUE_SPAN)


def colour_agreement(patch: np.ndarray, template: np.ndarray, mask: np.ndarray | None = None) -> float:
    """How alike a patch and a template of the same size are in colour.

    Each has a *ground* (the core colour of its larger part, light or dark)
    and *ink* (every pixel at least half as far in colour from the ground as
    the farthest: strokes, icons, labels). The grounds must be close; and in
    the whole and in every tile as wide as the template is high, the ink
    must be as much lighter or darker than the ground (within a factor of
    :data:`INK_RATIO`) and of the same hue — allowed to fade towards the
    ground, as anti-aliasing and compression thin out the colour of fine
    strokes without changing it. Means, not medians, so inks of two colours
    mix in the content's proportions. An enabled orange button and a
    disabled one, a green label and a black one, a blue link and black text
    disagree.
    """
    keep = np.ones(template.shape[:2], bool) if mask is None else mask > 0
    ours, theirs = _Colours(template, keep), _Colours(patch, keep)
    score = 1.0 - max(0.0, float(np.linalg.norm(ours.ground - theirs.ground)) - COLOUR_TOLERANCE) / COLOUR_SPAN
    whole = (slice(0, template.shape[0]), slice(0, template.shape[1]))
    height, width = template.shape[:2]
    for ys, xs in [whole, *_tiles(height, width, fraction=1.0)]:
        ink = ours.ink_of(ys, xs)
        if ink[0] >= MIN_INK:
            score = min(score, _ink_agreement(ink, theirs.ink_of(ys, xs)))
    return max(0.0, score)


def _tiles(height: int, width: int, fraction: float = TILE_FRACTION) -> list[tuple[slice, slice]]:
    """A grid of tiles about ``fraction`` of the short side wide, covering the template."""
    side = max(MIN_TILE, round(min(height, width) * fraction))
    rows, cols = max(1, round(height / side)), max(1, round(width / side))
    ys = np.linspace(0, height, rows + 1).round().astype(int)
    xs = np.linspace(0, width, cols + 1).round().astype(int)
    return [
        (slice(ys[r], ys[r + 1]), slice(xs[c], xs[c + 1]))
        for r in range(rows)
        for c in range(cols)
        if ys[r + 1] > ys[r] and xs[c + 1] > xs[c]
    ]


def detail_agreement(window: np.ndarray, template: np.ndarray, mask: np.ndarray | None = None) -> float:
    """The worst agreement among the template's tiles, each free to move by :data:`SHIFT` px.

    ``window`` is the grey screen patch with :data:`SHIFT` px of margin on
    every side; ``template`` the grey template at the same scale. A tile with
    structure is compared by normalised cross-correlation; a flat tile (plain
    background) must stay flat. One changed character, a swapped icon or an
    extra badge spoils its tile while the whole still correlates well.
    """
    worst = 1.0
    for ys, xs in _tiles(*template.shape[:2]):
        tile = template[ys, xs]
        if mask is not None and not mask[ys, xs].all():
            continue
        around = _around(window, tile, ys.start, xs.start)
        if around is None:
            return 0.0
        spread = float(tile.std())
        if spread < FLAT_TILE:
            score = _flat_agreement(around, tile, spread)
        else:
            score = float(cv2.matchTemplate(around, tile, cv2.TM_CCOEFF_NORMED).max())
        worst = min(worst, score)
    return max(0.0, worst)


def _flat_agreement(around: np.ndarray, tile: np.ndarray, spread: float) -> float:
    """How flat the screen stays where a flat tile (plain ground, spread ``spread``) moves over ``around``:
    at its best spot, its spread may exceed the tile's, and its mean move, by :data:`FLAT_TILE` at no cost,
    then the score falls to 0 over :data:`FLAT_SPAN`. Free to move like any tile, an edge the place's
    residual offset brings in (the button's own rim, a pixel or two in) does not count against it."""
    h, w = tile.shape[:2]
    sums, squares = cv2.integral2(np.ascontiguousarray(around, np.float32), sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
    total = sums[h:, w:] - sums[:-h, w:] - sums[h:, :-w] + sums[:-h, :-w]
    total_sq = squares[h:, w:] - squares[:-h, w:] - squares[h:, :-w] + squares[:-h, :-w]
    mean = total / (h * w)
    std = np.sqrt(np.maximum(total_sq / (h * w) - mean**2, 0.0))
    excess = std - spread - FLAT_TILE
    shift = np.abs(mean - float(tile.mean())) - FLAT_TILE
    return 1.0 - max(0.0, float(np.maximum(excess, shift).min())) / FLAT_SPAN


def _around(window: np.ndarray, tile: np.ndarray, top: int, left: int) -> np.ndarray | None:
    """The part of ``window`` (the screen patch with :data:`SHIFT` px of margin) a template tile at
    ``top``, ``left`` may move over; None when the window is cut short there."""
    around = window[top : top + tile.shape[0] + 2 * SHIFT, left : left + tile.shape[1] + 2 * SHIFT]
    return around if around.shape[0] >= tile.shape[0] and around.shape[1] >= tile.shape[1] else None


def largest_difference(patch: np.ndarray, template: np.ndarray) -> float:
    """How far the most different spot of two grey images of the same size is apart.

    Both are brought to zero mean and unit spread (as correlation sees them); their absolute
    difference is averaged over windows of :data:`DIFFERENCE_WINDOW` of the short side and the largest
    average is returned, in units of spread: 0 for copies, a few tenths where JPEG noise or a
    re-rendered edge differ, about half or more where a stroke is added or missing (one changed character).
    """
    a, b = patch.astype(np.float32), template.astype(np.float32)
    za = (a - a.mean()) / (float(a.std()) + 1e-6)
    zb = (b - b.mean()) / (float(b.std()) + 1e-6)
    side = max(3, round(min(template.shape[:2]) * DIFFERENCE_WINDOW))
    return float(cv2.blur(np.abs(za - zb), (side, side)).max())


def glyph_agreement(
    window: np.ndarray, template: np.ndarray, text: str, words: tuple[float, float, float, float], confused: Set[str]
) -> float:
    """How well the characters of ``text`` in ``confused`` agree, measured against the words' other characters.

    The recogniser reads some characters as their one-stroke look-alikes (夭 as 天, 己 as 已), so the
    words cannot tell such a state from its near miss, and a template's tiles, half its height wide,
    average one stroke away. Here ``words`` (where the text is in the template, as fractions) is cut
    into a tile per character (full width for CJK, :data:`NARROW_GLYPH` for others), each free to move
    by :data:`SHIFT` px in ``window`` (as :func:`detail_agreement` takes it). Another size or renderer
    lowers every character's correlation alike; a stroke more, less or moved lowers its own only
    (drawn at other densities: a confused character's own 0.97–1.00 beside its neighbours' 0.97–1.00;
    its look-alike 0.83–0.87 for 夭, 0.91–0.93 for 己, 0.94–0.96 for 戍). The score falls from 1 with the
    gap below the other characters' median, to 0 at :data:`GLYPH_GAP`: a gap of 0.03 scores 0.85, the
    default threshold.
    """
    height, width = template.shape[:2]
    x, y, w, h = words
    x0, x1 = round(x * width), round((x + w) * width)
    y0, y1 = round(y * height), round((y + h) * height)
    shares = [1.0 if unicodedata.east_asian_width(ch) in "WF" else NARROW_GLYPH for ch in text]
    edges = np.round(x0 + (x1 - x0) * np.cumsum([0.0, *shares]) / max(sum(shares), 1e-6)).astype(int)
    own: list[float] = []
    others: list[float] = []
    for ch, left, right in zip(text, edges[:-1], edges[1:], strict=True):
        tile = template[y0:y1, left:right]
        if tile.size == 0 or ch.isspace():
            continue
        around = _around(window, tile, y0, left)
        if around is None:
            return 0.0
        score = float(cv2.matchTemplate(around, tile, cv2.TM_CCOEFF_NORMED).max()) if tile.std() >= FLAT_TILE else 1.0
        (own if ch in confused else others).append(score)
    if not own:
        return 1.0
    gap = max(0.0, (float(np.median(others)) if others else 1.0) - min(own))
    return max(0.0, 1.0 - gap / GLYPH_GAP)
