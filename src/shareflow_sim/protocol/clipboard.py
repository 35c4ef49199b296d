"""The clipboard through the drivers: ``mobile: getClipboard`` / ``setClipboard`` (both), and on iOS
``mobile: getPasteboard`` / ``setPasteboard``, as real iPhones let WebDriverAgent use them.

- A real iPhone hands the clipboard only to the app in front, and the one asking is WebDriverAgent's
  runner, not the app under test: unless the runner is in front, reading returns "" (iOS 13+) and
  writing does nothing (iOS 15+) (appium-xcuitest-driver guide "Get/Set Clipboard"; appium/appium#14568;
  appium/WebDriverAgent#330). Simulators are not held to it here: the guide's way round it there is
  simctl, which the farm's simulators honour for every route.
- ``mobile: getPasteboard`` / ``setPasteboard`` go through simctl: on a real device the driver throws
  "Getting (Setting) pasteboard content is not supported on real devices", which Appium answers as an
  unknown error (appium-xcuitest-driver ``lib/commands/pasteboard.js``). They take and give plain text
  (not base64), and setting needs non-empty content.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from shareflow_sim.apps.wda import WdaRunner
from shareflow_sim.protocol.arguments import arg, b64
from shareflow_sim.protocol.errors import InvalidArgument, UnknownError
from shareflow_sim.protocol.sessions import Call

READ_LOCKED_SINCE = 13  # iOS major version from which reading needs the runner in front
WRITE_LOCKED_SINCE = 15  # ... and writing


def _runner_needed(c: Call, since: int) -> bool:
    """Whether the phone keeps the clipboard from WebDriverAgent now: a real iPhone of iOS ``since``+,
    with the runner app not in front."""
    phone = c.phone
    if c.android or phone.simulator or phone.os_major < since:
        return False
    return phone.current_package != WdaRunner.package


def _plaintext(a: dict[str, Any]) -> None:
    kind = arg(a, "contentType", str, "plaintext")
    if kind.lower() != "plaintext":
        raise InvalidArgument(f"The virtual phones' clipboard holds plain text only, not '{kind}'")


def m_get_clipboard(c: Call, a: dict[str, Any]) -> str:
    _plaintext(a)
    if _runner_needed(c, READ_LOCKED_SINCE):
        c.phone.log("WebDriverAgent", "clipboard read in the background: iOS gives it nothing", "W")
        return ""
    return b64(c.phone.clipboard_text.encode("utf-8"))


def m_set_clipboard(c: Call, a: dict[str, Any]) -> None:
    _plaintext(a)
    try:
        text = base64.b64decode(arg(a, "content", str), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidArgument("'content' must be base64-encoded UTF-8 text") from exc
    if _runner_needed(c, WRITE_LOCKED_SINCE):
        c.phone.log("WebDriverAgent", "clipboard written in the background: iOS drops it", "W")
        return
    c.phone.set_clipboard(text)


def _simulator_only(c: Call, doing: str) -> None:
    if not c.phone.simulator:
        raise UnknownError.wrapping(f"{doing} pasteboard content is not supported on real devices")


def m_get_pasteboard(c: Call, a: dict[str, Any]) -> str:
    _simulator_only(c, "Getting")
    return c.phone.clipboard_text


def m_set_pasteboard(c: Call, a: dict[str, Any]) -> None:
    _simulator_only(c, "Setting")
    content = arg(a, "content", str, "")
    if not content:
        raise UnknownError.wrapping("Pasteboard content is mandatory to set")
    c.phone.set_clipboard(content)
