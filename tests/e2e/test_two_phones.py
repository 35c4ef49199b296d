"""Two phones: one shares a Taobao item, the other member of the chat opens the link."""

from __future__ import annotations

import allure
import pytest
from flows import buy_from_link, link_host, share_item_to_wechat

from shareflow.phone import conversation

pytestmark = pytest.mark.wechat  # the carrier of every test here


@allure.epic("Share flows")
@allure.feature("WeChat group")
@allure.story("Another group member, on another phone, opens the shared link")
@allure.title("A group member opens the link another phone shared: {phone_device_pair}")
@allure.severity(allure.severity_level.BLOCKER)
@pytest.mark.group
@pytest.mark.link("taobao")
def test_group_member_on_another_phone_opens_the_link(phone_pair, item, data, expectations, door) -> None:
    sender, receiver = phone_pair
    password = share_item_to_wechat(sender, item)
    with conversation(sender, receiver, data.group) as wechat:  # nobody else posts there until the tap
        outcome = wechat.tap_link("taobao", host=link_host(password), shown_as="wechat/their_link")
    buy_from_link(receiver, item, expectations.of(door), outcome)


@allure.epic("Share flows")
@allure.feature("WeChat 1:1 chat")
@allure.story("The friend, on another phone, opens the link shared in a 1:1 chat")
@allure.title("A friend opens the link another phone shared in a 1:1 chat: {phone_device_pair}")
@allure.severity(allure.severity_level.CRITICAL)
@pytest.mark.p2p
@pytest.mark.link("taobao")
def test_p2p_friend_on_another_phone_opens_the_link(phone_pair, item, expectations, door) -> None:
    sender, receiver = phone_pair
    password = share_item_to_wechat(sender, item)
    with conversation(sender, receiver) as wechat:  # their 1:1 chat
        outcome = wechat.tap_link("taobao", host=link_host(password), shown_as="wechat/their_link")
    buy_from_link(receiver, item, expectations.of(door), outcome)


@allure.epic("Share flows")
@allure.feature("WeChat group")
@allure.story("A member copies the Tao password and Taobao opens it from the clipboard")
@allure.title("A group member copies the Tao password into Taobao: {phone_device_pair}")
@allure.severity(allure.severity_level.NORMAL)
@pytest.mark.group
@pytest.mark.link("taobao")
def test_group_member_copies_the_password_into_taobao(phone_pair, item, data) -> None:
    sender, receiver = phone_pair
    share_item_to_wechat(sender, item)
    with conversation(sender, receiver, data.group) as wechat:
        wechat.copy_newest_message()
    receiver.taobao.open_from_clipboard(allow_paste=True)
    receiver.taobao.expect_item(item.title)  # the clipboard card opened the item, or proof it opened another
