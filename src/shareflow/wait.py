"""The one wait: poll a probe until it finds what is waited for, or give up naming what came closest.

Modelled on Selene's ``Wait(entity, at_most).for_(fn)``. Every wait of the harness is a call of
:func:`until` — a screen state to show or to go, an element to appear, a chat to hold still — and every
tap that is repeated until its effect shows is a call of :func:`tap_until`. The pause between polls lives
here and nowhere else in the harness.

A wait that gives up raises :class:`TimedOut` (or what its caller's ``fail`` makes of the message)::

    Timed out after 20 s while waiting for screen state 'wechat/chat'. Closest: 'wechat/chat' at
    confidence 0.41 (needs 0.85) at [0, 152, 1080, 96]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.05  # pause after a poll that found nothing
# pause after a poll that saw a frame not known to hold still (a screen mid-change is not matched): the next
# poll tells whether it holds, so a state that just appeared is matched one short pause later
FOLLOW_S = 0.02


class TimedOut(Exception):
    """A wait ran out of time; its message says after how long, waiting for what, and what came closest."""


def timed_out(what: str, timeout: float, closest: str | None = None) -> str:
    """The message of a wait that gave up: ``Timed out after <timeout> s while waiting for <what>. Closest: …``."""
    message = f"Timed out after {timeout:g} s while waiting for {what}"
    return f"{message}. Closest: {closest}" if closest else message


def until(
    probe: Callable[[], T | None],
    *,
    what: str,
    timeout: float,
    between: Callable[[], object] | None = None,
    closest: Callable[[], str | None] | None = None,
    fail: Callable[[str], BaseException] = TimedOut,
    moving: Callable[[], bool] | None = None,
) -> T:
    """Poll ``probe`` until it returns something other than None, and return that.

    After each miss ``between`` runs (to dismiss a pop-up, say), then a pause of :data:`POLL_S`, or of
    :data:`FOLLOW_S` when ``moving()`` says the miss saw a frame still changing. The probe is tried once
    more when the time is up, so that what showed during the last pause counts. Then ``closest`` (the
    probe's account of its nearest candidate, None when it has none) completes the message
    (:func:`timed_out`) and ``fail`` makes of it the error raised: :class:`TimedOut` unless the caller's
    kind says more. A ``fail`` may check last things first (the phone's guard: are the apps under test
    still in front?) and raise a better reason of its own.
    """
    deadline = time.monotonic() + timeout
    while True:
        last = time.monotonic() >= deadline
        found = probe()
        if found is not None:
            return found
        if last:
            raise fail(timed_out(what, timeout, closest() if closest is not None else None))
        if between is not None:
            between()
        pause = FOLLOW_S if moving is not None and moving() else POLL_S
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))


def tap_until(
    tap: Callable[[int], bool], proof: Callable[[float], T], tries: int, *, patience: float, timeout: float
) -> T:
    """Tap, then wait for the proof that the tap took effect; tap again while it does not show, ``tries`` taps in all.

    A banner or a pop-up that drops in as a tap arrives catches it: its proof does not show within
    ``patience`` seconds, and the tap is repeated. ``tap(attempt)`` (0 for the first) returns whether
    it tapped; False means that what it taps is gone and no tap is left to repeat: an earlier tap took
    effect, only late. The proof of the last tap (or of that late one) is waited for ``timeout``
    seconds, and its failure is the tap's. ``proof(seconds)`` returns what showed, or raises
    :class:`TimedOut` (or a kind of it).
    """
    for attempt in range(tries):
        if not tap(attempt) or attempt == tries - 1:
            break
        try:
            return proof(patience)
        except TimedOut:
            continue
    return proof(timeout)
