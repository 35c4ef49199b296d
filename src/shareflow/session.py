"""Appium sessions: capabilities from devices.yaml through the client's Options classes.

Where the endpoint is (embedded farm, local Appium, Grid hub, cloud farm) is
only a URL here; vendor differences are capabilities and a status call
(:mod:`shareflow.providers`).
"""

from __future__ import annotations

import logging
import socket
from typing import Any
from urllib.parse import urlsplit

from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.common.base import AppiumOptions
from appium.options.ios import XCUITestOptions
from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow import providers, secrets
from shareflow.devices import Device
from shareflow.errors import InfrastructureError

NEW_COMMAND_TIMEOUT_S = 300
# UiAutomator2 shows only the active window unless this setting is on; heads-up notifications, which catch taps
# and are swiped away before them, are SystemUI's windows (appium-uiautomator2-driver docs/android-multiwindow.md)
ANDROID_SETTINGS = {"settings[enableMultiWindows]": True}


class SessionError(InfrastructureError):
    """No session could be opened: an infrastructure failure.

    ``certain`` names the cause when every later session that meets it will fail the same way: an
    endpoint (:func:`endpoint_key`) that refused the connection or whose host name does not exist, or
    ``$VAR``, a credential's variable that is not set. Empty when trying again may succeed (a session
    refused, a timeout, a dropped connection).
    """

    def __init__(self, message: str, certain: str = "") -> None:
        super().__init__(message)
        self.certain = certain


def endpoint_key(url: str) -> str:
    """Where a connection to ``url`` goes, as written and without credentials: ``scheme://host:port``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()


def _is_certain(error: BaseException) -> bool:
    """Whether a connection failed in a way that repeats: refused, or a host name that does not exist.

    Looks through the causes, and urllib3's ``reason`` (MaxRetryError → NewConnectionError → the OS error).
    """
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return True
        if isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME:
            return True
        reason = getattr(cause, "reason", None)
        cause = cause.__cause__ or cause.__context__ or (reason if isinstance(reason, BaseException) else None)
    return False


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


def options_for(device: Device) -> AppiumOptions:
    """The Options object that asks ``device``'s provider for it; the entry's own capabilities go last.

    Raises :class:`providers.CredentialsError` when a cloud credential is missing.
    """
    options: AppiumOptions = UiAutomator2Options() if device.platform == "android" else XCUITestOptions()
    options.no_reset = True
    options.new_command_timeout = NEW_COMMAND_TIMEOUT_S
    if device.platform == "android":
        options.load_capabilities(ANDROID_SETTINGS)
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
        raise SessionError(str(exc), certain=f"${exc.variable}") from None
    try:
        driver = webdriver.Remote(url, options=options)
    except WebDriverException as exc:
        reason = secrets.redact((exc.msg or str(exc)).strip().splitlines()[0])
        problem, certain = f"{device.name}: cannot open a session at {secrets.redact(url)}: {reason}", ""
    except (OSError, HTTPError) as exc:
        problem = f"{device.name}: Appium server {secrets.redact(url)} is unreachable: {secrets.redact(str(exc))}"
        certain = endpoint_key(url) if _is_certain(exc) else ""
    else:
        driver.caps = secrets.redact_all(driver.caps)
        return driver
    raise SessionError(problem, certain)  # out here, the unmasked exception is neither chained nor kept in this frame
