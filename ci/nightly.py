"""`ci/nightly --out DIR`: the nightly regression, its Allure 3 report and the connectivity matrix.

One run: start the farm topology the device pool needs (ci/farm for a pool
behind its Appium servers or Grid hub; nothing for embedded phones, which the
harness starts itself), run the suites with xdist, write Allure's metadata,
build the report (one HTML page, with the history of every run in DIR), the
matrix and its diff against the previous run. DIR keeps every run under
runs/<time>/, the newest report in report/ and the histories.

Exit code: 0 all passed, 1 a product (or harness) failure, 3 only infrastructure
failed, 2 bad input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import click
import yaml

from shareflow import allure_meta, allure_report, summary
from shareflow.devices import DevicesError, load
from shareflow.outcomes import INFRASTRUCTURE

ROOT = Path(__file__).resolve().parent.parent
FARM = ROOT / "ci" / "farm"
SHAREFLOW = Path(sys.executable).parent / "shareflow"
TOPOLOGY = ROOT / "ci" / "farm.yaml"
PRODUCT_FAILED, ONLY_INFRASTRUCTURE, BAD_INPUT = 1, 3, 2


def fail(message: str) -> None:
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


def exit_code(records: list[dict[str, object]]) -> int:
    """0 all passed; 3 when every failure is infrastructure's; 1 otherwise."""
    failed = [r for r in records if r["outcome"] == "failed"]
    if not failed:
        return 0
    return ONLY_INFRASTRUCTURE if all(r["category"] == INFRASTRUCTURE for r in failed) else PRODUCT_FAILED


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Folder kept across runs.")
@click.option("--devices", "devices_file", default=ROOT / "devices.yaml", type=click.Path(path_type=Path))
@click.option("--scenario", type=click.Path(path_type=Path), help="Scenario file of the virtual farm.")
@click.option("-n", "workers", default=4, show_default=True, help="pytest-xdist workers.")
@click.option("--name", default="shareflow nightly", show_default=True, help="The report's title.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def main(
    out: Path, devices_file: Path, scenario: Path | None, workers: int, name: str, pytest_args: tuple[str, ...]
) -> None:
    """Run the nightly regression into OUT and build its report and matrix."""
    try:
        devices = load(devices_file)
    except DevicesError as exc:
        fail(str(exc))
    if scenario is not None and not scenario.is_file():
        fail(f"{scenario}: no such scenario file")
    started = datetime.now(UTC)
    run_dir = out.resolve() / "runs" / started.strftime("%Y%m%dT%H%M%SZ")
    results = run_dir / "allure-results"
    results.mkdir(parents=True)
    stack = needs_stack([d.endpoint for d in devices])
    if stack:
        up = subprocess.run([str(FARM), "up", *(["--scenario", str(scenario)] if scenario else [])], check=False)
        if up.returncode != 0:
            sys.exit(ONLY_INFRASTRUCTURE)
    try:
        argv = [str(SHAREFLOW), "run", "--devices", str(devices_file), "--output", str(run_dir)]
        argv += [f"--alluredir={results}", "-n", str(workers), "--video", "retain-on-failure"]
        argv += ["--scenario", str(scenario)] if scenario and not stack else []
        subprocess.run([*argv, *pytest_args], cwd=ROOT, check=False, env=os.environ.copy())
    finally:
        if stack:
            subprocess.run([str(FARM), "down"], check=False)
    records = summary.read(run_dir)
    allure_meta.write(results, devices)
    try:
        report = allure_report.build(results, out.resolve() / "report", out.resolve() / "history.jsonl", name)
    except allure_report.ReportError as exc:
        click.echo(f"ci/nightly: {exc}", err=True)
        sys.exit(PRODUCT_FAILED)
    matrix_argv = [str(SHAREFLOW), "matrix", "--output", str(run_dir), "--history", str(out.resolve())]
    matrix = subprocess.run([*matrix_argv, "--devices", str(devices_file)], check=False)
    (out / "latest.json").write_text(json.dumps({"run": str(run_dir), "report": str(report)}, indent=2))
    click.echo(f"report: {report}\nmatrix: {run_dir / 'matrix.html'}")
    code = exit_code(records)
    sys.exit(code if matrix.returncode == 0 else max(code, PRODUCT_FAILED))


if __name__ == "__main__":
    main()
