"""ci/topology.py without the stack: the Grid's TOML files and the supervision of processes.

Nothing here starts the stack or holds its ports.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

import psutil
import pytest

WAIT_S = 10.0  # for a process to reach the state a test needs
POLL_S = 0.05
SLEEPER = [sys.executable, "-c", "import time; time.sleep(300)"]


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {WAIT_S:.0f} s"
        time.sleep(POLL_S)


def phone(name: str, platform: str, os_version: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, platform=platform, os_version=os_version)


POOL = {
    "redmi-9a": phone("redmi-9a", "android", "11"),
    '小米 "11"': phone('小米 "11"', "android", "12"),  # a quote and non-ASCII text in a name
    "iphone-8": phone("iphone-8", "ios", "15.8"),
}
SERVER = {"port": 4723, "node_port": 5555, "phones": list(POOL)}
HUB = {"port": 4444, "event_bus_ports": [4442, 4443], "session_request_timeout_s": 120}


def test_a_relay_nodes_toml_has_the_keys_the_grid_reads(topology: ModuleType) -> None:
    config = tomllib.loads(topology.node_toml(SERVER, POOL, HUB["event_bus_ports"]))
    relay = config.pop("relay")
    assert config == {
        "server": {"host": "127.0.0.1", "port": 5555},
        "events": {"publish": "tcp://127.0.0.1:4442", "subscribe": "tcp://127.0.0.1:4443"},
        "node": {"detect-drivers": False, "max-sessions": 3},
    }
    assert relay["url"] == "http://127.0.0.1:4723"
    assert relay["status-endpoint"] == "/status"
    assert relay["configs"][0::2] == ["1", "1", "1"]
    assert [json.loads(stereotype) for stereotype in relay["configs"][1::2]] == [
        {
            "platformName": platform,
            "appium:automationName": "ShareflowFarm",
            "appium:deviceName": name,
            "appium:platformVersion": version,
        }
        for name, platform, version in [
            ("redmi-9a", "Android", "11"),
            ('小米 "11"', "Android", "12"),
            ("iphone-8", "iOS", "15.8"),
        ]
    ]


def test_the_hubs_toml_binds_the_bus_queues_and_rejects_unknown_phones(topology: ModuleType) -> None:
    assert tomllib.loads(topology.hub_toml(HUB)) == {
        "server": {"host": "127.0.0.1", "port": 4444},
        "events": {"publish": "tcp://127.0.0.1:4442", "subscribe": "tcp://127.0.0.1:4443", "bind": True},
        "sessionqueue": {"session-request-timeout": 120},
        "distributor": {"reject-unsupported-caps": True, "healthcheck-interval": 10},
    }


def test_a_running_process_is_alive_and_a_zombie_is_not(topology: ModuleType) -> None:
    child = subprocess.Popen(SLEEPER)
    try:
        assert topology.alive(child.pid)
        child.kill()  # not reaped yet: a zombie until wait()
        eventually(lambda: psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE, "a zombie")
        assert not topology.alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not topology.alive(child.pid)


def test_liveness_does_not_read_proc_itself(topology: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """It asks psutil, which knows each platform's way, so it works where there is no /proc (macOS)."""
    read_text = Path.read_text

    def no_proc(path: Path, *args: object, **kwargs: object) -> str:
        if path.parts[1:2] == ("proc",):
            raise FileNotFoundError(path)
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", no_proc)
    child = subprocess.Popen(SLEEPER)
    try:
        assert topology.alive(child.pid)
    finally:
        child.kill()
        child.wait()


def spawn_part(topology: ModuleType, code: str) -> tuple[object, Path]:
    """A part that runs ``code`` under Python, started as `ci/farm up` starts one; and its log."""
    pid, log = topology.spawn("part", [sys.executable, "-c", code])
    return topology.Part("part", "http://127.0.0.1:1", pid, str(log), "farm"), log


def test_stop_ends_a_part_and_a_child_that_left_its_process_group(
    topology: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHAREFLOW_FARM_DIR", str(tmp_path))
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen({SLEEPER!r}, start_new_session=True)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    part, log = spawn_part(topology, code)
    eventually(lambda: log.read_text().strip().isdigit(), "the child's pid in the log")
    child = int(log.read_text())
    assert topology.alive(part.pid) and topology.alive(child)
    started = time.monotonic()
    topology.stop(part)
    assert time.monotonic() - started < topology.STOP_TIMEOUT_S  # TERM sufficed
    assert not topology.alive(part.pid)
    assert not topology.alive(child)


def test_stop_kills_a_part_that_ignores_term_once_the_deadline_passes(
    topology: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHAREFLOW_FARM_DIR", str(tmp_path))
    monkeypatch.setattr(topology, "STOP_TIMEOUT_S", 0.5)
    code = (
        "import signal, time\n"
        f"signal.signal({signal.SIGTERM.value}, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(300)\n"
    )
    part, log = spawn_part(topology, code)
    eventually(lambda: log.read_text().strip() == "ready", "the part ignoring TERM")
    topology.stop(part)
    assert not topology.alive(part.pid)
