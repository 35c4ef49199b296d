"""Alipay's cashier (确认付款), as an app's page object reads it: the payment methods it lists.

An app whose flow ends at the cashier (Taobao, Hema) mixes :class:`Cashier` into its page object, names its
cashier's screen state and has an element ``pay_<method>`` per payment method in its locator file.
"""

from __future__ import annotations

from shareflow.apps.base import PageObject
from shareflow.links import PAYMENT_METHODS, PaymentMethod


class Cashier(PageObject):
    """The cashier of an app: read its payment methods, and prove one listed or missing against expectation."""

    cashier = ""  # the screen state of the app's cashier, e.g. "taobao/cashier"

    def payment_methods(self) -> dict[PaymentMethod, bool]:
        """Which payment methods the cashier lists: each by its name (element ``pay_<method>``), in the node tree,
        else read on a fresh screenshot."""
        with self.phone.evidence.step(f"{self.phone.name}: the cashier's payment methods"):
            self.screen.expect(self.cashier, on_miss=self.dismiss_interruptions)
            self.screen.refresh()
            listed = {method: self._lists(f"pay_{method}") for method in PAYMENT_METHODS}
            if not any(listed.values()):
                self.check_tree("pay_alipay")  # an empty tree hides the list: the phone is not set up
            return listed

    def expect_listed(self, method: PaymentMethod, expected: bool, listed: dict[PaymentMethod, bool]) -> None:
        """``method`` is on the cashier's list when ``expected`` (and off it when not); else fail with proof: the
        cashier recognised, and the methods it lists drawn beside it."""
        if listed[method] == expected:
            return
        name = self._name(method)
        shown = [self._name(m) for m, on in listed.items() if on]
        message = f"the cashier lists {name}" if listed[method] else f"the cashier does not list {name}"
        note = ["the cashier lists:", *(shown or ["nothing known"]), f"expected {name}: {'yes' if expected else 'no'}"]
        match = self.screen.look(self.cashier).match
        self.screen.prove(self.cashier, match, f"{message}; expected {'it' if expected else 'not'}", note=note)

    def _name(self, method: PaymentMethod) -> str:
        """What the cashier calls ``method``: the words of its ``pay_<method>`` element."""
        return self.locator(f"pay_{method}").words or method

    def _lists(self, name: str) -> bool:
        locator = self.locator(name)
        if locator.selector is not None:
            return bool(self.driver.find_elements(*locator.selector))
        return locator.words is not None and self.screen.words(locator.words, whole=True) is not None
