"""The UiAutomator2 driver's own rules in the farm's Android phones, through appium-python-client: windows in the
page source and element search, the settings API, XPath 2.0, key actions, the keyboard and app routes,
``mobile: shell`` behind its insecure feature, and ``mobile: deviceInfo``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy
from flowkit import QUIET
from lxml import etree
from selenium.common.exceptions import (
    InvalidArgumentException,
    InvalidSelectorException,
    NoSuchElementException,
    SessionNotCreatedException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from test_protocol import ANDROID_1, TAOBAO, WECHAT, item_link, taobao, wechat_chat

from conftest import PHONES, OpenSession, session_factory
from shareflow_sim import scenario
from shareflow_sim.__main__ import main as sim_main
from shareflow_sim.farm import Farm
from shareflow_sim.phone import PhoneSpec
from shareflow_sim.scenario import NOISELESS
from shareflow_sim.server import serve_in_thread

SYSTEMUI = "com.android.systemui"
BANNER = f"{SYSTEMUI}:id/expandableNotificationRow"
BANNERS = {"noise": {**NOISELESS, "notification_banner": 1.0}}


def windows(driver: webdriver.Remote) -> list[str | None]:
    """The packages of the page source's top-level nodes, in order."""
    root = etree.fromstring(driver.page_source.split("\n", 1)[1].encode())
    return [node.get("package") for node in root]


@contextlib.contextmanager
def farm_allowing(*features: str) -> Iterator[OpenSession]:
    """A quiet farm served with ``--allow-insecure`` features."""
    farm = Farm(list(PHONES), scenario.from_dict(QUIET))
    with serve_in_thread(farm, allow_insecure=frozenset(features)) as url, session_factory(url) as factory:
        yield factory


# -- windows --------------------------------------------------------------------------------------------------------
def test_wechat_8_0_61_gives_an_empty_tree_unless_an_accessibility_service_is_on() -> None:
    apps = {"wechat": "8.0.61", "taobao": "10.40.0"}
    bare = PhoneSpec("bare", "android", "15", "android-fhd", "emulator-5570", "wxid_bare", "空树", apps)
    talkback = replace(bare, name="talkback", udid="emulator-5572", wechat_id="wxid_tb", accessibility_service=True)
    with serve_in_thread(Farm([bare, talkback], scenario.from_dict(QUIET))) as url, session_factory(url) as connect:
        for spec, empty in ((bare, True), (talkback, False)):
            driver = connect(udid=spec.udid, appPackage=WECHAT, appActivity="com.tencent.mm.ui.LauncherUI")
            root = etree.fromstring(driver.page_source.split("\n", 1)[1].encode())
            assert [(node.get("package"), len(node) == 0) for node in root] == [(WECHAT, empty)]
            row = (AppiumBy.ACCESSIBILITY_ID, "购物分享群头像")
            assert bool(driver.find_elements(*row)) != empty
            assert bool(driver.find_elements(AppiumBy.XPATH, "//*[@package='com.tencent.mm']//*")) != empty
            # what the harness's guard asks still answers: WeChat is in front
            assert driver.current_package == WECHAT
            assert driver.execute_script("mobile: queryAppState", {"appId": WECHAT}) == 4
            chat_list = driver.get_screenshot_as_png()
            driver.tap([(540, 290)])  # the group's row, by place: the screen works all the same
            assert driver.get_screenshot_as_png() != chat_list
            assert bool(driver.find_elements(AppiumBy.CLASS_NAME, "android.widget.EditText")) != empty


def test_source_and_search_see_the_active_window_unless_multi_windows_is_on(own_farm: Any) -> None:
    with own_farm(BANNERS) as open_session:
        driver = taobao(open_session)
        driver.implicitly_wait(0)
        assert windows(driver) == [TAOBAO]
        assert driver.find_elements(AppiumBy.ID, "home_searchbar")
        assert not driver.find_elements(AppiumBy.ID, BANNER)  # a heads-up notification is a window of SystemUI's
        assert not driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "返回")  # so is the navigation bar
        driver.update_settings({"enableMultiWindows": True})
        shown = windows(driver)
        assert shown[0] == SYSTEMUI and shown[-1] == TAOBAO and len(shown) == 4  # banner, nav bar, status bar, app
        assert len(driver.find_elements(AppiumBy.ID, BANNER)) == 1
        assert len(driver.find_elements(AppiumBy.ACCESSIBILITY_ID, "返回")) == 1
        assert len(driver.find_elements(AppiumBy.XPATH, f"//*[@resource-id='{BANNER}']")) == 1
        # UiSelectors search the active window only, whatever the setting says
        assert not driver.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().description("返回")')
        assert driver.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().description("搜索")')


def test_multi_windows_from_the_capability(open_session: OpenSession) -> None:
    driver = open_session(udid=ANDROID_1, **{"settings[enableMultiWindows]": True})
    assert driver.get_settings()["enableMultiWindows"] is True
    assert SYSTEMUI in windows(driver)
    plain = open_session(udid="emulator-5556")
    assert plain.get_settings()["enableMultiWindows"] is False
    assert SYSTEMUI not in windows(plain)


def test_a_dialog_window_hides_the_page_under_it_from_the_multi_window_source(open_session: OpenSession) -> None:
    driver = taobao(open_session, settings={"enableMultiWindows": True})
    driver.find_element(AppiumBy.ID, "feed_item").click()
    driver.find_element(AppiumBy.ID, "detail_share").click()
    assert driver.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, 'new UiSelector().text("分享给好友")')
    assert not driver.find_elements(AppiumBy.ID, "detail_back")  # below the share sheet's modal window
    assert windows(driver)[-1] == TAOBAO


def test_toasts_are_toast_nodes_of_the_source(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    driver.set_clipboard_text(item_link("402"))
    driver.activate_app(TAOBAO)  # Taobao reads the clipboard as it comes to the front: Android 13 says so in a toast
    toast = driver.find_element(AppiumBy.XPATH, "//android.widget.Toast")
    assert toast.text == "“淘宝”已粘贴自剪贴板"
    assert toast.get_attribute("package") == "com.android.settings"
    assert windows(driver)[-1] == "com.android.settings"


def test_window_rect_leaves_out_the_navigation_bar_and_taps_still_reach_it(open_session: OpenSession) -> None:
    driver = open_session(udid="emulator-5556", appPackage=WECHAT, appActivity="com.tencent.mm.ui.LauncherUI")
    assert driver.get_window_rect() == {"x": 0, "y": 0, "width": 720, "height": 1600 - 96}
    driver.tap([(360, 1600 - 48)])  # the navigation bar's home button, below the window
    assert driver.current_package == "com.android.launcher3"


# -- settings --------------------------------------------------------------------------------------------------------
def test_settings_api(open_session: OpenSession) -> None:
    driver = open_session(udid=ANDROID_1)
    settings = driver.get_settings()
    assert settings["enableMultiWindows"] is False and settings["enforceXPath1"] is False
    assert settings["ignoreUnimportantViews"] is False and settings["snapshotMaxDepth"] == 70
    driver.update_settings({"waitForIdleTimeout": 100, "somethingElse": "kept"})
    settings = driver.get_settings()
    assert settings["waitForIdleTimeout"] == 100 and settings["somethingElse"] == "kept"
    with pytest.raises(InvalidArgumentException, match="Invalid 'enableMultiWindows' setting value type"):
        driver.update_settings({"enableMultiWindows": "yes"})


def test_bad_setting_in_the_capabilities_fails_the_session(open_session: OpenSession) -> None:
    with pytest.raises(SessionNotCreatedException, match="enforceXPath1"):
        open_session(udid=ANDROID_1, **{"settings[enforceXPath1]": 1})


# -- XPath 2.0 ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "xpath",
    [
        "//*[matches(@text, '^猜你.+$')]",
        "//*[ends-with(@text, '喜欢')]",
        "//android.widget.TextView[lower-case(@text) = '猜你喜欢']",
    ],
)
def test_xpath_is_2_0(open_session: OpenSession, xpath: str) -> None:
    driver = taobao(open_session)
    assert len(driver.find_elements(AppiumBy.XPATH, xpath)) == 1
    driver.update_settings({"enforceXPath1": True})  # XPath 1.0 has none of these functions
    with pytest.raises(InvalidSelectorException):
        driver.find_elements(AppiumBy.XPATH, xpath)


def test_xpath_2_passes_over_values_that_are_not_elements(open_session: OpenSession) -> None:
    driver = taobao(open_session)
    with pytest.raises(NoSuchElementException):
        driver.find_element(AppiumBy.XPATH, "count(//*)")
    driver.update_settings({"enforceXPath1": True})
    with pytest.raises(InvalidSelectorException):
        driver.find_element(AppiumBy.XPATH, "count(//*)")


# -- keys and the keyboard ---------------------------------------------------------------------------------------------
def test_key_actions_type_into_the_focused_field(own_farm: Any) -> None:
    with own_farm(QUIET) as open_session:  # the draft it leaves stays in the chat
        _type_into_the_focused_field(wechat_chat(open_session))


def _type_into_the_focused_field(driver: webdriver.Remote) -> None:
    field = driver.find_element(AppiumBy.CLASS_NAME, "android.widget.EditText")
    ActionChains(driver).send_keys("ab").perform()  # nothing has the focus yet
    assert field.text == "" and not driver.is_keyboard_shown()
    field.click()
    assert field.get_attribute("focused") == "true" and driver.is_keyboard_shown()
    ActionChains(driver).send_keys("hi there").perform()
    ActionChains(driver).send_keys(Keys.BACKSPACE).perform()
    assert field.text == "hi ther"
    with pytest.raises(InvalidArgumentException, match="unable to synthesize KeyEvent"):
        ActionChains(driver).send_keys("你").perform()
    driver.hide_keyboard()
    assert not driver.is_keyboard_shown()
    ActionChains(driver).send_keys("e").perform()  # the field keeps the focus
    assert field.text == "hi there"


def test_device_routes_for_apps_and_the_keyboard(open_session: OpenSession) -> None:
    driver = wechat_chat(open_session)
    routes = {
        "activate": ("POST", "activate_app"),
        "terminate": ("POST", "terminate_app"),
        "state": ("POST", "app_state"),
        "shown": ("GET", "is_keyboard_shown"),
        "hide": ("POST", "hide_keyboard"),
    }
    for name, (method, path) in routes.items():
        driver.command_executor.add_command(f"uia2{name}", method, f"/session/$sessionId/appium/device/{path}")

    def call(name: str, **params: Any) -> Any:
        return driver.execute(f"uia2{name}", params)["value"]

    assert call("state", appId=WECHAT) == 4
    assert call("state", appId="com.example.none") == 0
    call("activate", appId=TAOBAO)
    assert (call("state", appId=WECHAT), call("state", appId=TAOBAO)) == (3, 4)
    assert call("terminate", appId=WECHAT) is True
    assert call("state", appId=WECHAT) == 1
    assert call("terminate", appId=WECHAT) is False
    assert (call("shown"), call("hide")) == (False, False)


# -- mobile: shell, mobile: deviceInfo --------------------------------------------------------------------------------
def test_shell_needs_the_insecure_feature(open_session: OpenSession) -> None:
    driver = open_session(udid=ANDROID_1)
    with pytest.raises(WebDriverException, match="Potentially insecure feature 'adb_shell' has not been enabled"):
        driver.execute_script("mobile: shell", {"command": "echo", "args": ["hi"]})


@pytest.mark.parametrize("feature", ["uiautomator2:adb_shell", "*:adb_shell"])
def test_shell_with_the_insecure_feature_allowed(feature: str) -> None:
    with farm_allowing(feature) as open_session:
        driver = open_session(udid=ANDROID_1)
        assert driver.execute_script("mobile: shell", {"command": "echo", "args": ["hi"]}) == "hi"
        assert driver.execute_script("mobile: shell", {"command": "getprop", "args": ["ro.product.brand"]}) == "Xiaomi"
        out = driver.execute_script(
            "mobile: shell", {"command": "pm", "args": ["list", "packages"], "includeStderr": True}
        )
        assert f"package:{WECHAT}" in out["stdout"].splitlines() and out["stderr"] == ""
        with pytest.raises(WebDriverException, match="inaccessible or not found"):
            driver.execute_script("mobile: shell", {"command": "reboot"})


def test_unscoped_insecure_feature_is_refused_as_appium_3_refuses_it(tmp_path: Any) -> None:
    assert sim_main(["--devices", str(tmp_path / "none.yaml"), "--allow-insecure", "adb_shell", "--check"]) == 2


def test_device_info(open_session: OpenSession) -> None:
    info = open_session(udid=ANDROID_1).execute_script("mobile: deviceInfo")
    fields = {"androidId", "manufacturer", "model", "brand", "apiVersion", "platformVersion", "carrierName"}
    fields |= {"realDisplaySize", "displayDensity", "networks", "locale", "timeZone", "bluetooth"}
    assert set(info) == fields
    assert (info["manufacturer"], info["model"], info["brand"]) == ("Xiaomi", "Xiaomi 11", "Xiaomi")
    assert (info["apiVersion"], info["platformVersion"]) == ("33", "13")
    assert (info["realDisplaySize"], info["displayDensity"]) == ("1080x2400", 420)
    assert (info["locale"], info["timeZone"]) == ("zh_CN", "Asia/Shanghai")
    assert info["networks"][0]["typeName"] == "WIFI" and info["bluetooth"] == {"state": "ON"}
