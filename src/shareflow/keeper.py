"""Appium sessions that outlive a test: one per phone per worker, driven only under the phone's lease.

Opening a session on a real phone takes 5 to 30 s, so a process of the run (the only one, or an xdist
worker) keeps a phone's session after a test and drives it again in its next test on that phone. A
phone's lease is still per test, though: between two tests of one worker another worker may lease the
phone. Two workers must never drive one phone, and a session left open keeps the phone busy for
everybody else (Appium, a Grid and the embedded farm refuse a second session on a busy phone).

So the lease carries a **note**: a file beside the phone's lock, written only by the lease's holder,
naming the session open on the phone and the process that opened it.

- A process that opens a session on a phone notes it at once (so a session whose worker died is known
  to the next holder).
- At the end of its test, still holding the lease, it keeps the session (the note stays) or quits it
  (the note is cleared).
- A process that takes the phone (holding its lease) reads the note. When the note names this process
  and the very session it kept, nobody had the phone in between (whoever had it would have rewritten
  the note): that session is driven again. Otherwise the noted session is ended before anything else,
  by its id at the phone's endpoint (its process no longer holds the lease, so it drives it no more),
  a session this process still kept for the phone is dropped unused (another process had the phone
  and ended it), and a new session is opened.

A session is therefore driven only by the process that holds the phone's lease, and a phone is never
left busy with a session nobody will use: the next holder ends it. A session is kept only after a
test that passed or failed for the product's reasons: an infrastructure failure quits it, a retry
asks for a fresh one (``fresh``), and a kept session that no longer answers when the next test
prepares the phone is replaced. At the end of the run each process ends what it kept, taking the
phone's lease for a moment; where another process holds it, that one ends the session as it takes it.

Sessions are kept on the embedded farm and a local Appium server. A Selenium Grid is shared: a session
kept idle holds its slot, the Grid's queue gives that slot to no one else (other jobs' requests wait,
then time out: ``session-request-timeout``) and its nodes end idle sessions themselves
(``session-timeout``); the cloud farms and appium-device-farm name each session after its test and show
its result. There a session lives for one test, as before (:data:`KEPT_PROVIDERS`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import urllib3
from appium import webdriver
from filelock import FileLock, Timeout
from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow.devices import Device

KEPT_PROVIDERS = frozenset({"embedded", "appium"})
END_TIMEOUT_S = 10.0


def end_session(url: str, session_id: str, timeout: float = END_TIMEOUT_S) -> None:
    """End session ``session_id`` at the Appium endpoint ``url`` (W3C ``DELETE /session/{id}``), without its driver.

    Any error is ignored: the session may be gone already (timed out, or the server with it).
    """
    parts = urlsplit(url)
    target = urlunsplit(
        (parts.scheme, parts.netloc.rpartition("@")[2], f"{parts.path.rstrip('/')}/session/{session_id}", "", "")
    )
    headers = {}
    if parts.username is not None:
        headers = urllib3.make_headers(basic_auth=f"{unquote(parts.username)}:{unquote(parts.password or '')}")
    with contextlib.suppress(HTTPError, OSError, ValueError):
        urllib3.request("DELETE", target, headers=headers, timeout=timeout, retries=False)


def quit_quietly(driver: webdriver.Remote) -> None:
    """End a session through its driver, whatever state it is in."""
    with contextlib.suppress(WebDriverException, HTTPError, OSError):
        driver.quit()


class SessionKeeper:
    """This process's kept sessions, and the notes on the phones' leases (see the module's docstring).

    ``folder`` is the leases' folder, shared by the run's processes. With ``enabled`` False every
    session lives for one test.
    """

    def __init__(self, folder: Path, enabled: bool = True) -> None:
        self.folder = folder
        self.enabled = enabled
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.kept: dict[str, webdriver.Remote] = {}  # phone name -> the session kept on it

    def keeps(self, device: Device) -> bool:
        """Whether ``device``'s session may outlive its test."""
        return self.enabled and device.provider in KEPT_PROVIDERS

    # -- the notes ---------------------------------------------------------------------------
    def _path(self, phone: str) -> Path:
        return self.folder / f"{phone}.session.json"

    def noted(self, device: Device) -> tuple[str, str] | None:
        """(process, session) the note on ``device``'s lease names; None when no session is noted."""
        return self._noted(device.name)

    def _noted(self, phone: str) -> tuple[str, str] | None:
        try:
            note = json.loads(self._path(phone).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return (note["holder"], note["session"]) if note.get("session") else None

    def _note(self, phone: str, session: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(phone)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps({"holder": self.me, "session": session}), encoding="utf-8")
        temporary.replace(path)  # readers never see it half written

    # -- under the lease ---------------------------------------------------------------------
    def take(self, device: Device, url: str, fresh: bool = False) -> webdriver.Remote | None:
        """The session this process kept on ``device``, when it may drive it again; else None.

        Call it holding ``device``'s lease. When it returns None, no session is open on the phone any more.
        """
        note = self.noted(device)
        mine = self.kept.pop(device.name, None)
        if mine is not None and not fresh and note == (self.me, mine.session_id):
            return mine
        if mine is not None and note == (self.me, mine.session_id):
            quit_quietly(mine)  # a fresh one is wanted
        elif note is not None:
            end_session(url, note[1])  # left by another process, or by this one's earlier test
        self._note(device.name, "")
        return None

    def opened(self, device: Device, driver: webdriver.Remote) -> None:
        """Note a session just opened on ``device`` (holding its lease)."""
        self._note(device.name, driver.session_id or "")

    def give_back(self, device: Device, driver: webdriver.Remote, keep: bool) -> None:
        """At the end of a test, still holding the lease: keep the session for this process's next test, or quit it."""
        if keep and self.keeps(device) and self.noted(device) == (self.me, driver.session_id):
            self.kept[device.name] = driver
            return
        self.drop(device, driver)

    def drop(self, device: Device, driver: webdriver.Remote) -> None:
        """Quit a session (holding the lease): one that broke, or is not to be kept."""
        quit_quietly(driver)
        if self.noted(device) == (self.me, driver.session_id):
            self._note(device.name, "")

    # -- at the end ----------------------------------------------------------------------------
    def close(self) -> None:
        """End every session this process kept, where no other process holds the phone now (that one ends it)."""
        while self.kept:
            phone, driver = self.kept.popitem()
            lock = FileLock(self.folder / f"{phone}.lock")
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue  # its holder has ended our session as it took the phone
            try:
                if self._noted(phone) == (self.me, driver.session_id):
                    quit_quietly(driver)
                    self._note(phone, "")
            finally:
                lock.release()
