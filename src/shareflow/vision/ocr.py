"""Reading the words on a matched place: RapidOCR's recogniser (models ship with the package).

Only recognition runs (no text detection): the place is already known, so a
label costs one small network pass.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from typing import Any

import numpy as np

_LOCK = threading.Lock()
MISMATCH_CEILING = 0.5  # a place whose words differ scores at most this on text


@functools.cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR  # loads ONNX models: only when text is checked

    return RapidOCR()


def read_text(image: np.ndarray) -> str:
    """The words on a BGR image of one line of text ("" when none are legible)."""
    with _LOCK:
        result, _ = _engine()(image, use_det=False, use_cls=False, use_rec=True)
    return "".join(str(line[0]) for line in result or [])


def normalise(text: str) -> str:
    """Text as compared: width and case folded, spaces and punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def text_agreement(expected: str, read: str) -> float:
    """1 when the words read contain the expected words, else at most :data:`MISMATCH_CEILING`.

    Containment, not equality: a template may cut its last character in two,
    which then reads as something else. Below the ceiling the score grows
    with the share of expected characters read in order (for reports only).
    """
    want, got = normalise(expected), normalise(read)
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
