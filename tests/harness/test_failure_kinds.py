"""A dead endpoint, a refused session and a session dropped mid-test are infrastructure failures.

Allure shows them as broken, with an account of what was tried; the other
phones' tests carry on. A screen that matches nothing waited for and an empty node tree where a
locator needs one are not the product's failures either: each has its category in results.jsonl,
the summary, Allure and the matrix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pools import APPLE, DROID, GONE, pool

from shareflow import launcher, matrix, summary
from shareflow.devices import load
from shareflow.matrix import page
from shareflow.matrix.model import ERROR

pytest_plugins = ["pytester"]

PICKY = """\
  - name: picky
    platform: ios
    os_version: "16.7"
    profile: iphone-13
    endpoint: embedded
    wechat: {account: wxid_picky, nickname: 苹果}
    capabilities: {appium:automationName: Espresso}
"""  # a phone whose capabilities the farm refuses
POOL = pool(DROID, GONE, PICKY)
TESTS = """
def test_reads_the_window(phone):
    assert phone.driver.get_window_rect()["width"] > 0
"""


def allure_results(folder: Path) -> dict[str, dict]:
    results = {}
    for file in folder.glob("*-result.json"):
        result = json.loads(file.read_text(encoding="utf-8"))
        results[result["name"].split("[")[-1].rstrip("]")] = result
    return results


def attachment(folder: Path, result: dict, name: str) -> str:
    found = [a for a in result.get("attachments", []) if a["name"] == name]
    assert found, f"no {name!r} attachment in {result['name']}"
    return (folder / found[0]["source"]).read_text(encoding="utf-8")


def records(output: Path) -> dict[str, dict]:
    lines = (output / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["phones"]: json.loads(line) for line in lines}


@pytest.fixture
def run(pytester: pytest.Pytester) -> tuple[Path, Path, pytest.RunResult]:
    pool = pytester.path / "devices.yaml"
    pool.write_text(POOL, encoding="utf-8")
    pytester.makepyfile(test_kinds=TESTS)
    output, allure_dir = pytester.path / "out", pytester.path / "allure"
    result = pytester.runpytest_subprocess(
        "--phones-file", str(pool), "--shareflow-output", str(output), "--alluredir", str(allure_dir),
        "-p", "no:cacheprovider",
        "--infra-retries", "0",
    )  # fmt: skip
    return output, allure_dir, result


def test_dead_endpoint_and_refused_session_are_broken_and_the_other_phone_passes(
    run: tuple[Path, Path, pytest.RunResult],
) -> None:
    output, allure_dir, result = run
    result.assert_outcomes(passed=1, errors=2)
    by_phone = records(output)
    assert by_phone["droid"]["outcome"] == "passed"
    for phone in ("gone", "picky"):
        assert (by_phone[phone]["outcome"], by_phone[phone]["category"]) == ("failed", "infrastructure")
    results = allure_results(allure_dir)
    assert results["droid"]["status"] == "passed"
    gone, picky = results["gone"], results["picky"]
    assert gone["status"] == picky["status"] == "broken"
    tried = attachment(allure_dir, gone, "infrastructure problem")
    assert "is unreachable" in tried and "session on gone at http://127.0.0.1:9 (appium)" in tried
    assert '"appium:deviceName": "gone"' in tried
    tried = attachment(allure_dir, picky, "infrastructure problem")
    assert "Espresso" in tried and "session on picky at http://127.0.0.1:" in tried


def test_a_dropped_session_is_broken_not_a_product_failure(pytester: pytest.Pytester) -> None:
    """Every command finds the session gone: the first is the plugin's, starting the phone afresh in set-up."""
    pool = pytester.path / "devices.yaml"
    pool.write_text(POOL, encoding="utf-8")
    scenario = pytester.path / "scenario.yaml"
    scenario.write_text("faults: {drop_session: 1.0}\n", encoding="utf-8")
    pytester.makepyfile(test_kinds=TESTS)
    output, allure_dir = pytester.path / "out", pytester.path / "allure"
    result = pytester.runpytest_subprocess(
        "--phones-file", str(pool), "--phone", "droid", "--sim-scenario", str(scenario),
        "--shareflow-output", str(output), "--alluredir", str(allure_dir), "-p", "no:cacheprovider",
        "--infra-retries", "0",
    )  # fmt: skip
    result.assert_outcomes(errors=1)
    record = records(output)["droid"]
    assert (record["when"], record["category"]) == ("setup", "infrastructure")
    dropped = allure_results(allure_dir)["droid"]
    assert dropped["status"] == "broken"
    tried = attachment(allure_dir, dropped, "infrastructure problem")
    assert "during setup" in tried and "session on droid at http://127.0.0.1:" in tried and ": opened " in tried


CRASHING = """
import os
import signal


def test_reads_the_window(phone):
    if phone.name == "droid":
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies under the test, as under the OOM killer
    assert phone.driver.get_window_rect()["width"] > 0
"""


def test_a_test_whose_worker_died_is_in_the_summary_as_a_harness_failure(pytester: pytest.Pytester) -> None:
    pool_file = pytester.path / "devices.yaml"
    pool_file.write_text(pool(DROID, APPLE), encoding="utf-8")
    pytester.makepyfile(test_kinds=CRASHING)
    output, allure_dir = pytester.path / "out", pytester.path / "allure"
    result = pytester.runpytest_subprocess(
        "--phones-file", str(pool_file), "--shareflow-output", str(output), "--alluredir", str(allure_dir),
        "-p", "no:cacheprovider", "-n", "2", "--infra-retries", "0",
    )  # fmt: skip
    result.assert_outcomes(passed=1, failed=1)
    lines = (output / "results.jsonl").read_text(encoding="utf-8").splitlines()
    crashed = [json.loads(line) for line in lines if "[droid]" in line]
    assert [(r["outcome"], r["category"]) for r in crashed] == [("failed", "harness")]
    assert "crashed while running" in crashed[0]["message"]
    shown = summary.render(summary.read(output), output, None)
    assert "shareflow summary: 1 failed, 1 passed (1 harness)" in shown
    assert "FAIL  test_reads_the_window[droid]" in shown
    results = allure_results(allure_dir)
    assert (results["apple"]["status"], results["droid"]["status"]) == ("passed", "broken")
    assert results["droid"]["statusDetails"]["message"] == crashed[0]["message"]
    assert results["droid"]["fullName"] == results["apple"]["fullName"] == "test_kinds#test_reads_the_window"


# -- what is not the product's: an unrecognised screen, a phone not set up -----------------------------
FARM = """\
devices:
  - name: signed-out
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
  - name: pixel-9
    platform: android
    os_version: "15"
    profile: android-fhd
    endpoint: embedded
    wechat: {account: wxid_xiaolin, nickname: 小林}
    apps: {wechat: "8.0.61"}
"""  # WeChat signed out (its sign-in page is no state the harness knows); WeChat 8.0.61 with no accessibility service
HARNESS_POOL = """\
devices:
  - name: signed-out
    platform: android
    os_version: "12"
    endpoint: {url}
  - name: pixel-9
    platform: android
    os_version: "15"
    endpoint: {url}
    wechat: {{account: wxid_xiaolin, nickname: 小林}}
"""  # the same phones behind an Appium-like server, pixel-9's entry giving no WeChat version: its tree is needed
NOT_THE_PRODUCT = """
import pytest


@pytest.mark.wechat
@pytest.mark.group
@pytest.mark.link("taobao")
def test_link_outcome(phone, screen, wechat, record_link_outcome):  # a link-outcome test: a cell of the matrix
    if phone.name == "signed-out":
        phone.driver.execute_script("mobile: activateApp", {"appId": "com.tencent.mm"})
        screen.expect_any(["wechat/chat_list", "wechat/chat"], timeout=2)
    else:
        wechat.open()
        wechat.tap("chat_row", proof="wechat/chat", timeout=2, name="购物分享群")
"""


def allure_category(categories: list[dict], result: dict) -> str:
    """The category Allure gives a result, by categories.json (first match wins, Allure 3 searches the message)."""
    message = result["statusDetails"]["message"]
    for category in categories:
        regex = category.get("messageRegex")
        if result["status"] in category["matchedStatuses"] and (regex is None or re.search(regex, message)):
            return category["name"]
    return "none"


def test_an_unrecognised_screen_and_an_empty_tree_are_their_own_categories_everywhere(
    pytester: pytest.Pytester,
) -> None:
    farm_pool = pytester.path / "farm.yaml"
    farm_pool.write_text(FARM, encoding="utf-8")
    farm = launcher.start(farm_pool, None, pytester.path / "farm")
    try:
        pool_file = pytester.path / "devices.yaml"
        pool_file.write_text(HARNESS_POOL.format(url=farm.url), encoding="utf-8")
        pytester.makepyfile(test_kinds=NOT_THE_PRODUCT)
        output, allure_dir = pytester.path / "out", pytester.path / "allure"
        result = pytester.runpytest_subprocess(
            "--phones-file", str(pool_file), "--shareflow-output", str(output), "--alluredir", str(allure_dir),
            "-p", "no:cacheprovider",
        )  # fmt: skip
    finally:
        farm.stop()
    result.assert_outcomes(failed=2)  # and not retried, though --infra-retries is 1: they would fail the same way
    lines = [json.loads(line) for line in (output / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((r["phones"], r["outcome"], r["category"]) for r in lines) == [
        ("pixel-9", "failed", "device setup"),
        ("signed-out", "failed", "unrecognised screen"),
    ]
    by_phone = {r["phones"]: r for r in lines}
    unknown, setup = by_phone["signed-out"]["message"], by_phone["pixel-9"]["message"]
    assert unknown.startswith("shareflow.screen.StateNotReached: Timed out after 2 s")
    assert re.search(r"Closest: 'wechat/chat(_list)?' at confidence .*; 'wechat/chat(_list)?' at confidence", unknown)
    assert setup.startswith("shareflow.apps.base.EmptyTree: pixel-9: wechat's node tree is empty")
    assert "set `accessibility_service: true` on its devices.yaml entry" in setup
    shots = [p.name for p in Path(by_phone["signed-out"]["evidence"]).iterdir()]
    assert any(name.endswith("screen_at_failure.png") for name in shots), shots  # the screen is the evidence

    shown = summary.render(summary.read(output), output, None)
    assert "shareflow summary: 2 failed (1 device setup, 1 unrecognised screen)" in shown
    assert "        unrecognised screen: shareflow.screen.StateNotReached: Timed out" in shown
    assert "\nunrecognised screen: the screen matched nothing the step waited for" in shown
    assert "\ndevice setup: the phone is not set up for a step" in shown

    categories = json.loads((allure_dir / "categories.json").read_text(encoding="utf-8"))
    results = allure_results(allure_dir)
    assert results["signed-out"]["status"] == results["pixel-9"]["status"] == "broken"  # not failed: no proof
    assert allure_category(categories, results["signed-out"]) == "Unrecognised screen"
    assert allure_category(categories, results["pixel-9"]) == "Device setup"

    table = matrix.build(output, load(pool_file))
    cells = {cell.device: cell for cell in table.cells() if cell.outcome is not None}
    assert {name: (*c.door, c.outcome) for name, c in cells.items()} == {
        "signed-out": ("wechat", "group", "taobao", ERROR),
        "pixel-9": ("wechat", "group", "taobao", ERROR),
    }
    assert cells["signed-out"].message.startswith("unrecognised screen: shareflow.screen.StateNotReached")
    assert cells["pixel-9"].message.startswith("device setup: shareflow.apps.base.EmptyTree")
    assert cells["signed-out"].screenshot is not None and cells["signed-out"].screenshot.endswith("at_failure.png")
    html = page.render(table)
    assert '<div class="note">unrecognised screen</div>' in html and '<div class="note">device setup</div>' in html
