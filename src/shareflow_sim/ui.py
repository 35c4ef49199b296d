"""The view tree every virtual screen is made of.

A screen is a tree of :class:`Node` laid out in *logical units* (Android dp,
iOS points) with absolute frames. The same tree is rendered to pixels
(``render``), dumped as page source (``source``), searched by locators
(``locate``) and hit-tested by taps (``Phone``), so what a harness sees, finds
and touches always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

Role = Literal[
    "app",  # root of an app's tree (XCUIElementTypeApplication / FrameLayout)
    "window",
    "view",  # a plain container
    "text",
    "button",
    "image",
    "edit",  # an editable text field
    "list",  # a scrolling list
    "cell",  # a row of a list
    "nav",  # a navigation bar / toolbar
    "tab",  # a tab-bar item
    "alert",  # a system alert (iOS) / dialog (Android)
    "web",  # a web view
]

Action = Callable[[], None]


@dataclass(frozen=True)
class Scroll:
    """A scroll view's state: its content is scrolled down by ``offset`` (logical units), at most ``extent``
    (the content's height less the view's, 0 when it all fits); ``to`` moves it (the app keeps the offset)."""

    offset: float
    extent: float
    to: Callable[[float], None]

    def clamp(self, offset: float) -> float:
        """``offset`` kept inside [0, extent]."""
        return min(max(offset, 0.0), self.extent)


@dataclass(frozen=True)
class Rect:
    """A frame in logical units."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x < self.right and self.y <= y < self.bottom

    def inset(self, dx: float, dy: float | None = None) -> Rect:
        dy = dx if dy is None else dy
        return Rect(self.x + dx, self.y + dy, self.w - 2 * dx, self.h - 2 * dy)

    def scaled(self, k: float) -> tuple[int, int, int, int]:
        """The frame in whole device units after multiplying by ``k``."""
        x0, y0 = round(self.x * k), round(self.y * k)
        return x0, y0, round(self.right * k) - x0, round(self.bottom * k) - y0


# A message bubble's tail, in logical units: a right-angled pointer TAIL_W wide whose tip is TAIL_TIP below
# the bubble's top, toward its sender's avatar. WeChat draws one on every text bubble; the shape follows
# ourchat-typ's WeChat theme (github.com/QuadnucYard/ourchat-typ, src/themes/wechat.typ: a 6.5 pt square
# turned 45° on the bubble's edge, 11.5 pt below its top, beside 27 pt avatars), scaled to 40-unit avatars.
TAIL_W = 6.0
TAIL_TIP = 20.0


@dataclass(frozen=True)
class Style:
    """How a node is drawn; all lengths in logical units."""

    bg: str | None = None  # "#RRGGBB" or "#RRGGBBAA"
    fg: str = "#191919"
    size: float = 16.0  # font size
    bold: bool = False
    align: Literal["left", "center", "right"] = "left"
    valign: Literal["top", "middle", "bottom"] = "middle"
    radius: float = 0.0
    border: str | None = None
    pad: float = 0.0  # horizontal text padding
    lines: int = 1  # maximum text lines (wrapped); extra text ends with "…"
    icon: str | None = None  # a named glyph drawn by the renderer (see render.ICONS)
    tail: Literal["left", "right"] | None = None  # a message bubble's pointer, drawn inside the frame on that side


@dataclass
class Node:
    """One element of a screen.

    ``key`` identifies the node within its screen and is what element
    references point at; give every node that a test may look up a key.
    ``text`` is what the user reads and the dump's text; ``desc`` is the
    Android content-desc / iOS accessibility label; ``rid`` the Android
    resource-id (full, ``pkg:id/name``); ``ident`` the iOS accessibility
    identifier (``name``). ``hide_text`` keeps the text on screen but out of
    the dump (WeChat >= 8.0.55 on Android).
    """

    role: Role
    frame: Rect
    key: str = ""
    text: str = ""
    desc: str = ""
    rid: str = ""
    ident: str = ""
    style: Style = field(default_factory=Style)
    children: list[Node] = field(default_factory=list)
    on_tap: Action | None = None
    on_long_press: Action | None = None
    on_text: Callable[[str], None] | None = None  # edit fields: receives the new full text
    enabled: bool = True
    selected: bool = False
    focused: bool = False
    scrollable: bool = False
    hide_text: bool = False
    value: str = ""  # an edit field's current text (shown instead of ``text`` when set)
    cls: str = ""  # platform class override, e.g. "android.webkit.WebView"
    # a scroll view's state: its children are its content, drawn, dumped and touched inside its frame only
    scroll: Scroll | None = None

    def walk(self) -> Iterator[Node]:
        """This node and all below it, depth first, in drawing order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, key: str) -> Node | None:
        return next((n for n in self.walk() if n.key == key), None)

    @property
    def clickable(self) -> bool:
        return self.on_tap is not None

    @property
    def long_clickable(self) -> bool:
        return self.on_long_press is not None

    def hit(self, x: float, y: float) -> Node | None:
        """The top-most node at (x, y) that reacts to a tap, or ``None``."""
        if not self.frame.contains(x, y):
            return None
        for child in reversed(self.children):
            found = child.hit(x, y)
            if found is not None:
                return found
        return self if (self.on_tap or self.on_long_press) else None

    def scroller(self, x: float, y: float) -> Node | None:
        """The innermost scroll view at (x, y), or ``None``."""
        if not self.frame.contains(x, y):
            return None
        for child in reversed(self.children):
            found = child.scroller(x, y)
            if found is not None:
                return found
        return self if self.scroll is not None else None

    def moved(self, dy: float) -> Node:
        """A copy shifted vertically by ``dy`` (used for scrolled content)."""
        f = self.frame
        return replace(
            self,
            frame=Rect(f.x, f.y + dy, f.w, f.h),
            children=[c.moved(dy) for c in self.children],
        )


@dataclass
class Layer:
    """A full-screen layer of the display, bottom to top.

    ``modal`` layers swallow taps outside their nodes (a dialog's scrim);
    ``package`` is the app or system component that owns the layer; a layer not
    ``in_tree`` shows on screenshots only (iOS's paste alert); an ``opaque`` one
    is in the page source as its root alone (WeChat's from 8.0.61 on Android).
    """

    root: Node
    package: str
    modal: bool = False
    name: str = ""  # the screen's name, e.g. "taobao.item"; logged and used as activity hint
    activity: str = ""  # Android activity / iOS view controller shown in logs
    in_tree: bool = True  # False: drawn and tappable, but missing from the page source and element search
    opaque: bool = False  # True: drawn and tappable, but its root has no children in the page source


def box(x: float, y: float, w: float, h: float) -> Rect:
    """Shorthand for :class:`Rect`."""
    return Rect(x, y, w, h)
