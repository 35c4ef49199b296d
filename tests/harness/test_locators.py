"""Locator files: their shape, the elements they name, and the README's record of real-phone checks."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from shareflow.apps.locators import LocatorsError, check, locators

ROOT = Path(__file__).resolve().parents[2]
APPS = sorted(p.name[:-5] for p in resources.files("shareflow.apps").iterdir() if p.name.endswith(".yaml"))


def shipped(app: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(resources.files("shareflow.apps").joinpath(f"{app}.yaml").read_text("utf-8"))
    return data


@pytest.mark.parametrize("app", APPS)
def test_every_shipped_locator_file_has_the_schema_s_shape(app: str) -> None:
    check(shipped(app), f"{app}.yaml")


def test_no_shipped_locator_uses_an_id_nobody_has_published() -> None:
    """The ids the real apps were never seen to have (FIELD-NOTES: no public evidence) are not looked for."""
    for app in APPS:
        text = resources.files("shareflow.apps").joinpath(f"{app}.yaml").read_text("utf-8")
        for invented in ("detail_title", "poplayer_close", ":id/f30"):
            assert invented not in text, f"{app}.yaml looks for {invented}"


BROKEN = [
    ({"android": {"txt": "x"}}, "field 'elements.thing.android': Additional properties are not allowed ('txt'"),
    ({"ios": {"label": 3}}, "field 'elements.thing.ios.label': 3 is not of type 'string'"),
    ({"android": {}}, "field 'elements.thing.android': {} should be non-empty"),
    ({"template": "t", "at": [2.5]}, "field 'elements.thing.at': [2.5] is too short"),
    ({"words": 7}, "field 'elements.thing.words': 7 is not of type 'string'"),
]


@pytest.mark.parametrize(("entry", "message"), BROKEN)
def test_a_bad_selector_is_named_by_file_and_field(entry: dict[str, Any], message: str) -> None:
    data = {
        "app": {"android": "a", "ios": "b"},
        "elements": {"thing": entry},
        "written_for": {"android": "8.0.x", "ios": "8.0.x"},
        "checked_on": [],
    }
    with pytest.raises(LocatorsError, match="^x.yaml: " + re.escape(message)):
        check(data, "x.yaml")


def test_an_interruption_must_name_an_element_of_the_file() -> None:
    data = shipped("taobao")
    data["interruptions"].append({"shown": "update_dialog", "close": "update_x"})
    with pytest.raises(LocatorsError, match=r"field 'interruptions\.2\.close': no element 'update_x' in 'elements'"):
        check(data, "taobao.yaml")


def test_a_real_phone_check_needs_every_field_and_a_date() -> None:
    data = shipped("wechat")
    data["checked_on"] = [{"device": "Pixel 7", "os": "Android 14", "app_version": "8.0.56", "date": "May", "by": "qa"}]
    with pytest.raises(LocatorsError, match=r"field 'checked_on\.0\.date': 'May' does not match"):
        check(data, "wechat.yaml")
    data["checked_on"] = [{"device": "Pixel 7"}]
    with pytest.raises(LocatorsError, match=r"field 'checked_on\.0': 'os' is a required property"):
        check(data, "wechat.yaml")


def test_a_locator_file_says_which_app_versions_its_selectors_were_written_for() -> None:
    data = shipped("taobao")
    del data["written_for"]["ios"]
    with pytest.raises(LocatorsError, match=r"^taobao.yaml: field 'written_for': 'ios' is a required property"):
        check(data, "taobao.yaml")


def test_a_malformed_version_specifier_is_named() -> None:
    data = shipped("wechat")
    data["versions"]["8.0.55+"] = {}
    with pytest.raises(LocatorsError, match=r"field 'versions\.8\.0\.55\+': not a version specifier"):
        check(data, "wechat.yaml")


def test_the_readme_lists_every_real_phone_check_of_the_locator_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.split(r"\n#{2,3} ", readme.split("### Verified on real phones", 1)[1], maxsplit=1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| app ")]
    checks = [(app, c) for app in APPS for c in shipped(app)["checked_on"]]
    if not checks:
        assert rows == ["| (none yet) | | | | | |"]
    else:
        listed = {tuple(cell.strip() for cell in row.strip("|").split("|")) for row in rows}
        expected = {(a, c["device"], c["os"], c["app_version"], c["date"], c["by"]) for a, c in checks}
        assert listed == expected


def test_wechat_from_8_0_61_on_android_finds_the_chat_row_and_input_with_no_node_tree() -> None:
    wechat = locators("wechat")
    row = wechat.get("chat_row", "android", "8.0.61", name="小(明)")
    box = wechat.get("chat_input", "android", "8.0.61")
    assert (row.selector, row.template, box.selector, box.template) == (None, None, None, "wechat/chat")
    assert row.words is not None and re.fullmatch(row.words, "小(明)") and re.fullmatch(row.words, "小(明)（12）")
    assert not re.fullmatch(row.words, "小明") and not re.fullmatch(row.words, "小(明)：在吗？")
    assert box.at[0] > 1  # right of the voice button, in the input box
    assert wechat.get("chat_row", "android", "8.0.56", name="小明").selector is not None
    assert wechat.get("chat_input", "ios", "8.0.61").selector is not None


def test_a_pattern_selector_matches_its_placeholders_literally() -> None:
    """``text_matches`` / ``label_matches`` are regular expressions: a chat named ``a.b(1)`` is that name only."""
    wechat = locators("wechat")
    assert wechat.get("chat_title", "android", "8.0.16", name="a.b(1)").selector == (
        "-android uiautomator",
        'new UiSelector().textMatches("a\\\\.b\\\\(1\\\\)(?:[(（]\\\\d+[)）])?")',
    )
    assert wechat.get("chat_title", "ios", "8.0.16", name="a.b").selector == (
        "-ios predicate string",
        'label MATCHES "a\\\\.b(?:[(（]\\\\d+[)）])?"',
    )
    assert wechat.get("chat_title", "android", "8.0.56", name="x").selector is None  # the tree hides its text
