"""The pytest plugin: options, device parametrization, markers, the embedded farm's life, evidence, results."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pools import APPLE, DROID, pool

from shareflow import launcher

pytest_plugins = ["pytester"]

# two Android phones, one remote (never contacted: no test here opens a session on it), and an iPhone
POOL = """\
devices:
  - name: mi-11
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
    wechat: {account: wxid_mi, nickname: 小米}
  - name: pixel-7
    platform: android
    os_version: "14"
    endpoint: http://127.0.0.1:9/wd/hub
  - name: iphone-13
    platform: ios
    os_version: "16.7"
    profile: iphone-13
    endpoint: embedded
    wechat: {account: wxid_ip, nickname: 苹果}
"""
NAMES = ("mi-11", "pixel-7", "iphone-13")
# two phones of the embedded farm, for the runs that really start it
FARM_POOL = pool(DROID, APPLE)
INNER_TIMEOUT_S = 120


def farm_pids(devices: str) -> list[int]:
    """Live farm processes started for the pool file ``devices`` (a zombie has no command line)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "shareflow_sim" in argv and devices in argv:
            pids.append(int(proc.name))
    return pids


@pytest.fixture
def pool_file(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "devices.yaml"
    path.write_text(POOL, encoding="utf-8")
    return path


def collected(result: pytest.RunResult) -> list[str]:
    """The test ids a ``--co -q`` run listed."""
    return [line.split("::", 1)[1] for line in result.outlines if "::" in line]


def run_collect(pytester: pytest.Pytester, pool_file: Path, *args: str) -> list[str]:
    result = pytester.runpytest("--co", "-q", "--phones-file", str(pool_file), *args)
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    return collected(result)


# -- parametrization and selection ---------------------------------------------------------
def test_device_ids_name_each_phone(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile(
        "def test_x(phone_device):\n    assert phone_device.name in ('mi-11', 'pixel-7', 'iphone-13')\n"
    )
    result = pytester.runpytest("-v", "--phones-file", str(pool_file))
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([f"*::test_x[[]{name}[]] PASSED*" for name in NAMES], consecutive=False)


def test_device_option_selects_phones(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile("def test_x(phone_device):\n    pass\n")
    ids = run_collect(pytester, pool_file, "--phone", "iphone-13", "--phone", "mi-11")
    assert ids == ["test_x[mi-11]", "test_x[iphone-13]"]


def test_platform_option_filters_phones(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile("def test_x(phone_device):\n    pass\n")
    assert run_collect(pytester, pool_file, "--phone-platform", "ios") == ["test_x[iphone-13]"]
    assert run_collect(pytester, pool_file, "--phone-platform", "android") == ["test_x[mi-11]", "test_x[pixel-7]"]


def test_unknown_device_is_a_usage_error_naming_known_phones(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile("def test_x(phone_device):\n    pass\n")
    result = pytester.runpytest("--phones-file", str(pool_file), "--phone", "nokia-3310")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--phone 'nokia-3310' is not in the pool (known: iphone-13, mi-11, pixel-7)*"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('os_version: "14"', 'os_versoin: "14"'),
            "devices.yaml:10: devices[1] (pixel-7): field 'os_versoin': unknown field",
        ),
        (
            ("platform: ios", "platform: symbian"),
            "devices.yaml:13: devices[2] (iphone-13): field 'platform': 'symbian'",
        ),
        (("name: pixel-7", "name: mi-11"), "devices.yaml:8: devices[1] (mi-11): field 'name': duplicate name"),
    ],
)
def test_malformed_pool_fails_before_any_test_runs(
    pytester: pytest.Pytester, pool_file: Path, change: tuple[str, str], message: str
) -> None:
    pool_file.write_text(POOL.replace(*change), encoding="utf-8")
    ran = pytester.path / "ran"
    pytester.makepyfile(f"from pathlib import Path\n\ndef test_x():\n    Path({str(ran)!r}).touch()\n")
    result = pytester.runpytest_subprocess("--phones-file", str(pool_file))
    assert result.ret == pytest.ExitCode.USAGE_ERROR == 4
    assert f"ERROR: {pool_file.parent}/{message}" in result.stderr.str()
    assert not ran.exists()
    assert "collected" not in result.stdout.str()


def test_older_option_names_still_work_with_a_deprecation_note(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile("def test_x(phone_device):\n    pass\n")
    result = pytester.runpytest("--co", "-q", "--devices", str(pool_file), "--device", "mi-11", "--platform", "android")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    assert collected(result) == ["test_x[mi-11]"]
    result.stdout.fnmatch_lines(["*shareflow: --devices is deprecated; use --phones-file*"])
    result.stdout.fnmatch_lines(["*shareflow: --device is deprecated; use --phone*"])


def test_paths_are_taken_from_the_rootdir(
    pytester: pytest.Pytester, pool_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\n")
    sub = pytester.mkpydir("sub")
    (sub / "test_x.py").write_text("def test_x(phone_device, evidence_dir):\n    evidence_dir.mkdir(parents=True)\n")
    monkeypatch.chdir(sub)
    result = pytester.runpytest("--phones-file", "devices.yaml", "--shareflow-output", "out", "--phone", "mi-11")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "out" / "test_x-test_x_mi-11").is_dir()
    assert not (sub / "out").exists()


def test_two_phone_tests_are_skipped_when_one_phone_is_selected(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile("def test_one(phone_device):\n    pass\n\ndef test_pair(phone_device_pair):\n    pass\n")
    result = pytester.runpytest("-rs", "--phones-file", str(pool_file), "--phone", "mi-11")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*needs two phones; the selection has one*"])


def test_the_plugin_is_inert_without_a_devices_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    given = pytester.runpytest("--phone", "mi-11")
    assert given.ret == pytest.ExitCode.USAGE_ERROR
    given.stderr.fnmatch_lines([f"*--phone given but there is no device pool file {pytester.path}/devices.yaml*"])


def test_default_pool_is_found_from_a_subfolder(
    pytester: pytest.Pytester, pool_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\n")
    sub = pytester.mkpydir("sub")
    (sub / "test_x.py").write_text("def test_x(phone_device):\n    pass\n", encoding="utf-8")
    monkeypatch.chdir(sub)
    result = pytester.runpytest("--co", "-q")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    assert collected(result) == [f"test_x[{name}]" for name in NAMES]


def test_platform_markers_narrow_a_tests_phones(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.ios
        def test_ios(phone_device):
            pass

        @pytest.mark.android
        def test_android(phone_device):
            pass
        """
    )
    assert run_collect(pytester, pool_file) == ["test_ios[iphone-13]", "test_android[mi-11]", "test_android[pixel-7]"]


def test_pairs_cover_and_all(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_pair(phone_device_pair):
            sender, receiver = phone_device_pair
            assert sender != receiver

        @pytest.mark.pairs("all")
        def test_every_pair(phone_device_pair):
            pass
        """
    )
    every = {f"{a}-to-{b}" for a in NAMES for b in NAMES if a != b}
    for mode, cover_count in (("cover", len(NAMES)), ("all", len(every))):
        ids = run_collect(pytester, pool_file, "--phone-pairs", mode)
        pair_ids = [i.removeprefix("test_pair[").removesuffix("]") for i in ids if i.startswith("test_pair[")]
        marked = {i.removeprefix("test_every_pair[").removesuffix("]") for i in ids if i.startswith("test_every_")}
        assert len(pair_ids) == len(set(pair_ids)) == cover_count
        assert set(pair_ids) <= every
        assert marked == every  # the marker overrides --pairs


def test_platform_markers_are_added_to_items(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile(
        """
        def test_one(phone_device):
            pass

        def test_pair(phone_device_pair):
            pass

        def test_no_phone():
            pass
        """
    )
    ios = run_collect(pytester, pool_file, "--phone-pairs", "all", "-m", "ios")
    assert ios == [
        "test_one[iphone-13]",
        "test_pair[mi-11-to-iphone-13]",
        "test_pair[pixel-7-to-iphone-13]",
        "test_pair[iphone-13-to-mi-11]",
        "test_pair[iphone-13-to-pixel-7]",
    ]
    android = run_collect(pytester, pool_file, "--phone-pairs", "all", "-m", "android and not ios")
    assert android == [
        "test_one[mi-11]",
        "test_one[pixel-7]",
        "test_pair[mi-11-to-pixel-7]",
        "test_pair[pixel-7-to-mi-11]",
    ]


def test_door_markers_select_a_door_s_tests(pytester: pytest.Pytester, pool_file: Path) -> None:
    """-m by carrier, by link kind (the plugin marks a link(kind) test with the kind's name) and -m payment."""
    pytester.makepyfile(
        """
        import pytest

        KINDS = [pytest.param(k, marks=pytest.mark.link(k), id=k) for k in ("taobao", "douyin")]

        @pytest.mark.wechat
        @pytest.mark.group
        @pytest.mark.parametrize("kind", KINDS)
        def test_wechat(kind, door):
            assert door == ("wechat", "group", kind)

        @pytest.mark.qq
        @pytest.mark.p2p
        @pytest.mark.link("douyin")
        def test_qq(door):
            assert door.carrier == "qq"

        @pytest.mark.payment("tmall", "wechat_pay")
        def test_pay(pay_door):
            assert pay_door == ("tmall", "wechat_pay")
        """
    )
    selected = {
        marks: run_collect(pytester, pool_file, "--phone", "mi-11", "-m", marks)
        for marks in ("douyin", "qq", "payment", "wechat and not douyin")
    }
    assert selected == {
        "douyin": ["test_wechat[douyin]", "test_qq"],
        "qq": ["test_qq"],
        "payment": ["test_pay"],
        "wechat and not douyin": ["test_wechat[taobao]"],
    }
    assert pytester.runpytest("-p", "no:cacheprovider", "--phones-file", str(pool_file), "--strict-markers").ret == 0


def test_options_and_markers_are_documented(pytester: pytest.Pytester, pool_file: Path) -> None:
    result = pytester.runpytest("--help")
    assert result.ret == pytest.ExitCode.OK
    options = ("--phones-file=", "--phone=", "--phone-platform=", "--shareflow-screenshot=", "--shareflow-video=")
    options += (
        "--shareflow-output=",
        "--sim-scenario=",
        "--phone-pairs=",
        "--shareflow-templates=",
        "--lease-timeout=",
    )
    result.stdout.fnmatch_lines(["shareflow: phones, evidence, virtual farm:", *(f"  {o}*" for o in options)])
    markers = pytester.runpytest("--markers", "--phones-file", str(pool_file))
    markers.stdout.fnmatch_lines([f"@pytest.mark.{m}*" for m in ("android:", "ios:", "group:", "p2p:", "pairs(mode):")])


def test_markers_pass_strict_markers(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.group
        @pytest.mark.p2p
        @pytest.mark.pairs("cover")
        @pytest.mark.android
        def test_x(phone_device_pair):
            pass
        """
    )
    result = pytester.runpytest("--strict-markers", "--phones-file", str(pool_file))
    result.assert_outcomes(passed=3)


def test_bad_sim_scenario_is_a_usage_error_naming_the_key(pytester: pytest.Pytester, pool_file: Path) -> None:
    scenario = pytester.path / "scenario.yaml"
    scenario.write_text("seed: 7\nnoize: {promo_popup: 0}\n", encoding="utf-8")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("--phones-file", str(pool_file), "--sim-scenario", str(scenario))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: embedded virtual farm: *scenario.yaml*unknown key 'noize'*"])


# -- results.jsonl ------------------------------------------------------------------------
RESULT_TESTS = """
def test_fails(evidence_dir):
    assert 1 + 1 == 3, "the sum is off"

def test_breaks(evidence_dir):
    raise RuntimeError("the harness broke")

def test_passes(evidence_dir):
    pass
"""


def read_results(output: Path) -> dict[str, dict[str, object]]:
    lines = (output / "results.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == len({r["nodeid"] for r in records}), "a test was recorded twice"
    return {str(r["nodeid"]).split("::")[-1]: r for r in records}


def test_results_record_failures_with_category_and_message(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile(test_results=RESULT_TESTS)
    output = pytester.path / "out"
    result = pytester.runpytest("--phones-file", str(pool_file), "--shareflow-output", str(output))
    result.assert_outcomes(passed=1, failed=2)
    records = read_results(output)
    assert records.keys() == {"test_fails", "test_breaks", "test_passes"}
    fails, breaks, passes = records["test_fails"], records["test_breaks"], records["test_passes"]
    assert fails["outcome"] == "failed" and fails["when"] == "call"
    assert (fails["category"], fails["message"]) == ("product", "AssertionError: the sum is off")
    assert fails["evidence"] == str(output / "test_results-test_fails")
    assert (breaks["category"], breaks["message"]) == ("harness", "RuntimeError: the harness broke")
    assert (passes["outcome"], passes["category"], passes["message"]) == ("passed", "", "")


def test_results_record_each_test_once_under_xdist(pytester: pytest.Pytester, pool_file: Path) -> None:
    pytester.makepyfile(test_results=RESULT_TESTS)
    output = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "-n", "2", "--phones-file", str(pool_file), "--shareflow-output", str(output)
    )
    result.assert_outcomes(passed=1, failed=2)
    assert read_results(output).keys() == {"test_fails", "test_breaks", "test_passes"}


def test_same_named_tests_of_two_files_keep_their_own_evidence(pytester: pytest.Pytester, pool_file: Path) -> None:
    for module in ("test_one", "test_two"):
        test = "def test_same(evidence_dir):\n    evidence_dir.mkdir(parents=True)\n"
        test += f"    (evidence_dir / '{module}.txt').touch()\n    assert False\n"
        pytester.makepyfile(**{module: test})
    output = pytester.path / "out"
    pytester.runpytest("--phones-file", str(pool_file), "--shareflow-output", str(output)).assert_outcomes(failed=2)
    records = [json.loads(line) for line in (output / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    for record in records:
        module = str(record["nodeid"]).split(".py::")[0]
        assert (Path(str(record["evidence"])) / f"{module}.txt").exists(), record


# -- the embedded farm ----------------------------------------------------------------------
def test_tests_without_phones_do_not_start_the_farm(pytester: pytest.Pytester, pool_file: Path) -> None:
    test = f"""
def test_device_only(phone_device, pool, shareflow_run, evidence_dir):
    assert phone_device in pool
    assert farm_pids({str(pool_file)!r}) == []
    assert not (shareflow_run.run_dir / "farm.url").exists()
"""
    pytester.makepyfile("from pathlib import Path\n\n" + inspect.getsource(farm_pids) + test)
    output = pytester.path / "out"
    result = pytester.runpytest_subprocess("--phones-file", str(pool_file), "--shareflow-output", str(output))
    result.assert_outcomes(passed=3)
    assert not (output / "farm.log").exists()


INNER_CONFTEST = '''
import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest

RECORDS = Path({records!r})
DEVICES = {devices!r}

{farm_pids}

@pytest.fixture
def record(request, shareflow_run):
    """Writes what this test saw of the farm, one file per test."""
    def write(**fields):
        fields.update(
            test=request.node.name,
            worker=os.environ.get("PYTEST_XDIST_WORKER", "controller"),
            farms=farm_pids(DEVICES),
            run_dir=str(shareflow_run.run_dir),
        )
        (RECORDS / f"{{uuid.uuid4().hex}}.json").write_text(json.dumps(fields))
    return write

@pytest.fixture
def status(shareflow_run):
    """GET /status of the farm the run uses."""
    url = shareflow_run.farm.url()
    with urllib.request.urlopen(url + "/status", timeout=10) as answer:
        return url, json.load(answer)["value"]
'''
INNER_TESTS = """
import pytest

def test_0_no_phone(record):
    record(url=None)

def test_phone(phone, status, record):
    url, value = status
    record(url=url, ready=value["ready"], phones=sorted(p["name"] for p in value["phones"]))

def test_other_phone(phone, status, record):
    record(url=status[0])

@pytest.mark.android
def test_fails_on_phone(phone, record):
    record(url=None)
    assert False, "the screen was wrong"
"""


@dataclass(frozen=True)
class FarmRun:
    """A finished pytest run whose tests used phones of the embedded farm."""

    output: Path
    records: list[dict[str, Any]]
    proc: subprocess.CompletedProcess[str]
    farms_after: list[int]

    def saw(self, test_prefix: str) -> list[dict[str, Any]]:
        return [r for r in self.records if str(r["test"]).startswith(test_prefix)]


def run_farm_suite(folder: Path, *args: str) -> FarmRun:
    """Runs INNER_TESTS in a fresh pytest process; returns what its tests recorded."""
    devices, records, output = folder / "devices.yaml", folder / "records", folder / "out"
    devices.write_text(FARM_POOL, encoding="utf-8")
    records.mkdir()
    fields = {"records": str(records), "devices": str(devices), "farm_pids": inspect.getsource(farm_pids)}
    (folder / "conftest.py").write_text(INNER_CONFTEST.format(**fields), encoding="utf-8")
    (folder / "test_inner.py").write_text(INNER_TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--phones-file", str(devices)]
    argv += ["--shareflow-output", str(output), *args]
    proc = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=INNER_TIMEOUT_S)
    found = [json.loads(p.read_text()) for p in sorted(records.iterdir())]
    return FarmRun(output, found, proc, farm_pids(str(devices)))


def assert_one_farm_served(run: FarmRun) -> None:
    assert run.proc.returncode == pytest.ExitCode.TESTS_FAILED, run.proc.stdout + run.proc.stderr
    assert "1 failed, 5 passed" in run.proc.stdout, run.proc.stdout
    users = run.saw("test_phone") + run.saw("test_other_phone")
    assert len(users) == 4
    assert len({r["url"] for r in users}) == 1
    assert all(len(r["farms"]) == 1 for r in users), users
    assert len({r["farms"][0] for r in users}) == 1
    assert all(r["ready"] and r["phones"] == ["apple", "droid"] for r in run.saw("test_phone"))
    assert (run.output / "farm.log").is_file()
    assert run.farms_after == []
    assert not Path(str(run.records[0]["run_dir"])).exists()


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory: pytest.TempPathFactory) -> FarmRun:
    """One run without xdist; failure screenshots only."""
    return run_farm_suite(tmp_path_factory.mktemp("serial"), "--shareflow-screenshot", "only-on-failure")


@pytest.fixture(scope="module")
def xdist_run(tmp_path_factory: pytest.TempPathFactory) -> FarmRun:
    """One run on two xdist workers; no screenshots."""
    return run_farm_suite(
        tmp_path_factory.mktemp("xdist"), "-n", "2", "--dist", "load", "--shareflow-screenshot", "off"
    )


def test_first_phone_test_starts_one_farm_and_the_run_stops_it(serial_run: FarmRun) -> None:
    assert serial_run.saw("test_0_no_phone")[0]["farms"] == []  # runs first and needs no phone: no farm yet
    assert_one_farm_served(serial_run)


def test_one_farm_serves_all_xdist_workers_and_the_controller_stops_it(xdist_run: FarmRun) -> None:
    assert_one_farm_served(xdist_run)
    assert {r["worker"] for r in xdist_run.saw("test_phone") + xdist_run.saw("test_other_phone")} == {"gw0", "gw1"}


def test_failure_leaves_evidence_under_output(serial_run: FarmRun) -> None:
    folder = serial_run.output / "test_inner-test_fails_on_phone_droid"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["01-droid_screen_at_failure.png", "02-droid_page_source.xml", "03-droid_device_log.txt"]
    assert (folder / names[0]).read_bytes().startswith(b"\x89PNG")
    assert "<hierarchy" in (folder / names[1]).read_text(encoding="utf-8")
    passed = [p for p in serial_run.output.glob("test_phone_*/*") if p.suffix == ".png"]
    assert passed == []  # only-on-failure
    records = read_results(serial_run.output)
    failed = records["test_fails_on_phone[droid]"]
    assert (failed["category"], failed["phones"]) == ("product", "droid")
    assert failed["message"] == "AssertionError: the screen was wrong"
    assert failed["evidence"] == str(folder)


def test_screenshot_off_takes_no_screenshots(xdist_run: FarmRun) -> None:
    assert list(xdist_run.output.rglob("*.png")) == []


def test_stopping_a_farm_started_by_this_process_returns_once_it_exits() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        started = time.monotonic()
        launcher.stop_pid(child.pid, timeout=2.0)
        assert time.monotonic() - started < 1.0
    finally:
        child.kill()
        child.wait()
