"""A failure certain to repeat is met once: later tests on it fail at once, in one line, and are not retried.

Two phones behind an endpoint that refuses connections (127.0.0.1:9) and a BrowserStack phone whose
credentials are not set, four tests each, all Android (so a retry may go to another of them). The
first test to meet each cause says it in full; every later one fails as infrastructure at once,
referring to that test, without a retry; the run's output stays short.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shareflow.providers import CREDENTIALS

TIMEOUT_S = 120
POOL = """\
devices:
  - name: dead-a
    platform: android
    os_version: "14"
    endpoint: http://127.0.0.1:9/wd/hub
  - name: dead-b
    platform: android
    os_version: "14"
    endpoint: http://127.0.0.1:9/wd/hub
  - name: no-key
    platform: android
    os_version: "13"
    profile: Google Pixel 7
    endpoint: https://hub-cloud.browserstack.com/wd/hub
    provider: browserstack
"""
SUITE = "".join(f"\n\ndef test_{n}(phone):\n    pass\n" for n in ("one", "two", "three", "four"))
TESTS = 12  # four tests on each of three phones
CAUSES = 2  # the refused endpoint, the missing credential
MAX_LINES = 150  # measured 117; before, with a retry of each test, 815
MAX_LINES_XDIST = 250  # each worker's first test may meet a cause at the same time: 207 with both told in full


def run(tmp_path: Path, *args: str) -> tuple[list[dict[str, str]], subprocess.CompletedProcess[str]]:
    pool, out = tmp_path / "devices.yaml", tmp_path / "out"
    pool.write_text(POOL, encoding="utf-8")
    (tmp_path / "test_dead.py").write_text(SUITE, encoding="utf-8")
    unset = {var for keys in CREDENTIALS.values() for var in keys.values()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k not in unset}
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--phones-file", str(pool)]
    argv += ["--shareflow-output", str(out), "test_dead.py", *args]
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return records, proc


def assert_met_once(records: list[dict[str, str]], proc: subprocess.CompletedProcess[str], max_lines: int) -> None:
    printed = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, printed
    final = [r for r in records if r["outcome"] != "rerun"]
    assert len(final) == TESTS and {(r["outcome"], r["category"]) for r in final} == {("failed", "infrastructure")}
    told_in_full = [r for r in final if "(see the first failure: " not in r["message"]]
    assert len(told_in_full) <= CAUSES, [r["message"] for r in told_in_full]
    for record in final:
        if record not in told_in_full:
            assert record["message"].startswith("shareflow.session.SessionError: ")
            assert ("Appium server http://127.0.0.1:9/wd/hub is unreachable (see" in record["message"]) != (
                "needs the environment variable BROWSERSTACK_USERNAME, which is not set (see" in record["message"]
            ), record["message"]
    lines = proc.stdout.splitlines()
    assert len(lines) <= max_lines, proc.stdout
    start = next(i for i, line in enumerate(lines) if "failures certain to repeat" in line) + 1
    section = lines[start : next(i for i in range(start, len(lines)) if lines[i].startswith("="))]
    said = "\n".join(section)  # each cause said once in full, with the test that met it first
    assert said.count("Connection refused") == 1 and said.count("BROWSERSTACK_USERNAME, which is not set") == 1
    assert said.count("first met by test_dead.py::") == CAUSES


def test_each_cause_is_met_once_and_never_retried_after(tmp_path: Path) -> None:
    records, proc = run(tmp_path)
    assert_met_once(records, proc, MAX_LINES)
    retried = [r for r in records if r["outcome"] == "rerun"]
    # the first test on the refused endpoint went to the BrowserStack phone, not yet known to fail; no other
    assert [(r["nodeid"].split("::")[-1], r["phones"]) for r in retried] == [("test_one[dead-a]", "dead-a")]
    first = next(r for r in records if r["nodeid"].endswith("test_two[dead-b]"))
    assert first["message"].endswith("(see the first failure: test_dead.py::test_one[dead-a])")


def test_workers_share_what_was_met(tmp_path: Path) -> None:
    records, proc = run(tmp_path, "-n", "2")
    assert_met_once(records, proc, MAX_LINES_XDIST)
    assert len([r for r in records if r["outcome"] == "rerun"]) <= 2  # at most each worker's first test
