"""Session settings: ``GET``/``POST /appium/settings``, and the ``appium:settings[...]`` capabilities that set them
when a session starts.

Appium's settings API (https://appium.io/docs/en/latest/guides/settings/): ``POST`` takes ``{"settings": {...}}``
and answers null, ``GET`` answers every setting. UiAutomator2 answers its server's settings with their values
(appium-uiautomator2-server ``model/settings/*.java``), and keeps a name it does not know as it was given (the
driver's own settings map, appium-uiautomator2-driver ``lib/driver.ts`` ``getSettings``). A value of the wrong type
is refused as the server's ``AbstractSetting.convertValue`` refuses it.
"""

from __future__ import annotations

from typing import Any

from shareflow_sim.protocol.errors import InvalidArgument
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import ENABLE_MULTI_WINDOWS, Call

command = Commands()

ENFORCE_XPATH1 = "enforceXPath1"

# appium-uiautomator2-server app/src/main/java/io/appium/uiautomator2/model/settings/*.java: name and default
UIAUTOMATOR2_SETTINGS: dict[str, Any] = {
    "actionAcknowledgmentTimeout": 3000,
    "allowInvisibleElements": False,
    "ignoreUnimportantViews": False,
    "elementResponseAttributes": "",
    ENABLE_MULTI_WINDOWS: False,
    "enableNotificationListener": True,
    "enableTopmostWindowFromActivePackage": False,
    "keyInjectionDelay": 0,
    "scrollAcknowledgmentTimeout": 200,
    "shouldUseCompactResponses": True,
    "waitForIdleTimeout": 10000,
    "waitForSelectorTimeout": 10000,
    "normalizeTagNames": False,
    ENFORCE_XPATH1: False,
    "disableIdLocatorAutocompletion": False,
    "limitXPathContextScope": True,
    "includeExtrasInPageSource": False,
    "includeA11yActionsInPageSource": False,
    "simpleBoundsCalculation": False,
    "trackScrollEvents": True,
    "snapshotMaxDepth": 70,
    "currentDisplayId": 0,
}
_JAVA_TYPES = {bool: "java.lang.Boolean", int: "java.lang.Integer", str: "java.lang.String", float: "java.lang.Double"}
_JAVA_TYPES |= {dict: "java.util.LinkedHashMap", list: "java.util.ArrayList", type(None): "null"}


def _java(value: Any) -> str:
    return _JAVA_TYPES.get(type(value), type(value).__name__)


def _checked(name: str, value: Any) -> Any:
    """``value`` for setting ``name``, of the type the server's setting holds."""
    default = UIAUTOMATOR2_SETTINGS.get(name)
    if default is None:
        return value
    if isinstance(default, bool | str):
        if type(value) is type(default):
            return value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    raise InvalidArgument(f"Invalid '{name}' setting value type. Got: {_java(value)}. Expected: {_java(default)}.")


def defaults(platform: str) -> dict[str, Any]:
    """A new session's settings: UiAutomator2's defaults on Android (the farm keeps no iOS settings of its own)."""
    return dict(UIAUTOMATOR2_SETTINGS) if platform == "android" else {}


def update(settings: dict[str, Any], platform: str, given: Any) -> None:
    """Apply ``given`` (a settings object) to ``settings``."""
    if not isinstance(given, dict):
        raise InvalidArgument(f"Settings update should be called with valid JSON. Got {given!r} instead")
    checked = {name: _checked(name, value) if platform == "android" else value for name, value in given.items()}
    settings.update(checked)


def from_capabilities(caps: dict[str, Any]) -> dict[str, Any]:
    """The settings a new session asks for: ``appium:settings[name]`` entries and an ``appium:settings`` object.

    https://appium.io/docs/en/latest/guides/settings/ ("Initializing Settings via Capabilities").
    """
    given = caps.get("appium:settings")
    out: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
    for key, value in caps.items():
        if key.startswith("appium:settings[") and key.endswith("]"):
            out[key.removeprefix("appium:settings[")[:-1]] = value
    return out


@command("GET", "/appium/settings")
def get_settings(c: Call) -> dict[str, Any]:
    return dict(c.session.settings)


@command("POST", "/appium/settings")
def update_settings(c: Call) -> None:
    if "settings" not in c.body:
        raise InvalidArgument(f"Parameters were incorrect. We wanted 'settings' and you sent {sorted(c.body)}")
    update(c.session.settings, c.platform, c.body["settings"])
