"""Whether :func:`shareflow.vision.glyphs.told_apart` tells a character from its look-alike, and never
takes the look-alike for it: the data behind its constants.

Each confusable character is drawn in a short label (its look-alike in the same place for the near
miss) in every CJK face fontconfig lists (bold by a stroke too), at several sizes, two ways
(hinted at the size; drawn 4× and shrunk, as another renderer would), dark on light and light on
dark, as is and as JPEG at quality 60, and scaled as a screenshot may be. A label is "told apart"
when told_apart accepts the character and refuses its look-alike. Run twice: with every face known,
and with the label's own font hidden from the matcher (a font the phone has and this machine does
not), where no look-alike may ever be taken.

    .venv/bin/python benchmarks/lookalikes.py      # a Markdown table: per font and format, both runs (~10 min)
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from unittest import mock

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from shareflow.vision import glyphs, ocr

LABELS = {"已": "淘口令{}复制", "天": "打开{}猫", "日": "今{}特价", "查": "{}看详情", "送": "发{}", "京": "北{}发货"}
SIZES = (28, 40, 56)  # px
SCALES = (1.0, 1.09)  # a screenshot drawn at one size and shown at another
COLOURS = (((30, 30, 30), (245, 245, 245)), ((255, 255, 255), (80, 0, 230)))  # ink, ground (BGR)


def _draw(face: glyphs.Face, text: str, px: int, supersampled: bool, ink: tuple, ground: tuple) -> np.ndarray:
    k = 4 if supersampled else 1
    font = ImageFont.truetype(face.path, px * k, index=face.index)
    width = round(font.getlength(text)) + px * k
    image = Image.new("RGB", (width, 2 * px * k), ground[::-1])
    stroke = max(1, round(px / 40)) * k if face.bold else 0
    ImageDraw.Draw(image).text(
        (px * k // 2, px * k // 2), text, font=font, fill=ink[::-1], stroke_width=stroke, stroke_fill=ink[::-1]
    )
    drawn = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    return cv2.resize(drawn, (width // k, 2 * px), interpolation=cv2.INTER_AREA) if k > 1 else drawn


def _variants(face: glyphs.Face, text: str) -> Iterator[tuple[bool, np.ndarray]]:
    """Every way the label is drawn: whether as JPEG, and the crop."""
    for px, scale, supersampled, (ink, ground), jpeg in itertools.product(
        SIZES, SCALES, (False, True), COLOURS, (False, True)
    ):
        crop = _draw(face, text, px, supersampled, ink, ground)
        if scale != 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        if jpeg:
            crop = cv2.imdecode(cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 60])[1], cv2.IMREAD_COLOR)
        yield jpeg, crop


def run(hide_own: bool) -> dict[tuple[str, str], Counter]:
    """Per face and format (PNG, JPEG): positives accepted or refused, look-alikes taken (false) or rejected."""
    known = glyphs.faces()
    table: dict[tuple[str, str], Counter] = {}
    for face in known:
        name = face.family + (" (bold by stroke)" if face.bold else "")
        seen = tuple(f for f in known if f.path != face.path) if hide_own else known
        with mock.patch.object(glyphs, "faces", lambda seen=seen: seen):
            for ch, label in LABELS.items():
                for other in ocr.lookalikes(ch):
                    for jpeg, crop in _variants(face, label.format(ch)):
                        counts = table.setdefault((name, "JPEG" if jpeg else "PNG"), Counter())
                        counts["accepted" if glyphs.told_apart(crop, label.format(ch)) else "refused"] += 1
                    for jpeg, crop in _variants(face, label.format(other)):
                        counts = table.setdefault((name, "JPEG" if jpeg else "PNG"), Counter())
                        counts["FALSE" if glyphs.told_apart(crop, label.format(ch)) else "rejected"] += 1
    return table


def main() -> None:
    print("| screen's font | format | faces the matcher knows | recall | look-alikes taken |")
    print("| --- | --- | --- | --- | --- |")
    for hide_own in (False, True):
        for (name, form), c in sorted(run(hide_own).items()):
            positives, negatives = c["accepted"] + c["refused"], c["FALSE"] + c["rejected"]
            known = "all but its own" if hide_own else "all"
            print(
                f"| {name} | {form} | {known} | {c['accepted'] / positives:.3f} ({c['accepted']}/{positives}) "
                f"| {c['FALSE']}/{negatives} |"
            )


if __name__ == "__main__":
    main()
