"""What the Allure report says beside the tests: categories.json, environment.properties, executor.json.

The plugin writes the three files into the allure-results folder at the end of a run. The categories sort
failures the way :func:`shareflow.outcomes.classify` does, by the exception type that
allure-pytest puts at the head of each message ("shareflow.screen.StateNotReached: ...").
Allure 2 matches ``messageRegex`` against the whole message and Allure 3 searches it, so every
pattern is anchored at the start and ends in ``[\\s\\S]*`` (messages run over several lines).

Also here: a test's identity in the report (its parameters as text, and the history id allure-pytest
derives from them), the result of a test whose xdist worker died under it, which allure-pytest, in that
worker, never wrote, under that same identity; and the tidying of what allure-pytest writes
(parameters as text, no fixture entries that say nothing, secrets masked in every text and text attachment).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import allure_commons
import pytest
from allure_commons.model2 import Parameter, TestResult, TestResultContainer
from allure_commons.utils import represent
from allure_pytest.utils import allure_full_name, allure_name, get_history_id

from shareflow import secrets
from shareflow.devices import Device
from shareflow.links import APP_LABELS

PRODUCT_DEFECTS = "Product defects"
UNRECOGNISED_SCREENS = "Unrecognised screen"
DEVICE_SETUP = "Device setup"
INFRASTRUCTURE_PROBLEMS = "Infrastructure problems"
HARNESS_ERRORS = "Harness errors"

_TYPE = r"^(?:[\w.]+\.)?"  # an exception's name, with the module allure-pytest writes before it
# Allure tells categories by the message's text, so the names of the classes of each of errors' bases
# are listed (tests/harness/test_report.py checks every one is), with the client libraries' errors that
# outcomes.classify counts as infrastructure.
_PRODUCT_TYPES = ("AssertionError", "ProductFailure", "WrongState")
_UNRECOGNISED_TYPES = ("UnrecognisedScreen", "StateNotReached", "ElementNotShown")
_SETUP_TYPES = ("DeviceSetupError", "EmptyTree")
_INFRA_TYPES = (
    "InfrastructureError",
    "SessionError",
    "LeaseTimeout",
    "LaunchError",
    "AppNotInFront",
    "ClipboardUnavailable",
    "Unreachable",
    "BrowserError",
    "ReportError",
    "ConnectionError",
    r"Connection\w+Error",
    "BrokenPipeError",
)
_INFRA_MODULES = (r"selenium\.common\.exceptions\.\w+", r"urllib3\.exceptions\.\w+")
_INFRA_WORDS = ("cannot open a session", "is unreachable")  # what session.open_driver says of an endpoint
_represent: Callable[[object], str] = represent  # allure-pytest's text of a parameter's value (untyped)


def _one_of(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


PRODUCT_REGEX = _TYPE + _one_of(*_PRODUCT_TYPES) + r"\b[\s\S]*"
UNRECOGNISED_REGEX = _TYPE + _one_of(*_UNRECOGNISED_TYPES) + r"\b[\s\S]*"
SETUP_REGEX = _TYPE + _one_of(*_SETUP_TYPES) + r"\b[\s\S]*"
INFRASTRUCTURE_REGEX = (
    _one_of(
        _TYPE + _one_of(*_INFRA_TYPES) + r"\b",
        "^" + _one_of(*_INFRA_MODULES) + r"\b",
        r"^[\s\S]*" + _one_of(*_INFRA_WORDS),
    )
    + r"[\s\S]*"
)

CLOUDS = ("browserstack", "saucelabs", "lambdatest")
FARM_KINDS = {"embedded": "embedded", "appium": "appium", "grid": "grid", "device-farm": "grid"}
MATRIX_URL_VAR = "SHAREFLOW_MATRIX_URL"  # where the run's connectivity matrix will be; linked from each test


def categories() -> list[dict[str, Any]]:
    """The failure categories, first match wins: product, unrecognised screen, device setup, infrastructure,
    then the harness."""
    return [
        {
            "name": PRODUCT_DEFECTS,
            "description": "A known wrong state recognised on screen: the app did not do what it should.",
            "matchedStatuses": ["failed", "broken"],
            "messageRegex": PRODUCT_REGEX,
        },
        {
            "name": UNRECOGNISED_SCREENS,
            "description": "What a step waited for did not show, and the screen matched no known wrong state: "
            "see the screen at failure and the closest states. Not a product failure until a state proves it.",
            "matchedStatuses": ["broken", "failed"],
            "messageRegex": UNRECOGNISED_REGEX,
        },
        {
            "name": DEVICE_SETUP,
            "description": "The phone is not set up for a step (an app's node tree empty where a locator needs "
            "it): the message says what to turn on. Not a product failure.",
            "matchedStatuses": ["broken", "failed"],
            "messageRegex": SETUP_REGEX,
        },
        {
            "name": INFRASTRUCTURE_PROBLEMS,
            "description": "A session, device or server failed: the app was not tested.",
            "matchedStatuses": ["broken"],
            "messageRegex": INFRASTRUCTURE_REGEX,
        },
        {
            "name": HARNESS_ERRORS,
            "description": "Any other error: a defect of the test code itself.",
            "matchedStatuses": ["broken", "failed"],
        },
    ]


def farm_kind(device: Device) -> str:
    """Where a phone is served: embedded, appium, grid or cloud (with the vendor)."""
    provider = device.provider or ("embedded" if device.embedded else "appium")  # devices.load's default
    if provider in CLOUDS:
        return f"cloud ({provider})"
    return FARM_KINDS.get(provider, provider)


def shareflow_version() -> str:
    try:
        return metadata.version("shareflow")
    except metadata.PackageNotFoundError:
        return "unknown"


def environment(devices: Sequence[Device], scenario: Path | None = None) -> dict[str, str]:
    """The run's environment as the report shows it: the farm, one entry per phone that ran (OS and app versions).

    A scenario file of the virtual farm is named, so that a simulated night (say, group links blocked)
    is not taken for a real change of the apps. The other keys have a space, which no phone's name has,
    so a phone cannot hide them.
    """
    env = {"farm kind": ", ".join(dict.fromkeys(farm_kind(d) for d in devices)) or "none (no phone ran)"}
    if scenario is not None:
        env["farm scenario"] = f"{scenario} (simulated by the virtual farm)"
    for device in devices:
        apps = [f"{label} {device.apps[app]}" for app, label in APP_LABELS.items() if app in device.apps]
        env[device.name] = ", ".join([device.kind, *apps])
    matrix = os.environ.get(MATRIX_URL_VAR)
    if matrix:
        env["connectivity matrix"] = matrix
    env["shareflow version"] = shareflow_version()
    return {key: secrets.redact(value) for key, value in env.items()}


def executor(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Who ran the tests: GitHub Actions or Jenkins from their variables, else this machine.

    ``reportUrl`` is $SHAREFLOW_REPORT_URL when the pipeline publishes the report somewhere, else the build's page.
    """
    env = os.environ if environ is None else environ
    report_url = env.get("SHAREFLOW_REPORT_URL", "")
    if env.get("GITHUB_RUN_ID"):
        run_url = f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env.get('GITHUB_REPOSITORY', '')}"
        run_url += f"/actions/runs/{env['GITHUB_RUN_ID']}"
        number = env.get("GITHUB_RUN_NUMBER", "")
        found: dict[str, Any] = {
            "name": "GitHub Actions",
            "type": "github",
            "buildName": f"{env.get('GITHUB_WORKFLOW', 'shareflow')} #{number or env['GITHUB_RUN_ID']}",
            "buildUrl": run_url,
            "reportUrl": report_url or run_url,
        }
        if number.isdigit():
            found["buildOrder"] = int(number)
    elif env.get("BUILD_NUMBER") or env.get("BUILD_URL"):
        number = env.get("BUILD_NUMBER", "")
        found = {
            "name": "Jenkins",
            "type": "jenkins",
            "buildName": f"{env.get('JOB_NAME', 'shareflow')} #{number}".rstrip(" #"),
            "buildUrl": env.get("BUILD_URL", ""),
            "reportUrl": report_url or env.get("BUILD_URL", ""),
        }
        if number.isdigit():
            found["buildOrder"] = int(number)
    else:
        found = {"name": "local", "type": "local", "buildName": f"local run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"}
        if report_url:
            found["reportUrl"] = report_url
    return {key: secrets.redact(value) if isinstance(value, str) else value for key, value in found.items()}


def _escape(text: str, key: bool) -> str:
    """``text`` as a .properties key or value: ASCII, with \\uXXXX for the rest (Allure 2 reads ISO-8859-1)."""
    out = []
    for i, char in enumerate(text):
        if char == "\\" or (key and char in "=:#! ") or (char == " " and i == 0):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) > 0x7E:
            units = char.encode("utf-16-be")  # a character past U+FFFF is two \\u escapes, as in Java
            out += [f"\\u{int.from_bytes(units[i : i + 2]):04x}" for i in range(0, len(units), 2)]
        else:
            out.append(char)
    return "".join(out)


def properties(values: Mapping[str, str]) -> str:
    """``values`` as a Java .properties file."""
    return "".join(f"{_escape(k, key=True)}={_escape(v, key=False)}\n" for k, v in values.items())


def write(
    results_dir: Path,
    devices: Sequence[Device],
    scenario: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write categories.json, environment.properties and executor.json into ``results_dir``; returns their paths.

    ``devices`` are the phones that ran; ``scenario`` the virtual farm's scenario file, when one was used.
    """
    results_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "categories.json": json.dumps(categories(), ensure_ascii=False, indent=2) + "\n",
        "environment.properties": properties(environment(devices, scenario)),
        "executor.json": json.dumps(executor(environ), ensure_ascii=False, indent=2) + "\n",
    }
    written = []
    for name, text in files.items():
        path = results_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# -- a test's identity ------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """One Allure parameter of a test, as text."""

    name: str
    value: str
    excluded: bool = False


def as_text(value: object) -> str:
    """A test parameter for people: a phone by its name, a pair as ``sender → receiver``, a string as is."""
    if isinstance(value, tuple):
        return " → ".join(as_text(v) for v in value)
    return value.name if isinstance(value, Device) else str(value)


def identity(item: pytest.Item, params: Sequence[Param], original: Mapping[str, object]) -> dict[str, Any]:
    """How allure-pytest names ``item`` and which history it joins, given the parameters the plugin set.

    allure-pytest hashes each parameter that is not excluded, by its pytest value when it has one
    (``original``), else by its text; so does this, with allure-pytest's own functions.
    """
    parameters = [Parameter(name=p.name, value=_represent(p.value), excluded=p.excluded or None) for p in params]
    full_name = allure_full_name(item)
    callspec = getattr(item, "callspec", None)
    return {
        "name": allure_name(item, dict(original), callspec.id if callspec else None),
        "fullName": full_name,
        "historyId": get_history_id(full_name, parameters, original_values=original),
        "testCaseId": hashlib.md5(full_name.encode()).hexdigest(),
        "parameters": [{"name": p.name, "value": p.value} | ({"excluded": True} if p.excluded else {}) for p in params],
    }


def _identity_file(run_dir: Path, nodeid: str) -> Path:
    return run_dir / "identities" / f"{hashlib.md5(nodeid.encode()).hexdigest()}.json"


def remember(run_dir: Path, nodeid: str, found: Mapping[str, Any]) -> None:
    """Keep a test's identity where the controller finds it, should the test's worker die under it."""
    path = _identity_file(run_dir, nodeid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")


def recall(run_dir: Path, nodeid: str) -> dict[str, Any] | None:
    """The identity a worker kept for ``nodeid``; None when the test died before its set-up."""
    path = _identity_file(run_dir, nodeid)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def crashed_result(results_dir: Path, nodeid: str, message: str, known: Mapping[str, Any] | None = None) -> Path:
    """A broken Allure result for ``nodeid``, whose worker died under it: it shows among the harness errors.

    With the identity its worker kept (``known``) it joins the test's history; without one (the worker
    died before the test's set-up), it is named from the node id alone.
    """
    where, _, name = nodeid.partition("::")
    module = where.removesuffix(".py").replace("/", ".")
    full_name = f"{module}#{name.partition('[')[0]}"
    now = int(time.time() * 1000)
    found = (
        dict(known)
        if known
        else {
            "name": name,
            "fullName": full_name,
            "historyId": hashlib.md5(nodeid.encode()).hexdigest(),
            "testCaseId": hashlib.md5(full_name.encode()).hexdigest(),
            "parameters": [],
        }
    )
    result = {
        "uuid": str(uuid.uuid4()),
        **found,
        "status": "broken",
        "statusDetails": {"message": secrets.redact(message)},
        "stage": "finished",
        "start": now,
        "stop": now,
        "labels": [
            {"name": "framework", "value": "pytest"},
            {"name": "parentSuite", "value": module.rpartition(".")[0]},
            {"name": "suite", "value": module.rpartition(".")[2]},
            {"name": "package", "value": module},
        ],
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return path


# -- what the results say --------------------------------------------------------------------
class _PlainResults:
    """Tidies results before allure-pytest writes them: parameters as text, fixture entries that say nothing out.

    allure-pytest shows every parameter by ``repr`` (a string in quotes) and records every fixture's
    set-up and every finalizer (``<lambda>``, with no status) of every test; a passed or unfinished one
    with no step and no attachment only hides what matters. A failed or broken one, or one that holds
    a step or an attachment, is kept. Runs before the writer (``tryfirst``).

    Secrets are masked in every text of a result, container or global (messages and traces, of the test,
    its steps and fixtures), before the writer. An attachment's body reaches the writer unchangeable
    (bytes), so a text attachment holding a secret is written again, masked, right after (``trylast``).
    """

    def __init__(self, results_dir: Path) -> None:
        self.results_dir = results_dir

    @staticmethod
    def _telling(fixture: Any) -> bool:
        return fixture.status in ("failed", "broken") or bool(fixture.steps) or bool(fixture.attachments)

    @allure_commons.hookimpl(tryfirst=True)
    def report_container(self, container: TestResultContainer) -> None:
        container.befores = [f for f in container.befores if self._telling(f)]
        container.afters = [f for f in container.afters if self._telling(f)]
        secrets.redact_all(container)

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: TestResult) -> None:
        for parameter in result.parameters:
            value = parameter.value
            if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'":  # represent(str)
                parameter.value = value[1:-1]
        secrets.redact_all(result)

    @allure_commons.hookimpl(tryfirst=True)
    def report_globals(self, globals_item: Any) -> None:
        secrets.redact_all(globals_item)

    @allure_commons.hookimpl(trylast=True)
    def report_attached_data(self, file_name: str) -> None:
        self._mask_attachment(file_name)

    @allure_commons.hookimpl(trylast=True)
    def report_attached_file(self, file_name: str) -> None:
        self._mask_attachment(file_name)

    def _mask_attachment(self, file_name: str) -> None:
        """Write a text attachment again, as written, with its secrets masked (a file that is not UTF-8 is no text)."""
        path = self.results_dir / file_name
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return
        masked = secrets.redact(text)
        if masked != text:
            path.write_text(masked, encoding="utf-8")


PLAIN_RESULTS = "shareflow-plain-results"


def tidy_results(results_dir: Path) -> None:
    """Have the Allure results in ``results_dir`` show parameters as text, leave out fixture noise, mask secrets.

    Registered once per process; a later run in the same process (pytester) moves it to its own folder.
    """
    plugin = allure_commons.plugin_manager.get_plugin(PLAIN_RESULTS)
    if plugin is None:
        allure_commons.plugin_manager.register(_PlainResults(results_dir), PLAIN_RESULTS)
    else:
        plugin.results_dir = results_dir
