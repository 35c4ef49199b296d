"""The checks a candidate place must pass besides overall structure: colour and detail.

Each returns an agreement in [0, 1] between the template (already resized
to the scale it shows at) and the screen patch at the candidate place.
"""

from __future__ import annotations

import cv2
import numpy as np

PALETTE_SIZE, PALETTE_SHARE, PALETTE_SAMPLES = 3, 0.12, 3000  # colours, least share that counts, pixels used
COLOUR_TOLERANCE = 10.0  # Lab distance that rendering alone causes (anti-aliasing, resampling)
COLOUR_SPAN = 40.0  # further Lab distance at which colours count as wholly different
TILE_FRACTION = 0.5  # tiles are about this share of the template's short side
MIN_TILE = 10  # px: tiles are never smaller
FLAT_TILE = 4.0  # grey-level spread under which a tile counts as flat (background)
FLAT_SPAN = 24.0  # further spread at which a flat template tile counts as wholly different
SHIFT = 2  # px each tile may move to absorb resampling and a residual scale error


def _palette(image: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The image's dominant colours in Lab space, and the share of pixels each covers."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    if mask is not None:
        lab = lab[mask.reshape(-1) > 0]
    lab = lab[:: max(1, len(lab) // PALETTE_SAMPLES)]
    k = min(PALETTE_SIZE, len(lab))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _, labels, centres = cv2.kmeans(lab, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    return centres, np.bincount(labels.ravel(), minlength=k) / len(labels)


def colour_agreement(patch: np.ndarray, template: np.ndarray, mask: np.ndarray | None = None) -> float:
    """How alike two images are in colour.

    Compares palettes (dominant colours, Lab space): every colour that covers
    a fair share of one image must be near a colour of the other. Alignment
    and stroke weight do not matter; an enabled orange button and a disabled
    grey one, or white text and red text, disagree.
    """
    tc, ts = _palette(template, mask)
    pc, ps = _palette(patch, mask)

    def farthest(centres: np.ndarray, shares: np.ndarray, other: np.ndarray) -> float:
        return max(
            float(np.min(np.linalg.norm(other - c, axis=1)))
            for c, s in zip(centres, shares, strict=True)
            if s >= PALETTE_SHARE
        )

    distance = max(farthest(tc, ts, pc), farthest(pc, ps, tc))
    return max(0.0, 1.0 - max(0.0, distance - COLOUR_TOLERANCE) / COLOUR_SPAN)


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
