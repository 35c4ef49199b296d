"""The scenario's infrastructure faults and late banners, driven only through appium-python-client:
each strikes at its seeded rate, and answers as Appium 3 (UiAutomator2 / XCUITest) answers it."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest
from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy
from flowkit import QUIET
from selenium.common.exceptions import InvalidElementStateException, SessionNotCreatedException
from selenium.webdriver.remote.command import Command

PLATFORMS = ("android", "ios")
UDID = {"android": "emulator-5554", "ios": "00008110-000A1B2C3D4E5F01"}  # android-1 and iphone-1 (conftest)
TAOBAO = {"android": "com.taobao.taobao", "ios": "com.taobao.taobao4iphone"}
WDA_RUNNER = "com.facebook.WebDriverAgentRunner.xctrunner"
APP_ARG = {"android": "appId", "ios": "bundleId"}  # how mobile: methods name an app
NOT_RUNNING, RUNNING_IN_FOREGROUND = 1, 4  # queryAppState
ITEM_LINK = "taobao://item.taobao.com/item.htm?id=652419876401"
BANNER = {"android": "expandableNotificationRow", "ios": "NotificationShortLookView"}  # in the page source
POLL_S = 0.05

UNKNOWN = "An unknown server-side error occurred while processing the command. Original error: "
SERVER_ERROR = {
    "android": UNKNOWN + "java.lang.IllegalStateException: UiAutomation not connected!",
    "ios": UNKNOWN + 'Error Domain=com.apple.dt.xctest.automation-support.error Code=8 "Error getting main window '
    '-25201" UserInfo={NSLocalizedDescription=Error getting main window -25201}',
}
HANG_UP = UNKNOWN + "Could not proxy command to the remote server. Original error: socket hang up"
INSTRUMENTATION_GONE = (
    "'GET /session/{sid}/source' cannot be proxied to UiAutomator2 server because the instrumentation process "
    "is not running (probably crashed). Check the server log and/or the logcat output for more details"
)
NOT_CONNECTED = {
    "android": "Device emulator-5554 was not in the list of connected devices",
    "ios": "Unknown device or simulator UDID: '00008110-000A1B2C3D4E5F01'",
}


def raw(driver: webdriver.Remote, command: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """One command through the client's connection: the HTTP status and the body."""
    response = driver.command_executor.execute(command, {"sessionId": driver.session_id, **params})
    status = response.get("status")  # only an error's: the client leaves its body as text
    return (200, response) if status is None else (status, json.loads(response["value"]))


def mobile(driver: webdriver.Remote, method: str, **args: Any) -> tuple[int, dict[str, Any]]:
    return raw(driver, Command.W3C_EXECUTE_SCRIPT, script=f"mobile: {method}", args=[args])


def error(answer: tuple[int, dict[str, Any]]) -> tuple[int, str, str]:
    status, body = answer
    return status, body["value"]["error"], body["value"]["message"]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def faults(**chances: float) -> dict[str, Any]:
    return {**QUIET, "faults": chances}


def late_banners(chance: float) -> dict[str, Any]:
    return {"noise": {**QUIET["noise"], "late_banner": chance}}


def log_lines(driver: webdriver.Remote) -> list[str]:
    """The device log since the last read."""
    kind = "logcat" if driver.capabilities["platformName"] == "Android" else "syslog"
    return [entry["message"] for entry in driver.get_log(kind)]


# -- server errors --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_errors_strike_at_their_rate_as_unknown_errors_that_did_nothing(own_farm: Any, platform: str) -> None:
    rounds, failed = 150, 0
    with own_farm(faults(server_error=0.25)) as open_session:
        in_front = {"bundleId": WDA_RUNNER} if platform == "ios" else {}  # an iPhone's clipboard is WDA's in front
        driver = open_session(platform, udid=UDID[platform], **in_front)
        clipboard = ""
        for i in range(rounds):
            written = mobile(driver, "setClipboard", content=b64(str(i)), contentType="plaintext")
            clipboard = str(i) if written[0] == 200 else clipboard
            read = mobile(driver, "getClipboard")
            for answer in (written, read):
                if answer[0] != 200:
                    failed += 1
                    assert error(answer) == (500, "unknown error", SERVER_ERROR[platform])
                    assert "stacktrace" in answer[1]["value"]
            if read[0] == 200:  # a write that failed was not done
                assert base64.b64decode(read[1]["value"]).decode() == clipboard
    assert 0.18 <= failed / (2 * rounds) <= 0.32


# -- app crashes ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_app_crashes_strike_the_app_in_front_at_their_rate(own_farm: Any, platform: str) -> None:
    rounds, crashed = 200, 0
    app = {APP_ARG[platform]: TAOBAO[platform]}
    with own_farm(faults(app_crash=0.2)) as open_session:
        driver = open_session(platform, udid=UDID[platform])
        for _ in range(rounds):
            assert mobile(driver, "activateApp", **app)[0] == 200  # Taobao in front (again)
            status, body = mobile(driver, "queryAppState", **app)
            assert status == 200 and body["value"] in (NOT_RUNNING, RUNNING_IN_FOREGROUND)
            crashed += body["value"] == NOT_RUNNING
    assert 0.12 <= crashed / rounds <= 0.28


def test_after_an_app_crash_an_android_session_goes_on_from_the_launcher(own_farm: Any) -> None:
    with own_farm(faults(app_crash=1.0)) as open_session:  # every command: the app in front crashes first
        driver = open_session("android", udid=UDID["android"])
        assert mobile(driver, "deepLink", url=ITEM_LINK, package=TAOBAO["android"])[0] == 200  # nothing was in front
        source = driver.page_source  # Taobao's item page crashed before this
        assert 'package="com.android.launcher3"' in source and 'package="com.taobao.taobao"' not in source
        assert driver.current_package == "com.android.launcher3"
        assert mobile(driver, "queryAppState", appId=TAOBAO["android"])[1]["value"] == NOT_RUNNING
        assert mobile(driver, "activateApp", appId=TAOBAO["android"])[0] == 200
        log = log_lines(driver)
    died = [i for i, line in enumerate(log) if "FATAL EXCEPTION: main Process: com.taobao.taobao" in line]
    cold = [
        i for i, line in enumerate(log) if "START u0 {cmp=com.taobao.taobao/com.taobao.tao.welcome.Welcome}" in line
    ]
    assert died and cold and died[0] < cold[-1]  # it came back from its splash screen: its screens were gone


def test_after_an_app_crash_an_ios_session_without_an_app_under_test_sees_springboard(own_farm: Any) -> None:
    with own_farm(faults(app_crash=1.0)) as open_session:
        driver = open_session("ios", udid=UDID["ios"])
        assert mobile(driver, "deepLink", url=ITEM_LINK, bundleId=TAOBAO["ios"])[0] == 200
        source = driver.page_source
        assert 'name="SpringBoard"' in source and "立即购买" not in source
        assert mobile(driver, "queryAppState", bundleId=TAOBAO["ios"])[1]["value"] == NOT_RUNNING
        assert any("Application 'com.taobao.taobao4iphone' exited abnormally" in line for line in log_lines(driver))


def test_after_the_app_under_test_crashed_xcuitest_refuses_ui_commands_until_it_is_stopped(own_farm: Any) -> None:
    crashed = "The application under test with bundle id 'com.taobao.taobao4iphone' is not running, possibly crashed"
    with own_farm(faults(app_crash=1.0)) as open_session:
        driver = open_session("ios", udid=UDID["ios"], bundleId=TAOBAO["ios"])  # launched as the app under test
        with pytest.raises(InvalidElementStateException) as refused:
            driver.find_element(AppiumBy.ACCESSIBILITY_ID, "搜索")
        assert refused.value.msg == crashed
        assert error(raw(driver, Command.GET_PAGE_SOURCE)) == (400, "invalid element state", crashed)
        assert driver.get_screenshot_as_png()  # what does not read the app still works
        assert mobile(driver, "queryAppState", bundleId=TAOBAO["ios"])[1]["value"] == NOT_RUNNING
        assert mobile(driver, "terminateApp", bundleId=TAOBAO["ios"]) == (200, {"value": False})
        assert 'name="SpringBoard"' in driver.page_source  # stopped on purpose: no longer expected to run


# -- phones going offline -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_phone_gone_offline_fails_its_session_and_refuses_new_ones_for_a_while(own_farm: Any, platform: str) -> None:
    offline_s = 1.0
    with own_farm(faults(offline=1.0, offline_s=offline_s)) as open_session:
        driver = open_session(platform, udid=UDID[platform])
        went = time.monotonic()
        assert error(raw(driver, Command.GET_PAGE_SOURCE)) == (500, "unknown error", HANG_UP)
        later = INSTRUMENTATION_GONE.format(sid=driver.session_id) if platform == "android" else HANG_UP
        for _ in range(3):
            assert error(raw(driver, Command.GET_PAGE_SOURCE)) == (500, "unknown error", later)
        with pytest.raises(SessionNotCreatedException) as refused:
            open_session(platform, udid=UDID[platform])
        assert refused.value.msg.startswith(f"A new session could not be created. Details: {NOT_CONNECTED[platform]}")
        driver.quit()  # ending the session works
        deadline = went + offline_s + 5
        while True:
            try:
                open_session(platform, udid=UDID[platform])
                break
            except SessionNotCreatedException:
                assert time.monotonic() < deadline, "the phone did not come back"
                time.sleep(POLL_S)
        assert offline_s <= time.monotonic() - went < offline_s + 2


def test_phones_go_offline_at_their_rate(own_farm: Any) -> None:
    commands = dropped = 0
    with own_farm(faults(offline=0.1, offline_s=0)) as open_session:
        while dropped < 50:
            driver = open_session("android", udid=UDID["android"])
            while True:
                commands += 1
                if raw(driver, Command.GET_WINDOW_RECT)[0] != 200:
                    dropped += 1
                    break
            driver.quit()
    assert 0.065 <= dropped / commands <= 0.15


# -- session start cost -------------------------------------------------------------------------------------------
def test_a_new_session_takes_the_session_start_cost_with_its_phone_taken(own_farm: Any, open_session: Any) -> None:
    low_s = 1.0
    quick = time.monotonic()
    open_session("android", udid=UDID["android"])  # the shared farm's scenario: no session start cost
    assert time.monotonic() - quick < low_s
    with own_farm(faults(session_start_ms=[1000, 1200])) as open_costly:
        began = time.monotonic()
        iphone = open_costly("ios", udid=UDID["ios"])
        assert time.monotonic() - began >= low_s
        command = time.monotonic()
        assert iphone.page_source  # its commands do not pay it
        assert time.monotonic() - command < low_s
        started: list[webdriver.Remote] = []  # a newCommandTimeout shorter than its start does not end it
        starting = threading.Thread(
            target=lambda: started.append(open_costly("android", udid=UDID["android"], newCommandTimeout=0.8))
        )
        starting.start()
        seen_busy = False
        while starting.is_alive():
            seen_busy |= any(p["busy"] for p in iphone.get_status()["phones"] if p["udid"] == UDID["android"])
            time.sleep(POLL_S)
        starting.join()
        assert seen_busy, "the phone was not taken while its session started"
        assert started[0].current_package == "com.android.launcher3"


# -- late banners -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_late_banners_drop_in_as_taps_arrive_at_their_rate(own_farm: Any, platform: str) -> None:
    taps = 200
    with own_farm({**QUIET, **late_banners(0.3)}) as open_session:
        driver = open_session(platform, udid=UDID[platform])  # on the launcher: a tap low on it does nothing
        window = driver.get_window_rect()
        gesture = "clickGesture" if platform == "android" else "tap"
        for _ in range(taps):
            assert mobile(driver, gesture, x=window["width"] // 2, y=window["height"] * 7 // 10)[0] == 200
        posted = [line for line in log_lines(driver) if "NotificationService" in line and ": post " in line]
    assert 0.22 <= len(posted) / taps <= 0.38


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_late_banner_takes_a_tap_at_the_top_of_the_screen(own_farm: Any, platform: str) -> None:
    android = platform == "android"
    share = (AppiumBy.ACCESSIBILITY_ID, "分享") if android else (AppiumBy.IOS_PREDICATE, 'label == "分享"')
    buy = (AppiumBy.ID, "detail_buy") if android else (AppiumBy.IOS_PREDICATE, 'label == "立即购买"')
    with own_farm({**QUIET, **late_banners(1.0)}) as open_session:  # a banner as every tap arrives
        windows = {"settings[enableMultiWindows]": True} if android else {}  # UiAutomator2: to see SystemUI's banner
        driver = open_session(platform, udid=UDID[platform], **windows)
        link = {"package": TAOBAO[platform]} if android else {"bundleId": TAOBAO[platform]}
        assert mobile(driver, "deepLink", url=ITEM_LINK, **link)[0] == 200  # the item page, no tap
        driver.find_element(*share).click()  # found, then the banner drops over it: the tap lands on the banner
        source = driver.page_source
        assert "微信" not in source and BANNER[platform] not in source  # no share panel; the banner tapped away
        assert any("-> banner" in line for line in log_lines(driver))
        driver.find_element(*buy).click()  # low on the screen: the tap goes through, under a new banner
        source = driver.page_source
        assert "确认订单" in source and BANNER[platform] in source
