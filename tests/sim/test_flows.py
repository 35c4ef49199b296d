"""Whole flows on the virtual farm, driven only through appium-python-client over HTTP:
the share flow by raw commands, every link outcome, two phones in one chat, the seeded
defects, and the flow once more with the default noise on."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flowkit import (
    BLOCKED,
    COPY_TO_BROWSER,
    GROUP_TITLE,
    INTERSTITIAL,
    ITEM_OF_KIND,
    ITEMS,
    PHONES,
    QUIET,
    SHOP_APP_BUTTON,
    TAOBAO_ITEM,
    Connect,
    Phone,
    on_farm,
    open_in_taobao,
    open_item_link,
    password_url,
    running_farm,
    sessions,
    share_item,
)

from shareflow.links import LINK_KINDS, OUTCOMES, SCENES
from shareflow_sim.world import Item

PLATFORMS = ("android", "ios")
OTHER = {"android": "ios", "ios": "android"}
OUTCOME_PAGE = {"interstitial": INTERSTITIAL, "blocked": BLOCKED, "copy_to_browser": COPY_TO_BROWSER}


@pytest.fixture(scope="module")
def quiet_url() -> Iterator[str]:
    """The module's quiet farm (no transitions, pop-ups or banners)."""
    with running_farm(QUIET) as url:
        yield url


@pytest.fixture
def connect(quiet_url: str) -> Iterator[Connect]:
    """Opens sessions on the quiet farm; they are quit after the test."""
    with sessions(quiet_url) as opener:
        yield opener


def nickname(platform: str) -> str:
    """The WeChat nickname of the farm's phone of ``platform`` (a 1:1 chat's title on the other)."""
    return PHONES[platform].wechat_nickname or ""


def buy_shared_item(phone: Phone, item: Item) -> None:
    """The whole share flow on one phone, asserting each screen, up to the order confirmation."""
    password = share_item(phone, item)
    phone.open_chat(GROUP_TITLE)
    phone.send()
    open_item_link(phone, password_url(password), item)
    open_in_taobao(phone, item)
    phone.tap(phone.text("立即购买"), phone.text("提交订单"))
    assert phone.shows(phone.text("确认订单"))
    assert phone.settle(phone.text(item.title)).text == item.title  # the order is for the shared item
    assert phone.find(phone.text("提交订单")).is_enabled()


# -- the share flow -------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_share_flow_by_raw_commands_reaches_the_order_of_the_shared_item(connect: Connect, platform: str) -> None:
    buy_shared_item(connect(platform, "taobao"), TAOBAO_ITEM)


def test_share_flow_copes_with_the_default_noise() -> None:
    with on_farm({}) as open_phone:
        phone = open_phone("ios", "taobao")
        buy_shared_item(phone, TAOBAO_ITEM)
        log = "\n".join(entry["message"] for entry in phone.driver.get_log("syslog"))  # the session's log
    # the default seed's run meets both, and the flow above coped with them
    assert "PopLayer: show promotion" in log and re.search(r"NotificationService\[\d+\] <\w+>: post ", log)


# -- link outcomes ---------------------------------------------------------------------------------
def outcome_cases() -> Iterator[object]:
    """Half of scene × kind × outcome: every outcome in both scenes, with every kind and on both platforms."""
    for i, outcome in enumerate(OUTCOMES):
        for j, kind in enumerate(LINK_KINDS):
            scene, platform = SCENES[(i + j) % 2], PLATFORMS[(i + j // 2) % 2]
            yield pytest.param(scene, kind, outcome, platform, id=f"{scene}-{kind}-{outcome}-{platform}")


@pytest.mark.parametrize(("scene", "kind", "outcome", "platform"), list(outcome_cases()))
def test_tapping_a_link_shows_the_page_of_its_outcome(scene: str, kind: str, outcome: str, platform: str) -> None:
    """The phone sends an item link into a chat of ``scene`` and taps it: the policy's page shows."""
    item = ITEM_OF_KIND[kind]
    with on_farm({**QUIET, "link_policy": {"wechat": {scene: {kind: outcome}}}}) as open_phone:
        phone = open_phone(platform, "wechat")
        phone.open_chat(GROUP_TITLE if scene == "group" else nickname(OTHER[platform]))
        phone.send(item.url)
        if outcome == "direct":
            open_item_link(phone, item.url, item)
            return
        page = OUTCOME_PAGE[outcome]
        phone.tap(phone.link(item.url), phone.text(page))
        for shown in (item.title, SHOP_APP_BUTTON[kind], *(p for p in OUTCOME_PAGE.values() if p != page)):
            assert not phone.shows(phone.text(shown)), shown
        if outcome == "interstitial":
            assert phone.shows(phone.text(item.url))
            phone.tap(phone.text("继续访问"), phone.text(SHOP_APP_BUTTON[kind]))
            assert phone.find(phone.text(item.title)).text == item.title
        elif outcome == "blocked":
            assert phone.shows(phone.text("申请恢复访问"))
        else:
            phone.long_press(phone.text(item.url), phone.toast("已复制"))
            assert phone.clipboard() == item.url


# -- two phones ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sharer", "member"), [("android", "ios"), ("ios", "android")])
def test_a_group_member_on_another_phone_opens_the_shared_item(connect: Connect, sharer: str, member: str) -> None:
    """The sharer's message reaches the member's open group chat; its link opens the same item."""
    item = ITEMS["652419876402"]
    a, b = connect(sharer, "taobao"), connect(member, "wechat")
    b.open_chat(GROUP_TITLE)
    password = share_item(a, item)
    a.open_chat(GROUP_TITLE)
    a.send()
    url = password_url(password)
    b.find(b.link(url))  # the message arrives in b's open group chat
    open_item_link(b, url, item)
    open_in_taobao(b, item)


def test_one_to_one_chat_between_two_phones(connect: Connect) -> None:
    item = ITEMS["652419876403"]
    a, b = connect("ios", "taobao"), connect("android", "wechat")
    b.open_chat(nickname("ios"))
    password = share_item(a, item)
    a.open_chat(nickname("android"))
    a.send()
    url = password_url(password)
    b.find(b.link(url))
    open_item_link(b, url, item)
    open_in_taobao(b, item)


# -- seeded defects ----------------------------------------------------------------------------------
def test_defect_share_panel_without_wechat() -> None:
    with on_farm({**QUIET, "defects": ["share_panel_without_wechat"]}) as open_phone:
        phone = open_phone("android", "taobao")
        phone.skip_splash()
        phone.tap(phone.text(TAOBAO_ITEM.title), phone.text("立即购买"))
        phone.tap(phone.desc("分享"), phone.text("朋友圈"))
        assert phone.shows(phone.text("复制链接")) and not phone.shows(phone.text("微信"))


def test_defect_group_message_lost() -> None:
    with on_farm({**QUIET, "defects": ["group_message_lost"]}) as open_phone:
        a, b = open_phone("ios", "wechat"), open_phone("android", "wechat")
        b.open_chat(GROUP_TITLE)
        a.open_chat(GROUP_TITLE)
        a.send("今晚拼单吗？")
        assert a.shows(a.text("今晚拼单吗？"))
        a.back(a.chat_list)
        a.open_chat(nickname("android"))
        a.send("群里看到了吗？")
        b.find(b.desc(f"微信，{nickname('ios')}，群里看到了吗？"))  # the later 1:1 message arrived (a banner) ...
        assert not b.shows(b.text("今晚拼单吗？"))  # ... the group one, in b's open group chat, never will


def test_defect_password_not_copied() -> None:
    with on_farm({**QUIET, "defects": ["password_not_copied"]}) as open_phone:
        phone = open_phone("ios", "taobao")
        phone.skip_splash()
        phone.tap(phone.text(TAOBAO_ITEM.title), phone.text("立即购买"))
        phone.tap(phone.desc("分享"), phone.text("朋友圈"))
        phone.tap(phone.text("微信"), phone.text("去微信粘贴"))
        assert phone.shows(phone.text("淘口令已复制")) and phone.clipboard() == ""


def test_defect_h5_wrong_item() -> None:
    item = ITEM_OF_KIND["taobao"]
    with on_farm({**QUIET, "defects": ["h5_wrong_item"]}) as open_phone:
        phone = open_phone("android", "wechat")
        phone.open_chat(GROUP_TITLE)
        phone.send(item.url)
        phone.tap(phone.link(item.url), phone.text("打开淘宝App"))
        assert not phone.shows(phone.text(item.title))
        assert any(phone.shows(phone.text(other.title)) for other in ITEMS.values() if other.shop == item.shop)


def test_defect_submit_order_disabled() -> None:
    with on_farm({**QUIET, "defects": ["submit_order_disabled"]}) as open_phone:
        phone = open_phone("ios", "taobao")
        phone.skip_splash()
        phone.tap(phone.text(TAOBAO_ITEM.title), phone.text("立即购买"))
        submit = phone.tap(phone.text("立即购买"), phone.text("提交订单"))
        assert not submit.is_enabled()
        submit.click()
        assert phone.shows(phone.text("确认订单")) and not phone.shows(phone.text("确认付款"))
