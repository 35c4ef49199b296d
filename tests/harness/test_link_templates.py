"""A message's templates tell its bubble from the input box: the same Tao password, pasted but not sent, is no
one's message (the bubble's left edge and the chat's ground beside it are in the template)."""

from __future__ import annotations

from pathlib import Path

from pools import APPLE, DROID, close_farm, open_on_farm, pool

from shareflow.phone import Phone
from shareflow_sim.scenario import NOISELESS

ITEM = "652419876401"
GROUP = "购物分享群"


def paste_into_the_group(phone: Phone) -> None:
    """Share the item from Taobao and paste its password into the group's input box, unsent."""
    taobao, wechat = phone.taobao, phone.wechat
    taobao.open_item(ITEM)
    taobao.share_to_wechat()
    if taobao.go_paste_in_wechat() != "wechat/chat_list":
        wechat.back_to_chat_list()
    wechat.open_chat(GROUP, group=True)
    wechat.paste()


def above_the_input_bar(phone: Phone, state: str) -> bool:
    """Whether ``state`` shows once, wholly above the chat's bottom bar (its voice button, ``wechat/chat``)."""
    [match] = phone.screen.find_all(state)
    bar = phone.screen.look("wechat/chat").match
    return match.box is not None and bar.box is not None and match.box[1] + match.box[3] <= bar.box[1]


def test_a_password_pasted_is_no_message_until_sent(tmp_path: Path) -> None:
    farm, phones = open_on_farm(tmp_path, pool(DROID, APPLE), {"noise": NOISELESS})
    try:
        for phone in phones.values():
            paste_into_the_group(phone)  # 【淘宝】… in the input box, on white as in a bubble
            look = phone.screen.look("wechat/their_link")
            assert not look.match.found, f"{phone.name}: in the input box at {look.match.box} ({look.match.scores})"
        sender, member = phones["android"], phones["ios"]
        sender.wechat.send()
        member.wechat.wait_for_link()
        assert above_the_input_bar(sender, "wechat/my_link")
        assert above_the_input_bar(member, "wechat/their_link")
    finally:
        close_farm(farm, phones)


PLUS = """\
  - name: plus
    platform: ios
    os_version: "17.5"
    profile: iphone-15-plus
    endpoint: embedded
    wechat: {account: wxid_plus, nickname: 大屏}
    apps: {wechat: "8.0.56", taobao: "10.40.0"}
"""


def test_a_promotion_under_the_clipboard_card_is_left_alone(tmp_path: Path) -> None:
    """Taobao comes up cold with its promotion, the clipboard card over it (a CI flake, twice): on iPhone 15 Plus
    the promotion's × lies under the card's 查看详情, so closing the promotion opened the item, and the card was
    then waited for in vain. A covered × (XCUITest's ``hittable`` false) is not tapped."""
    farm, phones = open_on_farm(tmp_path, pool(PLUS), {"noise": {**NOISELESS, "promo_popup": 1.0}})
    try:
        phone = phones["ios"]
        paste_into_the_group(phone)
        phone.wechat.send()
        phone.wechat.copy_newest_message(shown_as="wechat/my_link")
        phone.taobao.reset()  # Taobao starts cold: the promotion, then the card
        phone.taobao.open_from_clipboard()
        log = phone.device_log()  # the card's own 查看详情 opened the item (the item page's promotion is closed after)
        assert "-> taobao.card.view" in log, log
    finally:
        close_farm(farm, phones)
