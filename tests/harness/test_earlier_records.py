"""An earlier run's records in the output folder go when a run starts, and only once its input is known good.

results.jsonl and link-outcomes.jsonl are removed, and the contents of the output folder's own
allure-results (``shareflow run``'s default --alluredir); a --alluredir elsewhere is the user's and
kept. A run stopped by bad input leaves the folder byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

POOL = """\
devices:
  - name: droid
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
"""
SUITE = "def test_writes_a_record(evidence_dir):\n    pass\n"
EARLIER = '{"nodeid": "earlier.py::test_earlier", "outcome": "passed"}\n'


@pytest.fixture
def folder(pytester: pytest.Pytester) -> Path:
    """A project with an earlier run's output: records, link outcomes, Allure results (its own and a user's)."""
    (pytester.path / "devices.yaml").write_text(POOL, encoding="utf-8")
    pytester.makepyfile(test_records=SUITE)
    out = pytester.path / "out"
    for allure_dir in (out / "allure-results", pytester.path / "my-allure"):
        (allure_dir / "earlier").mkdir(parents=True)
        (allure_dir / "earlier-result.json").write_text("{}", encoding="utf-8")
    (out / "results.jsonl").write_text(EARLIER, encoding="utf-8")
    (out / "link-outcomes.jsonl").write_text('{"device": "droid"}\n', encoding="utf-8")
    return pytester.path


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: a file by a digest of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
        for p in folder.rglob("*")
    }


def run(pytester: pytest.Pytester, folder: Path, *args: str) -> pytest.RunResult:
    base = ("-p", "no:cacheprovider", "--phones-file", str(folder / "devices.yaml"))
    return pytester.runpytest_subprocess(*base, "--shareflow-output", str(folder / "out"), *args)


BAD = {  # what is given, and the words the message says
    "option-choice": (("--shareflow-screenshot", "bogus"), ("--shareflow-screenshot", "bogus")),  # argparse's
    "scenario": (("--sim-scenario", "bad-scenario.yaml"), ("bad-scenario.yaml", "noize")),  # the farm's check
    "phone": (("--phone", "nokia"), ("--phone", "nokia")),
    "negative-retries": (("--infra-retries=-3",), ("--infra-retries", "-3")),
    "templates-folder": (("--shareflow-templates", "no-templates"), ("--shareflow-templates", "no-templates")),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_leaves_the_earlier_run_as_it_was(pytester: pytest.Pytester, folder: Path, case: str) -> None:
    given, says = BAD[case]
    (folder / "bad-scenario.yaml").write_text("noize: {promo_popup: 0}\n", encoding="utf-8")
    before = snapshot(folder / "out")
    result = run(pytester, folder, "--alluredir", str(folder / "out" / "allure-results"), *given)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    for words in says:
        assert words in result.stderr.str()
    assert snapshot(folder / "out") == before


def test_a_run_replaces_the_records_and_clears_only_its_own_allure_results(
    pytester: pytest.Pytester, folder: Path
) -> None:
    out = folder / "out"
    run(pytester, folder, "--alluredir", str(out / "allure-results")).assert_outcomes(passed=1)
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["nodeid"] for r in records] == ["test_records.py::test_writes_a_record"]
    assert not (out / "link-outcomes.jsonl").exists()
    assert not (out / "allure-results" / "earlier-result.json").exists()
    assert not (out / "allure-results" / "earlier").exists()
    assert list((out / "allure-results").glob("*-result.json"))  # this run's result, written after the clearing

    run(pytester, folder, "--alluredir", str(folder / "my-allure")).assert_outcomes(passed=1)
    assert (folder / "my-allure" / "earlier-result.json").exists()  # the user's own folder: left alone
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_a_listing_of_tests_leaves_the_records(pytester: pytest.Pytester, folder: Path) -> None:
    run(pytester, folder, "--collect-only", "-q")
    assert (folder / "out" / "results.jsonl").read_text(encoding="utf-8") == EARLIER
