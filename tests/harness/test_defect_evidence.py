"""Each seeded product defect fails with proof: a known wrong state, named, and a picture that shows it.

For every defect of the virtual farm, the page objects walk one Android phone and one iPhone to
where it shows, on a farm that has only that defect; the failure must be a :class:`WrongState`
(a product failure, by its type) naming what is wrong, and the place its picture boxes must lie on
the element that shows the problem (found in the page source, in screenshot pixels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pools import APPLE, DROID, close_farm, open_on_farm, pool

from shareflow import launcher
from shareflow.apps.locators import to_appium
from shareflow.apps.taobao import Taobao
from shareflow.apps.wechat import WeChat
from shareflow.outcomes import PRODUCT, classify
from shareflow.phone import Phone
from shareflow.screen import WrongState
from shareflow.vision.match import Box
from shareflow_sim.scenario import NOISELESS

ITEM = "652419876401"
TITLE = "2021冬季新款加厚羽绒服男士短款连帽外套"
GROUP = "购物分享群"
QUIET = {"noise": NOISELESS}
TEXT = {"android": "text", "ios": "label"}


@dataclass
class Farm:
    """A farm with one seeded defect, and the phones opened on it."""

    url: str
    folder: Path
    phones: dict[str, Phone]


@pytest.fixture
def farm_with(tmp_path: Path) -> Iterator[Callable[[str], Farm]]:
    """Starts a farm with one defect (and DROID, APPLE), opening a phone of each platform on it."""
    started: list[tuple[launcher.EmbeddedFarm, dict[str, Phone]]] = []

    def start(defect: str) -> Farm:
        farm, phones = open_on_farm(tmp_path, pool(DROID, APPLE), {**QUIET, "defects": [defect]}, defect)
        started.append((farm, phones))
        return Farm(farm.url, tmp_path, phones)

    yield start
    for farm, phones in started:
        close_farm(farm, phones)


def pixel_rect(phone: Phone, **selector: str) -> Box:
    """The element ``selector`` finds (the last, drawn on top), in screenshot pixels."""
    [*_, element] = phone.driver.find_elements(*to_appium(phone.platform, selector))
    r = element.rect
    k = phone.screenshot().shape[1] / phone.screen.window_size()[0]  # 1 on Android, the point scale on iOS
    return round(r["x"] * k), round(r["y"] * k), round(r["width"] * k), round(r["height"] * k)


def overlaps(a: Box | None, b: Box) -> bool:
    if a is None:
        return False
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w > 0 and h > 0


def text(platform: str, words: str) -> dict[str, str]:
    return {TEXT[platform]: words}


def failure(action: Callable[[], object]) -> WrongState:
    with pytest.raises(WrongState) as caught:
        action()
    assert classify(caught.value) == PRODUCT
    return caught.value


def pictures(phone: Phone) -> list[str]:
    return [p.name for p in phone.evidence.files if p.suffix == ".png"]


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_a_disabled_submit_order_is_named_and_boxed(farm_with: Callable[[str], Farm], platform: str) -> None:
    phone = farm_with("submit_order_disabled").phones[platform]
    taobao = Taobao(phone)
    taobao.open_item(ITEM)
    wrong = failure(taobao.buy_now)
    assert wrong.state == "taobao/order_submit_disabled" and "提交订单 is disabled" in str(wrong)
    assert overlaps(wrong.box, pixel_rect(phone, **text(platform, "提交订单")))
    assert any("order_submit_disabled_shown" in name for name in pictures(phone))


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_a_share_panel_without_wechat_is_shown_beside_the_target_it_lacks(
    farm_with: Callable[[str], Farm], platform: str
) -> None:
    phone = farm_with("share_panel_without_wechat").phones[platform]
    taobao = Taobao(phone)
    taobao.open_item(ITEM)
    wrong = failure(taobao.share_to_wechat)
    assert wrong.state == "taobao/share_panel" and "no 微信 target" in str(wrong)
    targets = [pixel_rect(phone, **text(platform, label)) for label in ("朋友圈", "钉钉", "复制链接")]
    assert any(overlaps(wrong.box, target) for target in targets)  # the best candidate is another target
    assert any("expected_vs_best_candidate" in name for name in pictures(phone))


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_a_password_not_copied_shows_the_clipboard_beside_the_dialog(
    farm_with: Callable[[str], Farm], platform: str
) -> None:
    phone = farm_with("password_not_copied").phones[platform]
    taobao = Taobao(phone)
    taobao.open_item(ITEM)
    wrong = failure(taobao.share_to_wechat)
    assert wrong.state == "taobao/password_copied" and "the clipboard holds nothing" in str(wrong)
    assert overlaps(wrong.box, pixel_rect(phone, **text(platform, "淘口令已复制")))
    [picture] = [p for p in phone.evidence.files if "password_copied_shown" in p.name]
    assert picture.suffix == ".png"


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_a_link_to_another_item_names_the_item_expected(farm_with: Callable[[str], Farm], platform: str) -> None:
    farm = farm_with("h5_wrong_item")
    phone = farm.phones[platform]
    taobao, wechat = Taobao(phone), WeChat(phone)
    taobao.open_item(ITEM)
    taobao.share_to_wechat()
    if taobao.go_paste_in_wechat() != "wechat/chat_list":
        wechat.back_to_chat_list()
    wechat.open_chat(GROUP)
    wechat.paste_and_send()
    assert wechat.tap_link("taobao") == "direct"
    wechat.open_in_app("taobao")
    wrong = failure(lambda: taobao.expect_item(TITLE))
    assert wrong.state == "taobao/item" and TITLE in str(wrong)
    assert overlaps(wrong.box, pixel_rect(phone, **text(platform, "立即购买")))


def test_a_lost_group_message_leaves_the_members_chat_without_it(farm_with: Callable[[str], Farm]) -> None:
    farm = farm_with("group_message_lost")
    sender, member = farm.phones["android"], farm.phones["ios"]
    taobao, posting = Taobao(sender), WeChat(sender)
    taobao.open_item(ITEM)
    taobao.share_to_wechat()
    if taobao.go_paste_in_wechat() != "wechat/chat_list":
        posting.back_to_chat_list()
    posting.open_chat(GROUP)
    posting.paste_and_send()
    receiving = WeChat(member)
    receiving.open()
    receiving.open_chat(GROUP)
    wrong = failure(lambda: receiving.wait_for_link(timeout=3))
    assert wrong.state == "wechat/chat" and GROUP in str(wrong)
    assert any("their_link_expected_vs_best_candidate" in name for name in pictures(member))
