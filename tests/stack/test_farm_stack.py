"""The suites through a real device-farm stack: Appium 3 servers, Selenium Grid 4 relay nodes and a hub.

`ci/farm up` starts the stack of ci/farm.yaml once for this module; the e2e
suites then run unchanged, only the device pool differs (ci/devices.*.yaml).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import urllib3
import yaml
from appium import webdriver
from appium.options.android import UiAutomator2Options
from selenium.common.exceptions import SessionNotCreatedException

from shareflow.links import LINK_KINDS

ROOT = Path(__file__).resolve().parents[2]
FARM = ROOT / "ci" / "farm"
SHAREFLOW = Path(sys.executable).parent / "shareflow"
TOPOLOGY = yaml.safe_load((ROOT / "ci" / "farm.yaml").read_text(encoding="utf-8"))
HUB = f"http://127.0.0.1:{TOPOLOGY['hub']['port']}"
HTTP = urllib3.PoolManager(timeout=5.0, retries=False)
RUN_TIMEOUT_S = 900


def farm(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHAREFLOW_FARM_DIR": str(state)}
    return subprocess.run([str(FARM), *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def status(url: str) -> dict:
    return json.loads(HTTP.request("GET", url + "/status").data)["value"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The stack, up for the module; its state folder (pids, logs)."""
    state = tmp_path_factory.mktemp("farm-state")
    up = farm("up", state=state)
    assert up.returncode == 0, up.stderr
    yield state
    farm("down", state=state)


def run_suite(pool: str, output: Path, *args: str) -> tuple[int, list[dict]]:
    """The exit code and each test's final record (a try run again after an infrastructure failure is left out)."""
    argv = [str(SHAREFLOW), "run", "--devices", pool, "--output", str(output), "-p", "no:cacheprovider", *args]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    results = output / "results.jsonl"
    records = (
        [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()] if results.exists() else []
    )
    return done.returncode, [r for r in records if r["outcome"] != "rerun"]


def failures(records: list[dict]) -> str:
    """Each failed test's message, step and the end of its phones' device logs: what CI's output can show."""
    lines = []
    for r in records:
        if r["outcome"] == "passed":
            continue
        lines += [f"{r['nodeid']}: {r.get('step')}: {r['message']}"]
        for log in sorted(Path(r.get("evidence") or "/nonexistent").glob("*device_log.txt")):
            lines += [f"  {log.name}:", *("    " + t for t in log.read_text(errors="replace").splitlines()[-25:])]
    return "\n".join(lines)


def sessions_per_node(state: Path) -> dict[str, int]:
    return {
        log.stem: log.read_text(errors="replace").count("Session created by the Node")
        for log in sorted((state / "logs").glob("node-*.log"))
    }


def test_up_starts_every_part_and_the_hub_sees_a_slot_per_phone(stack: Path) -> None:
    shown = farm("status", state=stack)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    rows = [line.split() for line in shown.stdout.splitlines()[1:]]
    assert [r[0] for r in rows] == ["farm", "appium-1", "appium-2", "hub", "node-1", "node-2"]
    assert all(r[-1] == "ready" for r in rows)
    hub = status(HUB)
    stereotypes = {
        slot["stereotype"]["appium:deviceName"]: node["uri"] for node in hub["nodes"] for slot in node["slots"]
    }
    for server in TOPOLOGY["appium"]:
        for phone in server["phones"]:
            assert stereotypes[phone] == f"http://127.0.0.1:{server['node_port']}"


def test_an_appium_server_refuses_a_phone_it_does_not_serve(stack: Path) -> None:
    first, second = TOPOLOGY["appium"]
    options = UiAutomator2Options().load_capabilities({"appium:automationName": "ShareflowFarm"})
    options.device_name = next(p for p in second["phones"] if not p.startswith("iphone"))
    with pytest.raises(SessionNotCreatedException, match=f"does not serve '{options.device_name}'"):
        webdriver.Remote(f"http://127.0.0.1:{first['port']}", options=options)


def test_the_hub_rejects_a_phone_no_node_offers_at_once(stack: Path) -> None:
    options = UiAutomator2Options().load_capabilities({"appium:automationName": "ShareflowFarm"})
    options.device_name = "pixel-404"
    started = time.monotonic()
    with pytest.raises(SessionNotCreatedException):
        webdriver.Remote(HUB, options=options)
    assert time.monotonic() - started < TOPOLOGY["hub"]["session_request_timeout_s"]


def test_the_suite_passes_through_appium_servers(stack: Path, tmp_path: Path) -> None:
    code, records = run_suite(
        "ci/devices.appium.yaml", tmp_path, "tests/e2e/test_share_flow.py", "-k", "p2p", "-n", "2"
    )
    assert code == 0, failures(records)
    assert len(records) == 6
    logs = {log.stem: log.read_text(errors="replace") for log in (stack / "logs").glob("appium-*.log")}
    for name, text in logs.items():
        assert re.search(r"Proxying session \S+ to farm session", text), f"{name} proxied no session"


def test_the_suites_pass_through_the_grid_spread_over_its_nodes(stack: Path, tmp_path: Path) -> None:
    before = sessions_per_node(stack)
    code, records = run_suite(
        "ci/devices.grid.yaml", tmp_path, "tests/e2e/test_share_flow.py", "tests/e2e/test_two_phones.py", "-n", "4"
    )
    assert code == 0, failures(records)
    assert len(records) == 12 + 18  # 2 tests per phone, 3 per pair of the 6 "cover" pairs
    after = sessions_per_node(stack)
    assert all(after[node] > before[node] for node in after), after


def test_stopping_an_appium_server_mid_run_fails_its_phones_as_infrastructure(stack: Path, tmp_path: Path) -> None:
    """Its phones' tests that start after it died are infrastructure failures (Allure: broken); the others pass.

    A test of its phones that was under way when it died may have finished first (passed) or not
    (infrastructure); either way, none of its phones' tests is a product failure.
    """
    victim = TOPOLOGY["appium"][1]
    argv = [str(SHAREFLOW), "run", "--devices", "ci/devices.grid.yaml", "--output", str(tmp_path)]
    argv += ["-p", "no:cacheprovider", "--infra-retries", "0"]  # the failures are what is checked here
    argv += ["tests/e2e/test_link_outcomes.py", "-k", "group", "-n", "4"]
    run = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = tmp_path / "results.jsonl"
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not (results.exists() and results.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.2)
    parts = {p["name"]: p for p in json.loads((stack / "state.json").read_text())["parts"]}
    killed_ms = time.time() * 1000
    os.killpg(parts["appium-2"]["pid"], signal.SIGKILL)
    assert run.wait(RUN_TIMEOUT_S) == 1
    records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    phones = yaml.safe_load((ROOT / "ci" / "devices.grid.yaml").read_text(encoding="utf-8"))["devices"]
    assert len(records) == len(phones) * len(LINK_KINDS)  # each phone's group-link tests, one per link kind
    allure = {
        spot(result): result
        for result in (
            json.loads(f.read_text(encoding="utf-8")) for f in (tmp_path / "allure-results").glob("*-result.json")
        )
    }
    mine = [r for r in records if r["phones"] in victim["phones"]]
    assert all(r["outcome"] == "passed" or r["category"] == "infrastructure" for r in mine), mine
    after = [r for r in mine if allure[spot_of(r)]["start"] > killed_ms]
    assert after and all(r["outcome"] == "failed" and r["category"] == "infrastructure" for r in after), after
    others = [r for r in records if r["phones"] not in victim["phones"]]
    assert others and all(r["outcome"] == "passed" for r in others), [r["message"] for r in others]
    failed = [spot_of(r) for r in mine if r["outcome"] == "failed"]
    assert {key: allure[key]["status"] for key in failed} == dict.fromkeys(failed, "broken")


def spot(result: dict) -> tuple[str, str]:
    """A link-outcome test's phone and link kind, from its Allure result's parameters."""
    params = {p["name"]: p["value"] for p in result["parameters"]}
    return params["phone_device"], params["kind"]


def spot_of(record: dict) -> tuple[str, str]:
    """The same, from its line in results.jsonl (``...[<phone>-<kind>]``)."""
    return str(record["phones"]), str(record["nodeid"]).rpartition("-")[2].removesuffix("]")


def test_down_stops_every_process_and_frees_every_port(
    stack: Path, topology: ModuleType, stack_ports: list[int]
) -> None:
    parts = json.loads((stack / "state.json").read_text())["parts"]
    done = farm("down", state=stack)
    assert done.returncode == 0, done.stderr
    assert [part["name"] for part in parts if topology.alive(part["pid"])] == []
    assert [port for port in stack_ports if not topology.port_free(port)] == []
    assert farm("status", state=stack).returncode == 1
