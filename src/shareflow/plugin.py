"""The pytest plugin: options, device parametrization, fixtures, evidence, results.

Fixtures are layered pool → device (parametrized; ids name the phone) →
session (``phone``) → screen and apps; ``device_pair``/``phone_pair`` give
ordered pairs of different phones. Phones are leased across xdist workers.
The embedded farm is started once per run, by the first test that needs
it, and shared by all xdist workers; the controller stops it at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import allure
import pytest
from filelock import FileLock

from shareflow import allure_meta, launcher, secrets
from shareflow.apps.taobao import Taobao
from shareflow.apps.wechat import WeChat
from shareflow.devices import Device, DevicesError, load
from shareflow.evidence import Evidence, safe_name
from shareflow.lease import DEFAULT_TIMEOUT_S, lease
from shareflow.outcomes import HARNESS, INFRA_ERRORS, INFRASTRUCTURE, PRODUCT_ERRORS, classify
from shareflow.phone import Phone, open_phone
from shareflow.pool import SelectionError, pairs, select, substitute
from shareflow.providers import CredentialsError, report_status
from shareflow.scheduling import PhoneScheduling
from shareflow.screen import Screen
from shareflow.session import options_for
from shareflow.vision.templates import TemplateLibrary

POOL = pytest.StashKey["RunConfig"]()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
STEP = pytest.StashKey[str]()
TRIED = pytest.StashKey[list[str]]()
BY_PHONE = pytest.StashKey[bool]()
XDIST_CRASH = "???"  # the phase pytest-xdist gives the report of a test its worker died in
MARKERS = {
    "android": "run only on Android phones",
    "ios": "run only on iOS phones",
    "group": "scene: a WeChat group chat",
    "p2p": "scene: a WeChat 1:1 chat",
    "pairs(mode)": "two-phone test pairing: 'cover' (default) or 'all' ordered pairs",
}


@dataclass
class RunConfig:
    """What the run was asked to use, shared by the fixtures.

    ``run_dir`` is shared by the controller and all xdist workers: phone
    leases and the embedded farm's address live there. The farm is started
    by the first test that needs it and stopped by the controller at the end.
    """

    devices_file: Path
    devices: list[Device]
    output: Path
    templates: TemplateLibrary
    screenshot: str
    video: str
    scenario: Path | None
    pairs: str
    run_dir: Path
    lease_timeout: float
    infra_retries: int = 0

    def url(self, device: Device) -> str:
        """Where ``device``'s Appium endpoint is (starting the embedded farm if needed)."""
        return self.farm_url() if device.embedded else device.endpoint

    def farm_url(self) -> str:
        with FileLock(self.run_dir / "farm.lock"):
            url_file = self.run_dir / "farm.url"
            if not url_file.exists():
                farm = launcher.start(self.devices_file, self.scenario, self.output, owner_pid=self.owner_pid)
                (self.run_dir / "farm.pid").write_text(str(farm.process.pid))
                url_file.write_text(farm.url)
            return url_file.read_text()

    @property
    def owner_pid(self) -> int:
        return int((self.run_dir / "owner.pid").read_text())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("shareflow", "shareflow: phones, evidence, virtual farm")
    group.addoption("--devices", default="devices.yaml", help="device pool file (default: devices.yaml)")
    group.addoption("--device", action="append", default=[], help="run on this phone only (repeatable)")
    group.addoption("--platform", choices=["android", "ios"], help="run on phones of this platform only")
    group.addoption(
        "--screenshot", choices=["on", "off", "only-on-failure"], default="on", help="step screenshots (default: on)"
    )
    group.addoption(
        "--video", choices=["on", "off", "retain-on-failure"], default="off", help="record each test (default: off)"
    )
    group.addoption("--output", default="test-results", help="evidence folder (default: test-results)")
    group.addoption("--sim-scenario", default=None, help="scenario file for the embedded virtual farm")
    group.addoption("--pairs", choices=["cover", "all"], default="cover", help="pairing of two-phone tests")
    group.addoption("--templates", default="screenshots", help="template library folder (default: screenshots)")
    group.addoption("--lease-timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait for a busy phone")
    group.addoption(
        "--infra-retries",
        type=int,
        default=1,
        help="times a test that failed on infrastructure (session, device, server) is run again, on a fresh "
        "session and another phone of the same platform when the pool has one; product failures never are "
        "(default: 1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    if config.option.help:
        return
    devices_file = Path(config.getoption("--devices"))
    if not devices_file.is_absolute() and not devices_file.exists():
        devices_file = config.rootpath / devices_file  # run from a subfolder of the project
    try:
        devices = select(load(devices_file), config.getoption("--device"), config.getoption("--platform"))
    except (DevicesError, SelectionError) as exc:
        raise pytest.UsageError(str(exc)) from None
    worker = getattr(config, "workerinput", None)
    scenario = config.getoption("--sim-scenario")
    run = RunConfig(
        devices_file=devices_file,
        devices=devices,
        output=Path(config.getoption("--output")),
        templates=TemplateLibrary(Path(config.getoption("--templates"))),
        screenshot=config.getoption("--screenshot"),
        video=config.getoption("--video"),
        scenario=Path(scenario) if scenario else None,
        pairs=config.getoption("--pairs"),
        run_dir=Path(worker["shareflow_run_dir"]) if worker else Path(tempfile.mkdtemp(prefix="shareflow-run-")),
        lease_timeout=config.getoption("--lease-timeout"),
        infra_retries=config.getoption("--infra-retries"),
    )
    if not worker:
        (run.run_dir / "owner.pid").write_text(str(os.getpid()))
        if run.scenario is not None:
            try:
                launcher.check(run.devices_file, run.scenario)
            except launcher.LaunchError as exc:
                raise pytest.UsageError(f"embedded virtual farm: {exc}") from None
    config.stash[POOL] = run
    config.stash[REPORTS] = {}
    if not worker:
        allure_dir = config.getoption("allure_report_dir", None)
        writer = _ResultsWriter(run.output, Path(allure_dir) if allure_dir else None)
        config.pluginmanager.register(writer, "shareflow-results")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(run), "shareflow-xdist")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Remember whether ``--dist`` was left to xdist's default (before xdist sets it to ``load``)."""
    config.stash[BY_PHONE] = getattr(config.option, "dist", "") == "no"


class _XdistHooks:
    """Hands the run folder (leases, farm address) to every xdist worker; schedules tests by phone."""

    def __init__(self, run: RunConfig) -> None:
        self.run = run

    def pytest_configure_node(self, node: object) -> None:
        node.workerinput["shareflow_run_dir"] = str(self.run.run_dir)  # type: ignore[attr-defined]

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
        if not config.stash.get(BY_PHONE, False) or config.option.dist != "load":
            return None
        return PhoneScheduling(config, log, [d.name for d in config.stash[POOL].devices])


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_unconfigure(config: pytest.Config) -> None:
    if POOL not in config.stash or _is_worker(config):
        return
    run = config.stash[POOL]
    pid_file = run.run_dir / "farm.pid"
    if pid_file.exists():
        launcher.stop_pid(int(pid_file.read_text()))
    shutil.rmtree(run.run_dir, ignore_errors=True)


def _platform_filter(metafunc: pytest.Metafunc, devices: list[Device]) -> list[Device]:
    wanted = {m for m in ("android", "ios") if metafunc.definition.get_closest_marker(m)}
    return [d for d in devices if not wanted or d.platform in wanted]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if POOL not in metafunc.config.stash:
        return
    run = metafunc.config.stash[POOL]
    devices = _platform_filter(metafunc, run.devices)
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", devices, ids=[d.name for d in devices])
    if "device_pair" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("pairs")
        mode = marker.args[0] if marker and marker.args else run.pairs
        chosen = pairs(run.devices, mode)
        metafunc.parametrize("device_pair", chosen, ids=[f"{a.name}-to-{b.name}" for a, b in chosen])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    retries = config.stash[POOL].infra_retries if POOL in config.stash else 0
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        phones = [callspec.params["device"]] if "device" in callspec.params else []
        phones += list(callspec.params.get("device_pair", ()))
        for platform in {p.platform for p in phones}:
            item.add_marker(platform)
        if phones and retries > 0 and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=retries, only_rerun=INFRA_ERRORS, rerun_except=PRODUCT_ERRORS))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    item.config.stash[REPORTS][f"{item.nodeid}:{report.when}"] = report
    if report.failed:
        category = classify(call.excinfo.value if call.excinfo else None)
        report.user_properties.append(("category", category))
        step = item.stash.get(STEP, "")
        if step:
            report.user_properties.append(("step", step))
        if category == INFRASTRUCTURE:
            _attach_what_was_tried(item, report, step)
    return report


def _attach_what_was_tried(item: pytest.Item, report: pytest.TestReport, step: str) -> None:
    """An infrastructure failure's account: the sessions asked for and where, and the step it broke in."""
    lines = [f"infrastructure problem during {report.when}: {_failure_message(report)}", "", "what was tried:"]
    lines += [f"- {entry}" for entry in item.stash.get(TRIED, [])]
    if step:
        lines.append(f"- step {step!r}, where it broke")
    text = secrets.redact("\n".join(lines))
    allure.attach(text, "infrastructure problem", allure.attachment_type.TEXT)
    folder = dict(item.user_properties).get("evidence")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "infrastructure-problem.txt").write_text(text + "\n", encoding="utf-8")


def _failure_message(report: pytest.TestReport) -> str:
    """The first line of what the failure said (the exception's message)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else report.longreprtext.strip()
    return text.strip().splitlines()[0] if text.strip() else "failed"


class _ResultsWriter:
    """Writes each test's result for the run summary (in the controller, under xdist).

    A test whose xdist worker died under it (killed, out of memory) is written too, as a harness failure,
    and given the Allure result its worker could not write.
    """

    def __init__(self, output: Path, allure_dir: Path | None) -> None:
        self.output = output
        self.allure_dir = allure_dir

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        crashed = report.when == XDIST_CRASH  # type: ignore[comparison-overlap]
        if report.when != "call" and not (report.failed or report.skipped or report.outcome == "rerun"):
            return
        props = dict(report.user_properties)
        if "output" not in props and not crashed:
            return
        if crashed:
            message = str(report.longrepr)  # "worker 'gw1' crashed while running '...'"
            if self.allure_dir is not None and report.failed:  # not when it is to run again
                allure_meta.crashed_result(self.allure_dir, report.nodeid, message)
        else:
            message = _failure_message(report) if report.outcome in ("failed", "rerun") else ""
        record = {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "phones": props.get("phones", ""),
            "category": HARNESS if crashed else props.get("category", ""),
            "step": props.get("step", ""),
            "message": secrets.redact(message),
            "evidence": props.get("evidence", ""),
            "duration_s": round(report.duration, 2),
        }
        output = Path(props.get("output", self.output))
        output.mkdir(parents=True, exist_ok=True)
        with (output / "results.jsonl").open("a", encoding="utf-8") as file:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")


# -- fixtures ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def shareflow_run(pytestconfig: pytest.Config) -> RunConfig:
    """The run's configuration: selected pool, output folder, templates."""
    return pytestconfig.stash[POOL]


@pytest.fixture(scope="session")
def pool(shareflow_run: RunConfig) -> list[Device]:
    """The selected phones."""
    return shareflow_run.devices


def _failure(request: pytest.FixtureRequest) -> pytest.TestReport | None:
    """The report of the test's failed setup or call, if either failed."""
    reports = request.config.stash[REPORTS]
    found = (reports.get(f"{request.node.nodeid}:{when}") for when in ("setup", "call"))
    return next((report for report in found if report is not None and report.failed), None)


@pytest.fixture
def evidence_dir(request: pytest.FixtureRequest, shareflow_run: RunConfig) -> Path:
    """This test's evidence folder under --output."""
    module, _, name = request.node.nodeid.partition("::")
    attempt = getattr(request.node, "execution_count", 1)
    retry = f"-retry{attempt - 1}" if attempt > 1 else ""  # a retry keeps the failed run's evidence
    folder = shareflow_run.output / (safe_name(f"{Path(module).stem}-{name}") + retry)
    shutil.rmtree(folder, ignore_errors=True)  # evidence of an earlier run of this test
    request.node.user_properties += [("output", str(shareflow_run.output)), ("evidence", str(folder))]
    return folder


def _asked(device: Device) -> str:
    """The capabilities a session on ``device`` asks for, as JSON, credentials masked."""
    try:
        return secrets.redact(json.dumps(options_for(device).to_capabilities(), ensure_ascii=False, sort_keys=True))
    except CredentialsError as exc:
        return f"(no capabilities: {exc})"


@pytest.fixture
def _phones(request: pytest.FixtureRequest, shareflow_run: RunConfig, evidence_dir: Path) -> Iterator[list[Phone]]:
    """Leases the test's phones and opens a session on each."""
    devices: list[Device] = []
    if "device" in request.fixturenames:
        devices.append(request.getfixturevalue("device"))
    if "device_pair" in request.fixturenames:
        devices += list(request.getfixturevalue("device_pair"))
    for device in devices:
        allure.dynamic.parameter(f"{device.name} OS", f"{device.platform} {device.os_version}")
    attempt = getattr(request.node, "execution_count", 1)
    if attempt > 1:  # an infrastructure failure: run again on a fresh session, another phone if there is one
        named = {d.name for d in devices}
        devices = [substitute(d, shareflow_run.devices, named) for d in devices]
        allure.dynamic.parameter("retry", f"{attempt - 1} on {', '.join(d.name for d in devices)}", excluded=True)
    request.node.user_properties.append(("phones", ", ".join(d.name for d in devices)))
    evidence = Evidence(evidence_dir)
    evidence.on_step = lambda title: request.node.stash.__setitem__(STEP, title)
    opened: list[Phone] = []
    tried = request.node.stash.setdefault(TRIED, [])
    with lease(shareflow_run.run_dir / "leases", devices, shareflow_run.lease_timeout) as waited:
        tried.append(f"leased {', '.join(d.name for d in devices)} after {waited:.1f} s")
        try:
            for device in devices:
                where = f"{secrets.redact(shareflow_run.url(device))} ({device.provider})"
                tried.append(f"session on {device.name} at {where}, asking {_asked(device)}")
                phone = open_phone(
                    device,
                    shareflow_run.url(device),
                    shareflow_run.templates,
                    evidence,
                    shareflow_run.screenshot,
                    shareflow_run.video,
                    shareflow_run.run_dir / "chats",
                )
                tried[-1] += f": opened {phone.driver.session_id}"
                opened.append(phone)
            yield opened
        finally:
            failure = _failure(request)
            failed = failure is not None
            for phone in opened:
                if failed:
                    phone.attach_failure_evidence(screen=shareflow_run.screenshot != "off")
                phone.stop_video(keep=shareflow_run.video == "on" or failed)
                report_status(phone.driver, phone.device, not failed, _failure_message(failure) if failure else "")
                phone.close()


@pytest.fixture
def phone(device: Device, _phones: list[Phone]) -> Phone:
    """The test's phone, with an Appium session, its screen and evidence."""
    return _phones[0]


@pytest.fixture
def phone_pair(device_pair: tuple[Device, Device], _phones: list[Phone]) -> tuple[Phone, Phone]:
    """The two phones of a two-phone test: (sender, receiver)."""
    return _phones[-2], _phones[-1]


@pytest.fixture
def screen(phone: Phone) -> Screen:
    """The test phone's screen: expect, expect_not and tap by template."""
    return phone.screen


@pytest.fixture
def taobao(phone: Phone) -> Taobao:
    """Taobao on the test's phone."""
    return Taobao(phone)


@pytest.fixture
def wechat(phone: Phone) -> WeChat:
    """WeChat on the test's phone."""
    return WeChat(phone)
