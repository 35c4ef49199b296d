"""`ci/nightly --out DIR`: the nightly regression, its Allure 3 report and the connectivity matrix.

One run: start the farm topology the device pool needs (ci/farm for a pool
behind its Appium servers or Grid hub; nothing for embedded phones, which the
harness starts itself), run the suites with xdist, write Allure's metadata,
build the report (one HTML page, with the history of every run in DIR), the
matrix and its diff against the previous run. DIR keeps the newest runs
(``--keep``) under runs/<time>/, each with its report (report/index.html) and
matrix (matrix.html), which link to each other, and the histories
(history.jsonl, matrix-history.jsonl), which keep a line for every run, pruned
or not. DIR/latest/ is what tonight publishes: a copy of tonight's run folder
(report, matrix, thumbnails, evidence; not its allure-results) and run.json
naming the run, in plain files (hard links where it can): it is emptied when a
night starts, so a night that ran nothing publishes nothing, and last night's
is never published again.

Exit code: 0 all passed, 1 a product (or harness) failure, 3 only infrastructure
failed or no test ran to a verdict (a collection error, nothing selected, every
test skipped, pytest's internal error), 2 bad input.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import click
import pytest
import yaml

from shareflow import allure_meta, allure_report, launcher, summary
from shareflow.devices import DevicesError, load
from shareflow.outcomes import INFRASTRUCTURE
from shareflow.records import ResultRecord

ROOT = Path(__file__).resolve().parent.parent
FARM = ROOT / "ci" / "farm"
SHAREFLOW = Path(sys.executable).parent / "shareflow"
TOPOLOGY = ROOT / "ci" / "farm.yaml"
PRODUCT_FAILED, ONLY_INFRASTRUCTURE, BAD_INPUT = 1, 3, 2
NOTHING_RAN = ONLY_INFRASTRUCTURE
KEEP = 14  # run folders kept in DIR/runs/
RUNS, LATEST, ALLURE_RESULTS, REPORT = "runs", "latest", "allure-results", "report"
POINTER = "run.json"  # in DIR/latest/
# the report and the matrix of a run link to each other, relative to their own place in the run folder
MATRIX_FROM_REPORT, REPORT_FROM_MATRIX = "../matrix.html", "report/index.html"
RUN_NAME = re.compile(r"\d{8}T\d{6}Z")  # a run folder: when it started, UTC; sorts as it ran
# pytest's exit codes as `shareflow run` passes them on (it turns a usage error into 2)
RAN = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
NOT_RUN = {
    pytest.ExitCode.INTERRUPTED: "interrupted: a collection error, a bad pytest argument or a stop",
    pytest.ExitCode.INTERNAL_ERROR: "pytest's internal error",
    pytest.ExitCode.USAGE_ERROR: "a bad pytest argument",
    pytest.ExitCode.NO_TESTS_COLLECTED: "no test collected or selected",
}


def fail(message: str) -> NoReturn:
    click.echo(f"ci/nightly: {message}", err=True)
    sys.exit(BAD_INPUT)


def stack_ports() -> set[int]:
    """The ports of ci/farm.yaml's Appium servers and hub: a pool pointing there needs `ci/farm up`."""
    topology = yaml.safe_load(TOPOLOGY.read_text(encoding="utf-8"))
    return {topology["hub"]["port"], *(server["port"] for server in topology["appium"])}


def needs_stack(endpoints: list[str]) -> bool:
    ports = stack_ports()
    return any(
        (url := urlsplit(e)).hostname in ("127.0.0.1", "localhost") and url.port in ports
        for e in endpoints
        if e != "embedded"
    )


def exit_code(records: list[ResultRecord]) -> int:
    """0 all passed; 3 when every failure is infrastructure's; 1 otherwise."""
    failed = [r for r in records if r.outcome == "failed"]
    if not failed:
        return 0
    return ONLY_INFRASTRUCTURE if all(r.category == INFRASTRUCTURE for r in failed) else PRODUCT_FAILED


def keep_count(text: str) -> int:
    """The value of ``--keep``: a whole number of runs, 1 or more."""
    if not re.fullmatch(r"\s*\+?\d+\s*", text) or int(text) < 1:
        fail(f"--keep: expected a whole number of runs to keep, 1 or more; got {text!r}")
    return int(text)


def tried(records: list[ResultRecord]) -> list[ResultRecord]:
    """The records of tests that ran to a verdict: passed or failed (not skipped, not a try run again)."""
    return [r for r in records if r.outcome in ("passed", "failed")]


def not_run(code: int, records: list[ResultRecord]) -> str | None:
    """Why the tests did not run to the end, from pytest's exit code and the result records; None when they did."""
    if code not in RAN:
        try:
            return NOT_RUN.get(pytest.ExitCode(code), f"exit {code}")
        except ValueError:
            return f"exit {code}"
    if not tried(records):
        skipped = sum(r.outcome == "skipped" for r in records)
        return "no test passed or failed" + (f"; {skipped} skipped" if skipped else "")
    return None


def prune(out: Path, keep: int) -> list[Path]:
    """Delete the folders of all but the newest ``keep`` runs in ``out/runs/``; returns the deleted ones.

    Only run folders (named by their start time) go; the histories keep their lines.
    """
    folder = out / RUNS
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and RUN_NAME.fullmatch(p.name)) if folder.is_dir() else []
    gone = runs[:-keep]
    for run in gone:
        shutil.rmtree(run)
    return gone


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)  # the same file: no room taken
    except OSError:
        shutil.copy2(source, target)


def publish(out: Path, run_dir: Path, report: Path | None) -> Path:
    """DIR/latest/: tonight's run folder (with its report and matrix) without its allure-results, and run.json."""
    latest = out / LATEST
    shutil.rmtree(latest, ignore_errors=True)
    shutil.copytree(run_dir, latest, ignore=shutil.ignore_patterns(ALLURE_RESULTS), copy_function=_link_or_copy)
    pointer = {"run": str(run_dir), "report": str(report) if report else None}
    (latest / POINTER).write_text(json.dumps(pointer, indent=2) + "\n", encoding="utf-8")
    return latest


def give_up(out: Path, run_dir: Path, why: str, records: list[ResultRecord]) -> NoReturn:
    """End a night whose tests did not run to the end: no report, matrix or history line; exit 3."""
    left = f"; what it left: {run_dir}" if tried(records) else ""
    if not left:  # no test's evidence in it: the night leaves no run folder
        shutil.rmtree(run_dir, ignore_errors=True)
        for empty in (out / RUNS, out):
            try:
                empty.rmdir()
            except OSError:
                break
    click.echo(
        f"ci/nightly: the tests did not run to the end ({why}): no report, matrix or history written{left}", err=True
    )
    sys.exit(NOTHING_RAN)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Folder kept across runs.")
@click.option("--devices", "devices_file", default=ROOT / "devices.yaml", type=click.Path(path_type=Path))
@click.option("--scenario", type=click.Path(path_type=Path), help="Scenario file of the virtual farm.")
@click.option("-n", "workers", default=4, show_default=True, help="pytest-xdist workers.")
@click.option("--name", default="shareflow nightly", show_default=True, help="The report's title.")
@click.option("--keep", default=str(KEEP), show_default=True, help="Run folders kept in OUT/runs/ (1 or more).")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def main(
    out: Path,
    devices_file: Path,
    scenario: Path | None,
    workers: int,
    name: str,
    keep: str,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the nightly regression into OUT and build its report and matrix."""
    kept = keep_count(keep)
    try:
        devices = load(devices_file)
    except DevicesError as exc:
        fail(str(exc))
    if scenario is not None and not scenario.is_file():
        fail(f"{scenario}: no such scenario file")
    stack = needs_stack([d.endpoint for d in devices])
    if scenario is not None and not stack:  # ci/farm checks its own
        try:
            launcher.check(devices_file, scenario)
        except launcher.FarmInputsError as exc:
            fail(str(exc))
    home = out.resolve()
    shutil.rmtree(home / LATEST, ignore_errors=True)  # whatever happens tonight, last night's is not published again
    started = datetime.now(UTC)
    run_dir = home / RUNS / started.strftime("%Y%m%dT%H%M%SZ")
    results = run_dir / ALLURE_RESULTS
    results.mkdir(parents=True)
    if stack:
        up = subprocess.run([str(FARM), "up", *(["--scenario", str(scenario)] if scenario else [])], check=False)
        if up.returncode != 0:
            give_up(home, run_dir, "ci/farm up failed", [])
    try:
        argv = [str(SHAREFLOW), "run", "--devices", str(devices_file), "--output", str(run_dir)]
        argv += [f"--alluredir={results}", "-n", str(workers), "--video", "retain-on-failure"]
        argv += ["--scenario", str(scenario)] if scenario and not stack else []
        env = os.environ | {allure_meta.MATRIX_URL_VAR: MATRIX_FROM_REPORT}  # each test links the night's matrix
        tests = subprocess.run([*argv, *pytest_args], cwd=ROOT, check=False, env=env)
    finally:
        if stack:
            subprocess.run([str(FARM), "down"], check=False)
    records = summary.read(run_dir)
    why = not_run(tests.returncode, records)
    if why is not None:
        give_up(home, run_dir, why, records)
    pruned = prune(home, kept)  # before the report and the matrix: they need the histories only
    try:
        report = allure_report.build(results, run_dir / REPORT, home / "history.jsonl", name)
    except allure_report.ReportError as exc:
        click.echo(f"ci/nightly: {exc}", err=True)
        publish(home, run_dir, None)
        sys.exit(PRODUCT_FAILED)
    matrix_argv = [str(SHAREFLOW), "matrix", "--output", str(run_dir), "--history", str(home)]
    matrix_argv += ["--devices", str(devices_file), "--report-url", REPORT_FROM_MATRIX]
    matrix = subprocess.run(matrix_argv, check=False)
    latest = publish(home, run_dir, report)
    page = run_dir / "matrix.html"
    said = [f"report: {report}"]
    said += [f"matrix: {page}"] if matrix.returncode == 0 and page.is_file() else ["matrix: not written (see above)"]
    said += [f"published: {latest}"]
    said += [f"pruned: {len(pruned)} run folder(s) older than the newest {kept}"] if pruned else []
    click.echo("\n".join(said))
    code = exit_code(records)
    sys.exit(code if matrix.returncode == 0 else max(code, PRODUCT_FAILED))


if __name__ == "__main__":
    main()
