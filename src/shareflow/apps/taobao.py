"""Taobao page object: item page, share to WeChat, order confirmation, the cashier's payment methods, clipboard card."""

from __future__ import annotations

from selenium.common.exceptions import NoAlertPresentException

from shareflow import clipboard
from shareflow.apps.base import FIND_TIMEOUT_S, ElementNotShown
from shareflow.apps.cashier import Cashier
from shareflow.apps.wechat import WECHAT_STATES
from shareflow.screen import StateNotReached, screen_texts
from shareflow.taopassword import parse

ORDER_DISABLED = "taobao/order_submit_disabled"  # a known wrong state: 提交订单 greyed out
NOTED_TEXTS = 12  # texts of a wrong page drawn beside it


class Taobao(Cashier):
    """Taobao on one phone."""

    app = "taobao"
    cashier = "taobao/cashier"

    def open_item(self, item_id: str) -> None:
        """Open an item page by Taobao's deep link."""
        key = "package" if self.platform == "android" else "bundleId"
        url = self.locators.data["deep_link"].format(item_id=item_id)
        with self.phone.evidence.step(f"{self.phone.name}: open Taobao item {item_id}"):
            self.driver.execute_script("mobile: deepLink", {"url": url, key: self.package})
            self.screen.expect("taobao/item", on_miss=self.dismiss_interruptions)
            self.dismiss_interruptions()

    def shows_title(self, title: str, on_order: bool = False) -> bool:
        """Whether the page shows exactly this item title."""
        name = "order_item_title" if on_order else "item_title"
        return self.element(name, timeout=5, title=title) is not None

    def share_to_wechat(self) -> str:
        """分享 → 微信: the Tao password lands on the clipboard; returns it, or "" when the phone does not let
        the clipboard be read (then WeChat's 粘贴 still pastes it, and the message sent tells it).

        Fails with proof when the share panel shows no 微信 target, or when 淘口令已复制 shows but the
        clipboard, read, holds no Tao password (the clipboard's content is drawn beside the dialog).
        """
        with self.phone.evidence.step(f"{self.phone.name}: share the item to WeChat"):
            self.tap("share_button", proof="taobao/share_panel")
            try:
                self.tap("share_to_wechat", proof="taobao/password_copied")
            except ElementNotShown:
                self.screen.prove_absent(
                    "taobao/share_wechat", on="taobao/share_panel", message="Taobao's share panel offers no 微信 target"
                )
                raise
            copied = self.screen.look("taobao/password_copied").match
            text = clipboard.read(self.phone)
            if text is None:
                return ""
            if parse(text) is None:
                shown = repr(text) if text else "nothing (it is empty)"
                self.screen.prove(
                    "taobao/password_copied",
                    copied,
                    f"淘口令已复制 shows, but the clipboard holds {shown}: no Tao password was copied",
                    note=["the dialog says: 淘口令已复制", "the clipboard holds:", shown],
                )
            return text

    def go_paste_in_wechat(self) -> str:
        """去微信粘贴: WeChat comes up where it was; returns the state it shows."""
        with self.phone.evidence.step(f"{self.phone.name}: 去微信粘贴 opens WeChat"):
            return self.tap("go_paste", proof=WECHAT_STATES)

    def buy_now(self) -> None:
        """立即购买 → the order confirmation (确认订单 with 提交订单); fails with proof when 提交订单 is disabled."""
        with self.phone.evidence.step(f"{self.phone.name}: 立即购买 → order confirmation"):
            state = self.tap("buy_now", proof=["taobao/order_confirm", ORDER_DISABLED])
            if state == ORDER_DISABLED:
                self.screen.prove(
                    state,
                    self.screen.look(state).match,
                    "the order confirmation's 提交订单 is disabled: the order cannot be submitted",
                )

    def submit_order(self) -> None:
        """提交订单 on the order confirmation → the cashier (确认付款)."""
        with self.phone.evidence.step(f"{self.phone.name}: 提交订单 → the cashier"):
            self.tap("submit_order", proof="taobao/cashier")

    def expect_item(self, title: str, on_order: bool = False) -> None:
        """The item page (with ``on_order``, the order confirmation) shows exactly ``title``; else fail with
        proof: the page recognised, and the texts it does show (a page not recognised is no product's fault)."""
        if self.shows_title(title, on_order):
            return
        state = "taobao/order_confirm" if on_order else "taobao/item"
        page = self.screen.expect(state, on_miss=self.dismiss_interruptions)
        texts = screen_texts(self.driver.page_source, self.platform)
        note = [f"expected: {title}", "this page shows:", *texts[:NOTED_TEXTS]]
        where = "the order confirmation is not for" if on_order else "the item page is not"
        self.screen.prove(state, page, f"{where} {title!r}", note=note)

    def open_from_clipboard(self, allow_paste: bool = True) -> None:
        """Bring Taobao up with a password on the clipboard: answer the iOS paste alert, open the card."""
        with self.phone.evidence.step(f"{self.phone.name}: Taobao reads the clipboard"):
            self.driver.execute_script("mobile: activateApp", self.locators.app_id(self.platform))
            states = ["taobao/clipboard_card"] + (["system/paste_alert"] if self.platform == "ios" else [])
            state, _ = self.screen.expect_any(states, FIND_TIMEOUT_S, self.dismiss_interruptions)
            if state == "system/paste_alert":
                self.answer_paste_alert(allow_paste)
                if not allow_paste:
                    return
                self.screen.expect("taobao/clipboard_card", on_miss=self.dismiss_interruptions)
            self.tap("card_open", proof="taobao/item")

    def answer_paste_alert(self, allow: bool) -> None:
        """「“淘宝”想要粘贴来自“微信”的内容」: 允许粘贴 or 不允许粘贴.

        Through WebDriverAgent's alert commands while they see the alert; from iOS 17 they do not
        (appium/appium#19814, #19908), and the alert is in no page source: then its button is tapped
        where the screenshot shows its words.
        """
        label = "允许粘贴" if allow else "不允许粘贴"
        try:
            buttons = self.driver.execute_script("mobile: alert", {"action": "getButtons"})
        except NoAlertPresentException:
            self.screen.screenshot()
            button = self.screen.words(label, whole=True)
            if button is None:
                raise self.not_shown(f"the paste alert shows no {label!r} (read on the screenshot)") from None
            self.screen.tap(button)
        else:
            if label not in buttons:
                raise self.not_shown(f"the paste alert offers {buttons}, not {label!r}")
            self.driver.execute_script("mobile: alert", {"action": "accept", "buttonLabel": label})
        try:
            self.screen.expect_not("system/paste_alert", timeout=5)
        except StateNotReached as exc:
            raise self.not_shown(f"the paste alert stayed after {label}") from exc
