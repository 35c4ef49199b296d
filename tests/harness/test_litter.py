"""A run leaves no temporary folder behind: passed, failed, under xdist, stopped by a usage error or by Ctrl-C.

Each run is a fresh pytest process on the embedded farm with a temporary folder of its own ($TMPDIR),
so that other runs on the machine do not count. The run folder (``shareflow-run-*``) and the folder
the farm says its address in (``shareflow-farm-*``) must both be gone when the process has exited, and
after Ctrl-C the farm too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pools import DROID, pool

TIMEOUT_S = 120
POLL_S = 0.1
SUITE = """
import json
import os
import time
from pathlib import Path

WAIT_S = 60


def test_on_a_phone(phone, shareflow_run):
    seen = Path(os.environ["SHAREFLOW_LITTER_SEEN"])
    farm_pid = int((shareflow_run.run_dir / "farm.pid").read_text())
    said = seen.with_suffix(".tmp")
    said.write_text(json.dumps({"run_dir": str(shareflow_run.run_dir), "farm_pid": farm_pid}))
    said.replace(seen)  # whole, for the run that waits for it
    mode = os.environ["SHAREFLOW_LITTER_MODE"]
    deadline = time.monotonic() + WAIT_S
    while mode == "wait" and time.monotonic() < deadline and not seen.with_name("never").exists():
        time.sleep(0.1)  # until Ctrl-C
    assert mode != "fail", "asked to fail"
"""


def litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("shareflow-"))


def start(tmp_path: Path, mode: str, *args: str) -> tuple[subprocess.Popen[str], Path, Path]:
    """A pytest process running SUITE on the embedded farm; its $TMPDIR; the file its test says what it saw in."""
    temporary, seen = tmp_path / "tmp", tmp_path / "seen.json"
    temporary.mkdir()
    (tmp_path / "devices.yaml").write_text(pool(DROID), encoding="utf-8")
    (tmp_path / "test_litter_inner.py").write_text(SUITE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"TMPDIR": str(temporary), "SHAREFLOW_LITTER_SEEN": str(seen), "SHAREFLOW_LITTER_MODE": mode}
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--phones-file", str(tmp_path / "devices.yaml")]
    argv += ["--shareflow-output", str(tmp_path / "out"), "--infra-retries", "0", "test_litter_inner.py", *args]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, temporary, seen


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize(
    ("mode", "args", "code"),
    [
        ("pass", (), pytest.ExitCode.OK),
        ("fail", (), pytest.ExitCode.TESTS_FAILED),
        ("pass", ("-n", "2"), pytest.ExitCode.OK),
    ],
    ids=["passed", "failed", "xdist"],
)
def test_a_finished_run_leaves_no_temporary_folder(
    tmp_path: Path, mode: str, args: tuple[str, ...], code: pytest.ExitCode
) -> None:
    proc, temporary, seen = start(tmp_path, mode, *args)
    output, _ = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == code, output
    run_dir = Path(json.loads(seen.read_text())["run_dir"])
    assert run_dir.parent == temporary  # the run made its folder there ...
    assert litter(temporary) == []  # ... and removed it, and the farm's


def test_a_usage_error_leaves_no_temporary_folder(tmp_path: Path) -> None:
    scenario = tmp_path / "bad-scenario.yaml"
    scenario.write_text("noize: {promo_popup: 0}\n", encoding="utf-8")
    proc, temporary, seen = start(tmp_path, "pass", "--sim-scenario", str(scenario))
    output, _ = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "noize" in output and not seen.exists()
    assert litter(temporary) == []


def test_ctrl_c_leaves_no_temporary_folder_and_no_farm(tmp_path: Path) -> None:
    proc, temporary, seen = start(tmp_path, "wait")
    deadline = time.monotonic() + TIMEOUT_S
    while not seen.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(POLL_S)  # until the test runs, on a phone of the farm
    assert seen.exists(), proc.communicate(timeout=TIMEOUT_S)[0]
    farm_pid = json.loads(seen.read_text())["farm_pid"]
    assert litter(temporary) and alive(farm_pid)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output
    assert litter(temporary) == []
    assert not alive(farm_pid)
