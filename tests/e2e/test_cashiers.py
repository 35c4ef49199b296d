"""Which payment methods a cashier lists after 提交订单: the payment doors, cashier × payment method.

Each test buys its cashier's item up to the cashier (确认付款) — Taobao's and Tmall's in Taobao, Hema's in
Hema — and reads the payment methods it lists; it asserts its method is listed, or not, as the
expectations file's ``payment`` says (default: the late-2021 state, Alipay alone), and records what it saw
through ``record_payment_offer`` (an Allure parameter and a row of ``payment-offers.jsonl``, the matrix's
cashier table). A method listed against the expectation, or missing, fails with the recognised cashier as
proof. ``-m payment`` selects these tests.
"""

from __future__ import annotations

from collections.abc import Callable

import allure
import pytest
from flows import Data

from shareflow.apps.cashier import Cashier
from shareflow.apps.hema import Hema
from shareflow.links import PAYMENT_METHODS
from shareflow.phone import Phone


def _taobao(kind: str) -> Callable[[Phone, Data], Cashier]:
    """Taobao's walk to the cashier of an item of ``kind`` (a Tmall item's order goes to Tmall's cashier)."""

    def walk(phone: Phone, data: Data) -> Cashier:
        item, taobao = data.items[kind], phone.taobao
        taobao.reset()
        taobao.open_item(item.id)
        taobao.expect_item(item.title)
        taobao.buy_now()
        taobao.expect_item(item.title, on_order=True)
        taobao.submit_order()
        return taobao

    return walk


def _hema(phone: Phone, data: Data) -> Cashier:
    hema = Hema(phone)
    hema.open()
    hema.add_to_cart(data.products["hema"])
    hema.checkout()
    return hema


WALKS = {"taobao": _taobao("taobao"), "tmall": _taobao("tmall"), "hema": _hema}  # to each cashier
DOORS = [
    pytest.param(cashier, method, marks=pytest.mark.payment(cashier, method), id=f"{cashier}-{method}")
    for cashier in WALKS
    for method in PAYMENT_METHODS
]


@allure.epic("Payment")
@allure.feature("Cashier")
@allure.title("The {cashier} cashier on {phone_device} lists {method} as expected")
@allure.severity(allure.severity_level.CRITICAL)
@pytest.mark.parametrize(("cashier", "method"), DOORS)
def test_cashier_lists_payment_method(
    cashier, method, phone, data, expectations, pay_door, record_payment_offer
) -> None:
    expected = expectations.offers(pay_door)
    allure.dynamic.parameter("expected", "offered" if expected else "not_offered", excluded=True)
    app = WALKS[cashier](phone, data)
    listed = app.payment_methods()
    record_payment_offer(phone, expected, listed[method])
    app.expect_listed(method, expected, listed)
