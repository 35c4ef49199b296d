"""Shared building blocks of the virtual apps, each in an Android and an iOS look.

A :class:`Kit` knows the phone's profile, the owning app's package, its
resource-id table and whether node text is hidden from dumps (WeChat >= 8.0.55
on Android); every widget builds :class:`~shareflow_sim.ui.Node` trees through
it, in logical units, so one layout serves every screen size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shareflow_sim.looks import PLAIN, Look
from shareflow_sim.profiles import Profile
from shareflow_sim.render import LINE_SPACING, text_width, wrap_text
from shareflow_sim.ui import Action, Node, Rect, Role, Style

SCRIM = "#00000080"
INK = "#191919"
GREY = "#888888"
IOS_BLUE = "#007AFF"
IOS_SEPARATOR = "#C6C6C8"
ANDROID_GREY = "#5F6368"
BADGE_RED = "#FA5151"
HAIRLINE = 0.5

Align = Literal["left", "center", "right"]


def ignore() -> None:
    """Tap handler of panels that swallow taps (a sheet over a dismissing scrim)."""


@dataclass(frozen=True)
class Kit:
    """How one app draws on one phone."""

    profile: Profile
    package: str
    ids: Mapping[str, str] = field(default_factory=dict)  # logical name -> resource-id name
    hide_text: bool = False
    look: Look = PLAIN  # the app version's own text size, colours and spacing

    # -- geometry -------------------------------------------------------------
    @property
    def ios(self) -> bool:
        return self.profile.platform == "ios"

    @property
    def w(self) -> float:
        return self.profile.width

    @property
    def h(self) -> float:
        return self.profile.height

    @property
    def top(self) -> float:
        """Where app content starts: below the status bar."""
        return self.profile.status_bar

    @property
    def bottom(self) -> float:
        """Where app content ends: above the navigation bar / home indicator."""
        return self.profile.height - self.profile.bottom_bar

    @property
    def nav_h(self) -> float:
        """Height of a navigation bar."""
        return 44.0 if self.ios else 52.0

    @property
    def full(self) -> Rect:
        return Rect(0, 0, self.w, self.h)

    # -- text metrics ---------------------------------------------------------
    def wrap(self, text: str, size: float, width: float, bold: bool = False) -> tuple[str, ...]:
        """``text`` broken into lines exactly as the renderer breaks it in ``width``."""
        k = self.profile.scale
        return wrap_text(self.profile.font, text, round(size * self.look.text * k), bold, round(width * k), 10_000)

    @staticmethod
    def block(lines: int, size: float) -> float:
        """A frame height that holds ``lines`` lines of text of ``size``."""
        return size * (1.25 + LINE_SPACING * (lines - 1)) + 4

    def measure(self, text: str, size: float, bold: bool = False) -> float:
        """The width of one line of ``text``."""
        font, px = self.profile.font, round(size * self.look.text * self.profile.scale)
        stroke = 2 * max(1, round(px / 30)) if bold and font.bold is None else 0
        return (text_width(font, text, px, bold) + stroke) / self.profile.scale

    # -- nodes ----------------------------------------------------------------
    def rid(self, name: str) -> str:
        """The full Android resource-id for a logical name (none on iOS)."""
        if not name or self.ios:
            return ""
        return f"{self.package}:id/{self.ids.get(name, name)}"

    def node(self, role: Role, frame: Rect, key: str = "", *, rid: str = "", **kw: Any) -> Node:
        """A node owned by this app (resource-id resolved, text hidden if the app hides it, drawn in its look)."""
        if "style" in kw:
            kw["style"] = self.look.restyle(kw["style"])
        return Node(role, frame, key=key, rid=self.rid(rid), hide_text=self.hide_text, **kw)

    def text(
        self,
        frame: Rect,
        text: str,
        *,
        key: str = "",
        size: float = 16,
        fg: str = INK,
        bold: bool = False,
        align: Align = "left",
        lines: int = 1,
        bg: str | None = None,
        radius: float = 0,
        rid: str = "",
        desc: str = "",
        valign: Literal["top", "middle", "bottom"] = "middle",
    ) -> Node:
        style = Style(bg=bg, fg=fg, size=size, bold=bold, align=align, lines=lines, radius=radius, valign=valign)
        return self.node("text", frame, key, rid=rid, text=text, desc=desc, style=style)

    def image(
        self,
        frame: Rect,
        icon: str,
        *,
        key: str = "",
        fg: str = INK,
        bg: str | None = None,
        radius: float = 0,
        desc: str = "",
        rid: str = "",
    ) -> Node:
        return self.node("image", frame, key, rid=rid, desc=desc, style=Style(icon=icon, fg=fg, bg=bg, radius=radius))

    def button(
        self,
        frame: Rect,
        text: str,
        on_tap: Action | None,
        *,
        key: str,
        bg: str | None = None,
        fg: str = INK,
        size: float = 16,
        radius: float = 4,
        bold: bool = False,
        border: str | None = None,
        enabled: bool = True,
        rid: str = "",
        desc: str = "",
        ident: str = "",
    ) -> Node:
        style = Style(bg=bg, fg=fg, size=size, radius=radius, bold=bold, border=border, align="center")
        return self.node(
            "button",
            frame,
            key,
            rid=rid,
            text=text,
            desc=desc,
            ident=ident,
            style=style,
            on_tap=on_tap,
            enabled=enabled,
        )

    def icon_button(
        self,
        frame: Rect,
        icon: str,
        desc: str,
        on_tap: Action | None,
        *,
        key: str,
        fg: str = INK,
        bg: str | None = None,
        border: str | None = None,
        glyph: float = 24,
        rid: str = "",
        ident: str = "",
    ) -> Node:
        """A tappable area (``frame``) with a ``glyph``-sized icon centred in it; round if filled or outlined."""
        g = Rect(frame.cx - glyph / 2, frame.cy - glyph / 2, glyph, glyph)
        radius = min(frame.w, frame.h) / 2 if bg or border else 0
        return self.node(
            "button",
            frame,
            key,
            rid=rid,
            desc=desc,
            ident=ident,
            style=Style(bg=bg, radius=radius, border=border),
            on_tap=on_tap,
            children=[Node("image", g, style=Style(icon=icon, fg=fg))],
        )

    def divider(self, x: float, y: float, w: float, color: str = "#E5E5E5") -> Node:
        return Node("view", Rect(x, y, w, HAIRLINE), style=Style(bg=color))

    def screen(self, key: str, bg: str, children: list[Node]) -> Node:
        """The full-screen root of a screen's layer."""
        return self.node("view", self.full, key, style=Style(bg=bg), children=children)

    def overlay(self, key: str, children: list[Node], *, dim: str = SCRIM, on_outside: Action | None = None) -> Node:
        """The full-screen root of a modal layer: a scrim, tapping it runs ``on_outside``."""
        return self.node("view", self.full, key, style=Style(bg=dim), children=children, on_tap=on_outside)


# -- navigation bar -------------------------------------------------------------
@dataclass(frozen=True)
class NavAction:
    """An icon button at the right of a navigation bar."""

    key: str
    icon: str
    desc: str
    action: Action | None
    rid: str = ""


def nav_bar(
    kit: Kit,
    key: str,
    title: str,
    *,
    back: Action | None = None,
    back_desc: str = "返回",
    back_icon: str | None = None,
    back_rid: str = "",
    actions: Sequence[NavAction] = (),
    bg: str = "#EDEDED",
    fg: str = INK,
    title_rid: str = "",
    center: bool | None = None,
) -> Node:
    """A top bar (its background fills the status bar too): Android ← and a left title,
    iOS ‹ and a centred title; icon actions at the right."""
    top, h = kit.top, kit.nav_h
    center = kit.ios if center is None else center
    children: list[Node] = []
    if back is not None:
        icon = back_icon or ("chevron_left" if kit.ios else "back")
        children.append(
            kit.icon_button(
                Rect(2 if kit.ios else 4, top + (h - 44) / 2, 44, 44),
                icon,
                back_desc,
                back,
                key=f"{key}.back",
                fg=fg,
                rid=back_rid,
            )
        )
    right = kit.w - 4
    for action in reversed(actions):
        right -= 44
        frame = Rect(right, top + (h - 44) / 2, 44, 44)
        children.append(
            kit.icon_button(frame, action.icon, action.desc, action.action, key=action.key, fg=fg, rid=action.rid)
        )
    side = max(kit.w - right, 52 if back else 16)
    if center:
        frame = Rect(side, top, kit.w - 2 * side, h)
    else:
        left = 56 if back else 16
        frame = Rect(left, top, right - left - 4, h)
    children.append(
        kit.text(
            frame,
            title,
            key=f"{key}.title",
            size=17,
            fg=fg,
            bold=True,
            align="center" if center else "left",
            rid=title_rid,
        )
    )
    return kit.node("nav", Rect(0, 0, kit.w, top + h), key, style=Style(bg=bg), children=children)


# -- dialogs ------------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """A button of a dialog or menu; ``primary`` marks the default action."""

    key: str
    label: str
    action: Action
    primary: bool = False


def dialog(
    kit: Kit,
    key: str,
    title: str,
    message: str,
    choices: Sequence[Choice],
    *,
    accent: str | None = None,
    message_lines: int = 6,
) -> Node:
    """A modal dialog: a Material dialog on Android, an alert on iOS. The root is the scrim."""
    panel = (
        _ios_alert(kit, key, title, message, choices, accent, message_lines)
        if kit.ios
        else _material_dialog(kit, key, title, message, choices, accent, message_lines)
    )
    return kit.overlay(f"{key}.scrim", [panel])


def _material_dialog(
    kit: Kit, key: str, title: str, message: str, choices: Sequence[Choice], accent: str | None, max_lines: int
) -> Node:
    dw = min(kit.w - 48, 328)
    pad = 24
    tw = dw - 2 * pad
    n = min(len(kit.wrap(message, 15, tw)), max_lines)
    title_h = kit.block(1, 19)
    msg_h = kit.block(n, 15)
    dh = pad + title_h + 12 + msg_h + 8 + 52
    x, y = (kit.w - dw) / 2, (kit.h - dh) / 2
    children = [
        kit.text(Rect(x + pad, y + pad, tw, title_h), title, key=f"{key}.title", size=19, bold=True),
        kit.text(
            Rect(x + pad, y + pad + title_h + 12, tw, msg_h),
            message,
            key=f"{key}.message",
            size=15,
            fg=ANDROID_GREY,
            lines=n,
            valign="top",
        ),
    ]
    right = x + dw - 8
    for choice in sorted(choices, key=lambda c: c.primary, reverse=True):
        bw = max(64, kit.measure(choice.label, 15, bold=True) + 24)
        right -= bw
        children.append(
            kit.button(
                Rect(right, y + dh - 48, bw, 40),
                choice.label,
                choice.action,
                key=f"{key}.{choice.key}",
                fg=accent or "#1A73E8" if choice.primary else ANDROID_GREY,
                size=15,
                bold=True,
            )
        )
        right -= 8
    return kit.node(
        "alert", Rect(x, y, dw, dh), key, style=Style(bg="#FFFFFF", radius=8), children=children, on_tap=ignore
    )


def _ios_alert(
    kit: Kit, key: str, title: str, message: str, choices: Sequence[Choice], accent: str | None, max_lines: int
) -> Node:
    dw, pad = 270.0, 16.0
    tw = dw - 2 * pad
    n = min(len(kit.wrap(message, 13, tw)), max_lines)
    title_h = kit.block(1, 17)
    msg_h = kit.block(n, 13)
    body_h = 20 + title_h + 2 + msg_h + 18
    dh = body_h + 44
    x, y = (kit.w - dw) / 2, (kit.h - dh) / 2
    children = [
        kit.text(Rect(x + pad, y + 20, tw, title_h), title, key=f"{key}.title", size=17, bold=True, align="center"),
        kit.text(
            Rect(x + pad, y + 22 + title_h, tw, msg_h),
            message,
            key=f"{key}.message",
            size=13,
            align="center",
            lines=n,
            valign="top",
        ),
        kit.divider(x, y + body_h, dw, IOS_SEPARATOR),
    ]
    bw = dw / len(choices)
    for i, choice in enumerate(choices):
        if i:
            children.append(Node("view", Rect(x + i * bw, y + body_h, HAIRLINE, 44), style=Style(bg=IOS_SEPARATOR)))
        children.append(
            kit.button(
                Rect(x + i * bw, y + body_h, bw, 44),
                choice.label,
                choice.action,
                key=f"{key}.{choice.key}",
                fg=accent or IOS_BLUE,
                size=17,
                bold=choice.primary,
                radius=0,
            )
        )
    return kit.node(
        "alert", Rect(x, y, dw, dh), key, style=Style(bg="#F2F2F2", radius=14), children=children, on_tap=ignore
    )


# -- share sheet ---------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A share target: a coloured round tile with a glyph and a label under it."""

    key: str
    label: str
    icon: str
    color: str
    action: Action


def share_sheet(kit: Kit, key: str, title: str, targets: Sequence[Target], cancel: Action) -> Node:
    """A bottom sheet of share targets and 取消: flush to the bottom with rounded top corners on
    Android, two inset cards (targets, then a separate 取消 card) on iOS. The root is the scrim."""
    cols = 4
    tile, cell_h = 52.0, 88.0
    rows = (len(targets) + cols - 1) // cols
    grid_h = 44 + rows * cell_h + 8
    cancel_h = 56.0
    if kit.ios:
        margin = 8.0
        cancel_y = kit.bottom - margin - cancel_h
        card = Rect(margin, cancel_y - margin - grid_h, kit.w - 2 * margin, grid_h)
        cancel_frame = Rect(margin, cancel_y, kit.w - 2 * margin, cancel_h)
        cancel_style = {"bg": "#FFFFFF", "fg": IOS_BLUE, "size": 19, "bold": True, "radius": 13}
        panels: list[Node] = []
    else:
        card = Rect(0, kit.bottom - cancel_h - 8 - grid_h, kit.w, grid_h)
        cancel_frame = Rect(0, kit.bottom - cancel_h, kit.w, cancel_h)
        cancel_style = {"bg": "#FFFFFF", "fg": INK, "size": 16, "radius": 0}
        sheet = Rect(0, card.y, kit.w, kit.h - card.y)
        panels = [
            kit.node("view", sheet, f"{key}.panel", style=Style(bg="#FFFFFF", radius=12), on_tap=ignore),
            Node("view", Rect(0, cancel_frame.y - 8, kit.w, 8), style=Style(bg="#F4F4F4")),
        ]
    cw = card.w / cols
    cells = [
        kit.text(Rect(card.x, card.y + 12, card.w, 24), title, key=f"{key}.title", size=14, fg=GREY, align="center")
    ]
    for i, target in enumerate(targets):
        cx = card.x + (i % cols) * cw
        cy = card.y + 44 + (i // cols) * cell_h
        cells.append(
            kit.node(
                "button",
                Rect(cx, cy, cw, cell_h),
                f"{key}.{target.key}",
                desc=target.label,
                on_tap=target.action,
                children=[
                    kit.image(
                        Rect(cx + (cw - tile) / 2, cy + 4, tile, tile),
                        target.icon,
                        fg="#FFFFFF",
                        bg=target.color,
                        radius=tile / 2,
                    ),
                    kit.text(Rect(cx, cy + tile + 10, cw, 20), target.label, size=12, fg="#666666", align="center"),
                ],
            )
        )
    card_node = kit.node(
        "view",
        card,
        f"{key}.targets",
        style=Style(bg="#F7F7F7" if kit.ios else None, radius=13 if kit.ios else 0),
        children=cells,
        on_tap=ignore,
    )
    cancel_node = kit.button(cancel_frame, "取消", cancel, key=f"{key}.cancel", **cancel_style)
    return kit.overlay(f"{key}.scrim", [*panels, card_node, cancel_node], on_outside=cancel)


# -- menus -------------------------------------------------------------------------
def edit_menu(kit: Kit, key: str, anchor: Rect, choices: Sequence[Choice], dismiss: Action) -> Node:
    """The system text-editing menu above ``anchor``: Android's floating toolbar (white card),
    iOS's callout (dark capsule). Tapping elsewhere dismisses it; the root is a clear scrim."""
    size = 15.0 if kit.ios else 14.0
    h = 38.0 if kit.ios else 44.0
    widths = [kit.measure(c.label, size) + 32 for c in choices]
    mw = sum(widths)
    x = min(max(anchor.cx - mw / 2, 8), kit.w - 8 - mw)
    y = anchor.y - h - 16 if anchor.y - h - 16 > kit.top else anchor.bottom + 8
    fg = "#FFFFFF" if kit.ios else INK
    items = []
    left = x
    for choice, bw in zip(choices, widths, strict=True):
        items.append(
            kit.button(
                Rect(left, y, bw, h),
                choice.label,
                choice.action,
                key=f"{key}.{choice.key}",
                fg=fg,
                size=size,
                desc=choice.label,
            )
        )
        left += bw
    style = Style(bg="#2C2C2E", radius=8) if kit.ios else Style(bg="#FFFFFF", radius=8, border="#D6D6D6")
    panel = Node("view", Rect(x, y, mw, h), key=f"{key}.panel", style=style, children=items, on_tap=ignore)
    return kit.overlay(f"{key}.scrim", [panel], dim="#00000000", on_outside=dismiss)


# -- tab bar -----------------------------------------------------------------------
@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    icon: str
    selected: bool = False
    action: Action | None = None
    badge: int = 0


def tab_bar(
    kit: Kit,
    key: str,
    tabs: Sequence[Tab],
    *,
    accent: str,
    idle: str = INK,
    bg: str = "#F7F7F7",
    rid: str = "",
    label_rid: str = "",
) -> Node:
    """The bottom tab bar above the system bar; its background fills the bar below too."""
    th = 49.0 if kit.ios else 56.0
    y = kit.bottom - th
    tw = kit.w / len(tabs)
    children: list[Node] = [kit.divider(0, y, kit.w, "#E0E0E0")]
    for i, tab in enumerate(tabs):
        x = i * tw
        color = accent if tab.selected else idle
        parts = [
            kit.image(Rect(x + (tw - 26) / 2, y + 5, 26, 26), tab.icon, fg=color),
            kit.text(Rect(x, y + 31, tw, 16), tab.label, size=11, fg=color, align="center", rid=label_rid),
        ]
        if tab.badge:
            parts.append(badge(kit, f"{tab.key}.badge", x + tw / 2 + 14, y + 8, tab.badge))
        children.append(
            kit.node(
                "tab",
                Rect(x, y, tw, th),
                tab.key,
                rid=rid,
                desc=tab.label if kit.ios else "",
                selected=tab.selected,
                on_tap=tab.action,
                children=parts,
            )
        )
    return kit.node("view", Rect(0, y, kit.w, kit.h - y), key, style=Style(bg=bg), children=children)


def badge(kit: Kit, key: str, cx: float, cy: float, count: int) -> Node:
    """A red unread-count badge centred at (cx, cy)."""
    label = str(count) if count < 100 else "99+"
    w = 18.0 if count < 10 else 8 + 7 * len(label)
    return kit.text(
        Rect(cx - w / 2, cy - 9, w, 18),
        label,
        key=key,
        size=11,
        fg="#FFFFFF",
        bg=BADGE_RED,
        radius=9,
        align="center",
    )


# -- list cell -----------------------------------------------------------------------
def cell(
    kit: Kit,
    key: str,
    frame: Rect,
    title: str,
    *,
    icon: str | None = None,
    icon_size: float = 40,
    icon_fg: str = "#FFFFFF",
    chevron: bool = False,
    on_tap: Action | None = None,
) -> Node:
    """A list row: an optional icon, a title, an optional › at the right, a divider below."""
    x = frame.x + 16
    children: list[Node] = []
    if icon:
        children.append(kit.image(Rect(x, frame.cy - icon_size / 2, icon_size, icon_size), icon, fg=icon_fg))
        x += icon_size + 14
    right = frame.right - (36 if chevron else 16)
    children.append(kit.text(Rect(x, frame.y, right - x, frame.h), title, key=f"{key}.title"))
    if chevron:
        children.append(kit.image(Rect(frame.right - 30, frame.cy - 8, 16, 16), "chevron_right", fg="#B2B2B2"))
    children.append(kit.divider(x, frame.bottom - HAIRLINE, frame.right - x))
    return kit.node("cell", frame, key, style=Style(bg="#FFFFFF"), children=children, on_tap=on_tap)
