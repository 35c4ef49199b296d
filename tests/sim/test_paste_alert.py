"""iOS's paste permission alert as real iPhones show it to automation: on the screenshot, not in the source.

SpringBoard's alert is not part of the app's XCUITest page source (appium/appium#17392, #19908), and from
iOS 17 WebDriverAgent's alert commands do not see it (appium/appium#19814); a tap where it is drawn answers it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy
from cv2 import IMREAD_COLOR, imdecode
from flowkit import QUIET, WDA_RUNNER, running_farm
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException

from conftest import APPS, options
from shareflow.vision import ocr
from shareflow.wait import until
from shareflow_sim.phone import PhoneSpec

TAOBAO = "com.taobao.taobao4iphone"
CARD = "好友分享给你一个宝贝"  # the header of the card Taobao shows once it has pasted an item link
PHONES = (
    PhoneSpec("iphone-16", "ios", "16.7", "iphone-13", "UDID-IOS16", "wxid_ios16", "十六", APPS),
    PhoneSpec("iphone-17", "ios", "17.5", "iphone-15-plus", "UDID-IOS17", "wxid_ios17", "十七", APPS),
)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running_farm(QUIET, PHONES) as served:
        yield served


def taobao_asking_to_paste(url: str, udid: str, item: str) -> webdriver.Remote:
    """A session on Taobao, which has just found another app's link to ``item`` on the clipboard (Taobao
    asks once per clipboard text)."""
    driver = webdriver.Remote(url, options=options("ios", udid=udid))
    driver.execute_script("mobile: terminateApp", {"bundleId": TAOBAO})
    driver.activate_app(WDA_RUNNER)
    driver.set_clipboard_text(f"https://item.taobao.com/item.htm?id={item}")
    driver.activate_app(TAOBAO)
    for skip in driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "跳过"):  # or the splash ends by itself
        with contextlib.suppress(StaleElementReferenceException):
            skip.click()
    until(lambda: shown(driver, "允许粘贴"), what="the paste alert", timeout=10)  # Taobao reads it on its home page
    return driver


def shown(driver: webdriver.Remote, words: str) -> tuple[int, int] | None:
    """Where a line reading ``words`` shows on the screenshot (its centre, in points), or None."""
    png = np.frombuffer(driver.get_screenshot_as_png(), np.uint8)
    screen = imdecode(png, IMREAD_COLOR)
    points = screen.shape[1] / driver.get_window_size()["width"]
    line = next((li for li in ocr.find_lines(screen) if li.words.strip() == words), None)
    if line is None:
        return None
    x, y, w, h = line.box
    return round((x + w / 2) / points), round((y + h / 2) / points)


def test_on_ios_16_the_alert_commands_answer_it_though_the_page_source_does_not_hold_it(url: str) -> None:
    driver = taobao_asking_to_paste(url, "UDID-IOS16", "652419876401")
    try:
        assert "允许粘贴" not in driver.page_source
        assert not driver.find_elements(AppiumBy.CLASS_NAME, "XCUIElementTypeAlert")
        assert driver.execute_script("mobile: alert", {"action": "getButtons"}) == ["不允许粘贴", "允许粘贴"]
        driver.execute_script("mobile: alert", {"action": "accept", "buttonLabel": "允许粘贴"})
        assert CARD in driver.page_source
    finally:
        driver.quit()


def test_on_ios_17_only_the_screenshot_shows_it_and_a_tap_there_answers_it(url: str) -> None:
    driver = taobao_asking_to_paste(url, "UDID-IOS17", "652419876402")
    try:
        with pytest.raises(NoAlertPresentException):
            driver.execute_script("mobile: alert", {"action": "getButtons"})
        with pytest.raises(NoAlertPresentException):
            _ = driver.switch_to.alert.text
        assert "允许粘贴" not in driver.page_source
        allow = shown(driver, "允许粘贴")
        assert allow is not None and shown(driver, "不允许粘贴") is not None
        driver.execute_script("mobile: tap", {"x": allow[0], "y": allow[1]})
        assert CARD in driver.page_source
        assert shown(driver, "允许粘贴") is None
    finally:
        driver.quit()


def test_stopping_the_app_takes_its_paste_alert_away(url: str) -> None:
    driver = taobao_asking_to_paste(url, "UDID-IOS17", "652419876403")
    try:
        driver.execute_script("mobile: terminateApp", {"bundleId": TAOBAO})
        assert shown(driver, "允许粘贴") is None and shown(driver, "不允许粘贴") is None
    finally:
        driver.quit()
