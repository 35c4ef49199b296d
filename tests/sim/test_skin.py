"""A farm phone's skin (devices.yaml ``skin``, read by the farm only): dark mode turns greys over, dims colours."""

from __future__ import annotations

import colorsys

from shareflow_sim.icons import rgba
from shareflow_sim.render import dark


def lightness(colour: str) -> float:
    (r, g, b), _ = rgba(colour)
    return colorsys.rgb_to_hls(r / 255, g / 255, b / 255)[1]


def hue(colour: str) -> float:
    (r, g, b), _ = rgba(colour)
    return colorsys.rgb_to_hls(r / 255, g / 255, b / 255)[0]


def test_dark_mode_turns_grounds_dark_and_text_light() -> None:
    assert lightness(dark("#FFFFFF")) < 0.15  # a white page
    assert lightness(dark("#000000")) > 0.85  # black text
    assert lightness(dark("#EDEDED")) < 0.2  # WeChat's grey ground


def test_dark_mode_keeps_a_colours_hue_and_darkens_a_pale_one_under_light_text() -> None:
    for colour in ("#07C160", "#FF5000", "#95EC69"):
        assert abs(hue(dark(colour)) - hue(colour)) < 0.02
        assert lightness(dark(colour)) < lightness(colour)
    assert lightness(dark("#000000")) - lightness(dark("#95EC69")) > 0.4  # text still shows on the bubble


def test_dark_mode_leaves_a_scrim_as_it_is() -> None:
    assert dark("#00000080") == "#00000080"
