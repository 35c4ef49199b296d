"""Taobao page object: item page, share to WeChat, order confirmation, clipboard card."""

from __future__ import annotations

from shareflow.apps.base import FIND_TIMEOUT_S, ElementNotShown, PageObject
from shareflow.apps.wechat import WECHAT_STATES
from shareflow.screen import StateNotReached


class Taobao(PageObject):
    """Taobao on one phone."""

    app = "taobao"

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
        """分享 → 微信: the Tao password lands on the clipboard; returns it."""
        with self.phone.evidence.step(f"{self.phone.name}: share the item to WeChat"):
            self.tap("share_button", proof="taobao/share_panel")
            self.tap("share_to_wechat", proof="taobao/password_copied")
            return self.driver.get_clipboard_text()

    def go_paste_in_wechat(self) -> str:
        """去微信粘贴: WeChat comes up where it was; returns the state it shows."""
        with self.phone.evidence.step(f"{self.phone.name}: 去微信粘贴 opens WeChat"):
            return self.tap("go_paste", proof=WECHAT_STATES)

    def buy_now(self) -> None:
        """立即购买 → the order confirmation (确认订单 with 提交订单)."""
        with self.phone.evidence.step(f"{self.phone.name}: 立即购买 → order confirmation"):
            self.tap("buy_now", proof="taobao/order_confirm")

    def open_from_clipboard(self, allow_paste: bool = True) -> None:
        """Bring Taobao up with a password on the clipboard: answer the iOS paste alert, open the card."""
        with self.phone.evidence.step(f"{self.phone.name}: Taobao reads the clipboard"):
            self.driver.execute_script(
                "mobile: activateApp", {"appId" if self.platform == "android" else "bundleId": self.package}
            )
            states = ["taobao/clipboard_card"] + (["system/paste_alert"] if self.platform == "ios" else [])
            state, _ = self.screen.expect_any(states, FIND_TIMEOUT_S, self.dismiss_interruptions)
            if state == "system/paste_alert":
                self.answer_paste_alert(allow_paste)
                if not allow_paste:
                    return
                self.screen.expect("taobao/clipboard_card", on_miss=self.dismiss_interruptions)
            self.tap("card_open", proof="taobao/item")

    def answer_paste_alert(self, allow: bool) -> None:
        """「“淘宝”想要粘贴来自“微信”的内容」: 允许粘贴 or 不允许粘贴."""
        label = "允许粘贴" if allow else "不允许粘贴"
        buttons = self.driver.execute_script("mobile: alert", {"action": "getButtons"})
        if label not in buttons:
            raise ElementNotShown(f"the paste alert offers {buttons}, not {label!r}")
        self.driver.execute_script("mobile: alert", {"action": "accept", "buttonLabel": label})
        try:
            self.screen.expect_not("system/paste_alert", timeout=5)
        except StateNotReached as exc:
            raise ElementNotShown(f"the paste alert stayed after {label}") from exc
