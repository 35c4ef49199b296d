"""Multi-scale template matching on screenshots.

``find`` looks for a template on a screen at the scale the phone draws it:
a coarse search over candidate scales on downsampled images, then a fine
search at full resolution around the best candidates. A candidate must
agree in structure (normalised cross-correlation of grey levels) *and* in
colour; ``confidence`` is the lower of the two agreements, in [0, 1].
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in screen pixels

COARSE_WIDTH = 400  # screens are searched at about this width first
MIN_SIDE = 12  # a scaled template smaller than this on a side is not tried
FLAT_STD = 6.0  # a template whose grey levels vary less than this is refused
SCALE_RANGE = (0.45, 2.4)  # searched when nothing hints at the scale
SCALE_STEP = 1.06  # geometric step of the coarse scale search
HINT_SPAN = 0.08  # +- around a hinted scale
MAX_OCCURRENCES = 20  # find_all reports at most this many places
RIVALS, RIVAL_MARGIN = 6, 0.15  # places compared in colour: up to this many, this close to the best
PALETTE_SIZE, PALETTE_SHARE, PALETTE_SAMPLES = 3, 0.12, 3000  # colours, least share that counts, pixels used
COLOUR_TOLERANCE = 10.0  # Lab distance that rendering alone causes (anti-aliasing, resampling)
COLOUR_SPAN = 40.0  # further Lab distance at which colours count as wholly different
FINE_LO, FINE_HI, FINE_STEPS = 0.97, 1.03, 13  # the fine search around a coarse candidate


class TemplateError(ValueError):
    """A template that cannot be matched reliably (flat, empty, too large)."""


@dataclass(frozen=True)
class Match:
    """Where a template was found (or best candidate when not found)."""

    found: bool
    confidence: float
    box: Box | None  # where it was found; None when not found
    best: Box | None  # the best candidate, found or not
    scale: float  # template pixels -> screen pixels
    elapsed_ms: float

    @property
    def center(self) -> tuple[float, float] | None:
        """Centre of the found box, in screen pixels."""
        if self.box is None:
            return None
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def check_template(template: np.ndarray) -> None:
    """Refuse templates that would match anywhere."""
    if template.size == 0 or min(template.shape[:2]) < 4:
        raise TemplateError("template is empty or smaller than 4 px")
    if float(_grey(template).std()) < FLAT_STD:
        raise TemplateError("template is flat (no structure to match): crop it to include text or edges")


def _scales(hint: float | None) -> np.ndarray:
    """Coarse scales to try: around the hint (the hint itself included), else the whole range."""
    if hint is not None:
        return hint * np.linspace(1 - HINT_SPAN, 1 + HINT_SPAN, 9)
    lo, hi = SCALE_RANGE
    count = int(np.ceil(np.log(hi / lo) / np.log(SCALE_STEP))) + 1
    return np.append(lo * SCALE_STEP ** np.arange(count), 1.0)


def _soft(grey: np.ndarray) -> np.ndarray:
    """A lightly blurred copy: makes thin strokes tolerate resampling."""
    return cv2.GaussianBlur(grey, (3, 3), 0)


def _ncc(screen: np.ndarray, template: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    if mask is None:
        return cv2.matchTemplate(screen, template, cv2.TM_CCOEFF_NORMED)
    result = cv2.matchTemplate(screen, template, cv2.TM_CCOEFF_NORMED, mask=mask)
    return np.nan_to_num(result, nan=0.0, posinf=0.0, neginf=0.0)


def _resize(image: np.ndarray, k: float) -> np.ndarray:
    h, w = image.shape[:2]
    size = (max(1, round(w * k)), max(1, round(h * k)))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp)


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
    """How alike two images are in colour, in [0, 1].

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


def find(
    screen: np.ndarray,
    template: np.ndarray,
    *,
    threshold: float = 0.85,
    scale_hint: float | None = None,
    region: Box | None = None,
    mask: np.ndarray | None = None,
) -> Match:
    """Find ``template`` (BGR) on ``screen`` (BGR).

    ``scale_hint`` is the expected template→screen scale (from the capture
    density and the phone's); ``region`` limits the search to a box of the
    screen; ``mask`` (same size as the template, non-zero = counts) ignores
    the template's transparent pixels.
    """
    started = time.perf_counter()
    check_template(template)
    ox, oy = 0, 0
    if region is not None:
        ox, oy, rw, rh = region
        screen = screen[oy : oy + rh, ox : ox + rw]
    s_grey, t_grey = _soft(_grey(screen)), _grey(template)
    sh, sw = s_grey.shape
    th, tw = t_grey.shape
    coarse = min(1.0, COARSE_WIDTH / sw)
    # keep the coarse template legible: never shrink it below ~24 px on its short side
    coarse = max(coarse, min(1.0, 24 / (min(th, tw) * (scale_hint or 1.0))))
    s_small = _resize(s_grey, coarse) if coarse < 1 else s_grey
    candidates: list[tuple[float, float, tuple[int, int]]] = []
    for scale in _scales(scale_hint):
        k = scale * coarse
        if min(th, tw) * k < MIN_SIDE or tw * k >= s_small.shape[1] or th * k >= s_small.shape[0]:
            continue
        m_small = _resize(mask, k) if mask is not None else None
        result = _ncc(s_small, _soft(_resize(t_grey, k)), m_small)
        _, value, _, loc = cv2.minMaxLoc(result)
        candidates.append((value, scale, loc))
    if not candidates:
        raise TemplateError(f"template {tw}x{th} cannot fit the screen {sw}x{sh} at any searched scale")
    candidates.sort(reverse=True)
    best: tuple[float, float, Box] | None = None
    for _, scale, (cx, cy) in candidates[:3]:
        for fine in scale * np.linspace(FINE_LO, FINE_HI, FINE_STEPS):
            t_fine = _soft(_resize(t_grey, fine))
            fh, fw = t_fine.shape
            if fw >= sw or fh >= sh:
                continue
            pad = max(8, round(0.1 * max(fw, fh)))
            x0 = max(0, round(cx / coarse) - pad)
            y0 = max(0, round(cy / coarse) - pad)
            x1, y1 = min(sw, x0 + fw + 2 * pad), min(sh, y0 + fh + 2 * pad)
            window = s_grey[y0:y1, x0:x1]
            if window.shape[0] < fh or window.shape[1] < fw:
                continue
            m_fine = _resize(mask, fine) if mask is not None else None
            _, value, _, (lx, ly) = cv2.minMaxLoc(_ncc(window, t_fine, m_fine))
            if best is None or value > best[0]:
                best = (value, fine, (x0 + lx, y0 + ly, fw, fh))
    if best is None:
        raise TemplateError("template does not fit the screen at the candidate scales")
    structure, scale, (x, y, w, h) = best
    t_colour, m_best = _resize(template, scale), (_resize(mask, scale) if mask is not None else None)
    result = _ncc(s_grey, _soft(_resize(t_grey, scale)), m_best)
    confidence, (x, y) = 0.0, (x, y)
    for px, py, value in _peaks(result, (w, h), structure - RIVAL_MARGIN):
        colour = colour_agreement(screen[py : py + h, px : px + w], t_colour, m_best)
        if min(value, colour) > confidence:
            confidence, (x, y) = min(value, colour), (px, py)
    confidence = round(float(max(confidence, 0.0)), 4)
    box = (x + ox, y + oy, w, h)
    found = confidence >= threshold
    elapsed = (time.perf_counter() - started) * 1000
    return Match(found, confidence, box if found else None, box, round(float(scale), 4), round(elapsed, 2))


def _peaks(result: np.ndarray, size: tuple[int, int], floor: float, limit: int = 0) -> list[tuple[int, int, float]]:
    """The best places of a correlation map (always the best one; more while above ``floor``).

    Places closer than half a template to a better one are the same place.
    """
    w, h = size
    work = result.copy()
    peaks: list[tuple[int, int, float]] = []
    while len(peaks) < (limit or RIVALS):
        _, value, _, (x, y) = cv2.minMaxLoc(work)
        if value < floor and peaks:
            break
        peaks.append((x, y, float(value)))
        work[max(0, y - h // 2) : y + h // 2 + 1, max(0, x - w // 2) : x + w // 2 + 1] = -1.0
    return peaks


def find_all(
    screen: np.ndarray,
    template: np.ndarray,
    scale: float,
    threshold: float,
    mask: np.ndarray | None = None,
) -> list[Box]:
    """Every place ``template`` shows at ``scale`` (found by :func:`find`), best first."""
    t_grey = _soft(_resize(_grey(template), scale))
    m = _resize(mask, scale) if mask is not None else None
    result = _ncc(_soft(_grey(screen)), t_grey, m)
    h, w = t_grey.shape
    t_colour = _resize(template, scale)
    return [
        (x, y, w, h)
        for x, y, value in _peaks(result, (w, h), threshold, limit=MAX_OCCURRENCES)
        if value >= threshold and colour_agreement(screen[y : y + h, x : x + w], t_colour, m) >= threshold
    ]
