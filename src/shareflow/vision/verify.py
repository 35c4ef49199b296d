"""The checks a candidate place must pass besides overall structure: colour and detail.

Each returns an agreement in [0, 1] between the template (already resized
to the scale it shows at) and the screen patch at the candidate place.
"""

from __future__ import annotations

import cv2
import numpy as np

PART_SHARE = 0.08  # a light or dark part of the template smaller than this share is not compared in colour
COLOUR_TOLERANCE = 10.0  # Lab distance that rendering alone causes (anti-aliasing, resampling, JPEG)
THIN_TOLERANCE = 20.0  # ... in the template's smaller part (thin strokes), hue at half weight
COLOUR_SPAN = 40.0  # further Lab distance at which colours count as wholly different
TILE_FRACTION = 0.5  # tiles are about this share of the template's short side
MIN_TILE = 10  # px: tiles are never smaller
FLAT_TILE = 4.0  # grey-level spread under which a tile counts as flat (background)
FLAT_SPAN = 24.0  # further spread at which a flat template tile counts as wholly different
SHIFT = 2  # px each tile may move to absorb resampling and a residual scale error


def _parts(image: np.ndarray, mask: np.ndarray | None) -> list[tuple[float, np.ndarray]]:
    """Share and core colour (median Lab) of the light and of the dark pixels (Otsu split on grey levels)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    counts = np.ones(grey.size, bool) if mask is None else mask.reshape(-1) > 0
    values, lab = grey.reshape(-1)[counts], lab[counts]
    level, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    parts = []
    for part, lighter in ((values > level, True), (values <= level, False)):
        if not part.any():
            continue
        # the part's core: its lighter (or darker) half, away from anti-aliased edges
        middle = np.median(values[part])
        core = part & ((values >= middle) if lighter else (values <= middle))
        parts.append((float(part.mean()), np.median(lab[core], axis=0)))
    return [p for p in parts if p[0] >= PART_SHARE] or parts[:1]


def colour_agreement(patch: np.ndarray, template: np.ndarray, mask: np.ndarray | None = None) -> float:
    """How alike a patch and a template are in colour.

    Each is split into its light and its dark pixels (Otsu on grey levels),
    e.g. a button and its label, and the median Lab colours of the parts are
    compared, light with light and dark with dark. Medians ignore
    anti-aliasing and resampling. The template's smaller part (thin strokes)
    counts its hue at half weight and with more slack: compression smears the
    colour of thin text, not its lightness. An enabled orange button and a
    disabled grey one, a green bubble and a white one, white text and red
    text disagree.
    """
    ours, theirs = _parts(template, mask), _parts(patch, mask)
    if len(ours) != len(theirs):  # one has two parts, the other is plain: compare the larger
        ours, theirs = [max(ours, key=lambda p: p[0])], [max(theirs, key=lambda p: p[0])]
    major = max(share for share, _ in ours)
    score = 1.0
    for (share, colour), (_, other) in zip(ours, theirs, strict=True):
        dl, da, db = (colour - other).tolist()
        if share == major:
            distance, slack = float(np.sqrt(dl * dl + da * da + db * db)), COLOUR_TOLERANCE
        else:
            distance, slack = float(np.sqrt(dl * dl + (da * da + db * db) / 4)), THIN_TOLERANCE
        score = min(score, 1.0 - max(0.0, distance - slack) / COLOUR_SPAN)
    return max(0.0, score)


def _tiles(height: int, width: int) -> list[tuple[slice, slice]]:
    side = max(MIN_TILE, round(min(height, width) * TILE_FRACTION))
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
        around = window[ys.start : ys.stop + 2 * SHIFT, xs.start : xs.stop + 2 * SHIFT]
        if around.shape[0] < tile.shape[0] or around.shape[1] < tile.shape[1]:
            return 0.0
        spread = float(tile.std())
        if spread < FLAT_TILE:
            inner = around[SHIFT : SHIFT + tile.shape[0], SHIFT : SHIFT + tile.shape[1]]
            excess = float(inner.std()) - spread - FLAT_TILE
            shift = abs(float(inner.mean()) - float(tile.mean())) - FLAT_TILE
            score = 1.0 - max(0.0, excess, shift) / FLAT_SPAN
        else:
            score = float(cv2.matchTemplate(around, tile, cv2.TM_CCOEFF_NORMED).max())
        worst = min(worst, score)
    return max(0.0, worst)
