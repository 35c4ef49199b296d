"""A dead endpoint, a refused session and a session dropped mid-test are infrastructure failures.

Allure shows them as broken, with an account of what was tried; the other
phones' tests carry on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pools import APPLE, DROID, GONE, pool

from shareflow import summary

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
