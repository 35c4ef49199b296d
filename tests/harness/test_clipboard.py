"""The harness's clipboard (shareflow.clipboard): through WebDriverAgent's runner on iPhones, and the password
read from the message sent when an iPhone does not let the clipboard be read.

Real iPhones give WebDriverAgent the clipboard only with its runner app in front (appium-xcuitest-driver
guide "Get/Set Clipboard"); the embedded farm's iPhones, real devices by default, hold to that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pools import APPLE, DROID, close_farm, open_on_farm, pool

from shareflow import clipboard, launcher
from shareflow.apps.taobao import Taobao
from shareflow.apps.wechat import WeChat
from shareflow.phone import IN_FRONT, Phone
from shareflow.taopassword import parse
from shareflow_sim.scenario import NOISELESS

ITEM = "652419876401"
TITLE = "2021冬季新款加厚羽绒服男士短款连帽外套"
GROUP = "购物分享群"
QUIET = {"noise": NOISELESS}
MISSING_RUNNER = "    wda_bundle_id: com.example.NotInstalled.xctrunner\n"


@pytest.fixture
def phones(tmp_path: Path) -> Iterator[Callable[..., dict[str, Phone]]]:
    """Starts a quiet farm of DROID and APPLE (``apple_extra`` added to APPLE's entry); opens both phones."""
    started: list[tuple[launcher.EmbeddedFarm, dict[str, Phone]]] = []

    def start(apple_extra: str = "") -> dict[str, Phone]:
        started.append(open_on_farm(tmp_path, pool(DROID, APPLE + apple_extra), QUIET))
        return started[-1][1]

    yield start
    for farm, opened in started:
        close_farm(farm, opened)


def in_front(phone: Phone, bundle_id: str) -> bool:
    return phone.driver.execute_script("mobile: queryAppState", {"bundleId": bundle_id}) == IN_FRONT


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_write_then_read_with_the_app_in_front_brought_back(
    phones: Callable[..., dict[str, Phone]], platform: str
) -> None:
    phone = phones()[platform]
    Taobao(phone).open_item(ITEM)
    clipboard.write(phone, "【淘宝】复制这段话 ￥AbCdEfGhIjK￥")
    assert phone.driver.get_clipboard_text() in (
        "",
        "【淘宝】复制这段话 ￥AbCdEfGhIjK￥",
    )  # iOS: "" with Taobao in front
    assert clipboard.read(phone) == "【淘宝】复制这段话 ￥AbCdEfGhIjK￥"
    package = Taobao(phone).package
    state = phone.driver.execute_script("mobile: queryAppState", {"appId": package, "bundleId": package})
    assert state == IN_FRONT  # Taobao is back in front


def test_an_iphone_whose_runner_cannot_come_up_reads_nothing_and_writes_nothing(
    phones: Callable[..., dict[str, Phone]],
) -> None:
    phone = phones(MISSING_RUNNER)["ios"]
    assert clipboard.read(phone) is None
    with pytest.raises(clipboard.ClipboardUnavailable, match=r"com\.example\.NotInstalled\.xctrunner .*wda_bundle_id"):
        clipboard.write(phone, "anything")
    [note] = [path for path in phone.evidence.files if "unreadable" in path.name]  # the reason, in the evidence
    assert "is not installed" in note.read_text(encoding="utf-8")


def test_unreadable_clipboard_password_is_read_from_the_message_sent(phones: Callable[..., dict[str, Phone]]) -> None:
    phone = phones(MISSING_RUNNER)["ios"]
    taobao, wechat = Taobao(phone), WeChat(phone)
    taobao.open_item(ITEM)
    assert taobao.share_to_wechat() == ""  # 淘口令已复制, but the clipboard cannot be read: no failure
    if taobao.go_paste_in_wechat() != "wechat/chat_list":
        wechat.back_to_chat_list()
    wechat.open_chat(GROUP)
    sent = wechat.paste_and_send()  # WeChat's 粘贴 pastes the real clipboard
    password = parse(sent)
    assert password is not None and password.title == TITLE
