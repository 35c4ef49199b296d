"""WebDriverAgent's runner app on the iPhones: an installed app that XCUITest can bring to the front.

On a real iPhone the runner (``WebDriverAgentRunner-Runner``, bundle id
``com.facebook.WebDriverAgentRunner.xctrunner``) is an app like any other: it has an icon on the
home screen, ``mobile: activateApp`` brings it up, and in front it shows a blank screen. Only with it
in front may WebDriverAgent read (iOS 13+) or write (iOS 15+) the clipboard (appium-xcuitest-driver,
guide "Get/Set Clipboard"; appium/WebDriverAgent#330). A session's ``appium:updatedWDABundleId``
names another build of it, whose bundle id is that plus ``appium:updatedWDABundleIdSuffix``
(default ``.xctrunner``: appium-webdriveragent ``lib/constants`` DEFAULT_TEST_BUNDLE_SUFFIX;
guide "Run Preinstalled WDA").
"""

from __future__ import annotations

from typing import Any

from shareflow_sim.apps.base import App
from shareflow_sim.ui import Layer, Node, Rect, Style

RUNNER_NAME = "WebDriverAgentRunner-Runner"
DEFAULT_BUNDLE_ID = "com.facebook.WebDriverAgentRunner.xctrunner"
DEFAULT_SUFFIX = ".xctrunner"


def bundle_id_of(caps: dict[str, Any]) -> str:
    """The runner's bundle id a session's capabilities name; ValueError names a capability of the wrong type."""
    updated, suffix = caps.get("appium:updatedWDABundleId"), caps.get("appium:updatedWDABundleIdSuffix")
    for name, value in (("updatedWDABundleId", updated), ("updatedWDABundleIdSuffix", suffix)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{name}' must be of type string")
    if updated is None:
        return DEFAULT_BUNDLE_ID
    return updated + (DEFAULT_SUFFIX if suffix is None else suffix)


class WdaRunner(App):
    """The runner app: a blank screen in front, nothing to tap."""

    package = RUNNER_NAME  # iOS only: no Android package; the phone keys its apps by this
    bundle_id = DEFAULT_BUNDLE_ID
    label = RUNNER_NAME
    launch_activity = "XCTRunner"
    icon_color = "#3C3C3C"

    def launch(self) -> None:
        self.stack.clear()
        self.push("blank")

    def layers(self) -> list[Layer]:
        p = self.phone.profile
        blank = Node("view", Rect(0, 0, p.width, p.height), key="wda.blank", style=Style(bg="#000000"))
        return [Layer(blank, self.package, name="wda.blank", activity=self.activity)]
