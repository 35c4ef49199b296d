"""Pages shown in WeChat's in-app browser.

The shops' H5 item pages (Taobao, Tmall, JD, Pinduoduo), Douyin's video page, their 商品不存在 page, and
WeChat's own pages for links it does not open directly: the unofficial-page
warning, the blocked page and the copy-to-browser page. Each builder lays
out a page body inside the browser's content frame and returns a
:class:`Page`; the browser (``wechat.py``) draws the title bar around it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shareflow_sim.apps.taobao import price_text
from shareflow_sim.ui import Action, Node, Rect, Style
from shareflow_sim.widgets import Align, Kit
from shareflow_sim.world import Item

WECHAT_GREEN = "#07C160"
LINK_BLUE = "#576B95"
BLOCKED_TEXT = "网页包含诱导分享、诱导关注内容，被多人投诉，为维护绿色上网环境，已停止访问。"
INTERSTITIAL_TEXT = "非微信官方网页，请确认是否继续访问"
COPY_TEXT = "如需浏览，请长按网址复制后使用浏览器访问"


@dataclass(frozen=True)
class Shop:
    """How a shop's H5 site looks and which app its 打开…App button opens."""

    name: str
    color: str
    mark: str  # the logo tile's letter
    app_label: str
    package: str
    deep_link: str  # with ``{id}``

    @property
    def open_label(self) -> str:
        return f"打开{self.app_label}App"


SHOPS = {
    "taobao": Shop("淘宝网", "#FF5000", "淘", "淘宝", "com.taobao.taobao", "taobao://item.taobao.com/item.htm?id={id}"),
    "tmall": Shop("天猫", "#FF0036", "猫", "天猫", "com.tmall.wireless", "tmall://page.tm/itemDetail?id={id}"),
    "jd": Shop(
        "京东",
        "#E1251B",
        "JD",
        "京东",
        "com.jingdong.app.mall",
        'openapp.jdmobile://virtual?params={{"des":"productDetail","skuId":"{id}"}}',
    ),
    # packages and schemes: FIELD-NOTES' app table; the H5 pages' 打开…App wording was not found for either (it
    # follows the other shops' here)
    "pinduoduo": Shop(
        "拼多多",
        "#E02E24",
        "拼",
        "拼多多",
        "com.xunmeng.pinduoduo",
        "pinduoduo://com.xunmeng.pinduoduo/goods.html?goods_id={id}",
    ),
    "douyin": Shop("抖音", "#161823", "抖", "抖音", "com.ss.android.ugc.aweme", "snssdk1128://aweme/detail/{id}"),
}


@dataclass(frozen=True)
class WebActions:
    """What the page's controls do, supplied by the browser."""

    proceed: Action  # 继续访问
    open_app: Callable[[str, str], None]  # (package, deep link) of an 打开…App control
    copy: Callable[[str], None]  # a long-pressed address is copied
    appeal: Action  # 申请恢复访问


@dataclass(frozen=True)
class Page:
    name: str  # the layer-name suffix: "item.taobao", "blocked", ...
    title: str  # what the browser's title bar shows
    body: Node


def price_label(item: Item) -> str:
    """JD prints cents; Taobao and Tmall drop trailing zeros."""
    return f"¥{item.price:.2f}" if item.shop == "jd" else f"¥{price_text(item.price)}"


def _body(kit: Kit, frame: Rect, key: str, children: list[Node], bg: str = "#FFFFFF") -> Node:
    return Node(
        "web", frame, key=key, cls="" if kit.ios else "android.webkit.WebView", style=Style(bg=bg), children=children
    )


# -- shop pages ----------------------------------------------------------------------
def item_page(kit: Kit, frame: Rect, kind: str, item: Item | None, actions: WebActions) -> Page:
    """A shop's H5 item page (or its 商品不存在 page when ``item`` is ``None``)."""
    shop = SHOPS[kind]
    header = _shop_header(kit, frame, shop, item, actions)
    if item is None:
        return Page("missing", shop.name, _body(kit, frame, "web.page", [header, *_missing(kit, frame, header)]))
    if kind == "douyin":
        return _video_page(kit, frame, shop, item, header)
    photo_h = min(kit.w, (frame.h - 56) * 0.45)
    y = header.frame.bottom
    title_h = kit.block(2, 16)
    children = [
        header,
        Node("image", Rect(0, y, kit.w, photo_h), key="web.photo", style=Style(icon=f"product:{item.color}")),
        kit.node(
            "text",
            Rect(12, y + photo_h + 8, kit.w - 24, 40),
            "web.price",
            text=price_label(item),
            style=Style(fg=shop.color, size=26, bold=True),
        ),
        kit.node(
            "text",
            Rect(12, y + photo_h + 52, kit.w - 24, title_h),
            "web.title",
            text=item.title,
            style=Style(size=16, bold=True, lines=2, valign="top"),
        ),
        kit.node(
            "text",
            Rect(12, y + photo_h + 56 + title_h, kit.w - 24, 24),
            text=f"店铺：{item.seller}",
            style=Style(size=13, fg="#999999"),
        ),
        kit.node(
            "text",
            Rect(12, y + photo_h + 80 + title_h, kit.w - 24, 24),
            text="快递 免运费 · 正品保障",
            style=Style(size=13, fg="#999999"),
        ),
        _buy_bar(kit, shop, item, actions),
    ]
    return Page(f"item.{kind}", item.title, _body(kit, frame, "web.page", children, bg="#F5F5F5"))


def _video_page(kit: Kit, frame: Rect, shop: Shop, item: Item, header: Node) -> Page:
    """Douyin's H5 page of a video: the video (its first frame and a play mark), the author and the caption."""
    y = header.frame.bottom
    video_h = frame.bottom - y - 120
    cx, cy = kit.w / 2, y + video_h / 2
    children = [
        header,
        Node("image", Rect(0, y, kit.w, video_h), key="web.video", style=Style(icon=f"product:{item.color}")),
        kit.node(
            "text",
            Rect(cx - 30, cy - 30, 60, 60),
            "web.play",
            text="▶",
            style=Style(bg="#00000066", fg="#FFFFFF", size=26, radius=30, align="center"),
        ),
        kit.node(
            "text",
            Rect(12, y + video_h + 12, kit.w - 24, 24),
            "web.author",
            text=f"@{item.seller}",
            style=Style(size=16, bold=True, fg="#FFFFFF"),
        ),
        kit.node(
            "text",
            Rect(12, y + video_h + 42, kit.w - 24, kit.block(2, 14)),
            "web.title",
            text=item.title,
            style=Style(size=14, fg="#E6E6E6", lines=2, valign="top"),
        ),
    ]
    return Page("video.douyin", item.title, _body(kit, frame, "web.page", children, bg=shop.color))


def _shop_header(kit: Kit, frame: Rect, shop: Shop, item: Item | None, actions: WebActions) -> Node:
    """The site's top strip: logo and name at the left, 打开…App at the right."""
    y, h = frame.y, 48.0
    link = shop.deep_link.format(id=item.id if item else "")
    bw = kit.measure(shop.open_label, 13) + 24
    return kit.node(
        "view",
        Rect(0, y, kit.w, h),
        "web.header",
        style=Style(bg="#FFFFFF"),
        children=[
            Node("image", Rect(12, y + 10, 28, 28), style=Style(icon=f"appicon:{shop.color}:{shop.mark}")),
            kit.node(
                "text", Rect(48, y, 120, h), "web.site", text=shop.name, style=Style(size=16, bold=True, fg=shop.color)
            ),
            kit.node(
                "button",
                Rect(kit.w - 12 - bw, y + 10, bw, 28),
                "web.open_app",
                text=shop.open_label,
                style=Style(bg=shop.color, fg="#FFFFFF", size=13, radius=14, align="center"),
                on_tap=lambda: actions.open_app(shop.package, link),
            ),
            Node("view", Rect(0, y + h - 0.5, kit.w, 0.5), style=Style(bg="#E5E5E5")),
        ],
    )


def _buy_bar(kit: Kit, shop: Shop, item: Item, actions: WebActions) -> Node:
    y = kit.bottom - 52
    link = shop.deep_link.format(id=item.id)
    bw = (kit.w - 24) / 2
    labels = ("加入购物车", "立即购买") if item.shop == "jd" else ("收藏宝贝", f"去{shop.app_label}App购买")
    colors = ("#FFB000", shop.color) if item.shop == "jd" else ("#FFFFFF", shop.color)
    children = [
        kit.node(
            "button",
            Rect(12 + i * bw, y + 6, bw, 40),
            key,
            text=label,
            style=Style(
                bg=color,
                fg=shop.color if color == "#FFFFFF" else "#FFFFFF",
                border=shop.color if color == "#FFFFFF" else None,
                size=15,
                bold=True,
                radius=20,
                align="center",
            ),
            on_tap=lambda: actions.open_app(shop.package, link),
        )
        for i, (key, label, color) in enumerate(zip(("web.cart", "web.buy"), labels, colors, strict=True))
    ]
    return kit.node("view", Rect(0, y, kit.w, kit.h - y), "web.bar", style=Style(bg="#FFFFFF"), children=children)


def _missing(kit: Kit, frame: Rect, header: Node) -> list[Node]:
    cy = header.frame.bottom + (frame.bottom - header.frame.bottom) * 0.3
    return [
        kit.node(
            "text",
            Rect(kit.w / 2 - 36, cy - 36, 72, 72),
            text="?",
            style=Style(bg="#EEEEEE", fg="#BBBBBB", size=40, bold=True, radius=36, align="center"),
        ),
        kit.node(
            "text",
            Rect(0, cy + 52, kit.w, 32),
            "web.missing",
            text="商品不存在",
            style=Style(size=18, bold=True, align="center"),
        ),
        kit.node(
            "text",
            Rect(0, cy + 86, kit.w, 24),
            text="该商品已下架或链接已失效",
            style=Style(size=14, fg="#999999", align="center"),
        ),
    ]


# -- WeChat's interception pages -------------------------------------------------------
def _sign(kit: Kit, frame: Rect, color: str, mark: str = "!") -> Node:
    """The big round sign at the top of an interception page."""
    cy = frame.y + min(96.0, frame.h * 0.14)
    return kit.node(
        "text",
        Rect(kit.w / 2 - 34, cy - 34, 68, 68),
        "web.sign",
        text=mark,
        style=Style(bg=color, fg="#FFFFFF", size=40, bold=True, radius=34, align="center"),
    )


def _paragraph(
    kit: Kit, y: float, text: str, key: str, size: float, fg: str, bold: bool = False, align: Align = "center"
) -> Node:
    width = kit.w - 64
    n = len(kit.wrap(text, size, width, bold))
    return kit.node(
        "text",
        Rect(32, y, width, kit.block(n, size)),
        key,
        text=text,
        style=Style(size=size, fg=fg, bold=bold, lines=n, align=align, valign="top"),
    )


def interstitial_page(kit: Kit, frame: Rect, url: str, actions: WebActions) -> Page:
    """非微信官方网页，请确认是否继续访问 — with 继续访问."""
    sign = _sign(kit, frame, "#10AEFF")
    notice = _paragraph(kit, sign.frame.bottom + 28, INTERSTITIAL_TEXT, "web.notice", 18, "#191919", bold=True)
    address = _paragraph(kit, notice.frame.bottom + 12, url, "web.url", 14, "#888888")
    go = kit.node(
        "button",
        Rect(kit.w / 2 - 92, address.frame.bottom + 36, 184, 42),
        "web.proceed",
        text="继续访问",
        style=Style(bg=WECHAT_GREEN, fg="#FFFFFF", size=17, bold=True, radius=6, align="center"),
        on_tap=actions.proceed,
    )
    return Page("interstitial", "", _body(kit, frame, "web.page", [sign, notice, address, go]))


def blocked_page(kit: Kit, frame: Rect, actions: WebActions) -> Page:
    """已停止访问该网页 — with 申请恢复访问 and the 客服指引 | 查看规则 footer."""
    sign = _sign(kit, frame, "#FA5151")
    title = _paragraph(kit, sign.frame.bottom + 28, "已停止访问该网页", "web.blocked_title", 21, "#191919", bold=True)
    body = _paragraph(kit, title.frame.bottom + 14, BLOCKED_TEXT, "web.blocked_text", 15, "#4C4C4C", align="left")
    appeal = kit.node(
        "button",
        Rect(kit.w / 2 - 92, body.frame.bottom + 40, 184, 42),
        "web.appeal",
        text="申请恢复访问",
        style=Style(bg="#F2F2F2", fg=WECHAT_GREEN, size=17, bold=True, radius=6, align="center"),
        on_tap=actions.appeal,
    )
    fy = kit.bottom - 44
    footer = [
        kit.node(
            "text",
            Rect(kit.w / 2 - 88, fy, 76, 24),
            "web.guide",
            text="客服指引",
            style=Style(size=14, fg=LINK_BLUE, align="right"),
        ),
        kit.node(
            "text", Rect(kit.w / 2 - 12, fy, 24, 24), text="|", style=Style(size=14, fg="#B2B2B2", align="center")
        ),
        kit.node(
            "text", Rect(kit.w / 2 + 12, fy, 76, 24), "web.rules", text="查看规则", style=Style(size=14, fg=LINK_BLUE)
        ),
    ]
    return Page("blocked", "", _body(kit, frame, "web.page", [sign, title, body, appeal, *footer]))


def copy_to_browser_page(kit: Kit, frame: Rect, url: str, actions: WebActions) -> Page:
    """如需浏览，请长按网址复制后使用浏览器访问 — the address shown, long-press copies it."""
    sign = _sign(kit, frame, "#FA9D3B")
    notice = _paragraph(kit, sign.frame.bottom + 28, COPY_TEXT, "web.notice", 17, "#191919", bold=True)
    width = kit.w - 64
    n = len(kit.wrap(url, 15, width - 24))
    box = Rect(32, notice.frame.bottom + 24, width, kit.block(n, 15) + 24)
    address = kit.node(
        "text",
        box,
        "web.url",
        text=url,
        style=Style(bg="#F2F2F2", fg="#191919", size=15, lines=n, radius=6, pad=12),
        on_long_press=lambda: actions.copy(url),
    )
    return Page("copy_to_browser", "", _body(kit, frame, "web.page", [sign, notice, address]))


def error_page(kit: Kit, frame: Rect, url: str) -> Page:
    """A link to no shop: the farm has no Internet, so the page cannot load."""
    sign = _sign(kit, frame, "#B2B2B2")
    notice = _paragraph(kit, sign.frame.bottom + 28, "网页无法打开", "web.notice", 18, "#191919", bold=True)
    address = _paragraph(kit, notice.frame.bottom + 12, url, "web.url", 14, "#888888")
    return Page("error", "", _body(kit, frame, "web.page", [sign, notice, address]))
