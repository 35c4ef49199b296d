"""A template's own words: read once by OCR from its image and cached beside it.

A template whose sidecar declares no ``text`` (or that has no sidecar) gets its
words from its image: text detection finds its lines, the longest line and those
beside it make the text box, and recognition reads that box at a few scales.
Only words every reading shares, each read confidently, are kept, and at least
:data:`MIN_CHARACTERS` of them: an icon (×, a chevron, a magnifier, an avatar's
initial) reads as one glyph at best, so it has no text and is verified by colour
and detail alone. ``shareflow.vision.match`` then checks the words on every
candidate as it checks declared ones.

The result is cached in ``<state>.ocr.yaml`` beside the PNG (a hand-written
sidecar is never rewritten)::

    # The words OCR reads on item.png, written by shareflow: read again when the image or the reader changes.
    image: sha256:0f3c…                # of the PNG file
    model: rapidocr_onnxruntime 1.4.4 (ch_PP-OCRv4_det_infer.onnx, ch_PP-OCRv4_rec_infer.onnx)
    settings: score 0.9, 2 characters, padding 0.5, scales 1.0/0.6/1.6, same row 0.5, detection 960 px
    text: 立即购买                       # "" for an icon
    text_box: [0.0179, 0.1905, 0.9405, 0.6349]   # x, y, w, h as fractions of the template

A folder that cannot be written keeps the result in memory only.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import threading
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

from shareflow.vision import ocr
from shareflow.vision.match import TextBox

CACHE_SUFFIX = ".ocr.yaml"
SCORE_FLOOR = 0.9  # least recogniser confidence in every reading (icons read as letters score 0.5-0.99)
MIN_CHARACTERS = 2  # letters or digits kept: one glyph alone is taken for an icon
PADDING = 0.5  # share of the template's short side added around it: detection misses words touching its edge
READ_SCALES = (1.0, 0.6, 1.6)  # the text box is read at these scales (a character cut by the edge reads differently)
SAME_ROW = 0.5  # lines overlapping the longest one by this share of the lower one's height are on its row
SETTINGS = (
    f"score {SCORE_FLOOR}, {MIN_CHARACTERS} characters, padding {PADDING}, "
    f"scales {'/'.join(map(str, READ_SCALES))}, same row {SAME_ROW}, detection {ocr.DETECTION_SIDE} px"
)
HEADER = "# The words OCR reads on {name}, written by shareflow: read again when the image or the reader changes.\n"


@dataclass(frozen=True)
class Words:
    """The words a template shows ("" when none: an icon) and where they are in it."""

    text: str
    box: TextBox | None  # x, y, w, h as fractions of the template; None when there are no words


NO_WORDS = Words("", None)
_memo: dict[tuple[str, str], Words] = {}
_memo_lock = threading.Lock()


def read_words(image: np.ndarray) -> Words:
    """The words OCR reads on a BGR template image, and where they are (no words for an icon)."""
    height, width = image.shape[:2]
    pad = max(1, round(PADDING * min(height, width)))
    lines = ocr.find_lines(cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE))
    if not lines:
        return NO_WORDS
    longest = max(lines, key=lambda line: (len(ocr.normalise(line.words)), line.score))
    row = [line.box for line in lines if _same_row(line.box, longest.box)]
    x0, y0 = max(0, min(x for x, _, _, _ in row) - pad), max(0, min(y for _, y, _, _ in row) - pad)
    x1 = min(width, max(x + w for x, _, w, _ in row) - pad)
    y1 = min(height, max(y + h for _, y, _, h in row) - pad)
    if x1 <= x0 or y1 <= y0:
        return NO_WORDS
    crop = image[y0:y1, x0:x1]
    readings = [ocr.recognise(_scaled(crop, k)) for k in READ_SCALES]
    if min(score for _, score in readings) < SCORE_FLOOR:
        return NO_WORDS
    text = common_part([words for words, _ in readings])
    if len(ocr.normalise(text)) < MIN_CHARACTERS:
        return NO_WORDS
    fractions = (x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height)
    x, y, w, h = (round(v, 4) for v in fractions)
    return Words(text, (x, y, w, h))


def _same_row(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    overlap = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return overlap >= SAME_ROW * min(a[3], b[3])


def _scaled(image: np.ndarray, k: float) -> np.ndarray:
    if k == 1:
        return image
    return cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)


def common_part(readings: list[str]) -> str:
    """The longest run of letters and digits every reading shares (compared normalised), as the first spells it."""
    first = readings[0]
    kept = [(i, ch) for i, raw in enumerate(first) for ch in ocr.normalise(raw)]
    letters = "".join(ch for _, ch in kept)
    start, end = 0, len(letters)
    for other in readings[1:]:
        found = difflib.SequenceMatcher(None, letters[start:end], ocr.normalise(other), autojunk=False)
        match = found.find_longest_match()
        start, end = start + match.a, start + match.a + match.size
    if start == end:
        return ""
    lo = 0 if start == 0 else kept[start][0]  # punctuation before the first letter kept when nothing was cut there
    hi = len(first) if end == len(letters) else kept[end - 1][0] + 1
    return first[lo:hi]


def cache_path(png: Path) -> Path:
    """Where the words of the template in ``png`` are cached."""
    return png.with_suffix(CACHE_SUFFIX)


def cached(png: Path) -> Words | None:
    """The words cached beside ``png``, when the cache is there and still holds (same image, model, settings)."""
    try:
        return _cached(png, _digest(png.read_bytes()))
    except OSError:
        return None


def _cached(png: Path, digest: str) -> Words | None:
    try:
        data = yaml.safe_load(cache_path(png).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    if (data.get("image"), data.get("model"), data.get("settings")) != (digest, ocr.model(), SETTINGS):
        return None  # another image, model or way of reading
    text, box = data.get("text"), data.get("text_box")
    if not isinstance(text, str) or (box is None) != (not text):
        return None
    if box is None:
        return NO_WORDS
    if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, int | float) and 0 <= v <= 1 for v in box)):
        return None
    return Words(text, (float(box[0]), float(box[1]), float(box[2]), float(box[3])))


def words_of(image: np.ndarray, png: Path | None = None) -> Words:
    """The words of a template image: known in this process, cached beside ``png``, else read (and cached).

    A template with no file is read once per process; so is one whose folder cannot be written.
    """
    digest = _digest(png.read_bytes() if png is not None else _pixels(image))
    with _memo_lock:
        known = _memo.get((digest, ocr.model()))
    if known is not None:
        return known
    words = _cached(png, digest) if png is not None else None
    if words is None:
        words = read_words(image)
        if png is not None:
            with suppress(OSError):
                _write(png, digest, words)
    return _remember(digest, words)


def save_words(png: Path, image: np.ndarray) -> Words:
    """The words of the template in ``png`` (``image``, as read from it), cached beside it unless they are.

    Raises :class:`OSError` when the cache cannot be written.
    """
    digest = _digest(png.read_bytes())
    words = _cached(png, digest)
    if words is None:
        with _memo_lock:
            known = _memo.get((digest, ocr.model()))
        words = known if known is not None else read_words(image)
        _write(png, digest, words)
    return _remember(digest, words)


def _remember(digest: str, words: Words) -> Words:
    with _memo_lock:
        _memo[digest, ocr.model()] = words
    return words


def _digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _pixels(image: np.ndarray) -> bytes:
    return repr(image.shape).encode() + np.ascontiguousarray(image).tobytes()


def _write(png: Path, digest: str, words: Words) -> None:
    """Write the cache beside ``png`` whole or not at all (another process may be reading it)."""
    data = {"image": digest, "model": ocr.model(), "settings": SETTINGS, "text": words.text}
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    if words.box is not None:
        body += f"text_box: [{', '.join(map(str, words.box))}]\n"
    path = cache_path(png)
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        temporary.write_text(HEADER.format(name=png.name) + body, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
