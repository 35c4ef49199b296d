"""Multi-scale template matching on screenshots, with a verification stage.

``find`` looks for a template on a screen in three stages:

1. **search**: normalised cross-correlation of softened grey levels (a
   template whose colours differ where their luminance does not — a link's
   blue-grey on a green bubble in dark mode — is turned to grey along its
   colours' principal axis instead, the screen alike: :func:`tone_of`) on a
   downsampled screen, over the scales the template may show at — around
   ``scale_hint`` (the phone's density over the capture density) when known,
   else around the ratio of screen width to ``capture_resolution``, else
   over every scale phones use; the best few places are kept;
2. **refinement**: each place is searched again at full resolution over
   finer scales, which fixes the box and the scale;
3. **verification**: each refined place is compared in *colour* (ground and ink),
   in *detail* (the worst of the template's tiles, each free to move a
   pixel or two) and, when the template declares the words it shows, by
   *text* (OCR of the place).

``confidence`` is the weakest of those agreements (structure, colour,
detail, text) at the best place, in [0, 1]; 1 is a pixel-identical copy. A
state is *found* when its confidence reaches the template's threshold, so a
place that looks alike overall but differs in one character, one colour
state or one icon is not found. ``Match.scores`` keeps each agreement and
``Match.near_miss`` the best other place, for reports.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import cv2
import numpy as np

from shareflow.errors import UsageError
from shareflow.vision import glyphs, ocr, verify

if TYPE_CHECKING:
    from shareflow.vision.templates import Template

Box = tuple[int, int, int, int]  # x, y, w, h in screen pixels
TextBox = tuple[float, float, float, float]  # x, y, w, h as fractions of the template

DEFAULT_THRESHOLD = 0.85
COARSE_WIDTH = 320  # screens are searched at about this width first
COARSE_TEMPLATE = 16  # px: the coarse search keeps the template's short side at least this long
MIN_SIDE = 12  # a scaled template smaller than this on a side is not tried
FLAT_STD = 6.0  # a template whose grey levels vary less than this is refused (luminance, then its tone)
EDGE_CONTRAST, MIN_EDGES = 40, 0.004  # grey step that makes an edge; least share of edge pixels
SCALE_RANGE = (0.45, 2.4)  # searched when nothing hints at the scale
SCALE_STEP = 1.06  # geometric step of the coarse search over the whole range
HINT_SPAN, HINT_STEPS = 0.03, 5  # +- around a density hint (exact up to rounding of the crop)
RESOLUTION_SPAN = (0.82, 1.22)  # around the width ratio: phones differ this much in logical width
PLACES = 4  # places carried from the search into refinement at a time ...
PLACE_MARGIN = 0.2  # ... when their correlation is at most this far below the best; more places (up to
# OCCURRENCES) only while every place verified so far looked alike (structure) but failed another check:
# the state may be the fifth of five lookalikes (a green bubble below four white ones with the same link)
SCALE_PRECISION = 0.003  # refinement stops when neighbouring scales differ less than this
REFINE_PAD, MIN_PAD = 0.08, 6  # share of the template's longer side (px at least) refinement looks around a place
FINE_STEPS = 5  # scales tried per place in refinement, between the coarse neighbours (then halving passes)
UPSCALE_BLUR = 0.6  # sigma per unit of scale when the template is enlarged, before tiles are compared
OCCURRENCES = 20  # find_all reports at most this many places
FAST_STRUCTURE = 0.95  # correlation at full resolution, at the predicted scale, that lets the fast path answer
WORDS_STRUCTURE = 0.5  # a text template's places read for its words when nothing matched its pixels ...
WORDS_PLACES = 2  # ... at most this many, the likeliest first
WORDS_CEILING = 0.95  # what a state found by its words scores on them: not a copy (1 is pixel-identical)
WORDS_MARGIN = 0.25  # share of the words' height around them that another font may also change
GROUND_SPAN = 12.0  # Lab distance from a flowing template's ground that counts as its ground on the screen
GROUND_LINES = 1.0  # ... in areas at least this many of its words' heights high
INK_SPAN = 3 * GROUND_SPAN  # Lab distance from that ground that counts as ink (where its words begin)
LINES_CUT = 0.02  # share of its width: words this near a template's edge may be cut there
LINES_MIN_CHARS = 4  # a flowing template's words are looked for on lines when they have this many characters
# share of a line's height by which its words' part outside them (a bubble's edge and tail) may sit further from
# the words than in the template: where a character's ink begins in its advance differs from face to face (【 at
# 0.50 of its size in WenQuanYi Micro Hei, 0.58-0.67 in Noto Sans/Serif CJK, AR PL UMing/UKai and Zen Hei)
BEARING = 0.2
# share of the words' height read around them at a place whose pixels agree: cut tight to their ink the recogniser
# misreads a line (去微信粘贴 as 去微信粘购); its own detector grows every box it reads (unclip ratio 1.6). Found by
# words alone (no pixels agree) a place is read tight: with room, a Noto 徽信 under its icon read as 微信
READ_MARGIN = 0.25
# look-alikes the pixel path checks character by character (a tile each, cut by estimated widths): CJK ones.
# Latin letters' widths vary too much for such tiles; where pixels agree their words are read strictly instead
STROKE_LOOKALIKES = frozenset(ch for ch in ocr.CONFUSABLE if not ch.isascii())
FAST_DIFFERENCE = 0.25  # spread units: the most a spot may differ for the fast path (a stroke more or less: 0.4+)


# How an image is turned to grey levels: by luminance (None), or along an axis of its colours: (the template's
# mean colour, the unit axis), both BGR; grey = 128 + (colour - mean) . axis
Tone = tuple[tuple[float, float, float], tuple[float, float, float]] | None


class TemplateError(UsageError):
    """A template that cannot be matched reliably (flat, featureless, empty, too large)."""


@dataclass(frozen=True)
class Candidate:
    """A place compared with the template, and how well each check agreed."""

    box: Box
    scale: float
    scores: Mapping[str, float]
    read: str | None = None  # the words read there, when the template declares some

    @property
    def confidence(self) -> float:
        return round(max(0.0, min(self.scores.values())), 4)


@dataclass(frozen=True)
class Match:
    """Where a template was found (or its best candidate when not found)."""

    found: bool
    confidence: float
    box: Box | None  # where it was found; None when not found
    best: Box | None  # the best candidate, found or not
    scale: float  # template pixels -> screen pixels
    elapsed_ms: float
    scores: Mapping[str, float] = field(default_factory=dict)  # structure, colour, detail, text
    text: str | None = None  # the words read at the best place, when the template declares some
    near_miss: Candidate | None = None  # the best other place
    screen_size: tuple[int, int] | None = None  # width, height of the screenshot matched on, in pixels

    @property
    def center(self) -> tuple[float, float] | None:
        """Centre of the found box, in screen pixels."""
        return self.point() if self.box is not None else None

    def point(self, at: tuple[float, float] = (0.5, 0.5)) -> tuple[float, float]:
        """A point of the found box given as fractions of it (``(0.5, 0.5)``: its centre), in screen pixels."""
        if self.box is None:
            raise ValueError("a template that was not found has no place to point at")
        x, y, w, h = self.box
        return x + w * at[0], y + h * at[1]


class ScreenImage:
    """A screenshot with its grey (in the ``tone`` given), softened and downsampled copies, each made once."""

    def __init__(self, bgr: np.ndarray, tone: Tone = None) -> None:
        self.bgr = bgr
        self.tone = tone
        self.soft = _soft(_grey(bgr, tone))
        self._small: dict[float, np.ndarray] = {}
        self._lines: dict[Box, list[ocr.Line]] = {}
        self._lab: np.ndarray | None = None
        self._toned: dict[Tone, ScreenImage] = {tone: self}

    def toned(self, tone: Tone) -> ScreenImage:
        """This screen with its grey levels in ``tone`` (made once; its words and Lab shared)."""
        if tone not in self._toned:
            other = self._toned[tone] = ScreenImage(self.bgr, tone)
            other._lines, other._lab, other._toned = self._lines, self._lab, self._toned
        return self._toned[tone]

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])

    def small(self, k: float) -> np.ndarray:
        """The softened grey screen scaled by ``k`` (< 1)."""
        key = round(k, 4)
        if key not in self._small:
            self._small[key] = _resize(self.soft, key)
        return self._small[key]

    def lines(self, box: Box) -> list[ocr.Line]:
        """The lines of text detected and read in ``box`` (once), in the screen's pixels."""
        if box not in self._lines:
            x, y, w, h = box
            self._lines[box] = [
                ocr.Line(line.words, line.score, (line.box[0] + x, line.box[1] + y, line.box[2], line.box[3]))
                for line in ocr.find_lines(self.bgr[y : y + h, x : x + w])
            ]
        return self._lines[box]

    @property
    def lab(self) -> np.ndarray:
        """The screen in OpenCV's 8-bit Lab, as float (made once)."""
        if self._lab is None:
            self._lab = cv2.cvtColor(self.bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
        return self._lab

    def region(self, box: Box) -> ScreenImage:
        x, y, w, h = box
        return ScreenImage(self.bgr[y : y + h, x : x + w], self.tone)


def _grey(image: np.ndarray, tone: Tone = None) -> np.ndarray:
    if image.ndim != 3:
        return image
    if tone is None:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    mean, axis = tone
    projected = (image.astype(np.float32) - np.array(mean, np.float32)) @ np.array(axis, np.float32) + 128
    grey: np.ndarray = np.clip(projected, 0, 255).astype(np.uint8)
    return grey


def tone_of(image: np.ndarray) -> Tone:
    """How ``image`` (a template) is turned to grey: None (luminance) unless its luminance is flat where its
    colours are not; then along its colours' principal axis. WeUI's dark palette is such a pair: LINK
    #7D90A9 on LIGHTGREEN #3EB575 differ by about 3 in luminance (weui's dark-mode CSS variables)."""
    if image.ndim != 3 or float(_grey(image).std()) >= FLAT_STD:
        return None
    colours = image.reshape(-1, 3).astype(np.float64)
    values, vectors = np.linalg.eigh(np.cov(colours, rowvar=False))
    if float(np.sqrt(max(values[-1], 0.0))) < FLAT_STD:
        return None  # flat in colour too
    axis = vectors[:, -1] * (1 if vectors[:, -1].sum() >= 0 else -1)  # the same sign for the same colours
    mean = colours.mean(axis=0)
    return (
        (float(mean[0]), float(mean[1]), float(mean[2])),
        (float(axis[0]), float(axis[1]), float(axis[2])),
    )


def _soft(grey: np.ndarray) -> np.ndarray:
    """A lightly blurred copy: makes thin strokes tolerate resampling."""
    return cv2.GaussianBlur(grey, (3, 3), 0)


def _resize(image: np.ndarray, k: float) -> np.ndarray:
    h, w = image.shape[:2]
    size = (max(1, round(w * k)), max(1, round(h * k)))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp)


def _ncc(screen: np.ndarray, template: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    if mask is None:
        return cv2.matchTemplate(screen, template, cv2.TM_CCOEFF_NORMED)
    result = cv2.matchTemplate(screen, template, cv2.TM_CCOEFF_NORMED, mask=mask)
    return np.nan_to_num(result, nan=0.0, posinf=0.0, neginf=0.0)


def check_template(template: np.ndarray) -> None:
    """Refuse templates that would match anywhere: tiny, flat (in luminance and in colour), or without edges."""
    if template.size == 0 or min(template.shape[:2]) < 4:
        raise TemplateError("template is empty or smaller than 4 px")
    grey = _grey(template, tone_of(template))
    if float(grey.std()) < FLAT_STD:
        raise TemplateError("template is flat (no structure to match): crop it to include text or edges")
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    if float((cv2.magnitude(gx, gy) > 4 * EDGE_CONTRAST).mean()) < MIN_EDGES:  # Sobel gives 4x a step
        raise TemplateError("template is featureless (a gradient without edges): crop it to include text or edges")


def candidate_scales(
    screen_size: tuple[int, int], capture_resolution: tuple[int, int] | None, scale_hint: float | None
) -> tuple[np.ndarray, float, Callable[[float], np.ndarray]]:
    """The coarse scales to search, the likeliest of them, and the fine scales to refine a place found at one.

    A density hint is exact up to the rounding of the crop: every place is
    refined over the whole (narrow) span around it. Otherwise a place is
    refined between the coarse scales next to the one it was found at.
    """
    if scale_hint is not None:
        span = scale_hint * np.linspace(1 - HINT_SPAN, 1 + HINT_SPAN, HINT_STEPS)
        return span, scale_hint, lambda _: span
    centre, (lo, hi) = 1.0, SCALE_RANGE
    if capture_resolution is not None:
        centre = screen_size[0] / capture_resolution[0]
        lo, hi = centre * RESOLUTION_SPAN[0], centre * RESOLUTION_SPAN[1]
    log_step = np.log(SCALE_STEP)
    powers = np.arange(np.ceil(np.log(lo / centre) / log_step), np.floor(np.log(hi / centre) / log_step) + 1)
    fine_span = np.geomspace(1 / SCALE_STEP, SCALE_STEP, FINE_STEPS)
    return centre * SCALE_STEP**powers, centre, lambda scale: scale * fine_span


def find(
    screen: np.ndarray | ScreenImage,
    template: Template,
    scale_hint: float | None = None,
    *,
    tree_shows: Callable[[str], bool] | None = None,
) -> Match:
    """Find ``template`` on ``screen`` (BGR, or a prepared :class:`ScreenImage`).

    The template says how: its ``threshold``; its ``mask`` (non-zero = counts), which ignores its
    transparent pixels; its ``region``, which limits the search to part of the screen; the ``text``
    it shows, checked by OCR (in its ``text_box``, when the words fill only part of it); and
    ``capture_resolution``, the size of the screen it was cut from. ``scale_hint`` is the expected
    template→screen scale (the phone's density over the capture density); without it the capture
    resolution guides the search, and without either every phone scale is searched. ``tree_shows`` says
    whether the app's node tree holds some words exactly: words read in another font that hold a character
    the recogniser confuses are taken when drawing them cannot tell and the tree has them.
    """
    started = time.perf_counter()
    threshold, mask, text = template.threshold, template.mask, template.text
    check_template(template.image)
    image = (screen if isinstance(screen, ScreenImage) else ScreenImage(screen)).toned(template.tone)
    screen_size = (image.width, image.height)
    region = template.region_box(image.width, image.height)
    ox, oy = (region[0], region[1]) if region is not None else (0, 0)
    if region is not None:
        image = image.region(region)
    t_grey = _grey(template.image, image.tone)
    predicted = predicted_scale(screen_size, template.capture_resolution, scale_hint)
    # a masked template's transparent pixels differ by design: only the full search weighs them out
    quick = _fast(image, template, t_grey, predicted) if predicted is not None and mask is None else None
    if quick is not None:
        return _result(quick, None, threshold, (ox, oy), started, screen_size)
    scales, likeliest, fine = candidate_scales((image.width, image.height), template.capture_resolution, scale_hint)
    first = scales[[int(np.argmin(np.abs(np.log(scales / likeliest))))]]
    candidates: list[Candidate] = []
    refined_at: list[Place] = []
    th, tw = t_grey.shape
    for stage in (first, scales[scales != first[0]]):  # the likeliest scale first: most states are found there
        places = _search(image, t_grey, mask, stage)
        if scale_hint is not None:  # each place is refined over the hint's whole span: once is enough
            places = [p for p in places if not any(_same_place(p, q, tw, th) for q in refined_at)]
        for start in range(0, len(places), PLACES):
            batch = places[start : start + PLACES]
            refined_at += batch
            refined = sorted((_refine(image, t_grey, mask, p, fine(p[1])) for p in batch), key=lambda c: -c[0])
            verified = _verify(image, template, refined)
            candidates += verified
            if any(c.confidence >= threshold for c in verified) or not all(
                c.scores["structure"] >= threshold for c in verified
            ):
                break  # found, or the places left look less alike than one that already failed
        if any(c.confidence >= threshold and _inside(c.scale, first[0], fine) for c in candidates):
            break
    if not candidates:
        raise TemplateError(f"template {tw}x{th} cannot fit the screen {image.width}x{image.height} at any scale")
    if text and not any(c.confidence >= threshold for c in candidates):
        candidates += _by_words(image, template, candidates, tree_shows)
        if not any(c.confidence >= threshold for c in candidates):
            candidates += _by_lines(image, template, scale_hint, tree_shows=tree_shows)
    best = max(candidates, key=lambda c: c.confidence)
    others = [c for c in candidates if not _overlaps(c.box, best.box)]
    near = max(others, key=lambda c: c.confidence) if others else None
    return _result(best, near, threshold, (ox, oy), started, screen_size)


def _result(
    best: Candidate,
    near: Candidate | None,
    threshold: float,
    offset: tuple[int, int],
    started: float,
    screen_size: tuple[int, int],
) -> Match:
    """The match reported for the ``best`` place (and the ``near`` miss), in the whole screen's pixels."""
    found = best.confidence >= threshold
    box = _shift(best.box, *offset)
    return Match(
        found=found,
        confidence=best.confidence,
        box=box if found else None,
        best=box,
        scale=round(best.scale, 4),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
        scores={k: round(v, 4) for k, v in best.scores.items()},
        text=best.read,
        near_miss=Candidate(_shift(near.box, *offset), near.scale, near.scores) if near else None,
        screen_size=screen_size,
    )


def predicted_scale(
    screen_size: tuple[int, int], capture_resolution: tuple[int, int] | None, scale_hint: float | None
) -> float | None:
    """The one scale the template most likely shows at: the density hint, else the ratio of screen widths."""
    if scale_hint is not None:
        return scale_hint
    return screen_size[0] / capture_resolution[0] if capture_resolution is not None else None


def _fast(image: ScreenImage, template: Template, t_grey: np.ndarray, scale: float) -> Candidate | None:
    """The template (unmasked) matched at ``scale`` alone (the coarse level, then full resolution): the place
    when its correlation there is above :data:`FAST_STRUCTURE` and it passes. A near copy (no spot differing
    more than :data:`FAST_DIFFERENCE`) passes on colour and detail: a copy this close shows the words. Any
    other such place passes the full verification (words read), without the search over every scale.

    None sends the template to the full search: nothing there, or not beyond doubt.
    """
    places = _search(image, t_grey, None, np.array([scale]))
    if not places:  # the coarse level only says where: it blurs small words far below any bar (0.83 for 1.0)
        return None
    structure, fine, box = _refine(image, t_grey, None, places[0], np.array([scale]))
    if structure < FAST_STRUCTURE:
        return None
    x, y, w, h = box
    t_scaled = _grey(_resize(template.image, fine), image.tone)[:h, :w]
    patch = _grey(image.bgr[y : y + h, x : x + w], image.tone)
    if patch.shape == t_scaled.shape and verify.largest_difference(patch, t_scaled) <= FAST_DIFFERENCE:
        appearance = _appearance(image, template.image, None, fine, box)
        candidate = Candidate(box, fine, {"structure": structure, **appearance})
    else:  # alike but not a copy (an enlarged template is blurrier than the screen): this place alone verified
        candidate = _verify(image, template, [(structure, fine, box)])[0]
    return candidate if candidate.confidence >= template.threshold else None


def _by_words(
    image: ScreenImage,
    template: Template,
    candidates: list[Candidate],
    tree_shows: Callable[[str], bool] | None = None,
) -> list[Candidate]:
    """A text template's state drawn in another font: at the likeliest places (the template's shape,
    correlated at :data:`WORDS_STRUCTURE` or more), its words read there, its colours (ground, ink) and
    the detail of its part outside the words (a badge, an icon, a corner) agreeing.

    Another font moves every stroke, so structure and detail fall below any threshold while the words,
    their place and their colours stay. A place whose words were read already (and differed) is not
    read again; the words must agree to their brackets (【淘宝】 is not the 淘宝 of 淘宝搜索), since no pixels
    do; the part outside them may sit up to :data:`BEARING` of their height nearer or further (another face's
    side bearings). The first place that agrees is returned; it scores :data:`WORDS_CEILING` on words, as it
    is no copy, so a template asking for as much (a threshold raised for its near misses) is never found
    this way. Words holding a character the recogniser confuses with another (its one-stroke near miss)
    must also be told apart from their look-alikes by drawing them in the screen's font (:mod:`glyphs`).
    """
    box = template.text_box or template.words_box
    if box is None or template.threshold >= WORDS_CEILING:
        return []  # where the words are is not known; or a near copy is asked for
    places: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: -c.scores["structure"]):
        if c.scores["structure"] < WORDS_STRUCTURE or len(places) == WORDS_PLACES:
            break
        if all(not _overlaps(c.box, p.box) for p in places):
            places.append(c)
    outside = _outside_words(template, box)
    for place in places:
        if place.scores.get("text", 1.0) < 1.0:
            continue  # read already, and the words differed (agreeing, they failed a confused character's tile)
        read = _read_at(image, place.box, box)
        if ocr.text_agreement(template.text, read, brackets=True, lookalikes=True) < 1.0:  # every mark counts
            continue
        if ocr.confusable(template.text) and not _exactly(
            _words_crop(image, place.box, box, READ_MARGIN), template.text, tree_shows
        ):
            continue
        reach = round(BEARING * box[3] * template.image.shape[0] * place.scale)
        scores = {"words": WORDS_CEILING, **_beside_words(image, template, place.scale, place.box, outside, reach)}
        return [Candidate(place.box, place.scale, scores, read)]
    return []


def _by_lines(
    image: ScreenImage,
    template: Template,
    scale_hint: float | None = None,
    every: bool = False,
    tree_shows: Callable[[str], bool] | None = None,
) -> list[Candidate]:
    """A template whose words are cut from text that wraps (its sidecar says ``flows``: a message's
    link) and whose state another font lays out otherwise: found on a line text detection finds on the
    screen that holds its words (to their brackets; a character at an edge of the template, within
    :data:`LINES_CUT`, may be cut in two and is not required), placed where they begin on it (their first
    ink, when the line begins with them) and centred on it, sized by the density hint (else by the line's
    height), where colours agree and so does the detail of the part outside the words (a bubble's edge
    and tail), up to :data:`BEARING` of the line's height left or right of where the words put it.

    Another font draws the words wider or narrower and may wrap a line elsewhere (a link in a message
    bubble), so the template's shape matches nowhere and the places its shape suggests hold other
    words; the line is where the words are. The screen's lines are detected once, for every template.
    The first place that agrees is returned; with ``every``, each (a chat holds the message more than once).
    """
    box = template.text_box or template.words_box
    if not template.flows or box is None or template.threshold >= WORDS_CEILING:
        return []  # words held whole (a button, a label) stay on one line: the words path finds them
    fx, fy, fw, fh = box
    cut_left, cut_right = fx <= LINES_CUT, fx + fw >= 1 - LINES_CUT
    own = [ch for ch in unicodedata.normalize("NFKC", template.text) if ocr.normalise(ch, brackets=True)]
    if len(own) < LINES_MIN_CHARS:
        return []
    own = own[int(cut_left) : len(own) - int(cut_right)]  # a character cut in two may read as another
    want = ocr.folded("".join(own), brackets=True)
    th, tw = template.image.shape[:2]
    outside = _outside_words(template, box)
    t_lab = cv2.cvtColor(template.image, cv2.COLOR_BGR2LAB).astype(np.float32)
    ground = verify.ground(t_lab, _grey(template.image, image.tone))
    t_box = (round(fx * tw), round(fy * th), round(fw * tw), round(fh * th))
    t_ink = _ink_left(t_lab, t_box, ground)
    found: list[Candidate] = []
    for line in (line for area in _grounds(image, ground, fh * th) for line in image.lines(area)):
        read = unicodedata.normalize("NFKC", line.words)
        kept = [i for i, ch in enumerate(read) if ocr.normalise(ch, brackets=True)]
        at = "".join(ocr.folded(read[i], brackets=True) for i in kept).find(want)
        if at < 0:
            continue
        lx, ly, lw, lh = line.box
        scale = scale_hint or lh / (fh * th)  # a line's box is the detector's: its height is no font's size
        ink = _ink_left(image.lab, line.box, ground) if at == int(cut_left) and t_ink is not None else None
        if ink is not None and t_ink is not None:  # detectors pad their boxes by as much as a line's length says
            x = round(ink - t_ink * scale)
        else:  # where the words begin, by characters
            x = round(lx + lw * (at - int(cut_left)) / len(kept) - fx * tw * scale)
        y = round(ly + lh / 2 - (fy + fh / 2) * th * scale)
        w, h = round(tw * scale), round(th * scale)
        if x < 0 or y < 0 or x + w > image.width or y + h > image.height or min(w, h) < MIN_SIDE:
            continue
        m = round(READ_MARGIN * lh)  # the detector's box may cut a descender
        crop = image.bgr[max(0, ly - m) : ly + lh + m, max(0, lx - m) : lx + lw + m]
        shown = _as_template(read, kept[at:], own)
        if ocr.confusable(shown) and not _exactly(crop, shown, tree_shows, "".join(own)):
            continue
        looks = _beside_words(image, template, scale, (x, y, w, h), outside, round(BEARING * lh))
        scores = {"words": WORDS_CEILING, **looks}
        if min(scores.values()) >= template.threshold:
            found.append(Candidate((x, y, w, h), scale, scores, line.words))
            if not every:
                break
    return found


def _ink_left(lab: np.ndarray, box: Box, ground: np.ndarray) -> int | None:
    """The first column of ``box`` in ``lab`` (an image in Lab) holding ink: a colour :data:`INK_SPAN` or
    more from ``ground``; None when it holds none."""
    x, y, w, h = box
    far = np.linalg.norm(lab[y : y + h, x : x + w] - ground, axis=2) >= INK_SPAN
    inked = np.flatnonzero(far.any(axis=0))
    return x + int(inked[0]) if inked.size else None


def _beside_words(
    image: ScreenImage, template: Template, scale: float, box: Box, outside: np.ndarray, reach: int
) -> dict[str, float]:
    """The colour at ``box`` (where the words put the template), and the detail of its part ``outside`` the
    words where it agrees best, up to ``reach`` px left or right of there."""
    step = 2 * verify.SHIFT + 1  # each tile moves SHIFT px on its own: these places leave no gap
    places = [_shift(box, k * step, 0) for k in range(-(reach // step), reach // step + 1)]
    looks = {
        place: _appearance(image, template.image, template.mask, scale, place, outside)
        for place in places
        if place[0] >= 0 and place[0] + place[2] <= image.width
    }
    return {"colour": looks[box]["colour"], "detail": max(look["detail"] for look in looks.values())}


def _exactly(crop: np.ndarray, words: str, tree_shows: Callable[[str], bool] | None, own: str | None = None) -> bool:
    """Whether ``words`` shown on ``crop``, which hold a character the recogniser confuses, are those exact
    characters: drawn in the screen's font they beat its look-alikes (:func:`glyphs.told_apart`; with ``own``,
    the template's characters the line begins with), or, where drawing cannot tell (a face that draws 已
    like 己, one this machine lacks), the node tree holds them (``own``, else ``words``) exactly."""
    if glyphs.told_apart(crop, words, leading=own is not None):
        return True
    return tree_shows is not None and tree_shows(own if own is not None else words)


def _as_template(read: str, where: list[int], own: list[str]) -> str:
    """The line ``read`` up to the template's words, with them as the template has them (its ``own``
    characters at the places ``where`` the recogniser read look-alikes of them)."""
    shown = list(read[: where[len(own) - 1] + 1])
    for i, ch in zip(where, own, strict=False):
        shown[i] = ch
    return "".join(shown)


def _grounds(image: ScreenImage, ground: np.ndarray, words_px: float) -> list[Box]:
    """The screen's areas of a flowing template's ``ground`` colour (Lab, within :data:`GROUND_SPAN`), its words closed
    over, at least :data:`GROUND_LINES` of its words' height (``words_px``, template pixels, at the
    smallest scale) high: where a flowing template's lines are looked for (a bubble, not the whole chat)."""
    near = (np.linalg.norm(image.lab - ground, axis=2) <= GROUND_SPAN).astype(np.uint8)
    side = max(3, round(words_px * SCALE_RANGE[0]))
    closed = cv2.morphologyEx(near, cv2.MORPH_CLOSE, np.ones((side, side), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(closed)
    areas = []
    for x, y, w, h, _ in stats[1:count]:
        if h >= GROUND_LINES * words_px * SCALE_RANGE[0] and w >= 2 * side:
            areas.append((int(x), int(y), int(w), int(h)))
    return areas


def _outside_words(template: Template, box: TextBox) -> np.ndarray:
    """The template's mask with its words' ``box`` (and a margin of :data:`WORDS_MARGIN` of its height) left out."""
    h, w = template.image.shape[:2]
    mask = np.full((h, w), 255, np.uint8) if template.mask is None else template.mask.copy()
    x, y, bw, bh = box
    pad = WORDS_MARGIN * bh * h
    mask[
        max(0, round(y * h - pad)) : round((y + bh) * h + pad), max(0, round(x * w - pad)) : round((x + bw) * w + pad)
    ] = 0
    return mask


def _inside(scale: float, around: float, fine: Callable[[float], np.ndarray]) -> bool:
    """Whether refinement settled inside the span searched around ``around`` (not at its edge)."""
    span = fine(around)
    return float(span[1]) < scale < float(span[-2])


def _overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share more than half of the smaller one."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w > 0 and h > 0 and w * h > 0.5 * min(a[2] * a[3], b[2] * b[3])


def _shift(box: Box, dx: int, dy: int) -> Box:
    x, y, w, h = box
    return x + dx, y + dy, w, h


Place = tuple[float, float, int, int]  # correlation, scale, x, y (full-resolution pixels)


def _search(image: ScreenImage, t_grey: np.ndarray, mask: np.ndarray | None, scales: np.ndarray) -> list[Place]:
    """The best places over the coarse scales, on the downsampled screen, best first."""
    th, tw = t_grey.shape
    coarse = min(1.0, COARSE_WIDTH / image.width)
    coarse = max(coarse, min(1.0, COARSE_TEMPLATE / (min(th, tw) * float(np.median(scales)))))
    small = image.small(coarse) if coarse < 1 else image.soft
    found: list[Place] = []
    for scale in scales:
        k = scale * coarse
        if min(th, tw) * k < MIN_SIDE or tw * k >= small.shape[1] or th * k >= small.shape[0]:
            continue
        result = _ncc(small, _soft(_resize(t_grey, k)), _resize(mask, k) if mask is not None else None)
        size = (round(tw * k), round(th * k))
        floor = float(result.max()) - PLACE_MARGIN
        found += [
            (value, float(scale), round(x / coarse), round(y / coarse))
            for x, y, value in peaks(result, size, floor, OCCURRENCES)
        ]
    found.sort(key=lambda p: -p[0])
    kept: list[Place] = []
    for place in found:
        if place[0] < found[0][0] - PLACE_MARGIN or len(kept) == OCCURRENCES:
            break
        if all(not _same_place(place, k, tw, th) for k in kept):
            kept.append(place)
    return kept


def _same_place(a: Place, b: Place, tw: int, th: int) -> bool:
    return abs(a[2] - b[2]) < tw * a[1] / 2 and abs(a[3] - b[3]) < th * a[1] / 2


def _refine(
    image: ScreenImage, t_grey: np.ndarray, mask: np.ndarray | None, place: Place, scales: np.ndarray
) -> tuple[float, float, Box]:
    """The place searched again at full resolution over finer scales: (correlation, scale, box).

    Then passes between the best scale's neighbours, halving the gap each
    time, pin the scale down to :data:`SCALE_PRECISION`. The first looks
    :data:`REFINE_PAD` of the template's longer side around the coarse place;
    a pass only as far as its step of scale can move the best place's corner.
    """
    _, scale, cx, cy = place
    best: tuple[float, float, Box] = (-1.0, scale, (cx, cy, 1, 1))
    gap = float(scales[1] / scales[0]) if len(scales) > 1 else 1.01
    reach = REFINE_PAD
    while True:
        for fine in scales:
            t_fine = _soft(_resize(t_grey, fine))
            fh, fw = t_fine.shape
            pad = max(MIN_PAD, round(reach * max(fw, fh)))
            x0, y0 = max(0, cx - pad), max(0, cy - pad)
            window = image.soft[y0 : min(image.height, cy + fh + pad), x0 : min(image.width, cx + fw + pad)]
            if window.shape[0] < fh or window.shape[1] < fw:
                continue
            m_fine = _resize(mask, fine) if mask is not None else None
            _, value, _, (lx, ly) = cv2.minMaxLoc(_ncc(window, t_fine, m_fine))
            if value > best[0]:
                best = (float(value), float(fine), (x0 + lx, y0 + ly, fw, fh))
        if gap < 1 + SCALE_PRECISION:
            return best
        gap = float(np.sqrt(gap))
        cx, cy = best[2][:2]
        scales = best[1] * np.array([1 / gap, gap])
        reach = gap - 1


def _verify(image: ScreenImage, template: Template, refined: list[tuple[float, float, Box]]) -> list[Candidate]:
    """Colour and detail for places whose structure passes; text for those that pass all else; and where
    the words hold a character the recogniser confuses with another, that character's own detail (glyphs)."""
    threshold, text = template.threshold, template.text
    words = template.text_box or template.words_box
    candidates: list[Candidate] = []
    for structure, scale, box in refined:
        scores, read = {"structure": structure}, None
        if structure >= threshold:
            scores.update(_appearance(image, template.image, template.mask, scale, box))
            if text and min(scores.values()) >= threshold:
                read = _read_at(image, box, words, READ_MARGIN)
                scores["text"] = ocr.text_agreement(text, read)
                if words is not None and STROKE_LOOKALIKES.intersection(text) and scores["text"] >= threshold:
                    window, t_soft = _aligned(image, template.image, scale, box)
                    scores["glyphs"] = verify.glyph_agreement(window, t_soft, text, words, STROKE_LOOKALIKES)
        candidates.append(Candidate(box, scale, scores, read))
    return candidates


def _appearance(
    image: ScreenImage,
    template: np.ndarray,
    mask: np.ndarray | None,
    scale: float,
    box: Box,
    detail_mask: np.ndarray | None = None,
) -> dict[str, float]:
    """Colour (over ``mask``) and detail (over ``detail_mask``, else ``mask``) of the place ``box``."""
    x, y, w, h = box
    t_scaled = _resize(template, scale)
    t_scaled = t_scaled[:h, :w] if t_scaled.shape[:2] != (h, w) else t_scaled
    m_scaled = _resize(mask, scale)[:h, :w] if mask is not None else None
    d_scaled = _resize(detail_mask, scale)[:h, :w] if detail_mask is not None else m_scaled
    patch = image.bgr[y : y + h, x : x + w]
    window, t_soft = _aligned(image, template, scale, box)
    return {
        "colour": verify.colour_agreement(patch, t_scaled, m_scaled),
        "detail": verify.detail_agreement(window, t_soft, d_scaled),
    }


def _aligned(image: ScreenImage, template: np.ndarray, scale: float, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """The softened grey screen at ``box`` with :data:`verify.SHIFT` px of margin, and the softened grey
    template at ``scale`` (cut to the box): what tiles are compared on."""
    x, y, w, h = box
    s = verify.SHIFT
    padded = cv2.copyMakeBorder(image.soft, s, s, s, s, cv2.BORDER_REPLICATE)
    window = padded[y : y + h + 2 * s, x : x + w + 2 * s]
    t_soft = _soft(_grey(_resize(template, scale), image.tone))[:h, :w]
    if scale > 1:  # an enlarged template is blurrier than the screen: blur both alike before comparing tiles
        sigma = UPSCALE_BLUR * scale
        window, t_soft = cv2.GaussianBlur(window, (0, 0), sigma), cv2.GaussianBlur(t_soft, (0, 0), sigma)
    return window, t_soft


def _read_at(image: ScreenImage, box: Box, text_box: TextBox | None = None, margin: float = 0.0) -> str:
    """The words read at ``box``, in its ``text_box`` grown by ``margin`` of the words' height on every side
    (inside the box)."""
    return ocr.read_text(_words_crop(image, box, text_box, margin))


def _words_crop(image: ScreenImage, box: Box, text_box: TextBox | None, margin: float) -> np.ndarray:
    """The screen at ``box``, cut to its ``text_box`` grown by ``margin`` of the words' height on every side."""
    x, y, w, h = box
    if text_box is not None:
        fx, fy, fw, fh = text_box
        mx, my = margin * fh * h / w, margin * fh
        left, top = max(0.0, fx - mx), max(0.0, fy - my)
        right, bottom = min(1.0, fx + fw + mx), min(1.0, fy + fh + my)
        x, y, w, h = (
            x + round(left * w),
            y + round(top * h),
            max(1, round((right - left) * w)),
            max(1, round((bottom - top) * h)),
        )
    return image.bgr[y : y + h, x : x + w]


def peaks(
    result: np.ndarray, size: tuple[int, int], floor: float = -1.0, limit: int = PLACES
) -> list[tuple[int, int, float]]:
    """The best places of a correlation map (always the best one; more while above ``floor``).

    Places closer than half a template to a better one are the same place.
    """
    w, h = size
    work = result.copy()
    found: list[tuple[int, int, float]] = []
    while len(found) < limit:
        _, value, _, (x, y) = cv2.minMaxLoc(work)
        if found and (value < floor or value <= -1.0):
            break
        found.append((x, y, float(value)))
        work[max(0, y - h // 2) : y + h // 2 + 1, max(0, x - w // 2) : x + w // 2 + 1] = -1.0
    return found


def find_all(
    screen: np.ndarray | ScreenImage,
    template: Template,
    scale_hint: float | None = None,
    *,
    found: Match | None = None,
    tree_shows: Callable[[str], bool] | None = None,
) -> list[Match]:
    """Every place ``template`` shows on ``screen``, best first, each verified; none when :func:`find` finds it nowhere.

    The places are looked for, over the whole screen, at the scale :func:`find` finds the template at;
    ``found`` is what :func:`find` already returned for this template on this screen, when it did;
    ``tree_shows`` as for :func:`find`.
    """
    started = time.perf_counter()
    image = (screen if isinstance(screen, ScreenImage) else ScreenImage(screen)).toned(template.tone)
    first = found if found is not None else find(image, template, scale_hint, tree_shows=tree_shows)
    if not first.found:
        return []
    size = (image.width, image.height)
    if "words" in first.scores:  # found by its words in another font, where its pixels show nowhere
        again = _by_lines(image, template, scale_hint, every=True, tree_shows=tree_shows) if template.flows else []
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        return [
            Match(True, c.confidence, c.box, c.box, c.scale, elapsed, c.scores, c.read, screen_size=size) for c in again
        ] or [first]
    scale, threshold, mask = first.scale, template.threshold, template.mask
    t_soft = _soft(_resize(_grey(template.image, image.tone), scale))
    h, w = t_soft.shape
    result = _ncc(image.soft, t_soft, _resize(mask, scale) if mask is not None else None)
    places = [(value, scale, (x, y, w, h)) for x, y, value in peaks(result, (w, h), threshold, OCCURRENCES)]
    candidates = [p for p in places if p[0] >= threshold]
    verified = _verify(image, template, candidates)
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return [
        Match(True, c.confidence, c.box, c.box, scale, elapsed, c.scores, c.read, screen_size=size)
        for c in sorted(verified, key=lambda c: -c.confidence)
        if c.confidence >= threshold
    ]
