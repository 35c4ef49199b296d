"""What every virtual app is: identity, a back stack of screens, and layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shareflow_sim.ui import Layer, Scroll

if TYPE_CHECKING:
    from shareflow_sim.phone import Phone


@dataclass
class Screen:
    """One entry of an app's back stack: a kind plus its parameters.

    ``kind`` names the screen ("home", "item", ...); ``params`` says which
    (item id, chat id, ...). ``overlays`` holds the app's own transient layers
    on top of this screen (dialogs, sheets, menus, pop-ups) by name.
    """

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    overlays: dict[str, Any] = field(default_factory=dict)
    serial: int = 0  # set by App.push: tells two visits of the same kind apart
    # how far each of its scroll views is scrolled, by key: kept while the screen is in the back stack
    # (back from a chat, the chat list is where it was), gone with it (a restarted app starts at the top)
    scroll: dict[str, float] = field(default_factory=dict)


class App:
    """Base of the virtual apps.

    Subclasses set the identity attributes and implement :meth:`layers`.
    The phone calls :meth:`launch` on a cold start, :meth:`resume` whenever
    the app comes to the foreground (also after launch), :meth:`back` for the
    system back key (Android) and :meth:`open_url` for deep links.
    """

    package: str = ""  # Android package
    bundle_id: str = ""  # iOS bundle id
    label: str = ""  # the name under the icon, e.g. "淘宝"
    launch_activity: str = ""  # Android launch activity
    schemes: tuple[str, ...] = ()  # URL schemes it opens, e.g. ("taobao", "tbopen")
    icon_color: str = "#888888"
    notifies: bool = False  # posts notifications, so asks for the permission on a cold start (see Phone)

    def __init__(self, phone: Phone, version: str) -> None:
        self.phone = phone
        self.version = version
        self.stack: list[Screen] = []
        self._serial = 0

    @property
    def version_code(self) -> int:
        """Android's integer versionCode. The real apps' codes were not found: the farm makes one of the
        version name, two digits a part after the first (8.0.61 -> 80061, 10.40.0 -> 104000)."""
        parts = [int(p) for p in self.version.split(".") if p.isdigit()] or [1]
        return int(str(parts[0]) + "".join(f"{p:02d}" for p in parts[1:]))

    # -- navigation -------------------------------------------------------
    @property
    def top(self) -> Screen:
        return self.stack[-1]

    def push(self, kind: str, **params: Any) -> Screen:
        """Open a screen; a new activity (iOS: view controller) shows in the device log."""
        before = self.activity if self.stack else ""
        self._serial += 1
        screen = Screen(kind, params, serial=self._serial)
        self.stack.append(screen)
        self.phone.log(self.package, f"show {kind} {params or ''}".rstrip(), "D")
        if before and self.activity != before:
            if self.phone.platform == "ios":
                self.phone.log(self.label, f"present {self.activity}")
            else:
                self.phone.log("ActivityTaskManager", f"START u0 {{cmp={self.package}/{self.activity}}}")
        return screen

    def replace(self, kind: str, **params: Any) -> Screen:
        self.stack.pop()
        return self.push(kind, **params)

    def pop(self) -> bool:
        """Leave the top screen; ``False`` when it was the root."""
        if len(self.stack) <= 1:
            return False
        self.stack.pop()
        return True

    def screen_id(self) -> tuple[str, int]:
        """Identity of what the app shows; a change starts a screen transition."""
        return (self.top.kind, self.top.serial)

    def scrolled(self, key: str, viewport: float, content: float) -> Scroll:
        """The state of the top screen's scroll view ``key``: ``content`` logical units tall, ``viewport`` shown.

        The offset is clamped to [0, content − viewport] (content that shrank pulls it back)."""
        screen = self.top
        extent = max(0.0, content - viewport)

        def to(offset: float) -> None:
            screen.scroll[key] = offset
            self.phone.log(self.package, f"scroll {key} to {offset:.0f} of {extent:.0f}", "D")

        return Scroll(min(max(screen.scroll.get(key, 0.0), 0.0), extent), extent, to)

    # -- lifecycle (override as needed) -------------------------------------
    def launch(self) -> None:
        """Cold start: reset the back stack to the app's first screen."""
        raise NotImplementedError

    def resume(self) -> None:
        """The app came to the foreground."""

    def back(self) -> bool:
        """System back: close the top overlay, else pop; ``False`` leaves the app."""
        if self.stack and self.top.overlays:
            self.top.overlays.popitem()
            return True
        return self.pop()

    def open_url(self, url: str) -> bool:
        """Handle a deep link; ``False`` when the URL is not the app's."""
        return False

    def layers(self) -> list[Layer]:
        """The app's layers, bottom to top, for the current top screen."""
        raise NotImplementedError

    @property
    def activity(self) -> str:
        """Android activity (or iOS view controller) of the top screen, for logs."""
        return self.launch_activity
