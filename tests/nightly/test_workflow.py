"""The GitHub Actions workflow of the nightly job, checked against GitHub's workflow schema (action-validator)."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

import yaml
from nightly_ci import GLOB, ROOT, WORKFLOW, nightly_module, upload_step, uploaded_paths

VALIDATOR = ROOT / "ci" / "report" / "node_modules" / ".bin" / "action-validator"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120, check=False)


def test_the_nightly_workflow_is_valid() -> None:
    done = validate(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_validator_refuses_a_broken_workflow(tmp_path: Path) -> None:
    """The check can fail: the same workflow with a misspelt key is refused, naming it."""
    broken = tmp_path / "nightly.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on:", "run-on:"), encoding="utf-8")
    done = validate(broken)
    assert done.returncode == 1 and "'run-on' is not allowed" in done.stderr, done.stdout + done.stderr


def test_the_workflow_runs_the_nightly_and_keeps_its_history() -> None:
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["nightly"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "make setup" in runs and "ci/nightly --out nightly" in runs
    uses = [step.get("uses", "") for step in steps]
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/cache/save@") for u in uses)
    published = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert published.get("if") == "always()"


def test_the_artifact_is_tonight_s_folder_and_no_pattern_spans_past_runs() -> None:
    """Every uploaded path is inside DIR/latest/, which ci/nightly fills with tonight's run only; none is a glob.

    (tests/nightly/test_nightly.py checks the same paths against a real nightly folder.)
    """
    nightly = nightly_module()
    paths = uploaded_paths()
    assert paths
    for path in paths:
        assert not GLOB & set(path), f"{path}: a pattern may take other nights' files"
        assert PurePosixPath(path).parts[:2] == ("nightly", nightly.LATEST), path
    assert upload_step()["with"].get("if-no-files-found", "warn") in ("warn", "error")  # a night that ran nothing
