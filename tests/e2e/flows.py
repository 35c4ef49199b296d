"""Steps the share-flow suites have in common."""

from __future__ import annotations

import allure

from shareflow.apps.taobao import Taobao
from shareflow.apps.wechat import WeChat
from shareflow.taopassword import parse


def share_item_into_chat(taobao: Taobao, wechat: WeChat, item_id: str, title: str, chat: str) -> str:
    """Open the item in Taobao, share it to WeChat and send it into ``chat``; returns the password."""
    password = share_item_to_wechat(taobao, wechat, item_id, title)
    wechat.open_chat(chat)
    wechat.paste_and_send()
    return password


def share_item_to_wechat(taobao: Taobao, wechat: WeChat, item_id: str, title: str) -> str:
    """Open the item in Taobao and share it to WeChat, which is left at its chat list; returns the password."""
    taobao.reset()
    wechat.reset()
    taobao.open_item(item_id)
    taobao.expect_item(title)
    password = taobao.share_to_wechat()
    parsed = parse(password)
    assert parsed is not None, f"the clipboard holds no Tao password: {password!r}"
    assert parsed.title == title, f"the Tao password names {parsed.title!r}, not {title!r}"
    allure.attach(password, name="Tao password", attachment_type=allure.attachment_type.TEXT)
    if taobao.go_paste_in_wechat() != "wechat/chat_list":
        wechat.back_to_chat_list()
    return password


def open_link_and_buy(
    taobao: Taobao, wechat: WeChat, title: str, expected: str, shown_as: str = "wechat/my_link"
) -> None:
    """Tap the Tao-password link: it must open as expected, land on the item and reach the order."""
    buy_from_link(taobao, wechat, title, expected, wechat.tap_link("taobao", shown_as=shown_as))


def buy_from_link(taobao: Taobao, wechat: WeChat, title: str, expected: str, outcome: str) -> None:
    """After the link was tapped: it opened as expected, lands on the item and reaches the order."""
    allure.dynamic.parameter("expected outcome", expected, excluded=True)  # they change with the result: not
    allure.dynamic.parameter("observed outcome", outcome, excluded=True)  # part of the test's identity
    assert outcome == expected, f"the link opened {outcome!r}; expected {expected!r}"
    if outcome == "interstitial":
        wechat.continue_past_interstitial("taobao")
    wechat.open_in_app("taobao")
    taobao.expect_item(title)
    taobao.buy_now()
    assert taobao.shows_title(title, on_order=True), f"the order confirmation is not for {title!r}"
