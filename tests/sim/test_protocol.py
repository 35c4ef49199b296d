"""The virtual farm's Appium protocol, driven only through appium-python-client over HTTP.

What passes here must work on real Appium 3 (UiAutomator2 / XCUITest), and wrong
usage must fail the way real Appium fails it.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import threading
import time
from typing import Any

import av
import flowkit
import pytest
from appium import webdriver
from appium.common.exceptions import NoSuchContextException
from appium.options.android import UiAutomator2Options
from appium.options.common.base import AppiumOptions
from appium.options.ios import XCUITestOptions
from appium.webdriver.common.appiumby import AppiumBy
from appium.webdriver.mobilecommand import MobileCommand
from lxml import etree
from PIL import Image
from selenium.common.exceptions import (
    InvalidArgumentException,
    InvalidElementStateException,
    InvalidSelectorException,
    InvalidSessionIdException,
    MoveTargetOutOfBoundsException,
    NoAlertPresentException,
    NoSuchElementException,
    SessionNotCreatedException,
    StaleElementReferenceException,
    UnknownMethodException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.remote.command import Command

from shareflow_sim import scenario
from shareflow_sim.farm import Farm
from shareflow_sim.scenario import NOISELESS
from shareflow_sim.server import serve_in_thread
from shareflow_sim.world import Chat

OpenSession = Any  # conftest's session opener: open_session(platform="android", **capabilities)
QUIET = {"noise": NOISELESS}

TAOBAO, TAOBAO_IOS = "com.taobao.taobao", "com.taobao.taobao4iphone"
WECHAT, WECHAT_IOS = "com.tencent.mm", "com.tencent.xin"
ANDROID_1, ANDROID_2, IPHONE = "emulator-5554", "emulator-5556", "00008110-000A1B2C3D4E5F01"
ITEM_TITLE = {
    "401": "2021冬季新款加厚羽绒服",
    "402": "三只松鼠每日坚果",
    "403": "小米手环6",
    "404": "简约北欧陶瓷马克杯",
}


WDA_RUNNER = "com.facebook.WebDriverAgentRunner.xctrunner"
CARD = "好友分享给你一个宝贝"  # the header of the card Taobao shows for a pasted item link


def item_link(n: str) -> str:
    return f"https://item.taobao.com/item.htm?id=652419876{n}"


# -- helpers ---------------------------------------------------------------------------------
def taobao(open_session: OpenSession, platform: str = "android", skip: bool = True, **caps: Any) -> webdriver.Remote:
    """A fresh Taobao session (past the splash screen unless ``skip`` is false)."""
    if platform == "android":
        app = {"udid": ANDROID_1, "appPackage": TAOBAO, "appActivity": "com.taobao.tao.welcome.Welcome"}
    else:
        app = {"udid": IPHONE, "bundleId": TAOBAO_IOS}
    driver = open_session(platform, **app, **caps)
    if skip:
        skip_splash(driver)
    return driver


def copy_on_iphone(driver: webdriver.Remote, text: str) -> None:
    """Taobao's session puts ``text`` on the clipboard as a real iPhone lets it: WebDriverAgent's runner in front."""
    driver.activate_app(WDA_RUNNER)
    driver.set_clipboard_text(text)
    driver.activate_app(TAOBAO_IOS)


def skip_splash(driver: webdriver.Remote) -> None:
    """Tap 跳过 if the splash still shows (it may end by itself at any moment), then wait for home."""
    android = driver.capabilities["platformName"] == "Android"
    skip = (AppiumBy.ID, "splash_skip") if android else (AppiumBy.ACCESSIBILITY_ID, "跳过")
    for button in driver.find_elements(*skip):
        with contextlib.suppress(StaleElementReferenceException):
            button.click()
    driver.implicitly_wait(3)
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "搜索")
    driver.implicitly_wait(0)


def wechat_chat(open_session: OpenSession, platform: str = "android", **caps: Any) -> webdriver.Remote:
    """A WeChat session in the 1:1 chat with 王芳."""
    if platform == "android":
        driver = open_session(udid=ANDROID_1, appPackage=WECHAT, appActivity="com.tencent.mm.ui.LauncherUI", **caps)
        title = (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("王芳")')
    else:
        driver = open_session("ios", udid=IPHONE, bundleId=WECHAT_IOS, **caps)
        title = (AppiumBy.IOS_PREDICATE, 'type == "XCUIElementTypeStaticText" AND label == "王芳"')
    driver.implicitly_wait(3)
    driver.find_element(*title).click()
    input_class = "android.widget.EditText" if platform == "android" else "XCUIElementTypeTextView"
    driver.find_element(AppiumBy.CLASS_NAME, input_class)
    driver.implicitly_wait(0)
    return driver


def center(element: Any) -> tuple[int, int]:
    r = element.rect
    return r["x"] + r["width"] // 2, r["y"] + r["height"] // 2


def feed_item(driver: webdriver.Remote) -> Any:
    """The first item card (Android) or its title (iOS) on Taobao's home feed."""
    if driver.capabilities["platformName"] == "Android":
        return driver.find_element(AppiumBy.ID, f"{TAOBAO}:id/feed_item")
    return driver.find_element(AppiumBy.IOS_PREDICATE, f'label BEGINSWITH "{ITEM_TITLE["401"]}"')


def on_item_page(driver: webdriver.Remote) -> bool:
    android = driver.capabilities["platformName"] == "Android"
    locator = (
        (AppiumBy.ID, f"{TAOBAO}:id/detail_share") if android else (AppiumBy.ACCESSIBILITY_ID, "TBDetailShareButton")
    )
    return bool(driver.find_elements(*locator))


def raw(driver: webdriver.Remote, command: str, **params: Any) -> tuple[int | None, dict[str, Any]]:
    """Send one command through the client's connection; the HTTP status (None on success) and body."""
    response = driver.command_executor.execute(command, {"sessionId": driver.session_id, **params})
    value = response["value"]
    return response.get("status"), json.loads(value) if isinstance(value, str) else response


def png_size(b64: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(b64))).size


# -- sessions and capabilities ------------------------------------------------------------------
def test_status_lists_phones_and_whether_busy(open_session: OpenSession) -> None:
    driver = open_session(udid=ANDROID_2)
    status = driver.get_status()
    assert status["ready"] is True
    busy = {p["name"]: p["busy"] for p in status["phones"]}
    assert busy == {"android-1": False, "android-2": True, "iphone-1": False}


def test_android_session_capabilities(open_session: OpenSession) -> None:
    driver = open_session(udid=ANDROID_1)
    caps = driver.capabilities
    assert caps["platformName"] == "Android"
    assert caps["automationName"] == "UiAutomator2"
    assert (caps["deviceName"], caps["udid"], caps["platformVersion"]) == ("android-1", ANDROID_1, "13")
    assert caps["deviceScreenSize"] == "1080x2400"
    assert caps["deviceScreenDensity"] == 420
    assert caps["pixelRatio"] == 2.625
    assert driver.execute(MobileCommand.GET_SESSION)["value"] == caps


def test_ios_session_capabilities(open_session: OpenSession) -> None:
    caps = open_session("ios").capabilities
    assert (caps["platformName"], caps["automationName"]) == ("iOS", "XCUITest")
    assert (caps["deviceName"], caps["udid"], caps["platformVersion"]) == ("iphone-1", IPHONE, "16.4")
    assert caps["deviceScreenSize"] == "1170x2532"
    assert (caps["pixelRatio"], caps["statBarHeight"]) == (3.0, 47)


@pytest.mark.parametrize(
    ("caps", "phone"),
    [
        ({"udid": ANDROID_2}, "android-2"),
        ({"deviceName": "android-1"}, "android-1"),
        ({"platformVersion": "12"}, "android-2"),
        ({"platformVersion": "13.0"}, "android-1"),
        ({}, "android-1"),
    ],
)
def test_session_picks_the_phone_asked_for(open_session: OpenSession, caps: dict[str, str], phone: str) -> None:
    assert open_session(**caps).capabilities["deviceName"] == phone


def test_busy_phone_is_not_given_a_second_session(open_session: OpenSession) -> None:
    open_session(udid=ANDROID_1)
    with pytest.raises(SessionNotCreatedException, match="busy"):
        open_session(udid=ANDROID_1)
    assert open_session().capabilities["deviceName"] == "android-2"  # any free Android phone


@pytest.mark.parametrize(
    ("caps", "message"),
    [
        ({"udid": "no-such-phone"}, "No device of the farm matches"),
        ({"platformVersion": "11"}, "No device of the farm matches"),
        ({"appPackage": "com.jingdong.app.mall"}, "is not installed"),
        ({"app": "/tmp/taobao.apk"}, "not supported by the virtual farm"),
    ],
)
def test_session_not_created_when_nothing_fits(open_session: OpenSession, caps: dict[str, str], message: str) -> None:
    with pytest.raises(SessionNotCreatedException, match=message):
        open_session(**caps)


@pytest.mark.parametrize(
    ("platform", "automation"), [("Android", "XCUITest"), ("iOS", "UiAutomator2"), ("Android", None)]
)
def test_automation_name_must_fit_the_platform(sim_url: str, platform: str, automation: str | None) -> None:
    opts = AppiumOptions()
    opts.set_capability("platformName", platform)
    opts.set_capability("automationName", automation)
    with pytest.raises(SessionNotCreatedException, match="Could not find a driver"):
        webdriver.Remote(sim_url, options=opts)


def test_unprefixed_capability_is_an_invalid_argument(open_session: OpenSession, sim_url: str) -> None:
    with pytest.raises(InvalidArgumentException, match=r"vendor prefix.*userAgent"):
        webdriver.Remote(sim_url, options=UiAutomator2Options().set_capability("userAgent", "shareflow"))
    driver = open_session()
    raw_caps = {"platformName": "Android", "appium:automationName": "UiAutomator2", "noReset": True}
    with pytest.raises(InvalidArgumentException, match="did not have one: noReset"):
        driver.start_session({"capabilities": {"alwaysMatch": raw_caps, "firstMatch": [{}]}})


def test_idle_session_expires_and_frees_its_phone(open_session: OpenSession) -> None:
    driver = open_session(udid=ANDROID_2, newCommandTimeout=1)
    driver.get_window_rect()
    time.sleep(1.3)
    with pytest.raises(InvalidSessionIdException):
        _ = driver.page_source
    assert open_session(udid=ANDROID_2).capabilities["deviceName"] == "android-2"


def test_deleted_session_is_gone(open_session: OpenSession) -> None:
    driver, other = open_session(udid=ANDROID_1), open_session(udid=ANDROID_2)
    sid = driver.session_id
    driver.quit()
    status, body = raw(other, Command.GET_PAGE_SOURCE, sessionId=sid)
    assert (status, body["value"]["error"]) == (404, "invalid session id")


def test_two_phones_serve_two_sessions_at_once(open_session: OpenSession) -> None:
    drivers = [taobao(open_session), open_session(udid=ANDROID_2, appPackage=TAOBAO)]
    assert all(p["busy"] for p in drivers[0].get_status()["phones"] if p["name"].startswith("android"))
    errors: list[BaseException] = []

    def work(driver: webdriver.Remote) -> None:
        try:
            for _ in range(5):
                assert "<hierarchy" in driver.page_source
                assert driver.get_screenshot_as_png()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d,)) for d in drivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sizes = [png_size(d.get_screenshot_as_base64()) for d in drivers]
    assert sizes == [(1080, 2400), (720, 1600)]


# -- screen ---------------------------------------------------------------------------------------
def test_android_screenshot_and_window_are_in_pixels(open_session: OpenSession) -> None:
    """The window leaves out the navigation bar (48 dp at 2.625 px/dp = 126 px); the screenshot does not."""
    driver = taobao(open_session)
    rect = driver.get_window_rect()
    assert rect == {"x": 0, "y": 0, "width": 1080, "height": 2400 - 126}
    assert driver.get_window_size() == {"width": 1080, "height": 2274}
    driver.command_executor.add_command("simSize", "GET", "/session/$sessionId/window/current/size")
    assert driver.execute("simSize")["value"] == {"width": 1080, "height": 2274}
    assert png_size(driver.get_screenshot_as_base64()) == (1080, 2400)
    assert driver.capabilities["deviceScreenSize"] == "1080x2400"


def test_ios_screenshot_is_the_window_in_points_times_scale(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios")
    rect = driver.get_window_rect()
    assert rect == {"x": 0, "y": 0, "width": 390, "height": 844}
    assert png_size(driver.get_screenshot_as_base64()) == (390 * 3, 844 * 3)


def test_android_page_source_is_uiautomator2_shaped(open_session: OpenSession) -> None:
    source = taobao(open_session).page_source
    assert source.startswith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>")
    root = etree.fromstring(source.split("\n", 1)[1].encode())
    assert (root.tag, root.get("width"), root.get("height")) == ("hierarchy", "1080", "2400")
    assert [window.get("package") for window in root] == [TAOBAO]  # the active window only
    search = root.xpath(f"//*[@resource-id='{TAOBAO}:id/home_searchbar']")[0]
    assert search.tag == search.get("class") == "android.widget.LinearLayout"
    assert search.get("content-desc") == "搜索"
    assert re.fullmatch(r"\[\d+,\d+\]\[\d+,\d+\]", search.get("bounds"))
    for attr in ("index", "text", "checkable", "clickable", "enabled", "focused", "long-clickable", "displayed"):
        assert search.get(attr) is not None


def test_ios_page_source_is_xcuitest_shaped(open_session: OpenSession) -> None:
    source = taobao(open_session, "ios").page_source
    root = etree.fromstring(source.encode())
    assert root.tag == "AppiumAUT"
    app = root[0]
    assert (app.tag, app.get("name"), app.get("width"), app.get("height")) == (
        "XCUIElementTypeApplication",
        "淘宝",
        "390",
        "844",
    )
    assert {w.tag for w in app} == {"XCUIElementTypeWindow"}
    title = root.xpath(f"//XCUIElementTypeStaticText[starts-with(@label, '{ITEM_TITLE['401']}')]")[0]
    assert int(title.get("width")) <= 390
    for attr in ("type", "name", "label", "enabled", "visible", "accessible", "x", "y", "index"):
        assert title.get(attr) is not None


# -- finding elements ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("by", "value", "count"),
    [
        (AppiumBy.ID, f"{TAOBAO}:id/home_searchbar", 1),
        (AppiumBy.ID, "home_searchbar", 1),
        (AppiumBy.ID, "feed_item", 4),
        (AppiumBy.ACCESSIBILITY_ID, "搜索", 1),
        (AppiumBy.CLASS_NAME, "androidx.recyclerview.widget.RecyclerView", 1),
        (AppiumBy.XPATH, "//android.widget.TextView[@text='猜你喜欢']", 1),
        (AppiumBy.XPATH, f"//*[@package='{TAOBAO}' and @clickable='true']", None),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("猜你喜欢")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().textContains("喜欢")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().textStartsWith("猜你")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().textMatches("猜.*欢")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().description("搜索")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().descriptionContains("搜")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().descriptionStartsWith("搜")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().descriptionMatches("^搜索$")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, f'new UiSelector().resourceId("{TAOBAO}:id/feed_item")', 4),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().resourceIdMatches(".*:id/feed_.*")', 4),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().className("android.widget.TextView").text("搜索")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().classNameMatches(".*RecyclerView")', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().resourceId("com.taobao.taobao:id/feed_item").instance(1)', 1),
        (AppiumBy.ANDROID_UIAUTOMATOR, "new UiSelector().clickable(true).enabled(true).selected(false)", None),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().resourceId("com.taobao.taobao:id/feed_item").index(1)', 1),
        (
            AppiumBy.ANDROID_UIAUTOMATOR,
            'new UiSelector().resourceId("com.taobao.taobao:id/home_feed")'
            '.childSelector(new UiSelector().text("猜你喜欢"))',
            1,
        ),
        (
            AppiumBy.ANDROID_UIAUTOMATOR,
            'new UiScrollable(new UiSelector().scrollable(true)).scrollIntoView(new UiSelector().text("猜你喜欢"))',
            1,
        ),
        (AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("没有这个")', 0),
    ],
)
def test_android_locators(open_session: OpenSession, by: str, value: str, count: int | None) -> None:
    found = taobao(open_session).find_elements(by, value)
    assert len(found) == count if count is not None else len(found) > 1


@pytest.mark.parametrize(
    ("by", "value", "count"),
    [
        (AppiumBy.ID, "TBDetailShareButton", 0),
        (AppiumBy.ACCESSIBILITY_ID, "猜你喜欢", 1),
        (AppiumBy.NAME, "猜你喜欢", 1),
        (AppiumBy.CLASS_NAME, "XCUIElementTypeApplication", 1),
        (AppiumBy.CLASS_NAME, "XCUIElementTypeTable", 1),
        (AppiumBy.XPATH, "//XCUIElementTypeStaticText[@name='猜你喜欢']", 1),
        (AppiumBy.IOS_PREDICATE, 'label == "猜你喜欢"', 1),
        (AppiumBy.IOS_PREDICATE, "name == '猜你喜欢' AND type == 'XCUIElementTypeStaticText'", 1),
        (AppiumBy.IOS_PREDICATE, 'label CONTAINS[c] "你喜"', 1),
        (AppiumBy.IOS_PREDICATE, f'label BEGINSWITH "{ITEM_TITLE["402"]}"', 1),
        (AppiumBy.IOS_PREDICATE, 'label ENDSWITH "喜欢"', 1),
        (AppiumBy.IOS_PREDICATE, 'label LIKE "猜*欢"', 1),
        (AppiumBy.IOS_PREDICATE, 'label MATCHES "猜.欢|不存在"', 0),
        (AppiumBy.IOS_PREDICATE, 'label MATCHES "猜.{2}欢"', 1),
        (AppiumBy.IOS_PREDICATE, 'label IN {"猜你喜欢", "不存在"}', 1),
        (AppiumBy.IOS_PREDICATE, 'name == "淘宝"', 1),  # the application itself, as WDA includes it
        (AppiumBy.IOS_PREDICATE, 'NOT (label != "猜你喜欢") AND (visible == 1 OR enabled == false)', 1),
        (AppiumBy.IOS_PREDICATE, 'label == "猜你喜欢" AND rect.x >= 0 AND rect.width > 10', 1),
        (AppiumBy.IOS_PREDICATE, 'label ==[c] "TAOBAO"', 0),
        (AppiumBy.IOS_CLASS_CHAIN, '**/XCUIElementTypeStaticText[`label == "猜你喜欢"`]', 1),
        (AppiumBy.IOS_CLASS_CHAIN, "XCUIElementTypeWindow[1]/XCUIElementTypeOther", None),
        (AppiumBy.IOS_CLASS_CHAIN, "**/XCUIElementTypeTable/XCUIElementTypeOther[2]", 1),
        (AppiumBy.IOS_CLASS_CHAIN, "**/XCUIElementTypeTable/*[-1]", 1),
    ],
)
def test_ios_locators(open_session: OpenSession, by: str, value: str, count: int | None) -> None:
    found = taobao(open_session, "ios").find_elements(by, value)
    assert len(found) == count if count is not None else len(found) >= 1


@pytest.mark.parametrize(
    ("platform", "by", "value"),
    [
        ("android", AppiumBy.IOS_PREDICATE, 'label == "x"'),
        ("android", AppiumBy.CSS_SELECTOR, "#x"),
        ("android", AppiumBy.XPATH, "//*["),
        ("android", AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().txt("x")'),
        ("android", AppiumBy.ANDROID_UIAUTOMATOR, "new UiSelector(.text("),
        ("ios", AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("x")'),
        ("ios", AppiumBy.IOS_PREDICATE, 'label === "x"'),
        ("ios", AppiumBy.IOS_PREDICATE, 'colour == "red"'),
        ("ios", AppiumBy.IOS_CLASS_CHAIN, "**/Button"),
    ],
)
def test_invalid_selectors(open_session: OpenSession, platform: str, by: str, value: str) -> None:
    driver = open_session(platform)
    with pytest.raises(InvalidSelectorException):
        driver.find_element(by, value)


def test_search_below_an_element(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    feed = driver.find_element(AppiumBy.ID, "home_feed")
    cards = feed.find_elements(AppiumBy.ID, "feed_item")
    assert len(cards) == 4
    title = cards[1].find_element(AppiumBy.XPATH, "//android.widget.TextView[1]")
    assert title.text.startswith(ITEM_TITLE["402"])
    assert cards[1].find_elements(AppiumBy.ACCESSIBILITY_ID, "搜索") == []
    assert len(feed.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().textStartsWith("¥")')) == 4


def test_missing_element_fails_at_once_without_implicit_wait(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    start = time.monotonic()
    with pytest.raises(NoSuchElementException):
        driver.find_element(AppiumBy.ACCESSIBILITY_ID, "没有这个")
    assert time.monotonic() - start < 0.5
    driver.implicitly_wait(0.6)
    assert driver.timeouts.implicit_wait == 0.6
    start = time.monotonic()
    assert driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "没有这个") == []
    assert time.monotonic() - start >= 0.6


def test_implicit_wait_polls_until_the_element_appears(open_session: OpenSession) -> None:
    time.sleep(1.05)  # splash timers of earlier launches fire by then (they outlive a terminated app)
    driver = taobao(open_session, skip=False)  # the splash screen shows for a second
    with pytest.raises(NoSuchElementException):
        driver.find_element(AppiumBy.ACCESSIBILITY_ID, "搜索")
    driver.implicitly_wait(5)
    start = time.monotonic()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "搜索")
    assert 0.2 < time.monotonic() - start < 3


# -- elements -------------------------------------------------------------------------------------------
def test_android_element_commands(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    search = driver.find_element(AppiumBy.ID, "home_searchbar")
    assert search.tag_name == "android.widget.LinearLayout"
    assert search.get_attribute("content-desc") == search.get_attribute("contentDescription") == "搜索"
    assert search.get_attribute("resource-id") == f"{TAOBAO}:id/home_searchbar"
    assert search.get_attribute("package") == TAOBAO
    assert search.get_attribute("clickable") == "false"
    x0, y0, x1, y1 = map(int, re.findall(r"\d+", search.get_attribute("bounds")))
    assert search.rect == {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
    assert x1 > 411  # pixels, not dp
    assert search.is_displayed() and search.is_enabled() and not search.is_selected()
    with pytest.raises(InvalidArgumentException):
        search.get_attribute("colour")
    tab = driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("首页")')
    assert tab.text == "首页"
    card = driver.find_element(AppiumBy.ID, "feed_item")
    assert card.get_attribute("clickable") == "true"
    assert card.screenshot_as_png.startswith(b"\x89PNG")


def test_ios_element_commands(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios")
    title = driver.find_element(AppiumBy.ACCESSIBILITY_ID, "猜你喜欢")
    assert title.tag_name == title.get_attribute("type") == "XCUIElementTypeStaticText"
    assert title.text == title.get_attribute("label") == title.get_attribute("name") == "猜你喜欢"
    assert title.get_attribute("value") == "猜你喜欢"
    assert (title.get_attribute("enabled"), title.get_attribute("visible")) == ("true", "true")
    assert title.get_attribute("accessible") == "true"
    rect = title.rect
    assert title.get_attribute("rect") == rect
    assert [int(title.get_attribute(k)) for k in ("x", "y", "width", "height")] == [
        rect["x"],
        rect["y"],
        rect["width"],
        rect["height"],
    ]
    assert rect["x"] + rect["width"] <= 390  # points, not pixels
    assert title.is_displayed() and title.is_enabled() and not title.is_selected()
    assert title.get_attribute("colour") is None
    app = driver.find_element(AppiumBy.CLASS_NAME, "XCUIElementTypeApplication")
    assert app.rect == {"x": 0, "y": 0, "width": 390, "height": 844}


def test_element_goes_stale_when_its_screen_changes(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    card = feed_item(driver)
    card.click()
    assert on_item_page(driver)
    with pytest.raises(StaleElementReferenceException):
        card.click()
    driver.back()
    again = feed_item(driver)
    assert again.id == card.id  # the same element keeps its handle
    assert again.is_displayed()


def test_click_is_a_tap_that_a_modal_layer_catches(open_session: OpenSession) -> None:
    """The share sheet is a window of its own over the page: the page's elements leave the tree while it shows,
    and a tap where one of them is lands on the sheet's scrim, which closes the sheet."""
    driver = taobao(open_session)
    feed_item(driver).click()
    back = driver.find_element(AppiumBy.ID, "detail_back")
    spot = center(back)
    driver.find_element(AppiumBy.ID, "detail_share").click()
    assert driver.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("分享给好友")')
    with pytest.raises(StaleElementReferenceException):
        back.click()
    driver.tap([spot])
    assert driver.current_activity.endswith("DetailActivity")
    assert not driver.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("分享给好友")')
    back.click()
    assert driver.current_activity == "com.taobao.tao.TBMainActivity"


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_send_keys_appends_and_clear_empties(open_session: OpenSession, platform: str) -> None:
    driver = wechat_chat(open_session, platform)
    field = driver.find_element(
        AppiumBy.CLASS_NAME, "android.widget.EditText" if platform == "android" else "XCUIElementTypeTextView"
    )
    field.send_keys("你好")
    field.send_keys(" shareflow")
    assert field.text == "你好 shareflow"
    field.clear()
    assert field.text == ""
    field.send_keys(f"ping {platform}")
    send = 'new UiSelector().text("发送")' if platform == "android" else 'label == "发送"'
    driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR if platform == "android" else AppiumBy.IOS_PREDICATE, send).click()
    assert field.text == ""
    assert driver.find_elements(AppiumBy.XPATH, f"//*[@text='ping {platform}' or @label='ping {platform}']")
    with pytest.raises(InvalidElementStateException):
        driver.find_element(AppiumBy.ACCESSIBILITY_ID, "表情").send_keys("x")
    with pytest.raises(NoSuchElementException):
        _ = driver.switch_to.active_element


# -- pointer actions --------------------------------------------------------------------------------------
def test_android_tap_long_press_and_swipe_in_pixels(open_session: OpenSession) -> None:
    driver = wechat_chat(open_session)
    bubble = driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("在吗？")')
    x, y = center(bubble)
    driver.tap([(x, y)])  # a short tap: nothing happens on a text bubble
    assert not driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "复制")
    driver.tap([(x, y)], 700)  # held: the message menu
    assert driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "复制")
    driver.back()
    assert not driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "复制")
    start = time.monotonic()
    driver.swipe(540, 1600, 540, 800, 300)
    assert time.monotonic() - start >= 0.3  # gestures take the time they declare
    assert driver.current_package == WECHAT
    with pytest.raises(MoveTargetOutOfBoundsException):
        driver.tap([(1081, 100)])


def test_ios_taps_are_in_points(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios")
    x, y = center(feed_item(driver))
    assert x < 390 and y < 844
    driver.tap([(x, y)])
    assert on_item_page(driver)


def test_ios_swipe_up_from_the_home_indicator_goes_home(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios")
    driver.swipe(195, 838, 195, 420, 200)
    assert driver.query_app_state(TAOBAO_IOS) == 3
    springboard = driver.find_element(AppiumBy.CLASS_NAME, "XCUIElementTypeApplication")
    assert springboard.get_attribute("name") == "SpringBoard"


def test_pointer_move_relative_to_an_element(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    card = feed_item(driver)
    actions = ActionChains(driver)
    actions.w3c_actions = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"))
    actions.w3c_actions.pointer_action.move_to(card).pointer_down().pause(0.05).release()
    actions.perform()
    assert on_item_page(driver)
    driver.execute(Command.W3C_CLEAR_ACTIONS)


# -- navigation and device ----------------------------------------------------------------------------------
def test_android_back_keys_and_activity(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    assert driver.current_package == TAOBAO
    assert driver.current_activity == "com.taobao.tao.TBMainActivity"
    assert driver.orientation == "PORTRAIT"
    feed_item(driver).click()
    assert driver.current_activity.endswith("DetailActivity")
    driver.back()
    assert driver.current_activity == "com.taobao.tao.TBMainActivity"
    feed_item(driver).click()
    driver.press_keycode(4)  # KEYCODE_BACK
    assert driver.current_activity == "com.taobao.tao.TBMainActivity"
    driver.command_executor.add_command("simKeycode", "POST", "/session/$sessionId/appium/device/press_keycode")
    driver.command_executor.add_command("simActivity", "GET", "/session/$sessionId/appium/device/current_activity")
    driver.command_executor.add_command("simPackage", "GET", "/session/$sessionId/appium/device/current_package")
    driver.execute("simKeycode", {"keycode": 3})  # KEYCODE_HOME
    assert driver.execute("simPackage")["value"] == "com.android.launcher3"
    assert driver.execute("simActivity")["value"] == ".Launcher"
    assert driver.query_app_state(TAOBAO) == 3


def test_ios_back_taps_the_navigation_bar_back_button(open_session: OpenSession) -> None:
    driver = wechat_chat(open_session, "ios")
    driver.back()
    assert driver.find_elements(AppiumBy.IOS_PREDICATE, 'type == "XCUIElementTypeStaticText" AND label == "王芳"')
    assert not driver.find_elements(AppiumBy.CLASS_NAME, "XCUIElementTypeTextView")
    driver.command_executor.add_command("simActivity", "GET", "/session/$sessionId/appium/device/current_activity")
    with pytest.raises(UnknownMethodException):  # UiAutomator2 only
        driver.execute("simActivity")


def test_webview_context_appears_with_wechats_browser(open_session: OpenSession) -> None:
    driver = wechat_chat(open_session)
    assert driver.contexts == ["NATIVE_APP"]
    driver.find_element(AppiumBy.CLASS_NAME, "android.widget.EditText").send_keys(item_link("402"))
    driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("发送")').click()
    links = driver.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().textStartsWith("https://")')
    links[-1].click()
    assert driver.contexts == ["NATIVE_APP", "WEBVIEW_xweb"]
    assert driver.find_elements(AppiumBy.CLASS_NAME, "android.webkit.WebView")
    driver.switch_to.context("WEBVIEW_xweb")
    assert driver.current_context == "WEBVIEW_xweb"
    with pytest.raises(UnknownMethodException, match="web context"):
        _ = driver.page_source
    assert png_size(driver.get_screenshot_as_base64()) == (1080, 2400)
    driver.switch_to.context("NATIVE_APP")
    driver.back()
    assert driver.contexts == ["NATIVE_APP"]
    with pytest.raises(NoSuchContextException):
        driver.switch_to.context("WEBVIEW_xweb")


# -- logs -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("platform", "device_log"), [("android", "logcat"), ("ios", "syslog")])
def test_logs_return_new_entries_since_the_last_read(open_session: OpenSession, platform: str, device_log: str) -> None:
    driver = taobao(open_session, platform)
    assert driver.log_types == [device_log, "server"]
    launch = "START u0" if platform == "android" else "Launching com.taobao.taobao4iphone"
    entries = driver.get_log(device_log)
    assert any(launch in e["message"] for e in entries)
    assert {"timestamp", "level", "message"} <= set(entries[0])
    assert all(launch not in e["message"] for e in driver.get_log(device_log))
    feed_item(driver).click()
    assert any("show item" in e["message"] for e in driver.get_log(device_log))
    server = driver.get_log("server")
    assert any(re.fullmatch(rf"GET /session/{driver.session_id}/se/log/types", e["message"]) for e in server)
    with pytest.raises(InvalidArgumentException, match="Unsupported log type"):
        driver.get_log("syslog" if platform == "android" else "logcat")


# -- mobile: methods ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["android", "ios"])
def test_app_management(open_session: OpenSession, platform: str) -> None:
    driver = taobao(open_session, platform)
    taobao_id, wechat_id = (TAOBAO, WECHAT) if platform == "android" else (TAOBAO_IOS, WECHAT_IOS)
    assert driver.is_app_installed(taobao_id) and not driver.is_app_installed("com.jingdong.app.mall")
    assert driver.query_app_state(taobao_id) == 4
    driver.activate_app(wechat_id)
    assert (driver.query_app_state(wechat_id), driver.query_app_state(taobao_id)) == (4, 3)
    assert driver.terminate_app(taobao_id) is True
    assert driver.query_app_state(taobao_id) == 1
    assert driver.terminate_app(taobao_id) is False
    wrong_key = "bundleId" if platform == "android" else "appId"
    with pytest.raises(InvalidArgumentException):
        driver.execute_script("mobile: queryAppState", {wrong_key: taobao_id})


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_deep_link_opens_the_item(open_session: OpenSession, platform: str) -> None:
    driver = taobao(open_session, platform)
    url = "taobao://item.taobao.com/item.htm?id=652419876401"
    app = {"package": TAOBAO} if platform == "android" else {"bundleId": TAOBAO_IOS}
    driver.execute_script("mobile: deepLink", {"url": url, **app})
    assert on_item_page(driver)
    if platform == "android":
        with pytest.raises(InvalidArgumentException):  # UiAutomator2 wants the package
            driver.execute_script("mobile: deepLink", {"url": url})


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_clipboard_and_device_time(open_session: OpenSession, platform: str) -> None:
    driver = open_session(platform, **({"bundleId": WDA_RUNNER} if platform == "ios" else {}))  # iOS: WDA in front
    driver.set_clipboard_text("【淘宝】复制这段话 ￥AbCdEfGhIjK￥")
    assert driver.get_clipboard_text() == "【淘宝】复制这段话 ￥AbCdEfGhIjK￥"
    with pytest.raises(InvalidArgumentException):
        driver.get_clipboard("image")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", driver.get_device_time())
    assert re.fullmatch(r"\d{4}/\d\d/\d\d", driver.get_device_time("YYYY/MM/DD"))


def test_android_mobile_gestures(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    driver.execute_script("mobile: clickGesture", {"elementId": feed_item(driver).id})
    assert on_item_page(driver)
    driver.execute_script("mobile: pressKey", {"keycode": 4})
    driver.activate_app(WECHAT)
    driver.quit()
    driver = wechat_chat(open_session)
    x, y = center(driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("在吗？")'))
    driver.execute_script("mobile: longClickGesture", {"x": x, "y": y, "duration": 600})
    assert driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "复制")


def test_ios_mobile_gestures(open_session: OpenSession) -> None:
    driver = wechat_chat(open_session, "ios")
    bubble = driver.find_element(AppiumBy.IOS_PREDICATE, 'label == "在吗？"')
    driver.execute_script("mobile: touchAndHold", {"elementId": bubble.id, "duration": 0.6})
    assert driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "复制")
    driver.execute_script("mobile: tap", {"x": 10, "y": 400})  # outside the menu closes it
    assert not driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "复制")
    driver.execute_script("mobile: pressButton", {"name": "home"})
    assert driver.query_app_state(WECHAT_IOS) == 3


# -- scrolling ---------------------------------------------------------------------------------------------------
FRIENDS = 12
LAST_ROW = (AppiumBy.ACCESSIBILITY_ID, f"朋友{FRIENDS - 1:02d}头像")  # the avatar of the list's last chat
FIRST_ROW = (AppiumBy.ACCESSIBILITY_ID, "购物分享群头像")


@pytest.fixture
def crowded() -> Any:
    """Opens sessions on a quiet farm of its own whose phones have FRIENDS more chats than fit on a screen."""
    farm = Farm([flowkit.ANDROID, flowkit.IPHONE], scenario.from_dict(QUIET))
    for spec in (flowkit.ANDROID, flowkit.IPHONE):
        me = spec.wechat_id or ""
        for i in range(FRIENDS):
            friend = farm.world.add_account(f"wxid_friend{i:02d}", f"朋友{i:02d}", npc=True)
            farm.world.chats[f"p2p-{me}-{friend.id}"] = Chat(f"p2p-{me}-{friend.id}", "p2p", [me, friend.id])
    opened: list[webdriver.Remote] = []

    def open_wechat(platform: str) -> webdriver.Remote:
        if platform == "android":
            opts: AppiumOptions = UiAutomator2Options()
            opts.set_capability("appPackage", WECHAT)
            opts.set_capability("appActivity", "com.tencent.mm.ui.LauncherUI")
        else:
            opts = XCUITestOptions()
            opts.set_capability("bundleId", WECHAT_IOS)
        driver = webdriver.Remote(url, options=opts)
        opened.append(driver)
        return driver

    with serve_in_thread(farm) as url:
        yield open_wechat
        for driver in opened:
            with contextlib.suppress(Exception):
                driver.quit()


def test_android_scroll_gesture_scrolls_a_list_and_says_whether_it_can_go_on(crowded: Any) -> None:
    driver = crowded("android")
    last, first = LAST_ROW, FIRST_ROW
    listing = driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR, "new UiSelector().scrollable(true)")
    assert driver.find_elements(*first) and not driver.find_elements(*last)
    gesture = {"elementId": listing.id, "direction": "down", "percent": 0.2}
    answers = [driver.execute_script("mobile: scrollGesture", gesture) for _ in range(4)]
    assert answers[0] is True and answers[-1] is False  # a fifth of the list per gesture: the end within four
    assert driver.find_elements(*last) and not driver.find_elements(*first)
    r = listing.rect
    area = {"left": r["x"], "top": r["y"], "width": r["width"], "height": r["height"]}
    assert driver.execute_script("mobile: scrollGesture", {**area, "direction": "up", "percent": 5.0}) is False
    assert driver.find_elements(*first)
    with pytest.raises(InvalidArgumentException):
        driver.execute_script("mobile: scrollGesture", {**area, "percent": 1.0})  # no direction
    with pytest.raises(InvalidArgumentException):
        driver.execute_script("mobile: scrollGesture", {"direction": "down", "percent": 1.0})  # no area


def test_ios_scroll_swipe_and_w3c_swipe_move_a_table_in_points(crowded: Any) -> None:
    driver = crowded("ios")
    last, first = LAST_ROW, FIRST_ROW
    table = driver.find_element(AppiumBy.CLASS_NAME, "XCUIElementTypeTable")
    assert driver.find_elements(*first) and not driver.find_elements(*last)
    for _ in range(3):
        driver.execute_script("mobile: scroll", {"direction": "down"})  # a page each: what is below
    assert driver.find_elements(*last) and not driver.find_elements(*first)
    for _ in range(4):
        driver.execute_script("mobile: swipe", {"direction": "down", "elementId": table.id})  # the finger's way
    assert driver.find_elements(*first) and not driver.find_elements(*last)
    second = driver.find_element(AppiumBy.ACCESSIBILITY_ID, "王芳头像").rect
    r = table.rect
    x, y = r["x"] + r["width"] // 2, r["y"] + r["height"] - 50
    driver.swipe(x, y, x, y - 100, 300)  # W3C actions, in points
    assert driver.find_element(AppiumBy.ACCESSIBILITY_ID, "王芳头像").rect["y"] == second["y"] - 100


@pytest.mark.parametrize(
    ("platform", "script", "args", "error"),
    [
        ("android", "mobile: alert", {"action": "accept"}, "Unsupported execute method 'mobile: alert'"),
        ("ios", "mobile: pressKey", {"keycode": 4}, "Unsupported execute method 'mobile: pressKey'"),
        ("android", "return document.title", {}, "not implemented"),
        ("ios", "mobile: getCurrentActivity", {}, "XCUITestDriver"),
    ],
)
def test_unsupported_scripts(open_session: OpenSession, platform: str, script: str, args: dict, error: str) -> None:
    driver = open_session(platform)
    with pytest.raises(UnknownMethodException, match=error):
        driver.execute_script(script, args)


# -- alerts ------------------------------------------------------------------------------------------------------
def test_ios_paste_alert_through_w3c(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios", skip=False)
    copy_on_iphone(driver, item_link("402"))
    skip_splash(driver)  # Taobao reads the clipboard once it shows its home page
    alert = driver.switch_to.alert
    assert alert.text == "“淘宝”想要粘贴来自“WebDriverAgentRunner-Runner”的内容\n要允许吗？"
    assert not driver.find_elements(AppiumBy.CLASS_NAME, "XCUIElementTypeAlert")  # SpringBoard's, not the app's
    alert.accept()
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text
    assert CARD in driver.page_source  # the item card Taobao shows after pasting


def test_ios_paste_alert_through_mobile_alert(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios", skip=False)
    copy_on_iphone(driver, item_link("404"))
    skip_splash(driver)
    assert driver.execute_script("mobile: alert", {"action": "getButtons"}) == ["不允许粘贴", "允许粘贴"]
    with pytest.raises(InvalidArgumentException):
        driver.execute_script("mobile: alert", {"action": "accept", "buttonLabel": "好的"})
    driver.execute_script("mobile: alert", {"action": "dismiss", "buttonLabel": "不允许粘贴"})
    assert CARD not in driver.page_source


def test_ios_auto_accept_alerts(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios", skip=False, autoAcceptAlerts=True)
    copy_on_iphone(driver, item_link("403"))
    skip_splash(driver)
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert
    assert CARD in driver.page_source


def test_ios_in_app_alert_is_an_alert_too(open_session: OpenSession) -> None:
    driver = taobao(open_session, "ios")
    feed_item(driver).click()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "TBDetailShareButton").click()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "微信").click()
    assert driver.switch_to.alert.text.startswith("淘口令已复制\n【淘宝】https://m.tb.cn/h.")
    assert driver.execute_script("mobile: alert", {"action": "getButtons"}) == ["取消", "去微信粘贴"]
    driver.switch_to.alert.dismiss()
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert


def test_no_alert_on_android(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert
    with pytest.raises(NoAlertPresentException):
        driver.execute_script("mobile: acceptAlert", {})


# -- screen recording -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("platform", "size"), [("android", (324, 720)), ("ios", (332, 720))])
def test_screen_recording_is_an_h264_mp4(open_session: OpenSession, platform: str, size: tuple[int, int]) -> None:
    driver = taobao(open_session, platform)
    assert driver.stop_recording_screen() == ""  # nothing recording yet
    assert driver.start_recording_screen(timeLimit=30) == ""
    feed_item(driver).click()
    time.sleep(1.0)
    video = base64.b64decode(driver.stop_recording_screen())
    with av.open(io.BytesIO(video)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.codec_context.name == "h264"
    assert len(frames) >= 3
    assert (frames[0].width, frames[0].height) == size
    assert frames[0].format.name == "yuv420p"
    with pytest.raises(InvalidArgumentException):
        driver.start_recording_screen(timeLimit=3600)


# -- errors ------------------------------------------------------------------------------------------------------------
def test_error_responses_are_w3c_shaped(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    card = feed_item(driver)
    card.click()
    driver.command_executor.add_command("simNope", "GET", "/session/$sessionId/no/such/route")
    cases = [
        (Command.GET_PAGE_SOURCE, {"sessionId": "no-such-session"}, 404, "invalid session id"),
        (Command.FIND_ELEMENT, {"using": "id", "value": "nope"}, 404, "no such element"),
        (Command.FIND_ELEMENT, {"using": "css selector", "value": "#x"}, 400, "invalid selector"),
        (Command.CLICK_ELEMENT, {"id": "not-an-element"}, 404, "no such element"),
        (Command.CLICK_ELEMENT, {"id": card.id}, 404, "stale element reference"),
        ("simNope", {}, 404, "unknown command"),
        (Command.GET_CURRENT_URL, {}, 405, "unknown method"),
        (Command.W3C_EXECUTE_SCRIPT, {"script": "mobile: activateApp", "args": [{}]}, 400, "invalid argument"),
        (Command.W3C_EXECUTE_SCRIPT, {"script": "mobile: nope", "args": []}, 500, "unsupported operation"),
        (Command.W3C_GET_ALERT_TEXT, {}, 404, "no such alert"),
        (Command.SET_TIMEOUTS, {}, 400, "invalid argument"),
        (
            Command.NEW_SESSION,
            {"capabilities": {"alwaysMatch": {"platformName": "Android"}}},
            500,
            "session not created",
        ),
    ]
    for command, params, status, error in cases:
        got_status, body = raw(driver, command, **params)
        assert (got_status, body["value"]["error"]) == (status, error), command
        assert body["value"]["message"] and "stacktrace" in body["value"]


# -- noise and faults -------------------------------------------------------------------------------------------------
def test_with_noise_on_an_implicit_wait_absorbs_transitions_and_pop_ups(own_farm: Any) -> None:
    noisy = {
        "noise": {**NOISELESS, "transition_ms": [150, 400], "promo_popup": 1.0, "notification_banner": 0.5},
        "faults": {"latency_ms": [1, 10]},
    }
    with own_farm(noisy) as open_session:
        driver = taobao(open_session, skip=False)
        driver.implicitly_wait(5)
        driver.find_element(AppiumBy.ACCESSIBILITY_ID, "关闭按钮").click()  # the promotion covers the home page
        driver.find_element(AppiumBy.ID, "feed_item").click()
        driver.find_element(AppiumBy.ACCESSIBILITY_ID, "关闭按钮").click()  # and the item page
        driver.find_element(AppiumBy.ID, "detail_buy").click()
        assert driver.find_element(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("确认订单")')
        assert png_size(driver.get_screenshot_as_base64()) == (1080, 2400)


def test_dropped_sessions_fault(own_farm: Any) -> None:
    with own_farm({**QUIET, "faults": {"drop_session": 1.0}}) as open_session:
        driver = open_session(udid=ANDROID_1)
        with pytest.raises(InvalidSessionIdException):
            _ = driver.page_source
        assert not any(p["busy"] for p in driver.get_status()["phones"])
