"""Starts and stops the embedded virtual farm as a separate process.

The harness talks to the farm only over HTTP, like to any Appium server;
this module is the one place that knows how to start it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 60.0
POLL_S = 0.05


class LaunchError(RuntimeError):
    """The farm did not start; the message carries its own words."""


@dataclass
class EmbeddedFarm:
    """A running farm process and the URL it serves."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the farm to stop; kill it if it does not within ``timeout``."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _argv(devices: Path, scenario: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "shareflow_sim", "--devices", str(devices)]
    return argv + (["--scenario", str(scenario)] if scenario is not None else [])


def check(devices: Path, scenario: Path | None) -> None:
    """Have the farm validate its inputs without serving; raise its message if they are bad."""
    done = subprocess.run([*_argv(devices, scenario), "--check"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        words = (done.stderr or done.stdout).strip().splitlines()
        raise LaunchError(words[-1] if words else f"virtual farm check exited with code {done.returncode}")


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """Stop a farm started by another process of this run."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):  # our own child: reap it, or it lingers as a zombie
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(POLL_S)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def start(
    devices: Path, scenario: Path | None, log_dir: Path, port: int = 0, owner_pid: int | None = None
) -> EmbeddedFarm:
    """Start the farm serving the embedded phones of ``devices``; wait until it answers.

    With ``owner_pid`` the farm stops by itself once that process is gone. The farm says its URL in a
    file of a temporary folder, removed once read (or once the start failed).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "farm.log"
    with tempfile.TemporaryDirectory(prefix="shareflow-farm-") as folder:
        ready = Path(folder) / "url"
        argv = [*_argv(devices, scenario), "--port", str(port), "--ready-file", str(ready)]
        if owner_pid is not None:
            argv += ["--exit-with", str(owner_pid)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        try:
            return EmbeddedFarm(process, _ready_url(process, ready, log_path), log_path)
        except BaseException:  # not ready in time, or interrupted: no farm is left behind
            if process.poll() is None:
                process.kill()
                process.wait()
            raise


def _ready_url(process: subprocess.Popen[bytes], ready: Path, log_path: Path) -> str:
    """The URL the farm writes into ``ready`` once it listens; its last words if it exits first."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if ready.exists():
            return ready.read_text().strip()
        if process.poll() is not None:
            words = log_path.read_text(errors="replace").strip().splitlines()
            raise LaunchError(words[-1] if words else f"virtual farm exited with code {process.returncode}")
        time.sleep(POLL_S)
    raise LaunchError(f"virtual farm did not answer within {READY_TIMEOUT_S:.0f} s (log: {log_path})")
