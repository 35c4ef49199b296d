"""The template-matching corpus's case builders that need no walk: our own screens, cross cases, the mix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import vision_corpus as vc  # (a script folder, not a package)
import vision_own as vo

HD = vo.DENSITIES[0]


def items_of(target: vo.Target, density: vo.Density = HD) -> list[vo.Item]:
    return vo.SCREENS[target.screen](density.width / density.scale, density.height / density.scale)


@pytest.mark.parametrize("target", vo.TARGETS, ids=lambda t: t.state)
def test_own_near_misses_show_the_target_nowhere(target: vo.Target) -> None:
    items = items_of(target)
    item = vo.item_of(items, target.key)
    assert vo.shows(items, item) == "yes"
    old, new = target.sub
    assert vo.shows(vo.changed(items, target.key, text=item.text.replace(old, new, 1)), item) == "no"
    if target.colour:
        assert vo.shows(vo.changed(items, target.key, **target.colour), item) == "no"


def test_own_dialog_covers_the_cart_under_it() -> None:
    cart, dialog = vo.shop_cart(360, 780), vo.shop_dialog(360, 780)
    assert vo.shows(dialog, vo.item_of(cart, "checkout")) == "covered"


def test_own_screens_differ_by_font_and_templates_are_cut_to_their_content() -> None:
    items = vo.chat_list(HD.width / HD.scale, HD.height / HD.scale)
    noto, wqy = (vo.draw(items, HD, font) for font in vo.FONTS)
    assert noto.shape == (HD.height, HD.width, 3)
    name = vo.item_of(items, "row.1.name").box(HD.scale)
    assert not np.array_equal(vo.crop(noto, name), vo.crop(wqy, name))
    template = vo.cut(noto, name)
    assert template.shape[0] < name[3] + 2 * vo.PAD and template.shape[1] < name[2] + 2 * vo.PAD


def test_own_cases_of_one_target(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    send = next(t for t in vo.TARGETS if t.state == "chat/send")
    monkeypatch.setattr(vo, "TARGETS", (send,))
    monkeypatch.setattr(vo, "FONTS", (vo.NOTO_SANS_CJK_SC,))

    def put(device: str, name: str, image: np.ndarray) -> str:
        path = tmp_path / "screens" / device / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), image)
        return str(path)

    own = vo.OwnCases(put, tmp_path / "templates", str)
    own.build()
    kinds = sorted((c["variant"], c["device"]) for c in own.cases)
    near = [(v, d.name) for v in ("one_char", "colour") for d in vo.DENSITIES]
    assert kinds == sorted([("clean", "own-hd"), ("clean", "own-qhd"), *near])
    assert len({c["id"] for c in own.cases}) == len(own.cases)
    meta = yaml.safe_load((tmp_path / "templates" / "chat" / "send.yaml").read_text())
    assert meta["text"] == "发送" and meta["capture_resolution"] == [1080, 2400] and "threshold" not in meta
    for case in own.cases:
        screen = cv2.imread(case["screen"])
        if case["expect"]:
            x, y, w, h = case["box"]
            assert min(x, y) >= 0 and x + w <= screen.shape[1] and y + h <= screen.shape[0]
        assert case["kind"] == "own" and case["capture_resolution"] == [1080, 2400]


def case(device: str, state: str, kind: str, expect: bool, platform: str = "android") -> dict[str, Any]:
    return {
        "id": f"{device}/{state}/{kind}",
        "device": device,
        "platform": platform,
        "state": state,
        "kind": kind,
        "expect": expect,
        "template": f"screenshots/{platform}/{state}.png",
        "capture_resolution": [1080, 2400],
    }


def test_cross_cases_pair_templates_with_the_other_phones_of_their_platform() -> None:
    by_device = {
        d: [case(d, "taobao/item", k, k == "clean", p) for k in ("clean", "one_char", "jpeg")]
        for d, p in (("redmi-9a", "android"), ("xiaomi-11", "android"), ("iphone-8", "ios"))
    }
    cut = {"redmi-9a": ([720, 1600], {"taobao/item": "/c/redmi-9a/taobao/item.png"})}
    cross = vc.cross_cases(by_device, cut, seed=1)
    assert [(c["device"], c["variant"]) for c in cross] == [("xiaomi-11", "clean"), ("xiaomi-11", "one_char")]
    assert all(c["kind"] == "cross" and c["capture_resolution"] == [720, 1600] for c in cross)
    assert cross[0]["id"] == "xiaomi-11/cross/taobao/item/clean/from-redmi-9a"


def test_the_mix_holds_every_positive_and_a_seeded_few_negatives() -> None:
    cases = [case("redmi-9a", f"s{i}", "clean", True) for i in range(170)]
    cases += [case("redmi-9a", f"s{i}", "one_char", False) for i in range(200)]
    vc.mark_mix(cases, seed=7)
    mix = [c for c in cases if c["mix"]]
    assert sum(c["expect"] for c in mix) == 170 and len(mix) == 200
    again = [dict(c) for c in cases]
    vc.mark_mix(again, seed=7)
    assert [c["mix"] for c in again] == [c["mix"] for c in cases]


@pytest.mark.parametrize(
    ("walk_pass", "promo", "defects"),
    [("quiet", 0, None), ("promo", 1, None), ("defects", 0, ["submit_order_disabled"])],
)
def test_each_walk_pass_sets_up_the_farm_it_needs(walk_pass: str, promo: float, defects: list[str] | None) -> None:
    """The promo pass's pop-up over every page, the defects pass's disabled 提交订单, the rest noiseless
    (the promo pass once asked for its pop-up by text the noiseless scenario no longer holds, and got none)."""
    scenario = vc.quiet_scenario(walk_pass)
    assert scenario.noise.promo_popup == promo
    assert scenario.noise.notification_banner == 0 and scenario.noise.transition_ms == (0, 0)
    assert yaml.safe_load(vc.rt.PASSES[walk_pass]).get("defects") == defects
