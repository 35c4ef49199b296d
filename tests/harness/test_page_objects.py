"""Page objects' taps when a tap's screen comes later than the proof's wait (stand-in driver and screen)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from shareflow.apps.wechat import WeChat
from shareflow.devices import Device
from shareflow.screen import StateNotReached


class LateDriver:
    """The chat row is on screen until it is tapped; the tap takes effect, but late."""

    def __init__(self) -> None:
        self.taps = 0

    def find_elements(self, by: str, value: str) -> list[Any]:
        if "购物分享群头像" in value and self.taps == 0:
            return [SimpleNamespace(click=self.tap)]
        return []  # no banner, no pop-up; the row is gone once tapped

    def tap(self) -> None:
        self.taps += 1


class LateScreen:
    """The chat shows only after the proof's first wait ran out: it is there when next looked at."""

    def __init__(self) -> None:
        self.waits = 0
        self.looked = False

    def expect_any(self, states: list[str], timeout: float, on_miss: object = None) -> tuple[str, None]:
        self.waits += 1
        if not self.looked:
            raise StateNotReached(f"screen state {states[0]!r} not reached within {timeout:.0f} s")
        return states[0], None

    def sees(self, state: str) -> bool:
        self.looked = True
        return state == "wechat/chat"


def test_a_tap_that_took_effect_after_the_proof_s_wait_is_not_repeated_nor_failed() -> None:
    driver, screen = LateDriver(), LateScreen()
    device = Device("droid", "android", os_version="12", endpoint="embedded", apps={"wechat": "8.0.16"})
    wechat = WeChat(SimpleNamespace(driver=driver, screen=screen, platform="android", device=device))  # type: ignore[arg-type]
    assert wechat.tap("chat_row", proof="wechat/chat", timeout=1.0, name="购物分享群") == "wechat/chat"
    assert (driver.taps, screen.waits) == (1, 2)


def test_a_tap_whose_element_and_proof_both_stay_away_fails_naming_the_element() -> None:
    driver, screen = LateDriver(), LateScreen()
    screen.sees = lambda state: False  # type: ignore[method-assign]
    device = Device("droid", "android", os_version="12", endpoint="embedded", apps={"wechat": "8.0.16"})
    wechat = WeChat(SimpleNamespace(driver=driver, screen=screen, platform="android", device=device))  # type: ignore[arg-type]
    with pytest.raises(StateNotReached, match="element 'chat_row' not shown within 0 s"):
        wechat.tap("chat_row", proof="wechat/chat", timeout=0.2, name="购物分享群")
    assert driver.taps == 1
