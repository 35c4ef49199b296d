"""The one world all phones of a farm share: accounts, chats, items, orders.

Tao passwords (淘口令) minted here resolve on every phone; a message sent to
a chat reaches every member's phone through the farm's listeners.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from shareflow.links import LinkKind, Scene
from shareflow_sim import passwords

URL_RE = re.compile(r"https?://[A-Za-z0-9./?=&_%#:-]+")
# Older token shape: 11 letters/digits between currency-like delimiters.
OLD_TOKEN_RE = re.compile(r"[¥￥$£₤€₴¢₰₳₪₲@《》()/]([A-Za-z0-9]{11})[¥￥$£₤€₴¢₰₳₪₲@《》()/]")
SHORT_RE = re.compile(r"https?://[me]\.tb\.cn/h\.([A-Za-z0-9]{7,15})(?![A-Za-z0-9])")
# Douyin's share link: https://v.douyin.com/<code>/, 7-8 letters and digits in older texts, 11 with _ and - in
# newer ones (share texts of 2020-2025 in Evil0ctal/Douyin_TikTok_Download_API and kcarol1/linkding)
DOUYIN_SHORT_RE = re.compile(r"https?://v\.douyin\.com/([A-Za-z0-9_-]{7,11})/?")


@dataclass(frozen=True)
class Item:
    id: str
    shop: LinkKind  # which platform sells (or, a Douyin video, shows) it: taobao, tmall, jd, pinduoduo, douyin
    title: str  # a video's caption
    price: float  # 0 for a video
    color: str  # the product photo's (a video's first frame's) colour
    seller: str  # a video's author
    short: str = ""  # a Douyin video's share link code (v.douyin.com/<short>/)

    @property
    def url(self) -> str:
        """The item's canonical web address."""
        if self.shop == "jd":
            return f"https://item.m.jd.com/product/{self.id}.html"
        if self.shop == "tmall":
            return f"https://detail.tmall.com/item.htm?id={self.id}"
        if self.shop == "pinduoduo":  # the canonical item page (astrbot_plugin_multi_parser's Pinduoduo tests)
            return f"https://mobile.yangkeduo.com/goods.html?goods_id={self.id}"
        if self.shop == "douyin":
            return f"https://www.douyin.com/video/{self.id}"
        return f"https://item.taobao.com/item.htm?id={self.id}"


CATALOG: tuple[Item, ...] = (
    Item("652419876401", "taobao", "2021冬季新款加厚羽绒服男士短款连帽外套", 299.0, "#3A6EA5", "北极绒官方店"),
    Item("652419876402", "taobao", "三只松鼠每日坚果混合果仁30包礼盒装", 129.9, "#C8892B", "三只松鼠旗舰店"),
    Item("652419876403", "taobao", "小米手环6 NFC版 智能运动手环心率监测", 229.0, "#2B2B2B", "小米官方旗舰店"),
    Item("652419876404", "taobao", "简约北欧陶瓷马克杯 大容量咖啡杯带勺", 39.9, "#E07A5F", "拾光杯具"),
    Item(
        "612300000501", "tmall", "Apple AirPods Pro 主动降噪无线蓝牙耳机", 1499.0, "#DADADA", "Apple Store 官方旗舰店"
    ),
    Item("612300000502", "tmall", "雅诗兰黛特润修护肌活精华露 小棕瓶50ml", 650.0, "#7A4B2A", "雅诗兰黛官方旗舰店"),
    Item("100012043978", "jd", "京东京造 人体工学椅 电脑椅办公椅", 899.0, "#4F5D75", "京东京造官方旗舰店"),
    Item("100009177400", "jd", "海尔 冰箱 双开门 对开门 风冷无霜 532升", 2999.0, "#9DB4C0", "海尔京东自营旗舰店"),
    Item(
        "327845196012", "pinduoduo", "【百亿补贴】家用电热水壶 1.8L大容量 304不锈钢", 39.9, "#D94F3D", "美的官方旗舰店"
    ),
    Item("327845196013", "pinduoduo", "新疆阿克苏冰糖心苹果 5斤装 现摘现发", 19.9, "#C0392B", "果园直发店"),
    Item(
        "7036312254918921503",
        "douyin",
        "冬天第一锅羊肉汤，暖到心里 #美食 #家常菜",
        0.0,
        "#6B4226",
        "小厨娘阿珍",
        "iRq7DkYb",
    ),
    Item("7036312254918921504", "douyin", "一分钟学会系围巾的三种方法 #穿搭", 0.0, "#8E6C8A", "穿搭日记", "iRq7Dm3F"),
)

NPCS = (("wxid_npc_lihua", "李华"), ("wxid_npc_wangfang", "王芳"), ("wxid_npc_zhaolei", "赵磊"))
AVATAR_COLORS = ("#5B8FF9", "#F6BD16", "#E8684A", "#6DC8EC", "#9270CA", "#FF9D4D", "#269A99", "#FF99C3")
GROUP_NAME = "购物分享群"


def link_kind(url: str) -> LinkKind | None:
    """Which platform a shop link belongs to, by its host."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(("tb.cn", "taobao.com")):
        return "taobao"
    if host.endswith("tmall.com"):
        return "tmall"
    if host.endswith(("jd.com", "3.cn")):
        return "jd"
    if host.endswith(("yangkeduo.com", "pinduoduo.com")):
        return "pinduoduo"
    if host.endswith(("douyin.com", "iesdouyin.com")):
        return "douyin"
    return None


def find_url(text: str) -> str | None:
    """The first web address in a message, if any."""
    match = URL_RE.search(text)
    return match.group(0) if match else None


@dataclass(frozen=True)
class Account:
    id: str
    nickname: str
    color: str
    npc: bool = False

    @property
    def initial(self) -> str:
        return self.nickname[:1]


@dataclass
class Message:
    id: int
    chat_id: str
    sender: str  # account id
    text: str
    time: datetime


@dataclass
class Chat:
    id: str
    kind: Scene
    members: list[str]
    name: str = ""  # group name; p2p chats are named after the other member
    messages: list[Message] = field(default_factory=list)

    @property
    def scene(self) -> str:
        return self.kind


@dataclass
class Order:
    id: str
    buyer: str
    item_id: str
    quantity: int
    amount: float
    time: datetime
    status: str = "待付款"


class World:
    """Accounts, chats, catalogue, passwords and orders of one farm."""

    def __init__(self, seed: int, clock: Callable[[], datetime]) -> None:
        self._rng = random.Random(f"world:{seed}")
        self._clock = clock
        self._lock = threading.RLock()
        self.items = {item.id: item for item in CATALOG}
        self.accounts: dict[str, Account] = {}
        self.chats: dict[str, Chat] = {}
        self.orders: list[Order] = []
        self.tokens: dict[str, str] = {item.short: item.id for item in CATALOG if item.short}  # short code or
        # old token -> item id (a Douyin video's share link code from the start)
        self.listeners: list[Callable[[Chat, Message], None]] = []
        self._message_ids = 0
        for account_id, nick in NPCS:
            self.add_account(account_id, nick, npc=True)

    # -- accounts and chats -------------------------------------------------
    def add_account(self, account_id: str, nickname: str, npc: bool = False) -> Account:
        color = AVATAR_COLORS[len(self.accounts) % len(AVATAR_COLORS)]
        account = Account(account_id, nickname, color, npc)
        self.accounts[account_id] = account
        return account

    def build_chats(self) -> None:
        """One group of everybody, and a 1:1 chat between every two people."""
        everyone = list(self.accounts)
        humans = [a for a in everyone if not self.accounts[a].npc]
        for i, a in enumerate(humans):
            for b in [*humans[i + 1 :], NPCS[1][0]]:
                chat = Chat(f"p2p-{a}-{b}", "p2p", [a, b])
                self.chats[chat.id] = chat
                self._seed_message(chat, b, "在吗？")
        group = Chat("group-1", "group", everyone, GROUP_NAME)
        self.chats[group.id] = group
        self._seed_message(group, NPCS[0][0], "大家好，双十二有什么好物推荐吗？")  # newest: the top row

    def _seed_message(self, chat: Chat, sender: str, text: str) -> None:
        self._message_ids += 1
        chat.messages.append(Message(self._message_ids, chat.id, sender, text, self._clock()))

    def chat_title(self, chat: Chat, viewer: str) -> str:
        """How the chat is titled on the viewer's phone: ``name(count)`` or the other's nickname."""
        if chat.kind == "group":
            return f"{chat.name}({len(chat.members)})"
        other = next(m for m in chat.members if m != viewer)
        return self.accounts[other].nickname

    def chats_of(self, account_id: str) -> list[Chat]:
        """The account's chats, most recently active first."""
        with self._lock:
            mine = [c for c in self.chats.values() if account_id in c.members]
        return sorted(mine, key=lambda c: c.messages[-1].id if c.messages else 0, reverse=True)

    def send(self, chat_id: str, sender: str, text: str) -> Message:
        """Post a message; every listener (the phones) hears of it."""
        with self._lock:
            chat = self.chats[chat_id]
            self._message_ids += 1
            message = Message(self._message_ids, chat_id, sender, text, self._clock())
            chat.messages.append(message)
        for listener in list(self.listeners):
            listener(chat, message)
        return message

    # -- items and passwords --------------------------------------------------
    def password_for(self, item_id: str, shape: str = "link7", rng: random.Random | None = None) -> str:
        """Mint a Tao password (淘口令) message for an item in ``shape`` (see passwords); ``rng`` draws its
        variable parts (the world's own when not given). Its short code and token are new to the world."""
        item = self.items[item_id]
        with self._lock:
            length = passwords.short_length(shape, rng or self._rng)
            ids = passwords.Ids(self._new_id(length), self._new_id(11))
            text = passwords.write(shape, item.title, ids, rng or self._rng)
            self.tokens[ids.short] = item_id
            self.tokens[ids.token] = item_id
        return text

    def _new_id(self, length: int) -> str:
        """Letters and digits no password of the world uses yet."""
        while True:
            made = "".join(self._rng.choice(passwords.ALPHABET) for _ in range(length))
            if made not in self.tokens:
                return made

    def resolve(self, text: str) -> Item | None:
        """The item a password, item link or message names; ``None`` if none."""
        for pattern in (SHORT_RE, OLD_TOKEN_RE, DOUYIN_SHORT_RE):
            match = pattern.search(text)
            if match and match.group(1) in self.tokens:
                return self.items[self.tokens[match.group(1)]]
        url = find_url(text)
        if url is None:
            return None
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        item_id = (query.get("id") or query.get("goods_id") or [""])[0]
        if not item_id:  # JD's /product/<id>.html, Douyin's /video/<id>
            found = re.search(r"/(\d{6,})\.html|/video/(\d{6,})", parts.path)
            item_id = (found.group(1) or found.group(2)) if found else ""
        return self.items.get(item_id)

    def place_order(self, buyer: str, item_id: str, quantity: int = 1) -> Order:
        with self._lock:
            item = self.items[item_id]
            order = Order(
                f"{1800000000000 + len(self.orders) * 7919 + 13}",
                buyer,
                item_id,
                quantity,
                round(item.price * quantity, 2),
                self._clock(),
            )
            self.orders.append(order)
        return order
