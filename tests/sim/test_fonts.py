"""A phone profile's font, used for layout and drawing: never the shipped templates' (WenQuanYi Micro Hei) —
Noto Sans CJK SC on Android, WenQuanYi Zen Hei for PingFang SC on iOS — unless a scenario names one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import flowkit
import numpy as np
import pytest

from shareflow_sim import scenario
from shareflow_sim.farm import Farm
from shareflow_sim.fonts import AR_PL_UMING, DEFAULT_FONT, FONTS, NOTO_SANS_CJK_SC, WQY_ZEN_HEI, Face, Font, load
from shareflow_sim.profiles import PROFILES
from shareflow_sim.render import Renderer
from shareflow_sim.ui import Layer, Node, Rect, Style
from shareflow_sim.widgets import Kit

OTHERS = (NOTO_SANS_CJK_SC, WQY_ZEN_HEI, AR_PL_UMING)


def screen(label: str = "立即购买", bold: bool = True) -> list[Layer]:
    style = Style(bg="#FF5000", fg="#FFFFFF", bold=bold, align="center")
    button = Node("button", Rect(40, 200, 160, 44), text=label, style=style)
    return [Layer(Node("app", Rect(0, 0, 360, 640), style=Style(bg="#FFFFFF"), children=[button]), "com.example")]


def test_no_phone_draws_in_the_templates_font_android_in_noto_iphones_in_another() -> None:
    fonts = {p.id: p.font for p in PROFILES.values()}
    assert {fonts[i] for i in fonts if i.startswith("android")} == {NOTO_SANS_CJK_SC}
    assert {fonts[i] for i in fonts if i.startswith("iphone")} == {WQY_ZEN_HEI}
    assert DEFAULT_FONT not in fonts.values()
    assert load(DEFAULT_FONT, 20).getname()[0] == "WenQuanYi Micro Hei"  # the shipped templates' font


@pytest.mark.parametrize("font", ["WenQuanYi Micro Hei", "AR PL UMing CN"])
def test_a_scenario_s_font_draws_every_phone_in_it(font: str) -> None:
    specs = [flowkit.ANDROID, flowkit.IPHONE]
    system = Farm(specs, scenario.from_dict({}))
    assert [phone.profile.font for phone in system.phones.values()] == [NOTO_SANS_CJK_SC, WQY_ZEN_HEI]
    pinned = Farm(specs, scenario.from_dict({"font": font}))
    assert {phone.renderer.font for phone in pinned.phones.values()} == {FONTS[font]}


def test_a_font_the_farm_does_not_have_is_named() -> None:
    with pytest.raises(scenario.ScenarioError, match=r"s.yaml: font: 'PingFang SC' is not one of system, "):
        scenario.from_dict({"font": "PingFang SC"}, "s.yaml")


@pytest.mark.parametrize("font", OTHERS, ids=lambda f: f.regular.family)
def test_each_font_loads_its_named_face_regular_and_bold(font: Font) -> None:
    assert load(font, 20).getname()[0] == font.regular.family
    assert load(font, 20, bold=True).getname()[0] == (font.bold or font.regular).family
    assert font.regular.family.endswith(("SC", "Hei", "CN"))  # the Simplified Chinese face of a collection


def test_a_collection_index_naming_another_face_is_refused() -> None:
    japanese = Face(NOTO_SANS_CJK_SC.regular.path, 0, "Noto Sans CJK SC")  # index 0 is the JP face
    with pytest.raises(ValueError, match="Noto Sans CJK JP"):
        load(Font(japanese, None, "fonts-noto-cjk"), 20)


def test_a_missing_font_names_its_package() -> None:
    missing = Font(Face(Path("/nonexistent/font.ttc"), 0, "X"), None, "fonts-x")
    with pytest.raises(FileNotFoundError, match="apt-get install fonts-x"):
        load(missing, 20)


@pytest.mark.parametrize("font", OTHERS, ids=lambda f: f.regular.family)
def test_a_profile_with_another_font_draws_the_same_tree_otherwise(font: Font) -> None:
    profile = dataclasses.replace(PROFILES["android-fhd"], font=DEFAULT_FONT)
    default, other = Renderer(profile), Renderer(dataclasses.replace(profile, font=font))
    layers = screen()
    button = layers[0].root.children[0]
    x, y, w, h = button.frame.scaled(profile.scale)
    mine, theirs = np.asarray(default.render(layers)), np.asarray(other.render(layers))
    assert not np.array_equal(mine[y : y + h, x : x + w], theirs[y : y + h, x : x + w])
    assert np.array_equal(mine[:y], theirs[:y])  # only the text differs
    assert default.lines(button) == other.lines(button) == ("立即购买",)


def test_layout_measures_text_in_the_profiles_font() -> None:
    profile = PROFILES["iphone-13"]
    noto = Kit(dataclasses.replace(profile, font=NOTO_SANS_CJK_SC), "x")
    wqy = Kit(profile, "x")
    assert noto.measure("淘口令已复制", 16, bold=True) != wqy.measure("淘口令已复制", 16, bold=True)  # a bold face
    url = "【淘宝】https://m.tb.cn/h.5ZxYwVu"  # CJK glyphs are one em wide in both; Latin ones are not
    assert noto.measure(url, 16) != wqy.measure(url, 16)


def test_lines_show_where_a_font_wraps_or_cuts_otherwise() -> None:
    renderer = Renderer(PROFILES["android-hd"])
    node = Node("text", Rect(0, 0, 60, 20), text="已停止访问该网页", style=Style(size=16))
    assert renderer.lines(node)[-1].endswith("…")
    assert renderer.lines(Node("view", Rect(0, 0, 60, 20))) == ()
