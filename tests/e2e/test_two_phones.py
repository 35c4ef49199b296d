"""Two phones: one shares a Taobao item, the other member of the chat opens the link."""

from __future__ import annotations

import allure
import pytest
from flows import buy_from_link, open_link_and_buy, share_item_into_chat, share_item_to_wechat

from shareflow.apps.taobao import Taobao
from shareflow.apps.wechat import WeChat


def _member_sees_the_post(posting: WeChat, receiver, group: str) -> WeChat:
    """The sender posts into the group; the member opens the group on their phone. The member's WeChat.

    The caller holds the group's floor: no other phone posts until the member has taken the message.
    """
    posting.open_chat(group)
    posting.paste_and_send()
    wechat = WeChat(receiver)
    wechat.open()
    wechat.open_chat(group)
    wechat.wait_for_link()
    return wechat


@allure.epic("Share flows")
@allure.feature("WeChat group")
@allure.story("Another group member, on another phone, opens the shared link")
@allure.title("A group member opens the link another phone shared: {phone_device_pair}")
@allure.severity(allure.severity_level.BLOCKER)
@pytest.mark.group
def test_group_member_on_another_phone_opens_the_link(phone_pair, data, expectations) -> None:
    sender, receiver = phone_pair
    allure.dynamic.parameter("link kind", "taobao", excluded=True)
    item = data.items["taobao"]
    posting = WeChat(sender)
    share_item_to_wechat(Taobao(sender), posting, item.id, item.title)
    with receiver.chat_floor(data.group):
        wechat = _member_sees_the_post(posting, receiver, data.group)
        outcome = wechat.tap_link("taobao", shown_as="wechat/their_link")
    buy_from_link(Taobao(receiver), wechat, item.title, expectations["group"]["taobao"], outcome)


@allure.epic("Share flows")
@allure.feature("WeChat 1:1 chat")
@allure.story("The friend, on another phone, opens the link shared in a 1:1 chat")
@allure.title("A friend opens the link another phone shared in a 1:1 chat: {phone_device_pair}")
@allure.severity(allure.severity_level.CRITICAL)
@pytest.mark.p2p
def test_p2p_friend_on_another_phone_opens_the_link(phone_pair, data, expectations) -> None:
    sender, receiver = phone_pair
    allure.dynamic.parameter("link kind", "taobao", excluded=True)
    item = data.items["taobao"]
    share_item_into_chat(Taobao(sender), WeChat(sender), item.id, item.title, receiver.device.wechat_nickname)
    wechat = WeChat(receiver)
    wechat.open()
    wechat.open_chat(sender.device.wechat_nickname)
    wechat.wait_for_link()
    open_link_and_buy(Taobao(receiver), wechat, item.title, expectations["p2p"]["taobao"], shown_as="wechat/their_link")


@allure.epic("Share flows")
@allure.feature("WeChat group")
@allure.story("A member copies the Tao password and Taobao opens it from the clipboard")
@allure.title("A group member copies the Tao password into Taobao: {phone_device_pair}")
@allure.severity(allure.severity_level.NORMAL)
@pytest.mark.group
def test_group_member_copies_the_password_into_taobao(phone_pair, data) -> None:
    sender, receiver = phone_pair
    allure.dynamic.parameter("link kind", "taobao", excluded=True)
    item = data.items["taobao"]
    posting = WeChat(sender)
    share_item_to_wechat(Taobao(sender), posting, item.id, item.title)
    with receiver.chat_floor(data.group):
        wechat = _member_sees_the_post(posting, receiver, data.group)
        wechat.copy_newest_message()
    taobao = Taobao(receiver)
    taobao.open_from_clipboard(allow_paste=True)
    assert taobao.shows_title(item.title), f"Taobao's clipboard card did not open {item.title!r}"
