"""Which payment methods a cashier lists after 提交订单: the payment doors, cashier × payment method.

Each test buys its cashier's item in Taobao up to the cashier (确认付款) and reads the payment methods it
lists; it asserts its method is listed, or not, as the expectations file's ``payment`` says (default: the
late-2021 state, Alipay alone), and records what it saw through ``record_payment_offer`` (an Allure
parameter and a row of ``payment-offers.jsonl``, the matrix's cashier table). A method listed against the
expectation, or missing, fails with the recognised cashier as proof. ``-m payment`` selects these tests.
"""

from __future__ import annotations

import allure
import pytest

from shareflow.links import PAYMENT_METHODS

CASHIER_ITEMS = {"taobao": "taobao", "tmall": "tmall"}  # the cashiers Taobao reaches, by the item bought there
DOORS = [
    pytest.param(cashier, method, marks=pytest.mark.payment(cashier, method), id=f"{cashier}-{method}")
    for cashier in CASHIER_ITEMS
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
    item = data.items[CASHIER_ITEMS[cashier]]
    expected = expectations.offers(pay_door)
    allure.dynamic.parameter("expected", "offered" if expected else "not_offered", excluded=True)
    taobao = phone.taobao
    taobao.reset()
    taobao.open_item(item.id)
    taobao.expect_item(item.title)
    taobao.buy_now()
    taobao.expect_item(item.title, on_order=True)
    taobao.submit_order()
    listed = taobao.payment_methods()
    record_payment_offer(phone, expected, listed[method])
    taobao.expect_listed(method, expected, listed)
