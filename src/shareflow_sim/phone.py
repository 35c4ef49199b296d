"""One virtual phone: apps, display, input, clipboard, alerts and time.

All public methods take the phone's lock and first *settle* the phone: due
timers run, incoming messages are delivered and a finished screen transition
ends. Coordinates are logical units (dp / points); the server converts.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from PIL import Image

from shareflow_sim import system
from shareflow_sim.apps.base import App
from shareflow_sim.devlog import DeviceLog
from shareflow_sim.fonts import FONTS
from shareflow_sim.looks import PLAIN, Look, look_of
from shareflow_sim.profiles import PROFILES, Profile
from shareflow_sim.render import Renderer, blend_transition, encode_png
from shareflow_sim.ui import Layer, Node, Rect
from shareflow_sim.world import Account, Chat, Message

if TYPE_CHECKING:
    from shareflow_sim.farm import Farm

LONG_PRESS_S = 0.5
BANNER_S = 3.5
TOAST_S = 2.0
DELIVERY_S = 0.3
BANNER_NOISE = {
    "android": (
        ("设置", "系统更新", "新版本 MIUI 已准备就绪，点击查看"),
        ("日历", "日程提醒", "10:30 周会 · 3号会议室"),
        ("支付宝", "余额宝收益", "昨日收益已到账，点击查看"),
    ),
    "ios": (
        ("设置", "软件更新", "iOS 更新现已可用，点击查看"),
        ("日历", "日程提醒", "10:30 周会 · 3号会议室"),
        ("支付宝", "余额宝收益", "昨日收益已到账，点击查看"),
    ),
}

# App states of Appium's queryAppState.
NOT_INSTALLED, NOT_RUNNING, RUNNING_IN_BACKGROUND, RUNNING_IN_FOREGROUND = 0, 1, 3, 4
KEY_HOME, KEY_BACK = 3, 4


@dataclass(frozen=True)
class PhoneSpec:
    """What the farm needs to know of a phone (from devices.yaml)."""

    name: str
    platform: str
    os_version: str
    profile: str
    udid: str
    wechat_id: str | None = None
    wechat_nickname: str | None = None
    app_versions: dict[str, str] = field(default_factory=dict)
    simulator: bool = False  # an iOS Simulator, not a real iPhone (the clipboard rules differ)
    accessibility_service: bool = False  # Android: one is on (TalkBack...): WeChat from 8.0.61 keeps its tree
    skin: str = "light"  # light, or dark: dark mode (grounds dark, text light)


@dataclass
class Transition:
    start: float
    end: float
    old: list[Layer]


class Phone:
    """A virtual phone of the farm."""

    def __init__(self, farm: Farm, spec: PhoneSpec, account: Account | None) -> None:
        from shareflow_sim.apps import installed_apps  # the apps import this module's types

        self.farm = farm
        self.spec = spec
        self.name = spec.name
        self.udid = spec.udid
        self.platform = spec.platform
        self.os_version = spec.os_version
        self.os_major = int(spec.os_version.split(".")[0])
        self.simulator = spec.simulator
        profile = PROFILES[spec.profile]
        font = farm.scenario.font
        self.profile: Profile = profile if font == "system" else replace(profile, font=FONTS[font])
        self.account = account
        self.world = farm.world
        self.scenario = farm.scenario
        self.rng = random.Random(f"{farm.scenario.seed}:{spec.name}")
        self._late_rng = random.Random(f"late_banner:{farm.scenario.seed}:{spec.name}")  # leaves rng's draws alone
        self._prompt_rng = random.Random(f"notification_prompt:{farm.scenario.seed}:{spec.name}")  # ... and so
        self.asked_to_notify: set[str] = set()  # apps that asked for the notification permission (once each)
        self.lock = threading.RLock()
        self.renderer = Renderer(self.profile, dark=spec.skin == "dark")
        self.devlog = DeviceLog(self.platform, self.profile.model)
        self.apps: dict[str, App] = {app.package: app for app in installed_apps(self, spec.app_versions)}
        self.running: set[str] = set()
        self.foreground: App | None = None
        self.clipboard_text = ""
        self.clipboard_owner: str | None = None
        self.alert: system.SystemAlert | None = None
        self.auto_alerts: str | None = None  # "accept" or "dismiss" (appium:autoAcceptAlerts ...)
        self.focus: str | None = None  # the key of the edit field a tap focused (until the screen changes)
        self.keyboard = False  # the on-screen keyboard shows (a tap on an edit field brings it up)
        self._banner: tuple[float, Layer] | None = None
        self._toast: tuple[float, Layer] | None = None
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._inbox: list[tuple[float, int, Chat, Message]] = []
        self._inbox_lock = threading.Lock()
        self.transition: Transition | None = None
        self._shown = self._screen_id()
        self.log("SystemServer", f"boot {self.profile.model} {self.platform} {self.os_version}")

    def look(self, package: str, version: str) -> Look:
        """How ``version`` of the app ``package`` draws on this phone: its own look, unless the scenario
        draws every version plainly (``looks: none``)."""
        return look_of(package, version) if self.scenario.looks == "versions" else PLAIN

    # -- time ------------------------------------------------------------------
    def clock(self) -> float:
        """Farm time in seconds (monotonic)."""
        return self.farm.monotonic()

    def now(self) -> datetime:
        return self.farm.now()

    def schedule(self, delay_s: float, action: Callable[[], None]) -> None:
        """Run ``action`` once ``delay_s`` of farm time has passed."""
        heapq.heappush(self._timers, (self.clock() + delay_s, next(self._seq), action))

    def settle(self) -> None:
        """Bring the phone up to the present: timers, messages, transitions."""
        now = self.clock()
        while True:
            with self._inbox_lock:
                due = self._inbox and self._inbox[0][0] <= now
                item = heapq.heappop(self._inbox) if due else None
            if item is None:
                break
            self._mutate(lambda chat=item[2], msg=item[3]: self._receive(chat, msg))
        while self._timers and self._timers[0][0] <= now:
            _, _, action = heapq.heappop(self._timers)
            self._mutate(action)
        if self.transition and now >= self.transition.end:
            self.transition = None
            self._arrived()
        if self._banner and now >= self._banner[0]:
            self._banner = None
        if self._toast and now >= self._toast[0]:
            self._toast = None

    # -- screens and transitions ----------------------------------------------
    def _screen_id(self) -> tuple[object, ...]:
        app = self.foreground
        return ("launcher",) if app is None else (app.package, *app.screen_id())

    def _base_layers(self) -> list[Layer]:
        """What the foreground app (or launcher) shows, without system chrome."""
        if self.foreground is None:
            entries = [
                (app.label, app.icon_color, app.package, lambda a=app: self.open_app(a.package))
                for app in self.apps.values()
            ]
            return [system.launcher(self.profile, entries)]
        return self.foreground.layers()

    def _mutate(self, action: Callable[[], None]) -> None:
        """Run an input or event; start a transition if the screen changed."""
        before_id, before = self._screen_id(), self._base_layers()
        action()
        after_id = self._screen_id()
        if after_id == before_id:
            return
        self._shown = after_id
        self.focus, self.keyboard = None, False
        lo, hi = self.scenario.noise.transition_ms
        duration = self.rng.uniform(lo, hi) / 1000 if hi else 0.0
        if duration > 0:
            start = self.clock()
            self.transition = Transition(start, start + duration, before)
        else:
            self._arrived()

    def _arrived(self) -> None:
        """A screen finished appearing: maybe a notification banner (noise)."""
        if self.rng.random() < self.scenario.noise.notification_banner:
            self._noise_banner(self.rng)

    def _noise_banner(self, rng: random.Random) -> None:
        """One of the banners noise brings (a system update, a calendar reminder, Alipay), drawn by ``rng``."""
        app, title, body = rng.choice(BANNER_NOISE[self.platform])
        self._show_banner(app, title, body)

    def layers(self) -> list[Layer]:
        """Every layer on screen now, bottom to top (what source and taps see)."""
        with self.lock:
            self.settle()
            return self._layers()

    def _layers(self) -> list[Layer]:
        if self.transition is not None:
            package = self.foreground.package if self.foreground else system.ANDROID_LAUNCHER
            blank = Node("view", Rect(0, 0, self.profile.width, self.profile.height))
            base = [Layer(blank, package, name="transition")]
        else:
            base = self._base_layers()
            for node in (n for layer in base for n in layer.root.walk() if n.key and n.key == self.focus):
                node.focused = True
        chrome = [system.status_bar(self.profile, self.now())]
        if self.profile.bottom_bar:
            chrome.append(system.navigation_bar(self.profile, self.back, self.go_home))
        overlays = [entry[1] for entry in (self._banner, self._toast) if entry is not None]
        if self.alert is not None:
            overlays.append(system.alert_layer(self.profile, self.alert, self._answer_alert))
        return base + chrome + overlays

    def frame(self) -> Image.Image:
        """The pixels on screen now (mid-transition frames included)."""
        with self.lock:
            self.settle()
            layers = self._layers()
            if self.transition is None:
                return self.renderer.render(layers)
            t = self.transition
            progress = (self.clock() - t.start) / (t.end - t.start)
            old = self.renderer.render(t.old + layers[1:])
            new = self.renderer.render(self._base_layers() + layers[1:])
            return blend_transition(old, new, min(max(progress, 0.0), 1.0), self.platform)

    def screenshot_png(self) -> bytes:
        """A PNG of the screen, as Appium's screenshot command returns."""
        with self.lock:
            self.settle()
            if self.transition is None:
                return self.renderer.png(self._layers())
            return encode_png(self.frame())

    # -- input ---------------------------------------------------------------
    def _hit(self, x: float, y: float) -> tuple[Node | None, bool]:
        """The node a touch at (x, y) reaches, and whether a layer caught it."""
        for layer in reversed(self._layers()):
            node = layer.root.hit(x, y)
            if node is not None:
                return node, True
            if layer.modal:
                return None, True
        return None, False

    def reaches(self, node: Node, x: float, y: float) -> bool:
        """Whether a touch at (x, y) reaches ``node`` (it, a node inside it, or the node it is part of): not when
        another node is drawn over that point, or a modal layer above catches it."""
        with self.lock:
            hit, _ = self._hit(x, y)
        if hit is None or not hit.key or not node.key:  # nodes are drawn afresh for each look: known by their keys
            return False
        return any(n.key == hit.key for n in node.walk()) or any(n.key == node.key for n in hit.walk())

    def tap(self, x: float, y: float) -> None:
        with self.lock:
            self.settle()
            if self.transition is not None:
                self.log("InputDispatcher", f"tap ({x:.0f},{y:.0f}) dropped: screen in transition", "W")
                return
            late = self.scenario.noise.late_banner
            if late > 0 and self._late_rng.random() < late:  # after the tap's lookup: it lands on the banner
                self._noise_banner(self._late_rng)
            node, _ = self._hit(x, y)
            self.log("InputDispatcher", f"tap ({x:.0f},{y:.0f}) -> {node.key if node else 'nothing'}", "D")
            if node is not None and node.role == "edit" and node.key:
                self.focus, self.keyboard = node.key, True
            if node is not None and node.on_tap is not None and node.enabled:
                self._mutate(node.on_tap)

    def long_press(self, x: float, y: float) -> None:
        with self.lock:
            self.settle()
            if self.transition is not None:
                return
            node, _ = self._hit(x, y)
            self.log("InputDispatcher", f"long-press ({x:.0f},{y:.0f}) -> {node.key if node else 'nothing'}", "D")
            if node is not None and node.on_long_press is not None and node.enabled:
                self._mutate(node.on_long_press)

    def swipe(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """A swipe; up on a notification banner it dismisses it, from the iOS home indicator upwards it goes home;
        up or down inside a scroll view it scrolls its content with the finger (up: what is below comes in).

        The content moves as far as the finger did, clamped to [0, content − view]; no fling carries it further
        (a real list flings on a fast swipe: a harness must not count on how far one swipe goes).
        """
        with self.lock:
            self.settle()
            self.log("InputDispatcher", f"swipe ({x0:.0f},{y0:.0f})->({x1:.0f},{y1:.0f})", "D")
            if self._banner is not None and self._banner[1].root.frame.contains(x0, y0) and y0 - y1 > 20:
                self.log("NotificationService", "banner swiped away")
                self._dismiss_banner()
                return
            from_bottom = y0 >= self.profile.height - max(self.profile.bottom_bar, 20)
            if self.platform == "ios" and from_bottom and y0 - y1 > 80:
                self.go_home()
                return
            if abs(y0 - y1) > abs(x0 - x1):
                self.scroll_at(x0, y0, y0 - y1)

    def _scroll_view(self, x: float, y: float) -> Node | None:
        """The scroll view a touch at (x, y) reaches: in the top-most layer that has something there."""
        if self.transition is not None:
            return None
        for layer in reversed(self._layers()):
            view = layer.root.scroller(x, y)
            if view is not None:
                return view
            if layer.modal or layer.root.hit(x, y) is not None:
                return None
        return None

    def scroll_at(self, x: float, y: float, dy: float) -> tuple[float, float] | None:
        """Scroll the scroll view at (x, y) by ``dy`` (positive: its content goes up, what is below comes in),
        clamped to its content; how far it moved and how far it could still go that way. ``None`` when no
        scroll view is there."""
        with self.lock:
            self.settle()
            view = self._scroll_view(x, y)
            if view is None or view.scroll is None:
                return None
            scroll = view.scroll
            target = scroll.clamp(scroll.offset + dy)
            if target != scroll.offset:
                self._mutate(lambda: scroll.to(target))
            left = scroll.extent - target if dy >= 0 else target
            return target - scroll.offset, left

    def set_text(self, node: Node, text: str) -> None:
        """Replace an edit field's text (send keys appends before calling this)."""
        with self.lock:
            self.settle()
            if node.on_text is None:
                raise ValueError("element is not editable")
            self._mutate(lambda: node.on_text(text))

    def focused_field(self) -> Node | None:
        """The edit field that has the input focus, if it is on screen."""
        with self.lock:
            layers = self.layers()
            return next((n for layer in layers for n in layer.root.walk() if n.focused and n.role == "edit"), None)

    def hide_keyboard(self) -> bool:
        """Hide the on-screen keyboard (the field keeps its focus); whether it was shown."""
        with self.lock:
            shown = self.keyboard and self.focused_field() is not None
            self.keyboard = False
            return shown

    def press_key(self, keycode: int) -> None:
        with self.lock:
            if keycode == KEY_BACK:
                self.back()
            elif keycode == KEY_HOME:
                self.go_home()
            else:
                self.log("InputDispatcher", f"key {keycode}", "D")

    def back(self) -> None:
        """The Android back key."""
        with self.lock:
            self.settle()
            app = self.foreground
            if app is None:
                return
            self._mutate(lambda: app.back() or self._leave(app))

    def _leave(self, app: App) -> None:
        self.log("ActivityManager", f"{app.package} moved to background")
        self.foreground = None

    def go_home(self) -> None:
        with self.lock:
            self.settle()
            if self.foreground is not None:
                self._mutate(lambda: self._leave(self.foreground))

    # -- apps ------------------------------------------------------------------
    def app(self, app_id: str) -> App:
        """An installed app by Android package or iOS bundle id."""
        for app in self.apps.values():
            if app_id in (app.package, app.bundle_id):
                return app
        raise KeyError(app_id)

    def has_app(self, app_id: str) -> bool:
        return any(app_id in (a.package, a.bundle_id) for a in self.apps.values())

    def open_app(self, app_id: str, url: str | None = None) -> None:
        """Bring an app to the foreground (cold-starting it), then open ``url``."""
        with self.lock:
            self.settle()
            app = self.app(app_id)
            self._mutate(lambda: self._open(app, url))

    def _open(self, app: App, url: str | None) -> None:
        if app.package not in self.running:
            app.launch()
            self.running.add(app.package)
            self._maybe_ask_to_notify(app)
        self.foreground = app
        if self.platform == "ios":
            self.log("SpringBoard", f"Launching {app.bundle_id} ({app.activity})")
        else:
            self.log("ActivityManager", f"START u0 {{cmp={app.package}/{app.activity}}} from uid 10086")
        if url:
            app.open_url(url)
        app.resume()

    def _maybe_ask_to_notify(self, app: App) -> None:
        """On a cold start an app that posts notifications may ask for the permission, once per phone:
        Android 13+'s runtime permission dialog (POST_NOTIFICATIONS; the permission controller's window,
        "要允许“<app>”向您发送通知吗？", 允许 / 不允许, ids permission_allow_button / permission_deny_button)
        or iOS's SpringBoard alert ("“<app>”想给您发送通知", 不允许 / 允许). The chance is the scenario's
        noise ``notification_prompt``: whether it was asked before this phone came to the farm is unknown.
        """
        if not app.notifies or app.package in self.asked_to_notify or self.alert is not None:
            return
        if self.platform == "android" and self.os_major < 13:
            return  # notifications needed no permission before Android 13
        if self._prompt_rng.random() >= self.scenario.noise.notification_prompt:
            return
        self.asked_to_notify.add(app.package)
        if self.platform == "android":
            ids = f"{system.ANDROID_PERMISSIONS}:id/permission_"
            alert = system.SystemAlert(
                "",
                f"要允许“{app.label}”向您发送通知吗？",
                [
                    system.AlertButton("不允许", lambda: None, rid=ids + "deny_button"),
                    system.AlertButton("允许", lambda: None, rid=ids + "allow_button"),
                ],
                for_app=app.package,
                package=system.ANDROID_PERMISSIONS,
            )
        else:
            alert = system.SystemAlert(
                f"“{app.label}”想给您发送通知",
                "“通知”可能包括提醒、声音和图标标记。这些可在“设置”中配置。",
                [system.AlertButton("不允许", lambda: None), system.AlertButton("允许", lambda: None)],
                for_app=app.package,
            )
        self.show_alert(alert)

    def _stop(self, app: App) -> None:
        """The app's process ends: its screens are gone, and the launcher shows if it was in front."""
        self.running.discard(app.package)
        app.stack.clear()
        if self.foreground is app:
            self.foreground = None

    def terminate_app(self, app_id: str) -> bool:
        with self.lock:
            self.settle()
            app = self.app(app_id)
            if app.package not in self.running:
                return False

            def stop() -> None:
                self._stop(app)
                if self.alert is not None and self.alert.for_app == app.package:
                    self.alert = None  # what it asked for went with it
                self.log("ActivityManager", f"Force stopping {app.package}")

            self._mutate(stop)
            return True

    def crash(self) -> App | None:
        """The app in front crashes (a fault) as if force-stopped, and the launcher shows; it, or ``None``."""
        with self.lock:
            self.settle()
            app = self.foreground
            if app is None:
                return None

            def die() -> None:
                self._stop(app)
                if self.platform == "ios":
                    self.log("SpringBoard", f"Application '{app.bundle_id}' exited abnormally with signal 11", "E")
                else:
                    self.log("AndroidRuntime", f"FATAL EXCEPTION: main Process: {app.package}", "E")
                    self.log("ActivityManager", f"Process {app.package} has died: fg TOP")

            self._mutate(die)
            return app

    def app_state(self, app_id: str) -> int:
        with self.lock:
            self.settle()
            if not self.has_app(app_id):
                return NOT_INSTALLED
            app = self.app(app_id)
            if app is self.foreground:
                return RUNNING_IN_FOREGROUND
            return RUNNING_IN_BACKGROUND if app.package in self.running else NOT_RUNNING

    def deep_link(self, url: str, app_id: str | None) -> None:
        """Open ``url`` in the app named, or in the app whose scheme it uses."""
        with self.lock:
            scheme = url.split(":", 1)[0]
            target = app_id or next((a.package for a in self.apps.values() if scheme in a.schemes), None)
            if target is None or not self.has_app(target):
                raise KeyError(f"no installed app handles {url!r}")
            self.open_app(target, url)

    # -- clipboard ---------------------------------------------------------------
    def copy(self, text: str, app: App | None) -> None:
        """Write the clipboard; ``app=None`` means the automation wrote it."""
        self.clipboard_text = text
        self.clipboard_owner = app.package if app else None
        self.log("ClipboardService", f"setPrimaryClip by {self.clipboard_owner or 'automation'}")

    def set_clipboard(self, text: str) -> None:
        with self.lock:
            self.copy(text, None)

    def _source_label(self) -> str:
        owner = self.clipboard_owner
        if owner is None:
            return "WebDriverAgentRunner-Runner" if self.platform == "ios" else "Appium Settings"
        return self.apps[owner].label

    def paste(self, app: App, then: Callable[[str], None]) -> None:
        """An app reads the clipboard programmatically, as the OS allows it."""
        text = self.clipboard_text
        if not text:
            return
        if self.clipboard_owner == app.package:
            then(text)
            return
        source = self._source_label()
        self.log("ClipboardService", f"{app.package} reads clipboard written by {source}")
        if self.platform == "ios" and self.os_major >= 16:
            # iOS 16+'s paste permission alert is SpringBoard's, over the app: XCUITest's page source of
            # the app does not hold it, and from iOS 17 WebDriverAgent's alert commands do not see it
            # either — it shows on the screenshot only (appium/appium#17392, #19814, #19908;
            # mozilla-mobile/focus-ios#3308). Stopping the app takes its alert away.
            self.show_alert(
                system.SystemAlert(
                    f"“{app.label}”想要粘贴来自“{source}”的内容",
                    "要允许吗？",
                    [
                        system.AlertButton("不允许粘贴", lambda: None),
                        system.AlertButton("允许粘贴", lambda: then(text)),
                    ],
                    for_app=app.package,
                    paste=True,
                )
            )
            return
        if self.platform == "ios" and self.os_major >= 14:
            self.toast(f"“{app.label}”已粘贴自“{source}”")
        elif self.platform == "android" and self.os_major >= 12:
            self.toast(f"“{app.label}”已粘贴自剪贴板")
        then(text)

    # -- alerts, banners, toasts ---------------------------------------------
    def show_alert(self, alert: system.SystemAlert) -> None:
        self.log("SpringBoard" if self.platform == "ios" else "WindowManager", f"alert shown: {alert.title}")
        self.alert = alert
        if self.auto_alerts:
            self.answer_alert(None, self.auto_alerts == "accept")

    def answer_alert(self, label: str | None, accept: bool) -> None:
        """Tap a button of the open alert: by label, else the default (accept) or the first (dismiss)."""
        with self.lock:
            if self.alert is None:
                raise LookupError("no alert is open")
            buttons = self.alert.buttons
            if label is not None:
                matches = [b for b in buttons if b.label == label]
                if not matches:
                    raise KeyError(label)
                button = matches[0]
            else:
                button = buttons[-1] if accept else buttons[0]
            self._mutate(lambda: self._answer_alert(button))

    def _answer_alert(self, button: system.AlertButton) -> None:
        self.log("SpringBoard" if self.platform == "ios" else "WindowManager", f"alert answered: {button.label}")
        self.alert = None
        button.action()

    def notify(self, app_label: str, title: str, body: str) -> None:
        self._show_banner(app_label, title, body)

    def _show_banner(self, app_label: str, title: str, body: str) -> None:
        layer = system.banner_layer(self.profile, app_label, title, body, self._dismiss_banner)
        self._banner = (self.clock() + BANNER_S, layer)
        self.log("NotificationService", f"post {app_label}: {title}: {body}")

    def _dismiss_banner(self) -> None:
        self._banner = None

    def toast(self, text: str) -> None:
        self._toast = (self.clock() + TOAST_S, system.toast_layer(self.profile, text))
        self.log("Toast", text)

    # -- messages -----------------------------------------------------------------
    def hear(self, chat: Chat, message: Message) -> None:
        """The world posted a message (any thread): queue its delivery here."""
        if self.account is None or self.account.id not in chat.members or message.sender == self.account.id:
            return
        with self._inbox_lock:
            heapq.heappush(self._inbox, (self.clock() + DELIVERY_S, next(self._seq), chat, message))

    def _receive(self, chat: Chat, message: Message) -> None:
        from shareflow_sim.apps.wechat import WeChatApp

        wechat = self.apps.get(WeChatApp.package)
        if isinstance(wechat, WeChatApp):
            wechat.on_message(chat, message)

    # -- logs ------------------------------------------------------------------------
    def log(self, tag: str, message: str, level: str = "I") -> None:
        self.devlog.write(self.now(), tag, message, level)

    @property
    def current_package(self) -> str:
        with self.lock:
            self.settle()
            if self.foreground is None:
                return system.IOS_SPRINGBOARD if self.platform == "ios" else system.ANDROID_LAUNCHER
            return self.foreground.package

    @property
    def current_activity(self) -> str:
        with self.lock:
            self.settle()
            return self.foreground.activity if self.foreground else ".Launcher"
