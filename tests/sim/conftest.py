"""Fixtures for the virtual farm's protocol tests: farms served in-process on free ports,
driven only through appium-python-client."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.common.base import AppiumOptions
from appium.options.ios import XCUITestOptions
from flowkit import QUIET, running_farm

from shareflow_sim.phone import PhoneSpec

APPS = {"wechat": "8.0.16", "taobao": "10.5.0"}
PHONES = (
    PhoneSpec("android-1", "android", "13", "android-fhd", "emulator-5554", "wxid_android1", "安卓一号", APPS),
    PhoneSpec("android-2", "android", "12", "android-hd", "emulator-5556", "wxid_android2", "安卓二号", APPS),
    PhoneSpec("iphone-1", "ios", "16.4", "iphone-13", "00008110-000A1B2C3D4E5F01", "wxid_iphone1", "苹果一号", APPS),
)
OpenSession = Callable[..., webdriver.Remote]
FarmFactory = Callable[[dict[str, Any]], contextlib.AbstractContextManager[OpenSession]]


def options(platform: str, **caps: Any) -> AppiumOptions:
    """The client's Options for a platform, with extra capabilities (prefixed as the client does)."""
    opts: AppiumOptions = UiAutomator2Options() if platform == "android" else XCUITestOptions()
    for name, value in caps.items():
        opts.set_capability(name, value)
    return opts


@contextlib.contextmanager
def session_factory(url: str) -> Iterator[OpenSession]:
    """Opens sessions on ``url``; quits whatever is still open afterwards."""
    opened: list[webdriver.Remote] = []

    def open_session(platform: str = "android", **caps: Any) -> webdriver.Remote:
        driver = webdriver.Remote(url, options=options(platform, **caps))
        opened.append(driver)
        return driver

    try:
        yield open_session
    finally:
        for driver in opened:
            with contextlib.suppress(Exception):
                driver.quit()


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    """The quiet farm (no transitions, pop-ups or banners) shared by the tests."""
    with running_farm(QUIET, PHONES) as url:
        yield url


@pytest.fixture
def open_session(sim_url: str) -> Iterator[OpenSession]:
    """Opens sessions on the quiet farm; they are quit after the test."""
    with session_factory(sim_url) as factory:
        yield factory


@contextlib.contextmanager
def _own_farm(data: dict[str, Any]) -> Iterator[OpenSession]:
    with running_farm(data, PHONES) as url, session_factory(url) as factory:
        yield factory


@pytest.fixture
def own_farm() -> FarmFactory:
    """Serves a farm of its own with the scenario given; yields a session opener for it."""
    return _own_farm
