"""Small JPEG thumbnails of evidence screenshots, written next to the matrix page."""

from __future__ import annotations

from pathlib import Path

import cv2

FOLDER = "matrix-thumbs"
WIDTH = 120  # pixels; the page shows them at this width
QUALITY = 75


def make(source: Path, target: Path) -> bool:
    """Write a ``WIDTH``-pixel-wide JPEG of ``source`` to ``target``; False when ``source`` is not a readable image."""
    image = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if image is None or image.shape[1] == 0:
        return False
    height = max(1, round(image.shape[0] * WIDTH / image.shape[1]))
    small = cv2.resize(image, (WIDTH, height), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    if not ok:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.tobytes())
    return True
