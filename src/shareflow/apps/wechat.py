"""WeChat page object: chats, paste and send, tap a link and see what opens."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext

from shareflow.apps.base import PROOF_TIMEOUT_S, TAP_TRIES, PageObject
from shareflow.links import LINK_KINDS, Outcome
from shareflow.screen import DEFAULT_TIMEOUT_S, StateNotReached, WrongState
from shareflow.vision.match import Match
from shareflow.wait import TimedOut, tap_until, until

LONG_PRESS_S = 0.8
TITLE_S = 1.5  # how long an open chat's title is read before another chat is taken to be open
CHAT_QUIET_S = 1.0  # longer than a message takes from one phone to the others (the virtual farm: 0.3 s)
QUIET_TIMEOUT_S = 5.0  # how long to wait for a chat to hold still before tapping a bubble anyway
# a link as OCR reads it (http:// or https://, read with a space between the slashes in some fonts, as
# WenQuanYi Zen Hei draws them apart; a Tao password's host m.tb.cn or e.tb.cn alone when the line wraps after
# the scheme), and how many lines of its head's height its message may run to
LINK_WORDS = r"(?:https?:/ ?/ ?)?[a-z]\.tb\.cn\S*|https?:/ ?/ ?\S+"
MESSAGE_LINES = 8
# What tapping a link may show: the outcome, by the screen state that proves it.
OUTCOME_STATES: dict[str, Outcome] = {
    **{f"wechat/h5_{kind}": "direct" for kind in LINK_KINDS},
    "wechat/interstitial": "interstitial",
    "wechat/blocked": "blocked",
    "wechat/copy_to_browser": "copy_to_browser",
}
H5_STATES: dict[str, str] = {kind: f"wechat/h5_{kind}" for kind in LINK_KINDS}
OPEN_APP_LABELS = {
    "taobao": "打开淘宝App",
    "tmall": "打开天猫App",
    "jd": "打开京东App",
    "pinduoduo": "打开拼多多App",
    "douyin": "打开抖音App",
}
WECHAT_STATES = ["wechat/chat_list", "wechat/chat", *OUTCOME_STATES]  # where WeChat may come up
BACK_STEPS = 4


class WeChat(PageObject):
    """WeChat on one phone."""

    app = "wechat"
    chat = ""  # the chat opened by name
    shared = False  # whether phones of other tests post to it too (a group of the pool): it has a floor

    def floor(self) -> AbstractContextManager[None]:
        """The open chat's floor (held across the run's workers) when it is a group; nothing for a 1:1 chat.

        Hold it from a post to the tap of that post: in a busy group, other phones' posts would push ours
        off the screen between the two. A 1:1 chat takes posts from its two accounts only, and a test
        that posts there has leased the phones they are signed in on (or the other is no phone of the
        pool): every phone's chat with the same friend is its own.
        """
        return self.phone.chat_floor(self.chat) if self.shared else nullcontext()

    def open(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Start WeChat afresh: it comes up at its chat list (past a prompt of its cold start)."""
        with self.phone.evidence.step(f"{self.phone.name}: open WeChat"):
            self.reset()
            self.driver.execute_script("mobile: activateApp", self.locators.app_id(self.platform))
            self.screen.expect("wechat/chat_list", timeout, self.dismiss_interruptions)

    def signed_out(self) -> bool:
        """Whether WeChat shows the page it opens at when signed out: its 注册 button (the ``sign_up`` locator),
        in the tree, else its words read on a fresh screenshot."""
        locator = self.locator("sign_up")
        if locator.selector is not None:
            return bool(self.driver.find_elements(*locator.selector))
        self.screen.refresh()
        return locator.words is not None and self.screen.words(locator.words, whole=True) is not None

    def back_to_chat_list(self) -> None:
        """Leave whatever WeChat shows (a chat, its browser) for the chat list."""
        with self.phone.evidence.step(f"{self.phone.name}: back to the chat list"):
            for _ in range(BACK_STEPS):
                state, _ = self.screen.expect_any(WECHAT_STATES, on_miss=self.dismiss_interruptions)
                if state == "wechat/chat_list":
                    return
                if self.platform == "android":
                    self.driver.back()
                else:
                    self._tap_once("close_browser" if state != "wechat/chat" else "back", DEFAULT_TIMEOUT_S)
            self.screen.expect("wechat/chat_list", on_miss=self.dismiss_interruptions)

    def open_chat(self, name: str, *, group: bool = False) -> None:
        """Open the chat with ``name`` (a nickname, or with ``group`` a group's name) from the chat list: its
        row's avatar, or, with no node tree, its name read on the screen. A row out of view is scrolled to:
        the list is swiped (its element, or with no tree a band of the screen) until the row shows or the
        list ends. A group's floor is what :meth:`floor` holds."""
        with self.phone.evidence.step(f"{self.phone.name}: open the chat {name}"):

            def tap(attempt: int) -> bool:
                if attempt:  # another chat opened: a new message moved it to the top under the tap
                    self.back_to_chat_list()
                self.tap("chat_row", proof="wechat/chat", scroll="chat_list", name=name)
                return True

            tap_until(tap, lambda seconds: self._titled(name, seconds), TAP_TRIES, patience=TITLE_S, timeout=TITLE_S)
        self.chat, self.shared = name, group

    def _titled(self, name: str, seconds: float) -> bool:
        """Wait until the open chat's title bar reads ``name`` (the ``chat_title`` locator: its element inside
        its band, else its words read there by OCR): a row tapped as the list re-sorts opens another chat.
        Raises :class:`StateNotReached` naming what the title bar reads instead."""
        locator = self.locator("chat_title", name=name)
        top, bottom = locator.band or (0.0, 1.0)
        words = locator.words or ""
        region: list[tuple[int, int, int, int]] = []

        def titled() -> bool | None:
            if locator.selector is not None:  # the tree has the title: an element of that text in the title bar
                area = self._band_area((top, bottom))
                return (
                    True if any(self._inside(e, area) for e in self.driver.find_elements(*locator.selector)) else None
                )
            image = self.screen.screenshot()
            region[:] = [(0, round(image.height * top), image.width, round(image.height * (bottom - top)))]
            return True if self.screen.words(words, region[0], whole=True) is not None else None

        def closest() -> str:
            if not region:  # looked for in the tree: read it now
                image = self.screen.screenshot()
                region[:] = [(0, round(image.height * top), image.width, round(image.height * (bottom - top)))]
            read = [line.words for line in self.screen.lines(region[0])]
            return f"the title bar reads {' / '.join(read) or 'nothing'}"

        return until(
            titled,
            what=f"wechat: the chat {name!r} (its title)",
            timeout=seconds,
            between=self.dismiss_interruptions,  # a banner drops in over the title bar
            closest=closest,
            fail=StateNotReached,
        )

    def paste(self) -> str:
        """Long-press the input box and 粘贴; returns the message pasted, as the input box holds it ("" when the
        node tree hides its text). With no node tree, the input box is where the chat's bottom bar shows it
        (beside the voice button's template), 粘贴 is its template."""
        with self.phone.evidence.step(f"{self.phone.name}: paste the Tao password"):
            self.tap("chat_input", proof="wechat/paste_menu", hold=LONG_PRESS_S)
            self.tap("paste", proof="wechat/send")
            pasted = self.element("chat_input")
            return pasted.text if pasted is not None else ""

    def send(self, proof: str = "wechat/my_link") -> None:
        """发送 what was pasted, holding the chat's floor; wait until ``proof`` (our message) shows."""
        with self.phone.evidence.step(f"{self.phone.name}: send it"), self.floor():
            self.tap("send", proof=proof)

    def paste_and_send(self, proof: str = "wechat/my_link") -> str:
        """:meth:`paste`, then :meth:`send`; returns the message pasted."""
        message = self.paste()
        self.send(proof)
        return message

    def tap_link(self, kind: str = "taobao", host: str = "tb.cn", shown_as: str = "wechat/my_link") -> str:
        """Tap the newest link in the chat (by its text, which holds ``host``, else by ``shown_as``); returns
        the outcome shown. The default host is in every Tao password link (m.tb.cn and e.tb.cn alike).

        A notification banner may catch the tap: then the tap is repeated.
        """

        def tap(attempt: int) -> bool:
            if self._tap_link_once(host, shown_as):
                return True
            if attempt == 0:
                raise self.not_shown(f"wechat: no {shown_as!r} on screen")
            return False  # the chat is gone: an earlier tap took effect, only late

        with self.phone.evidence.step(f"{self.phone.name}: tap the {kind} link"):
            return tap_until(tap, self._outcome, TAP_TRIES, patience=PROOF_TIMEOUT_S, timeout=DEFAULT_TIMEOUT_S)

    def _outcome(self, timeout: float) -> str:
        states = [*OUTCOME_STATES]
        return OUTCOME_STATES[self.screen.expect_any(states, timeout, self.dismiss_interruptions)[0]]

    def _tap_link_once(self, host: str, shown_as: str) -> bool:
        """Tap the newest link; False when no link is shown."""
        self.dismiss_interruptions()
        link = self.element("link", timeout=2, host=host)
        if link is not None:
            link.click()
            return True
        return self._tap_newest(shown_as)

    def _newest(self, state: str) -> Match | None:
        """The lowest occurrence of a template (the newest message); None if none.

        Callers hold the chat's floor, so no phone of the run starts posting until they have
        tapped; a message posted just before may still be on its way, so the chat must first
        hold still for CHAT_QUIET_S, and still be unmoved on a second screenshot after the search
        (within QUIET_TIMEOUT_S: then the newest is taken as it is).
        """
        since = time.monotonic()  # when the chat was last seen changing

        def found_in_a_quiet_chat() -> list[Match] | None:
            nonlocal since
            self.screen.refresh()
            if not self.screen.still():
                since = time.monotonic()
                return None
            if time.monotonic() - since < CHAT_QUIET_S:
                return None
            occurrences = self.screen.find_all(state)
            if not occurrences:
                return occurrences
            self.screen.refresh()
            if not self.screen.still():  # a message arrived during the search
                since = time.monotonic()
                return None
            return occurrences

        try:
            occurrences = until(
                found_in_a_quiet_chat, what=f"the chat to hold still for {CHAT_QUIET_S:g} s", timeout=QUIET_TIMEOUT_S
            )
        except TimedOut:
            occurrences = self.screen.find_all(state)
        return max(occurrences, key=lambda match: match.point()[1]) if occurrences else None

    def _tap_newest(self, state: str) -> bool:
        """Tap the newest message shown as ``state``, holding the chat's floor; False when there is none."""
        with self.floor():
            newest = self._newest(state)
            link = self.screen.words_after(newest, LINK_WORDS, MESSAGE_LINES) if newest is not None else None
            if link is None:
                return False
            self.screen.tap(link)
        return True

    def wait_for_link(self, shown_as: str = "wechat/their_link", timeout: float = 30) -> None:
        """Wait until a link message shows in the open chat.

        When none is recognised in time, the chat's words are read (OCR) before anything is blamed: a
        link among them is a message drawn unlike its template (an unrecognised screen, not the
        product's fault); the chat recognised and no link among its words read is the product's
        failure — the message never arrived.
        """
        with self.phone.evidence.step(f"{self.phone.name}: the link message arrives"):
            try:
                self.screen.expect(shown_as, timeout, self.dismiss_interruptions)
            except StateNotReached as missing:
                if not self.screen.sees("wechat/chat"):
                    raise  # not even the chat: nothing is proven
                if self.screen.words(LINK_WORDS) is not None:
                    raise StateNotReached(
                        f"{missing} (the chat shows a link in its words: a message drawn unlike the template)",
                        missing.match,
                    ) from None
                best = missing.match.best if missing.match else None
                where = self.chat or "the chat"
                raise WrongState(
                    f"{where}: no link message arrived within {timeout:.0f} s (none among the chat's words)",
                    "wechat/chat",
                    best,
                ) from None

    def continue_past_interstitial(self, kind: str = "taobao") -> None:
        """继续访问 on 非微信官方网页 → the shop's H5 page."""
        with self.phone.evidence.step(f"{self.phone.name}: 继续访问"):
            self.tap("continue", proof=H5_STATES[kind])

    def open_in_app(self, kind: str = "taobao") -> None:
        """打开淘宝App (or 天猫 / 京东) on the H5 page → the shop's app at the item."""
        with self.phone.evidence.step(f"{self.phone.name}: {OPEN_APP_LABELS[kind]}"):
            self.tap("open_app", proof="taobao/item", label=OPEN_APP_LABELS[kind], kind=kind)

    def copy_newest_message(self, shown_as: str = "wechat/their_link") -> None:
        """Long-press the newest message shown as ``shown_as`` and 复制 its text."""
        with self.phone.evidence.step(f"{self.phone.name}: copy the message"), self.floor():
            newest = self._newest(shown_as)
            if newest is None:
                raise self.not_shown(f"wechat: no {shown_as!r} on screen")
            self.screen.tap(newest, at=(0.25, 0.5), hold=LONG_PRESS_S)
            self.screen.expect("wechat/copy_menu")
            self.tap("copy", proof="wechat/chat")
