"""The virtual WeChat (微信).

Chat list and the other main tabs, chat screens with live messages, the
input box with its 粘贴 menu and 发送 button, the message menu with 复制, and
the in-app browser that opens tapped links as the scenario's link policy
says: directly (the shop's H5 page), behind the unofficial-page warning,
blocked, or only by copying the address to a browser.

Android resource-ids are obfuscated per version (``RESOURCE_IDS``), and
from 8.0.55 on Android the node text is hidden from dumps.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from shareflow.links import Door
from shareflow_sim import widgets as w
from shareflow_sim.apps import web
from shareflow_sim.apps.base import App, Screen
from shareflow_sim.ui import TAIL_W, Action, Layer, Node, Rect, Style
from shareflow_sim.widgets import Choice, Kit, NavAction, Tab, Target
from shareflow_sim.world import URL_RE, Chat, Item, Message, link_kind

if TYPE_CHECKING:
    from shareflow_sim.phone import Phone

PACKAGE = "com.tencent.mm"
GREEN = "#07C160"
BUBBLE_GREEN = "#95EC69"
BG = "#EDEDED"
BAR_BG = "#F7F7F7"
LINK_BLUE = "#576B95"
GREY = "#7F7F7F"
LIGHT_GREY = "#B2B2B2"
MENU_BG = "#4C4C4C"
GROUP_AVATAR = "#8FA8C8"
# Android: from 8.0.55 node text is kept out of dumps (openatx/uiautomator2#1099); from about 8.0.61 the whole
# tree comes back empty, the window's root alone, unless an accessibility service such as TalkBack is on
# (aiselp/AutoX#125, droidrun/mobilerun-portal#142)
TEXT_HIDDEN_FROM = (8, 0, 55)
TREE_EMPTY_FROM = (8, 0, 61)
MSG_SIZE = 16.0
TIME_GAP = timedelta(minutes=5)

LAUNCHER_UI = "com.tencent.mm.ui.LauncherUI"
WEBVIEW_UI = "com.tencent.mm.plugin.webview.ui.tools.MMWebViewUI"
# screen kind -> (Android activity, iOS view controller)
ACTIVITIES = {
    "login": ("com.tencent.mm.plugin.account.ui.WelcomeActivity", "WCAccountLoginFirstViewController"),
    "main": (LAUNCHER_UI, "NewMainFrameViewController"),
    "chat": (LAUNCHER_UI, "BaseMsgContentViewController"),
    "webview": (WEBVIEW_UI, "MMWebViewController"),
    # Android's from gkd-kit/subscription (src/apps/com.tencent.mm.ts, group 电脑微信快捷自动登录); iOS's not found
    "pc_login": ("com.tencent.mm.plugin.webwx.ui.ExtDeviceWXLoginUI", "ExtDeviceLoginConfirmViewController"),
}

# Obfuscated resource-id names, one column per logical name, per release (newest <= version wins).
RID_NAMES = [
    "title",
    "back",
    "more",
    "search",
    "plus",
    "conv_list",
    "conv_row",
    "conv_avatar",
    "conv_title",
    "conv_preview",
    "conv_time",
    "badge",
    "tab",
    "tab_label",
    "msg_list",
    "msg_text",
    "msg_avatar",
    "msg_nick",
    "msg_time",
    "input",
    "send",
    "voice",
    "emoji",
    "attach",
    "web_close",
    "web_title",
    "web_more",
    "menu_item",
]
RESOURCE_IDS = {
    "8.0.16": "ko4 eh en f8y ef8 f7b btg a4l fzg fzh fzi tm f2s f30 "
    "b79 b4b au2 aun aqa al_ anv ax7 am2 aja eb7 eb9 eb8 b1s",
    "8.0.30": "obq fj fk hr5 grs h5l cj1 a_p hg1 hg2 hg3 o_i ifj ifq "
    "bqm b_l bcz bdk b_d kit b8k bjw b6s b3e ejv ejx ejw c2r",
    "8.0.49": "lm3 g0z g0 jha iyv j3q czk bbg jgv jgw jgx lq6 kpx kq5 "
    "c0o bkl bns bo2 bl_ iki bj4 bv_ bhj beq fb2 fb4 fb3 cf7",
    "8.0.55": "m9x ad2 ha7 k1f jm8 jo0 dd0 bp1 k7a k7b k7c mb4 lf9 lg1 "
    "chx bz6 c2d c2q bzk j4y bxo c9g bvm bsd fo9 foa fo_ cz3",
}
# Invented content of the static tabs, kept here.
CONTACT_ENTRIES = (
    ("新的朋友", "#FA9D3B"),
    ("仅聊天的朋友", "#FA9D3B"),
    ("群聊", GREEN),
    ("标签", "#2782D7"),
    ("公众号", "#2782D7"),
)
DISCOVER_ENTRIES = (
    ("朋友圈", "moments"),
    ("视频号", "discover"),
    ("扫一扫", "camera"),
    ("看一看", "star"),
    ("搜一搜", "search"),
    ("小程序", "link"),
)
ME_ENTRIES = (("服务", "check"), ("收藏", "star"), ("朋友圈", "moments"), ("表情", "smile"), ("设置", "more"))
MESSAGE_MENU = (
    ("copy", "复制", "copy"),
    ("forward", "转发", "share"),
    ("favorite", "收藏", "star"),
    ("delete", "删除", "close"),
    ("select", "多选", "check"),
    ("quote", "引用", "chat"),
    ("search", "搜一搜", "search"),
)


def parse_version(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def resource_ids(version: str) -> dict[str, str]:
    """The release's obfuscated resource-id names, by logical name."""
    v = parse_version(version)
    releases = sorted(RESOURCE_IDS, key=parse_version)
    release = max((r for r in releases if parse_version(r) <= v), key=parse_version, default=releases[0])
    return dict(zip(RID_NAMES, RESOURCE_IDS[release].split(), strict=True))


@dataclass
class Bubble:
    """A laid-out message: its nodes and where its bubble is."""

    message: Message
    nodes: list[Node]
    bubble: Rect


class WeChatApp(App):
    """WeChat on one phone, signed in as ``phone.account``."""

    package = PACKAGE
    bundle_id = "com.tencent.xin"
    label = "微信"
    launch_activity = LAUNCHER_UI
    schemes = ("weixin",)
    icon_color = GREEN
    notifies = True

    def __init__(self, phone: Phone, version: str) -> None:
        super().__init__(phone, version)
        android = phone.platform == "android"
        hide = android and parse_version(version) >= TEXT_HIDDEN_FROM
        self.opaque = android and parse_version(version) >= TREE_EMPTY_FROM and not phone.spec.accessibility_service
        self.kit = Kit(phone.profile, PACKAGE, resource_ids(version), hide_text=hide, look=phone.look(PACKAGE, version))
        self.web_kit = Kit(phone.profile, PACKAGE)  # a web page draws as its site does, whatever WeChat's version
        self.unread: dict[str, int] = {}
        self.drafts: dict[str, str] = {}
        # The messages this phone has: those there at install, then those delivered or sent here.
        self.known = {m.id for chat in phone.world.chats.values() for m in chat.messages}
        # main screen's tab -> its page
        self._tab_pages: dict[str, Callable[[], Node]] = {
            "chats": self._chats_page,
            "contacts": self._contacts_page,
            "discover": self._discover_page,
            "me": self._me_page,
        }

    # -- lifecycle ------------------------------------------------------------------------
    def launch(self) -> None:
        self.stack.clear()
        if self.phone.account is None:
            self.push("login")
        else:
            self.push("main", tab="chats")
            if self.phone.rng.random() < self.phone.scenario.noise.pc_login:
                self.phone.log(PACKAGE, "MicroMsg.ExtDeviceWXLoginUI: confirm a login of WeChat for Windows")
                self.push("pc_login")

    def open_url(self, url: str) -> bool:
        """``weixin://`` links just bring WeChat up where it was."""
        return url.startswith("weixin:")

    @property
    def activity(self) -> str:
        if not self.stack:
            return self.launch_activity
        android, ios = ACTIVITIES[self.top.kind]
        return ios if self.kit.ios else android

    @property
    def me(self) -> str:
        account = self.phone.account
        return account.id if account else ""

    def on_message(self, chat: Chat, message: Message) -> None:
        """A message from someone else arrived: show it, or count it and post a notification."""
        self.known.add(message.id)
        if self._viewing(chat.id):
            return
        count = self.unread.get(chat.id, 0) + 1
        self.unread[chat.id] = count
        self.phone.log(PACKAGE, f"MicroMsg.NotificationCenter: new message {message.id} in {chat.id}, unread {count}")
        preview = self._preview(chat, message)
        self.phone.notify(self.label, self._title(chat), f"[{count}条]{preview}" if count > 1 else preview)

    def _viewing(self, chat_id: str) -> bool:
        return (
            self.phone.foreground is self
            and bool(self.stack)
            and self.top.kind == "chat"
            and self.top.params["chat_id"] == chat_id
        )

    # -- helpers --------------------------------------------------------------------------
    def _chat(self, screen: Screen) -> Chat:
        return self.phone.world.chats[screen.params["chat_id"]]

    def _title(self, chat: Chat) -> str:
        return self.phone.world.chat_title(chat, self.me)

    def _nick(self, account_id: str) -> str:
        return self.phone.world.accounts[account_id].nickname

    def _avatar(self, account_id: str) -> str:
        account = self.phone.world.accounts[account_id]
        return f"avatar:{account.color}:{account.initial}"

    def _name(self, chat: Chat) -> str:
        """The group's name, or the other person's nickname."""
        if chat.kind == "group":
            return chat.name
        return self.phone.world.accounts[next(m for m in chat.members if m != self.me)].nickname

    def _chat_avatar(self, chat: Chat) -> str:
        if chat.kind == "group":
            return f"avatar:{GROUP_AVATAR}:{chat.name[:1]}"
        return self._avatar(next(m for m in chat.members if m != self.me))

    def _messages(self, chat: Chat) -> list[Message]:
        """The chat's messages as this phone has them."""
        return [m for m in chat.messages if m.id in self.known]

    def _chats(self) -> list[Chat]:
        """The account's chats, the one with the latest message here first."""
        chats = self.phone.world.chats_of(self.me)
        return sorted(chats, key=lambda c: max((m.id for m in self._messages(c)), default=0), reverse=True)

    def _preview(self, chat: Chat, message: Message) -> str:
        text = message.text.replace("\n", " ")
        if chat.kind == "group" and message.sender != self.me:
            return f"{self._nick(message.sender)}: {text}"
        return text

    # -- actions --------------------------------------------------------------------------
    def _switch_tab(self, tab: str) -> None:
        self.top.params["tab"] = tab

    def _open_chat(self, chat_id: str) -> None:
        self.unread.pop(chat_id, None)
        self.push("chat", chat_id=chat_id)

    def _open_contact(self, account_id: str) -> None:
        chat = next((c for c in self._chats() if c.kind == "p2p" and account_id in c.members), None)
        if chat is not None:
            self._open_chat(chat.id)

    def _type(self, chat_id: str, text: str) -> None:
        self.drafts[chat_id] = text

    def _paste(self, chat_id: str) -> None:
        """The user picked 粘贴: insert the clipboard (user-initiated, so no paste alert)."""
        self.top.overlays.pop("paste", None)
        text = self.phone.clipboard_text
        self.drafts[chat_id] = self.drafts.get(chat_id, "") + text
        self.phone.log(PACKAGE, f"MicroMsg.ChattingUI: pasted {len(text)} chars into the input box")

    def _send(self, chat_id: str) -> None:
        text = self.drafts.pop(chat_id, "")
        if not text:
            return
        message = self.phone.world.send(chat_id, self.me, text)
        self.known.add(message.id)
        self.phone.log(PACKAGE, f"MicroMsg.ChattingUI: sent message {message.id} to {chat_id}")

    def _copy_message(self, message: Message) -> None:
        self.top.overlays.pop("menu", None)
        self.phone.copy(message.text, self)
        self.phone.log(PACKAGE, f"MicroMsg.ChattingUI: copied message {message.id}")

    def _close_overlay(self, name: str) -> None:
        self.top.overlays.pop(name, None)

    def _open_overlay(self, name: str, value: object = True) -> None:
        self.top.overlays[name] = value

    def _long_press_input(self, chat_id: str) -> None:
        if self.phone.clipboard_text or self.drafts.get(chat_id):
            self.top.overlays["paste"] = True

    def _open_link(self, chat: Chat, url: str) -> None:
        """A link in a message was tapped: the scenario's policy decides what opens."""
        kind = link_kind(url)
        outcome = "direct" if kind is None else self.phone.scenario.outcome(Door("wechat", chat.kind, kind))
        self.phone.log(PACKAGE, f"MicroMsg.WebViewUI: open link {url} kind={kind} scene={chat.kind} outcome={outcome}")
        self.push("webview", url=url, view="item" if outcome == "direct" else outcome)

    def _proceed(self) -> None:
        url = self.top.params["url"]
        self.phone.log(PACKAGE, f"MicroMsg.WebViewUI: continue to {url}")
        self.replace("webview", url=url, view="item")

    def _open_shop_app(self, package: str, link: str) -> None:
        """The page's 打开…App: WeChat may first ask before it lets the page open another app (scenario noise
        ``leave_prompt``); 允许 opens it, 取消 stays."""
        if not self.phone.has_app(package):
            self.phone.log(PACKAGE, f"MicroMsg.WebViewUI: {package} is not installed, staying on the page", "W")
        elif self.phone.rng.random() < self.phone.scenario.noise.leave_prompt:
            self.phone.log(PACKAGE, f"MicroMsg.WebViewUI: ask before leaving WeChat for {package}")
            self._open_overlay("leave", (package, link))
        else:
            self._launch_shop_app(package, link)

    def _launch_shop_app(self, package: str, link: str) -> None:
        self._close_overlay("leave")
        self.phone.log(PACKAGE, f"MicroMsg.WebViewUI: launch {package} with {link}")
        self.phone.open_app(package, link)

    def _stay(self) -> None:
        self._close_overlay("leave")
        self.phone.log(PACKAGE, "MicroMsg.WebViewUI: stayed in WeChat")

    def _copy_url(self, url: str) -> None:
        self._close_overlay("web_menu")
        self.phone.copy(url, self)
        self.phone.toast("已复制")

    def _appeal(self) -> None:
        self.phone.toast("申请已提交，请等待审核结果")

    def _reload(self) -> None:
        self._close_overlay("web_menu")

    def _no_browser(self) -> None:
        self._close_overlay("web_menu")
        self.phone.toast("未找到可用的浏览器")

    # -- layers ----------------------------------------------------------------------------
    def layers(self) -> list[Layer]:
        screen = self.top
        if screen.kind == "main":
            tab = screen.params["tab"]
            layers = [self._layer(tab, self._tab_pages[tab]())]
        elif screen.kind == "chat":
            bubbles = self._bubbles(screen)
            layers = [self._layer("chat", self._chat_page(screen, bubbles))]
            layers += self._chat_overlays(screen, bubbles)
        elif screen.kind == "webview":
            layers = self._webview_layers(screen)
        elif screen.kind == "pc_login":
            layers = [self._layer("pc_login", self._pc_login_page())]
        else:
            layers = [self._layer("login", self._login_page())]
        return layers

    def _layer(self, name: str, root: Node, modal: bool = False) -> Layer:
        return Layer(root, PACKAGE, modal=modal, name=f"wechat.{name}", activity=self.activity, opaque=self.opaque)

    def _main_tabs(self, current: str) -> Node:
        unread = sum(self.unread.values())
        tabs = [
            Tab("wechat.tab.chats", "微信", "chat", current == "chats", lambda: self._switch_tab("chats"), unread),
            Tab(
                "wechat.tab.contacts", "通讯录", "contacts", current == "contacts", lambda: self._switch_tab("contacts")
            ),
            Tab("wechat.tab.discover", "发现", "discover", current == "discover", lambda: self._switch_tab("discover")),
            Tab("wechat.tab.me", "我", "me", current == "me", lambda: self._switch_tab("me")),
        ]
        return w.tab_bar(self.kit, "wechat.tabs", tabs, accent=GREEN, rid="tab", label_rid="tab_label")

    # -- login --------------------------------------------------------------------------------
    def _login_page(self) -> Node:
        k = self.kit
        bw = (k.w - 64) / 2
        return k.screen(
            "wechat.login",
            "#FFFFFF",
            [
                k.image(Rect(k.w / 2 - 40, k.h * 0.28, 80, 80), f"appicon:{GREEN}:微信"),
                self._sign_in_button(Rect(24, k.bottom - 88, bw, 48), w.ignore, "wechat.login.login"),
                k.button(
                    Rect(40 + bw, k.bottom - 88, bw, 48),
                    "注册",
                    w.ignore,
                    key="wechat.login.register",
                    bg="#F2F2F2",
                    fg=GREEN,
                    size=17,
                    bold=True,
                    radius=8,
                ),
            ],
        )

    def _sign_in_button(self, frame: Rect, on_tap: Action, key: str) -> Node:
        """WeChat's green 登录 button: its sign-in page's, and its prompt to sign in WeChat for Windows'."""
        return self.kit.button(frame, "登录", on_tap, key=key, bg=GREEN, fg="#FFFFFF", size=17, bold=True, radius=8)

    def _pc_login_page(self) -> Node:
        """WeChat for Windows asks to sign in (someone chose 登录 on a PC): a green 登录 button with
        取消登录 below it (gkd-kit/subscription, group 电脑微信快捷自动登录: ``TextView[text="取消登录"] -
        Button[text="登录"]``). The heading and the picture were not found: drawn plausibly here."""
        k = self.kit
        return k.screen(
            "wechat.pc_login",
            "#FFFFFF",
            [
                k.image(Rect(k.w / 2 - 40, k.h * 0.22, 80, 80), "appicon:#B2B2B2:PC"),
                k.text(
                    Rect(24, k.h * 0.22 + 100, k.w - 48, 32),
                    "登录 Windows 微信",
                    key="wechat.pc_login.title",
                    size=20,
                    bold=True,
                    align="center",
                ),
                self._sign_in_button(
                    Rect(k.w / 2 - 92, k.bottom - 160, 184, 48), self._pc_login, "wechat.pc_login.login"
                ),
                k.button(
                    Rect(k.w / 2 - 92, k.bottom - 96, 184, 40),
                    "取消登录",
                    self._pc_login_cancelled,
                    key="wechat.pc_login.cancel",
                    bg="#FFFFFF",
                    fg="#576B95",
                    size=16,
                ),
            ],
        )

    def _pc_login(self) -> None:
        self.phone.log(PACKAGE, "MicroMsg.ExtDeviceWXLoginUI: WeChat for Windows signed in")
        self.pop()

    def _pc_login_cancelled(self) -> None:
        self.phone.log(PACKAGE, "MicroMsg.ExtDeviceWXLoginUI: login cancelled")
        self.pop()

    # -- chat list -------------------------------------------------------------------------------
    def _chats_page(self) -> Node:
        k = self.kit
        unread = sum(self.unread.values())
        nav = w.nav_bar(
            k,
            "wechat.main.nav",
            f"微信({unread})" if unread else "微信",
            actions=[
                NavAction("wechat.main.search", "search", "搜索", w.ignore, rid="search"),
                NavAction("wechat.main.plus", "plus", "更多功能按钮", w.ignore, rid="plus"),
            ],
            bg=BG,
            title_rid="title",
            center=True,
        )
        tabs = self._main_tabs("chats")
        frame = Rect(0, nav.frame.bottom, k.w, tabs.frame.y - nav.frame.bottom)
        chats = self._chats()
        row_h = 72.0
        scroll = self.scrolled("wechat.conv_list", frame.h, len(chats) * row_h)
        rows = []
        for i, chat in enumerate(chats):  # the rows with a part in view: the list draws them cut to its frame
            y = frame.y - scroll.offset + i * row_h
            if y + row_h > frame.y and y < frame.bottom:
                rows.append(self._conv_row(chat, Rect(0, y, k.w, row_h)))
        listing = k.node(
            "list",
            frame,
            "wechat.conv_list",
            rid="conv_list",
            scrollable=True,
            scroll=scroll,
            style=Style(bg="#FFFFFF"),
            children=rows,
        )
        return k.screen("wechat.chats", "#FFFFFF", [nav, listing, tabs])

    def _conv_row(self, chat: Chat, frame: Rect) -> Node:
        k = self.kit
        key = f"wechat.conv.{chat.id}"
        messages = self._messages(chat)
        last = messages[-1] if messages else None
        x = 76.0
        children = [
            k.image(
                Rect(16, frame.y + 12, 48, 48),
                self._chat_avatar(chat),
                key=f"{key}.avatar",
                desc=f"{self._name(chat)}头像",
                rid="conv_avatar",
                radius=6,
            ),
            k.text(
                Rect(x, frame.y + 12, k.w - x - 70, 26),
                self._title(chat),
                key=f"{key}.title",
                rid="conv_title",
                size=17,
            ),
            k.divider(x, frame.bottom - 0.5, k.w - x),
        ]
        if last is not None:
            children += [
                k.text(
                    Rect(x, frame.y + 38, k.w - x - 16, 22),
                    self._preview(chat, last),
                    key=f"{key}.preview",
                    rid="conv_preview",
                    size=14,
                    fg=GREY,
                ),
                k.text(
                    Rect(k.w - 76, frame.y + 12, 60, 22),
                    f"{last.time:%H:%M}",
                    key=f"{key}.time",
                    rid="conv_time",
                    size=12,
                    fg=LIGHT_GREY,
                    align="right",
                ),
            ]
        count = self.unread.get(chat.id, 0)
        if count:
            children.append(w.badge(k, f"{key}.badge", 62, frame.y + 13, count))
        return k.node(
            "cell",
            frame,
            key,
            rid="conv_row",
            style=Style(bg="#FFFFFF"),
            on_tap=lambda: self._open_chat(chat.id),
            children=children,
        )

    # -- the other tabs ---------------------------------------------------------------------------
    def _tab_page(self, tab: str, title: str, children: list[Node], actions: tuple[NavAction, ...] = ()) -> Node:
        k = self.kit
        nav = w.nav_bar(k, f"wechat.{tab}.nav", title, actions=actions, bg=BG, title_rid="title", center=True)
        return k.screen(f"wechat.{tab}", BG, [nav, *children, self._main_tabs(tab)])

    def _contacts_page(self) -> Node:
        k = self.kit
        tabs = self._main_tabs("contacts")
        frame = Rect(0, k.top + k.nav_h, k.w, tabs.frame.y - k.top - k.nav_h)
        others = sorted((a for a in self.phone.world.accounts.values() if a.id != self.me), key=lambda a: a.nickname)
        scroll = self.scrolled("wechat.contacts.list", frame.h, len(CONTACT_ENTRIES) * 56 + 28 + len(others) * 56)
        y = frame.y - scroll.offset
        rows = []
        for i, (label, color) in enumerate(CONTACT_ENTRIES):
            rows.append(
                w.cell(k, f"wechat.contacts.entry{i}", Rect(0, y, k.w, 56), label, icon=f"appicon:{color}:{label[:1]}")
            )
            y += 56
        rows.append(k.text(Rect(16, y, k.w - 32, 28), "联系人", size=13, fg=GREY))
        y += 28
        for account in others:
            rows.append(
                w.cell(
                    k,
                    f"wechat.contact.{account.id}",
                    Rect(0, y, k.w, 56),
                    account.nickname,
                    icon=self._avatar(account.id),
                    on_tap=lambda a=account.id: self._open_contact(a),
                )
            )
            y += 56
        shown = [row for row in rows if row.frame.bottom > frame.y and row.frame.y < frame.bottom]
        listing = k.node("list", frame, "wechat.contacts.list", scrollable=True, scroll=scroll, children=shown)
        return self._tab_page(
            "contacts",
            "通讯录",
            [listing],
            (NavAction("wechat.contacts.add", "plus", "添加朋友", w.ignore, rid="plus"),),
        )

    def _discover_page(self) -> Node:
        k = self.kit
        y = k.top + k.nav_h + 8
        rows = []
        for i, (label, icon) in enumerate(DISCOVER_ENTRIES):
            rows.append(
                w.cell(
                    k,
                    f"wechat.discover.entry{i}",
                    Rect(0, y, k.w, 56),
                    label,
                    icon=icon,
                    icon_size=24,
                    icon_fg="#3D83E6",
                    chevron=True,
                    on_tap=w.ignore,
                )
            )
            y += 56 + (8 if i in (1, 2, 4) else 0)
        return self._tab_page("discover", "发现", rows)

    def _me_page(self) -> Node:
        k = self.kit
        account = self.phone.account
        y = k.top + k.nav_h
        header = k.node(
            "view",
            Rect(0, y, k.w, 112),
            "wechat.me.profile",
            style=Style(bg="#FFFFFF"),
            children=[
                k.image(Rect(24, y + 24, 64, 64), self._avatar(self.me) if account else "me", radius=8),
                k.text(
                    Rect(104, y + 28, k.w - 128, 30),
                    account.nickname if account else "",
                    key="wechat.me.nickname",
                    size=21,
                    bold=True,
                ),
                k.text(Rect(104, y + 60, k.w - 128, 22), f"微信号：{self.me}", key="wechat.me.id", size=14, fg=GREY),
            ],
        )
        rows = [header]
        y += 120
        for i, (label, icon) in enumerate(ME_ENTRIES):
            rows.append(
                w.cell(
                    k,
                    f"wechat.me.entry{i}",
                    Rect(0, y, k.w, 56),
                    label,
                    icon=icon,
                    icon_size=24,
                    icon_fg="#3D83E6",
                    chevron=True,
                    on_tap=w.ignore,
                )
            )
            y += 56 + (8 if i in (0, 3) else 0)
        return self._tab_page("me", "", rows)

    # -- chat ----------------------------------------------------------------------------------
    def _input_lines(self, draft: str) -> int:
        return max(1, min(4, len(self.kit.wrap(draft, MSG_SIZE, self._input_width(bool(draft)) - 16))))

    def _input_width(self, has_text: bool) -> float:
        return self.kit.w - 48 - 44 - (72 if has_text else 44)

    def _input_frame(self, draft: str) -> Rect:
        k = self.kit
        h = max(38.0, k.block(self._input_lines(draft), MSG_SIZE) + 10)
        return Rect(48, k.bottom - h - 10, self._input_width(bool(draft)), h)

    def _chat_page(self, screen: Screen, bubbles: list[Bubble]) -> Node:
        k = self.kit
        chat = self._chat(screen)
        nav = w.nav_bar(
            k,
            "wechat.chat.nav",
            self._title(chat),
            back=self.pop,
            back_rid="back",
            actions=[NavAction("wechat.chat.info", "more", "聊天信息", w.ignore, rid="more")],
            bg=BG,
            title_rid="title",
        )
        bar = self._input_bar(chat.id)
        listing = k.node(
            "list",
            Rect(0, nav.frame.bottom, k.w, bar.frame.y - nav.frame.bottom),
            "wechat.chat.messages",
            rid="msg_list",
            scrollable=True,
            children=[n for b in bubbles for n in b.nodes],
        )
        return k.screen("wechat.chat", BG, [listing, nav, bar])

    def _input_bar(self, chat_id: str) -> Node:
        k = self.kit
        draft = self.drafts.get(chat_id, "")
        field = self._input_frame(draft)
        y = field.y - 10
        icon_y = field.bottom - 19
        children = [
            k.icon_button(
                Rect(4, icon_y - 20, 40, 40),
                "voice",
                "切换到按住说话",
                w.ignore,
                key="wechat.chat.voice",
                fg="#181818",
                glyph=28,
                rid="voice",
            ),
            k.node(
                "edit",
                field,
                "wechat.chat.input",
                rid="input",
                cls="XCUIElementTypeTextView" if k.ios else "",
                value=draft,
                style=Style(bg="#FFFFFF", size=MSG_SIZE, radius=4, pad=8, lines=self._input_lines(draft)),
                on_tap=w.ignore,
                on_long_press=lambda: self._long_press_input(chat_id),
                on_text=lambda text: self._type(chat_id, text),
            ),
            k.icon_button(
                Rect(field.right + 2, icon_y - 20, 40, 40),
                "smile",
                "表情",
                w.ignore,
                key="wechat.chat.emoji",
                fg="#181818",
                glyph=28,
                rid="emoji",
            ),
        ]
        if draft:
            children.append(
                k.button(
                    Rect(k.w - 68, icon_y - 17, 60, 34),
                    "发送",
                    lambda: self._send(chat_id),
                    key="wechat.chat.send",
                    rid="send",
                    bg=GREEN,
                    fg="#FFFFFF",
                    size=15,
                    radius=4,
                    bold=True,
                )
            )
        else:
            children.append(
                k.icon_button(
                    Rect(k.w - 46, icon_y - 20, 40, 40),
                    "plus",
                    "更多功能按钮，已折叠",
                    w.ignore,
                    key="wechat.chat.plus",
                    fg="#181818",
                    glyph=28,
                    rid="attach",
                )
            )
        return k.node(
            "view",
            Rect(0, y, k.w, k.h - y),
            "wechat.chat.bar",
            style=Style(bg=BAR_BG),
            children=[k.divider(0, y, k.w, "#DCDCDC"), *children],
        )

    def _bubbles(self, screen: Screen) -> list[Bubble]:
        """The messages that fit between the title bar and the input bar: from the top while
        they all fit, else the newest ones anchored at the bottom (as a chat opens scrolled down)."""
        k = self.kit
        chat = self._chat(screen)
        top = k.top + k.nav_h
        bottom = self._input_frame(self.drafts.get(chat.id, "")).y - 10
        laid: list[tuple[Message, bool, float]] = []
        previous = None
        for message in self._messages(chat):
            stamp = previous is None or message.time - previous.time > TIME_GAP
            laid.append((message, stamp, self._message_height(chat, message, stamp)))
            previous = message
        total = sum(h for _, _, h in laid)
        y = top + 8 if total <= bottom - top - 16 else bottom - 8 - total
        bubbles = []
        for message, stamp, h in laid:
            if y >= top:
                bubbles.append(self._message(chat, message, stamp, y))
            y += h
        return bubbles

    def _text_width(self) -> float:
        return self.kit.w - 2 * (12 + 40 + 8) - 24 - 24

    def _others(self, chat: Chat, message: Message) -> bool:
        return chat.kind == "group" and message.sender != self.me

    def _message_height(self, chat: Chat, message: Message, stamp: bool) -> float:
        lines = len(self.kit.wrap(message.text, MSG_SIZE, self._text_width()))
        bubble_h = max(40.0, lines * MSG_SIZE * 1.4 + 18)
        return (32 if stamp else 0) + (20 if self._others(chat, message) else 0) + bubble_h + 16

    def _message(self, chat: Chat, message: Message, stamp: bool, y: float) -> Bubble:
        k = self.kit
        key = f"wechat.msg.{message.id}"
        mine = message.sender == self.me
        nodes: list[Node] = []
        if stamp:
            nodes.append(
                k.text(
                    Rect(0, y + 4, k.w, 24),
                    f"{message.time:%H:%M}",
                    key=f"{key}.time",
                    rid="msg_time",
                    size=12,
                    fg=LIGHT_GREY,
                    align="center",
                )
            )
            y += 32
        nick = self._nick(message.sender)
        avatar_x = k.w - 52 if mine else 12
        nodes.append(
            k.image(
                Rect(avatar_x, y, 40, 40),
                self._avatar(message.sender),
                key=f"{key}.avatar",
                desc=f"{nick}头像",
                rid="msg_avatar",
                radius=4,
            )
        )
        if self._others(chat, message):
            nodes.append(
                k.text(Rect(64, y - 2, k.w - 128, 18), nick, key=f"{key}.nick", rid="msg_nick", size=12, fg=GREY)
            )
            y += 20
        lines = k.wrap(message.text, MSG_SIZE, self._text_width())
        text_w = max(k.measure(line, MSG_SIZE) for line in lines) + 2
        bubble_w = text_w + 24
        bubble = Rect(k.w - 60 - bubble_w if mine else 60, y, bubble_w, max(40.0, len(lines) * MSG_SIZE * 1.4 + 18))
        segments = self._segments(chat, message, lines, bubble)
        nodes.append(
            k.node(
                "view",
                Rect(bubble.x if mine else bubble.x - TAIL_W, y, bubble.w + TAIL_W, bubble.h),  # with its tail
                key,
                style=Style(bg=BUBBLE_GREEN if mine else "#FFFFFF", radius=5, tail="right" if mine else "left"),
                on_long_press=lambda: self._open_overlay("menu", message.id),
                children=segments,
            )
        )
        return Bubble(message, nodes, bubble)

    def _segments(self, chat: Chat, message: Message, lines: tuple[str, ...], bubble: Rect) -> list[Node]:
        """The bubble's text, line by line, with each web address as a tappable link run."""
        k = self.kit
        text = message.text
        links = [(m.start(), m.end(), m.group(0)) for m in URL_RE.finditer(text)]
        step = MSG_SIZE * 1.4
        y0 = bubble.y + (bubble.h - len(lines) * step) / 2
        nodes = []
        cursor = 0
        for i, line in enumerate(lines):
            start = text.find(line, cursor) if line else cursor
            end = start + len(line)
            cursor = end
            cuts = sorted({start, end, *(p for a, b, _ in links for p in (a, b) if start < p < end)})
            for j, (a, b) in enumerate(itertools.pairwise(cuts)):
                url = next((u for la, lb, u in links if la <= a and b <= lb), None)
                x = bubble.x + 12 + k.measure(text[start:a], MSG_SIZE)
                frame = Rect(x, y0 + i * step, k.measure(text[a:b], MSG_SIZE) + 2, step)
                style = Style(size=MSG_SIZE, fg=LINK_BLUE if url else "#191919")
                seg_key = f"wechat.msg.{message.id}.{'link' if url else 'text'}{i}.{j}"
                nodes.append(
                    k.node(
                        "text",
                        frame,
                        seg_key,
                        rid="msg_text",
                        text=text[a:b],
                        style=style,
                        on_tap=(lambda u=url: self._open_link(chat, u)) if url else None,
                        on_long_press=(lambda: self._open_overlay("menu", message.id)) if url else None,
                    )
                )
        return nodes

    def _chat_overlays(self, screen: Screen, bubbles: list[Bubble]) -> list[Layer]:
        layers = []
        chat_id = screen.params["chat_id"]
        for name, value in screen.overlays.items():
            if name == "paste":
                layers.append(self._layer("chat.paste_menu", self._paste_menu(chat_id), modal=True))
            elif name == "menu":
                bubble = next((b for b in bubbles if b.message.id == value), None)
                if bubble is not None:
                    layers.append(self._layer("chat.message_menu", self._message_menu(bubble), modal=True))
        return layers

    def _paste_menu(self, chat_id: str) -> Node:
        choices = []
        if self.phone.clipboard_text:
            choices.append(Choice("paste", "粘贴", lambda: self._paste(chat_id)))
        if self.drafts.get(chat_id):
            choices.append(Choice("select_all", "全选", lambda: self._close_overlay("paste")))
        anchor = self._input_frame(self.drafts.get(chat_id, ""))
        return w.edit_menu(self.kit, "wechat.chat.paste_menu", anchor, choices, lambda: self._close_overlay("paste"))

    def _message_menu(self, bubble: Bubble) -> Node:
        """WeChat's dark long-press menu: icons over labels, five to a row."""
        k = self.kit
        cols, cw, ch = 5, 56.0, 62.0
        rows = (len(MESSAGE_MENU) + cols - 1) // cols
        mw, mh = cols * cw + 8, rows * ch + 8
        x = min(max(bubble.bubble.cx - mw / 2, 8), k.w - 8 - mw)
        above = bubble.bubble.y - mh - 8
        y = above if above > k.top + k.nav_h else bubble.bubble.bottom + 8
        message = bubble.message
        items = []
        for i, (name, label, icon) in enumerate(MESSAGE_MENU):
            ix, iy = x + 4 + (i % cols) * cw, y + 4 + (i // cols) * ch
            action = (lambda: self._copy_message(message)) if name == "copy" else (lambda: self._close_overlay("menu"))
            items.append(
                k.node(
                    "button",
                    Rect(ix, iy, cw, ch),
                    f"wechat.menu.{name}",
                    rid="menu_item",
                    desc=label,
                    on_tap=action,
                    children=[
                        k.image(Rect(ix + 16, iy + 8, 24, 24), icon, fg="#FFFFFF"),
                        k.text(Rect(ix, iy + 36, cw, 20), label, size=12, fg="#FFFFFF", align="center"),
                    ],
                )
            )
        panel = k.node(
            "view",
            Rect(x, y, mw, mh),
            "wechat.menu",
            style=Style(bg=MENU_BG, radius=8),
            children=items,
            on_tap=w.ignore,
        )
        return k.overlay("wechat.menu.scrim", [panel], dim="#00000000", on_outside=lambda: self._close_overlay("menu"))

    # -- in-app browser -----------------------------------------------------------------------------
    def _web_item(self, url: str) -> Item | None:
        """The item a link names; the seeded defect swaps it for another of the same shop."""
        item = self.phone.world.resolve(url)
        if item is None or not self.phone.scenario.has("h5_wrong_item"):
            return item
        same = [i for i in self.phone.world.items.values() if i.shop == item.shop]
        return same[(same.index(item) + 1) % len(same)]

    def _page(self, screen: Screen, frame: Rect) -> web.Page:
        url, view = screen.params["url"], screen.params["view"]
        actions = web.WebActions(self._proceed, self._open_shop_app, self._copy_url, self._appeal)
        k = self.web_kit
        if view == "interstitial":
            return web.interstitial_page(k, frame, url, actions)
        if view == "blocked":
            return web.blocked_page(k, frame, actions)
        if view == "copy_to_browser":
            return web.copy_to_browser_page(k, frame, url, actions)
        kind = link_kind(url)
        if kind is None:
            return web.error_page(k, frame, url)
        item = self._web_item(url)
        return web.item_page(k, frame, item.shop if item else kind, item, actions)

    def _webview_layers(self, screen: Screen) -> list[Layer]:
        k = self.kit
        top = k.top + k.nav_h
        page = self._page(screen, Rect(0, top, k.w, k.h - top))
        nav = w.nav_bar(
            k,
            "wechat.web.nav",
            page.title,
            back=self.pop,
            back_desc="关闭",
            back_icon="close",
            back_rid="web_close",
            actions=[
                NavAction("wechat.web.more", "more", "更多", lambda: self._open_overlay("web_menu"), rid="web_more")
            ],
            bg=BG,
            title_rid="web_title",
            center=True,
        )
        layers = [self._layer(f"webview.{page.name}", k.screen("wechat.webview", BG, [page.body, nav]))]
        if "web_menu" in screen.overlays:
            url = screen.params["url"]
            targets = [
                Target("copy_link", "复制链接", "link", "#8A8A8A", lambda: self._copy_url(url)),
                Target("browser", "在浏览器打开", "discover", "#2782D7", self._no_browser),
                Target("reload", "刷新", "check", "#8A8A8A", self._reload),
            ]
            sheet = w.share_sheet(
                k, "wechat.web.menu", f"网页由 {web_host(url)} 提供", targets, lambda: self._close_overlay("web_menu")
            )
            layers.append(self._layer("webview.menu", sheet, modal=True))
        if "leave" in screen.overlays:
            layers.append(self._layer("webview.leave", self._leave_prompt(*screen.overlays["leave"]), modal=True))
        return layers

    def _leave_prompt(self, package: str, link: str) -> Node:
        """WeChat asks before a page opens another app: 即将离开微信，打开“<app>” with 取消 and 允许, over its
        web view (gkd-kit/subscription, com.tencent.mm group 功能类-自动允许打开外部应用: `[text^="即将离开微信"]`
        and `[text="允许"]` in MMWebViewUI; Auto.js scripts tap 允许 on `text('即将离开微信，打开“拼多多”')`)."""
        label = next(shop.app_label for shop in web.SHOPS.values() if shop.package == package)
        choices = [
            Choice("cancel", "取消", self._stay),
            Choice("allow", "允许", lambda: self._launch_shop_app(package, link), primary=True),
        ]
        return w.dialog(self.kit, "wechat.leave", f"即将离开微信，打开“{label}”", "", choices, accent=GREEN)


def web_host(url: str) -> str:
    """The host a page is served from, as the browser's menu names it."""
    return url.split("//", 1)[-1].split("/", 1)[0]
