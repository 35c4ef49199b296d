"""Page objects' taps when a tap's screen comes later than the proof's wait, and elements that vanish while handled."""

from __future__ import annotations

import contextlib
import re
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException

from shareflow.apps.base import ElementNotShown, EmptyTree
from shareflow.apps.taobao import Taobao
from shareflow.apps.wechat import LINK_WORDS, WeChat
from shareflow.devices import Device
from shareflow.outcomes import DEVICE_SETUP, INFRASTRUCTURE, PRODUCT, UNRECOGNISED_SCREEN, classify
from shareflow.phone import AppNotInFront, Phone
from shareflow.screen import StateNotReached, WrongState
from shareflow.vision.match import Match

DROID = Device("droid", "android", os_version="12", endpoint="embedded", apps={"wechat": "8.0.16", "taobao": "10.8"})
# UiAutomator2's page source: the launcher (a tree), and WeChat's window with an empty tree (8.0.61, no service)
LAUNCHER = (
    '<hierarchy><android.widget.FrameLayout package="com.android.launcher3">'
    '<android.widget.TextView package="com.android.launcher3" text="微信"/></android.widget.FrameLayout></hierarchy>'
)
EMPTY_WECHAT = '<hierarchy><android.widget.FrameLayout package="com.tencent.mm" bounds="[0,0][1080,2400]"/></hierarchy>'


def fake_phone(driver: object, screen: object) -> Any:
    """What a page object uses of a phone: its driver, screen, platform, device and the apps it drives."""
    return SimpleNamespace(driver=driver, screen=screen, platform="android", device=DROID, apps={})


class LateDriver:
    """The chat row is on screen until it is tapped; the tap takes effect, but late."""

    def __init__(self) -> None:
        self.taps = 0
        self.page_source = LAUNCHER

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
            raise StateNotReached(f"Timed out after {timeout:g} s while waiting for screen state {states[0]!r}")
        return states[0], None

    def sees(self, state: str) -> bool:
        self.looked = True
        return state == "wechat/chat"

    def give_up(self) -> None:
        """No guard: the apps' state is not what these tests look at."""


def test_a_tap_that_took_effect_after_the_proof_s_wait_is_not_repeated_nor_failed() -> None:
    driver, screen = LateDriver(), LateScreen()
    wechat = WeChat(fake_phone(driver, screen))
    assert wechat.tap("chat_row", proof="wechat/chat", timeout=1.0, name="购物分享群") == "wechat/chat"
    assert (driver.taps, screen.waits) == (1, 2)


def test_a_tap_whose_element_and_proof_both_stay_away_fails_naming_the_element() -> None:
    driver, screen = LateDriver(), LateScreen()
    screen.sees = lambda state: False  # type: ignore[method-assign]
    wechat = WeChat(fake_phone(driver, screen))
    with pytest.raises(
        StateNotReached, match=r"^Timed out after 0.2 s while waiting for wechat: element 'chat_row' \(by locator '"
    ):
        wechat.tap("chat_row", proof="wechat/chat", timeout=0.2, name="购物分享群")
    assert driver.taps == 1


class VanishingBanner:
    """A notification banner that goes by itself between being found and being read, as banners do."""

    @property
    def rect(self) -> dict[str, int]:
        raise StaleElementReferenceException("stale element reference: the banner is no longer attached")

    def click(self) -> None:
        raise StaleElementReferenceException("stale element reference: the pop-up closed")


class BannerDriver:
    """Every lookup finds a banner (and a pop-up with its close button) that is gone once touched."""

    def __init__(self) -> None:
        self.swipes = 0

    def find_elements(self, by: str, value: str) -> list[Any]:
        return [VanishingBanner()]

    def swipe(self, *args: object) -> None:
        self.swipes += 1


def test_a_banner_that_goes_while_it_is_handled_is_ordinary() -> None:
    driver = BannerDriver()
    wechat = WeChat(fake_phone(driver, None))
    assert wechat.dismiss_interruptions() is False  # nothing was left to clear; no error
    assert driver.swipes == 0


@pytest.mark.parametrize(
    "error",
    [
        StaleElementReferenceException("stale element reference"),
        NoSuchElementException("no such element: 立即购买"),
        WebDriverException("An unknown server-side error occurred"),
    ],
)
def test_a_webdriver_error_is_never_a_product_failure(error: Exception) -> None:
    assert classify(error) == INFRASTRUCTURE


class CrashedDriver:
    """The phone after the app in front crashed: the launcher shows, nothing of the apps is found."""

    def __init__(self, states: dict[str, object]) -> None:
        self.states = states
        self.page_source = LAUNCHER

    def find_elements(self, by: str, value: str) -> list[Any]:
        return []

    def execute_script(self, script: str, args: dict[str, str]) -> object:
        assert script == "mobile: queryAppState"
        return self.states[args["appId"]]


def guarded_phone(states: dict[str, object]) -> Phone:
    """A phone whose screen never shows what is waited for, and whose guard asks the driver for app states."""
    driver = CrashedDriver(states)
    screen = LateScreen()
    screen.sees = lambda state: False  # type: ignore[method-assign]
    phone = Phone(DROID, driver, screen, None, None)  # type: ignore[arg-type]
    screen.give_up = phone.check_in_front  # type: ignore[method-assign]
    return phone


def test_an_element_not_shown_because_the_apps_are_gone_is_infrastructure_not_the_product() -> None:
    phone = guarded_phone({"com.tencent.mm": 1, "com.taobao.taobao": 3})
    wechat, _ = WeChat(phone), Taobao(phone)
    gone = "droid: no app under test is in front (wechat not running, taobao in the background)"
    with pytest.raises(AppNotInFront, match=re.escape(gone)) as caught:
        wechat.tap("chat_row", proof="wechat/chat", timeout=0.2, name="购物分享群")
    assert classify(caught.value) == INFRASTRUCTURE


@pytest.mark.parametrize("wechat_state", [4, None], ids=["wechat-in-front", "state-unknown"])
def test_an_element_not_shown_while_an_app_is_in_front_stays_unreached(wechat_state: object) -> None:
    phone = guarded_phone({"com.tencent.mm": wechat_state, "com.taobao.taobao": 1})
    wechat, _ = WeChat(phone), Taobao(phone)
    with pytest.raises(StateNotReached, match="while waiting for wechat: element 'chat_row'") as caught:
        wechat.tap("chat_row", proof="wechat/chat", timeout=0.2, name="购物分享群")
    assert classify(caught.value) == UNRECOGNISED_SCREEN  # the tree is there: the screen just did not show it


@pytest.mark.parametrize(
    ("apps", "version_hint"), [({"taobao": "10.8"}, True), ({"wechat": "8.0.16"}, False)], ids=["no-version", "version"]
)
def test_a_lookup_in_an_empty_node_tree_is_device_setup_with_the_hint(apps: dict[str, str], version_hint: bool) -> None:
    phone = guarded_phone({"com.tencent.mm": 4})
    phone.driver.page_source = EMPTY_WECHAT  # type: ignore[attr-defined]
    phone.device = Device("pixel-9", "android", os_version="15", endpoint="embedded", apps=apps)
    with pytest.raises(EmptyTree) as caught:
        WeChat(phone).tap("chat_row", proof="wechat/chat", timeout=0.2, name="购物分享群")
    assert classify(caught.value) == DEVICE_SETUP
    message = str(caught.value)
    assert message.startswith("pixel-9: wechat's node tree is empty (its page source is a root with no children)")
    assert "element 'chat_row'" in message and "turn on an accessibility service on the phone" in message
    assert "set `accessibility_service: true` on its devices.yaml entry" in message
    assert ("give its wechat version there" in message) is version_hint


def test_an_element_waited_for_in_an_empty_tree_is_device_setup_not_absent() -> None:
    driver = CrashedDriver({"com.taobao.taobao": 4})
    driver.page_source = EMPTY_WECHAT.replace("com.tencent.mm", "com.taobao.taobao")
    taobao = Taobao(fake_phone(driver, LateScreen()))
    title = "2021冬季新款加厚羽绒服男士短款连帽外套"
    with pytest.raises(EmptyTree, match="element 'item_title' is looked up in it"):
        taobao.element("item_title", timeout=0.2, title=title)  # not "another item's title": nothing is proven
    driver.page_source = LAUNCHER
    assert taobao.element("item_title", timeout=0.2, title=title) is None


class TwoCrosses:
    """Taobao's promotion (Android) and, far from it, another control labelled 关闭按钮: a tap goes to the ×
    nearest the pop-up shown."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def button(self, name: str, y: int) -> SimpleNamespace:
        return SimpleNamespace(
            rect={"x": 170, "y": y, "width": 36, "height": 36}, click=lambda: self.closed.append(name)
        )

    def find_elements(self, by: str, value: str) -> list[Any]:
        if "poplayer_native_state_id" in value:  # the promotion, in the middle of the screen
            return [SimpleNamespace(rect={"x": 48, "y": 960, "width": 980, "height": 1200})]
        if "关闭按钮" in value:  # another × first in the tree, then the promotion's
            return [self.button("other", 80), self.button("promo", 2200)]
        return []


def test_a_pop_up_is_closed_by_its_own_close_button_not_another_s() -> None:
    driver = TwoCrosses()
    assert Taobao(fake_phone(driver, None)).dismiss_interruptions()
    assert driver.closed == ["promo"]


class CoveredAlert:
    """SpringBoard asks for the notification permission; its 不允许 lies under another element (XCUITest:
    ``hittable`` false)."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def find_elements(self, by: str, value: str) -> list[Any]:
        if "不允许" not in value:
            return []
        return [
            SimpleNamespace(
                rect={"x": 40, "y": 500, "width": 140, "height": 44},
                click=lambda: self.closed.append("deny"),
                get_attribute=lambda attribute: "false" if attribute == "hittable" else None,
            )
        ]

    def execute_script(self, script: str, args: dict[str, str]) -> int:
        return 4  # mobile: queryAppState: the app asked about is in front


class StillScreen:
    """An iPhone screen that stood still, on which the promotion's × shows (or not)."""

    def __init__(self, cross: bool) -> None:
        self.cross = cross
        self.looked: list[str] = []
        self.tapped: list[Match] = []

    def refresh(self) -> None:
        """The screen is what it was."""

    def unchanged_for(self) -> float:
        return 1.0

    def look(self, state: str) -> Any:
        self.looked.append(state)
        box, shown = (540, 1800, 108, 108), self.cross and state == "taobao/promo_close"
        return SimpleNamespace(match=Match(shown, 0.95 if shown else 0.3, box, box, 1.0, 0.0))

    def tap(self, match: Match, *, at: tuple[float, float] = (0.5, 0.5), hold: float = 0.0) -> None:
        self.tapped.append(match)


IPHONE = Device("ios", "ios", os_version="16", endpoint="embedded", apps={"wechat": "8.0.16", "taobao": "10.8"})


def test_a_covered_close_button_is_left_alone() -> None:
    """A tap on a covered button lands on what covers it: nothing is tapped."""
    driver = CoveredAlert()
    phone = SimpleNamespace(driver=driver, screen=StillScreen(cross=False), platform="ios", device=IPHONE, apps={})
    assert not Taobao(phone).dismiss_interruptions()
    assert driver.closed == []


@pytest.mark.parametrize(("cross", "card", "closed"), [(True, False, True), (False, False, False), (True, True, False)])
def test_an_iphone_promotion_is_closed_by_its_cross_on_the_screen(cross: bool, card: bool, closed: bool) -> None:
    """No selector finds Taobao's pop-up on an iPhone (nothing public names it): its × is looked for on the
    screenshot, and tapped where it shows (a covered × does not show) — unless the clipboard card shows, whose
    own × looks the same (a CI run tapped it and closed the card)."""
    asked: list[str] = []

    def find_elements(by: str, value: str) -> list[Any]:
        asked.append(value)
        return [SimpleNamespace()] if card and "查看详情" in value else []

    driver = SimpleNamespace(find_elements=find_elements, execute_script=lambda script, args: 4)  # Taobao in front
    screen = StillScreen(cross)
    phone = SimpleNamespace(driver=driver, screen=screen, platform="ios", device=IPHONE, apps={})
    assert Taobao(phone).dismiss_interruptions() is closed
    assert "taobao/promo_close" in screen.looked and len(screen.tapped) == int(closed)
    assert not any("双12" in value or value.endswith('"关闭"') for value in asked)


class StackedPopUps:
    """Taobao's update prompt over its promotion (Android): a tap on the promotion's × reaches the prompt."""

    def __init__(self) -> None:
        self.up = ["promo", "update"]  # bottom first

    def close(self, name: str) -> None:
        if self.up[-1] == name:  # only the pop-up on top takes the tap
            self.up.remove(name)

    def find_elements(self, by: str, value: str) -> list[Any]:
        box = {"x": 100, "y": 800, "width": 800, "height": 600}
        shown = {"poplayer_native_state_id": "promo", "update_contentDialog_v2": "update"}
        buttons = {"关闭按钮": "promo", "update_imageview_cancel_v2": "update"}
        for part, name in shown.items():
            if part in value and name in self.up:
                return [SimpleNamespace(rect=box)]
        for part, name in buttons.items():
            if part in value and name in self.up:
                return [SimpleNamespace(rect=box, click=lambda name=name: self.close(name))]
        return []


def test_stacked_pop_ups_are_closed_whichever_is_on_top() -> None:
    """The node tree does not say which pop-up is on top: a × that took no tap yields to the next pop-up's."""
    driver = StackedPopUps()
    taobao = Taobao(fake_phone(driver, None))
    calls = 0
    while driver.up and calls < 4:
        assert taobao.dismiss_interruptions()
        calls += 1
    assert driver.up == [] and calls == 3  # the promotion's × (no effect), the prompt's, the promotion's
    assert not taobao.dismiss_interruptions()


class NoTreeDriver:
    """WeChat from 8.0.61 on Android: its node tree is empty, nothing of it is ever found."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def find_elements(self, by: str, value: str) -> list[Any]:
        self.asked.append(value)
        return []

    def execute_script(self, script: str, args: dict[str, str]) -> int:
        return 4  # mobile: queryAppState: the app asked about is in front


class OcrScreen:
    """A screen whose text is read by OCR, line by line; a tap on a line opens the chat."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.tapped: list[str] = []
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1

    def unchanged_for(self) -> float:
        return 1.0  # what it shows stands

    def screenshot(self) -> Any:
        return SimpleNamespace(width=1080, height=2400)

    def words(self, pattern: str, region: object = None, *, whole: bool = False) -> str | None:
        assert whole
        shown = self.tapped[-1:] if region is not None else self.lines  # the open chat's title bar, or the list
        return next((line for line in shown if re.fullmatch(pattern, line)), None)

    def tap(self, line: str, *, at: tuple[float, float] = (0.5, 0.5), hold: float = 0.0) -> None:
        self.tapped.append(line)

    def expect_any(self, states: list[str], timeout: float, on_miss: object = None) -> tuple[str, None]:
        if not self.tapped:
            raise StateNotReached(f"Timed out after {timeout:g} s while waiting for screen state {states[0]!r}")
        return states[0], None

    def sees(self, state: str) -> bool:
        return bool(self.tapped)

    def give_up(self) -> None:
        """No guard: the apps' state is not what these tests look at."""


EMPTY_TREE = Device("p9", "android", os_version="15", endpoint="embedded", apps={"wechat": "8.0.61", "taobao": "10.40"})


def test_with_no_node_tree_a_chat_is_opened_by_its_name_read_on_screen() -> None:
    driver, screen = NoTreeDriver(), OcrScreen(["22:42", "购物分享群(10)", "李华：大家好", "王芳", "在吗？"])
    phone = SimpleNamespace(driver=driver, screen=screen, platform="android", device=EMPTY_TREE, apps={})
    assert WeChat(phone).tap("chat_row", proof="wechat/chat", timeout=1.0, name="购物分享群") == "wechat/chat"
    # a fresh screenshot for the row's name, and one for WeChat's own pop-ups, whose words are read as well
    assert screen.tapped == ["购物分享群(10)"] and screen.refreshes == 2
    assert not any("头像" in value for value in driver.asked)  # the tree is not searched for it


def test_with_no_node_tree_a_name_only_inside_another_line_is_not_the_chat() -> None:
    screen = OcrScreen(["购物分享群(10)", "王芳：在吗？"])
    phone = SimpleNamespace(driver=NoTreeDriver(), screen=screen, platform="android", device=EMPTY_TREE, apps={})
    with pytest.raises(StateNotReached, match=r"element 'chat_row' \(by words '王芳"):
        WeChat(phone).tap("chat_row", proof="wechat/chat", timeout=0.2, name="王芳")
    assert screen.tapped == []


PC_LOGIN = {"登录 Windows 微信": 1100, "登录": 2500, "取消登录": 2760}  # the lines a pop-up shows, and where
NOTIFICATIONS = {"要允许“微信”向您发送通知吗？": 1300, "允许": 1500, "不允许": 1640}  # Android 13+'s
LEAVE = {"即将离开微信，打开“淘宝”": 1250, "取消": 1480, "允许": 1480}  # WeChat's, before 打开淘宝App


class PcLoginScreen:
    """A pop-up hidden from the tree (WeChat 8.0.61): by default WeChat's prompt to confirm a login of WeChat
    for Windows, over Taobao's jump to WeChat; it has stood for ``stood`` seconds."""

    def __init__(self, stood: float, lines: dict[str, int] = PC_LOGIN) -> None:
        self.stood = stood
        self.lines = lines
        self.read = 0
        self.tapped: list[str] = []

    def refresh(self) -> None:
        """Nothing changes: the prompt stands until answered."""

    def unchanged_for(self) -> float:
        return self.stood

    def words(self, pattern: str, region: object = None, *, whole: bool = False) -> Match | None:
        self.read += 1
        for line, y in self.lines.items():
            if re.fullmatch(pattern, line):
                box = (600, y, 240, 60)
                return Match(True, 0.97, box, box, 1.0, 0.0, screen_size=(1440, 3200))
        return None

    def tap(self, match: Match, *, at: tuple[float, float] = (0.5, 0.5), hold: float = 0.0) -> None:
        self.tapped.append(match.box)


class FrontDriver(NoTreeDriver):
    """An empty tree; ``front`` is the app in front (mobile: queryAppState: 4 in front, 3 in the background)."""

    def __init__(self, front: str) -> None:
        super().__init__()
        self.front = front

    def execute_script(self, script: str, args: dict[str, str]) -> int:
        assert script == "mobile: queryAppState"
        return 4 if args["appId"] == self.front else 3


def test_another_app_s_pop_up_hidden_from_the_tree_is_closed_by_its_words_once_it_stands() -> None:
    """Taobao's jump to WeChat starts it cold and WeChat asks first: the Taobao page object's wait clears it."""
    screen, driver = PcLoginScreen(stood=0.1), FrontDriver("com.taobao.taobao")
    taobao = Taobao(fake_phone(driver, screen))
    taobao.phone.device = EMPTY_TREE
    assert not taobao.dismiss_interruptions()  # a screen that just came: its words are not read yet (slow)
    screen.stood = 0.6
    assert not taobao.dismiss_interruptions()  # it stands, but WeChat is not in front: not WeChat's pop-up
    assert (screen.read, screen.tapped) == (0, [])
    driver.front = "com.tencent.mm"
    assert taobao.dismiss_interruptions()
    assert screen.tapped == [(600, 2760, 240, 60)]  # 取消登录
    assert screen.read == 2  # 取消登录, and 即将离开微信 (not shown): one screenshot's words, read once


@pytest.mark.parametrize(("lines", "tapped"), [(LEAVE, [(600, 1480, 240, 60)]), (NOTIFICATIONS, [])])
def test_a_close_button_hidden_from_the_tree_is_tapped_only_under_its_pop_up_s_own_words(
    lines: dict[str, int], tapped: list[tuple[int, int, int, int]]
) -> None:
    """WeChat's 即将离开微信 is answered 允许; the notification prompt's 允许 (a line of the same words) is not
    WeChat's pop-up: it is left to its own entry (the system's, which denies it)."""
    screen, driver = PcLoginScreen(stood=0.6, lines=lines), FrontDriver("com.tencent.mm")
    wechat = WeChat(fake_phone(driver, screen))
    wechat.phone.device = EMPTY_TREE
    assert wechat.dismiss_interruptions() is bool(tapped)
    assert screen.tapped == tapped


class ScrollingChats:
    """A chat list of ``names``, ``shown`` rows of ROW units at a time (in a list at LIST of the window), as
    the driver and the screen see it: each swipe scrolls it a row (clamped), the screenshot tells where it is.
    With ``tree``, the rows are in the node tree with their whole frames (XCUITest's cells), the list too."""

    ROW, LIST = 40.0, (0.0, 50.0, 100.0, 100.0)

    def __init__(self, names: list[str], shown: int = 3, tree: bool = False) -> None:
        self.names, self.shown, self.tree, self.top = names, shown, tree, 0
        self.tapped: list[str] = []
        self.swipes: list[float] = []  # each swipe's way up (positive: what is below comes in)
        self._seen: int | None = None
        self._still = False

    # -- the driver --------------------------------------------------------------------------------------
    @property
    def page_source(self) -> str:
        rows = "".join(f'<node package="com.tencent.mm" content-desc="{n}头像"/>' for n in self.names)
        return f'<hierarchy><node package="com.tencent.mm">{rows if self.tree else ""}</node></hierarchy>'

    def find_elements(self, by: str, value: str) -> list[Any]:
        if not self.tree:
            return []
        x, y, w, h = self.LIST
        if "textMatches(" in value:  # the open chat's title, in the title bar
            pattern = value.split('"')[1].replace("\\\\", "\\")
            titled = re.fullmatch(pattern, self.title())
            return [SimpleNamespace(rect={"x": 30, "y": 10, "width": 40, "height": 10})] if titled else []
        if "scrollable(true)" in value:
            return [SimpleNamespace(rect={"x": x, "y": y, "width": w, "height": h})]
        found = []
        for i, name in enumerate(self.names):
            top = y + (i - self.top) * self.ROW
            if f'"{name}头像"' in value or value == f"{name}头像":  # rows just out of view are in the tree too
                rect = {"x": 0, "y": top, "width": w, "height": self.ROW}
                found.append(SimpleNamespace(rect=rect, click=lambda n=name: self.tapped.append(n)))
        return found

    def swipe(self, x0: int, y0: int, x1: int, y1: int, duration: int) -> None:
        self.swipes.append(y0 - y1)
        step = 1 if y0 > y1 else -1
        self.top = min(max(self.top + step, 0), len(self.names) - self.shown)

    # -- the screen --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._still, self._seen = self._seen == self.top, self.top

    def still(self) -> bool:
        return self._still

    def unchanged_for(self) -> float:
        return 0.0  # the list was just swiped: no pop-up is looked for

    def image(self) -> Any:
        return SimpleNamespace(width=100, bgr=np.full((200, 100, 3), self.top, np.uint8))

    def window_size(self) -> tuple[float, float]:
        return 100.0, 200.0

    def screenshot(self) -> Any:
        self.refresh()
        return SimpleNamespace(width=100, height=200)

    def lines(self, region: object = None) -> list[Any]:
        return [SimpleNamespace(words=self.title())]

    def title(self) -> str:
        """What the open chat's title bar shows: the name of the row tapped last."""
        return self.tapped[-1] if self.tapped else ""

    def words(self, pattern: str, region: object = None, *, whole: bool = False) -> str | None:
        shown = [self.title()] if region is not None else self.names[self.top : self.top + self.shown]
        return next((line for line in shown if re.fullmatch(pattern, line)), None)

    def tap(self, line: str, *, at: tuple[float, float] = (0.5, 0.5), hold: float = 0.0) -> None:
        self.tapped.append(line)

    def expect_any(self, states: list[str], timeout: float = 1.0, on_miss: object = None) -> tuple[str, None]:
        if not self.tapped:
            raise StateNotReached(f"Timed out after {timeout:g} s while waiting for screen state {states[0]!r}")
        return states[0], None

    def sees(self, state: str) -> bool:
        return bool(self.tapped)

    def give_up(self) -> None:
        """No guard: the apps' state is not what these tests look at."""


class ResortingChats(ScrollingChats):
    """The same list; a group message comes in as the first row is tapped: the group moves to the top
    under the tap, and opens instead."""

    def tap(self, line: str, *, at: tuple[float, float] = (0.5, 0.5), hold: float = 0.0) -> None:
        self.tapped.append(line if self.tapped else CHATS[0])

    def find_elements(self, by: str, value: str) -> list[Any]:
        found = super().find_elements(by, value)
        if not self.tapped:
            for row in found:
                row.click = lambda: self.tapped.append(CHATS[0])
        return found


class SwallowingChats(ScrollingChats):
    """The same list, whose first swipe moves nothing."""

    def swipe(self, x0: int, y0: int, x1: int, y1: int, duration: int) -> None:
        if self.swipes:
            super().swipe(x0, y0, x1, y1, duration)
        else:
            self.swipes.append(0)


CHATS = ["购物分享群(10)", "王芳", "李华", "阿豪", "乐乐"]


def chats_phone(chats: ScrollingChats, tree: bool) -> Any:
    device = DROID if tree else EMPTY_TREE
    evidence = SimpleNamespace(step=lambda title: contextlib.nullcontext())
    return SimpleNamespace(
        driver=chats, screen=chats, platform="android", device=device, apps={}, name="p", evidence=evidence
    )


@pytest.mark.parametrize("tree", [False, True], ids=["no-tree", "tree"])
def test_a_chat_below_the_screen_s_bottom_is_scrolled_to(tree: bool) -> None:
    chats = ScrollingChats(CHATS, tree=tree)
    phone = chats_phone(chats, tree)
    WeChat(phone).open_chat("乐乐")
    assert chats.tapped == ["乐乐"] and chats.swipes == [50, 50]  # half the list each, in window units
    chats.tapped.clear()
    WeChat(phone).open_chat("王芳")  # above, now: the list's end reached (twice, to be sure), it is swiped back
    assert chats.tapped == ["王芳"] and chats.swipes == [50, 50, 50, 50, -50]


def test_only_a_group_has_a_floor() -> None:
    """A group takes posts from phones of other tests: its floor is held; every phone's 1:1 chat with a
    friend is its own (and a 1:1 chat between two phones of the pool, their test's): none is."""
    chats = ScrollingChats(CHATS, tree=True)
    phone = chats_phone(chats, True)
    held: list[str] = []
    phone.chat_floor = lambda chat: contextlib.nullcontext(held.append(chat))
    wechat = WeChat(phone)
    wechat.open_chat("王芳")
    with wechat.floor():
        pass
    assert held == []
    wechat.open_chat("购物分享群(10)", group=True)
    with wechat.floor():
        pass
    assert held == ["购物分享群(10)"]


@pytest.mark.parametrize("tree", [False, True], ids=["no-tree", "tree"])
def test_a_chat_in_no_row_fails_naming_it_once_the_list_was_swiped_through(tree: bool) -> None:
    chats = ScrollingChats(CHATS, tree=tree)
    phone = chats_phone(chats, tree)
    with pytest.raises(ElementNotShown, match=r"no element 'chat_row' \(name='小林'\) .* in the list 'chat_list'"):
        WeChat(phone).open_chat("小林")
    assert chats.swipes == [50, 50, 50, 50, -50, -50, -50, -50] and chats.tapped == []


@pytest.mark.parametrize("tree", [False, True], ids=["no-tree", "tree"])
def test_a_chat_that_opened_instead_of_the_one_tapped_is_left_and_the_row_tapped_again(tree: bool) -> None:
    chats = ResortingChats(CHATS, tree=tree)
    WeChat(chats_phone(chats, tree)).open_chat("王芳")
    assert chats.tapped == ["购物分享群(10)", "王芳"]  # the group's title read first: back, and the row again


def test_a_chat_that_never_opens_fails_naming_what_its_title_bar_reads() -> None:
    chats = ResortingChats(CHATS, tree=True)
    chats.title = lambda: "购物分享群(10)"  # type: ignore[method-assign]
    with pytest.raises(
        StateNotReached, match=r"the chat '王芳' \(its title\)\. Closest: the title bar reads 购物分享群"
    ):
        WeChat(chats_phone(chats, True)).open_chat("王芳")
    assert classify(StateNotReached("")) == UNRECOGNISED_SCREEN  # not the product's failure


@pytest.mark.parametrize("tree", [False, True], ids=["no-tree", "tree"])
def test_a_swallowed_swipe_is_not_taken_for_the_list_s_end(tree: bool) -> None:
    """A swipe that moved nothing (a banner caught it, a transition dropped it) is tried again."""
    chats = SwallowingChats(CHATS, tree=tree)
    WeChat(chats_phone(chats, tree)).open_chat("乐乐")
    assert chats.tapped == ["乐乐"] and chats.swipes == [0, 50, 50]  # the first moved nothing


def test_a_chat_looked_up_in_an_empty_tree_while_scrolling_is_a_device_setup_failure() -> None:
    """No WeChat version in the entry: its locators look in the tree, which is empty — not an unrecognised screen."""
    chats = ScrollingChats(CHATS, tree=False)
    phone = chats_phone(chats, tree=False)
    phone.device = Device("p9", "android", os_version="15", endpoint="embedded", apps={"taobao": "10.40"})
    with pytest.raises(EmptyTree, match="wechat's node tree is empty"):
        WeChat(phone).open_chat("小林")
    assert classify(EmptyTree("")) == DEVICE_SETUP


class ChatWithoutTemplateLink:
    """The receiver's chat, recognised; its link message drawn unlike the template (another font, say)
    when ``link`` is set, else absent: OCR reads the chat's lines either way."""

    def __init__(self, link: bool) -> None:
        self.lines = ["购物分享群(10)", "阿豪：大家好"] + (
            ["【淘宝】https://e.tb.cn/h.5qUd2wnY2D?tk=PgW3YpgBWJQ"] if link else []
        )

    def expect(self, state: str, timeout: float, on_miss: object = None) -> None:
        raise StateNotReached(f"Timed out after {timeout:g} s while waiting for screen state {state!r}")

    def sees(self, state: str) -> bool:
        return state == "wechat/chat"

    def words(self, pattern: str, region: object = None, *, whole: bool = False) -> Match | None:
        for line in self.lines:
            if re.search(pattern, line):
                return Match(True, 0.95, (0, 0, 10, 10), (0, 0, 10, 10), 1.0, 0.0, screen_size=(1080, 2400))
        return None


@pytest.mark.parametrize("link", [True, False], ids=["drawn-unlike-template", "absent"])
def test_a_missing_link_message_is_blamed_only_when_the_chat_s_words_hold_no_link(link: bool) -> None:
    screen = ChatWithoutTemplateLink(link)
    phone = fake_phone(NoTreeDriver(), screen)
    phone.name, phone.evidence = "p", SimpleNamespace(step=lambda title: contextlib.nullcontext())
    wechat = WeChat(phone)
    with pytest.raises(StateNotReached if link else WrongState) as raised:
        wechat.wait_for_link(timeout=0.1)
    assert isinstance(raised.value, WrongState) is not link
    assert ("shows a link in its words" in str(raised.value)) is link
    assert classify(raised.value) == (UNRECOGNISED_SCREEN if link else PRODUCT)


@pytest.mark.parametrize(
    ("read", "link"),
    [
        ("https:/ /mobile.yangkeduo.co", "https:/ /mobile.yangkeduo.co"),  # iPhone 8, Zen Hei: the slashes apart
        ("https://v.douyin.com/iRq7DkYb/", "https://v.douyin.com/iRq7DkYb/"),
        ("【淘宝】https://m.tb.cn/h.AbCdEfG?tk=AbCdEfGhJkL", "https://m.tb.cn/h.AbCdEfG?tk=AbCdEfGhJkL"),
        ("m.tb.cn/h.AbCdEfG?tk=AbCdEfGhJkL CZ0012", "m.tb.cn/h.AbCdEfG?tk=AbCdEfGhJkL"),  # wrapped after the scheme
        ("大家好，双十二有什么好物推荐吗？", None),
    ],
)
def test_a_link_is_read_in_a_message_s_words_as_fonts_space_it(read: str, link: str | None) -> None:
    found = re.search(LINK_WORDS, read)
    assert (found.group(0) if found else None) == link
