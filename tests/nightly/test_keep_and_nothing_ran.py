"""`ci/nightly --keep N` prunes old run folders, not their history; a night whose tests did not run writes nothing.

The pruning is checked on a fabricated DIR here and end to end in test_nightly.py
(its second night keeps one run folder). The nights below run no phone: a bad
--keep is refused before anything is written, and a night that collects nothing
(nothing selected, no such test file, pytest's internal error, every test
skipped) ends with 3
without a report, a history line or a matrix.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from nightly_ci import ROOT, nightly_module

NIGHTLY = ROOT / "ci" / "nightly"
RUNS = ["20261120T020000Z", "20261121T020000Z", "20261122T020000Z", "20261123T020000Z", "20261124T020000Z"]
POOL = """\
devices:
  - name: redmi-9a
    platform: android
    os_version: "11"
    profile: android-hd
    endpoint: embedded
    wechat: {account: wxid_xiaomei, nickname: 小美}
"""
BROKEN_PLUGIN = """\
def pytest_collection_finish(session):
    raise RuntimeError("broken on purpose")
"""
HISTORIES = {"history.jsonl": '{"uuid": "earlier-night"}\n', "matrix-history.jsonl": '{"run_at": "earlier"}\n'}

nightly = nightly_module()


def fabricated(out: Path) -> Path:
    """A DIR of five earlier nights (evidence, allure-results), their histories and something else in runs/."""
    for name in RUNS:
        evidence = out / "runs" / name / "test_x-test_y_redmi-9a"
        evidence.mkdir(parents=True)
        (evidence / "01-step.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
        (out / "runs" / name / "allure-results").mkdir()
        (out / "runs" / name / "allure-results" / "a-result.json").write_text("{}")
    (out / "runs" / "notes").mkdir()  # not a run folder: left alone
    for history, text in HISTORIES.items():
        (out / history).write_text(text * len(RUNS), encoding="utf-8")
    return out


def test_prune_keeps_the_newest_runs_folders_and_every_history_line(tmp_path: Path) -> None:
    out = fabricated(tmp_path / "nightly")
    gone = nightly.prune(out, 2)
    assert [p.name for p in gone] == RUNS[:3]
    assert sorted(p.name for p in (out / "runs").iterdir()) == [*RUNS[3:], "notes"]
    for history, text in HISTORIES.items():
        assert (out / history).read_text(encoding="utf-8") == text * len(RUNS)


def test_prune_with_fewer_runs_than_kept_deletes_nothing(tmp_path: Path) -> None:
    out = fabricated(tmp_path / "nightly")
    assert nightly.prune(out, len(RUNS)) == [] and nightly.prune(out, 100) == []
    assert len(list((out / "runs").iterdir())) == len(RUNS) + 1
    assert nightly.prune(tmp_path / "new", 1) == []  # no runs/ yet


def run(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    pool = out.parent / "devices.yaml"
    pool.write_text(POOL, encoding="utf-8")
    argv = [str(NIGHTLY), "--out", str(out), "--devices", str(pool), "-n", "2", *args]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False, env=env)


@pytest.mark.parametrize("keep", ["0", "-1", "two", "1.5"])
def test_a_bad_keep_is_refused_naming_the_option_and_nothing_is_written(tmp_path: Path, keep: str) -> None:
    done = run(tmp_path / "nightly", "--keep", keep, "tests/e2e/test_link_outcomes.py")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"ci/nightly: --keep: expected a whole number of runs to keep, 1 or more; got {keep!r}"
    ]
    assert not (tmp_path / "nightly").exists()


def test_a_bad_scenario_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("nope: 1\n", encoding="utf-8")
    done = run(tmp_path / "nightly", "--scenario", str(scenario), "tests/e2e/test_link_outcomes.py")
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("ci/nightly: ") and str(scenario) in line and "'nope'" in line
    assert not (tmp_path / "nightly").exists()


@pytest.mark.parametrize(
    ("case", "args", "why"),
    [
        ("nothing selected", ["-k", "nothing-matches", "tests/e2e/test_link_outcomes.py"], "no test collected"),
        ("no such test file", ["tests/e2e/test_no_such_file.py"], ""),
        ("internal error", ["-p", "shareflow_broken_plugin", "tests/e2e/test_link_outcomes.py"], "internal error"),
        ("two-phone tests, one phone: all skipped", ["tests/e2e/test_two_phones.py"], "no test passed or failed"),
    ],
)
def test_a_night_that_ran_no_test_exits_3_and_writes_nothing(
    tmp_path: Path, case: str, args: list[str], why: str
) -> None:
    out = fabricated(tmp_path / "nightly")
    (out / "latest").mkdir()
    (out / "latest" / "report.html").write_text("last night's")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and "latest" not in p.parts}
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "shareflow_broken_plugin.py").write_text(BROKEN_PLUGIN, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(tmp_path / "plugins")
    done = run(out, *args, env=env)
    said = done.stdout + done.stderr
    assert done.returncode == 3, said
    assert "ci/nightly: the tests did not run to the end (" in done.stderr and why in done.stderr, said
    assert "matrix:" not in said and "report:" not in said
    assert not (out / "report").exists() and not (out / "latest").exists()  # nothing published tonight
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before, case  # no history line, no run folder, nothing pruned
