"""A confusable character told from its look-alike by drawing both in the screen's font (vision/glyphs.py)."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from shareflow.vision import glyphs, ocr

NOTO = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2)
UMING = ("/usr/share/fonts/truetype/arphic/uming.ttc", 0)


def label(text: str, font: tuple[str, int], px: int = 40, *, bold: bool = False, button: bool = False) -> np.ndarray:
    """``text`` drawn ``px`` high, dark on light grey, or white on a red rounded button cut at its edges."""
    face = ImageFont.truetype(font[0], px, index=font[1])
    width = round(face.getlength(text)) + px
    image = Image.new("RGB", (width, round(1.8 * px)), "white" if button else (245, 245, 245))
    draw = ImageDraw.Draw(image)
    if button:
        draw.rounded_rectangle((0, 0, width - 1, round(1.8 * px) - 1), radius=px // 2, fill=(230, 0, 60))
    ink = "white" if button else (30, 30, 30)
    stroke = max(1, round(px / 40)) if bold else 0
    draw.text((px // 2, round(0.3 * px)), text, font=face, fill=ink, stroke_width=stroke, stroke_fill=ink)
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("font", [NOTO, UMING], ids=["noto", "uming"])
@pytest.mark.parametrize("px", [30, 48])
def test_the_character_is_told_apart_and_its_look_alikes_are_not(font: tuple[str, int], px: int) -> None:
    assert glyphs.told_apart(label("淘口令已复制", font, px), "淘口令已复制")
    assert not glyphs.told_apart(label("淘口令己复制", font, px), "淘口令已复制")
    assert not glyphs.told_apart(label("淘口令巳复制", font, px), "淘口令已复制")


def test_bold_text_and_a_button_s_corners() -> None:
    """White words on a red button whose white corners show at the crop's edges; bold by a stroke."""
    assert glyphs.told_apart(label("打开天猫", NOTO, 36, bold=True, button=True), "打开天猫")
    assert not glyphs.told_apart(label("打开夭猫", NOTO, 36, bold=True, button=True), "打开天猫")


def test_words_with_nothing_confusable_need_no_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glyphs, "faces", lambda: ())
    assert glyphs.told_apart(label("继续访问", NOTO), "继续访问")
    assert not glyphs.told_apart(label("已复制", NOTO), "已复制")  # confusable, no font to draw in


def test_without_fontconfig_no_font_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glyphs.shutil, "which", lambda name: None)
    assert glyphs.faces.__wrapped__() == ()


def test_one_face_per_file_the_simplified_chinese_one(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = "\n".join(
        [
            "/f/NotoSansCJK-Regular.ttc|0|Noto Sans CJK JP",
            "/f/NotoSansCJK-Regular.ttc|2|Noto Sans CJK SC",
            "/f/NotoSansCJK-Regular.ttc|3|Noto Sans CJK TC",
            "/f/wqy-zenhei.ttc|0|WenQuanYi Zen Hei",
            "/f/wqy-zenhei.ttc|1|WenQuanYi Zen Hei Mono",
        ]
    )
    monkeypatch.setattr(glyphs.shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(
        glyphs.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=listed + "\n")
    )
    found = glyphs.faces.__wrapped__()
    assert [(f.family, f.index, f.bold) for f in found] == [
        ("Noto Sans CJK SC", 2, False),
        ("WenQuanYi Zen Hei", 0, False),
        ("Noto Sans CJK SC", 2, True),
        ("WenQuanYi Zen Hei", 0, True),
    ]


@pytest.mark.parametrize("px", [34, 56])  # 56: a link on a 3.5 px/dp phone, where a pixel is a smaller share
@pytest.mark.parametrize("font", [NOTO, UMING], ids=["noto", "uming"])
def test_a_link_s_letters_told_from_their_look_alikes_on_the_line_they_begin(font: tuple[str, int], px: int) -> None:
    """``leading``: the words are only what a longer line begins with (its rest read wrong or cut with …)."""
    line = label("https://detail.tmall.com/item.htm?id=6123…", font, px)
    assert glyphs.told_apart(line, "https://detail.tmall", leading=True)
    assert not glyphs.told_apart(line, "https://detail.tma1l", leading=True)
    assert not glyphs.told_apart(
        label("https://detail.tma1l.com/item.htm", font, px), "https://detail.tmall", leading=True
    )


def test_a_number_s_digits_are_no_letters() -> None:
    """双12's 1 is not checked against l (a number), a link's is (tma1l)."""
    assert ocr.confused_at("双12狂欢") == []
    assert ocr.confused_at("tma1l.com") == [3, 4, 7]
    assert ocr.confused_at("淘口令已复制") == [3]
    assert ocr.text_agreement("detail.tmall", "detai1.tma11", lookalikes=True) == 1.0
    assert ocr.text_agreement("detail.tmall", "detai1.tma11") < 1.0
    assert ocr.lookalikes("l") == "1" and set(ocr.lookalikes("1")) == {"l", "I"}
