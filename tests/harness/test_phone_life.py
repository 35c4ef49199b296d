"""A phone's life in a run: leased per test, its session kept for the worker's next test, never driven by two.

Unit tests of the session notes (:mod:`shareflow.keeper`), of what evidence a test keeps
(:class:`shareflow.artifacts.Artifacts`), of the one rule for a phone's endpoint and of the default
number of workers; then runs on the embedded farm: one process, two xdist workers, and sessions per test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pools import APPLE, DROID, pool

from shareflow import cli, keeper, launcher
from shareflow.artifacts import Artifacts
from shareflow.devices import Device
from shareflow.keeper import SessionKeeper
from shareflow.lease import lease
from shareflow.plugin import auto_workers
from shareflow_sim.scenario import NOISELESS

pytest_plugins = ["pytester"]

URL = "http://127.0.0.1:4723"
PHONE = Device("droid", "android", "12", "embedded", provider="embedded")
INNER_TIMEOUT_S = 300


class FakeSession:
    """A driver as the keeper sees it: a session id, and quit."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.quits = 0

    def quit(self) -> None:
        self.quits += 1


@pytest.fixture
def ended(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sessions ended by id (as a process ends another's), instead of DELETE requests."""
    found: list[str] = []
    monkeypatch.setattr(keeper, "end_session", lambda url, session_id: found.append(session_id))
    return found


def opened(keeper_: SessionKeeper, name: str) -> Any:
    session = FakeSession(name)
    keeper_.opened(PHONE, session)  # type: ignore[arg-type]
    return session


# -- the notes on the leases -----------------------------------------------------------------------
def test_a_kept_session_is_driven_again_only_while_nobody_else_had_the_phone(tmp_path: Path, ended: list[str]) -> None:
    a, b = SessionKeeper(tmp_path), SessionKeeper(tmp_path)  # two workers of one run
    assert a.take(PHONE, URL) is None
    first = opened(a, "s1")
    a.give_back(PHONE, first, keep=True)
    assert a.take(PHONE, URL) is first  # a's next test on the phone
    a.give_back(PHONE, first, keep=True)
    assert b.take(PHONE, URL) is None  # the lease went to b: a's session is ended before b opens its own
    assert ended == ["s1"]
    second = opened(b, "s2")
    b.give_back(PHONE, second, keep=True)
    assert a.take(PHONE, URL) is None  # a's kept session is stale: dropped unused; b's is ended
    assert ended == ["s1", "s2"] and first.quits == 0
    assert b.noted(PHONE) is None


def test_a_retry_or_an_infrastructure_failure_quits_the_session(tmp_path: Path, ended: list[str]) -> None:
    a = SessionKeeper(tmp_path)
    a.take(PHONE, URL)
    first = opened(a, "s1")
    a.give_back(PHONE, first, keep=True)
    assert a.take(PHONE, URL, fresh=True) is None  # a retry
    assert first.quits == 1 and ended == []
    second = opened(a, "s2")
    a.give_back(PHONE, second, keep=False)  # after an infrastructure failure
    assert second.quits == 1 and a.noted(PHONE) is None and a.kept == {}


def test_a_session_whose_worker_died_is_ended_by_the_next_holder(tmp_path: Path, ended: list[str]) -> None:
    dead, b = SessionKeeper(tmp_path), SessionKeeper(tmp_path)
    dead.take(PHONE, URL)
    opened(dead, "orphan")  # the worker died mid-test: never given back
    assert b.take(PHONE, URL) is None
    assert ended == ["orphan"]


def test_cloud_sessions_live_for_one_test(tmp_path: Path, ended: list[str]) -> None:
    cloud = Device("bs", "android", "12", "https://hub.browserstack.com/wd/hub", provider="browserstack")
    a = SessionKeeper(tmp_path)
    session = FakeSession("cloudy")
    a.opened(cloud, session)  # type: ignore[arg-type]
    a.give_back(cloud, session, keep=True)  # type: ignore[arg-type]
    assert session.quits == 1 and a.kept == {}
    assert not SessionKeeper(tmp_path, enabled=False).keeps(PHONE)


@pytest.mark.parametrize(("provider", "kept"), [("embedded", True), ("appium", True), ("grid", False)])
def test_a_grid_s_slot_is_not_held_between_tests(tmp_path: Path, provider: str, kept: bool) -> None:
    """A Grid is shared: an idle kept session would hold its slot from other jobs' queued requests."""
    device = Device("p", "android", "12", "http://127.0.0.1:4444", provider=provider)
    assert SessionKeeper(tmp_path).keeps(device) is kept


def test_the_end_of_the_run_quits_what_is_kept_unless_another_holds_the_phone(tmp_path: Path, ended: list[str]) -> None:
    a = SessionKeeper(tmp_path)
    a.take(PHONE, URL)
    first = opened(a, "s1")
    a.give_back(PHONE, first, keep=True)
    with lease(tmp_path, [PHONE], timeout=1):  # another holds the phone: it ends the session as it takes it
        a.close()
    assert first.quits == 0 and a.kept == {}
    a.take(PHONE, URL)
    second = opened(a, "s2")
    a.give_back(PHONE, second, keep=True)
    a.close()
    assert second.quits == 1 and a.noted(PHONE) is None


def test_ending_another_process_session_sends_one_delete_and_survives_a_dead_server() -> None:
    keeper.end_session("http://127.0.0.1:9/wd/hub", "gone", timeout=1)  # refused: nothing raised


# -- what evidence a test keeps -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("video", "on_pass", "on_failure", "records"),
    [("off", False, False, False), ("on", True, True, True), ("retain-on-failure", False, True, True)],
)
def test_artifacts_decide_which_videos_are_kept(
    tmp_path: Path, video: str, on_pass: bool, on_failure: bool, records: bool
) -> None:
    artifacts = Artifacts(tmp_path, "on", video)
    assert (artifacts.keeps_video(False), artifacts.keeps_video(True), artifacts.records_video) == (
        on_pass,
        on_failure,
        records,
    )


def test_artifacts_decide_the_screenshots_and_refuse_unknown_modes(tmp_path: Path) -> None:
    assert Artifacts(tmp_path, "off").screen_at_failure is False
    assert Artifacts(tmp_path, "only-on-failure").screen_at_failure is True
    assert Artifacts(tmp_path, "only-on-failure").screen_mode == "only-on-failure"
    with pytest.raises(ValueError, match="bogus"):
        Artifacts(tmp_path, "bogus")
    with pytest.raises(ValueError, match="always"):
        Artifacts(tmp_path, "on", "always")


# -- one rule for a phone's endpoint; the farm's inputs checked once ----------------------------------
def test_a_phone_is_served_at_its_endpoint_or_the_farms() -> None:
    remote = Device("pixel", "android", "14", "http://10.0.0.2:4723")
    assert launcher.endpoint(remote) == "http://10.0.0.2:4723"
    assert launcher.endpoint(remote, lambda: "http://farm") == "http://10.0.0.2:4723"
    assert launcher.endpoint(PHONE) is None  # not known before the farm is asked
    assert launcher.endpoint(PHONE, lambda: "http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_the_farms_inputs_are_checked_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    devices = tmp_path / "devices.yaml"
    devices.write_text(pool(DROID), encoding="utf-8")
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(argv: list[str], **kwargs: Any) -> Any:
        calls.append(argv)
        return real(argv, **kwargs)

    monkeypatch.setattr(launcher.subprocess, "run", counting)
    launcher.check(devices, None)
    launcher.check(devices, None)
    assert len(calls) == 1
    devices.write_text(pool(DROID).replace("android-fhd", "android-nope"), encoding="utf-8")
    with pytest.raises(launcher.FarmInputsError, match="android-nope"):
        launcher.check(devices, None)  # other bytes: checked again


# -- how many workers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("phones", "cpus", "workers"), [(6, 2, 6), (6, 1, 3), (20, 2, 6), (2, 8, 2), (1, 8, 0), (0, 2, 0)]
)
def test_auto_workers_are_one_per_phone_within_what_the_cpus_serve(phones: int, cpus: int, workers: int) -> None:
    assert auto_workers(phones, cpus) == workers


@pytest.mark.parametrize(
    ("args", "given"),
    [
        ((), False),
        (("-k", "group"), False),
        (("-n", "4"), True),
        (("-n4",), True),
        (("--numprocesses=2",), True),
        (("-p", "no:xdist"), True),
        (("--pdb",), True),
        (("--no-header",), False),
    ],
)
def test_shareflow_run_asks_for_a_worker_per_phone_unless_told(args: tuple[str, ...], given: bool) -> None:
    assert cli._workers_given(args) is given


# -- runs on the embedded farm -------------------------------------------------------------------------
QUIET = f"noise: {json.dumps(NOISELESS)}\n"
INNER_CONFTEST = """
import json
import os
import urllib.request
from pathlib import Path

import pytest

RECORDS = Path(os.environ["SHAREFLOW_LIFE_RECORDS"])


@pytest.fixture
def record(request):
    def write(phone, **extra):
        row = {
            "test": request.node.name,
            "attempt": getattr(request.node, "execution_count", 1),
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            "phone": phone.name,
            "session": phone.driver.session_id,
        }
        with (RECORDS / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as file:
            file.write(json.dumps(row | extra) + "\\n")
    return write


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    # after every process ended what it kept: is a phone of the farm still busy?
    if hasattr(session.config, "workerinput"):
        return
    from shareflow.plugin import POOL
    farm = session.config.stash[POOL].farm
    if farm.started:
        with urllib.request.urlopen(farm.url() + "/status", timeout=10) as answer:
            busy = [p["name"] for p in json.load(answer)["value"]["phones"] if p["busy"]]
        (RECORDS / "busy-at-the-end.json").write_text(json.dumps(busy))
"""
ONE_PHONE_TESTS = """
from selenium.common.exceptions import InvalidSessionIdException


def test_1_leaves_litter(phone, record):
    record(phone)
    phone.driver.set_clipboard_text("left behind")
    phone.driver.execute_script("mobile: activateApp", {"appId": phone.taobao.package})


def test_2_starts_afresh(phone, record):
    state = phone.driver.execute_script("mobile: queryAppState", {"appId": phone.taobao.package})
    record(phone, clipboard=phone.driver.get_clipboard_text(), taobao=state)


def test_3_breaks_on_infrastructure(phone, record, request):
    record(phone)
    if request.node.execution_count == 1:
        raise InvalidSessionIdException("the session went away")


def test_4_after_the_retry(phone, record):
    record(phone)
    phone.driver.execute_script("mobile: activateApp", {"appId": phone.taobao.package})


def test_5_fails(phone, record):
    record(phone)
    assert False, "the screen was wrong"
"""
TWO_WORKER_TESTS = """
import pytest


@pytest.mark.parametrize("round", range(4))
def test_single(round, phone, record):
    record(phone)


@pytest.mark.pairs("all")
@pytest.mark.parametrize("round", range(2))
def test_pair(round, phone_pair, record):
    for phone in phone_pair:
        record(phone)
"""


@dataclass(frozen=True)
class LifeRun:
    """A finished pytest run on the farm: what its tests recorded, and its output folder."""

    rows: list[dict[str, Any]]
    busy_at_the_end: list[str] | None
    output: Path
    proc: subprocess.CompletedProcess[str]

    def sessions(self, test_prefix: str) -> list[str]:
        return [r["session"] for r in self.rows if str(r["test"]).startswith(test_prefix)]


def run_life(folder: Path, tests: str, entries: tuple[str, ...], *args: str) -> LifeRun:
    records, output = folder / "records", folder / "out"
    records.mkdir()
    (folder / "devices.yaml").write_text(pool(*entries), encoding="utf-8")
    (folder / "quiet.yaml").write_text(QUIET, encoding="utf-8")
    (folder / "conftest.py").write_text(INNER_CONFTEST, encoding="utf-8")
    (folder / "test_life.py").write_text(tests, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")} | {
        "SHAREFLOW_LIFE_RECORDS": str(records)
    }
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--phones-file", str(folder / "devices.yaml")]
    argv += ["--sim-scenario", str(folder / "quiet.yaml"), "--shareflow-output", str(output), *args]
    proc = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=INNER_TIMEOUT_S)
    rows = [json.loads(line) for path in sorted(records.glob("*.jsonl")) for line in path.read_text().splitlines()]
    busy = records / "busy-at-the-end.json"
    return LifeRun(rows, json.loads(busy.read_text()) if busy.exists() else None, output, proc)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> LifeRun:
    return run_life(
        tmp_path_factory.mktemp("kept"), ONE_PHONE_TESTS, (DROID,), "--shareflow-video", "retain-on-failure"
    )


def test_one_session_serves_a_phones_tests_until_infrastructure_fails(one_process: LifeRun) -> None:
    assert "1 failed, 4 passed, 1 rerun" in one_process.proc.stdout, one_process.proc.stdout
    (s1,), (s2,) = one_process.sessions("test_1"), one_process.sessions("test_2")
    broken, retried = one_process.sessions("test_3")
    (s4,), (s5,) = one_process.sessions("test_4"), one_process.sessions("test_5")
    assert s1 == s2 == broken  # kept from test to test
    assert retried != broken  # the retry of an infrastructure failure: a fresh session
    assert s4 == s5 == retried  # ... kept again from there
    assert one_process.busy_at_the_end == []  # and quit at the end


def test_each_test_starts_afresh_on_a_kept_session(one_process: LifeRun) -> None:
    (second,) = [r for r in one_process.rows if r["test"] == "test_2_starts_afresh[droid]"]
    assert second["clipboard"] == ""  # the first test's clipboard was cleared
    assert second["taobao"] == 1  # and Taobao, which it left in front, stopped (1: not running)


def test_a_kept_sessions_failure_evidence_is_its_own_tests(one_process: LifeRun) -> None:
    folder = one_process.output / "test_life-test_5_fails_droid"
    log = next(folder.glob("*device_log.txt")).read_text(encoding="utf-8")
    assert "START u0" not in log  # test 4 started Taobao on this session: that is not test 5's log
    assert len(list(folder.glob("*video.mp4"))) == 1  # recorded for this test on the kept session
    passed = [p for p in one_process.output.glob("test_life-test_[124]*/*") if p.suffix == ".mp4"]
    assert passed == []


def test_two_workers_never_drive_one_phone_and_hand_it_over(tmp_path: Path) -> None:
    run = run_life(tmp_path, TWO_WORKER_TESTS, (DROID, APPLE), "-n", "2", "--dist", "load", "--infra-retries", "0")
    assert "12 passed" in run.proc.stdout, run.proc.stdout + run.proc.stderr  # no phone was ever left busy
    workers_of: dict[str, set[str]] = {}
    for row in run.rows:
        workers_of.setdefault(row["session"], set()).add(row["worker"])
    assert all(len(workers) == 1 for workers in workers_of.values()), workers_of  # a session, one worker
    assert len(workers_of) < len(run.rows)  # and some were kept from test to test
    phones_of = {w: {r["phone"] for r in run.rows if r["worker"] == w} for w in ("gw0", "gw1")}
    assert phones_of["gw0"] & phones_of["gw1"], phones_of  # a phone went from one worker to the other
    assert run.busy_at_the_end == []


def test_sessions_per_test_when_asked(tmp_path: Path) -> None:
    run = run_life(tmp_path, TWO_WORKER_TESTS, (DROID, APPLE), "--phone-sessions", "per-test")
    assert "12 passed" in run.proc.stdout, run.proc.stdout + run.proc.stderr
    assert len({r["session"] for r in run.rows}) == 8 + 2 * 4  # a session per phone and test
    assert run.busy_at_the_end == []


FACTORY_TESTS = """
import pytest

from shareflow.devices import Device


@pytest.mark.group
@pytest.mark.link("tmall")
def test_opens_its_phone_by_hand(phone_device, phone_lease, new_phone, scene, link_kind):
    phone = new_phone(phone_lease[0])
    assert phone.name == phone_device.name and phone.driver.get_window_rect()["width"] > 0
    assert (scene, link_kind) == ("group", "tmall")
    with pytest.raises(ValueError, match="not leased to this test"):
        new_phone(Device("other", "android", "12", "embedded"))
"""


def test_a_test_opens_its_leased_phone_with_the_factory_and_its_markers_are_allure_parameters(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", devices=pool(DROID))
    pytester.makepyfile(test_factory=FACTORY_TESTS)
    allure_dir = pytester.path / "allure"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--alluredir", str(allure_dir))
    result.assert_outcomes(passed=1)
    (found,) = [json.loads(p.read_text(encoding="utf-8")) for p in allure_dir.glob("*-result.json")]
    parameters = {p["name"]: (p["value"], p.get("excluded", False)) for p in found["parameters"]}
    assert parameters["scene"] == ("group", False)  # part of the test's identity
    assert parameters["link kind"] == ("tmall", True)  # shown, not part of it


def test_with_n_and_no_dist_each_phones_tests_go_to_one_worker(tmp_path: Path) -> None:
    run = run_life(tmp_path, TWO_WORKER_TESTS, (DROID, APPLE), "-n", "2", "--infra-retries", "0")
    assert "12 passed" in run.proc.stdout, run.proc.stdout + run.proc.stderr
    singles = [r for r in run.rows if str(r["test"]).startswith("test_single")]
    workers_of = {phone: {r["worker"] for r in singles if r["phone"] == phone} for phone in ("droid", "apple")}
    assert all(len(workers) == 1 for workers in workers_of.values()), workers_of
    assert workers_of["droid"] != workers_of["apple"]  # two phones, two workers


def test_the_plugin_runs_without_xdist(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", devices=pool(DROID))
    pytester.makepyfile("def test_x(phone_device):\n    pass\n")
    pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider").assert_outcomes(passed=1)
