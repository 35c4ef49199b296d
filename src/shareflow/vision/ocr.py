"""Reading words with RapidOCR (its models ship with the package).

On a matched place only recognition runs (no text detection): the place is
already known, so a label costs one small network pass. Detection runs only
on templates, to find where their words are (see :mod:`shareflow.vision.template_text`).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from shareflow import machine

PACKAGE = "rapidocr_onnxruntime"
_LOCK = threading.Lock()
MISMATCH_CEILING = 0.5  # a place whose words differ scores at most this on text
# Characters the recogniser reads as one another, either way, in some CJK font (one stroke more, less or
# moved): found by benchmarks/confusables.py over 100 look-alike pairs in four fonts. Words holding one
# cannot tell a state from its one-stroke near miss: its pixels must agree as well (verify.glyph_agreement),
# or, in another font, its drawing in the screen's font (shareflow.vision.glyphs).
# 送迭: benchmarks/corpus's own screens, 发迭 read as 发送 in Noto Sans CJK SC at 2.0 px/dp. Latin ones (a
# link's letters: detail.tmall read as detai1.tma11 in AR PL UMing, tma1l as tmall in Noto, l0O1I as lo011):
# the same benchmark's Latin pairs. l and I are not told apart (most sans faces draw them alike); both
# are 1's look-alikes, so all three read as one (:func:`folded`).
LOOKALIKES = ("已己巳", "天夭", "日曰", "汨汩", "戌戍", "查杳", "京亰", "晴睛", "送迭", "1l", "1I", "0Oo", "gq")
CONFUSABLE = frozenset("".join(LOOKALIKES))
DETECTION_SIDE = 960  # px: a longer image is shrunk to this for text detection; smaller ones keep their size


@dataclass(frozen=True)
class Line:
    """A line of text found on an image: its words, the recogniser's confidence in them, and its box."""

    words: str
    score: float
    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the image


@functools.cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR  # loads ONNX models: only when text is read

    # RapidOCR's default enlarges an image's short side to 736 px before detection: slow on a small
    # template, and its words then come out in pieces
    return RapidOCR(det_limit_type="max", det_limit_side_len=DETECTION_SIDE, intra_op_num_threads=threads())


def threads() -> int:
    """ONNX Runtime's threads in this process: the machine's CPUs shared out among the run's pytest-xdist
    workers, at least one. Its default, a thread per CPU in every process, makes workers fight over the
    cores: three processes reading a 1080×2340 screen at once took 5.2 s a read so, 3.3 s with a thread
    each (benchmarks/README.md)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    return max(1, machine.cpus() // max(1, workers))


@functools.cache
def model() -> str:
    """Which OCR reads: the package's version and its detection and recognition models' file names."""
    spec = importlib.util.find_spec(PACKAGE)  # found, not imported: naming the model loads nothing
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{PACKAGE} is not installed")
    config = yaml.safe_load((Path(spec.origin).parent / "config.yaml").read_text(encoding="utf-8"))
    files = ", ".join(Path(config[part]["model_path"]).name for part in ("Det", "Rec"))
    return f"{PACKAGE} {importlib.metadata.version(PACKAGE)} ({files})"


def recognise(image: np.ndarray) -> tuple[str, float]:
    """The words on a BGR image of one line of text and the recogniser's confidence in them."""
    with _LOCK:
        result, _ = _engine()(image, use_det=False, use_cls=False, use_rec=True)
    if not result:
        return "", 0.0
    words, score = result[0]
    return str(words), float(score)


def read_text(image: np.ndarray) -> str:
    """The words on a BGR image of one line of text ("" when none are legible)."""
    return recognise(image)[0]


def find_lines(image: np.ndarray) -> list[Line]:
    """Every line of text detected on a BGR image, each read, top to bottom."""
    with _LOCK:
        result, _ = _engine()(image, use_cls=False)
    lines = []
    for points, words, score in result or []:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = round(min(xs)), round(min(ys)), round(max(xs) - min(xs)), round(max(ys) - min(ys))
        lines.append(Line(str(words), float(score), box))
    return lines


def normalise(text: str, *, brackets: bool = False) -> str:
    """Text as compared: width and case folded, spaces and punctuation dropped (with ``brackets``, brackets
    such as 【】 kept)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = ("Ps", "Pe") if brackets else ()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) in kept)


def text_agreement(expected: str, read: str, *, brackets: bool = False, lookalikes: bool = False) -> float:
    """1 when the words read contain the expected words, else at most :data:`MISMATCH_CEILING`.

    Containment, not equality: a template may cut its last character in two,
    which then reads as something else. Below the ceiling the score grows
    with the share of expected characters read in order (for reports only).
    With ``brackets``, brackets count as characters: 【淘宝】 is not in 淘宝搜索.
    With ``lookalikes``, look-alikes count as one (:func:`folded`): the caller tells them apart.
    """
    compared = folded if lookalikes else normalise
    want, got = compared(expected, brackets=brackets), compared(read, brackets=brackets)
    if want in got:
        return 1.0
    shared = _common_subsequence(want, got)
    return round(MISMATCH_CEILING * shared / max(1, len(want)), 4)


def _common_subsequence(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for ch in a:
        previous = 0
        for j, other in enumerate(b, 1):
            previous, row[j] = row[j], (previous + 1 if ch == other else max(row[j], row[j - 1]))
    return row[-1]


def lookalikes(ch: str) -> str:
    """The characters ``ch`` may be read for (itself excluded; "" when none)."""
    return "".join(dict.fromkeys(other for group in LOOKALIKES if ch in group for other in group if other != ch))


@functools.cache
def _fold() -> dict[str, str]:
    """Each confusable character and the one its look-alikes are all read as (groups sharing one merged)."""
    classes: list[set[str]] = []
    for group in LOOKALIKES:
        joined = set(group).union(*(c for c in classes if c & set(group)))
        classes = [c for c in classes if not c & set(group)] + [joined]
    return {ch: min(c) for c in classes for ch in c}


def folded(text: str, *, brackets: bool = False) -> str:
    """:func:`normalise`'d text with look-alikes read as one: what the recogniser's reading can tell."""
    fold = _fold()
    return normalise("".join(fold.get(ch, ch) for ch in unicodedata.normalize("NFKC", text)), brackets=brackets)


def confused_at(text: str) -> list[int]:
    """Where ``text`` holds a character the recogniser may read as another (:data:`CONFUSABLE`): a Latin
    one only in a word, link or token (a run of letters and digits holding a letter), not in a number
    (双12狂欢's 1 is no l)."""
    words = [m.span() for m in re.finditer("[A-Za-z0-9]+", text) if not m.group().isdigit()]
    return [
        i
        for i, ch in enumerate(text)
        if ch in CONFUSABLE and (not ch.isascii() or any(start <= i < end for start, end in words))
    ]


def confusable(text: str) -> bool:
    """Whether ``text`` holds a character the recogniser may read as another (:func:`confused_at`)."""
    return bool(confused_at(text))
