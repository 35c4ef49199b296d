"""The ``shareflow`` command."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
import pytest

from shareflow import launcher, summary
from shareflow.devices import DevicesError, load

USAGE_ERROR = 2
E2E = Path("tests/e2e")


def fail(message: str) -> None:
    """Print one clear message and exit with the usage-error code."""
    click.echo(f"shareflow: {message}", err=True)
    sys.exit(USAGE_ERROR)


@click.group()
def main() -> None:
    """End-to-end tests of cross-app share flows on phones."""


@main.command()
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option("--scenario", type=click.Path(path_type=Path), help="Scenario file of the virtual farm.")
@click.option("--port", default=4723, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
def sim(devices_file: Path, scenario: Path | None, port: int) -> None:
    """Serve the embedded virtual farm's phones of DEVICES over the Appium protocol."""
    try:
        load(devices_file)
    except DevicesError as exc:
        fail(str(exc))
    argv = [sys.executable, "-m", "shareflow_sim", "--devices", str(devices_file), "--port", str(port)]
    if scenario is not None:
        argv += ["--scenario", str(scenario)]
    os.execv(sys.executable, argv)


def _has_option(args: tuple[str, ...], name: str) -> bool:
    return any(a == name or a.startswith(name + "=") for a in args)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option("--scenario", type=click.Path(path_type=Path), help="Scenario file of the embedded farm.")
@click.option("--output", default="test-results", show_default=True, type=click.Path(path_type=Path))
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(devices_file: Path, scenario: Path | None, output: Path, pytest_args: tuple[str, ...]) -> None:
    """Run the share-flow suites (tests/e2e) and print a summary.

    Any other argument goes to pytest: -n 4, -k group, --alluredir DIR, --junitxml F, ...
    """
    try:
        devices = load(devices_file)
        if scenario is not None or any(d.embedded for d in devices):
            launcher.check(devices_file, scenario)
    except (DevicesError, launcher.LaunchError) as exc:
        fail(str(exc))
    paths = [a for a in pytest_args if not a.startswith("-") and Path(a.split("::")[0]).exists()]
    if not paths and not E2E.is_dir():
        fail(f"no {E2E}/ here: run shareflow from the project folder or name the tests to run")
    output.mkdir(parents=True, exist_ok=True)
    (output / summary.RESULTS).unlink(missing_ok=True)
    args = [] if paths else [str(E2E)]
    args += ["--devices", str(devices_file), "--output", str(output), *pytest_args]
    allure_dir: Path | None = None
    if not _has_option(pytest_args, "--alluredir"):
        allure_dir = output / "allure-results"
        shutil.rmtree(allure_dir, ignore_errors=True)
        args += ["--alluredir", str(allure_dir)]
    if scenario is not None:
        args += ["--sim-scenario", str(scenario)]
    code = pytest.main(args)
    click.echo(summary.render(summary.read(output), output, allure_dir))
    sys.exit(USAGE_ERROR if code == pytest.ExitCode.USAGE_ERROR else int(code))
