"""Alipay's cashier (确认付款) as Alibaba's apps show it over an order, and the payment methods it lists.

Taobao runs it in com.alipay.android.msp.ui.views.MspContainerActivity (AIsouler/GKD_subscription's
com.taobao.taobao rules); Hema's flow ends at its 确认付款 too (wangwenxi-handsome/hema_AutoJS, 2022). Which
methods a cashier lists is the scenario's ``payment``: 支付宝, and 微信支付 where it is given (from 2024-09-12 at
Taobao's, "微信支付" chosen on the payment page after buying, per the reports of the day). How the list looks
was not found: a row per method under 付款方式, the first chosen, is this farm's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shareflow.links import Cashier
from shareflow_sim import widgets as w
from shareflow_sim.ui import Action, Node, Rect, Style
from shareflow_sim.widgets import Kit

if TYPE_CHECKING:
    from shareflow_sim.phone import Phone

ALIPAY_BLUE = "#1677FF"
# what the cashier calls each payment method, its mark's colour and letter
PAYMENT_METHODS = {"alipay": ("支付宝", ALIPAY_BLUE, "支"), "wechat_pay": ("微信支付", "#07C160", "微")}
ROW_H = 52.0


def sheet(
    kit: Kit, key: str, phone: Phone, cashier: Cashier, amount: float, order: str, pay: Action, close: Action
) -> Node:
    """The cashier's sheet, with its scrim: ×, 确认付款, the amount, 订单信息 (``order``), 付款方式 with a row per
    method ``cashier`` lists, and 立即付款 (``pay``)."""
    top = max(kit.h * 0.4, kit.h - 440)
    children = [
        kit.icon_button(Rect(6, top + 6, 44, 44), "close", "关闭", close, key=f"{key}.close", fg="#333333"),
        kit.text(
            Rect(60, top + 6, kit.w - 120, 44), "确认付款", key=f"{key}.title", size=17, bold=True, align="center"
        ),
        kit.text(
            Rect(0, top + 100, kit.w, 56), f"¥{amount:.2f}", key=f"{key}.amount", size=36, bold=True, align="center"
        ),
        kit.divider(16, top + 176, kit.w - 32),
        kit.text(Rect(16, top + 176, 90, ROW_H), "订单信息", size=15, fg="#999999"),
        kit.text(Rect(106, top + 176, kit.w - 122, ROW_H), order, size=15, align="right"),
        *_methods(kit, key, phone, cashier, top + 176 + ROW_H),
        kit.button(
            Rect(16, kit.bottom - 64, kit.w - 32, 48),
            "立即付款",
            pay,
            key=f"{key}.confirm",
            bg=ALIPAY_BLUE,
            fg="#FFFFFF",
            size=17,
            radius=8,
            bold=True,
        ),
    ]
    panel = kit.node(
        "view",
        Rect(0, top, kit.w, kit.h - top),
        f"{key}.sheet",
        style=Style(bg="#FFFFFF", radius=12),
        children=children,
        on_tap=w.ignore,
    )
    return kit.overlay(f"{key}.scrim", [panel])


def _methods(kit: Kit, key: str, phone: Phone, cashier: Cashier, y: float) -> list[Node]:
    """付款方式: a row per method the scenario gives ``cashier``, each with its mark, its name and a round check
    box (the first one chosen)."""
    methods = phone.scenario.methods(cashier)
    phone.log("Cashier", f"{cashier} lists {', '.join(methods)}")
    nodes = [kit.divider(16, y, kit.w - 32), kit.text(Rect(16, y, 90, ROW_H), "付款方式", size=15, fg="#999999")]
    for i, method in enumerate(methods):
        name, colour, mark = PAYMENT_METHODS[method]
        row = y + i * ROW_H
        nodes += [
            kit.image(Rect(kit.w - 190, row + 15, 22, 22), f"appicon:{colour}:{mark}"),
            kit.text(Rect(kit.w - 160, row, 110, ROW_H), name, key=f"{key}.method.{method}", size=15),
            kit.image(
                Rect(kit.w - 40, row + 16, 20, 20),
                "check" if i == 0 else "",
                fg="#FFFFFF",
                bg=ALIPAY_BLUE if i == 0 else "#DDDDDD",
                radius=10,
            ),
        ]
    return nodes
