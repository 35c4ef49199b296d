"""Each app version draws with its own small differences (text size, colour, spacing): no screen is drawn the way
the shipped templates were recorded, even in their font; a scenario's ``looks: none`` draws every version plainly."""

from __future__ import annotations

from pathlib import Path

import flowkit
import numpy as np
import pytest
import yaml

from shareflow_sim import scenario
from shareflow_sim.farm import Farm
from shareflow_sim.looks import PLAIN, Look, look_of
from shareflow_sim.profiles import PROFILES
from shareflow_sim.render import Renderer
from shareflow_sim.ui import Layer, Node, Rect, Style
from shareflow_sim.widgets import Kit

POOL = yaml.safe_load((Path(__file__).parents[2] / "devices.yaml").read_text(encoding="utf-8"))["devices"]
PACKAGES = {"wechat": "com.tencent.mm", "taobao": "com.taobao.taobao", "hema": "com.wudaokou.hippo"}


@pytest.mark.parametrize(("app", "version"), sorted({(a, v) for d in POOL for a, v in d["apps"].items()}))
def test_every_app_version_of_the_default_pool_has_its_own_look(app: str, version: str) -> None:
    look = look_of(PACKAGES[app], version)
    assert look != PLAIN
    assert look == look_of(PACKAGES[app], version)  # the same in every run
    assert 0.95 <= look.text <= 1.05 and abs(look.shade) <= 0.05 and abs(look.pad) <= 1


def test_a_look_keeps_greys_and_shades_a_colour() -> None:
    look = Look(shade=0.04)
    assert [look.tint(c) for c in ("#FFFFFF", "#EDEDED", "#191919")] == ["#FFFFFF", "#EDEDED", "#191919"]
    assert look.tint("#07C160") != "#07C160" and look.tint("#07C16080").endswith("80")


def test_a_kit_s_look_changes_pixels_not_the_tree() -> None:
    profile = PROFILES["android-fhd"]
    plain, looked = Kit(profile, "com.example"), Kit(profile, "com.example", look=Look(1.04, 0.04, 1.0))
    buttons = [
        k.button(Rect(40, 200, 160, 44), "立即购买", None, key="buy", bg="#FF5000", fg="#FFFFFF", size=16)
        for k in (plain, looked)
    ]
    assert [b.frame for b in buttons] == [buttons[0].frame] * 2 and buttons[0].text == buttons[1].text
    assert buttons[1].style.size == pytest.approx(16 * 1.04) and buttons[1].style.bg != "#FF5000"
    assert looked.measure("立即购买", 16) > plain.measure("立即购买", 16)
    renderer = Renderer(profile)
    root = [[Layer(Node("app", Rect(0, 0, 360, 640), style=Style(bg="#FFFFFF"), children=[b]), "x")] for b in buttons]
    assert not np.array_equal(np.asarray(renderer.render(root[0])), np.asarray(renderer.render(root[1])))


def test_looks_none_draws_every_version_plainly() -> None:
    farm = Farm([flowkit.ANDROID, flowkit.IPHONE], scenario.from_dict({"looks": "none"}))
    assert {phone.look("com.tencent.mm", "8.0.16") for phone in farm.phones.values()} == {PLAIN}
    default = Farm([flowkit.ANDROID], scenario.from_dict({}))
    assert next(iter(default.phones.values())).look("com.tencent.mm", "8.0.16") == look_of("com.tencent.mm", "8.0.16")


def test_a_look_the_farm_does_not_know_is_named() -> None:
    with pytest.raises(scenario.ScenarioError, match=r"s.yaml: looks: 'plain' is not one of versions, none"):
        scenario.from_dict({"looks": "plain"}, "s.yaml")
