"""The scenario file: defaults, overrides and one message per bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from shareflow.links import DOORS, Door
from shareflow.policy import LATE_2021, PAYMENT_LATE_2021
from shareflow_sim.__main__ import main
from shareflow_sim.scenario import ScenarioError, from_dict, load


def test_defaults_are_the_late_2021_policy() -> None:
    scenario = load(None)
    assert scenario.outcome(Door("wechat", "group", "taobao")) == "direct"
    assert scenario.outcome(Door("wechat", "p2p", "taobao")) == "direct"
    assert scenario.outcome(Door("wechat", "group", "jd")) == "interstitial"
    assert scenario.outcome(Door("wechat", "group", "douyin")) == "interstitial"
    assert scenario.outcome(Door("qq", "group", "pinduoduo")) == "direct"
    assert {door: scenario.outcome(door) for door in DOORS} == {
        door: LATE_2021[door.carrier][door.scene][door.kind] for door in DOORS
    }
    assert {cashier: scenario.methods(cashier) for cashier in ("taobao", "tmall", "hema")} == PAYMENT_LATE_2021
    assert all(methods == ["alipay"] for methods in PAYMENT_LATE_2021.values())  # no WeChat Pay in late 2021
    assert scenario.noise.transition_ms == (150, 600)
    assert not scenario.defects


def test_a_cashier_s_methods_are_replaced_whole_and_the_others_kept() -> None:
    scenario = from_dict({"payment": {"taobao": ["alipay", "wechat_pay"]}})
    assert scenario.methods("taobao") == ["alipay", "wechat_pay"]
    assert scenario.methods("tmall") == scenario.methods("hema") == ["alipay"]


def test_partial_override_keeps_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("seed: 3\nlink_policy:\n  qq: {group: {pinduoduo: blocked}}\ndefects: [h5_wrong_item]\n")
    scenario = load(path)
    assert scenario.seed == 3
    flipped = Door("qq", "group", "pinduoduo")
    assert scenario.outcome(flipped) == "blocked"
    assert all(scenario.outcome(door) == load(None).outcome(door) for door in DOORS if door != flipped)
    assert scenario.has("h5_wrong_item")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"link_polcy": {}}, "(top level): unknown key 'link_polcy'"),
        (
            {"link_policy": {"wechat": {"group": {"taobao": "open"}}}},
            "link_policy.wechat.group.taobao: 'open' is not one of direct, interstitial, blocked, copy_to_browser",
        ),
        ({"link_policy": {"weibo": {}}}, "link_policy: unknown key 'weibo' (allowed: qq, wechat)"),
        ({"link_policy": {"group": {"jd": "blocked"}}}, "link_policy: unknown key 'group' (allowed: qq, wechat)"),
        ({"link_policy": {"qq": {"channel": {}}}}, "link_policy.qq: unknown key 'channel'"),
        ({"link_policy": {"qq": {"group": {"pdd": "direct"}}}}, "link_policy.qq.group: unknown key 'pdd'"),
        ({"link_policy": {"qq": "direct"}}, "link_policy.qq: expected a mapping, got 'direct'"),
        ({"payment": {"jd": ["alipay"]}}, "payment: unknown key 'jd' (allowed: hema, taobao, tmall)"),
        ({"payment": {"taobao": ["wechat"]}}, "payment.taobao.0: 'wechat' is not one of alipay, wechat_pay"),
        ({"payment": {"taobao": ["alipay", "alipay"]}}, "payment.taobao: ['alipay', 'alipay'] names a method twice"),
        ({"payment": {"taobao": "alipay"}}, "payment.taobao: expected a list of payment methods"),
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


# -- one message per bad file, naming where ---------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "seed: 7\nnoise:\n  transition_ms: [1, 2\n",
            "s.yaml:4:1: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        ("seed: 7\n  noise: 1\n", "s.yaml:2:8: not valid YAML: mapping values are not allowed here"),
        ("seed: 7\nclock: \x01\n", "s.yaml:2:8: not valid YAML: unacceptable character #x0001"),
    ],
    ids=["unclosed-list", "indented-key", "control-character"],
)
def test_a_file_that_is_not_yaml_is_named_with_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert str(caught.value) == f"{tmp_path}/{expected}"


@pytest.mark.parametrize("start", ["yesterday", "2021-11-29T10:00:00", "2021-11-29", "29/11/2021 10:00 +08:00"])
def test_a_clock_start_must_be_a_date_time_with_its_offset(start: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        from_dict({"clock": {"start": start}}, "s.yaml")
    assert str(caught.value) == (
        f"s.yaml: clock.start: {start!r} is not a date-time with a UTC offset, e.g. '2021-11-29T10:00:00+08:00'"
    )


def test_a_clock_start_is_read_quoted_or_not(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    for text in ('clock: {start: "2021-11-29T10:00:00+08:00"}\n', "clock: {start: 2021-11-29T10:00:00+08:00}\n"):
        path.write_text(text, encoding="utf-8")
        start = load(path).clock_start
        assert start is not None and start.isoformat() == "2021-11-29T10:00:00+08:00"
    path.write_text("clock: {start: 2021-11-29 10:00:00}\n", encoding="utf-8")  # YAML's, without an offset
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert "clock.start: '2021-11-29T10:00:00' is not a date-time with a UTC offset" in str(caught.value)


@pytest.mark.parametrize("path", ["noise.transition_ms", "faults.latency_ms", "faults.session_start_ms"])
def test_every_range_needs_low_at_most_high(path: str) -> None:
    section, key = path.split(".")
    with pytest.raises(ScenarioError) as caught:
        from_dict({section: {key: [900, 100]}}, "s.yaml")
    assert str(caught.value) == f"s.yaml: {path}: low 900 is above high 100"
    assert getattr(getattr(from_dict({section: {key: [100, 100]}}), section), key) == (100, 100)


def test_the_new_faults_and_noise_are_off_by_default_and_checked() -> None:
    scenario = load(None)
    faults = scenario.faults
    assert (faults.server_error, faults.app_crash, faults.offline, faults.offline_s) == (0.0, 0.0, 0.0, 5.0)
    assert faults.session_start_ms == (0, 0)
    assert scenario.noise.late_banner == 0.0
    for section, key, value in [
        ("faults", "server_error", 2),
        ("faults", "app_crash", -0.1),
        ("faults", "offline", "often"),
        ("faults", "offline_s", -1),
        ("faults", "session_start_ms", [5000]),
        ("noise", "late_banner", 1.5),
    ]:
        with pytest.raises(ScenarioError) as caught:
            from_dict({section: {key: value}}, "s.yaml")
        assert str(caught.value).startswith(f"s.yaml: {section}.{key}: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clock: {start: yesterday}\n", "clock.start: 'yesterday' is not a date-time with a UTC offset"),
        ("seed: 7\n  noise: 1\n", ":2:8: not valid YAML: mapping values are not allowed here"),
    ],
    ids=["bad-clock", "not-yaml"],
)
def test_the_farm_refuses_a_bad_scenario_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    """What the harness shows of a farm that would not start is the last line it printed."""
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["--devices", str(ROOT / "devices.yaml"), "--scenario", str(path), "--check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"shareflow_sim: {path}") and expected in err


def test_the_password_shape_is_by_taobao_version_unless_the_scenario_picks_one() -> None:
    assert load(None).password_shape == "auto"
    assert from_dict({"password_shape": "token"}).password_shape == "token"
    with pytest.raises(ScenarioError, match="password_shape: 'qr' is not one of auto, link, link7, coupon, token"):
        from_dict({"password_shape": "qr"})
