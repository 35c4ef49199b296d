"""The virtual Taobao (淘宝).

Home feed → item page → 分享 panel → 微信 mints a Tao password (淘口令) in
the shape of its version (see passwords), copies it and offers 去微信粘贴; on coming to the foreground it reads a
foreign clipboard holding a password and shows the item's pop-up card;
立即购买 → 确认订单 → 提交订单 → the Alipay cashier → 支付成功. A promotional
pop-up may cover home and item pages (scenario noise).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from shareflow.links import Cashier
from shareflow_sim import passwords
from shareflow_sim import widgets as w
from shareflow_sim.apps import cashier
from shareflow_sim.apps.base import App, Screen
from shareflow_sim.apps.cashier import ALIPAY_BLUE
from shareflow_sim.ui import Layer, Node, Rect, Style
from shareflow_sim.widgets import Choice, Kit, Tab, Target
from shareflow_sim.world import Item, Order, link_kind

if TYPE_CHECKING:
    from shareflow_sim.phone import Phone

PACKAGE = "com.taobao.taobao"
WECHAT = "com.tencent.mm"
ORANGE = "#FF5000"
CART_YELLOW = "#FFA200"
PAGE_BG = "#F4F4F4"


def cashier_of(item: Item) -> Cashier:
    """The cashier an order of ``item`` is paid at: its shop's (the farm has no Tmall app: a Tmall item is bought
    in Taobao, where Tmall's cashier takes it)."""
    return "tmall" if item.shop == "tmall" else "taobao"


PROMO_RED = "#E8302E"
PROMO_GOLD = "#FFE3A0"
SPLASH_S = 1.0
# Taobao's own update prompt (Android): shown at most once per launch over these pages, closed by its ×
# ImageView update_imageview_cancel_v2 inside update_contentDialog_v2 (gkd-kit/subscription
# src/apps/com.taobao.taobao.ts, group 更新提示: DetailActivity, TBOrderListActivity, ...; the dialog's
# other ids, update_title_v2 / update_message_v2 / update_button_accept_v2, from its decompiled
# UpdateDialog). The accept button's 立即下载 is what Auto.js scripts look for beside the ×.
UPDATE_PAGES = ("item", "order")
SHOPS = ("taobao", "tmall")  # what the Taobao app sells (JD items are not its)

# screen kind -> (Android activity, iOS view controller)
ACTIVITIES = {
    "splash": ("com.taobao.tao.welcome.Welcome", "TBWelcomeViewController"),
    "home": ("com.taobao.tao.TBMainActivity", "TBHomeViewController"),
    "item": ("com.taobao.android.detail.wrapper.activity.DetailActivity", "TBDetailViewController"),
    "missing": ("com.taobao.android.detail.wrapper.activity.DetailActivity", "TBDetailViewController"),
    "order": ("com.taobao.android.purchase.TBPurchaseActivity", "TBPurchaseViewController"),
    "pay": ("com.alipay.android.msp.ui.views.MspContainerActivity", "APMCashierViewController"),
    "paid": ("com.alipay.android.msp.ui.views.MspContainerActivity", "APMCashierResultViewController"),
}
# Invented details, kept here: the buyer's address, the home channels, a review, share-target toasts.
ADDRESS = "浙江省杭州市余杭区五常街道文一西路969号 淘宝城"
BUYER_PHONE = "138****6688"
CHANNELS = (
    ("天猫", "#FF0036"),
    ("聚划算", "#FF6A00"),
    ("天猫超市", "#00B578"),
    ("淘宝直播", "#FF2D55"),
    ("饿了么", "#0A8CFF"),
)
REVIEW = "质量很好，做工精细，物流也很快，推荐购买！"
NOT_INSTALLED = {"qq": "未安装QQ，请先下载", "dingtalk": "未安装钉钉，请先下载"}


def price_text(price: float) -> str:
    """A price as Taobao prints it: ``299``, ``129.9``."""
    return f"{price:.2f}".rstrip("0").rstrip(".")


def sold_text(item: Item) -> str:
    """An invented but stable sales count for an item."""
    return f"{int(item.id[-4:]) * 37 % 9000 + 200}+人付款"


class TaobaoApp(App):
    """Taobao on one phone."""

    package = PACKAGE
    bundle_id = "com.taobao.taobao4iphone"
    label = "淘宝"
    launch_activity = ACTIVITIES["splash"][0]
    schemes = ("taobao", "tbopen")
    icon_color = ORANGE
    notifies = True

    def __init__(self, phone: Phone, version: str) -> None:
        super().__init__(phone, version)
        self.kit = Kit(phone.profile, PACKAGE, look=phone.look(PACKAGE, version))
        self._seen_clip = ""  # the clipboard text last looked at, so the card shows once
        self._update_prompted = False  # the update prompt shows at most once per launch
        shape = phone.scenario.password_shape
        self.password_shape = passwords.shape_for(version) if shape == "auto" else shape
        # what varies from one share to the next; its own stream leaves the phone's noise draws alone
        self._share_rng = random.Random(f"share:{phone.scenario.seed}:{phone.name}")
        # screen kind -> its page ("pay", Alipay's cashier, is a sheet over its order's page: see layers)
        self._pages: dict[str, Callable[[Screen], Node]] = {
            "splash": self._splash_page,
            "home": self._home_page,
            "item": self._item_page,
            "missing": self._missing_page,
            "order": self._order_page,
            "paid": self._paid_page,
        }
        # overlay name -> what shows over the page, given the overlay's value in Screen.overlays
        self._overlays: dict[str, Callable[[Any, Screen], Node]] = {
            "share": self._share_overlay,
            "copied": self._copied_overlay,
            "card": self._card_overlay,
            "promo": self._promo_overlay,
            "update": self._update_overlay,
        }

    # -- lifecycle ----------------------------------------------------------------
    def launch(self) -> None:
        self.stack.clear()
        self._update_prompted = False
        splash = self.push("splash")
        self.phone.schedule(SPLASH_S, lambda: self._splash_done(splash))

    def _splash_done(self, splash: Screen | None = None) -> None:
        """End the splash: by its timer (only the visit that set it) or by 跳过."""
        if self.stack and self.top.kind == "splash" and (splash is None or self.top is splash):
            self._leave_splash()
            if self.phone.foreground is self:
                self._check_clipboard()

    def _leave_splash(self) -> None:
        self.stack.pop()
        self._show("home")

    def resume(self) -> None:
        if self.stack and self.top.kind != "splash":
            self._check_clipboard()

    def open_url(self, url: str) -> bool:
        """``taobao://`` / ``tbopen://`` links and Taobao or Tmall web item links."""
        parts = urlsplit(url)
        if parts.scheme in self.schemes:
            item_id = parse_qs(parts.query).get("id", [""])[0]
        elif link_kind(url) in SHOPS:
            item = self.phone.world.resolve(url)
            item_id = item.id if item else "?"
        else:
            return False
        self.phone.log(PACKAGE, f"open url {url}")
        if self.stack and self.top.kind == "splash":
            self._leave_splash()
        if item_id:
            item = self.phone.world.items.get(item_id)
            if item is not None and item.shop in SHOPS:
                self._show("item", item_id=item_id)
            else:
                self._show("missing", item_id=item_id)
        return True

    @property
    def activity(self) -> str:
        if not self.stack:
            return self.launch_activity
        android, ios = ACTIVITIES[self.top.kind]
        return ios if self.kit.ios else android

    def _show(self, kind: str, **params: object) -> Screen:
        """Open a page; home and item pages may come with the promotional pop-up."""
        screen = self.push(kind, **params)
        if kind in ("home", "item") and self.phone.rng.random() < self.phone.scenario.noise.promo_popup:
            screen.overlays["promo"] = True
            self.phone.log(PACKAGE, "PopLayer: show promotion 双12狂欢")
        if (
            kind in UPDATE_PAGES
            and not self.kit.ios
            and not self._update_prompted
            and self.phone.rng.random() < self.phone.scenario.noise.update_dialog
        ):
            self._update_prompted = True
            screen.overlays["update"] = True
            self.phone.log(PACKAGE, "UpdateDialog: show 发现新版本")
        return screen

    def _close(self, overlay: str) -> None:
        self.top.overlays.pop(overlay, None)

    # -- clipboard --------------------------------------------------------------------
    def _check_clipboard(self) -> None:
        """On foreground: a Tao password or item link another app copied opens the pop-up card."""
        phone = self.phone
        text = phone.clipboard_text
        if not text or text == self._seen_clip or phone.clipboard_owner == PACKAGE:
            return
        self._seen_clip = text
        item = phone.world.resolve(text)
        if item is None or item.shop not in SHOPS:
            return
        phone.log(PACKAGE, "ClipboardMonitor: clipboard looks like a Tao password, reading it")
        phone.paste(self, self._on_paste)

    def _on_paste(self, text: str) -> None:
        item = self.phone.world.resolve(text)
        if item is None or not self.stack:
            return
        self.phone.log(PACKAGE, f"ClipboardMonitor: password resolves to item {item.id}; show card")
        self.top.overlays["card"] = item.id

    # -- actions ----------------------------------------------------------------------
    def _open_item(self, item_id: str) -> None:
        self._show("item", item_id=item_id)

    def _share_password(self, item_id: str) -> str:
        """Mint the item's Tao password and copy it (unless the seeded defect eats the copy)."""
        password = self.phone.world.password_for(item_id, self.password_shape, self._share_rng)
        self.phone.log(PACKAGE, f"ShareBusiness: minted Tao password for item {item_id} ({self.password_shape})")
        if not self.phone.scenario.has("password_not_copied"):
            self.phone.copy(password, self)
        return password

    def _share_to_wechat(self, item_id: str) -> None:
        password = self._share_password(item_id)
        self._close("share")
        self.top.overlays["copied"] = password

    def _copy_link(self, item_id: str) -> None:
        self._share_password(item_id)
        self._close("share")
        self.phone.toast("复制成功")

    def _share_elsewhere(self, target: str) -> None:
        self._close("share")
        self.phone.toast(NOT_INSTALLED.get(target, "海报已保存到相册"))

    def _go_wechat(self) -> None:
        self._close("copied")
        if self.phone.has_app(WECHAT):
            self.phone.log(PACKAGE, "ShareBusiness: jump to WeChat")
            self.phone.open_app(WECHAT)
        else:
            self.phone.toast("未安装微信")

    def _view_card(self, item_id: str) -> None:
        self._close("card")
        self._open_item(item_id)

    def _claim_promo(self) -> None:
        self._close("promo")
        self.phone.toast("红包已放入账户")

    def _buy(self, item_id: str) -> None:
        self.push("order", item_id=item_id, quantity=1)

    def _add_to_cart(self) -> None:
        self.phone.toast("添加成功，在购物车等亲~")

    def _step(self, delta: int) -> None:
        params = self.top.params
        params["quantity"] = max(1, min(99, params["quantity"] + delta))

    def _buyer(self) -> tuple[str, str]:
        account = self.phone.account
        if account is None:
            return f"tb_{self.phone.name}", "淘宝用户"
        return account.id, account.nickname

    def _submit(self) -> None:
        params = self.top.params
        order = self.phone.world.place_order(self._buyer()[0], params["item_id"], params["quantity"])
        self.phone.log(PACKAGE, f"Purchase: order {order.id} submitted, amount {order.amount:.2f}, pay by Alipay")
        self.push("pay", order_id=order.id)

    def _pay(self) -> None:
        order = self._order(self.top.params["order_id"])
        order.status = "待发货"
        self.phone.log(PACKAGE, f"Alipay: order {order.id} paid {order.amount:.2f}")
        self.replace("paid", order_id=order.id)

    def _finish(self) -> None:
        while len(self.stack) > 1 and self.top.kind not in ("item", "home"):
            self.stack.pop()

    def _go_home(self) -> None:
        del self.stack[1:]  # the root is always home once the splash has gone

    def _order(self, order_id: str) -> Order:
        return next(o for o in self.phone.world.orders if o.id == order_id)

    def _item(self, screen: Screen) -> Item:
        return self.phone.world.items[screen.params["item_id"]]

    # -- layers -------------------------------------------------------------------------
    def layers(self) -> list[Layer]:
        screen = self.top
        if screen.kind == "pay":
            layers = [self._layer("order", self._order_page(self.stack[-2])), self._pay_layer(screen)]
        else:
            layers = [self._layer(screen.kind, self._pages[screen.kind](screen))]
        for name, value in screen.overlays.items():
            root = self._overlays[name](value, screen)
            layers.append(self._layer(name, root, modal=True))
        return layers

    def _layer(self, name: str, root: Node, modal: bool = False) -> Layer:
        return Layer(root, PACKAGE, modal=modal, name=f"taobao.{name}", activity=self.activity)

    # -- splash ---------------------------------------------------------------------------
    def _splash_page(self, screen: Screen) -> Node:
        k = self.kit
        cy = k.h * 0.38
        return k.screen(
            "taobao.splash",
            "#FFFFFF",
            [
                k.image(Rect(k.w / 2 - 44, cy - 44, 88, 88), f"appicon:{ORANGE}:淘"),
                k.text(
                    Rect(0, cy + 56, k.w, 40),
                    "淘宝",
                    key="taobao.splash.logo",
                    size=30,
                    fg=ORANGE,
                    bold=True,
                    align="center",
                ),
                k.text(Rect(0, k.bottom - 72, k.w, 24), "太好逛了吧", size=15, fg="#999999", align="center"),
                k.button(
                    Rect(k.w - 76, k.top + 12, 60, 28),
                    "跳过",
                    self._splash_done,
                    key="taobao.splash.skip",
                    bg="#F2F2F2",
                    fg="#666666",
                    size=13,
                    radius=14,
                    rid="splash_skip",
                ),
            ],
        )

    # -- home -----------------------------------------------------------------------------
    def _home_page(self, screen: Screen) -> Node:
        k = self.kit
        header = self._search_header()
        channels = self._channels(header.frame.bottom + 8)
        feed_top = channels.frame.bottom + 8
        tabs = w.tab_bar(
            k,
            "taobao.tabs",
            [
                Tab("taobao.tab.home", "首页", "home", selected=True, action=w.ignore),
                Tab("taobao.tab.guang", "逛逛", "discover", action=w.ignore),
                Tab("taobao.tab.msg", "消息", "chat", action=w.ignore),
                Tab("taobao.tab.cart", "购物车", "cart", action=w.ignore),
                Tab("taobao.tab.mine", "我的淘宝", "me", action=w.ignore),
            ],
            accent=ORANGE,
            idle="#666666",
            bg="#FFFFFF",
            rid="tab_item",
        )
        feed = self._feed(feed_top, tabs.frame.y)
        return k.screen("taobao.home", PAGE_BG, [header, channels, feed, tabs])

    def _search_header(self) -> Node:
        k = self.kit
        y = k.top + 10
        box = Rect(12, y, k.w - 24, 38)
        search = k.node(
            "view",
            box,
            "taobao.home.search",
            rid="home_searchbar",
            desc="搜索",
            style=Style(bg="#FFFFFF", radius=19, border=ORANGE),
            children=[
                k.image(Rect(box.x + 12, y + 10, 18, 18), "search", fg="#999999"),
                k.text(Rect(box.x + 36, y, box.w - 140, 38), "羽绒服男冬季", size=14, fg="#999999"),
                k.image(Rect(box.right - 98, y + 9, 20, 20), "camera", fg="#666666"),
                k.text(
                    Rect(box.right - 68, y + 4, 62, 30),
                    "搜索",
                    size=14,
                    fg="#FFFFFF",
                    bg=ORANGE,
                    radius=15,
                    align="center",
                ),
            ],
        )
        return k.node("view", Rect(0, 0, k.w, y + 50), "taobao.home.header", style=Style(bg=ORANGE), children=[search])

    def _channels(self, y: float) -> Node:
        k = self.kit
        frame = Rect(8, y, k.w - 16, 84)
        cw = frame.w / len(CHANNELS)
        children = []
        for i, (label, color) in enumerate(CHANNELS):
            x = frame.x + i * cw
            children.append(k.image(Rect(x + (cw - 40) / 2, y + 10, 40, 40), f"appicon:{color}:{label[:1]}"))
            children.append(k.text(Rect(x, y + 54, cw, 20), label, size=12, fg="#333333", align="center"))
        return k.node("view", frame, "taobao.home.channels", style=Style(bg="#FFFFFF", radius=12), children=children)

    def _feed(self, top: float, bottom: float) -> Node:
        """The 猜你喜欢 grid: two columns of item cards, as many rows as start above ``bottom``."""
        k = self.kit
        items = [i for i in self.phone.world.items.values() if i.shop in SHOPS]
        cw = (k.w - 24) / 2
        title_h = k.block(2, 14)
        card_h = cw + 8 + title_h + 30
        children = [k.text(Rect(12, top, k.w - 24, 28), "猜你喜欢", key="taobao.home.feed_title", size=16, bold=True)]
        for i, item in enumerate(items):
            x = 8 + (i % 2) * (cw + 8)
            y = top + 36 + (i // 2) * (card_h + 8)
            if y + card_h / 2 > bottom:
                break
            children.append(self._card(item, Rect(x, y, cw, card_h), title_h))
        return k.node(
            "list",
            Rect(0, top, k.w, bottom - top),
            "taobao.home.feed",
            rid="home_feed",
            scrollable=True,
            children=children,
        )

    def _card(self, item: Item, frame: Rect, title_h: float) -> Node:
        k = self.kit
        x, y, cw = frame.x, frame.y, frame.w
        tag = [
            k.text(Rect(x + 8, y + 8, 36, 18), "天猫", size=11, fg="#FFFFFF", bg="#FF0036", radius=4, align="center")
        ]
        return k.node(
            "view",
            frame,
            f"taobao.home.item.{item.id}",
            rid="feed_item",
            style=Style(bg="#FFFFFF", radius=10),
            on_tap=lambda: self._open_item(item.id),
            children=[
                k.image(Rect(x, y, cw, cw), f"product:{item.color}", radius=10),
                *(tag if item.shop == "tmall" else []),
                k.text(Rect(x + 8, y + cw + 6, cw - 16, title_h), item.title, size=14, lines=2, valign="top"),
                k.text(
                    Rect(x + 8, y + cw + 8 + title_h, cw / 2, 24),
                    f"¥{price_text(item.price)}",
                    size=17,
                    fg=ORANGE,
                    bold=True,
                ),
                k.text(
                    Rect(x + cw / 2, y + cw + 8 + title_h, cw / 2 - 8, 24),
                    sold_text(item),
                    size=11,
                    fg="#999999",
                    align="right",
                ),
            ],
        )

    # -- item -----------------------------------------------------------------------------
    def _item_page(self, screen: Screen) -> Node:
        k = self.kit
        item = self._item(screen)
        ph = min(k.w, k.h * 0.46)
        bar = self._detail_bar(item)
        body = self._detail_body(item, ph, bar.frame.y)
        photo = k.image(Rect(0, 0, k.w, ph), f"product:{item.color}", key="taobao.item.photo", rid="detail_main_pic")
        return k.screen("taobao.item", PAGE_BG, [photo, *body, *self._floating_buttons(), bar])

    def _floating_buttons(self) -> list[Node]:
        k = self.kit
        y = k.top + 6
        shade = "#00000059"
        back_icon = "chevron_left" if k.ios else "back"
        return [
            k.icon_button(
                Rect(12, y, 34, 34),
                back_icon,
                "返回",
                self.pop,
                key="taobao.item.back",
                fg="#FFFFFF",
                bg=shade,
                glyph=20,
                rid="detail_back",
            ),
            k.icon_button(
                Rect(k.w - 92, y, 34, 34),
                "share",
                "分享",
                self._open_share,
                ident="TBDetailShareButton",
                key="taobao.item.share",
                fg="#FFFFFF",
                bg=shade,
                glyph=20,
                rid="detail_share",
            ),
            k.icon_button(
                Rect(k.w - 46, y, 34, 34),
                "more",
                "更多",
                w.ignore,
                key="taobao.item.more",
                fg="#FFFFFF",
                bg=shade,
                glyph=20,
                rid="detail_more",
            ),
        ]

    def _open_share(self) -> None:
        self.top.overlays["share"] = True

    def _detail_body(self, item: Item, top: float, bottom: float) -> list[Node]:
        """Price and title, then the shop and review cards that fit above ``bottom``."""
        nodes = [self._price_block(item, top)]
        y = nodes[0].frame.bottom + 10
        for card in (self._shop_card, self._review_card):
            node = card(item, y)
            if node.frame.bottom > bottom:
                break
            nodes.append(node)
            y = node.frame.bottom + 10
        return nodes

    def _price_block(self, item: Item, top: float) -> Node:
        k = self.kit
        title_h = k.block(2, 17)
        children = [
            k.text(
                Rect(12, top + 8, k.w * 0.5, 40),
                f"¥{price_text(item.price)}",
                key="taobao.item.price",
                rid="detail_price",
                size=28,
                fg=ORANGE,
                bold=True,
            ),
            k.text(
                Rect(k.w * 0.5, top + 8, k.w * 0.5 - 12, 40),
                f"月销 {sold_text(item)[:-3]}",
                size=13,
                fg="#999999",
                align="right",
            ),
            k.text(
                Rect(12, top + 56, k.w - 24, title_h),
                item.title,
                key="taobao.item.title",
                size=17,
                bold=True,
                lines=2,
                valign="top",
            ),
            k.text(
                Rect(12, top + 64 + title_h, k.w - 24, 24),
                "发货 浙江杭州 · 快递 免运费 · 7天无理由退货",
                size=13,
                fg="#999999",
            ),
        ]
        if item.shop == "tmall":
            tag = Rect(k.w * 0.5 - 40, top + 18, 40, 20)
            children.append(k.text(tag, "天猫", size=12, fg="#FFFFFF", bg="#FF0036", radius=4, align="center"))
        return k.node(
            "view", Rect(0, top, k.w, 100 + title_h), "taobao.item.info", style=Style(bg="#FFFFFF"), children=children
        )

    def _shop_card(self, item: Item, y: float) -> Node:
        k = self.kit
        return k.node(
            "view",
            Rect(0, y, k.w, 64),
            "taobao.item.shop",
            style=Style(bg="#FFFFFF"),
            children=[
                k.image(Rect(12, y + 12, 40, 40), f"appicon:{item.color}:{item.seller[:1]}"),
                k.text(
                    Rect(62, y, k.w - 170, 64),
                    item.seller,
                    key="taobao.item.seller",
                    rid="detail_shop_name",
                    size=15,
                    bold=True,
                ),
                k.button(
                    Rect(k.w - 96, y + 18, 84, 28),
                    "进店逛逛",
                    None,
                    key="taobao.item.visit_shop",
                    fg=ORANGE,
                    border=ORANGE,
                    size=13,
                    radius=14,
                ),
            ],
        )

    def _review_card(self, item: Item, y: float) -> Node:
        k = self.kit
        count = sold_text(item).split("+")[0]
        return k.node(
            "view",
            Rect(0, y, k.w, 100),
            "taobao.item.reviews",
            style=Style(bg="#FFFFFF"),
            children=[
                k.text(Rect(12, y + 8, k.w - 120, 28), f"宝贝评价({count}+)", size=15, bold=True),
                k.text(Rect(k.w - 112, y + 8, 100, 28), "查看全部 ›", size=13, fg=ORANGE, align="right"),
                k.image(Rect(12, y + 44, 20, 20), "avatar:#C9C9C9:t"),
                k.text(Rect(38, y + 42, k.w - 50, 24), "t**5", size=13, fg="#666666"),
                k.text(Rect(12, y + 68, k.w - 24, 24), REVIEW, size=14),
            ],
        )

    def _detail_bar(self, item: Item) -> Node:
        k = self.kit
        bh = 56.0
        y = k.bottom - bh
        children: list[Node] = []
        for i, (label, icon) in enumerate((("店铺", "shop"), ("客服", "chat"), ("收藏", "star"))):
            x = 4 + i * 46
            children.append(k.image(Rect(x + 12, y + 8, 22, 22), icon, fg="#666666"))
            children.append(k.text(Rect(x, y + 32, 46, 16), label, size=10, fg="#666666", align="center"))
        left = 4 + 3 * 46 + 8
        half = (k.w - 10 - left) / 2
        cart = Rect(left, y + 8, half + 20, 40)
        buy = Rect(left + half, y + 8, half, 40)
        children.append(
            k.button(
                cart,
                "加入购物车",
                self._add_to_cart,
                key="taobao.item.cart",
                rid="detail_addcart",
                bg=CART_YELLOW,
                fg="#FFFFFF",
                size=15,
                radius=20,
                bold=True,
            )
        )
        children.append(
            k.button(
                buy,
                "立即购买",
                lambda: self._buy(item.id),
                ident="TBDetailBuyButton",
                key="taobao.item.buy",
                rid="detail_buy",
                bg=ORANGE,
                fg="#FFFFFF",
                size=15,
                radius=20,
                bold=True,
            )
        )
        return k.node(
            "view",
            Rect(0, y, k.w, k.h - y),
            "taobao.item.bar",
            style=Style(bg="#FFFFFF"),
            children=[k.divider(0, y, k.w), *children],
        )

    # -- missing item --------------------------------------------------------------------
    def _missing_page(self, screen: Screen) -> Node:
        k = self.kit
        nav = w.nav_bar(k, "taobao.missing.nav", "宝贝详情", back=self.pop, bg="#FFFFFF")
        cy = k.h * 0.36
        return k.screen(
            "taobao.missing",
            "#FFFFFF",
            [
                nav,
                k.image(Rect(k.w / 2 - 40, cy - 40, 80, 80), "search", fg="#CCCCCC"),
                k.text(
                    Rect(40, cy + 56, k.w - 80, k.block(2, 15)),
                    "很抱歉，您查看的宝贝不存在，可能已下架或者被转移。",
                    key="taobao.missing.message",
                    size=15,
                    fg="#666666",
                    lines=2,
                    align="center",
                ),
                k.button(
                    Rect(k.w / 2 - 64, cy + 120, 128, 36),
                    "去首页逛逛",
                    self._go_home,
                    key="taobao.missing.home",
                    fg=ORANGE,
                    border=ORANGE,
                    size=14,
                    radius=18,
                ),
            ],
        )

    # -- order ------------------------------------------------------------------------------
    def _order_page(self, screen: Screen) -> Node:
        k = self.kit
        item = self._item(screen)
        nav = w.nav_bar(k, "taobao.order.nav", "确认订单", back=self.pop, bg="#FFFFFF")
        address = self._address_card(nav.frame.bottom + 10)
        goods = self._goods_card(item, screen.params["quantity"], address.frame.bottom + 10)
        return k.screen(
            "taobao.order", PAGE_BG, [nav, address, goods, self._submit_bar(item, screen.params["quantity"])]
        )

    def _address_card(self, y: float) -> Node:
        k = self.kit
        name = self._buyer()[1]
        frame = Rect(10, y, k.w - 20, 84)
        return k.node(
            "view",
            frame,
            "taobao.order.address",
            rid="purchase_address",
            style=Style(bg="#FFFFFF", radius=12),
            children=[
                k.image(Rect(22, y + 26, 32, 32), "home", fg="#FFFFFF", bg=ORANGE, radius=16),
                k.text(
                    Rect(66, y + 12, frame.w - 70, 24),
                    f"{name}  {BUYER_PHONE}",
                    key="taobao.order.buyer",
                    size=15,
                    bold=True,
                ),
                k.text(
                    Rect(66, y + 38, frame.w - 76, k.block(2, 13)),
                    ADDRESS,
                    size=13,
                    fg="#666666",
                    lines=2,
                    valign="top",
                ),
            ],
        )

    def _goods_card(self, item: Item, quantity: int, y: float) -> Node:
        k = self.kit
        frame = Rect(10, y, k.w - 20, 232)
        px = 22
        row_y = y + 44
        rows = [("配送方式", "快递 免邮"), ("订单备注", "选填，请先和商家协商一致")]
        children = [
            k.image(Rect(px, y + 12, 18, 18), "shop", fg="#333333"),
            k.text(Rect(px + 24, y + 8, frame.w - 60, 26), item.seller, size=14, bold=True),
            k.image(Rect(px, row_y, 84, 84), f"product:{item.color}", radius=8),
            k.text(
                Rect(px + 94, row_y, frame.w - 120, k.block(2, 14)),
                item.title,
                key="taobao.order.title",
                size=14,
                lines=2,
                valign="top",
            ),
            k.text(Rect(px + 94, row_y + 58, 100, 26), f"¥{price_text(item.price)}", size=15, bold=True),
            k.button(
                Rect(frame.right - 104, row_y + 58, 28, 26),
                "－",
                lambda: self._step(-1),
                key="taobao.order.minus",
                desc="减少",
                bg=PAGE_BG,
                size=15,
            ),
            k.text(
                Rect(frame.right - 74, row_y + 58, 34, 26),
                str(quantity),
                key="taobao.order.quantity",
                size=14,
                align="center",
                rid="purchase_quantity",
            ),
            k.button(
                Rect(frame.right - 38, row_y + 58, 28, 26),
                "＋",
                lambda: self._step(1),
                key="taobao.order.plus",
                desc="增加",
                bg=PAGE_BG,
                size=15,
            ),
        ]
        for i, (label, value) in enumerate(rows):
            ry = row_y + 96 + i * 40
            children.append(k.text(Rect(px, ry, 80, 36), label, size=14))
            children.append(k.text(Rect(px + 80, ry, frame.w - 112, 36), value, size=14, fg="#999999", align="right"))
        return k.node("view", frame, "taobao.order.goods", style=Style(bg="#FFFFFF", radius=12), children=children)

    def _submit_bar(self, item: Item, quantity: int) -> Node:
        k = self.kit
        y = k.bottom - 56
        enabled = not self.phone.scenario.has("submit_order_disabled")
        total = f"¥{price_text(round(item.price * quantity, 2))}"
        return k.node(
            "view",
            Rect(0, y, k.w, k.h - y),
            "taobao.order.bar",
            style=Style(bg="#FFFFFF"),
            children=[
                k.text(Rect(12, y, k.w - 246, 56), f"共{quantity}件  合计:", size=14, align="right"),
                k.text(
                    Rect(k.w - 234, y, 100, 56),
                    total,
                    key="taobao.order.total",
                    rid="purchase_total",
                    size=18,
                    fg=ORANGE,
                    bold=True,
                    align="right",
                ),
                k.button(
                    Rect(k.w - 124, y + 8, 112, 40),
                    "提交订单",
                    self._submit,
                    ident="TBPurchaseSubmitButton",
                    key="taobao.order.submit",
                    rid="purchase_submit",
                    bg=ORANGE if enabled else "#FFC4A8",
                    fg="#FFFFFF",
                    size=16,
                    radius=20,
                    bold=True,
                    enabled=enabled,
                ),
            ],
        )

    # -- Alipay -------------------------------------------------------------------------------
    def _pay_layer(self, screen: Screen) -> Layer:
        order = self._order(screen.params["order_id"])
        item = self.phone.world.items[order.item_id]
        info = f"淘宝 - {item.title}"
        root = cashier.sheet(
            self.kit, "taobao.pay", self.phone, cashier_of(item), order.amount, info, self._pay, self.pop
        )
        return self._layer("pay", root, modal=True)

    def _paid_page(self, screen: Screen) -> Node:
        k = self.kit
        order = self._order(screen.params["order_id"])
        cy = k.h * 0.3
        return k.screen(
            "taobao.paid",
            "#FFFFFF",
            [
                k.image(Rect(k.w / 2 - 32, cy - 32, 64, 64), "check", fg="#FFFFFF", bg=ALIPAY_BLUE, radius=32),
                k.text(
                    Rect(0, cy + 48, k.w, 32), "支付成功", key="taobao.paid.title", size=20, bold=True, align="center"
                ),
                k.text(
                    Rect(0, cy + 84, k.w, 40),
                    f"¥{order.amount:.2f}",
                    key="taobao.paid.amount",
                    size=26,
                    bold=True,
                    align="center",
                ),
                k.text(
                    Rect(0, cy + 128, k.w, 24),
                    f"订单号 {order.id}",
                    key="taobao.paid.order",
                    size=13,
                    fg="#999999",
                    align="center",
                ),
                k.button(
                    Rect(k.w / 2 - 80, cy + 180, 160, 44),
                    "完成",
                    self._finish,
                    key="taobao.paid.done",
                    fg=ALIPAY_BLUE,
                    border=ALIPAY_BLUE,
                    size=16,
                    radius=8,
                ),
            ],
        )

    # -- overlays ---------------------------------------------------------------------------------
    def _share_overlay(self, _: object, screen: Screen) -> Node:
        item_id = screen.params["item_id"]
        targets = [
            Target("wechat", "微信", "wechat", "#07C160", lambda: self._share_to_wechat(item_id)),
            Target("moments", "朋友圈", "moments", "#2BAD5E", lambda: self._share_to_wechat(item_id)),
            Target("qq", "QQ", "qq", "#12B7F5", lambda: self._share_elsewhere("qq")),
            Target("dingtalk", "钉钉", "dingtalk", "#3296FA", lambda: self._share_elsewhere("dingtalk")),
            Target("copy_link", "复制链接", "link", "#8A8A8A", lambda: self._copy_link(item_id)),
            Target("poster", "生成海报", "poster", ORANGE, lambda: self._share_elsewhere("poster")),
        ]
        if self.phone.scenario.has("share_panel_without_wechat"):
            targets = [t for t in targets if t.key != "wechat"]
        return w.share_sheet(self.kit, "taobao.share", "分享给好友", targets, lambda: self._close("share"))

    def _copied_overlay(self, password: str, _: Screen) -> Node:
        return w.dialog(
            self.kit,
            "taobao.copied",
            "淘口令已复制",
            password,
            [
                Choice("cancel", "取消", lambda: self._close("copied")),
                Choice("go_wechat", "去微信粘贴", self._go_wechat, primary=True),
            ],
            accent=ORANGE,
            message_lines=8,
        )

    def _card_overlay(self, item_id: str, _: Screen) -> Node:
        k = self.kit
        item = self.phone.world.items[item_id]
        cw = min(k.w - 64, 300)
        photo = min(cw - 40, k.h * 0.34)
        title_h = k.block(2, 15)
        ch = 16 + 28 + 8 + photo + 8 + title_h + 34 + 12 + 44 + 18
        x, y = (k.w - cw) / 2, (k.h - ch - 60) / 2
        px = x + (cw - photo) / 2
        body_y = y + 52 + photo + 8
        card = k.node(
            "view",
            Rect(x, y, cw, ch),
            "taobao.card",
            rid="clipboard_card",
            style=Style(bg="#FFFFFF", radius=16),
            on_tap=w.ignore,
            children=[
                k.text(
                    Rect(x, y + 16, cw, 28),
                    "好友分享给你一个宝贝",
                    key="taobao.card.header",
                    size=15,
                    fg="#666666",
                    align="center",
                ),
                k.image(Rect(px, y + 52, photo, photo), f"product:{item.color}", key="taobao.card.photo", radius=8),
                k.text(
                    Rect(x + 20, body_y, cw - 40, title_h),
                    item.title,
                    key="taobao.card.title",
                    size=15,
                    bold=True,
                    lines=2,
                    valign="top",
                ),
                k.text(
                    Rect(x + 20, body_y + title_h, cw - 40, 34),
                    f"¥{price_text(item.price)}",
                    key="taobao.card.price",
                    size=20,
                    fg=ORANGE,
                    bold=True,
                ),
                k.button(
                    Rect(x + 20, body_y + title_h + 46, cw - 40, 44),
                    "查看详情",
                    lambda: self._view_card(item_id),
                    key="taobao.card.view",
                    rid="clipboard_card_open",
                    bg=ORANGE,
                    fg="#FFFFFF",
                    size=16,
                    radius=22,
                    bold=True,
                ),
            ],
        )
        close = self._overlay_close("card", y + ch + 20, "关闭", "clipboard_card_close")
        return k.overlay("taobao.card.scrim", [card, close])

    def _overlay_close(self, overlay: str, y: float, desc: str, rid: str = "") -> Node:
        """The round × under a pop-up card, which closes it."""
        return self.kit.icon_button(
            Rect(self.kit.w / 2 - 18, y, 36, 36),
            "close",
            desc,
            lambda: self._close(overlay),
            key=f"taobao.{overlay}.close",
            fg="#FFFFFF",
            glyph=20,
            border="#FFFFFF",
            rid=rid,
        )

    def _update_overlay(self, _: object, __: Screen) -> Node:
        """The update prompt: title, what is new, 立即下载, and the × above the dialog's corner."""
        k = self.kit
        cw, ch = min(k.w - 72, 300.0), 260.0
        x, y = (k.w - cw) / 2, (k.h - ch) / 2
        dialog = k.node(
            "view",
            Rect(x, y, cw, ch),
            "taobao.update",
            rid="update_contentDialog_v2",
            style=Style(bg="#FFFFFF", radius=12),
            on_tap=w.ignore,
            children=[
                k.text(
                    Rect(x, y + 24, cw, 30),
                    "发现新版本",
                    key="taobao.update.title",
                    rid="update_title_v2",
                    size=20,
                    bold=True,
                    align="center",
                ),
                k.text(
                    Rect(x + 24, y + 66, cw - 48, 96),
                    "新版本体验更流畅，修复了已知问题",
                    key="taobao.update.message",
                    rid="update_message_v2",
                    size=15,
                    fg="#666666",
                    lines=3,
                    valign="top",
                ),
                k.button(
                    Rect(x + 24, y + ch - 70, cw - 48, 46),
                    "立即下载",
                    self._accept_update,
                    key="taobao.update.accept",
                    rid="update_button_accept_v2",
                    bg=ORANGE,
                    fg="#FFFFFF",
                    size=17,
                    radius=23,
                    bold=True,
                ),
                k.node(
                    "image",
                    Rect(x + cw - 40, y + 8, 32, 32),
                    "taobao.update.close",
                    rid="update_imageview_cancel_v2",
                    style=Style(icon="close", fg="#999999"),
                    on_tap=lambda: self._close("update"),
                ),
            ],
        )
        return k.overlay("taobao.update.scrim", [dialog])

    def _accept_update(self) -> None:
        """立即下载: the download runs in the background (a notification); the page stays."""
        self.phone.log(PACKAGE, "UpdateDialog: download started")
        self._close("update")

    def _promo_overlay(self, _: object, __: Screen) -> Node:
        k = self.kit
        cw, ch = min(k.w - 80, 280.0), 340.0
        x, y = (k.w - cw) / 2, (k.h - ch - 60) / 2
        card = k.node(
            "view",
            Rect(x, y, cw, ch),
            "taobao.promo",
            rid="poplayer_native_state_id",
            style=Style(bg=PROMO_RED, radius=18),
            on_tap=w.ignore,
            children=[
                k.text(
                    Rect(x, y + 28, cw, 40),
                    "双12狂欢",
                    key="taobao.promo.title",
                    size=28,
                    fg=PROMO_GOLD,
                    bold=True,
                    align="center",
                ),
                k.text(Rect(x, y + 76, cw, 24), "恭喜获得", size=15, fg="#FFFFFF", align="center"),
                k.text(
                    Rect(x, y + 104, cw, 72),
                    "¥20",
                    key="taobao.promo.amount",
                    size=56,
                    fg=PROMO_GOLD,
                    bold=True,
                    align="center",
                ),
                k.text(Rect(x, y + 180, cw, 26), "无门槛红包", size=17, fg="#FFFFFF", align="center"),
                k.button(
                    Rect(x + 30, y + ch - 84, cw - 60, 48),
                    "立即领取",
                    self._claim_promo,
                    key="taobao.promo.claim",
                    bg=PROMO_GOLD,
                    fg=PROMO_RED,
                    size=18,
                    radius=24,
                    bold=True,
                ),
            ],
        )
        # PopLayer's close control: content-desc 关闭按钮, no id, right after the pop-up's state view on
        # Android (gkd-kit/subscription src/apps/com.taobao.taobao.ts: `@[desc="关闭按钮"] -
        # [vid="poplayer_native_state_id"]`; its id is set in tbpoplayer's native renderer). The iOS
        # label is not documented anywhere public: the farm keeps 关闭.
        close = self._overlay_close("promo", y + ch + 20, "关闭" if k.ios else "关闭按钮")
        return k.overlay("taobao.promo.scrim", [card, close], dim="#000000A6")
