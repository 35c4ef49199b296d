"""Steps the share-flow suites have in common, and the test data they take."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import allure

from shareflow.phone import Phone
from shareflow.taopassword import parse


@dataclass(frozen=True)
class Item:
    """An item of the test data (data.yaml): its link kind, id, title and page."""

    kind: str
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Data:
    """The suites' test data: the group every phone is in, the 1:1 friend, an item per link kind, and a product
    per cashier reached with no link (by its title: Hema's)."""

    group: str
    friend: str
    items: dict[str, Item]
    products: dict[str, str]


def share_item_and_tap_link(phone: Phone, item: Item, chat: str, *, group: bool) -> str:
    """Open ``item`` in Taobao, share it to WeChat, send it into ``chat`` (a group, with ``group``) and tap
    its link; returns the outcome shown.

    A group's floor is held from the post to the tap, so no other phone's post pushes ours off the
    screen in between. When the phone did not let the clipboard be read, the password is the message
    pasted, checked then ("" when the node tree hides that too).
    """
    password = share_item_to_wechat(phone, item)
    wechat = phone.wechat
    wechat.open_chat(chat, group=group)
    sent = wechat.paste()
    if not password and sent:
        check_password(sent, item, "the message pasted")
        password = sent
    with wechat.floor():
        wechat.send()
        return wechat.tap_link("taobao", host=link_host(password))


def share_item_to_wechat(phone: Phone, item: Item) -> str:
    """Open ``item`` in Taobao and share it to WeChat, which is left at its chat list; returns the password
    ("" when the phone did not let the clipboard be read)."""
    taobao, wechat = phone.taobao, phone.wechat
    taobao.reset()
    wechat.reset()
    taobao.open_item(item.id)
    taobao.expect_item(item.title)
    password = taobao.share_to_wechat()
    if password:
        check_password(password, item, "the clipboard")
    if taobao.go_paste_in_wechat() != "wechat/chat_list":
        wechat.back_to_chat_list()
    return password


def check_password(text: str, item: Item, where: str) -> None:
    """``text`` (from ``where``) is a Tao password naming ``item``; it is attached to the report.

    A generic title (or none) names no item: then the link tells it, once tapped."""
    parsed = parse(text)
    assert parsed is not None, f"{where} holds no Tao password: {text!r}"
    if parsed.item_title:
        assert parsed.item_title == item.title, f"the Tao password names {parsed.item_title!r}, not {item.title!r}"
    allure.attach(text, name="Tao password", attachment_type=allure.attachment_type.TEXT)


def link_host(password: str) -> str:
    """The host of a Tao password's link (m.tb.cn or e.tb.cn); any Tao link's when the password could not
    be read (the node tree hid the message sent). Fails when the password has no link to tap."""
    if not password:
        return "tb.cn"
    parsed = parse(password)
    assert parsed is not None and parsed.url, f"the Tao password has no link to tap: {password!r}"
    return urlsplit(parsed.url).hostname or ""


def buy_from_link(phone: Phone, item: Item, expected: str, outcome: str) -> None:
    """After the link was tapped: it opened as expected, lands on ``item`` and reaches the order."""
    allure.dynamic.parameter("expected outcome", expected, excluded=True)  # they change with the result: not
    allure.dynamic.parameter("observed outcome", outcome, excluded=True)  # part of the test's identity
    assert outcome == expected, f"the link opened {outcome!r}; expected {expected!r}"
    taobao, wechat = phone.taobao, phone.wechat
    if outcome == "interstitial":
        wechat.continue_past_interstitial("taobao")
    wechat.open_in_app("taobao")
    taobao.expect_item(item.title)
    taobao.buy_now()
    taobao.expect_item(item.title, on_order=True)
