"""Provider profiles: what each kind of Appium endpoint is asked for, built from one devices.yaml entry.

Every session starts the same way, with a URL and W3C capabilities; ``provider:`` in
devices.yaml picks the capabilities that provider documents, and how the test's result
is told to it at the end. The shapes, and where they are documented:

- ``embedded``, ``appium``: Appium's own ``appium:deviceName`` (the entry's name),
  ``appium:platformVersion`` and ``appium:udid``.
- ``grid`` (Selenium Grid 4): the same, since Grid routes by ``platformName`` and the
  ``appium:`` capabilities of its relay nodes, plus ``se:name``, the session's name in the
  Grid UI (selenium.dev, Grid, "Metadata in tests").
- ``device-farm`` (the appium-device-farm plugin): the same, plus ``df:build`` and ``df:name``,
  the dashboard's build and session names (devicefarm.org capabilities; CapabilityManager.ts).
- ``browserstack`` (App Automate): ``bstack:options`` with ``userName``, ``accessKey``,
  ``deviceName``, ``osVersion``, ``projectName``, ``buildName``, ``sessionName``.
- ``saucelabs`` (real devices): ``appium:deviceName``, ``appium:platformVersion`` and
  ``sauce:options`` with ``username``, ``accessKey``, ``appiumVersion``, ``build``, ``name``.
- ``lambdatest`` (real devices): ``lt:options`` with ``username``, ``accessKey``,
  ``platformName``, ``deviceName``, ``platformVersion``, ``isRealMobile``, ``w3c``,
  ``project``, ``build``, ``name``.

The apps a cloud installs come from the entry's ``uploads`` (the vendor's ids, checked on load): the first
of Taobao and WeChat given (Taobao, the app a share flow opens first) is the session's ``app``, the other
goes to ``otherApps``, an array, as each vendor documents them: BrowserStack ``appium:app`` and
``appium:otherApps`` (``bs://<hash>``; "app is a required capability", otherApps "an array of the hashed
app-ids ... used along with app capability", browserstack.com/docs/app-automate/appium/set-up-tests/specify-app,
browserstack.com/question/39479); Sauce Labs ``appium:app`` and ``appium:otherApps`` (``storage:filename=...``,
``storage:<file id>``: docs.saucelabs.com/mobile-apps/app-storage; Appium's own ``otherApps`` capability);
LambdaTest ``app`` and ``otherApps`` in ``lt:options`` (``lt://...``: LambdaTest's "install multiple apps
in Real Devices" samples). Without uploads nothing is installed, and every session asks for
``appium:noReset`` (:func:`shareflow.session.options_for`): the apps and WeChat's signed-in account stay.

On the clouds, ``deviceName`` is the entry's ``profile`` (the vendor's model name), else its
name. Credentials come from the environment, under the vendors' own variable names, unless
the entry gives them itself (``${VAR}`` in its vendor block, or ``user:key@`` in its
endpoint); every value, and each user and key's Basic-auth form, is registered with
:mod:`shareflow.secrets` in every process of a run as it starts (:func:`register_secrets`),
so it is masked wherever text is written.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from appium import webdriver
from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow import secrets
from shareflow.devices import UPLOAD_ORDER, Device
from shareflow.errors import UsageError

PROJECT = "shareflow"
NAME_LIMIT = 255  # the vendors' longest build and session names
REASON_LIMIT = 250
SAUCE_APPIUM = "latest"  # Sauce Labs' alias for its newest Appium 2 on real devices
BLOCKS = {"browserstack": "bstack:options", "saucelabs": "sauce:options", "lambdatest": "lt:options"}
CREDENTIALS = {
    "browserstack": {"userName": "BROWSERSTACK_USERNAME", "accessKey": "BROWSERSTACK_ACCESS_KEY"},
    "saucelabs": {"username": "SAUCE_USERNAME", "accessKey": "SAUCE_ACCESS_KEY"},
    "lambdatest": {"username": "LT_USERNAME", "accessKey": "LT_ACCESS_KEY"},
}
log = logging.getLogger(__name__)


class CredentialsError(UsageError):
    """A cloud credential is neither in the device entry nor in the environment."""

    def __init__(self, message: str, variable: str) -> None:
        super().__init__(message)
        self.variable = variable  # the environment variable that is not set


def build_name() -> str:
    """The CI build the sessions belong to: $SHAREFLOW_BUILD, else the GitHub Actions run; else none."""
    if os.environ.get("SHAREFLOW_BUILD"):
        return os.environ["SHAREFLOW_BUILD"][:NAME_LIMIT]
    run = os.environ.get("GITHUB_RUN_ID")
    return f"{PROJECT}-{run}" if run else ""


def session_name() -> str:
    """The running test's name (``test_x[phone]``), from what pytest publishes in $PYTEST_CURRENT_TEST."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")  # "path::test_x[phone] (setup)"
    return current.rsplit(" (", 1)[0].rpartition("::")[2][:NAME_LIMIT]


def _named(caps: dict[str, Any], **names: Any) -> dict[str, Any]:
    """``caps`` with the names that are known (an empty name is left out)."""
    return {**caps, **{key: value for key, value in names.items() if value}}


def _appium(device: Device) -> dict[str, Any]:
    """Appium's own device capabilities: the entry's name, OS version and udid."""
    caps = {"appium:deviceName": device.name, "appium:platformVersion": device.os_version}
    return {**caps, "appium:udid": device.udid} if device.udid else caps


def _given(device: Device) -> dict[str, Any]:
    """The vendor block the entry's own capabilities give (credentials may be in it)."""
    given = device.capabilities.get(BLOCKS[device.provider])
    return given if isinstance(given, dict) else {}


def _needed(device: Device) -> dict[str, str]:
    """The cloud credentials to take from the environment (key → variable): those the entry does not give itself."""
    if device.provider not in CREDENTIALS or urlsplit(device.endpoint).password:
        return {}
    given = _given(device)
    return {key: var for key, var in CREDENTIALS[device.provider].items() if key not in given}


def missing_credential(device: Device) -> str | None:
    """The first environment variable ``device``'s cloud credentials need that is not set; None if none is."""
    return next((var for var in _needed(device).values() if not os.environ.get(var)), None)


def _register(user: object, key: object) -> None:
    """Register a user name and a key where given, and their Basic-auth form when both are."""
    if isinstance(user, str) and isinstance(key, str):
        secrets.register_basic(user, key)
        return
    for value in (user, key):
        if isinstance(value, str):
            secrets.register(value)


def register_secrets(devices: Iterable[Device]) -> None:
    """Register, in this process, every credential a run on ``devices`` may send, with its Basic-auth form.

    That is the vendors' variables, each endpoint's ``user:key@`` and the keys an entry's vendor block
    gives. Every process of a run calls this, the xdist controller too, which never builds capabilities.
    """
    for keys in CREDENTIALS.values():
        _register(*(os.environ.get(var) for var in keys.values()))
    for device in devices:
        endpoint = urlsplit(device.endpoint)
        _register(endpoint.username, endpoint.password)
        if device.provider in CREDENTIALS:
            _register(*(_given(device).get(key) for key in CREDENTIALS[device.provider]))


def _credentials(device: Device) -> dict[str, str]:
    """The cloud's user name and access key, for those the entry does not give itself."""
    register_secrets([device])
    found = {}
    for key, var in _needed(device).items():
        value = os.environ.get(var, "")
        if not value:
            raise CredentialsError(
                f"{device.name}: provider {device.provider} needs the environment variable {var}, which is not "
                f"set (or give {BLOCKS[device.provider]} {key} in the entry as ${{VAR}})",
                var,
            )
        found[key] = value
    return found


def installs(device: Device) -> tuple[str, list[str]]:
    """The upload ids of ``device``'s ``uploads``: the session's app (the first of Taobao and WeChat given)
    and the other apps; ``("", [])`` when it gives none."""
    ids = [device.uploads[app] for app in UPLOAD_ORDER if device.uploads.get(app)]
    return (ids[0], ids[1:]) if ids else ("", [])


def _apps(device: Device, app_key: str, others_key: str) -> dict[str, Any]:
    """``{app_key: app, others_key: [others]}`` from the entry's uploads, leaving out what it does not give."""
    app, others = installs(device)
    return _named({}, **{app_key: app, others_key: others})


def capabilities(device: Device) -> dict[str, Any]:
    """The capabilities ``device``'s provider documents, to go over the platform's Options defaults."""
    build, test = build_name(), session_name()
    model = device.profile or device.name
    platform = "Android" if device.platform == "android" else "iOS"
    match device.provider:
        case "browserstack":
            block: dict[str, Any] = {"deviceName": model, "osVersion": device.os_version, "projectName": PROJECT}
            block = _named({**_credentials(device), **block}, buildName=build, sessionName=test)
            return {**_apps(device, "appium:app", "appium:otherApps"), "bstack:options": block}
        case "saucelabs":
            block = _named({**_credentials(device), "appiumVersion": SAUCE_APPIUM}, build=build, name=test)
            caps = {"appium:deviceName": model, "appium:platformVersion": device.os_version}
            return {**caps, **_apps(device, "appium:app", "appium:otherApps"), "sauce:options": block}
        case "lambdatest":
            block = {"platformName": platform, "deviceName": model, "platformVersion": device.os_version}
            block |= {"isRealMobile": True, "w3c": True, "project": PROJECT, **_apps(device, "app", "otherApps")}
            return {"lt:options": _named({**_credentials(device), **block}, build=build, name=test)}
        case "grid":
            return _named(_appium(device), **{"se:name": test})
        case "device-farm":
            return _named(_appium(device), **{"df:build": build, "df:name": test})
        case _:  # embedded, appium
            return _appium(device)


def status_script(provider: str, passed: bool, reason: str = "") -> str | None:
    """The script that tells ``provider`` a test's result, or None where there is no such call."""
    status = "passed" if passed else "failed"
    match provider:
        case "browserstack":
            arguments = {"status": status, "reason": reason[:REASON_LIMIT]}
            return "browserstack_executor: " + json.dumps({"action": "setSessionStatus", "arguments": arguments})
        case "saucelabs":
            return f"sauce:job-result={status}"
        case "lambdatest":
            return f"lambda-status={status}"
        case _:
            return None


def report_status(driver: webdriver.Remote, device: Device, passed: bool, reason: str = "") -> None:
    """Tell a cloud farm the test's result at its end, the way the vendor documents it.

    BrowserStack, Sauce Labs and LambdaTest take a script. Selenium Grid, appium-device-farm,
    a local Appium and the embedded farm have no such call, so nothing is sent to them. The
    reason is masked; a failure to report is logged as a warning and never changes the result.
    """
    script = status_script(device.provider, passed, secrets.redact(reason))
    if script is None:
        return
    try:
        driver.execute_script(script)
    except (WebDriverException, HTTPError, OSError) as exc:
        problem = secrets.redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])
        log.warning("%s: could not report the result to %s: %s", device.name, device.provider, problem)
