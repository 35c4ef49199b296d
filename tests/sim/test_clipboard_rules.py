"""The clipboard as real iPhones let WebDriverAgent use it, and as the farm's simulators and Androids do.

A real iPhone gives the clipboard only to the app in front: with WebDriverAgent's runner in the background,
reading returns "" (iOS 13+) and writing does nothing (iOS 15+); ``mobile: getPasteboard`` /
``setPasteboard`` work on simulators only (appium-xcuitest-driver guide "Get/Set Clipboard";
appium/WebDriverAgent#330; lib/commands/pasteboard.js).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from appium import webdriver
from flowkit import QUIET, running_farm
from PIL import Image
from selenium.common.exceptions import SessionNotCreatedException, WebDriverException

from conftest import APPS, OpenSession, session_factory
from shareflow_sim.phone import RUNNING_IN_FOREGROUND, PhoneSpec

RUNNER = "com.facebook.WebDriverAgentRunner.xctrunner"
TAOBAO = "com.taobao.taobao4iphone"
TEXT = "【淘宝】复制这段话 ￥AbCdEfGhIjK￥"


def iphone(udid: str, os_version: str, simulator: bool = False) -> PhoneSpec:
    return PhoneSpec(f"iphone-{udid}", "ios", os_version, "iphone-13", udid, None, None, APPS, simulator)


PHONES = (
    iphone("ios12", "12.5"),
    iphone("ios14", "14.8"),
    iphone("ios16", "16.7"),
    iphone("sim16", "16.7", simulator=True),
    PhoneSpec("droid", "android", "13", "android-fhd", "emulator-5554", None, None, APPS),
)


@pytest.fixture(scope="module")
def farm_url() -> Iterator[str]:
    with running_farm(QUIET, PHONES) as url:
        yield url


@pytest.fixture
def on(farm_url: str) -> Iterator[OpenSession]:
    """Opens a session on the phone of a udid, Taobao in front unless capabilities say otherwise."""
    with session_factory(farm_url) as factory:

        def open_on(udid: str, **caps: Any) -> webdriver.Remote:
            platform = "android" if udid == "droid" else "ios"
            app = {"appPackage": "com.taobao.taobao"} if platform == "android" else {"bundleId": TAOBAO}
            return factory(platform, udid=udid if udid != "droid" else "emulator-5554", **{**app, **caps})

        yield open_on


def with_runner_in_front(driver: webdriver.Remote, bundle_id: str = RUNNER) -> str:
    """Bring WebDriverAgent's runner up, read the clipboard, bring Taobao back; returns what was read."""
    driver.activate_app(bundle_id)
    assert driver.query_app_state(bundle_id) == RUNNING_IN_FOREGROUND
    text = driver.get_clipboard_text()
    driver.activate_app(TAOBAO)
    return text


def test_a_real_iphone_reads_the_clipboard_only_with_the_runner_in_front(on: OpenSession) -> None:
    driver = on("ios16")
    driver.activate_app(RUNNER)
    driver.set_clipboard_text(TEXT)
    driver.activate_app(TAOBAO)
    assert driver.get_clipboard_text() == ""  # iOS 13+: Taobao in front, WebDriverAgent gets nothing
    assert with_runner_in_front(driver) == TEXT


def test_a_real_iphone_drops_a_write_unless_the_runner_is_in_front(on: OpenSession) -> None:
    driver = on("ios16")
    driver.set_clipboard_text("written with Taobao in front")  # iOS 15+: nothing happens
    assert with_runner_in_front(driver) != "written with Taobao in front"
    driver.activate_app(RUNNER)
    driver.set_clipboard_text(TEXT)
    assert driver.get_clipboard_text() == TEXT


def test_ios_14_reads_nothing_but_writes_from_the_background(on: OpenSession) -> None:
    driver = on("ios14")
    driver.set_clipboard_text(TEXT)  # before iOS 15 a write from the background counts
    assert driver.get_clipboard_text() == ""
    assert with_runner_in_front(driver) == TEXT


def test_ios_12_and_androids_and_simulators_use_the_clipboard_from_the_background(on: OpenSession) -> None:
    for udid in ("ios12", "sim16", "droid"):
        driver = on(udid)
        driver.set_clipboard_text(f"{TEXT} {udid}")
        assert driver.get_clipboard_text() == f"{TEXT} {udid}"


def test_pasteboard_methods_work_on_simulators_only(on: OpenSession) -> None:
    simulator = on("sim16")
    simulator.execute_script("mobile: setPasteboard", {"content": TEXT})
    assert simulator.execute_script("mobile: getPasteboard", {}) == TEXT  # plain text, not base64
    with pytest.raises(WebDriverException, match="Pasteboard content is mandatory to set"):
        simulator.execute_script("mobile: setPasteboard", {"content": ""})
    real = on("ios16")
    real.activate_app(RUNNER)  # not even with the runner in front
    for method, doing in (("getPasteboard", "Getting"), ("setPasteboard", "Setting")):
        with pytest.raises(WebDriverException, match=f"{doing} pasteboard content is not supported on real devices"):
            real.execute_script(f"mobile: {method}", {"content": "through simctl"})
    assert real.get_clipboard_text() != "through simctl"


def test_the_runner_is_an_app_with_a_blank_screen(on: OpenSession) -> None:
    driver = on("ios16")
    assert driver.is_app_installed(RUNNER)
    driver.activate_app(RUNNER)
    assert driver.query_app_state(TAOBAO) == 3  # running in the background
    source = driver.page_source
    assert 'name="WebDriverAgentRunner-Runner"' in source and "淘宝" not in source
    screen = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    assert screen.getpixel((screen.width // 2, screen.height // 2)) == (0, 0, 0)  # blank
    assert not on("droid").is_app_installed(RUNNER)  # Androids have no WebDriverAgent


def test_updated_wda_bundle_id_names_the_runner(on: OpenSession) -> None:
    driver = on("ios16", updatedWDABundleId="com.example.WebDriverAgentRunner")
    custom = "com.example.WebDriverAgentRunner.xctrunner"
    assert driver.is_app_installed(custom) and not driver.is_app_installed(RUNNER)
    driver.activate_app(custom)
    driver.set_clipboard_text(TEXT)
    assert with_runner_in_front(driver, custom) == TEXT
    with pytest.raises(WebDriverException, match="is not installed"):
        driver.activate_app(RUNNER)
    driver.quit()
    suffixed = on("ios16", updatedWDABundleId="com.example.wda", updatedWDABundleIdSuffix="")
    assert suffixed.is_app_installed("com.example.wda")
    suffixed.quit()
    with pytest.raises(SessionNotCreatedException, match="'updatedWDABundleId' must be of type string"):
        on("ios16", updatedWDABundleId=7)
