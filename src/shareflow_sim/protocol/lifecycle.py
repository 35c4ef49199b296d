"""Apps and the keyboard through Appium's ``/appium/device`` routes: activate, terminate, app state, keyboard.

The routes of Appium 3's base driver (``packages/base-driver/lib/protocol/routes.js``): each takes ``appId``
(Android) or ``bundleId`` (iOS) and does what the matching ``mobile:`` method does. App states: 0 not installed,
1 not running, 2 running in the background suspended, 3 running in the background, 4 running in the foreground.
Android's ``hideKeyboard`` answers whether a keyboard was there to hide (appium-android-driver
``lib/commands/keyboard.ts``, appium-adb ``hideKeyboard``).
"""

from __future__ import annotations

from typing import Any

from shareflow_sim.protocol.errors import InvalidArgument
from shareflow_sim.protocol.mobile import m_activate_app, m_keyboard_shown, m_query_app_state, m_terminate_app
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call

command = Commands()


def _app(c: Call) -> dict[str, Any]:
    """The body's app, named the platform's way (either name is taken, as the base driver takes it)."""
    app_id = c.body.get("appId") or c.body.get("bundleId")
    if not isinstance(app_id, str):
        raise InvalidArgument(
            f"Parameters were incorrect. We wanted 'appId' or 'bundleId' and you sent {sorted(c.body)}"
        )
    return {"appId" if c.android else "bundleId": app_id}


@command("POST", "/appium/device/activate_app")
def activate_app(c: Call) -> None:
    m_activate_app(c, _app(c))


@command("POST", "/appium/device/terminate_app")
def terminate_app(c: Call) -> bool:
    return m_terminate_app(c, _app(c))


@command("GET", "/appium/device/app_state")
@command("POST", "/appium/device/app_state")
def app_state(c: Call) -> int:
    return m_query_app_state(c, _app(c))


@command("GET", "/appium/device/is_keyboard_shown")
def is_keyboard_shown(c: Call) -> bool:
    return m_keyboard_shown(c, {})


@command("POST", "/appium/device/hide_keyboard")
def hide_keyboard(c: Call) -> bool:
    return c.phone.hide_keyboard()
