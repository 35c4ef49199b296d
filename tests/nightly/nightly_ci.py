"""What the nightly's pieces say about each other: ci/nightly.py as a module, and the paths the workflow uploads."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "ci" / "github" / "nightly.yml"
NIGHTLY_PY = ROOT / "ci" / "nightly.py"
GLOB = set("*?[]{}!")


def nightly_module() -> ModuleType:
    """ci/nightly.py, imported (it runs nothing on import)."""
    spec = importlib.util.spec_from_file_location("ci_nightly", NIGHTLY_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def steps() -> list[dict[str, Any]]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["nightly"]["steps"]


def upload_step() -> dict[str, Any]:
    return next(step for step in steps() if step.get("uses", "").startswith("actions/upload-artifact@"))


def uploaded_paths() -> list[str]:
    """The lines of the upload step's ``path``, as actions/upload-artifact reads them."""
    return [line.strip() for line in str(upload_step()["with"]["path"]).splitlines() if line.strip()]


def uploaded_files(workspace: Path) -> dict[str, list[Path]]:
    """Per uploaded path, the files it takes from ``workspace`` (the checkout ci/nightly ran in).

    As actions/upload-artifact does: a path or glob, a folder taking every file under it.
    """
    taken: dict[str, list[Path]] = {}
    for path in uploaded_paths():
        found = sorted(workspace.glob(path.rstrip("/")))
        taken[path] = [
            f for m in found for f in ([m] if m.is_file() else sorted(p for p in m.rglob("*") if p.is_file()))
        ]
    return taken
