"""Words holding a character the recogniser confuses (已/己), read in a face that draws the two alike, are taken on
the node tree's word: when it holds them exactly, never when it holds the look-alike or nothing (a hidden tree)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from shareflow.vision import glyphs
from shareflow.vision.match import find
from shareflow.vision.templates import Template, read_meta, shipped_library, template_from, with_read_text

# Taobao 10.5.0 on iPhone 13 with its version's look (text 1.02 of its size), in WenQuanYi Zen Hei: the farm's
# 淘口令已复制 dialog, where the shipped template (Micro Hei) correlates 0.76 and 已 is not told from 己 by drawing
SHOT = Path(__file__).parent / "screens" / "iphone-13-zen-hei-password-copied.png"
TITLE = (423, 1029, 320, 62)  # the title's place on it


@pytest.fixture(scope="module")
def copied() -> Template:
    png = shipped_library() / "ios" / "taobao" / "password_copied.png"
    return with_read_text(template_from(png, read_meta(png.with_suffix(".yaml"))))


def test_the_tree_s_exact_words_decide_what_drawing_cannot(copied: Template) -> None:
    shot = cv2.imread(str(SHOT))
    x, y, w, h = TITLE
    assert not glyphs.told_apart(shot[y : y + h, x : x + w], "淘口令已复制")
    assert not find(shot, copied, 1.0).found
    assert find(shot, copied, 1.0, tree_shows=lambda words: words in "淘口令已复制").found
    assert not find(shot, copied, 1.0, tree_shows=lambda words: words in "淘口令己复制").found  # the look-alike
    assert not find(shot, copied, 1.0, tree_shows=lambda words: False).found  # a hidden tree


def test_the_tree_never_makes_other_words_the_state(copied: Template) -> None:
    shot = cv2.imread(str(SHOT))
    x, y, w, h = TITLE
    shot[y : y + h, x : x + w] = shot[y, x]  # the title gone: only the password and the buttons are left
    assert not find(shot, copied, 1.0, tree_shows=lambda words: True).found
