"""Appium sessions: capabilities from devices.yaml through the client's Options classes.

Where the endpoint is (embedded farm, local Appium, Grid hub, cloud farm) is
only a URL here; vendor differences are capabilities and a status call.
"""

from __future__ import annotations

import json

from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.common.base import AppiumOptions
from appium.options.ios import XCUITestOptions
from selenium.common.exceptions import WebDriverException

from shareflow import secrets
from shareflow.devices import Device

NEW_COMMAND_TIMEOUT_S = 300


class SessionError(RuntimeError):
    """No session could be opened: an infrastructure failure."""


def options_for(device: Device) -> AppiumOptions:
    """The Options object that asks for ``device``."""
    options: AppiumOptions = UiAutomator2Options() if device.platform == "android" else XCUITestOptions()
    options.platform_version = device.os_version
    options.device_name = device.name
    if device.udid:
        options.udid = device.udid
    options.no_reset = True
    options.new_command_timeout = NEW_COMMAND_TIMEOUT_S
    options.load_capabilities(device.capabilities)
    return options


def open_driver(device: Device, url: str) -> webdriver.Remote:
    """Start a session on ``device`` at ``url``; failures say which phone and server."""
    try:
        return webdriver.Remote(url, options=options_for(device))
    except WebDriverException as exc:
        reason = secrets.redact((exc.msg or str(exc)).strip().splitlines()[0])
        raise SessionError(f"{device.name}: cannot open a session at {secrets.redact(url)}: {reason}") from None
    except OSError as exc:
        raise SessionError(f"{device.name}: Appium server {secrets.redact(url)} is unreachable: {exc}") from None


def report_status(driver: webdriver.Remote, device: Device, passed: bool, reason: str = "") -> None:
    """Tell a cloud farm the test's result, the way each vendor expects it."""
    status = "passed" if passed else "failed"
    if device.provider == "browserstack":
        payload = {"action": "setSessionStatus", "arguments": {"status": status, "reason": reason[:250]}}
        driver.execute_script(f"browserstack_executor: {json.dumps(payload)}")
    elif device.provider == "saucelabs":
        driver.execute_script(f"sauce:job-result={status}")
    elif device.provider == "lambdatest":
        driver.execute_script(f"lambda-status={status}")
