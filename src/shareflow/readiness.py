"""Is a phone whose session opened ready for the share flow? (``shareflow devices check`` without ``--quick``)

Four questions, each answered yes, no or unknown (with the reason), never guessed:

- **App versions** against devices.yaml's ``apps``. XCUITest: ``mobile: listApps`` gives each user app's
  ``CFBundleShortVersionString`` on a real iPhone and refuses on a Simulator (appium-xcuitest-driver
  docs/reference/execute-methods.md "mobile: listApps"). UiAutomator2: ``mobile: listApps`` tells which
  packages are installed, with their ``versionCode`` only (driver 7.0.0+, README "mobile: listApps"); the
  version name is read from ``dumpsys package`` through ``mobile: shell``, which the server allows only
  with ``--allow-insecure uiautomator2:adb_shell`` (README "mobile: shell"); without it the version is
  unknown and says why.
- **WeChat signed in**: WeChat started afresh (``mobile: terminateApp``, ``mobile: activateApp``) shows
  its chat list (the ``wechat/chat_list`` screen state) within :data:`SIGNED_IN_TIMEOUT_S`.
- **WeChat's node tree**: the page source then has WeChat's window with children. From about 8.0.61 it
  is empty on Android unless an accessibility service is on (aiselp/AutoX#125).
- **iOS**: the WebDriverAgent runner the clipboard goes through (:attr:`Device.wda_bundle_id`, decided
  once in :mod:`shareflow.devices`) is installed (``mobile: queryAppState``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow.apps.locators import app_id, locators
from shareflow.devices import UPLOAD_ORDER, Device
from shareflow.errors import InfrastructureError
from shareflow.evidence import Evidence
from shareflow.phone import Phone
from shareflow.screen import StateNotReached
from shareflow.vision.templates import TemplateLibrary

SIGNED_IN_TIMEOUT_S = 15.0
NOT_INSTALLED = 0  # mobile: queryAppState
VERSION_NAME_RE = re.compile(r"^\s*versionName=(\S+)", re.MULTILINE)
SHELL_HINT = "start Appium with --allow-insecure uiautomator2:adb_shell to read it"


@dataclass
class AppVersion:
    """One app: the version devices.yaml names, the one installed (None: not installed or unknown), why."""

    expected: str
    installed: str | None
    note: str = ""

    @property
    def matches(self) -> bool | None:
        """True or False when both are known; None when devices.yaml names none or the phone did not tell."""
        if not self.expected or self.installed is None:
            return None
        return self.installed == self.expected or self.installed.startswith(self.expected + ".")


@dataclass
class Readiness:
    """What the deeper check found on one phone; ``problems`` make it not ready."""

    apps: dict[str, AppVersion] = field(default_factory=dict)
    wechat_signed_in: bool | None = None
    node_tree: str | None = None  # "filled" or "empty"; None when not looked at
    wda_bundle_id: str | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    hint: str = ""

    def as_dict(self) -> dict[str, Any]:
        apps = {
            name: {"expected": a.expected or None, "installed": a.installed, "matches": a.matches, "note": a.note}
            for name, a in self.apps.items()
        }
        return {
            "apps": apps,
            "wechat_signed_in": self.wechat_signed_in,
            "node_tree": self.node_tree,
            "wda_bundle_id": self.wda_bundle_id,
            "hint": self.hint,
        }


def _reason(exc: Exception) -> str:
    text = exc.msg if isinstance(exc, WebDriverException) and exc.msg else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def installed_versions(phone: Phone) -> dict[str, tuple[str | None, str]]:
    """Each app under test's installed version (None: not installed, or unknown) and a note saying which."""
    driver, platform = phone.driver, phone.platform
    packages = {app: locators(app).package(platform) for app in UPLOAD_ORDER}
    try:
        listed = driver.execute_script("mobile: listApps", {} if platform == "android" else {"applicationType": "User"})
    except WebDriverException as exc:
        return {app: (None, f"unknown: mobile: listApps: {_reason(exc)}") for app in packages}
    names = set(listed) if isinstance(listed, (dict, list)) else set()  # UiAutomator2 6.9 listed names only
    found: dict[str, tuple[str | None, str]] = {}
    for app, package in packages.items():
        if package not in names:
            found[app] = (None, "not installed")
        elif platform == "ios":
            version = listed[package].get("CFBundleShortVersionString")
            found[app] = (str(version), "") if version else (None, "unknown: listApps gave no version")
        else:
            found[app] = _android_version_name(phone, package, listed)
    return found


def _android_version_name(phone: Phone, package: str, listed: Any) -> tuple[str | None, str]:
    """The package's versionName from ``dumpsys package``, when the server allows ``mobile: shell``."""
    code = listed[package].get("versionCode") if isinstance(listed, dict) else None
    try:
        out = phone.driver.execute_script("mobile: shell", {"command": "dumpsys", "args": ["package", package]})
    except WebDriverException:
        told = f"versionCode {code}" if code is not None else "that it is installed"
        return None, f"unknown: UiAutomator2 tells {told} only; {SHELL_HINT}"
    match = VERSION_NAME_RE.search(out if isinstance(out, str) else "")
    return (match.group(1), "") if match else (None, "unknown: dumpsys package gave no versionName")


def tree_state(source: str, platform: str, package: str) -> str:
    """``filled`` when the app's window in ``source`` has children, else ``empty``."""
    try:
        root = ET.fromstring(source.encode())
    except ET.ParseError:
        return "empty"
    if platform == "ios":
        windows = root.iter("XCUIElementTypeWindow")
        return "filled" if any(len(window) for window in windows) else "empty"
    parents = {child: parent for parent in root.iter() for child in parent}
    tops = [n for n in root.iter() if n.get("package") == package and parents.get(n, root).get("package") != package]
    return "filled" if any(len(top) for top in tops) else "empty"


def inspect(device: Device, phone: Phone) -> Readiness:
    """The deeper check of ``device`` on ``phone``, its session open (left open)."""
    found = Readiness()
    for app, (installed, note) in installed_versions(phone).items():
        version = AppVersion(device.apps.get(app, ""), installed, note)
        if version.expected and note == "not installed":
            found.problems.append(f"{app} is not installed (devices.yaml says {version.expected})")
        elif version.matches is False:
            found.problems.append(f"{app} {installed} is installed, devices.yaml says {version.expected}")
        elif note.startswith("unknown"):
            found.notes.append(f"{app} version {note}")
        found.apps[app] = version
    if found.apps["wechat"].note != "not installed":
        _check_wechat(device, phone, found)
    if device.platform == "ios":
        _check_runner(device, phone, found)
    return found


def _check_wechat(device: Device, phone: Phone, found: Readiness) -> None:
    wechat = phone.wechat
    try:
        wechat.open(SIGNED_IN_TIMEOUT_S)
        found.wechat_signed_in = True
    except StateNotReached as missing:
        if not wechat.signed_out():  # neither page recognised: whether it is signed in is not known
            found.problems.append(
                f"WeChat's chat list did not show within {SIGNED_IN_TIMEOUT_S:g} s, nor its sign-in page: {missing}"
            )
            return
        found.wechat_signed_in = False
        found.problems.append(
            f"WeChat is not signed in: it shows its sign-in page (注册 / 登录), not its chat list "
            f"(sign in {device.wechat_account or 'the account'} on the phone)"
        )
    except (WebDriverException, InfrastructureError, HTTPError) as exc:
        found.notes.append(f"WeChat signed in unknown: {_reason(exc)}")
        return
    try:
        found.node_tree = tree_state(phone.driver.page_source, phone.platform, wechat.package)
    except WebDriverException as exc:
        found.notes.append(f"WeChat's node tree unknown: {_reason(exc)}")
        return
    if found.node_tree == "empty":
        if device.accessibility_service:
            found.problems.append(
                f"WeChat's node tree is empty, though devices.yaml says accessibility_service: true for {device.name}"
            )
            found.hint = "check that the accessibility service (TalkBack or Appium's own) is really on"
        else:
            hint = found.hint = (
                "turn on an accessibility service (e.g. TalkBack or Appium's own) and set "
                f"`accessibility_service: true` for {device.name}"
            )
            if wechat.locator("chat_row", name="").selector is None:  # the entry's version's locators do without it
                found.notes.append("WeChat's node tree is empty: its elements are found by templates and OCR")
            else:
                found.problems.append(
                    f"WeChat's node tree is empty, and the locators of its version in devices.yaml "
                    f"({device.apps.get('wechat') or 'none given'}) look in it"
                )
                found.hint = (
                    hint + "; or give WeChat's version (apps: {wechat: ...}): one that hides its tree is driven by "
                    "templates and OCR"
                )


def _check_runner(device: Device, phone: Phone, found: Readiness) -> None:
    found.wda_bundle_id = device.wda_bundle_id
    try:
        state = phone.driver.execute_script("mobile: queryAppState", app_id("ios", device.wda_bundle_id))
    except WebDriverException as exc:
        found.notes.append(f"WebDriverAgent's runner {device.wda_bundle_id}: {_reason(exc)}")
        return
    if state == NOT_INSTALLED:
        found.problems.append(
            f"WebDriverAgent's runner {device.wda_bundle_id} is not installed: the clipboard needs it in front "
            "(set wda_bundle_id, or appium:updatedWDABundleId, to the runner XCUITest uses)"
        )


def wrap(device: Device, driver: Any, templates: TemplateLibrary, folder: Path) -> Phone:
    """``driver`` as a :class:`Phone` whose screen matches ``templates`` and keeps no step screenshots."""
    return Phone.on(device, driver, templates, Evidence(folder / device.name), "off", folder)
