"""The Allure 3 report: one self-contained HTML page built from an allure-results folder.

Runs the CLI that ``ci/setup-report`` pins under ``ci/report/`` with a generated config: the
awesome plugin writes a single ``index.html``, and every build appends its run to a history
JSONL file, so reports built with the same file show the trend of all their runs. Allure 3
takes categories from its config, not from the results folder: the results' categories.json
(see :mod:`shareflow.allure_meta`) is copied into it. The awesome plugin always adds Google
Analytics' tag; it is taken out, so the page loads nothing from the network.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from shareflow.errors import InfrastructureError

CLI = Path(__file__).resolve().parents[2] / "ci" / "report" / "node_modules" / ".bin" / "allure"
TIMEOUT_S = 600
TAIL_LINES = 20
ANALYTICS = re.compile(
    r'\s*<script async src="https://www\.googletagmanager\.com/gtag/js[^"]*"></script>\s*<script>\s*'
    r"window\.dataLayer[^<]*</script>"
)


class ReportError(InfrastructureError):
    """The report could not be built; the message names the file or folder at fault."""


def _categories(results_dir: Path) -> list[dict[str, Any]]:
    path = results_dir / "categories.json"
    if not path.is_file():
        return []
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: not readable as JSON: {exc}") from exc
    if not isinstance(found, list) or not all(isinstance(c, dict) and c.get("name") for c in found):
        raise ReportError(f"{path}: expected a list of categories, each with a 'name'")
    return found


def config(results_dir: Path, report_dir: Path, history_file: Path, name: str) -> dict[str, Any]:
    """The Allure 3 configuration (allurerc.json) of one build."""
    found: dict[str, Any] = {
        "name": name,
        "output": str(report_dir.resolve()),
        "historyPath": str(history_file.resolve()),
        "plugins": {"awesome": {"options": {"singleFile": True, "reportName": name}}},
    }
    categories = _categories(results_dir)
    if categories:
        found["categories"] = [{"expand": True, **category} for category in categories]  # open: tests at a glance
    return found


def build(results_dir: Path, report_dir: Path, history_file: Path, name: str, cli: Path = CLI) -> Path:
    """Build the report of ``results_dir`` into ``report_dir``; returns its index.html.

    The run is appended to ``history_file`` (created when missing).
    """
    if not cli.is_file():
        raise ReportError(f"{cli}: the Allure 3 CLI is not installed (run ./ci/setup-report, or make setup)")
    if not results_dir.is_dir():
        raise ReportError(f"{results_dir}: no such allure-results folder")
    page = report_dir / "index.html"
    report_dir.mkdir(parents=True, exist_ok=True)
    page.unlink(missing_ok=True)  # a page left by an earlier build must not pass for this one
    history_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="allurerc-") as folder:
        rc = Path(folder) / "allurerc.json"
        rc.write_text(json.dumps(config(results_dir, report_dir, history_file, name), indent=2), encoding="utf-8")
        argv = [str(cli), "generate", "--config", str(rc), "--cwd", folder, str(results_dir.resolve())]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"{cli}: allure generate of {results_dir} took over {TIMEOUT_S} s") from exc
        except OSError as exc:
            raise ReportError(f"{cli}: cannot run the Allure 3 CLI (is Node.js installed?): {exc}") from exc
    if done.returncode != 0:
        said = "\n".join((done.stderr.strip() or done.stdout.strip()).splitlines()[-TAIL_LINES:])
        raise ReportError(f"{cli}: allure generate of {results_dir} failed (exit {done.returncode}):\n{said}")
    if not page.is_file():
        raise ReportError(f"{page}: allure generate of {results_dir} wrote no report page")
    html = page.read_text(encoding="utf-8")
    page.write_text(ANALYTICS.sub("", html, count=1), encoding="utf-8")
    return page
