"""The ``shareflow`` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from shareflow.devices import DevicesError, load

USAGE_ERROR = 2


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
