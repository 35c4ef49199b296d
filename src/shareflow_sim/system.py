"""System UI: status bar, navigation bar, launcher, alerts, banners and toasts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shareflow_sim.profiles import Profile
from shareflow_sim.ui import Layer, Node, Rect, Style

ANDROID_SYSTEMUI = "com.android.systemui"
ANDROID_LAUNCHER = "com.android.launcher3"
IOS_SPRINGBOARD = "com.apple.springboard"
# Android 10+'s runtime permission dialogs: their own window and package, buttons by resource-id (Appium
# scripts in the wild find them so: com.android.permissioncontroller:id/permission_deny_button)
ANDROID_PERMISSIONS = "com.android.permissioncontroller"


@dataclass
class AlertButton:
    label: str
    action: Callable[[], None]
    rid: str = ""  # its Android resource-id, when the dialog's owner gives it one


@dataclass
class SystemAlert:
    """A modal system alert; ``buttons`` left to right, the last one is the default.

    ``for_app`` names the app it asks for (it goes when that app is stopped). ``paste`` marks iOS's
    paste permission alert, which automation sees less of than other alerts (see :mod:`phone`)."""

    title: str
    message: str
    buttons: list[AlertButton]
    for_app: str = ""
    paste: bool = False
    package: str = ""  # the system component that shows it (default: SystemUI / SpringBoard)


def status_bar(profile: Profile, now: datetime, dark: bool = False) -> Layer:
    """The status bar: clock, signal, Wi-Fi, battery."""
    w, h = profile.width, profile.status_bar
    fg = "#FFFFFF" if dark else "#000000"
    clock = f"{now:%H:%M}"
    if profile.platform == "ios":
        left = Rect(0, 0, w * 0.33, h) if profile.notch else Rect(6, 0, 60, h)
        time_style = Style(fg=fg, size=15 if profile.notch else 12, bold=True, align="center")
    else:
        left = Rect(16, 0, 60, h)
        time_style = Style(fg=fg, size=12, align="left")
    icons_x = w - (86 if profile.platform == "ios" else 80)
    children = [
        Node("text", left, key="status.clock", text=clock, style=time_style),
        Node("image", Rect(icons_x, h * 0.3, 18, h * 0.4), style=Style(fg=fg, icon="signal")),
        Node("image", Rect(icons_x + 22, h * 0.3, 18, h * 0.4), style=Style(fg=fg, icon="wifi")),
        Node("image", Rect(icons_x + 46, h * 0.3, 26, h * 0.4), style=Style(fg=fg, icon="battery")),
    ]
    root = Node("view", Rect(0, 0, w, h), key="status.bar", children=children)
    package = ANDROID_SYSTEMUI if profile.platform == "android" else IOS_SPRINGBOARD
    return Layer(root, package, name="system.statusbar")


def navigation_bar(profile: Profile, back: Callable[[], None], home: Callable[[], None]) -> Layer:
    """Android's three-button navigation bar, or iOS's home indicator."""
    w, h = profile.width, profile.bottom_bar
    top = profile.height - h
    if profile.platform == "ios":
        bar = Node("image", Rect(w / 2 - 67, top + h - 13, 134, 5), style=Style(bg="#000000", radius=2.5))
        return Layer(Node("view", Rect(0, top, w, h), children=[bar]), IOS_SPRINGBOARD, name="system.home_indicator")
    third = w / 3
    buttons = [
        ("nav.back", "返回", "nav_back", back),
        ("nav.home", "主屏幕", "nav_home", home),
        ("nav.recents", "概览", "nav_recents", None),
    ]
    children = [
        Node(
            "button",
            Rect(i * third, top, third, h),
            key=key,
            desc=desc,
            rid=f"{ANDROID_SYSTEMUI}:id/{key.split('.')[1]}",
            style=Style(fg="#5F6368", icon=icon),
            on_tap=action,
        )
        for i, (key, desc, icon, action) in enumerate(buttons)
    ]
    root = Node("view", Rect(0, top, w, h), key="nav.bar", style=Style(bg="#F2F2F2"), children=children)
    return Layer(root, ANDROID_SYSTEMUI, name="system.navbar")


def launcher(profile: Profile, apps: list[tuple[str, str, str, Callable[[], None]]]) -> Layer:
    """The home screen: a grid of the installed apps' icons.

    ``apps`` holds (label, icon colour, key, open action) per app.
    """
    w, h = profile.width, profile.height
    ios = profile.platform == "ios"
    cols = 4
    cell = w / cols
    icon = 60 if ios else 54
    top = profile.status_bar + 24
    children = []
    for i, (label, color, key, action) in enumerate(apps):
        x, y = (i % cols) * cell, top + (i // cols) * (icon + 40)
        children.append(
            Node(
                "button" if not ios else "view",
                Rect(x, y, cell, icon + 28),
                key=f"launcher.{key}",
                desc=label,
                text="" if ios else label,
                on_tap=action,
                children=[
                    Node(
                        "image",
                        Rect(x + (cell - icon) / 2, y, icon, icon),
                        style=Style(icon=f"appicon:{color}:{label}"),
                    ),
                    Node(
                        "text",
                        Rect(x, y + icon + 4, cell, 20),
                        text=label,
                        style=Style(fg="#FFFFFF", size=12, align="center"),
                    ),
                ],
            )
        )
    wallpaper = "#2E4F7A" if ios else "#1F5F5B"
    root = Node("view", Rect(0, 0, w, h), key="launcher", style=Style(bg=wallpaper), children=children)
    package = IOS_SPRINGBOARD if ios else ANDROID_LAUNCHER
    return Layer(root, package, name="system.launcher", activity="com.android.launcher3.uioverride.QuickstepLauncher")


def alert_layer(profile: Profile, alert: SystemAlert, answer: Callable[[AlertButton], None]) -> Layer:
    """A modal alert: the iOS system alert look, or an Android dialog."""
    w, h = profile.width, profile.height
    ios = profile.platform == "ios"
    aw = 270 if ios else min(w - 48, 320)
    ax = (w - aw) / 2
    title_h, msg_h, btn_h = 44, 36, 44
    ah = 20 + title_h + msg_h + btn_h
    ay = (h - ah) / 2
    title = Node(
        "text",
        Rect(ax + 12, ay + 14, aw - 24, title_h),
        key="alert.title",
        text=alert.title,
        style=Style(size=16 if ios else 18, bold=True, align="center" if ios else "left", lines=2),
    )
    message = Node(
        "text",
        Rect(ax + 12, ay + 14 + title_h, aw - 24, msg_h),
        key="alert.message",
        text=alert.message,
        style=Style(size=13 if ios else 15, fg="#191919" if ios else "#5F6368", align="center" if ios else "left"),
    )
    bw = aw / len(alert.buttons)
    buttons = [
        Node(
            "button",
            Rect(ax + i * bw, ay + ah - btn_h, bw, btn_h),
            key=f"alert.button.{i}",
            rid=button.rid,
            text=button.label,
            desc=button.label,
            ident=button.label,
            style=Style(
                fg="#007AFF" if ios else "#1A73E8",
                size=16 if ios else 14,
                bold=ios and i == len(alert.buttons) - 1,
                align="center",
                border="#D0D0D5" if ios else None,
            ),
            on_tap=lambda b=button: answer(b),
        )
        for i, button in enumerate(alert.buttons)
    ]
    panel = Node(
        "alert",
        Rect(ax, ay, aw, ah),
        key="alert",
        desc=alert.title,
        style=Style(bg="#F2F2F7" if ios else "#FFFFFF", radius=14 if ios else 8),
        children=[title, message, *buttons],
    )
    scrim = Node("view", Rect(0, 0, w, h), key="alert.scrim", style=Style(bg="#00000066"), children=[panel])
    package = alert.package or (IOS_SPRINGBOARD if ios else ANDROID_SYSTEMUI)
    return Layer(scrim, package, modal=True, name="system.alert", in_tree=not alert.paste)


def banner_layer(profile: Profile, app_label: str, title: str, body: str, dismiss: Callable[[], None]) -> Layer:
    """A heads-up notification banner at the top of the screen."""
    w = profile.width
    y = profile.status_bar + 4
    card = Node(
        "view",
        Rect(8, y, w - 16, 72),
        key="banner",
        desc=f"{app_label}，{title}，{body}",
        rid=f"{ANDROID_SYSTEMUI}:id/expandableNotificationRow" if profile.platform == "android" else "",
        ident="NotificationShortLookView" if profile.platform == "ios" else "",
        style=Style(bg="#F7F7F7F0" if profile.platform == "ios" else "#FFFFFF", radius=14, border="#DDDDDD"),
        on_tap=dismiss,
        children=[
            Node("text", Rect(20, y + 8, w - 56, 18), text=app_label, style=Style(size=12, fg="#777777")),
            Node("text", Rect(20, y + 28, w - 56, 20), key="banner.title", text=title, style=Style(size=15, bold=True)),
            Node("text", Rect(20, y + 48, w - 56, 20), key="banner.body", text=body, style=Style(size=14)),
        ],
    )
    package = IOS_SPRINGBOARD if profile.platform == "ios" else ANDROID_SYSTEMUI
    return Layer(card, package, name="system.banner")


def toast_layer(profile: Profile, text: str) -> Layer:
    """A passive toast (Android) or pill banner (iOS); it takes no taps."""
    w, h = profile.width, profile.height
    tw = min(w - 48, 14 * len(text) + 32)
    y = profile.status_bar + 6 if profile.platform == "ios" else h - profile.bottom_bar - 96
    pill = Node(
        "text",
        Rect((w - tw) / 2, y, tw, 36),
        key="toast",
        text=text,
        style=Style(bg="#303030E6", fg="#FFFFFF", size=13, align="center", radius=18),
    )
    package = IOS_SPRINGBOARD if profile.platform == "ios" else ANDROID_SYSTEMUI
    return Layer(pill, package, name="system.toast")
