"""Navigation and the device: back, key presses, the app in front (Android), and the device's clock."""

from __future__ import annotations

import re
from datetime import datetime

from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call

DEVICE_TIME_FORMAT = "YYYY-MM-DDTHH:mm:ssZ"

command = Commands()


def _ios_back(c: Call) -> None:
    """XCUITest's back: tap the first button of the top navigation bar, if there is one."""
    with c.phone.lock:
        src = c.snapshot()
        bars = [el for el, e in src.entries.items() if e.node is not None and e.node.role == "nav"]
        buttons = [b for b in (bars[-1].iter("XCUIElementTypeButton") if bars else ()) if b.get("visible") == "true"]
        if buttons:
            c.phone.tap(*c.center(buttons[0]))


@command("POST", "/back")
def back(c: Call) -> None:
    if c.android:
        c.phone.back()
    else:
        _ios_back(c)


@command("POST", "/appium/device/press_keycode")
def press_keycode(c: Call) -> None:
    c.only("android")
    c.phone.press_key(c.param("keycode", int))


@command("GET", "/appium/device/current_activity")
def current_activity(c: Call) -> str:
    c.only("android")
    return c.phone.current_activity


@command("GET", "/appium/device/current_package")
def current_package(c: Call) -> str:
    c.only("android")
    return c.phone.current_package


_MOMENT = re.compile(r"\[[^\]]*\]|YYYY|YY|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|SSS|ZZ|Z|A")


def device_time(when: datetime, fmt: str = DEVICE_TIME_FORMAT) -> str:
    """``when`` in a moment.js format, as Appium's getDeviceTime formats it."""
    offset = when.strftime("%z") or "+0000"
    tokens = {
        "YYYY": f"{when.year:04d}",
        "YY": f"{when.year % 100:02d}",
        "MM": f"{when.month:02d}",
        "M": str(when.month),
        "DD": f"{when.day:02d}",
        "D": str(when.day),
        "HH": f"{when.hour:02d}",
        "H": str(when.hour),
        "hh": f"{(when.hour - 1) % 12 + 1:02d}",
        "h": str((when.hour - 1) % 12 + 1),
        "mm": f"{when.minute:02d}",
        "m": str(when.minute),
        "ss": f"{when.second:02d}",
        "s": str(when.second),
        "SSS": f"{when.microsecond // 1000:03d}",
        "ZZ": offset,
        "Z": f"{offset[:3]}:{offset[3:]}",
        "A": "AM" if when.hour < 12 else "PM",
    }
    return _MOMENT.sub(lambda m: m.group(0)[1:-1] if m.group(0).startswith("[") else tokens[m.group(0)], fmt)


@command("GET", "/appium/device/system_time")
def system_time(c: Call) -> str:
    return device_time(c.phone.now())


@command("POST", "/appium/device/system_time")
def system_time_formatted(c: Call) -> str:
    return device_time(c.phone.now(), c.param("format", str, DEVICE_TIME_FORMAT))
