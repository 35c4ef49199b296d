"""The whole share flow with nothing but appium-python-client.

Share a Taobao item into a WeChat group, tap the Tao-password link, land on
the item and go on to the order confirmation — saving a screenshot of every
step. Works against any Appium endpoint; by default the embedded farm
started with ``shareflow sim --port 4723``.

    python examples/raw_share_flow.py --device iphone-13 --out shots/
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.ios import XCUITestOptions
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.remote.webelement import WebElement

ITEM_ID = "652419876401"
GROUP = "购物分享群"
TAOBAO = {"android": "com.taobao.taobao", "ios": "com.taobao.taobao4iphone"}
POPUP_TITLE = "双12狂欢"
# the pop-up's ×: content-desc 关闭按钮 on Android (gkd-kit/subscription's rule for Taobao), 关闭 on iOS
POPUP_CLOSE = {"android": "关闭按钮", "ios": "关闭"}
# On a real iPhone only WebDriverAgent's runner, in front, may read the clipboard (appium-xcuitest-driver
# guide "Get/Set Clipboard"); its bundle id changes with appium:updatedWDABundleId
WDA_RUNNER = "com.facebook.WebDriverAgentRunner.xctrunner"


class Flow:
    """Raw Appium commands for one phone, with a screenshot after each step."""

    def __init__(self, driver: webdriver.Remote, platform: str, out: Path) -> None:
        self.driver, self.platform, self.out = driver, platform, out
        self.step_no = 0

    def by_text(self, text: str, contains: bool = False) -> tuple[str, str]:
        if self.platform == "android":
            method = "textContains" if contains else "text"
            return AppiumBy.ANDROID_UIAUTOMATOR, f'new UiSelector().{method}("{text}")'
        op = "CONTAINS" if contains else "=="
        return AppiumBy.IOS_PREDICATE, f'label {op} "{text}"'

    def close_popups(self) -> None:
        """Taobao's promotional pop-up sits over the page and catches taps: close it first."""
        if self.driver.find_elements(*self.by_text(POPUP_TITLE)):
            self.driver.find_elements(AppiumBy.ACCESSIBILITY_ID, POPUP_CLOSE[self.platform])[-1].click()

    def clipboard(self) -> str:
        """The clipboard's text; on iOS read with WebDriverAgent's runner in front, then Taobao back."""
        if self.platform == "android":
            return self.driver.get_clipboard_text()
        self.driver.activate_app(WDA_RUNNER)
        try:
            return self.driver.get_clipboard_text()
        finally:
            self.driver.activate_app(TAOBAO["ios"])

    def find(self, locator: tuple[str, str], timeout: float = 15) -> WebElement:
        """Poll for an element (screens take a moment to change)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.driver.find_elements(*locator)
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise NoSuchElementException(f"{locator[1]} not shown within {timeout} s")
            time.sleep(0.2)

    def tap_until(self, target: tuple[str, str], proof: tuple[str, str], tries: int = 3) -> None:
        """Tap ``target`` until ``proof`` shows: a pop-up or a notification banner may catch a tap."""
        for _ in range(tries):
            self.close_popups()
            self.find(target).click()
            try:
                self.find(proof, timeout=4)
                return
            except NoSuchElementException:
                continue
        raise NoSuchElementException(f"tapping {target[1]} never showed {proof[1]}")

    def wait_for_new_last(self, locator: tuple[str, str], old: str | None, timeout: float = 15) -> None:
        """Wait until the last element matching ``locator`` is another one than ``old`` (by element id):
        our message has arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.driver.find_elements(*locator)
            if found and found[-1].id != old:
                return
            if time.monotonic() > deadline:
                raise NoSuchElementException(f"no new {locator[1]} within {timeout} s")
            time.sleep(0.2)

    def step(self, name: str, proof: tuple[str, str]) -> None:
        """Wait for the element that proves the screen is there, then save a screenshot."""
        self.find(proof)
        self.close_popups()
        self.find(proof)
        self.step_no += 1
        path = self.out / f"{self.step_no:02d}-{name}.png"
        self.driver.get_screenshot_as_file(str(path))
        print(f"  {path}")

    def run(self) -> None:
        d, text = self.driver, self.by_text
        bundle_key = "package" if self.platform == "android" else "bundleId"
        d.execute_script(
            "mobile: deepLink",
            {"url": f"taobao://item.taobao.com/item.htm?id={ITEM_ID}", bundle_key: TAOBAO[self.platform]},
        )
        self.step("taobao-item", text("立即购买"))
        self.tap_until((AppiumBy.ACCESSIBILITY_ID, "分享"), text("朋友圈"))
        self.step("share-panel", text("朋友圈"))
        self.tap_until(text("微信"), text("去微信粘贴"))
        self.step("password-copied", text("去微信粘贴"))
        password = self.clipboard()
        print(f"  clipboard: {password.splitlines()[0]}")
        assert re.search(r"https?://[me]\.tb\.cn/h\.\w{7,15}", password), "no Tao password was copied"
        self.tap_until(text("去微信粘贴"), text(GROUP, contains=True))
        self.step("wechat-chats", text(GROUP, contains=True))
        self.find(text(GROUP, contains=True)).click()
        edit = "android.widget.EditText" if self.platform == "android" else "XCUIElementTypeTextView"
        self.step("group-chat", (AppiumBy.CLASS_NAME, edit))
        box = self.find((AppiumBy.CLASS_NAME, edit))
        ActionChains(d).click_and_hold(box).pause(0.8).release().perform()
        self.step("paste-menu", text("粘贴"))
        self.tap_until(text("粘贴"), text("发送"))
        self.step("pasted", text("发送"))
        links = text("tb.cn", contains=True)  # m.tb.cn or e.tb.cn; a wrapped link's first line holds the host
        before = d.find_elements(*links)
        self.find(text("发送")).click()
        self.wait_for_new_last(links, before[-1].id if before else None)
        self.step("sent", links)
        self.tap_until(links, text("打开淘宝App"))
        self.step("in-app-browser", text("打开淘宝App"))
        self.tap_until(text("打开淘宝App"), text("立即购买"))
        self.step("taobao-item-again", text("立即购买"))
        self.tap_until(text("立即购买"), text("提交订单"))
        self.step("order-confirmation", text("提交订单"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:4723")
    parser.add_argument("--device", default="xiaomi-11", help="deviceName of the phone")
    parser.add_argument("--platform", choices=["android", "ios"], help="default: from the device name")
    parser.add_argument("--out", type=Path, default=Path("raw-share-flow"))
    args = parser.parse_args()
    platform = args.platform or ("ios" if args.device.startswith("iphone") else "android")
    options = UiAutomator2Options() if platform == "android" else XCUITestOptions()
    options.device_name = args.device
    options.no_reset = True
    out = args.out / args.device
    out.mkdir(parents=True, exist_ok=True)
    print(f"{args.device}: share flow, screenshots in {out}")
    driver = webdriver.Remote(args.url, options=options)
    try:
        Flow(driver, platform, out).run()
    finally:
        driver.quit()
    print(f"{args.device}: done")


if __name__ == "__main__":
    main()
