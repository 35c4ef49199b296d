"""An infrastructure failure is run again once, on a fresh session and another phone of its platform.

A product failure never is; the retry shows in the results, the summary and Allure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pools import DROID, GONE, pool

from shareflow import summary

pytest_plugins = ["pytester"]

POOL = pool(GONE, DROID)
TESTS = """
def test_reads_the_window(phone):
    assert phone.driver.get_window_rect()["width"] > 0

def test_sees_a_wrong_screen(phone):
    assert phone.driver.get_window_rect()["width"] < 0, "the screen was wrong"
"""


def run(pytester: pytest.Pytester, *args: str) -> tuple[Path, Path, pytest.RunResult]:
    pool = pytester.path / "devices.yaml"
    pool.write_text(POOL, encoding="utf-8")
    pytester.makepyfile(test_retried=TESTS)
    output, allure_dir = pytester.path / "out", pytester.path / "allure"
    result = pytester.runpytest_subprocess(
        "--phones-file", str(pool), "--shareflow-output", str(output), "--alluredir", str(allure_dir),
        "-p", "no:cacheprovider",
        *args,
    )  # fmt: skip
    return output, allure_dir, result


def allure_results(folder: Path, test: str) -> list[dict]:
    results = [json.loads(f.read_text(encoding="utf-8")) for f in folder.glob("*-result.json")]
    return sorted((r for r in results if r["name"] == test), key=lambda r: r["start"])


def test_a_dead_phone_is_retried_on_another_phone_and_the_retry_shows(pytester: pytest.Pytester) -> None:
    output, allure_dir, result = run(pytester)
    assert result.parseoutcomes() == {"passed": 2, "failed": 2, "rerun": 2}  # both tests of "gone" ran again, on droid
    records = summary.read(output)
    gone = [r for r in records if r.nodeid.endswith("test_reads_the_window[gone]")]
    assert [(r.outcome, r.phones) for r in gone] == [("rerun", "gone"), ("passed", "droid")]
    assert gone[0].category == "infrastructure" and "127.0.0.1:9" in gone[0].message
    first, retry = allure_results(allure_dir, "test_reads_the_window[gone]")
    assert (first["status"], retry["status"]) == ("broken", "passed")
    assert first["historyId"] == retry["historyId"]  # Allure shows the first run under the retry's "Retries"
    shown = next(p for p in retry["parameters"] if p["name"] == "retry")
    assert "1 on droid" in shown["value"] and shown["excluded"]  # excluded: not part of the history id
    tried = (output / "test_retried-test_reads_the_window_gone" / "infrastructure-problem.txt").read_text()
    assert "session on gone at http://127.0.0.1:9 (appium)" in tried  # the failed run's evidence stays on disk
    assert gone[1].evidence == str(output / "test_retried-test_reads_the_window_gone-retry1")
    text = summary.render(records, output, None)
    assert "2 retried after an infrastructure failure" in text
    assert "retried: the first run on gone failed: shareflow.session.SessionError: gone:" in text


def test_a_product_failure_is_never_retried(pytester: pytest.Pytester) -> None:
    output, allure_dir, result = run(pytester, "--phone", "droid")
    result.assert_outcomes(passed=1, failed=1)
    wrong = [r for r in summary.read(output) if "test_sees_a_wrong_screen" in r.nodeid]
    assert [(r.outcome, r.category) for r in wrong] == [("failed", "product")]
    assert [r["status"] for r in allure_results(allure_dir, "test_sees_a_wrong_screen[droid]")] == ["failed"]


def test_no_retry_when_asked_for_none(pytester: pytest.Pytester) -> None:
    output, _, result = run(pytester, "--phone", "gone", "--infra-retries", "0")
    result.assert_outcomes(errors=2)
    assert [r.outcome for r in summary.read(output)] == ["failed", "failed"]
