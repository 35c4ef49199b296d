"""Page source: the phone's layers as the XML UiAutomator2 or XCUITest returns.

:func:`build` turns the layers into an lxml tree in the platform's shape and
remembers, for every element, which layer and node it stands for and a stable
identity, so that locators (run on this same tree) can be mapped back to
nodes and element handles can be resolved again after the screen changed.

Android (UiAutomator2): ``<hierarchy>`` holds the root of the active window
(the topmost one that takes focus: the app's, or a system dialog; never the
status bar, navigation bar or a heads-up notification), or, with the
``enableMultiWindows`` setting, one root per window a user can interact
with, top first (Android's ``UiAutomation.getWindows``: none below a modal
window); then one ``android.widget.Toast`` node per toast shown. Bounds in
pixels, nodes wholly off screen left out, an ``opaque`` layer's root without children (appium-uiautomator2-server
``utils/AXWindowHelpers.java``, ``model/UiElementSnapshot.java``).
iOS (XCUITest): ``<AppiumAUT><XCUIElementTypeApplication>`` holds one
``XCUIElementTypeWindow`` per layer (system alerts included), frames in points.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from shareflow_sim.profiles import Profile
from shareflow_sim.ui import Layer, Node, Rect

ANDROID_HEADER = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\r\n"
IOS_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'

ANDROID_CLASSES = {
    "app": "android.widget.FrameLayout",
    "window": "android.widget.FrameLayout",
    "view": "android.widget.LinearLayout",
    "text": "android.widget.TextView",
    "button": "android.widget.Button",
    "image": "android.widget.ImageView",
    "edit": "android.widget.EditText",
    "list": "androidx.recyclerview.widget.RecyclerView",
    "cell": "android.view.ViewGroup",
    "nav": "android.view.ViewGroup",
    "tab": "android.widget.FrameLayout",
    "alert": "android.widget.FrameLayout",
    "web": "android.webkit.WebView",
}
# Inside a web view, Chrome's accessibility tree
WEB_CLASSES = {
    "text": "android.widget.TextView",
    "button": "android.widget.Button",
    "image": "android.widget.Image",
    "edit": "android.widget.EditText",
    "web": "android.webkit.WebView",
}
IOS_TYPES = {
    "app": "XCUIElementTypeOther",
    "window": "XCUIElementTypeWindow",
    "view": "XCUIElementTypeOther",
    "text": "XCUIElementTypeStaticText",
    "button": "XCUIElementTypeButton",
    "image": "XCUIElementTypeImage",
    "edit": "XCUIElementTypeTextField",
    "list": "XCUIElementTypeTable",
    "cell": "XCUIElementTypeCell",
    "nav": "XCUIElementTypeNavigationBar",
    "tab": "XCUIElementTypeButton",
    "alert": "XCUIElementTypeAlert",
    "web": "XCUIElementTypeWebView",
}
IOS_WEB_TYPES = {"button": "XCUIElementTypeLink"}
IOS_ACCESSIBLE = {"text", "button", "image", "edit", "tab", "cell"}
_INVALID_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Identity = tuple[object, ...]
APP_IDENTITY: Identity = ("application",)
# Android: SystemUI's windows that never take focus; a toast is no window of UiAutomation's but a Toast node
UNFOCUSABLE = {"system.statusbar", "system.navbar", "system.banner"}
TOAST = "system.toast"
TOAST_PACKAGE = "com.android.settings"  # what UiAutomator2 gives its Toast nodes


@dataclass(frozen=True)
class Entry:
    """What one element of the tree stands for."""

    identity: Identity
    layer: Layer | None  # None for iOS's XCUIElementTypeApplication
    node: Node | None


@dataclass
class Source:
    """A page source tree and the map from its elements back to nodes."""

    platform: str
    root: etree._Element  # <hierarchy> or <AppiumAUT>
    active: etree._Element | None = None  # Android: the active window's root
    entries: dict[etree._Element, Entry] = field(default_factory=dict)
    by_identity: dict[Identity, etree._Element] = field(default_factory=dict)

    def xml(self) -> str:
        body = etree.tostring(self.root, pretty_print=True, encoding="unicode")
        return (ANDROID_HEADER if self.platform == "android" else IOS_HEADER) + body

    def add(self, element: etree._Element, entry: Entry) -> None:
        self.entries[element] = entry
        self.by_identity.setdefault(entry.identity, element)

    def find(self, identity: Identity) -> tuple[etree._Element, Entry] | None:
        element = self.by_identity.get(identity)
        return None if element is None else (element, self.entries[element])

    @property
    def scope(self) -> etree._Element:
        """Where searches of the whole screen start (iOS: the application)."""
        return self.root if self.platform == "android" else self.root[0]


def _clean(text: str) -> str:
    return _INVALID_XML.sub("", text)


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


def _intersects(frame: Rect, width: float, height: float) -> bool:
    return frame.right > 0 and frame.bottom > 0 and frame.x < width and frame.y < height and frame.w > 0 < frame.h


def _cut(frame: Rect, clip: Rect) -> Rect | None:
    """The part of ``frame`` inside ``clip``, or None when none is."""
    x0, y0 = max(frame.x, clip.x), max(frame.y, clip.y)
    x1, y1 = min(frame.right, clip.right), min(frame.bottom, clip.bottom)
    return Rect(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


def _node_ids(root: Node) -> Iterator[tuple[Node, Identity]]:
    """Every node of a layer with an identity: its key (and occurrence), else its child path."""
    seen: dict[str, int] = {}

    def walk(node: Node, path: tuple[int, ...]) -> Iterator[tuple[Node, Identity]]:
        if node.key:
            n = seen.get(node.key, 0)
            seen[node.key] = n + 1
            yield node, ("key", node.key, n)
        else:
            yield node, ("path", *path)
        for i, child in enumerate(node.children):
            yield from walk(child, (*path, i))

    return walk(root, ())


@dataclass(frozen=True)
class _Window:
    """One layer being dumped, with the identities of its nodes."""

    layer: Layer
    identity: Identity
    node_ids: dict[int, Identity]

    def of(self, node: Node) -> Identity:
        return (*self.identity, self.node_ids[id(node)])


def _windows(layers: list[Layer], screen_token: object) -> list[_Window]:
    """Each layer with a stable identity: owner, name, occurrence and (app layers) the screen shown."""
    counts: dict[tuple[str, str], int] = {}
    out = []
    for layer in (layer for layer in layers if layer.in_tree):
        n = counts.get((layer.package, layer.name), 0)
        counts[(layer.package, layer.name)] = n + 1
        token = None if layer.name.startswith("system.") else screen_token
        ids = {id(node): ident for node, ident in _node_ids(layer.root)}
        out.append(_Window(layer, (layer.package, layer.name, n, token), ids))
    return out


def build(
    layers: list[Layer],
    profile: Profile,
    *,
    app_label: str = "",
    screen_token: object = None,
    multi_window: bool = False,
) -> Source:
    """The page source of ``layers`` (bottom to top) on a phone of ``profile``.

    ``screen_token`` identifies what the foreground app shows (its screen and
    visit); elements of app layers found under one token go stale under another.
    ``multi_window``: Android's every window, not only the active one.
    """
    if profile.platform == "android":
        return _Android(profile).build(layers, screen_token, multi_window)
    return _Ios(profile).build(layers, screen_token, app_label)


def _android_windows(windows: list[_Window], multi_window: bool) -> tuple[list[_Window], _Window]:
    """The windows UiAutomator2 dumps, top first, and the active one."""
    top_first = [w for w in reversed(windows) if w.layer.name != TOAST]
    active = next(w for w in top_first if w.layer.name not in UNFOCUSABLE)
    if not multi_window:
        return [active], active
    shown = []
    for window in top_first:
        shown.append(window)
        if window.layer.modal:
            break
    return shown, active


class _Android:
    """UiAutomator2's dump: class tags, pixel bounds, visible nodes only."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    def build(self, layers: list[Layer], screen_token: object, multi_window: bool) -> Source:
        p = self.profile
        root = etree.Element(
            "hierarchy",
            {"index": "0", "class": "hierarchy", "rotation": "0", "width": str(p.width_px), "height": str(p.height_px)},
        )
        source = Source("android", root)
        windows = _windows(layers, screen_token)
        shown, active = _android_windows(windows, multi_window)
        for index, window in enumerate(shown):
            self._add(source, root, window, window.layer.root, index, False)
        found = source.find(active.of(active.layer.root))
        source.active = root if found is None else found[0]
        for window in (w for w in windows if w.layer.name == TOAST):
            toast = window.layer.root
            attrs = {"index": str(len(root)), "text": _clean(toast.text), "class": "android.widget.Toast"}
            element = etree.SubElement(
                root, "android.widget.Toast", {**attrs, "package": TOAST_PACKAGE, "displayed": "true"}
            )
            source.add(element, Entry(window.of(toast), window.layer, toast))
        return source

    def _add(
        self,
        source: Source,
        parent: etree._Element,
        win: _Window,
        node: Node,
        index: int,
        in_web: bool,
        clip: Rect | None = None,
    ) -> None:
        """Add ``node`` under ``parent`` if a part of it shows inside ``clip`` (the screen, or the scroll view
        it is content of), with the bounds of that part.

        UiAutomator2 dumps the nodes visible to the user only, each with its visible bounds (androidx
        uiautomator's ``AccessibilityNodeInfoHelper.getVisibleBoundsInScreen``, which clips a node to its
        scrolling parent): a row partly scrolled out of a list is in the dump, cut to the part on screen.
        """
        p = self.profile
        shown = _cut(node.frame, clip or Rect(0, 0, p.width, p.height))
        if shown is None or not _intersects(node.frame, p.width, p.height):
            return
        cls = self._class(node, in_web)
        element = etree.SubElement(parent, cls, self._attrs(node, win.layer, index, cls, shown))
        source.add(element, Entry(win.of(node), win.layer, node))
        if win.layer.opaque:
            return  # an app that keeps its views from UiAutomator: its window's root, no children
        inside_web = in_web or node.role == "web"
        inner = shown if node.scroll is not None else clip
        for i, child in enumerate(node.children):
            self._add(source, element, win, child, i, inside_web, inner)

    @staticmethod
    def _class(node: Node, in_web: bool) -> str:
        if node.cls and not node.cls.startswith("XCUIElementType"):
            return node.cls
        if in_web:
            return WEB_CLASSES.get(node.role, "android.view.View")
        return ANDROID_CLASSES[node.role]

    def _bounds(self, frame: Rect) -> str:
        p = self.profile
        x0, y0, w, h = frame.scaled(p.scale)
        x1, y1 = min(x0 + w, p.width_px), min(y0 + h, p.height_px)
        return f"[{max(x0, 0)},{max(y0, 0)}][{x1},{y1}]"

    def _attrs(self, node: Node, layer: Layer, index: int, cls: str, shown: Rect) -> dict[str, str]:
        edit = node.role == "edit"
        text = "" if node.hide_text else (node.value or node.text)
        return {
            "index": str(index),
            "package": layer.package,
            "class": cls,
            "text": _clean(text),
            "resource-id": node.rid,
            "checkable": "false",
            "checked": "false",
            "clickable": _bool(node.clickable),
            "enabled": _bool(node.enabled),
            "focusable": _bool(edit or node.clickable),
            "focused": _bool(node.focused),
            "long-clickable": _bool(node.long_clickable),
            "password": "false",
            "scrollable": _bool(node.scrollable),
            "selected": _bool(node.selected),
            "bounds": self._bounds(shown),
            "displayed": "true",
            "hint": _clean(node.text) if edit and not node.hide_text else "",
            "content-desc": _clean(node.desc),
        }


class _Ios:
    """XCUITest's source: XCUIElementType tags, frames in points, everything kept."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    def build(self, layers: list[Layer], screen_token: object, app_label: str) -> Source:
        p = self.profile
        root = etree.Element("AppiumAUT")
        source = Source("ios", root)
        screen = Rect(0, 0, p.width, p.height)
        app = etree.SubElement(
            root,
            "XCUIElementTypeApplication",
            {
                "type": "XCUIElementTypeApplication",
                "name": _clean(app_label),
                "label": _clean(app_label),
                "enabled": "true",
                "visible": "true",
                "accessible": "false",
                **self._frame(screen),
                "index": "0",
            },
        )
        source.add(app, Entry(APP_IDENTITY, None, None))
        for index, window in enumerate(_windows(layers, screen_token)):
            self._add(source, app, window, window.layer.root, index, None)
        return source

    @staticmethod
    def _frame(frame: Rect) -> dict[str, str]:
        x, y, w, h = frame.scaled(1)
        return {"x": str(x), "y": str(y), "width": str(w), "height": str(h)}

    def _add(
        self,
        source: Source,
        parent: etree._Element,
        win: _Window,
        node: Node,
        index: int,
        in_web: bool | None,
        clip: Rect | None = None,
    ) -> None:
        """Add ``node`` under ``parent``; ``in_web`` is None for a layer's root (the window).

        Content of a scroll view (``clip``: its frame) is there while a part of it shows: a table view
        holds the cells on screen only (UITableView reuses the others), each with its whole frame, the
        part scrolled out included, as XCUITest reports it.
        """
        if clip is not None and _cut(node.frame, clip) is None:
            return
        kind = "XCUIElementTypeWindow" if in_web is None else self._type(node, in_web)
        element = etree.SubElement(parent, kind, self._attrs(node, index, kind))
        source.add(element, Entry(win.of(node), win.layer, node))
        inside_web = bool(in_web) or node.role == "web"
        inner = clip
        if node.scroll is not None:
            inner = _cut(node.frame, clip) if clip is not None else node.frame
            if inner is None:
                return
        for i, child in enumerate(node.children):
            self._add(source, element, win, child, i, inside_web, inner)

    @staticmethod
    def _type(node: Node, in_web: bool) -> str:
        if node.cls.startswith("XCUIElementType"):
            return node.cls
        if node.role == "edit" and node.style.lines > 1:
            return "XCUIElementTypeTextView"
        if in_web and node.role in IOS_WEB_TYPES:
            return IOS_WEB_TYPES[node.role]
        return IOS_TYPES[node.role]

    def _attrs(self, node: Node, index: int, kind: str) -> dict[str, str]:
        p = self.profile
        text = "" if node.hide_text else node.text
        label = node.desc or text
        attrs = {"type": kind, "name": _clean(node.ident or label), "label": _clean(label)}
        if node.role == "edit":
            attrs["value"] = _clean("" if node.hide_text else (node.value or node.text))
        elif node.role == "text" and text:
            attrs["value"] = _clean(text)
        attrs.update(
            enabled=_bool(node.enabled),
            visible=_bool(_intersects(node.frame, p.width, p.height)),
            accessible=_bool(node.role in IOS_ACCESSIBLE and bool(label or node.ident)),
            **self._frame(node.frame),
            index=str(index),
        )
        return attrs
