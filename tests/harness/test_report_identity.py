"""What a test is in the Allure report: one identity across runs, its evidence, its parameters as text.

A small suite runs twice on the embedded farm in fresh pytest processes: the first night the link
opens directly and the test passes, the second it is blocked and the test fails. The test keeps one
history (the outcome it observed is an excluded parameter), and the failure's evidence sits on the
test itself, not in a fixture's teardown, among no fixture noise. A test whose xdist worker dies
gets the history id allure-pytest gives the same test when it runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pools import APPLE, DROID, pool

from shareflow import allure_report
from shareflow_sim.scenario import NOISELESS

INNER_TIMEOUT_S = 180
SCENARIO = f"seed: 3\nnoise: {json.dumps(NOISELESS)}\n"
INNER_TESTS = """
import os

import allure
import pytest

OBSERVED = os.environ["INNER_OBSERVED"]


@allure.title("A {kind} link opens on {phone_device}")
@allure.severity(allure.severity_level.CRITICAL)
@pytest.mark.group
@pytest.mark.parametrize("kind", ["taobao"])
def test_link(kind, taobao, screen):
    taobao.open_item("652419876401")
    allure.dynamic.parameter("observed outcome", OBSERVED, excluded=True)
    assert OBSERVED == "direct", f"the link was {OBSERVED}"  # the blocked night: a product failure
"""
CRASHING = """
import os
import signal


def test_dies(phone_device):
    if os.environ.get("INNER_CRASH"):
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies under the test
"""


@dataclass(frozen=True)
class Night:
    """One inner run: its exit code and its Allure results folder."""

    code: int
    output: str
    results: Path

    def results_of(self, name_start: str) -> list[dict]:
        found = [json.loads(p.read_text(encoding="utf-8")) for p in self.results.glob("*-result.json")]
        return [r for r in found if r["name"].startswith(name_start) or r["fullName"].endswith("#" + name_start)]

    def one(self, name_start: str) -> dict:
        [result] = self.results_of(name_start)
        return result


def inner(folder: Path, name: str, *args: str, **env: str) -> Night:
    """Run the inner tests of ``folder`` in a fresh pytest process, Allure results into ``folder/name``."""
    results = folder / name
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder)]
    argv += ["--phones-file", str(folder / "devices.yaml"), "--shareflow-output", str(folder / f"out-{name}")]
    argv += ["--alluredir", str(results), *args]
    done = subprocess.run(
        argv, cwd=folder, env=clean | env, capture_output=True, text=True, timeout=INNER_TIMEOUT_S, check=False
    )
    return Night(done.returncode, done.stdout + done.stderr, results)


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Night, Night]:
    """Night 1: the link opens (passed). Night 2: it is blocked (failed). Only droid of the pool runs."""
    folder = tmp_path_factory.mktemp("identity")
    (folder / "devices.yaml").write_text(pool(DROID, APPLE), encoding="utf-8")
    (folder / "quiet.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / "test_inner.py").write_text(INNER_TESTS, encoding="utf-8")
    args = ("test_inner.py", "--phone", "droid", "--sim-scenario", str(folder / "quiet.yaml"))
    return inner(folder, "night1", *args, INNER_OBSERVED="direct"), inner(
        folder, "night2", *args, INNER_OBSERVED="blocked"
    )


def test_the_two_nights_pass_then_fail(nights: tuple[Night, Night]) -> None:
    assert [n.code for n in nights] == [pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED], nights[1].output
    assert [n.one("test_link")["status"] for n in nights] == ["passed", "failed"]


def test_a_test_keeps_one_history_id_when_its_outcome_changes(nights: tuple[Night, Night]) -> None:
    first, second = (n.one("test_link") for n in nights)
    assert first["historyId"] == second["historyId"]
    assert first["testCaseId"] == second["testCaseId"]
    observed = [next(p for p in r["parameters"] if p["name"] == "observed outcome") for r in (first, second)]
    assert [(p["value"], p.get("excluded")) for p in observed] == [("direct", True), ("blocked", True)]


def test_the_failed_tests_history_holds_the_passed_run(nights: tuple[Night, Night], tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    for night in nights:
        allure_report.build(night.results, tmp_path / night.results.name, history, "identity check")
    runs = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()]
    name = nights[1].one("test_link")["name"]
    [key] = [k for k, result in runs[1]["testResults"].items() if result["name"] == name]  # Allure 3's history key
    assert [run["testResults"][key]["status"] for run in runs] == ["passed", "failed"]


def test_parameters_are_text_and_the_test_has_a_title_and_a_severity(nights: tuple[Night, Night]) -> None:
    result = nights[0].one("test_link")
    shown = {p["name"]: (p["value"], p.get("excluded", False)) for p in result["parameters"]}
    assert shown == {
        "kind": ("taobao", False),
        "phone_device": ("droid", False),
        "scene": ("group", False),
        "droid OS": ("android 12", True),
        "observed outcome": ("direct", True),
    }
    assert result["name"] == "A taobao link opens on droid"
    assert {"name": "severity", "value": "critical"} in result["labels"]


def test_failure_evidence_is_attached_to_the_test_itself(nights: tuple[Night, Night]) -> None:
    failed = nights[1].one("test_link")
    [evidence] = [step for step in failed["steps"] if step["name"] == "failure evidence"]
    names = [a["name"] for a in evidence["attachments"]]
    assert names == ["droid: screen at failure", "droid: page source", "droid: device log"]
    for attachment in evidence["attachments"]:
        assert (nights[1].results / attachment["source"]).stat().st_size > 0


def test_fixture_set_up_and_teardown_noise_is_left_out(nights: tuple[Night, Night]) -> None:
    for night in nights:
        containers = [json.loads(p.read_text(encoding="utf-8")) for p in night.results.glob("*-container.json")]
        assert containers, "allure-pytest wrote no container"
        fixtures = [f for c in containers for f in (*c.get("befores", []), *c.get("afters", []))]
        silent = [f["name"] for f in fixtures if not (f.get("steps") or f.get("attachments"))]
        silent = [
            name for name, f in zip(silent, fixtures, strict=False) if f.get("status") not in ("failed", "broken")
        ]
        assert silent == []
        assert not any("<lambda>" in f["name"] for f in fixtures)


def test_the_environment_names_the_phones_that_ran_and_the_scenario(nights: tuple[Night, Night]) -> None:
    lines = (nights[0].results / "environment.properties").read_text(encoding="utf-8").splitlines()
    keys = [line.split("=", 1)[0] for line in lines]
    assert "droid" in keys and "apple" not in keys  # in the pool, but not selected
    scenario = next(line for line in lines if line.startswith(r"farm\ scenario="))
    assert "quiet.yaml" in scenario and "simulated" in scenario


def test_a_crashed_tests_result_has_the_history_id_allure_pytest_gives(tmp_path: Path) -> None:
    (tmp_path / "devices.yaml").write_text(pool(DROID, APPLE), encoding="utf-8")
    (tmp_path / "test_dies.py").write_text(CRASHING, encoding="utf-8")
    crashed = inner(tmp_path, "crashed", "test_dies.py", "--phone", "droid", "-n", "1", INNER_CRASH="1")
    ran = inner(tmp_path, "ran", "test_dies.py", "--phone", "droid")
    assert ran.code == pytest.ExitCode.OK, ran.output
    broken, passed = crashed.one("test_dies"), ran.one("test_dies")
    assert broken["status"] == "broken" and "crashed" in broken["statusDetails"]["message"], crashed.output
    for key in ("historyId", "testCaseId", "fullName", "name"):
        assert broken[key] == passed[key], key
    assert broken["parameters"] == passed["parameters"]
