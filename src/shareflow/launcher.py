"""Starts and stops the embedded virtual farm as a separate process, and says where each phone is served.

The harness talks to the farm only over HTTP, like to any Appium server;
this module is the one place that knows how to start it (:func:`start`, or
:class:`SharedFarm` for a test run's processes), how to check its inputs
(:func:`check`) and which URL a phone's sessions go to (:func:`endpoint`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from shareflow.devices import Device
from shareflow.errors import InfrastructureError, UsageError
from shareflow.wait import TimedOut, until

READY_TIMEOUT_S = 60.0


class LaunchError(InfrastructureError):
    """The farm did not start; the message carries its own words."""


class FarmInputsError(UsageError):
    """The farm found its inputs (the pool, the scenario) bad; the message carries its words, naming the file."""


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


def endpoint(device: Device, farm: Callable[[], str] | None = None) -> str | None:
    """The URL ``device``'s sessions go to: its own endpoint, or for a phone of the embedded farm the farm's.

    ``farm`` gives the farm's URL (and may start the farm); without it, an embedded phone's endpoint is
    not known yet (None). The one place where that rule is written.
    """
    if not device.embedded:
        return device.endpoint
    return farm() if farm is not None else None


class SharedFarm:
    """The embedded farm of one test run, shared by all its processes (the controller and every xdist worker).

    The processes share ``folder``. The first that needs the farm starts it, under a file lock, and
    writes its URL and pid there; the others read them. The run's owner (:meth:`own`, the controller)
    stops it at the end (:meth:`stop`), and the farm stops by itself once the owner is gone, however
    the run ended. Its inputs are checked once per run, by the owner, before anything starts (:meth:`check`).
    """

    def __init__(self, folder: Path, devices: Path, scenario: Path | None, log_dir: Path) -> None:
        self.folder, self.devices, self.scenario, self.log_dir = folder, devices, scenario, log_dir

    def own(self) -> None:
        """Make this process the run's owner: the farm lives no longer than it."""
        (self.folder / "owner.pid").write_text(str(os.getpid()))

    def check(self) -> None:
        """Have the farm validate the pool and the scenario; :class:`FarmInputsError` with its words if bad."""
        check(self.devices, self.scenario)

    @property
    def started(self) -> bool:
        return (self.folder / "farm.url").exists()

    def url(self) -> str:
        """The farm's URL, starting it if no process of the run has."""
        with FileLock(self.folder / "farm.lock"):
            url_file = self.folder / "farm.url"
            if not url_file.exists():
                owner = int((self.folder / "owner.pid").read_text())
                farm = start(self.devices, self.scenario, self.log_dir, owner_pid=owner)
                (self.folder / "farm.pid").write_text(str(farm.process.pid))
                url_file.write_text(farm.url)
            return url_file.read_text()

    def endpoint(self, device: Device) -> str:
        """The URL ``device``'s sessions go to (see :func:`endpoint`), starting the farm when it serves ``device``."""
        url = endpoint(device, self.url)
        assert url is not None  # the farm was given
        return url

    def stop(self) -> None:
        """Stop the farm, if a process of the run started it."""
        pid_file = self.folder / "farm.pid"
        if pid_file.exists():
            stop_pid(int(pid_file.read_text()))


def _argv(devices: Path, scenario: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "shareflow_sim", "--devices", str(devices)]
    return argv + (["--scenario", str(scenario)] if scenario is not None else [])


def _contents(path: Path | None) -> tuple[str, bytes | None]:
    if path is None:
        return "", None
    try:
        return str(path.resolve()), path.read_bytes()
    except OSError:
        return str(path), None  # unreadable: never taken as checked


def check(devices: Path, scenario: Path | None) -> None:
    """Have the farm validate its inputs without serving; raise its message if they are bad.

    Inputs found good are not checked again in this process while their files hold the same bytes:
    ``shareflow run`` checks them before it starts pytest in-process, whose plugin asks again.
    """
    inputs = (_contents(devices), _contents(scenario))
    if inputs in _CHECKED:
        return
    done = subprocess.run([*_argv(devices, scenario), "--check"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        words = (done.stderr or done.stdout).strip().splitlines()
        raise FarmInputsError(words[-1] if words else f"virtual farm check exited with code {done.returncode}")
    if inputs[0][1] is not None and (scenario is None or inputs[1][1] is not None):
        _CHECKED.append(inputs)


_CHECKED: list[tuple[tuple[str, bytes | None], tuple[str, bytes | None]]] = []  # inputs found good


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """Stop a farm started by another process of this run."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        until(lambda: True if _gone(pid) else None, what=f"the farm (pid {pid}) to stop", timeout=timeout)
    except TimedOut:  # it would not go
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (reaped, when it is our own child: else it lingers as a zombie)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def start(
    devices: Path,
    scenario: Path | None,
    log_dir: Path,
    port: int = 0,
    owner_pid: int | None = None,
    allow_insecure: Sequence[str] = (),
) -> EmbeddedFarm:
    """Start the farm serving the embedded phones of ``devices``; wait until it answers.

    With ``owner_pid`` the farm stops by itself once that process is gone. The farm says its URL in a
    file of a temporary folder, removed once read (or once the start failed). ``allow_insecure`` names
    the insecure features it allows, as Appium 3's ``--allow-insecure`` takes them (``uiautomator2:adb_shell``).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "farm.log"
    with tempfile.TemporaryDirectory(prefix="shareflow-farm-") as folder:
        ready = Path(folder) / "url"
        argv = [*_argv(devices, scenario), "--port", str(port), "--ready-file", str(ready)]
        if owner_pid is not None:
            argv += ["--exit-with", str(owner_pid)]
        if allow_insecure:
            argv += ["--allow-insecure", ",".join(allow_insecure)]
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

    def url() -> str | None:
        if ready.exists():
            return ready.read_text().strip()
        if process.poll() is not None:
            words = log_path.read_text(errors="replace").strip().splitlines()
            raise LaunchError(words[-1] if words else f"virtual farm exited with code {process.returncode}")
        return None

    return until(url, what=f"the virtual farm to answer (log: {log_path})", timeout=READY_TIMEOUT_S, fail=LaunchError)
