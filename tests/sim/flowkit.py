"""Building blocks of the farm's flow tests: farms served in-process, and a careful raw-Appium
client — locators by text for both platforms, waits that poll with a deadline, pop-ups and
banners absorbed — with the steps of the share flow.

Everything a test does to a phone goes through appium-python-client over HTTP.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.common.base import AppiumOptions
from appium.options.ios import XCUITestOptions
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.remote.webelement import WebElement

from shareflow_sim import scenario
from shareflow_sim.farm import Farm
from shareflow_sim.phone import PhoneSpec
from shareflow_sim.scenario import NOISELESS
from shareflow_sim.server import serve_in_thread
from shareflow_sim.world import CATALOG, GROUP_NAME, NPCS, Item

T = TypeVar("T")
Locator = tuple[str, str]
Connect = Callable[[str, str], "Phone"]  # connect(platform, app) -> a session on that phone

FOREGROUND = 4  # queryAppState: running in the foreground
POLL_S = 0.05
TIMEOUT_S = 10.0
PROOF_S = 2.0  # how long a tap's effect may take to show before tapping again
QUIET: dict[str, Any] = {"noise": NOISELESS}

APPS = {"wechat": "8.0.16", "taobao": "10.5.0"}
ANDROID = PhoneSpec("pixel", "android", "12", "android-fhd", "emulator-5554", "wxid_axiu", "阿秀", APPS)
IPHONE = PhoneSpec("iphone", "ios", "16.7", "iphone-13", "00008110-001A2B3C4D5E6F70", "wxid_dabao", "大宝", APPS)
PHONES = {"android": ANDROID, "ios": IPHONE}
GROUP_TITLE = f"{GROUP_NAME}({len(NPCS) + len(PHONES)})"  # everybody: the NPCs and one account per phone

ITEMS = {item.id: item for item in CATALOG}
TAOBAO_ITEM = ITEMS["652419876401"]
ITEM_OF_KIND = {
    "taobao": TAOBAO_ITEM,
    "tmall": ITEMS["612300000501"],
    "jd": ITEMS["100012043978"],
    "pinduoduo": ITEMS["327845196012"],
    "douyin": ITEMS["7036312254918921503"],  # a video
}
SHOP_APP_BUTTON = {
    "taobao": "打开淘宝App",
    "tmall": "打开天猫App",
    "jd": "打开京东App",
    "pinduoduo": "打开拼多多App",
    "douyin": "打开抖音App",
}
APP_IDS = {
    "android": {"taobao": "com.taobao.taobao", "wechat": "com.tencent.mm"},
    "ios": {"taobao": "com.taobao.taobao4iphone", "wechat": "com.tencent.xin"},
}
WDA_RUNNER = "com.facebook.WebDriverAgentRunner.xctrunner"  # WebDriverAgent's runner app on the iPhones
APP_CAPABILITY = {"android": "appium:appPackage", "ios": "appium:bundleId"}
INPUT_CLASS = {"android": "android.widget.EditText", "ios": "XCUIElementTypeTextView"}
PASSWORD_RE = re.compile(r"https?://[me]\.tb\.cn/h\.\w{7,15}\?tk=\w{11}")

PROMO_TITLE = "双12狂欢"  # Taobao's promotional pop-up
LEAVE_WECHAT = "即将离开微信"  # WeChat's question before a page opens another app (允许 / 取消)
NOTIFICATIONS_DENY = "com.android.permissioncontroller:id/permission_deny_button"  # Android 13+'s dialog
INTERSTITIAL = "非微信官方网页，请确认是否继续访问"
BLOCKED = "已停止访问该网页"
COPY_TO_BROWSER = "如需浏览，请长按网址复制后使用浏览器访问"


class FlowError(AssertionError):
    """A screen the flow waited for did not show in time."""


def poll(probe: Callable[[], T | None], what: str, timeout: float = TIMEOUT_S) -> T:
    """Call ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = probe()
        except StaleElementReferenceException:
            found = None  # the screen changed under the probe: look again
        if found:
            return found
        if time.monotonic() > deadline:
            raise FlowError(f"{what}: not within {timeout} s")
        time.sleep(POLL_S)


@contextlib.contextmanager
def running_farm(data: dict[str, Any], phones: tuple[PhoneSpec, ...] = tuple(PHONES.values())) -> Iterator[str]:
    """A farm of ``phones`` with the scenario ``data``, served on a free port; yields its URL."""
    with serve_in_thread(Farm(list(phones), scenario.from_dict(data))) as url:
        yield url


@contextlib.contextmanager
def sessions(url: str) -> Iterator[Connect]:
    """Opens phones' sessions on ``url`` with ``connect(platform, app)``; quits them afterwards."""
    opened: list[Phone] = []

    def connect(platform: str, app: str) -> Phone:
        phone = Phone.connect(url, platform, app)
        opened.append(phone)
        return phone

    try:
        yield connect
    finally:
        for phone in opened:
            with contextlib.suppress(WebDriverException):
                phone.driver.quit()


@contextlib.contextmanager
def on_farm(data: dict[str, Any]) -> Iterator[Connect]:
    """A farm of its own with the scenario ``data``; yields its session opener."""
    with running_farm(data) as url, sessions(url) as connect:
        yield connect


class Phone:
    """One phone's Appium session, driven by raw commands."""

    def __init__(self, driver: webdriver.Remote, spec: PhoneSpec) -> None:
        self.driver, self.spec, self.platform = driver, spec, spec.platform

    @classmethod
    def connect(cls, url: str, platform: str, app: str) -> Phone:
        """A session on the farm's phone of ``platform`` with ``app`` ("taobao"/"wechat") freshly started
        and the other app stopped, so that no screen of an earlier test is left anywhere."""
        spec = PHONES[platform]
        options: AppiumOptions = UiAutomator2Options() if platform == "android" else XCUITestOptions()
        options.set_capability("appium:udid", spec.udid)
        options.set_capability(APP_CAPABILITY[platform], app_id(platform, app))
        if platform == "android":  # banners are windows of SystemUI's: UiAutomator2 shows them with this on
            options.set_capability("appium:settings[enableMultiWindows]", True)
        driver = webdriver.Remote(url, options=options)
        for name in APP_IDS[platform]:
            if name != app:
                driver.terminate_app(app_id(platform, name))
        return cls(driver, spec)

    # -- locators -------------------------------------------------------------------------------
    def text(self, value: str, contains: bool = False) -> Locator:
        """An element showing ``value`` (or a text containing it)."""
        if self.platform == "android":
            method = "textContains" if contains else "text"
            return AppiumBy.ANDROID_UIAUTOMATOR, f'new UiSelector().{method}("{value}")'
        return AppiumBy.IOS_PREDICATE, f'label {"CONTAINS" if contains else "=="} "{value}"'

    def toast(self, value: str) -> Locator:
        """A toast showing ``value``: UiAutomator2 has toasts as Toast nodes that only XPath finds."""
        if self.platform == "android":
            return AppiumBy.XPATH, f'//android.widget.Toast[@text="{value}"]'
        return self.text(value)

    @staticmethod
    def desc(value: str) -> Locator:
        """An element by its accessibility label (content-desc / name)."""
        return AppiumBy.ACCESSIBILITY_ID, value

    @property
    def input_box(self) -> Locator:
        """WeChat's message input."""
        return AppiumBy.CLASS_NAME, INPUT_CLASS[self.platform]

    # -- looking --------------------------------------------------------------------------------
    def all(self, locator: Locator) -> list[WebElement]:
        return self.driver.find_elements(*locator)

    def shows(self, locator: Locator) -> bool:
        return bool(self.all(locator))

    def find(self, locator: Locator, timeout: float = TIMEOUT_S) -> WebElement:
        """The top-most element ``locator`` matches, once one shows."""
        return poll(lambda: (self.all(locator) or [None])[-1], f"{self.spec.name}: {locator[1]}", timeout)

    def clipboard(self) -> str:
        return self.through_runner(self.driver.get_clipboard_text)

    def copy(self, text: str) -> None:
        self.through_runner(lambda: self.driver.set_clipboard_text(text))

    def through_runner(self, use: Callable[[], T]) -> T:
        """``use()`` the clipboard; on an iPhone with WebDriverAgent's runner in front (a real iPhone gives the
        clipboard only to the app in front), then the app that was in front back."""
        if self.platform == "android":
            return use()
        front = next(a for a in APP_IDS["ios"].values() if self.driver.query_app_state(a) == FOREGROUND)
        self.driver.activate_app(WDA_RUNNER)
        try:
            return use()
        finally:
            self.driver.activate_app(front)

    # -- acting ---------------------------------------------------------------------------------
    def close_popups(self) -> bool:
        """What sits over the page and catches taps: an app's request to send notifications (denied: Android's
        permission dialog by its id, iOS's alert by its button), Taobao's promotion (closed by its ×), WeChat's
        question before a page opens another app (允许: the flow goes on there). Returns whether it answered that
        question (the tap before it then took effect)."""
        deny = (AppiumBy.ID, NOTIFICATIONS_DENY) if self.platform == "android" else self.text("不允许")
        with contextlib.suppress(WebDriverException):
            for button in self.all(deny)[-1:]:
                button.click()
        if self.shows(self.text(PROMO_TITLE)):
            with contextlib.suppress(WebDriverException):
                self.all(self.desc("关闭按钮" if self.platform == "android" else "关闭"))[-1].click()
        if self.shows(self.text(LEAVE_WECHAT, contains=True)):
            with contextlib.suppress(WebDriverException):
                self.all(self.text("允许"))[-1].click()
                return True
        return False

    def tap(self, target: Locator, proof: Locator, tries: int = 3) -> WebElement:
        """Tap ``target`` until ``proof`` shows: a transition may drop a tap, a pop-up or banner catch it (or
        hold it until answered: then the answer took the flow on)."""
        for _ in range(tries):
            if self.close_popups():
                with contextlib.suppress(FlowError):
                    return self.find(proof, timeout=PROOF_S)
            with contextlib.suppress(StaleElementReferenceException):
                self.find(target).click()
            with contextlib.suppress(FlowError):
                return self.find(proof, timeout=PROOF_S)
        raise FlowError(f"{self.spec.name}: tapping {target[1]} never showed {proof[1]}")

    def long_press(self, target: Locator, proof: Locator, tries: int = 3) -> WebElement:
        """Press and hold ``target`` until ``proof`` shows."""
        for _ in range(tries):
            with contextlib.suppress(StaleElementReferenceException):
                ActionChains(self.driver).click_and_hold(self.find(target)).pause(0.6).release().perform()
            with contextlib.suppress(FlowError):
                return self.find(proof, timeout=PROOF_S)
        raise FlowError(f"{self.spec.name}: long-pressing {target[1]} never showed {proof[1]}")

    def back(self, proof: Locator, tries: int = 3) -> WebElement:
        """Go back until ``proof`` shows (on iOS a banner over the navigation bar may catch it)."""
        for _ in range(tries):
            self.driver.back()
            with contextlib.suppress(FlowError):
                return self.find(proof, timeout=PROOF_S)
        raise FlowError(f"{self.spec.name}: going back never showed {proof[1]}")

    def settle(self, proof: Locator) -> WebElement:
        """Wait for the screen ``proof`` marks, with any pop-up over it closed."""
        self.find(proof)
        self.close_popups()
        return self.find(proof)

    # -- the apps -------------------------------------------------------------------------------
    def skip_splash(self) -> None:
        """Taobao's splash gives way to home (跳过 if it still shows)."""
        for button in self.all(self.text("跳过")):
            with contextlib.suppress(WebDriverException):
                button.click()
        self.settle(self.desc("搜索"))

    @property
    def chat_list(self) -> Locator:
        """WeChat's main screen (its 通讯录 tab)."""
        return self.text("通讯录")

    def open_chat(self, title: str) -> WebElement:
        """From WeChat's chat list, the chat titled ``title`` (its input box once open)."""
        return self.tap(self.text(title), self.input_box)

    def send(self, text: str | None = None) -> None:
        """Paste the clipboard (or ``text``, copied first) into the open chat and send it.

        Asserts the steps: 粘贴 offered, the input holding what was copied, 发送 emptying it."""
        if text is not None:
            self.copy(text)
        copied = self.clipboard()
        self.long_press(self.input_box, self.text("粘贴"))
        self.tap(self.text("粘贴"), self.text("发送"))
        assert self.find(self.input_box).text == copied
        self.tap(self.text("发送"), self.input_box)
        poll(lambda: not self.shows(self.text("发送")), f"{self.spec.name}: the input box emptied")
        assert self.find(self.input_box).text == ""

    def link(self, url: str) -> Locator:
        """Message links to ``url`` (their first line, the part before a wrap, is a prefix of it)."""
        text = "@text" if self.platform == "android" else "@label"
        return AppiumBy.XPATH, f'//*[starts-with({text}, "https://") and starts-with("{url}", {text})]'


def app_id(platform: str, app: str) -> str:
    return APP_IDS[platform][app]


def password_url(password: str) -> str:
    """The tb.cn address of a Tao password."""
    match = PASSWORD_RE.search(password)
    if match is None:
        raise AssertionError(f"not a Tao password: {password!r}")
    return match.group(0)


def share_item(phone: Phone, item: Item) -> str:
    """Taobao home → the item → 分享 → 微信 → 去微信粘贴; returns the Tao password copied.

    Asserts each screen on the way: the item page with its title, the share panel, the
    淘口令已复制 dialog, the clipboard naming the item, and WeChat's chat list."""
    phone.skip_splash()
    phone.tap(phone.text(item.title), phone.text("立即购买"))
    assert phone.settle(phone.text(item.title)).text == item.title
    phone.tap(phone.desc("分享"), phone.text("朋友圈"))
    assert phone.shows(phone.text("微信")) and phone.shows(phone.text("复制链接"))
    phone.tap(phone.text("微信"), phone.text("去微信粘贴"))
    assert phone.shows(phone.text("淘口令已复制"))
    password = phone.clipboard()
    assert password_url(password) and f"「{item.title}」" in password
    phone.tap(phone.text("去微信粘贴"), phone.text(GROUP_NAME, contains=True))
    assert phone.shows(phone.chat_list)
    return password


def open_item_link(phone: Phone, url: str, item: Item) -> None:
    """Tap the newest link to ``url`` in the open chat: WeChat's browser shows the item's H5 page."""
    phone.tap(phone.link(url), phone.text(SHOP_APP_BUTTON[item.shop]))
    assert phone.settle(phone.text(item.title)).text == item.title
    for page in (INTERSTITIAL, BLOCKED, COPY_TO_BROWSER):
        assert not phone.shows(phone.text(page)), page


def open_in_taobao(phone: Phone, item: Item) -> None:
    """From the H5 item page, 打开淘宝App: Taobao shows the item."""
    phone.tap(phone.text("打开淘宝App"), phone.text("立即购买"))
    assert phone.settle(phone.text(item.title)).text == item.title
    assert phone.driver.query_app_state(app_id(phone.platform, "taobao")) == FOREGROUND
