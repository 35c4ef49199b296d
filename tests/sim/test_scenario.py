"""The scenario file: defaults, overrides and one message per bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from shareflow_sim.scenario import ScenarioError, from_dict, load


def test_defaults_are_the_late_2021_policy() -> None:
    scenario = load(None)
    assert scenario.outcome("group", "taobao") == "direct"
    assert scenario.outcome("p2p", "taobao") == "direct"
    assert scenario.outcome("group", "jd") == "interstitial"
    assert scenario.noise.transition_ms == (150, 600)
    assert not scenario.defects


def test_partial_override_keeps_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("seed: 3\nlink_policy:\n  group: {taobao: blocked}\ndefects: [h5_wrong_item]\n")
    scenario = load(path)
    assert scenario.seed == 3
    assert scenario.outcome("group", "taobao") == "blocked"
    assert scenario.outcome("group", "tmall") == "direct"
    assert scenario.outcome("p2p", "taobao") == "direct"
    assert scenario.has("h5_wrong_item")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"link_polcy": {}}, "(top level): unknown key 'link_polcy'"),
        (
            {"link_policy": {"group": {"taobao": "open"}}},
            "link_policy.group.taobao: 'open' is not one of direct, interstitial, blocked, copy_to_browser",
        ),
        ({"link_policy": {"channel": {}}}, "link_policy: unknown key 'channel'"),
        ({"link_policy": {"group": {"pdd": "direct"}}}, "link_policy.group: unknown key 'pdd'"),
        ({"noise": {"promo_popup": 1.5}}, "noise.promo_popup"),
        ({"noise": {"transition_ms": [600, 100]}}, "noise.transition_ms: low 600 is above high 100"),
        ({"defects": ["no_such_bug"]}, "defects.0: 'no_such_bug' is not one of"),
        ({"seed": "x"}, "seed: 'x' is not of type 'integer'"),
    ],
)
def test_bad_values_are_named(data: dict, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        from_dict(data, "s.yaml")
    assert str(caught.value).startswith("s.yaml: ")
    assert expected in str(caught.value)


def test_unreadable_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load(tmp_path / "missing.yaml")
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n")
    with pytest.raises(ScenarioError, match="expected a mapping"):
        load(bad)
