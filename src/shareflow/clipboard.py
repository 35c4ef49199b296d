"""The phone's clipboard, as the harness reads and writes it.

Android: UiAutomator2 reads and writes it as it is. iOS: the clipboard is used by WebDriverAgent, and a
real iPhone gives it only to the app in front: with WebDriverAgent's runner app in the background,
reading returns "" (iOS 13+) and writing does nothing (iOS 15+). So the runner (its bundle id from the
device entry, :attr:`~shareflow.devices.Device.wda_bundle_id`) is brought to the front, the clipboard
used, and the app that was in front brought back (appium-xcuitest-driver guide "Get/Set Clipboard";
appium/WebDriverAgent#330). ``mobile: getPasteboard`` / ``setPasteboard`` are not used: real devices
refuse them ("... pasteboard content is not supported on real devices", lib/commands/pasteboard.js).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from selenium.common.exceptions import WebDriverException

from shareflow import wait
from shareflow.apps.locators import app_id, locators
from shareflow.errors import InfrastructureError
from shareflow.phone import APPS_UNDER_TEST, IN_FRONT, Phone

T = TypeVar("T")

RUNNER_TIMEOUT_S = 10.0  # how long WebDriverAgent's runner may take to come to the front


class ClipboardUnavailable(InfrastructureError):
    """The phone did not let the harness use its clipboard: WebDriverAgent's runner did not come to the front,
    or the driver refused the command."""


def read(phone: Phone) -> str | None:
    """The clipboard's text ("" when it is empty), or None when the phone did not let it be read."""
    try:
        return _through_runner(phone, phone.driver.get_clipboard_text)
    except ClipboardUnavailable as exc:
        phone.evidence.text(f"{phone.name}: clipboard unreadable", str(exc))
        return None


def write(phone: Phone, text: str) -> None:
    """Put ``text`` on the clipboard; :class:`ClipboardUnavailable` when the phone did not let it be written."""
    _through_runner(phone, lambda: phone.driver.set_clipboard_text(text))


def _through_runner(phone: Phone, use: Callable[[], T]) -> T:
    """``use()`` the clipboard: on iOS with WebDriverAgent's runner in front, then the app that was in front back."""
    if phone.platform == "android":
        return use()
    runner = app_id(phone.platform, phone.device.wda_bundle_id)
    front = _app_in_front(phone)
    try:
        phone.driver.execute_script("mobile: activateApp", runner)
        wait.until(
            lambda: True if phone.driver.execute_script("mobile: queryAppState", runner) == IN_FRONT else None,
            what=f"{phone.name}: WebDriverAgent's runner {phone.device.wda_bundle_id} in front",
            timeout=RUNNER_TIMEOUT_S,
            fail=ClipboardUnavailable,
        )
        return use()
    except WebDriverException as exc:
        raise ClipboardUnavailable(
            f"{phone.name}: the clipboard through WebDriverAgent's runner {phone.device.wda_bundle_id} "
            f"(the device entry's wda_bundle_id): {exc.msg}"
        ) from exc
    finally:
        _bring_back(phone, front)


def _app_in_front(phone: Phone) -> str | None:
    """The bundle id of the app under test in front, or None (the home screen, say)."""
    for app in APPS_UNDER_TEST:
        bundle = locators(app).package(phone.platform)
        if phone.driver.execute_script("mobile: queryAppState", app_id(phone.platform, bundle)) == IN_FRONT:
            return bundle
    return None


def _bring_back(phone: Phone, front: str | None) -> None:
    """The app that was in front comes back; with none, the home screen."""
    if front is None:
        phone.driver.execute_script("mobile: pressButton", {"name": "home"})
    else:
        phone.driver.execute_script("mobile: activateApp", app_id(phone.platform, front))
