"""The reporter's test of November 2021: share a Taobao item into WeChat, tap the link, buy."""

from __future__ import annotations

import allure
import pytest
from flows import buy_from_link, share_item_and_tap_link

pytestmark = pytest.mark.wechat  # the carrier of every test here


@allure.epic("Share flows")
@allure.feature("WeChat group")
@allure.story("Share a Taobao item into a group, open the link, reach the order")
@allure.title("The reporter's test on {phone_device}: a Taobao item shared into a group opens and reaches the order")
@allure.severity(allure.severity_level.BLOCKER)
@pytest.mark.group
@pytest.mark.link("taobao")
def test_group_share_link_opens_item_and_reaches_order(phone, item, data, expectations, door) -> None:
    outcome = share_item_and_tap_link(phone, item, data.group, group=True)
    buy_from_link(phone, item, expectations.of(door), outcome)


@allure.epic("Share flows")
@allure.feature("WeChat 1:1 chat")
@allure.story("Share a Taobao item into a 1:1 chat, open the link, reach the order")
@allure.title("On {phone_device}: a Taobao item shared into a 1:1 chat opens and reaches the order")
@allure.severity(allure.severity_level.CRITICAL)
@pytest.mark.p2p
@pytest.mark.link("taobao")
def test_p2p_share_link_opens_item_and_reaches_order(phone, item, data, expectations, door) -> None:
    outcome = share_item_and_tap_link(phone, item, data.friend, group=False)
    buy_from_link(phone, item, expectations.of(door), outcome)
