"""Hema page object: a product from the home page into the cart, the cart's 结算, 提交订单, the cashier."""

from __future__ import annotations

from shareflow.apps.cashier import Cashier
from shareflow.screen import DEFAULT_TIMEOUT_S


class Hema(Cashier):
    """Hema on one phone."""

    app = "hema"
    cashier = "hema/cashier"

    def open(self) -> None:
        """Start Hema afresh: it comes up at its home page."""
        with self.phone.evidence.step(f"{self.phone.name}: open Hema"):
            self.reset()
            self.driver.execute_script("mobile: activateApp", self.locators.app_id(self.platform))
            self.screen.expect("hema/home", DEFAULT_TIMEOUT_S, self.dismiss_interruptions)

    def add_to_cart(self, title: str) -> None:
        """The product ``title`` from the home page, 加入购物车, then the cart: it holds the product."""
        with self.phone.evidence.step(f"{self.phone.name}: {title} into the cart"):
            self.tap("product", proof="hema/item", title=title)
            self.tap("add_to_cart", proof="hema/item")
            self.tap("cart", proof="hema/cart")
            if self.element("product", title=title) is None:
                raise self.not_shown(f"hema: the cart does not show {title!r} after 加入购物车")

    def checkout(self) -> None:
        """结算 in the cart → the order (确认订单), 提交订单 → the cashier."""
        with self.phone.evidence.step(f"{self.phone.name}: 结算 → 提交订单 → the cashier"):
            self.tap("charge", proof="hema/order_confirm")
            self.tap("submit_order", proof=self.cashier)
