"""Appium sessions: capabilities from devices.yaml through the client's Options classes.

Where the endpoint is (embedded farm, local Appium, Grid hub, cloud farm) is
only a URL here; vendor differences are capabilities and a status call
(:mod:`shareflow.providers`).
"""

from __future__ import annotations

import logging
from typing import Any

from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.common.base import AppiumOptions
from appium.options.ios import XCUITestOptions
from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow import providers, secrets
from shareflow.devices import Device

NEW_COMMAND_TIMEOUT_S = 300


class SessionError(RuntimeError):
    """No session could be opened: an infrastructure failure."""


class _MaskSecrets(logging.Filter):
    """Masks secrets in the client's debug log of requests and responses (they carry the capabilities)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = secrets.redact(record.getMessage()), ()
        return True


logging.getLogger("selenium.webdriver.remote.remote_connection").addFilter(_MaskSecrets())


def _merged(base: Any, extra: Any) -> Any:
    """``extra`` over ``base``, mapping into mapping, key by key."""
    if not (isinstance(base, dict) and isinstance(extra, dict)):
        return extra
    return {**base, **{key: _merged(base.get(key), value) for key, value in extra.items()}}


def _masked(value: Any) -> Any:
    """``value`` with every secret in its strings masked."""
    if isinstance(value, str):
        return secrets.redact(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def options_for(device: Device) -> AppiumOptions:
    """The Options object that asks ``device``'s provider for it; the entry's own capabilities go last.

    Raises :class:`providers.CredentialsError` when a cloud credential is missing.
    """
    options: AppiumOptions = UiAutomator2Options() if device.platform == "android" else XCUITestOptions()
    options.no_reset = True
    options.new_command_timeout = NEW_COMMAND_TIMEOUT_S
    options.load_capabilities(providers.capabilities(device))
    for name, value in device.capabilities.items():
        options.set_capability(name, _merged(options.get_capability(name), value))
    return options


def open_driver(device: Device, url: str) -> webdriver.Remote:
    """Start a session on ``device`` at ``url``; failures say which phone and server, with secrets masked.

    The capabilities the server echoes back are masked too.
    """
    try:
        options = options_for(device)
    except providers.CredentialsError as exc:
        raise SessionError(str(exc)) from None
    try:
        driver = webdriver.Remote(url, options=options)
    except WebDriverException as exc:
        reason = secrets.redact((exc.msg or str(exc)).strip().splitlines()[0])
        problem = f"{device.name}: cannot open a session at {secrets.redact(url)}: {reason}"
    except (OSError, HTTPError) as exc:
        problem = f"{device.name}: Appium server {secrets.redact(url)} is unreachable: {secrets.redact(str(exc))}"
    else:
        driver.caps = _masked(driver.caps)
        return driver
    raise SessionError(problem)  # out here, the unmasked exception is neither chained nor kept in this frame
