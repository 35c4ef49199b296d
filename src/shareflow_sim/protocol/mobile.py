"""Execute: the drivers' ``mobile:`` methods, each platform's table of them."""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from shareflow_sim import adb
from shareflow_sim.phone import LONG_PRESS_S
from shareflow_sim.protocol.actions import MAX_GESTURE_WAIT_S
from shareflow_sim.protocol.alerts import answer_alert, current_alert
from shareflow_sim.protocol.arguments import NUMBER, arg, element_id
from shareflow_sim.protocol.capabilities import DRIVERS
from shareflow_sim.protocol.clipboard import m_get_clipboard, m_get_pasteboard, m_set_clipboard, m_set_pasteboard
from shareflow_sim.protocol.device import DEVICE_TIME_FORMAT, device_time
from shareflow_sim.protocol.errors import InvalidArgument, UnknownError, UnknownMethod, UnsupportedOperation
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import NATIVE, Call

command = Commands()

MobileMethod = Callable[[Call, dict[str, Any]], Any]


def _app_id(c: Call, a: dict[str, Any]) -> str:
    app_id = arg(a, "appId" if c.android else "bundleId", str)
    if not c.phone.has_app(app_id):
        raise UnknownError(f"The application '{app_id}' is not installed on the device {c.phone.name}")
    return app_id


def m_activate_app(c: Call, a: dict[str, Any]) -> None:
    c.phone.open_app(_app_id(c, a))


def m_terminate_app(c: Call, a: dict[str, Any]) -> bool:
    app_id = _app_id(c, a)
    if app_id == c.session.aut:
        c.session.aut_expected = False  # stopped on purpose: WDA no longer calls it crashed
    return c.phone.terminate_app(app_id)


def m_query_app_state(c: Call, a: dict[str, Any]) -> int:
    return c.phone.app_state(arg(a, "appId" if c.android else "bundleId", str))


def m_is_app_installed(c: Call, a: dict[str, Any]) -> bool:
    return c.phone.has_app(arg(a, "appId" if c.android else "bundleId", str))


def m_list_apps(c: Call, a: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``mobile: listApps``: the installed apps by package (Android) or bundle id (iOS).

    UiAutomator2 (driver 7.0.0+, README "mobile: listApps"; appium-android-driver
    ``lib/commands/app-management.ts`` ``mobileListApps``): ``{package: {packageName, versionCode}}``,
    no version name. XCUITest (docs/reference/execute-methods.md "mobile: listApps",
    ``lib/commands/app-management.ts``): the installation proxy's attributes of each user app, cut to
    ``returnAttributes``; a Simulator refuses it ("Listing apps can only be performed on a real device",
    ``requireRealDevice``). The farm's iPhones have no system apps to list.
    """
    if c.android:
        arg(a, "user", (str, int), None)
        return {
            app.package: {"packageName": app.package, "versionCode": app.version_code} for app in c.phone.apps.values()
        }
    if c.phone.simulator:
        raise UnknownError.wrapping("Listing apps can only be performed on a real device")
    kind = arg(a, "applicationType", str, "User")
    wanted = arg(a, "returnAttributes", list, None)
    if kind not in ("User", "System"):
        raise InvalidArgument(f"applicationType must be either 'User' or 'System', got '{kind}'")
    apps: dict[str, dict[str, Any]] = {}
    for app in c.phone.apps.values() if kind == "User" else ():
        version = app.version or "1.0"
        attributes = {
            "CFBundleIdentifier": app.bundle_id,
            "CFBundleName": app.label or app.package,
            "CFBundleDisplayName": app.label or app.package,
            "CFBundleShortVersionString": version,
            "CFBundleVersion": version,
            "UIFileSharingEnabled": False,
        }
        apps[app.bundle_id] = {k: v for k, v in attributes.items() if wanted is None or k in wanted}
    return apps


def m_deep_link(c: Call, a: dict[str, Any]) -> None:
    url = arg(a, "url", str)
    app_id = arg(a, "package", str) if c.android else arg(a, "bundleId", str, None)
    try:
        c.phone.deep_link(url, app_id)
    except KeyError as exc:
        raise UnknownError(f"Cannot open '{url}': {exc.args[0]}") from exc


def m_press_key(c: Call, a: dict[str, Any]) -> None:
    c.phone.press_key(arg(a, "keycode", int))


def _gesture_point(c: Call, a: dict[str, Any]) -> tuple[float, float]:
    """Where a mobile: gesture touches: an element (offsets from its top-left) or x/y."""
    x, y = arg(a, "x", NUMBER, None), arg(a, "y", NUMBER, None)
    if a.get("elementId") is None:
        if x is None or y is None:
            raise InvalidArgument("Either 'elementId' or both 'x' and 'y' must be provided")
        return c.logical(x, y)
    with c.phone.lock:
        _, el, _ = c.element(element_id(a["elementId"]))
    if x is None or y is None:
        return c.center(el)
    r = c.rect(el)
    return c.logical(r["x"] + x, r["y"] + y)


def _hold(c: Call, point: tuple[float, float], seconds: float) -> None:
    time.sleep(min(max(seconds, 0.0), MAX_GESTURE_WAIT_S))
    (c.phone.long_press if seconds >= LONG_PRESS_S else c.phone.tap)(*point)


def m_click_gesture(c: Call, a: dict[str, Any]) -> None:
    c.phone.tap(*_gesture_point(c, a))


def m_long_click_gesture(c: Call, a: dict[str, Any]) -> None:
    _hold(c, _gesture_point(c, a), arg(a, "duration", NUMBER, 500) / 1000)


def m_touch_and_hold(c: Call, a: dict[str, Any]) -> None:
    _hold(c, _gesture_point(c, a), arg(a, "duration", NUMBER))


# -- scrolling ---------------------------------------------------------------------------------------------
# Directions name where the content goes into view: "down" shows what is below (the finger moves up), except
# in XCUITest's ``mobile: swipe``, which names the finger's way ("up" shows what is below). Appium 1's guide
# "iOS 'mobile:': Screen swipe": "Scroll direction differs between scroll and swipe commands".
_DOWN = {"down": 1, "up": -1}
_FINGER = {"up": 1, "down": -1}
_SIDEWAYS = ("left", "right")


def _direction(a: dict[str, Any], ways: dict[str, int]) -> int:
    """+1 to bring what is below into view, -1 what is above, 0 sideways (no list of the farm scrolls so)."""
    direction = arg(a, "direction", str).lower()
    if direction not in ways and direction not in _SIDEWAYS:
        raise InvalidArgument(f"Direction must be one of {[*ways, *_SIDEWAYS]}. '{direction}' was given")
    return ways.get(direction, 0)


def _area(c: Call, a: dict[str, Any]) -> tuple[float, float, float]:
    """Where a scroll gesture acts, in logical units: its centre and its height (an element's, or the
    ``left``/``top``/``width``/``height`` area's, or the whole screen's)."""
    if a.get("elementId") is not None:
        with c.phone.lock:
            _, el, _ = c.element(element_id(a["elementId"]))
        r = c.rect(el)
    elif all(a.get(k) is not None for k in ("left", "top", "width", "height")):
        r = {k: arg(a, n, NUMBER) for k, n in (("x", "left"), ("y", "top"), ("width", "width"), ("height", "height"))}
        if r["width"] <= 0 or r["height"] <= 0:
            raise InvalidArgument("Both the area's width and height must be greater than zero")
    elif c.android:
        raise InvalidArgument("Either 'elementId' or 'left', 'top', 'width' and 'height' must be provided")
    else:
        r = {"x": 0, "y": 0, **c.screen()}
    x, y = c.logical(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)
    return x, y, r["height"] / c.scale


def m_scroll_gesture(c: Call, a: dict[str, Any]) -> bool:
    """UiAutomator2's ``mobile: scrollGesture`` (appium-uiautomator2-driver docs/android-mobile-gestures.md):
    the area (``elementId``, or ``left``, ``top``, ``width``, ``height``) scrolls towards ``direction`` by
    ``percent`` of its height; returns whether it can still scroll that way."""
    way = _direction(a, _DOWN)
    percent = arg(a, "percent", NUMBER)
    if percent <= 0:
        raise InvalidArgument(f"'percent' must be greater than zero. {percent} was given")
    x, y, height = _area(c, a)
    moved = c.phone.scroll_at(x, y, way * percent * height) if way else None
    return moved is not None and moved[1] > 0


def m_ios_scroll(c: Call, a: dict[str, Any]) -> None:
    """XCUITest's ``mobile: scroll`` (appium-xcuitest-driver, reference/execute-methods "mobile: scroll") by
    ``direction``: one page (``distance``: a share of the scroll view's height, 1.0 by default) of the
    element's scroll view, or of the one in the middle of the screen. Scrolling to an element (``name``,
    ``predicateString``, ``toVisible``) is not modelled."""
    if any(a.get(k) is not None for k in ("name", "predicateString", "toVisible")):
        raise UnsupportedOperation("The virtual farm's 'mobile: scroll' takes a 'direction' (and 'distance') only")
    way = _direction(a, _DOWN)
    distance = arg(a, "distance", NUMBER, 1.0)
    x, y, height = _area(c, a)
    if way:
        c.phone.scroll_at(x, y, way * distance * height)


def m_ios_swipe(c: Call, a: dict[str, Any]) -> None:
    """XCUITest's ``mobile: swipe`` (appium-xcuitest-driver, reference/execute-methods "mobile: swipe"): a
    swipe across the element (or the screen) towards ``direction``, the finger's way. How far a list goes
    is XCTest's (a flick); the farm scrolls it half the element's height (invented)."""
    way = _direction(a, _FINGER)
    x, y, height = _area(c, a)
    if way:
        c.phone.scroll_at(x, y, way * height / 2)


def m_press_button(c: Call, a: dict[str, Any]) -> None:
    name = arg(a, "name", str).lower()
    if name == "home":
        c.phone.go_home()
    elif name not in ("volumeup", "volumedown"):
        raise InvalidArgument(f"The button '{name}' is unknown. Only home, volumeUp and volumeDown are supported")


def m_alert(c: Call, a: dict[str, Any]) -> list[str] | None:
    action = arg(a, "action", str)
    if action == "getButtons":
        return current_alert(c).buttons
    if action not in ("accept", "dismiss"):
        raise InvalidArgument(f"The alert action '{action}' is unknown. Use accept, dismiss or getButtons")
    answer_alert(c, arg(a, "buttonLabel", str, None), action == "accept")
    return None


def m_accept_alert(c: Call, a: dict[str, Any]) -> None:
    answer_alert(c, arg(a, "buttonLabel", str, None), True)


def m_dismiss_alert(c: Call, a: dict[str, Any]) -> None:
    answer_alert(c, arg(a, "buttonLabel", str, None), False)


def m_device_time(c: Call, a: dict[str, Any]) -> str:
    return device_time(c.phone.now(), arg(a, "format", str, DEVICE_TIME_FORMAT))


def m_keyboard_shown(c: Call, a: dict[str, Any]) -> bool:
    return c.phone.keyboard and c.phone.focused_field() is not None


def m_hide_keyboard(c: Call, a: dict[str, Any]) -> bool:
    return c.phone.hide_keyboard()


ADB_SHELL = "adb_shell"


def m_shell(c: Call, a: dict[str, Any]) -> str | dict[str, str]:
    """``mobile: shell``, refused unless the server allows the ``adb_shell`` insecure feature
    (appium-uiautomator2-driver README "mobile: shell"; Appium's ``assertFeatureEnabled``)."""
    c.service.assert_feature_enabled(DRIVERS[c.platform][0].lower(), ADB_SHELL)
    command = arg(a, "command", str)
    args = arg(a, "args", list, [])
    try:
        out = adb.run(c.phone, command, [str(x) for x in args])
    except adb.ShellError as exc:
        raise UnknownError.wrapping(f"Cannot execute the '{command}' shell command. Original error: {exc}") from exc
    return {"stdout": out, "stderr": ""} if arg(a, "includeStderr", bool, False) else out


def m_device_info(c: Call, a: dict[str, Any]) -> dict[str, Any]:
    return adb.device_info(c.phone)


MOBILE: dict[str, dict[str, MobileMethod]] = {
    "android": {
        "activateApp": m_activate_app,
        "terminateApp": m_terminate_app,
        "queryAppState": m_query_app_state,
        "isAppInstalled": m_is_app_installed,
        "listApps": m_list_apps,
        "deepLink": m_deep_link,
        "getClipboard": m_get_clipboard,
        "setClipboard": m_set_clipboard,
        "pressKey": m_press_key,
        "clickGesture": m_click_gesture,
        "scrollGesture": m_scroll_gesture,
        "longClickGesture": m_long_click_gesture,
        "acceptAlert": m_accept_alert,
        "dismissAlert": m_dismiss_alert,
        "getDeviceTime": m_device_time,
        "getCurrentActivity": lambda c, a: c.phone.current_activity,
        "getCurrentPackage": lambda c, a: c.phone.current_package,
        "isKeyboardShown": m_keyboard_shown,
        "hideKeyboard": m_hide_keyboard,
        "shell": m_shell,
        "deviceInfo": m_device_info,
    },
    "ios": {
        "activateApp": m_activate_app,
        "terminateApp": m_terminate_app,
        "queryAppState": m_query_app_state,
        "isAppInstalled": m_is_app_installed,
        "listApps": m_list_apps,
        "deepLink": m_deep_link,
        "getClipboard": m_get_clipboard,
        "setClipboard": m_set_clipboard,
        "getPasteboard": m_get_pasteboard,
        "setPasteboard": m_set_pasteboard,
        "tap": m_click_gesture,
        "touchAndHold": m_touch_and_hold,
        "scroll": m_ios_scroll,
        "swipe": m_ios_swipe,
        "pressButton": m_press_button,
        "alert": m_alert,
        "getDeviceTime": m_device_time,
        "isKeyboardShown": m_keyboard_shown,
        "hideKeyboard": m_hide_keyboard,
    },
}


def _mobile(c: Call, name: str, args: list[Any]) -> Any:
    methods = MOBILE[c.platform]
    method = methods.get(name)
    if method is None:
        driver = DRIVERS[c.platform][1]
        names = [f"mobile: {m}" for m in methods]
        guess = difflib.get_close_matches(f"mobile: {name}", names, n=1, cutoff=0) or names
        raise UnsupportedOperation(
            f"Unsupported execute method 'mobile: {name}', did you mean '{guess[0]}'? Make sure the installed "
            f"{driver} is up-to-date. Execute methods available in the current driver version are: {', '.join(names)}"
        )
    if len(args) > 1 or (args and not isinstance(args[0], dict)):
        raise InvalidArgument(
            "Did not get correct format of arguments for execute method. Expected zero or one arguments "
            f"to execute script and instead received: {json.dumps(args)}"
        )
    return method(c, args[0] if args else {})


@command("POST", "/execute/sync")
def execute(c: Call) -> Any:
    script = c.param("script", str)
    args = c.param("args", list, [])
    match = re.fullmatch(r"\s*mobile:\s*(\w+)\s*", script)
    if match is not None:
        return _mobile(c, match.group(1), args)
    if c.session.context != NATIVE:
        raise UnsupportedOperation("Scripts in web contexts are not supported by the virtual farm")
    raise UnknownMethod("Method is not implemented")


@command("POST", "/execute/async")
def execute_async(c: Call) -> Any:
    return execute(c)
