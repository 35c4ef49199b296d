"""What tapping a shop link in WeChat shows, per door: scene × link kind (Taobao, Tmall, JD, Pinduoduo, Douyin).

Each test sends a link of one kind into a chat of one scene and taps it; it
asserts the outcome the expectations file names for its door (default: the
late-2021 policy) and records what was observed — direct, interstitial,
blocked or copy_to_browser — through the ``record_link_outcome`` fixture (an
Allure parameter and a row of ``link-outcomes.jsonl``, the matrix's input).
``-m douyin`` (or any link kind's name) selects one kind's tests.
"""

from __future__ import annotations

import allure
import pytest

from shareflow import clipboard
from shareflow.links import HOSTS, LINK_KINDS

pytestmark = pytest.mark.wechat  # the carrier of every test here
KINDS = [pytest.param(kind, marks=pytest.mark.link(kind), id=kind) for kind in LINK_KINDS]


def _check(phone, item, expected: str, record_link_outcome, scene: str, chat: str) -> None:
    allure.dynamic.parameter("expected outcome", expected, excluded=True)  # changes with the result: not part
    kind, wechat = item.kind, phone.wechat
    wechat.open()
    wechat.open_chat(chat, group=scene == "group")
    clipboard.write(phone, item.url)
    wechat.paste()
    with wechat.floor():  # in a group, no other phone's post pushes ours off the screen before it is tapped
        wechat.send(proof=f"wechat/my_{kind}_url")
        observed = wechat.tap_link(kind, host=HOSTS[kind], shown_as=f"wechat/my_{kind}_url")
    record_link_outcome(phone, expected, observed)
    assert observed == expected, f"a {kind} link in a {scene} chat opened {observed!r}; expected {expected!r}"


@allure.epic("Link outcomes")
@allure.feature("WeChat group")
@allure.title("A {kind} link in a group chat on {phone_device} opens as expected")
@allure.severity(allure.severity_level.CRITICAL)
@pytest.mark.group
@pytest.mark.parametrize("kind", KINDS)
def test_group_link_outcome(kind, phone, item, data, expectations, door, record_link_outcome) -> None:
    _check(phone, item, expectations.of(door), record_link_outcome, door.scene, data.group)


@allure.epic("Link outcomes")
@allure.feature("WeChat 1:1 chat")
@allure.title("A {kind} link in a 1:1 chat on {phone_device} opens as expected")
@allure.severity(allure.severity_level.CRITICAL)
@pytest.mark.p2p
@pytest.mark.parametrize("kind", KINDS)
def test_p2p_link_outcome(kind, phone, item, data, expectations, door, record_link_outcome) -> None:
    _check(phone, item, expectations.of(door), record_link_outcome, door.scene, data.friend)
