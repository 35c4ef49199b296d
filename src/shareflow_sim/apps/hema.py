"""Hema (盒马): its products, a product's page, the cart, the order and Alipay's cashier.

What is known of the real app: the 购物车 tab, 结算 in the cart (id ``button_cart_charge``), 提交订单 on the
order page and Alipay's 确认付款 after it (wangwenxi-handsome/hema_AutoJS, a 2022 script); its launch
activity ``com.wudaokou.hippo.launcher.splash.SplashActivity`` (gkd-kit/subscription). Its iOS bundle id was
not found: the Android package stands in for it. Its products, its look and the other activities are this
farm's own, kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shareflow_sim import widgets as w
from shareflow_sim.apps import cashier
from shareflow_sim.apps.base import App, Screen
from shareflow_sim.ui import Layer, Node, Rect, Style
from shareflow_sim.widgets import Kit, Tab

if TYPE_CHECKING:
    from shareflow_sim.phone import Phone

PACKAGE = "com.wudaokou.hippo"
BLUE = "#2A8CF3"
PAGE_BG = "#F5F5F5"
ROW_H = 96.0
# screen kind -> (Android activity, iOS view controller); only the launch activity is known
ACTIVITIES = {
    "home": ("com.wudaokou.hippo.launcher.splash.SplashActivity", "HMHomeViewController"),
    "item": ("com.wudaokou.hippo.detail.DetailActivity", "HMDetailViewController"),
    "cart": ("com.wudaokou.hippo.cart.CartActivity", "HMCartViewController"),
    "order": ("com.wudaokou.hippo.trade.OrderConfirmActivity", "HMOrderConfirmViewController"),
    "pay": ("com.alipay.android.msp.ui.views.MspContainerActivity", "APMCashierViewController"),
    "paid": ("com.wudaokou.hippo.trade.PayResultActivity", "HMPayResultViewController"),
}


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    price: float
    color: str  # the photo's colour


PRODUCTS = (
    Product("hm-100101", "盒马 澳洲谷饲牛腱子 500g", 59.9, "#8B3A3A"),
    Product("hm-100102", "盒马 日日鲜鲜牛奶 950ml", 11.9, "#E8E8E8"),
    Product("hm-100103", "泰国金枕头榴莲 整果 约2.5kg", 169.0, "#D4B04C"),
)


class HemaApp(App):
    """Hema on one phone: a cart it keeps, and orders paid at Hema's cashier."""

    package = PACKAGE
    bundle_id = PACKAGE
    label = "盒马"
    launch_activity = ACTIVITIES["home"][0]
    icon_color = BLUE

    def __init__(self, phone: Phone, version: str) -> None:
        super().__init__(phone, version)
        self.kit = Kit(phone.profile, PACKAGE, look=phone.look(PACKAGE, version))
        self.cart: dict[str, int] = {}  # product id -> quantity
        self.products = {product.id: product for product in PRODUCTS}

    def launch(self) -> None:
        self.stack.clear()
        self.push("home")

    @property
    def activity(self) -> str:
        if not self.stack:
            return self.launch_activity
        android, ios = ACTIVITIES[self.top.kind]
        return ios if self.kit.ios else android

    def _total(self) -> float:
        return round(sum(self.products[pid].price * n for pid, n in self.cart.items()), 2)

    # -- actions -------------------------------------------------------------------
    def _add(self, product_id: str) -> None:
        self.cart[product_id] = self.cart.get(product_id, 0) + 1
        self.phone.log(PACKAGE, f"Cart: add {product_id}, {sum(self.cart.values())} in the cart")
        self.phone.toast("已加入购物车")

    def _checkout(self) -> None:
        if self.cart:
            self.push("order")

    def _submit(self) -> None:
        self.phone.log(PACKAGE, f"Trade: order submitted, amount {self._total():.2f}, pay by Alipay")
        self.push("pay", amount=self._total())

    def _pay(self) -> None:
        self.cart.clear()
        self.replace("paid", amount=self.top.params["amount"])

    def _finish(self) -> None:
        del self.stack[1:]

    # -- layers -----------------------------------------------------------------------
    def layers(self) -> list[Layer]:
        screen = self.top
        if screen.kind == "pay":
            info = f"盒马 - {len(self.cart)}件商品"
            root = cashier.sheet(
                self.kit, "hema.pay", self.phone, "hema", screen.params["amount"], info, self._pay, self.pop
            )
            return [self._layer("order", self._order_page()), self._layer("pay", root, modal=True)]
        pages = {
            "home": self._home_page,
            "item": lambda: self._item_page(screen),
            "cart": self._cart_page,
            "order": self._order_page,
            "paid": lambda: self._paid_page(screen),
        }
        return [self._layer(screen.kind, pages[screen.kind]())]

    def _layer(self, name: str, root: Node, modal: bool = False) -> Layer:
        return Layer(root, PACKAGE, modal=modal, name=f"hema.{name}", activity=self.activity)

    def _tabs(self, current: str) -> Node:
        count = sum(self.cart.values())
        return w.tab_bar(
            self.kit,
            "hema.tabs",
            [
                Tab("hema.tab.home", "首页", "home", selected=current == "home", action=self._finish),
                Tab("hema.tab.cart", "购物车", "cart", selected=current == "cart", badge=count, action=self._to_cart),
                Tab("hema.tab.mine", "我的", "me", action=w.ignore),
            ],
            accent=BLUE,
            idle="#666666",
            bg="#FFFFFF",
        )

    def _to_cart(self) -> None:
        if self.top.kind != "cart":
            self.push("cart")

    def _home_page(self) -> Node:
        k = self.kit
        nav = w.nav_bar(k, "hema.home.nav", "盒马鲜生", bg=BLUE, fg="#FFFFFF")
        rows = [
            self._product_row(product, Rect(0, nav.frame.bottom + 8 + i * ROW_H, k.w, ROW_H))
            for i, product in enumerate(PRODUCTS)
        ]
        return k.screen("hema.home", PAGE_BG, [nav, *rows, self._tabs("home")])

    def _product_row(self, product: Product, frame: Rect) -> Node:
        k = self.kit
        return k.node(
            "view",
            frame,
            f"hema.home.item.{product.id}",
            style=Style(bg="#FFFFFF"),
            on_tap=lambda: self.push("item", product_id=product.id),
            children=[
                k.image(Rect(12, frame.y + 8, 80, 80), f"product:{product.color}", radius=6),
                k.text(Rect(104, frame.y + 10, k.w - 116, 44), product.title, size=15, lines=2, valign="top"),
                k.text(Rect(104, frame.y + 58, 120, 28), f"¥{product.price:g}", size=17, fg="#FF4400", bold=True),
                k.divider(104, frame.bottom - 0.5, k.w - 104),
            ],
        )

    def _item_page(self, screen: Screen) -> Node:
        k = self.kit
        product = self.products[screen.params["product_id"]]
        nav = w.nav_bar(k, "hema.item.nav", "商品详情", back=self.pop, bg="#FFFFFF")
        photo = min(k.w, (k.h - nav.frame.bottom) * 0.45)
        y = nav.frame.bottom
        bar_y = k.bottom - 56
        bw = (k.w - 36) / 2
        return k.screen(
            "hema.item",
            PAGE_BG,
            [
                nav,
                k.image(Rect(0, y, k.w, photo), f"product:{product.color}", key="hema.item.photo"),
                k.text(Rect(16, y + photo + 10, k.w - 32, 36), f"¥{product.price:g}", size=24, fg="#FF4400", bold=True),
                k.text(
                    Rect(16, y + photo + 50, k.w - 32, k.block(2, 17)),
                    product.title,
                    key="hema.item.title",
                    size=17,
                    bold=True,
                    lines=2,
                    valign="top",
                ),
                k.node("view", Rect(0, bar_y, k.w, k.h - bar_y), "hema.item.bar", style=Style(bg="#FFFFFF")),
                k.button(
                    Rect(12, bar_y + 8, bw, 40),
                    "购物车",
                    self._to_cart,
                    key="hema.item.cart",
                    fg=BLUE,
                    border=BLUE,
                    size=15,
                    radius=20,
                ),
                k.button(
                    Rect(24 + bw, bar_y + 8, bw, 40),
                    "加入购物车",
                    lambda: self._add(product.id),
                    key="hema.item.add",
                    bg=BLUE,
                    fg="#FFFFFF",
                    size=15,
                    radius=20,
                    bold=True,
                ),
            ],
        )

    def _lines(self, y: float) -> list[Node]:
        """The cart's products, a row each with its quantity."""
        k = self.kit
        nodes = []
        for i, (pid, count) in enumerate(self.cart.items()):
            product, row = self.products[pid], y + i * ROW_H
            nodes += [
                k.image(Rect(12, row + 8, 80, 80), f"product:{product.color}", radius=6),
                k.text(Rect(104, row + 10, k.w - 116, 44), product.title, size=15, lines=2, valign="top"),
                k.text(Rect(104, row + 58, 120, 28), f"¥{product.price:g}", size=16, fg="#FF4400", bold=True),
                k.text(Rect(k.w - 76, row + 58, 60, 28), f"x{count}", size=15, fg="#666666", align="right"),
            ]
        return nodes

    def _cart_page(self) -> Node:
        k = self.kit
        nav = w.nav_bar(k, "hema.cart.nav", "购物车", back=self.pop, bg="#FFFFFF")
        tabs = self._tabs("cart")
        bar_y = tabs.frame.y - 56
        return k.screen(
            "hema.cart",
            PAGE_BG,
            [
                nav,
                *self._lines(nav.frame.bottom + 8),
                k.node("view", Rect(0, bar_y, k.w, 56), "hema.cart.bar", style=Style(bg="#FFFFFF")),
                k.text(Rect(16, bar_y, k.w - 160, 56), f"合计：¥{self._total():.2f}", key="hema.cart.total", size=16),
                k.button(
                    Rect(k.w - 128, bar_y + 8, 112, 40),
                    "结算",
                    self._checkout,
                    key="hema.cart.charge",
                    rid="button_cart_charge",
                    bg=BLUE,
                    fg="#FFFFFF",
                    size=16,
                    radius=20,
                    bold=True,
                ),
                tabs,
            ],
        )

    def _order_page(self) -> Node:
        k = self.kit
        nav = w.nav_bar(k, "hema.order.nav", "确认订单", back=self.pop, bg="#FFFFFF")
        bar_y = k.bottom - 56
        return k.screen(
            "hema.order",
            PAGE_BG,
            [
                nav,
                k.text(Rect(16, nav.frame.bottom + 8, k.w - 32, 40), "送达时间：尽快送达（约30分钟）", size=14),
                *self._lines(nav.frame.bottom + 56),
                k.node("view", Rect(0, bar_y, k.w, 56), "hema.order.bar", style=Style(bg="#FFFFFF")),
                k.text(Rect(16, bar_y, k.w - 160, 56), f"实付：¥{self._total():.2f}", key="hema.order.total", size=16),
                k.button(
                    Rect(k.w - 128, bar_y + 8, 112, 40),
                    "提交订单",
                    self._submit,
                    key="hema.order.submit",
                    bg=BLUE,
                    fg="#FFFFFF",
                    size=16,
                    radius=20,
                    bold=True,
                ),
            ],
        )

    def _paid_page(self, screen: Screen) -> Node:
        k = self.kit
        cy = k.h * 0.3
        return k.screen(
            "hema.paid",
            "#FFFFFF",
            [
                k.image(Rect(k.w / 2 - 32, cy - 32, 64, 64), "check", fg="#FFFFFF", bg=BLUE, radius=32),
                k.text(
                    Rect(0, cy + 48, k.w, 32), "支付成功", key="hema.paid.title", size=20, bold=True, align="center"
                ),
                k.button(
                    Rect(k.w / 2 - 64, cy + 100, 128, 36),
                    "完成",
                    self._finish,
                    key="hema.paid.done",
                    fg=BLUE,
                    border=BLUE,
                    size=14,
                    radius=18,
                ),
            ],
        )
