"""Is each phone of the pool usable now? (``shareflow devices check``)

Three questions per device: does its endpoint answer ``GET /status``; is the
phone free (the virtual farm's phone list, a Selenium Grid's slots, an Appium
server's sessions); and does the endpoint accept the device's capabilities
(a session is opened with them). Unless ``--quick``, the open session then
answers :mod:`shareflow.readiness`'s questions (app versions, WeChat signed
in, its node tree, WebDriverAgent's runner) before it is quit.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import urllib3
from selenium.common.exceptions import SUPPORT_MSG, WebDriverException

from shareflow import launcher, providers, readiness, secrets
from shareflow.devices import Device
from shareflow.errors import InfrastructureError
from shareflow.session import SessionError, open_driver, options_for
from shareflow.vision.templates import TemplateLibrary

USABLE, UNREACHABLE, BUSY, REFUSED, NOT_READY = "usable", "unreachable", "busy", "refused", "not-ready"
IDENTITY = ("platformName", "udid", "deviceName", "platformVersion")  # the capabilities that pick a phone
MAX_WORKERS = 8
ADB_SHELL = "uiautomator2:adb_shell"  # Appium 3's scoped name of the insecure feature behind mobile: shell
COLUMNS = ("DEVICE", "OS", "ENDPOINT", "VERDICT", "APPS", "WECHAT", "TREE", "WDA", "DETAIL")


class Unreachable(InfrastructureError):
    """The endpoint did not answer; the message names the URL and why."""


@dataclass(frozen=True)
class Verdict:
    """One device's answer; ``endpoint`` and ``detail`` carry no secrets."""

    device: str
    platform: str
    os_version: str
    endpoint: str
    verdict: str
    detail: str
    deep: bool = False  # the readiness questions were asked (the session opened, no --quick)
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)  # app -> expected, installed, matches, note
    wechat_signed_in: bool | None = None
    node_tree: str | None = None  # "filled", "empty"; None: not looked at
    wda_bundle_id: str | None = None  # iOS: WebDriverAgent's runner the clipboard goes through
    hint: str = ""

    @property
    def usable(self) -> bool:
        return self.verdict == USABLE

    def as_json(self) -> str:
        return secrets.redact(json.dumps(asdict(self), ensure_ascii=False))  # the apps' notes quote the driver

    def cells(self) -> tuple[str, ...]:
        """The table's row."""
        if not self.deep:
            apps = wechat = tree = "-"
        else:
            apps = ", ".join(f"{name} {_version_cell(a)}" for name, a in self.apps.items()) or "-"
            wechat = {True: "signed-in", False: "signed-out", None: "?"}[self.wechat_signed_in]
            tree = self.node_tree or "?"
        wda = self.wda_bundle_id or "-"
        detail = f"{self.detail}; hint: {self.hint}" if self.hint else self.detail
        return (
            self.device,
            f"{self.platform} {self.os_version}",
            self.endpoint,
            self.verdict,
            apps,
            wechat,
            tree,
            wda,
            detail,
        )


def _version_cell(app: dict[str, Any]) -> str:
    """``8.0.61``, ``8.0.56!=8.0.61`` (installed, devices.yaml), ``none`` (not installed), ``?`` (unknown)."""
    installed = app["installed"] or ("none" if app["note"] == "not installed" else "?")
    return (
        f"{installed}!={app['expected']}"
        if app["matches"] is False or (installed == "none" and app["expected"])
        else installed
    )


@dataclass(frozen=True)
class Occupancy:
    """What a server's status tells about one phone.

    ``verdict`` is BUSY or REFUSED when a session attempt would be pointless
    (or would wait in a queue); None lets the attempt decide.
    """

    verdict: str | None = None
    note: str = ""


# -- which phone a status entry describes ------------------------------------------------------
def identity(caps: Mapping[str, Any]) -> dict[str, str]:
    """The phone-picking capabilities of ``caps``, without the ``appium:`` prefix."""
    plain = {str(k).removeprefix("appium:"): v for k, v in caps.items()}
    return {k: str(plain[k]) for k in IDENTITY if plain.get(k) not in (None, "")}


def request(device: Device) -> dict[str, Any]:
    """The capabilities ``device``'s new-session request sends."""
    caps: dict[str, Any] = options_for(device).to_w3c()["capabilities"]["alwaysMatch"]
    return caps


def same_phone(offered: Mapping[str, str], want: Mapping[str, str]) -> bool:
    """Does the phone ``offered`` describes answer ``want``?

    The platform must agree, and the OS version where both give one ("14"
    accepts "14.1"); then the udid decides when both give one, else the name.
    """
    if offered.get("platformName", "").lower() != want.get("platformName", "").lower():
        return False
    have, need = offered.get("platformVersion"), want.get("platformVersion")
    if have is not None and need is not None and not (have == need or have.startswith(need + ".")):
        return False
    for key in ("udid", "deviceName"):
        if key in offered and key in want:
            return offered[key] == want[key]
    return True


def _described(want: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in want.items())


# -- what each kind of server's status says ----------------------------------------------------
def farm_occupancy(status: Mapping[str, Any], want: Mapping[str, str]) -> Occupancy:
    """The virtual farm's ``/status`` lists its phones, each with ``busy``."""
    phones = [p for p in status.get("phones", []) if same_phone(identity({**p, "deviceName": p.get("name")}), want)]
    if phones and all(p.get("busy") for p in phones):
        return Occupancy(BUSY, f"{', '.join(p['name'] for p in phones)} already has a session")
    return Occupancy()


def _alike(offered: Any, asked: Any) -> bool:
    """Grid's comparison: strings without regard to case, anything else as equal values."""
    if isinstance(asked, str):
        return offered is not None and str(offered).lower() == asked.lower()
    return bool(offered == asked)


def grid_slot_matches(stereotype: Mapping[str, Any], caps: Mapping[str, Any]) -> bool:
    """Selenium Grid 4's default slot matcher: would a slot of ``stereotype`` take a request for ``caps``?

    Plain capabilities of the stereotype must agree with the request's, and so
    must its prefixed ones that the request also has (but ``goog:``, ``moz:``,
    ``ms:``, ``se:``); ``platformVersion`` only as the very same value; the
    platform when the request names one.
    """
    for name, value in stereotype.items():
        prefix = name.split(":", 1)[0] + ":" if ":" in name else ""
        if name == "platformName" or prefix in ("goog:", "moz:", "ms:", "se:"):
            continue
        if caps.get(name) is not None and not _alike(value, caps[name]):
            return False
    if any(stereotype.get(name) != value for name, value in caps.items() if "platformVersion" in name):
        return False
    platform = caps.get("platformName")
    return platform is None or _alike(stereotype.get("platformName"), platform)


def grid_occupancy(status: Mapping[str, Any], caps: Mapping[str, Any]) -> Occupancy:
    """A Selenium Grid 4 hub's ``/status``: the slots that would take ``caps``, and their nodes.

    Free when such a slot has no session on a node that is UP; busy when each
    holds a session or sits on a node DOWN or DRAINING; refused when none
    would take it (the Grid would hold the request in its queue until the
    session-request timeout).
    """
    free, in_session = 0, 0
    unavailable: dict[str, int] = {}
    for node in status.get("nodes", []):
        for slot in node.get("slots", []):
            if not grid_slot_matches(slot.get("stereotype") or {}, caps):
                continue
            availability = node.get("availability", "UP")
            if availability != "UP":
                where = f"{node.get('uri', node.get('id', '?'))} ({availability})"
                unavailable[where] = unavailable.get(where, 0) + 1
            elif slot.get("session"):
                in_session += 1
            else:
                free += 1
    total = free + in_session + sum(unavailable.values())
    if total == 0:
        return Occupancy(REFUSED, f"no slot of the Grid offers {_described(identity(caps))}")
    if free == 0:
        parts = [f"{in_session} in a session"] if in_session else []
        parts += [f"{n} on node {where}" for where, n in unavailable.items()]
        return Occupancy(BUSY, f"every matching slot of the Grid is taken: {', '.join(parts)}")
    return Occupancy(note=f"Selenium Grid: {free} of {total} matching slots free")


def appium_occupancy(sessions: Sequence[Mapping[str, Any]], want: Mapping[str, str]) -> Occupancy:
    """An Appium 3 server's ``GET /appium/sessions``: a session on the same phone makes it busy."""
    for session in sessions:
        if same_phone(identity(session.get("capabilities") or {}), want):
            return Occupancy(BUSY, f"session {session.get('id', '?')} already drives it")
    return Occupancy()


# -- talking to the endpoint ------------------------------------------------------------------
def _reason(exc: urllib3.exceptions.HTTPError, timeout: float) -> str:
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # before TimeoutError: it is a subclass of it
        return str(exc).split("): ", 1)[-1]  # without urllib3's "HTTPConnection(host=..., port=...)"
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"no answer within {timeout:g} s"
    return str(exc).split("): ", 1)[-1]


def get_json(http: urllib3.PoolManager, url: str, timeout: float) -> tuple[int, Any]:
    """GET ``url``: the HTTP status and the JSON body (None when it is not JSON)."""
    parsed = urllib3.util.parse_url(url)
    headers = urllib3.make_headers(basic_auth=parsed.auth) if parsed.auth else None
    try:
        response = http.request(
            "GET",
            parsed._replace(auth=None).url,
            headers=headers,
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise Unreachable(f"GET {secrets.redact(url)}: {_reason(exc, timeout)}") from None
    try:
        return response.status, json.loads(response.data)
    except ValueError:
        return response.status, None


def status_occupancy(http: urllib3.PoolManager, url: str, caps: Mapping[str, Any], timeout: float) -> Occupancy:
    """Read ``/status`` (and an Appium server's sessions); raise :class:`Unreachable` if it does not answer."""
    code, body = get_json(http, f"{url}/status", timeout)
    value = body.get("value") if isinstance(body, dict) else None
    if code in (401, 403):
        return Occupancy(note=f"/status needs credentials (HTTP {code})")
    if code != 200 or not isinstance(value, dict):
        return Occupancy(note=f"/status answered HTTP {code} without a WebDriver status")
    if isinstance(value.get("nodes"), list):
        return grid_occupancy(value, caps)
    build = value["build"] if isinstance(value.get("build"), dict) else {}
    server = f"{build.get('name', 'Appium')} {build.get('version', '')}".strip()
    if isinstance(value.get("phones"), list):
        occupancy = farm_occupancy(value, identity(caps))
    else:
        code, sessions = get_json(http, f"{url}/appium/sessions", timeout)
        listed = sessions.get("value") if isinstance(sessions, dict) else None
        if code != 200 or not isinstance(listed, list):
            return Occupancy(note=f"{server}; its sessions are not listed (HTTP {code})")
        occupancy = appium_occupancy(listed, identity(caps))
    return Occupancy(occupancy.verdict, occupancy.note or server)


def _session_failure(error: SessionError, device: Device, url: str) -> tuple[str, str]:
    """Verdict and detail for a session that did not open: the server's first line, or why it did not answer."""
    text, at = str(error), secrets.redact(url)
    silent = f"{device.name}: Appium server {at} is unreachable: "
    if text.startswith(silent):
        return UNREACHABLE, f"POST {at}/session: {text.removeprefix(silent)}"
    words = text.removeprefix(f"{device.name}: cannot open a session at {at}: ")
    return REFUSED, words.split(f"; {SUPPORT_MSG}", 1)[0]  # without Selenium's link to its documentation


@dataclass(frozen=True)
class Deep:
    """How to ask the readiness questions: the templates the screen is matched with, a folder for evidence."""

    templates: TemplateLibrary
    folder: Path


def check_device(
    device: Device, url: str, timeout: float, http: urllib3.PoolManager, deep: Deep | None = None
) -> Verdict:
    """Status, then (unless that settled it) a session opened with the device's capabilities, asked the
    readiness questions when ``deep``, and quit."""

    def verdict(word: str, detail: str, **found: Any) -> Verdict:
        endpoint = secrets.redact(device.endpoint)
        detail = secrets.redact(detail)
        return Verdict(device.name, device.platform, device.os_version, endpoint, word, detail, **found)

    try:
        caps = request(device)
    except providers.CredentialsError as exc:
        return verdict(REFUSED, f"{exc}; no session tried")
    try:
        occupancy = status_occupancy(http, url, caps, timeout)
    except Unreachable as exc:
        return verdict(UNREACHABLE, str(exc))
    if occupancy.verdict is not None:
        return verdict(occupancy.verdict, f"{occupancy.note}; no session tried")
    started = time.monotonic()
    try:
        driver = open_driver(device, url)
    except SessionError as exc:
        return verdict(*_session_failure(exc, device, url))
    notes = [occupancy.note] if occupancy.note else []
    notes.append(f"session accepted in {time.monotonic() - started:.2f} s")
    found: readiness.Readiness | None = None
    try:
        if deep is not None:
            found = readiness.inspect(device, readiness.wrap(device, driver, deep.templates, deep.folder))
    except (WebDriverException, urllib3.exceptions.HTTPError, InfrastructureError) as exc:
        notes.append(f"the readiness check broke off: {str(exc).strip().splitlines()[0]}")
    finally:
        try:
            driver.quit()
        except (WebDriverException, urllib3.exceptions.HTTPError) as exc:
            notes.append(f"but quitting it failed: {str(exc).strip().splitlines()[0]}")
    if found is None:
        return verdict(USABLE, "; ".join(notes))
    word = NOT_READY if found.problems else USABLE
    return verdict(word, "; ".join([*found.problems, *notes, *found.notes]), deep=True, **found.as_dict())


@contextmanager
def embedded_farm(devices_file: Path) -> Iterator[str]:
    """The URL of a virtual farm started for the check; it is stopped on exit. It allows ``mobile: shell``,
    as a local Appium started with ``--allow-insecure uiautomator2:adb_shell``, so that the Android phones'
    app versions are read."""
    with tempfile.TemporaryDirectory(prefix="shareflow-check-") as log_dir:
        farm = launcher.start(devices_file, None, Path(log_dir), owner_pid=os.getpid(), allow_insecure=[ADB_SHELL])
        try:
            yield farm.url
        finally:
            farm.stop()


def check(
    devices: Sequence[Device], devices_file: Path, timeout: float, templates: TemplateLibrary | None = None
) -> list[Verdict]:
    """Check every device, several at a time; the verdicts come in the order of ``devices``.

    With ``templates``, each phone whose session opens is also asked the readiness questions
    (:mod:`shareflow.readiness`). The embedded phones get a virtual farm of their own, stopped before
    this returns.
    """
    with ExitStack() as stack, urllib3.PoolManager(maxsize=MAX_WORKERS) as http:
        deep = None
        if templates is not None:
            deep = Deep(templates, Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shareflow-ready-"))))
        farm_url, farm_error = "", ""
        if any(d.embedded for d in devices):
            try:
                farm_url = stack.enter_context(embedded_farm(devices_file))
            except launcher.LaunchError as exc:
                farm_error = f"the embedded farm did not start: {exc}"

        def one(device: Device) -> Verdict:
            if device.embedded and not farm_url:
                return Verdict(
                    device.name, device.platform, device.os_version, device.endpoint, UNREACHABLE, farm_error
                )
            url = (launcher.endpoint(device, lambda: farm_url) or "").rstrip("/")
            return check_device(device, url, timeout, http, deep)

        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(devices))) as workers:
            return list(workers.map(one, devices))


def table(verdicts: Sequence[Verdict]) -> str:
    """One aligned row per device: name, platform and OS, endpoint, verdict, the readiness answers
    (installed app versions, WeChat signed in, its node tree, WebDriverAgent's runner; ``-`` not asked,
    ``?`` unknown), detail."""
    rows = [COLUMNS, *(v.cells() for v in verdicts)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]]) for row in rows)
