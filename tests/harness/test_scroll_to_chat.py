"""open_chat on the embedded farm when the chat's row is out of view: more chats than an iPhone 8 (node tree)
or a small Android phone whose WeChat hides its tree (8.0.61: OCR) shows at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pools import close_farm, open_on_farm

from shareflow.apps.base import ElementNotShown
from shareflow.apps.wechat import WeChat
from shareflow.phone import Phone

QUIET = {"seed": 3, "noise": {"transition_ms": [0, 0], "promo_popup": 0.0, "notification_banner": 0.0}}
# The first two phones' chats with each other are the oldest of each: the bottom rows of their chat lists,
# below the screen's bottom once seven friends (phones of the pool that are never opened) add their rows.
PHONES = """\
  - name: small-iphone
    platform: ios
    os_version: "15.8"
    profile: iphone-8
    endpoint: embedded
    wechat: {account: wxid_tiantian, nickname: 甜甜}
  - name: no-tree
    platform: android
    os_version: "15"
    profile: android-hd
    endpoint: embedded
    wechat: {account: wxid_xiaolin, nickname: 小林}
    apps: {wechat: "8.0.61", taobao: "10.40.0"}
"""
FRIEND = """\
  - name: friend-{i}
    platform: android
    os_version: "12"
    profile: android-hd
    endpoint: embedded
    wechat: {{account: wxid_friend{i}, nickname: 朋友{i}}}
"""
OTHER = {"small-iphone": "小林", "no-tree": "甜甜"}


@pytest.fixture(scope="module")
def phones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Phone]]:
    pool = "devices:\n" + PHONES + "".join(FRIEND.format(i=i) for i in range(7))
    farm, opened = open_on_farm(tmp_path_factory.mktemp("scroll"), pool, QUIET, only=OTHER)
    try:
        yield opened
    finally:
        close_farm(farm, opened)


@pytest.mark.parametrize("name", ["small-iphone", "no-tree"])
def test_a_chat_out_of_view_is_scrolled_to_both_ways_and_one_in_no_row_fails_naming_it(
    phones: dict[str, Phone], name: str
) -> None:
    wechat = WeChat(phones[name])
    wechat.open()
    wechat.open_chat(OTHER[name])  # the bottom row, below the screen's bottom
    wechat.back_to_chat_list()  # the list is kept where it was: the top row is out of view now
    wechat.open_chat("购物分享群")
    wechat.back_to_chat_list()
    with pytest.raises(ElementNotShown, match=r"no element 'chat_row' \(name='无此人'\) .*in the list 'chat_list'"):
        wechat.open_chat("无此人")
