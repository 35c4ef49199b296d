"""The pytest plugin: options, phone parametrization, fixtures, evidence, results.

Fixtures are layered pool → ``phone_device`` (parametrized; ids name the phone) →
``phone_lease`` (the test's phones, leased to it) → ``new_phone`` (a factory that
opens a leased phone for the test) → ``phone`` → screen and apps;
``phone_device_pair``/``phone_pair`` give ordered pairs of different phones.
``artifacts`` decides what evidence a test keeps. Phones are leased across xdist
workers per test; a phone's Appium session is kept for the worker's next test on
it while no other worker had the phone (:mod:`shareflow.keeper`). The embedded
farm is started once per run, by the first test that needs it, and shared by
all xdist workers; the controller stops it at the end (:class:`launcher.SharedFarm`).

Installed in a project that does not use it, the plugin stays inert: it
acts only when a devices file is at the rootdir or a shareflow option is
given. Its options have names of their own (``--phone``, ``--phones-file``,
``--shareflow-output``, ...), so it starts next to pytest-playwright, whose
``--device``, ``--output``, ``--video`` and ``--screenshot`` it leaves alone;
the older names still work where no other plugin took them, with a
deprecation note. Relative paths are taken from the rootdir.

Secrets (cloud credentials, ``${VAR}`` values, their Basic-auth form) are registered in every
process and masked in every test report (before JUnit XML, the terminal, Allure and results.jsonl
see it) and in the Allure results. A failure certain to repeat (an unreachable endpoint, a missing
credential) is told once: later tests that meet it fail at once, referring to the first, and are
not retried where the retry would meet it too. The run folder is a temporary folder, removed at
the end however the run ends; before it exists, every input is checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import allure
import pytest
from filelock import FileLock
from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow import allure_meta, launcher, machine, providers, records, secrets
from shareflow.apps.taobao import Taobao
from shareflow.apps.wechat import WeChat
from shareflow.artifacts import SCREENSHOT_MODES, VIDEO_MODES, Artifacts, ScreenshotMode, VideoMode
from shareflow.devices import PLATFORMS, Device, DevicesError, load
from shareflow.errors import UsageError
from shareflow.evidence import safe_name
from shareflow.keeper import SessionKeeper
from shareflow.lease import DEFAULT_TIMEOUT_S, lease
from shareflow.links import (
    CARRIERS,
    CASHIERS,
    LINK_KINDS,
    PAYMENT_METHODS,
    SCENES,
    Carrier,
    Door,
    LinkKind,
    Offer,
    Outcome,
    PayDoor,
    Scene,
    as_carrier,
    as_cashier,
    as_kind,
    as_method,
    as_scene,
)
from shareflow.outcomes import HARNESS, INFRA_ERRORS, INFRASTRUCTURE, NEVER_RETRIED, classify
from shareflow.phone import Phone
from shareflow.pool import SelectionError, pairs, select, substitute
from shareflow.providers import CredentialsError, report_status
from shareflow.scheduling import PhoneScheduling
from shareflow.screen import Screen
from shareflow.session import SessionError, endpoint_key, open_driver, options_for
from shareflow.vision.templates import TemplateLibrary, project_library, shipped_library

POOL = pytest.StashKey["RunConfig"]()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
STEP = pytest.StashKey[str]()
TRIED = pytest.StashKey[list[str]]()
ARTIFACTS = pytest.StashKey[Artifacts]()
BY_PHONE = pytest.StashKey[bool]()
XDIST_CRASH = "???"  # the phase pytest-xdist gives the report of a test its worker died in
DEVICES_FILE = "devices.yaml"  # looked for at the rootdir: its presence turns the plugin on
ALLURE_RESULTS = "allure-results"  # the output folder's own Allure results (shareflow run's default --alluredir)
NEEDS_TWO = "needs two phones; the selection has one"
MARKERS: dict[str, str] = {
    "android": "run only on Android phones",
    "ios": "run only on iOS phones",
    **{carrier: f"carrier: the test's link travels in {carrier}" for carrier in CARRIERS},
    "group": "scene: a group chat",
    "p2p": "scene: a 1:1 chat",
    "pairs(mode)": "two-phone test pairing: 'cover' (default) or 'all' ordered pairs",
    "link(kind)": f"the kind of link the test shares: {', '.join(LINK_KINDS)} (it is also marked with the kind's name)",
    **{kind: f"link kind: set by link({kind!r})" for kind in LINK_KINDS},
    "payment(cashier, method)": f"a payment door: whether a cashier ({', '.join(CASHIERS)}) lists a payment method "
    f"({', '.join(PAYMENT_METHODS)})",
}
PAYMENT = "payment"  # the marker that names a test's payment door
LINK = "link"  # the marker that names a test's link kind
WORKERS_PER_CPU = 3  # -n auto: a worker per phone, at most this many per CPU (a test mostly waits on its phones)


@dataclass(frozen=True)
class _Option:
    """One plugin option: its own name, the older name kept where free, and how it parses."""

    name: str
    old: str | None
    default: Any
    help: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def dest(self) -> str:
        return "shareflow_" + self.name.removeprefix("--").removeprefix("shareflow-").replace("-", "_")

    @property
    def old_dest(self) -> str:
        return self.dest + "_deprecated"


OPTIONS = (
    _Option("--phones-file", "--devices", DEVICES_FILE, "device pool file (default: devices.yaml at the rootdir)"),
    _Option("--phone", "--device", [], "run on this phone only (repeatable)", (("action", "append"),)),
    _Option(
        "--phone-platform",
        "--platform",
        None,
        "run on phones of this platform only",
        (("choices", PLATFORMS),),
    ),
    _Option(
        "--shareflow-screenshot",
        "--screenshot",
        "on",
        "step screenshots: on, off, only-on-failure (default: on)",
        (("choices", SCREENSHOT_MODES),),
    ),
    _Option(
        "--shareflow-video",
        "--video",
        "off",
        "record each test: on, off, retain-on-failure (default: off)",
        (("choices", VIDEO_MODES),),
    ),
    _Option("--shareflow-output", "--output", "test-results", "evidence folder (default: test-results)"),
    _Option("--sim-scenario", None, None, "scenario file for the embedded virtual farm"),
    _Option(
        "--phone-pairs",
        "--pairs",
        "cover",
        "pairing of two-phone tests: cover, all (default: cover)",
        (("choices", ["cover", "all"]),),
    ),
    _Option(
        "--shareflow-templates",
        "--templates",
        [],
        "a template folder looked in before the shipped library (repeatable)",
        (("action", "append"),),
    ),
    _Option(
        "--lease-timeout",
        None,
        DEFAULT_TIMEOUT_S,
        "seconds to wait for a busy phone (default: 300)",
        (("type", float),),
    ),
    _Option(
        "--phone-sessions",
        None,
        "kept",
        "how long a phone's Appium session lives: kept (for the worker's next test on the phone, while no other "
        "worker had it) or per-test (default: kept)",
        (("choices", ["kept", "per-test"]),),
    ),
    _Option(
        "--infra-retries",
        None,
        1,
        "times a test that failed on infrastructure (session, device, server) is run again, on a fresh "
        "session and another phone of the same platform when the pool has one; product failures never are "
        "(default: 1)",
        (("type", int),),
    ),
)
GROUP = ("shareflow", "shareflow: phones, evidence, virtual farm")


class NotActive(UsageError):
    """A shareflow fixture was asked for in a project where shareflow is not set up."""


@dataclass
class RunConfig:
    """What the run was asked to use, shared by the fixtures.

    ``run_dir`` is shared by the controller and all xdist workers: phone
    leases (with the note of the session left on each phone), the embedded
    farm's address and the failures certain to repeat (each with the first
    test that met it) live there. ``farm`` is the run's embedded farm, started
    by the first test that needs it and stopped by the controller at the end;
    ``sessions`` are this process's kept sessions.
    """

    devices_file: Path
    devices: list[Device]
    output: Path
    templates: TemplateLibrary
    screenshot: ScreenshotMode
    video: VideoMode
    scenario: Path | None
    pairs: str
    run_dir: Path
    lease_timeout: float
    farm: launcher.SharedFarm
    sessions: SessionKeeper
    infra_retries: int = 0

    def endpoint(self, device: Device) -> str:
        """Where ``device``'s sessions go (starting the embedded farm when it serves ``device``)."""
        return self.farm.endpoint(device)

    @property
    def leases(self) -> Path:
        return self.run_dir / "leases"

    # failures certain to repeat (SessionError.certain), kept in the run folder for every process
    def _met(self, cause: str) -> Path:
        return self.run_dir / "certain" / f"{hashlib.md5(cause.encode()).hexdigest()}.json"

    def met(self, cause: str, test: str, message: str) -> None:
        """Record that ``test`` met ``cause``, saying ``message``, unless a test did before."""
        path = self._met(cause)
        path.parent.mkdir(exist_ok=True)
        with FileLock(path.with_suffix(".lock")):
            if not path.exists():
                temporary = path.with_suffix(".tmp")
                temporary.write_text(json.dumps({"test": test, "message": message}), encoding="utf-8")
                temporary.replace(path)  # readers never see it half written

    def first_met(self, cause: str) -> str | None:
        """The first test that met ``cause``; None while none has."""
        path = self._met(cause)
        return json.loads(path.read_text(encoding="utf-8"))["test"] if path.exists() else None

    def causes_met(self) -> list[dict[str, str]]:
        """Every cause met so far: the first test that met it and what it said."""
        found = [json.loads(p.read_text(encoding="utf-8")) for p in (self.run_dir / "certain").glob("*.json")]
        return sorted(found, key=lambda record: record["test"])

    def known_failure(self, device: Device, url: str | None) -> SessionError | None:
        """The error a session on ``device`` (at ``url``, when known) will end in, when a test met its cause already.

        Its message is short and names that test, where the whole story was told.
        """
        causes = [(endpoint_key(url), f"Appium server {secrets.redact(url)} is unreachable")] if url else []
        variable = providers.missing_credential(device)
        if variable:
            needs = f"provider {device.provider} needs the environment variable {variable}, which is not set"
            causes.append((f"${variable}", needs))
        for cause, problem in causes:
            first = self.first_met(cause)
            if first is not None:
                return SessionError(f"{device.name}: {problem} (see the first failure: {first})", cause)
        return None


# -- options ---------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(*GROUP)
    for option in OPTIONS:
        group.addoption(option.name, dest=option.dest, default=None, help=option.help, **dict(option.kwargs))


def _taken(parser: pytest.Parser) -> set[str]:
    """Every option name some plugin or conftest registered."""
    groups = [parser._anonymous, *parser._groups]  # pytest has no public list of them
    return {name for group in groups for option in group.options for name in option.names()}


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(parser: pytest.Parser) -> Iterator[None]:
    """Register the older option names once every plugin and the rootdir's conftests have theirs: only free ones."""
    yield
    taken = _taken(parser)
    group = parser.getgroup(*GROUP)
    for option in OPTIONS:
        if option.old is not None and option.old not in taken:
            kwargs = dict(option.kwargs)
            group.addoption(option.old, dest=option.old_dest, default=None, help=f"deprecated: {option.name}", **kwargs)


def _value(config: pytest.Config, option: _Option, warn: bool = True) -> Any:
    """An option's value: its own name, else its older name (with a deprecation note), else the default."""
    value = config.getoption(option.dest, None)
    old = config.getoption(option.old_dest, None) if option.old else None
    if old is not None and warn:
        config.issue_config_time_warning(
            pytest.PytestDeprecationWarning(f"shareflow: {option.old} is deprecated; use {option.name}"), stacklevel=2
        )
        if value is None:
            value = old
    return option.default if value is None else value


def _given(config: pytest.Config) -> list[str]:
    """The shareflow options given on this run (their names as typed)."""
    given = [o.name for o in OPTIONS if config.getoption(o.dest, None) not in (None, [])]
    return given + [o.old for o in OPTIONS if o.old and config.getoption(o.old_dest, None) not in (None, [])]


def _from_root(config: pytest.Config, path: str) -> Path:
    """A path option's value, relative paths taken from the rootdir."""
    return Path(path) if Path(path).is_absolute() else config.rootpath / path


def _devices_file(config: pytest.Config) -> Path | None:
    """The pool file this run uses, or None when shareflow is not used here (inert)."""
    named = {o.name: _value(config, o) for o in OPTIONS}
    path = _from_root(config, named["--phones-file"])
    if path.exists():
        return path
    given = _given(config)
    if given:
        raise pytest.UsageError(f"shareflow: {given[0]} given but there is no device pool file {path}")
    return None


# -- configuration ---------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    """Validate every input, then set the run up.

    Nothing is created or removed before the inputs are known good: a usage error leaves no
    temporary folder behind and the output folder as it was (an earlier run's records go at
    the session's start, see :class:`_ResultsWriter`).
    """
    if config.option.help:
        return
    devices_file = _devices_file(config)
    if devices_file is None:
        return  # not used in this project: inert
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    value = {o.name: _value(config, o) for o in OPTIONS}
    try:
        pool = load(devices_file)
        devices = select(pool, value["--phone"], value["--phone-platform"], ("--phone", "--phone-platform"))
    except (DevicesError, SelectionError) as exc:
        raise pytest.UsageError(str(exc)) from None
    providers.register_secrets(pool)  # in every process: the controller writes what workers report
    _check_values(config, value)
    worker = getattr(config, "workerinput", None)
    scenario = _from_root(config, value["--sim-scenario"]) if value["--sim-scenario"] else None
    output = _from_root(config, value["--shareflow-output"])
    if not worker and scenario is not None:
        try:
            launcher.check(devices_file, scenario)  # once per run (`shareflow run` has checked them already)
        except launcher.FarmInputsError as exc:
            raise pytest.UsageError(f"embedded virtual farm: {exc}") from None
    run_dir = Path(worker["shareflow_run_dir"]) if worker else Path(tempfile.mkdtemp(prefix="shareflow-run-"))
    run = RunConfig(
        devices_file=devices_file,
        devices=devices,
        output=output,
        templates=TemplateLibrary(
            *(_from_root(config, t) for t in value["--shareflow-templates"]),
            *project_library(config.rootpath),  # shareflow calibrate's libraries
            shipped_library(),
        ),
        screenshot=value["--shareflow-screenshot"],
        video=value["--shareflow-video"],
        scenario=scenario,
        pairs=value["--phone-pairs"],
        run_dir=run_dir,
        lease_timeout=value["--lease-timeout"],
        farm=launcher.SharedFarm(run_dir, devices_file, scenario, output),
        sessions=SessionKeeper(run_dir / "leases", enabled=value["--phone-sessions"] == "kept"),
        infra_retries=value["--infra-retries"],
    )
    config.stash[POOL] = run  # from here on, pytest_unconfigure removes the run folder
    config.stash[REPORTS] = {}
    allure_dir = config.getoption("allure_report_dir", None)
    if not worker:
        run.farm.own()
        writer = _ResultsWriter(run, Path(allure_dir) if allure_dir else None)
        config.pluginmanager.register(writer, "shareflow-results")
    if allure_dir:
        allure_meta.tidy_results(Path(allure_dir).absolute())
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(run), "shareflow-xdist")


def _check_values(config: pytest.Config, value: dict[str, Any]) -> None:
    """Option values argparse lets through that cannot be used: a negative wait or count, a folder that is not."""
    for name in ("--lease-timeout", "--infra-retries"):
        if value[name] < 0:
            raise pytest.UsageError(f"shareflow: {name} {value[name]:g}: must be zero or more")
    for folder in value["--shareflow-templates"]:
        if not _from_root(config, folder).is_dir():
            raise pytest.UsageError(f"shareflow: --shareflow-templates {folder}: no such folder")
    output = _from_root(config, value["--shareflow-output"])
    if output.exists() and not output.is_dir():
        raise pytest.UsageError(f"shareflow: --shareflow-output {output}: is a file, not a folder")


def _clear_earlier_run(output: Path, allure_dir: Path | None) -> None:
    """Remove an earlier run's records from ``output``, and the contents of its default allure-results.

    A --alluredir elsewhere is the user's own and left alone (allure-pytest's --clean-alluredir clears it).
    """
    for name in (records.RESULTS, records.LINK_OUTCOMES):
        (output / name).unlink(missing_ok=True)
    if allure_dir is None or allure_dir.resolve() != (output / ALLURE_RESULTS).resolve() or not allure_dir.is_dir():
        return
    for entry in allure_dir.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, int | pytest.ExitCode, int | pytest.ExitCode]:
    """Remember whether ``--dist`` was left to xdist's default, before xdist's own hook sets it to ``load``.

    A wrapper, since xdist's hook is ``tryfirst`` too and may be called first.
    """
    left = getattr(config.option, "dist", "") == "no" and not getattr(config.option, "distload", False)
    config.stash[BY_PHONE] = left
    return (yield)


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # pytest-xdist's hook: unknown without it (-p no:xdist)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (``shareflow run``'s default): a worker per selected phone, at most ``WORKERS_PER_CPU`` per CPU.

    Tests are dealt out by phone, so more workers than phones would idle; and a test mostly waits on
    its phones, so a CPU serves several. One phone runs without xdist. Left to xdist when
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` is set or shareflow is not used here; a bad pool or option is
    said later, by :func:`pytest_configure`.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        devices_file = _devices_file(config)
        if devices_file is None:
            return None
        value = {o.name: _value(config, o, warn=False) for o in OPTIONS}
        selected = select(load(devices_file), value["--phone"], value["--phone-platform"])
    except (pytest.UsageError, DevicesError, SelectionError):
        return None
    return auto_workers(len(selected))


def auto_workers(phones: int, cpus: int | None = None) -> int:
    """Workers for ``phones`` phones on ``cpus`` CPUs (this machine's by default): 0 means no xdist."""
    if cpus is None:
        cpus = machine.cpus()
    workers = min(phones, max(1, cpus) * WORKERS_PER_CPU)
    return workers if workers > 1 else 0


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Each failure certain to repeat, said once in full: the tests that met it later said it in one line."""
    if POOL not in config.stash or _is_worker(config):
        return
    met = config.stash[POOL].causes_met()
    if met:
        terminalreporter.section("shareflow: failures certain to repeat (later tests that met one failed at once)")
        for record in met:
            terminalreporter.line(f"{record['message']}\n    first met by {record['test']}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Each process ends the sessions it kept (before the controller stops the farm)."""
    if POOL in session.config.stash:
        session.config.stash[POOL].sessions.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller stops the farm and removes the run folder: after a pass, a failure or Ctrl-C alike."""
    if POOL not in config.stash or _is_worker(config):
        return
    run = config.stash[POOL]
    run.sessions.close()
    run.farm.stop()
    shutil.rmtree(run.run_dir, ignore_errors=True)


# -- collection ------------------------------------------------------------------------------
def _platform_filter(metafunc: pytest.Metafunc, devices: list[Device]) -> list[Device]:
    wanted = {m for m in PLATFORMS if metafunc.definition.get_closest_marker(m)}
    return [d for d in devices if not wanted or d.platform in wanted]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if POOL not in metafunc.config.stash:
        return
    run = metafunc.config.stash[POOL]
    devices = _platform_filter(metafunc, run.devices)
    if "phone_device" in metafunc.fixturenames:
        metafunc.parametrize("phone_device", devices, ids=[d.name for d in devices])
    if "phone_device_pair" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("pairs")
        mode = marker.args[0] if marker and marker.args else run.pairs
        chosen = pairs(run.devices, mode)
        if chosen:
            metafunc.parametrize("phone_device_pair", chosen, ids=[f"{a.name}-to-{b.name}" for a, b in chosen])
        else:
            skip = pytest.mark.skip(reason=NEEDS_TWO)
            metafunc.parametrize("phone_device_pair", [pytest.param(None, marks=skip)], ids=["one-phone"])


def _devices_of(item: pytest.Item) -> list[Device]:
    """The phones a collected test runs on (sender first for a pair); none for a test without phones."""
    params = getattr(item, "callspec", None)
    if params is None:
        return []
    single = params.params.get("phone_device")
    pair = params.params.get("phone_device_pair")
    return ([single] if single is not None else []) + (list(pair) if pair is not None else [])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POOL not in config.stash:
        return
    retries = config.stash[POOL].infra_retries
    for item in items:
        phones = _devices_of(item)
        for platform in {p.platform for p in phones}:
            item.add_marker(platform)
        kind = link_kind_of(item)
        if kind is not None:  # -m douyin selects the tests of a link kind
            item.add_marker(kind)
        if phones and retries > 0 and not item.get_closest_marker("flaky"):
            helps = _RetryHelps(config.stash[POOL], phones)
            marker = pytest.mark.flaky(
                reruns=retries, only_rerun=INFRA_ERRORS, rerun_except=NEVER_RETRIED, condition=helps
            )
            item.add_marker(marker)


class _RetryHelps:
    """The retry marker's condition: whether running a test again may end otherwise.

    Not when it failed on a cause certain to repeat (an unreachable endpoint, a missing credential) and
    its retry's phones (another of the platform where the pool has one) are known to meet one too.
    """

    def __init__(self, run: RunConfig, devices: Sequence[Device]) -> None:
        self.run, self.devices = run, devices

    def __call__(self, error: BaseException | None) -> bool:
        if not (isinstance(error, SessionError) and error.certain):
            return True
        named = {d.name for d in self.devices}
        retry = [substitute(d, self.run.devices, named) for d in self.devices]
        return all(self.run.known_failure(d, launcher.endpoint(d)) is None for d in retry)


# -- the report's identity of a test -----------------------------------------------------------
def carrier_of(item: pytest.Item) -> Carrier | None:
    """The carrier a test's marker names (``wechat``, ``qq``); None without one."""
    return next((c for c in CARRIERS if item.get_closest_marker(c)), None)


def door_of(item: pytest.Item) -> Door | None:
    """The door a test's markers name (a carrier, a scene and ``link(kind)``); None without all three."""
    carrier, scene, kind = carrier_of(item), scene_of(item), link_kind_of(item)
    return Door(carrier, scene, kind) if carrier and scene and kind else None


def pay_door_of(item: pytest.Item) -> PayDoor | None:
    """The payment door a test's ``payment(cashier, method)`` marker names; None without one (or a known one)."""
    marker = item.get_closest_marker(PAYMENT)
    if marker is None or len(marker.args) != 2:
        return None
    cashier, method = as_cashier(marker.args[0]), as_method(marker.args[1])
    return PayDoor(cashier, method) if cashier and method else None


def scene_of(item: pytest.Item) -> Scene | None:
    """The scene a test's marker names (``group``, ``p2p``); None without one."""
    return next((s for s in SCENES if item.get_closest_marker(s)), None)


def link_kind_of(item: pytest.Item) -> LinkKind | None:
    """The link kind a test's ``link`` marker names; None without one (or when it names no known kind)."""
    marker = item.get_closest_marker(LINK)
    return as_kind(marker.args[0]) if marker and marker.args else None


def _parameters(item: pytest.Item) -> list[allure_meta.Param]:
    """The Allure parameters the plugin gives a test: its phones and other parameters as text, its scene, its link kind.

    These are the parameters that make a test's identity (its history across runs); the OS of each
    phone is shown but excluded. A test's own parameters (an outcome observed, expected) must be excluded.
    """
    callspec = getattr(item, "callspec", None)
    found = [
        allure_meta.Param(name, allure_meta.as_text(value))
        for name, value in (callspec.params if callspec else {}).items()
    ]
    carrier, scene = carrier_of(item), scene_of(item)
    if carrier is not None:
        found.append(allure_meta.Param("carrier", carrier))
    if scene is not None:
        found.append(allure_meta.Param("scene", scene))
    kind = link_kind_of(item)
    if kind is not None:  # shown, not part of the identity (as a test's own parameters that say it are)
        found.append(allure_meta.Param("link kind", kind, excluded=True))
    found += [allure_meta.Param(f"{d.name} OS", d.kind, excluded=True) for d in _devices_of(item)]
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if POOL not in item.config.stash:
        return
    door = door_of(item)
    phones = _devices_of(item)
    item.user_properties += [("device", phones[0].name)] if phones else []
    if door and "record_link_outcome" in getattr(item, "fixturenames", ()):
        # the matrix's cells are the tests that record a link outcome or a payment offer; a share flow or a
        # two-phone test is marked with its door too (its report's parameters), but holds no cell
        item.user_properties += [("carrier", door.carrier), ("scene", door.scene), ("kind", door.kind)]
    pay_door = pay_door_of(item)
    if pay_door and "record_payment_offer" in getattr(item, "fixturenames", ()):
        item.user_properties += [("cashier", pay_door.cashier), ("method", pay_door.method)]
    params = _parameters(item)
    for param in params:
        allure.dynamic.parameter(param.name, param.value, excluded=param.excluded)
    matrix = os.environ.get(allure_meta.MATRIX_URL_VAR)
    if matrix and _devices_of(item):
        allure.dynamic.link(matrix, name="connectivity matrix")  # type: ignore[no-untyped-call]
    allure_dir = item.config.getoption("allure_report_dir", None)
    if allure_dir:  # what a crashed worker's test is reported under (see _ResultsWriter)
        callspec = getattr(item, "callspec", None)
        identity = allure_meta.identity(item, params, callspec.params if callspec else {})
        allure_meta.remember(item.config.stash[POOL].run_dir, item.nodeid, identity)


# -- reports ---------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Masks secrets in the report before JUnit XML, the terminal, results.jsonl and allure-pytest see it.

    allure-pytest's wrapper, registered later, runs outside this one. A failure a test met before (a known
    unreachable endpoint, a missing credential) is told in one line.
    """
    report = yield
    if POOL not in item.config.stash:
        return report
    run = item.config.stash[POOL]
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, SessionError) and error.certain and run.first_met(error.certain) not in (None, item.nodeid):
        report.longrepr = call.excinfo.getrepr(style="value", chain=False)  # type: ignore[union-attr]
    _mask(report)
    item.config.stash[REPORTS][f"{item.nodeid}:{report.when}"] = report
    if report.failed:
        category = classify(call.excinfo.value if call.excinfo else None)
        report.user_properties.append(("category", category))
        step = item.stash.get(STEP, "")
        if step:
            report.user_properties.append(("step", step))
        if category == INFRASTRUCTURE:
            _attach_what_was_tried(item, report, step)
    if report.when == "call" or (report.when == "setup" and report.failed):
        _take_evidence(item, failed=report.failed)
    return report


def _mask(report: pytest.TestReport) -> None:
    """Secrets out of everything a report carries: the traceback (arguments, locals, messages), the output captured."""
    report.longrepr = secrets.redact_all(report.longrepr)
    report.sections = secrets.redact_all(report.sections)
    report.user_properties = secrets.redact_all(report.user_properties)


def _take_evidence(item: pytest.Item, failed: bool) -> None:
    """The test's closing evidence, attached to the test itself (not to a fixture's teardown): :class:`Artifacts`."""
    artifacts = item.stash.get(ARTIFACTS, None)
    if artifacts is not None:
        artifacts.finish(failed)


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
        Path(str(folder)).mkdir(parents=True, exist_ok=True)
        (Path(str(folder)) / "infrastructure-problem.txt").write_text(text + "\n", encoding="utf-8")


def _failure_message(report: pytest.TestReport) -> str:
    """The first line of what the failure said (the exception's message)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else report.longreprtext.strip()
    return text.strip().splitlines()[0] if text.strip() else "failed"


class _ResultsWriter:
    """Writes each test's result for the run summary (in the controller, under xdist), and Allure's metadata.

    A test whose xdist worker died under it (killed, out of memory) is written too, as a harness failure,
    and given the Allure result its worker could not write. At the end of the run, categories.json,
    environment.properties (the phones that ran) and executor.json go into the Allure results.
    """

    def __init__(self, run: RunConfig, allure_dir: Path | None) -> None:
        self.run = run
        self.allure_dir = allure_dir
        self.phones: dict[str, None] = {}  # the phones that ran a test, in the order seen

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """An earlier run's records go once every plugin and conftest has checked its inputs (before xdist's workers).

        A listing (--collect-only) runs no test and leaves them.
        """
        if not session.config.option.collectonly:
            _clear_earlier_run(self.run.output, self.allure_dir)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        crashed = str(report.when) == XDIST_CRASH
        if report.when != "call" and not (report.failed or report.skipped or str(report.outcome) == "rerun"):
            return
        props = dict(report.user_properties)
        if "output" not in props and not crashed:
            return
        if crashed:
            message = secrets.redact(str(report.longrepr))  # "worker 'gw1' crashed while running '...'"
            if self.allure_dir is not None and report.failed:  # not when it is to run again
                identity = allure_meta.recall(self.run.run_dir, report.nodeid)
                allure_meta.crashed_result(self.allure_dir, report.nodeid, message, identity)
        else:
            message = _failure_message(report) if report.outcome in ("failed", "rerun") else ""
        self.phones.update(dict.fromkeys(p for p in str(props.get("phones", "")).split(", ") if p))
        record = records.ResultRecord(
            nodeid=report.nodeid,
            when=str(report.when),
            outcome=report.outcome,
            phones=str(props.get("phones", "")),
            category=HARNESS if crashed else str(props.get("category", "")),
            step=str(props.get("step", "")),
            message=secrets.redact(message),
            evidence=str(props.get("evidence", "")),
            duration_s=round(report.duration, 2),
            device=str(props.get("device", "")),
            scene=as_scene(props.get("scene")),
            kind=as_kind(props.get("kind")),
            carrier=as_carrier(props.get("carrier")),
            cashier=as_cashier(props.get("cashier")),
            method=as_method(props.get("method")),
        )
        records.append(Path(str(props.get("output", self.run.output))) / records.RESULTS, record)

    def pytest_sessionfinish(self) -> None:
        if self.allure_dir is None:
            return
        ran = [d for name in self.phones for d in self.run.devices if d.name == name]
        allure_meta.write(self.allure_dir, ran, self.run.scenario)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def shareflow_run(pytestconfig: pytest.Config) -> RunConfig:
    """The run's configuration: selected pool, output folder, templates."""
    if POOL not in pytestconfig.stash:
        raise NotActive(
            f"shareflow is not set up in this project: put a {DEVICES_FILE} at the rootdir "
            f"({pytestconfig.rootpath}) or pass --phones-file FILE"
        )
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
    """This test's evidence folder under the output folder."""
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
def artifacts(request: pytest.FixtureRequest, shareflow_run: RunConfig, evidence_dir: Path) -> Artifacts:
    """What evidence this test keeps (``--shareflow-screenshot``, ``--shareflow-video``), in its evidence folder."""
    found = Artifacts(evidence_dir, shareflow_run.screenshot, shareflow_run.video)
    found.evidence.on_step = lambda title: request.node.stash.__setitem__(STEP, title)
    request.node.stash[ARTIFACTS] = found  # its closing evidence is taken as the test's report is made
    return found


@pytest.fixture
def phone_lease(
    request: pytest.FixtureRequest, shareflow_run: RunConfig, artifacts: Artifacts
) -> Iterator[list[Device]]:
    """The test's phones (sender first for a pair), leased to this test for its length.

    On a retry after an infrastructure failure, another phone of the platform where the pool has one.
    A phone whose endpoint or credential a test met failing already fails the test at once, unleased
    (the test's ``artifacts`` are set up first: a failure here has its record and evidence folder).
    """
    devices = _devices_of(request.node)
    attempt = getattr(request.node, "execution_count", 1)
    if attempt > 1:  # an infrastructure failure: run again on a fresh session, another phone if there is one
        named = {d.name for d in devices}
        devices = [substitute(d, shareflow_run.devices, named) for d in devices]
        allure.dynamic.parameter("retry", f"{attempt - 1} on {', '.join(d.name for d in devices)}", excluded=True)
    request.node.user_properties.append(("phones", ", ".join(d.name for d in devices)))
    tried = request.node.stash.setdefault(TRIED, [])
    for device in devices:  # a cause an earlier test met, certain to fail this one too: at once, not leased
        known = shareflow_run.known_failure(device, shareflow_run.endpoint(device))
        if known is not None:
            raise known
    with lease(shareflow_run.leases, devices, shareflow_run.lease_timeout) as waited:
        tried.append(f"leased {', '.join(d.name for d in devices)} after {waited:.1f} s")
        yield devices


@pytest.fixture
def new_phone(
    request: pytest.FixtureRequest, shareflow_run: RunConfig, phone_lease: list[Device], artifacts: Artifacts
) -> Iterator[Callable[[Device], Phone]]:
    """A factory that opens a phone of the test's lease for the test (as pytest-playwright's ``new_context``).

    ``new_phone(device)`` gives the phone with a session (the one this worker kept from its last test on
    it, else a new one; always a new one on a retry), Taobao and WeChat stopped, the clipboard empty, no
    system alert up, and its screen recorded when a video may be kept. At the test's end each phone's
    session is kept for the next test, or quit after an infrastructure failure: still under the lease.
    """
    opened: list[Phone] = []
    fresh = getattr(request.node, "execution_count", 1) > 1
    tried = request.node.stash.setdefault(TRIED, [])

    def open_phone(device: Device) -> Phone:
        if device not in phone_lease:
            raise ValueError(f"{device.name} is not leased to this test (it has {', '.join(map(str, phone_lease))})")
        phone = _open(shareflow_run, device, artifacts, fresh, tried, request.node.nodeid)
        opened.append(phone)
        return phone

    yield open_phone
    failure = _failure(request)
    broken = failure is not None and dict(failure.user_properties).get("category") == INFRASTRUCTURE
    artifacts.discard()  # still recording only when the test never reached its call
    for phone in opened:
        report_status(phone.driver, phone.device, failure is None, _failure_message(failure) if failure else "")
        shareflow_run.sessions.give_back(phone.device, phone.driver, keep=not broken)


def _open(run: RunConfig, device: Device, artifacts: Artifacts, fresh: bool, tried: list[str], test: str) -> Phone:
    """``device`` ready for a test: its kept session when it still answers, else a new one."""
    url = run.endpoint(device)
    where = f"{secrets.redact(url)} ({device.provider})"
    driver = run.sessions.take(device, url, fresh)
    if driver is not None:
        try:
            phone = _ready(run, device, driver, artifacts, kept=True)
        except (WebDriverException, HTTPError, OSError) as exc:
            said = secrets.redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])
            tried.append(f"session {driver.session_id} kept on {device.name} no longer answered ({said}): quit")
            run.sessions.drop(device, driver)
        else:
            tried.append(f"session on {device.name} at {where}: kept from an earlier test: {driver.session_id}")
            return phone
    tried.append(f"session on {device.name} at {where}, asking {_asked(device)}")
    try:
        driver = open_driver(device, url)
    except SessionError as exc:
        if exc.certain:  # later tests that meet it fail at once, referring to this one
            run.met(exc.certain, test, str(exc))
        raise
    run.sessions.opened(device, driver)
    tried[-1] += f": opened {driver.session_id}"
    try:
        return _ready(run, device, driver, artifacts, kept=False)
    except BaseException:  # not left busy until the server's new-command timeout
        run.sessions.drop(device, driver)
        raise


def _ready(run: RunConfig, device: Device, driver: Any, artifacts: Artifacts, kept: bool) -> Phone:
    """A session wrapped for the test, its phone started afresh and watched by the test's artifacts."""
    phone = Phone.on(device, driver, run.templates, artifacts.evidence, artifacts.screen_mode, run.run_dir / "chats")
    phone.start_afresh(read_log=kept)
    artifacts.watch(phone)
    return phone


@pytest.fixture
def _phones(phone_lease: list[Device], new_phone: Callable[[Device], Phone]) -> list[Phone]:
    """Every phone of the test's lease, opened."""
    return [new_phone(device) for device in phone_lease]


@pytest.fixture
def phone(phone_device: Device, _phones: list[Phone]) -> Phone:
    """The test's phone, with an Appium session, its screen and evidence."""
    return _phones[0]


@pytest.fixture
def phone_pair(phone_device_pair: tuple[Device, Device], _phones: list[Phone]) -> tuple[Phone, Phone]:
    """The two phones of a two-phone test: (sender, receiver)."""
    return _phones[-2], _phones[-1]


@pytest.fixture
def record_link_outcome(
    request: pytest.FixtureRequest, shareflow_run: RunConfig
) -> Callable[[Phone, Outcome, Outcome], None]:
    """Records what tapping the test's link showed on a phone: a row of link-outcomes.jsonl (the matrix's)
    and the observed outcome as an Allure parameter (excluded from the test's identity: it changes with the
    result). The door is the test's markers: a carrier (``wechat``/``qq``), ``p2p``/``group`` and ``link(kind)``.
    """
    door = door_of(request.node)
    if door is None:
        raise pytest.UsageError(
            f"{request.node.nodeid}: record_link_outcome needs a carrier marker ({', '.join(CARRIERS)}), "
            "a p2p or group marker and a link(kind) marker"
        )

    def record(phone: Phone, expected: Outcome, observed: Outcome) -> None:
        allure.dynamic.parameter("observed outcome", observed, excluded=True)
        row = records.LinkOutcome(phone.name, phone.device.kind, *door, expected, observed, str(phone.evidence.folder))
        records.append(shareflow_run.output / records.LINK_OUTCOMES, row)

    return record


@pytest.fixture
def record_payment_offer(
    request: pytest.FixtureRequest, shareflow_run: RunConfig
) -> Callable[[Phone, bool, bool], None]:
    """Records whether the test's cashier listed its payment method on a phone: a row of payment-offers.jsonl (the
    matrix's cashier table) and what was seen as an Allure parameter. The payment door is the test's marker:
    ``payment(cashier, method)``."""
    door = pay_door_of(request.node)
    if door is None:
        raise pytest.UsageError(f"{request.node.nodeid}: record_payment_offer needs a payment(cashier, method) marker")

    def record(phone: Phone, expected: bool, observed: bool) -> None:
        seen: Offer = "offered" if observed else "not_offered"
        allure.dynamic.parameter("observed", seen, excluded=True)
        row = records.PaymentOffer(
            phone.name,
            phone.device.kind,
            *door,
            "offered" if expected else "not_offered",
            seen,
            str(phone.evidence.folder),
        )
        records.append(shareflow_run.output / records.PAYMENT_OFFERS, row)

    return record


@pytest.fixture
def pay_door(request: pytest.FixtureRequest) -> PayDoor:
    """The test's payment door, from its marker: ``@pytest.mark.payment("taobao", "wechat_pay")``."""
    found = pay_door_of(request.node)
    if found is None:
        pytest.fail(f"{request.node.name} has no payment door: mark it @pytest.mark.payment(cashier, method)", False)
    return found


@pytest.fixture
def screen(phone: Phone) -> Screen:
    """The test phone's screen: expect, expect_not and tap by template."""
    return phone.screen


@pytest.fixture
def taobao(phone: Phone) -> Taobao:
    """Taobao on the test's phone."""
    return phone.taobao


@pytest.fixture
def wechat(phone: Phone) -> WeChat:
    """WeChat on the test's phone."""
    return phone.wechat


@pytest.fixture
def door(request: pytest.FixtureRequest) -> Door:
    """The test's door, from its markers: a carrier, a scene and ``@pytest.mark.link(kind)``."""
    found = door_of(request.node)
    if found is None:
        pytest.fail(
            f"{request.node.name} has no door: mark it with a carrier ({', '.join(CARRIERS)}), "
            "@pytest.mark.group or @pytest.mark.p2p, and @pytest.mark.link(kind)",
            False,
        )
    return found


@pytest.fixture
def scene(request: pytest.FixtureRequest) -> Scene:
    """The test's scene, from its marker: ``group`` or ``p2p``."""
    found = scene_of(request.node)
    if found is None:
        pytest.fail(f"{request.node.name} has no scene: mark it @pytest.mark.group or @pytest.mark.p2p", False)
    return found


@pytest.fixture
def link_kind(request: pytest.FixtureRequest) -> LinkKind:
    """The kind of shop link the test shares, from its marker: ``@pytest.mark.link("taobao")``."""
    found = link_kind_of(request.node)
    if found is None:
        kinds = ", ".join(LINK_KINDS)
        pytest.fail(f"{request.node.name} has no link kind: mark it @pytest.mark.link(kind), one of {kinds}", False)
    return found
