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
