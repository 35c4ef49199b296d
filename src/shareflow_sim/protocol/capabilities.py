"""New sessions: W3C capability processing, the driver and device they ask for, the capabilities Appium
answers, and what a new session sets up on its phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from shareflow_sim.apps.wda import WdaRunner, bundle_id_of
from shareflow_sim.phone import Phone
from shareflow_sim.protocol.errors import InvalidArgument, SessionNotCreated

DRIVERS = {"android": ("UiAutomator2", "AndroidUiautomator2Driver"), "ios": ("XCUITest", "XCUITestDriver")}
PLATFORM_NAMES = {"android": "Android", "ios": "iOS"}
ANDROID_API = {"9": 28, "10": 29, "11": 30, "12": 31, "13": 33, "14": 34, "15": 35, "16": 36}
STANDARD_CAPS = {
    "browserName",
    "browserVersion",
    "platformName",
    "acceptInsecureCerts",
    "pageLoadStrategy",
    "proxy",
    "setWindowRect",
    "timeouts",
    "unhandledPromptBehavior",
    "webSocketUrl",
}
DEFAULT_COMMAND_TIMEOUT_S = 60.0


def _promote_options(caps: dict[str, Any]) -> dict[str, Any]:
    """``appium:options`` entries become top-level ``appium:`` capabilities."""
    options = caps.get("appium:options")
    if options is None:
        return caps
    if not isinstance(options, dict):
        raise SessionNotCreated("The appium:options capability must be an object")
    out = {k: v for k, v in caps.items() if k != "appium:options"}
    out.update({k if k.startswith("appium:") else f"appium:{k}": v for k, v in options.items()})
    return out


def merge_capabilities(body: dict[str, Any]) -> dict[str, Any]:
    """W3C capability processing: alwaysMatch merged with the first compatible firstMatch entry."""
    caps = body.get("capabilities")
    if not isinstance(caps, dict):
        raise InvalidArgument("W3C capabilities ('capabilities' with 'alwaysMatch'/'firstMatch') are required")
    always = caps.get("alwaysMatch") or {}
    first = caps.get("firstMatch") or [{}]
    if not isinstance(always, dict) or not isinstance(first, list) or not all(isinstance(f, dict) for f in first):
        raise InvalidArgument("'alwaysMatch' must be an object and 'firstMatch' a list of objects")
    always, first = _promote_options(always), [_promote_options(f) for f in first]
    unprefixed = [k for k in dict.fromkeys([*always, *(k for f in first for k in f)]) if ":" not in k]
    unprefixed = [k for k in unprefixed if k not in STANDARD_CAPS]
    if unprefixed:
        raise InvalidArgument(
            "All non-standard capabilities should have a vendor prefix. "
            f"The following capabilities did not have one: {','.join(unprefixed)}"
        )
    clashes = []
    for entry in first:
        clash = sorted(set(always) & set(entry))
        if not clash:
            return {**always, **entry}
        clashes.append(f"property '{clash[0]}' should not exist on both primary and secondary object")
    raise InvalidArgument(clashes[0])


def version_matches(want: str, have: str) -> bool:
    """Does OS version ``have`` satisfy the requested ``want`` ("13" matches "13.0.1")?"""

    def parts(v: str) -> list[int]:
        nums = [int(p) for p in re.findall(r"\d+", v)]
        while nums and nums[-1] == 0 and len(nums) > 1:
            nums.pop()
        return nums

    w, h = parts(want), parts(have)
    return bool(w) and h[: len(w)] == w


def requested_platform(caps: dict[str, Any]) -> str:
    name = caps.get("platformName")
    if not isinstance(name, str) or not name:
        raise SessionNotCreated("You must include a platformName capability")
    platform = name.lower()
    automation = caps.get("appium:automationName")
    expected = DRIVERS.get(platform, ("", ""))[0]
    if not isinstance(automation, str) or automation.lower() != expected.lower():
        raise SessionNotCreated(
            f"Could not find a driver for automationName '{automation}' and platformName '{name}'. "
            "Have you installed a driver that supports those capabilities? "
            "Run 'appium driver list --installed' to see. The virtual farm serves UiAutomator2 (Android) "
            "and XCUITest (iOS)."
        )
    return platform


def session_caps(phone: Phone, caps: dict[str, Any]) -> dict[str, Any]:
    """What Appium answers: the requested capabilities plus the device's details."""
    p = phone.profile
    android = phone.platform == "android"
    bar_px = round(p.status_bar * p.scale)
    bottom_px = round(p.bottom_bar * p.scale) if android else 0
    out = {k.removeprefix("appium:"): v for k, v in caps.items()}
    out.update(
        platformName=PLATFORM_NAMES[phone.platform],
        automationName=DRIVERS[phone.platform][0],
        deviceName=phone.name,
        udid=phone.udid,
        platformVersion=phone.os_version,
        deviceModel=p.model,
        deviceScreenSize=f"{p.width_px}x{p.height_px}",
        pixelRatio=p.scale,
        statBarHeight=bar_px if android else p.status_bar,
        viewportRect={"left": 0, "top": bar_px, "width": p.width_px, "height": p.height_px - bar_px - bottom_px},
    )
    if android:
        out.update(
            deviceUDID=phone.udid,
            deviceScreenDensity=p.dpi,
            deviceApiLevel=ANDROID_API.get(phone.os_version.split(".")[0]),
        )
    return out


def prepare_phone(phone: Phone, caps: dict[str, Any]) -> Callable[[], None]:
    """Set the phone up for a new session; returns what ending the session does."""
    android = phone.platform == "android"
    if caps.get("appium:app"):
        raise SessionNotCreated(
            "Installing apps ('appium:app') is not supported by the virtual farm: its phones come with "
            "Taobao and WeChat installed; use appium:appPackage/appActivity or appium:bundleId"
        )
    auto = {"appium:autoAcceptAlerts": "accept", "appium:autoDismissAlerts": "dismiss"}
    phone.auto_alerts = None if android else next((v for k, v in auto.items() if caps.get(k) is True), None)
    if not android:  # the WebDriverAgent build the session runs: the runner app's bundle id
        try:
            phone.apps[WdaRunner.package].bundle_id = bundle_id_of(caps)
        except ValueError as exc:
            raise SessionNotCreated(str(exc)) from None
    phone.devlog.drain()  # the session's log starts now
    app_id = caps.get("appium:appPackage" if android else "appium:bundleId")
    if app_id is None:
        return lambda: None
    if not isinstance(app_id, str) or not phone.has_app(app_id):
        raise SessionNotCreated(f"The application '{app_id}' is not installed on the device {phone.name}")
    no_reset = caps.get("appium:noReset") is True
    if not no_reset:
        phone.terminate_app(app_id)
    if caps.get("appium:autoLaunch", True) is not False:
        phone.open_app(app_id)
    if android:
        keep = no_reset or caps.get("appium:dontStopAppOnReset") is True
    else:
        keep = caps.get("appium:shouldTerminateApp", True) is False
    return (lambda: None) if keep else (lambda: phone.terminate_app(app_id))
