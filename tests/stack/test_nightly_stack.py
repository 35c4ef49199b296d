"""The nightly through the Selenium Grid of ci/farm.yaml, recording video (`--video retain-on-failure`).

`ci/nightly` runs `ci/farm up` and `down` itself for a pool behind the hub, so
these tests need the stack's ports free: this module holds no stack, and runs
after test_farm_stack.py, whose module-scoped stack is down by then.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
NIGHTLY = ROOT / "ci" / "nightly"
# one test per phone; redmi-9a and iphone-8 sit behind different Appium servers and relay nodes
SELECTION = ("tests/e2e/test_link_outcomes.py", "-k", "test_p2p_link_outcome and taobao")
RUN_TIMEOUT_S = 900
MP4_BRAND_AT = slice(4, 8)  # an MP4 opens with its ftyp box: 4 bytes of size, then "ftyp"


@pytest.fixture
def state(topology: ModuleType, stack_ports: list[int], tmp_path: Path) -> Path:
    """The state folder ci/nightly's `ci/farm` keeps its logs in; the stack's ports must be free."""
    busy = [port for port in stack_ports if not topology.port_free(port)]
    assert not busy, f"ports {busy} are in use: ci/nightly starts the stack itself (is `ci/farm` up?)"
    return tmp_path / "farm-state"


def nightly(out: Path, state: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    """Run ci/nightly on the Grid pool; its outcome and the run's result records (retries left out)."""
    argv = [str(NIGHTLY), "--out", str(out), "--devices", "ci/devices.grid.yaml", "-n", "2", *args]
    env = {**os.environ, "SHAREFLOW_FARM_DIR": str(state)}
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_S, check=False)
    runs = sorted((out / "runs").glob("*/results.jsonl"))
    assert runs, done.stdout[-3000:] + done.stderr[-3000:]
    records = [json.loads(line) for line in runs[-1].read_text(encoding="utf-8").splitlines() if line.strip()]
    return done, [r for r in records if r["outcome"] != "rerun"]


def videos(record: dict) -> list[Path]:
    return sorted(Path(record["evidence"]).glob("*.mp4"))


def recorded_through_appium(state: Path) -> dict[str, int]:
    """Per Appium server, how many recordings it started and stopped with success (its log)."""
    logs = {log.stem: log.read_text(errors="replace") for log in sorted((state / "logs").glob("appium-*.log"))}
    return {
        name: min(text.count("/appium/start_recording_screen 200"), text.count("/appium/stop_recording_screen 200"))
        for name, text in logs.items()
    }


def test_the_nightly_passes_through_the_grid_recording_every_test(
    topology: ModuleType, stack_ports: list[int], state: Path, tmp_path: Path
) -> None:
    done, records = nightly(tmp_path / "nightly", state, *SELECTION, "--device", "redmi-9a", "--device", "iphone-8")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(r["phones"] for r in records) == ["iphone-8", "redmi-9a"]
    assert all(r["outcome"] == "passed" for r in records), [r["message"] for r in records]
    assert all(not videos(r) for r in records)  # retain-on-failure: a passed test keeps none
    recorded = recorded_through_appium(state)
    assert sorted(recorded) == ["appium-1", "appium-2"] and all(recorded.values()), recorded
    assert all(topology.port_free(port) for port in stack_ports)  # ci/nightly took the stack down


def test_a_failure_in_the_nightly_keeps_its_video_recorded_through_the_grid(state: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "p2p-links-blocked.yaml"  # 1:1 links blocked: the test expects them opened directly
    scenario.write_text("link_policy:\n  wechat:\n    p2p: {taobao: blocked}\n", encoding="utf-8")
    args = ["--scenario", str(scenario), *SELECTION, "--device", "redmi-9a"]
    done, records = nightly(tmp_path / "nightly", state, *args)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # a product failure
    [record] = records
    assert (record["outcome"], record["category"]) == ("failed", "product"), record["message"]
    [video] = videos(record)
    assert video.read_bytes()[MP4_BRAND_AT] == b"ftyp"
    assert recorded_through_appium(state)["appium-1"] >= 1  # redmi-9a's server
