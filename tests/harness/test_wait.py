"""The one wait: polling until a probe finds something, what a wait that gives up says, and taps repeated."""

from __future__ import annotations

import time

import pytest

from shareflow import wait
from shareflow.errors import UnrecognisedScreen
from shareflow.screen import StateNotReached
from shareflow.wait import TimedOut, tap_until, timed_out, until


class Probe:
    """Finds nothing for ``misses`` polls, then ``value``; tells how near it came."""

    def __init__(self, misses: int, value: object = "found") -> None:
        self.misses, self.value, self.polls = misses, value, 0

    def __call__(self) -> object | None:
        self.polls += 1
        return self.value if self.polls > self.misses else None

    def closest(self) -> str:
        return f"{self.polls} polls, nothing yet"


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wait, "POLL_S", 0.001)


def test_the_probe_s_finding_is_returned_and_between_runs_after_each_miss() -> None:
    probe, between = Probe(misses=3), []
    assert until(probe, what="x", timeout=10, between=lambda: between.append(probe.polls)) == "found"
    assert probe.polls == 4 and between == [1, 2, 3]


def test_a_miss_that_saw_the_screen_moving_is_followed_by_the_short_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(wait.time, "sleep", pauses.append)
    monkeypatch.setattr(wait, "POLL_S", 0.05)
    moving = iter([True, False, True])
    assert until(Probe(misses=3), what="x", timeout=10, moving=lambda: next(moving)) == "found"
    assert pauses == [wait.FOLLOW_S, wait.POLL_S, wait.FOLLOW_S] and wait.FOLLOW_S < wait.POLL_S


def test_falsy_findings_count_only_none_is_a_miss() -> None:
    assert until(Probe(misses=0, value=False), what="x", timeout=1) is False
    assert until(Probe(misses=0, value=[]), what="x", timeout=1) == []


def test_a_wait_that_gives_up_names_what_and_the_closest() -> None:
    probe = Probe(misses=10**9)
    started = time.monotonic()
    with pytest.raises(TimedOut) as missed:
        until(probe, what="the chat to hold still", timeout=0.05, closest=probe.closest)
    assert time.monotonic() - started >= 0.05
    assert (
        str(missed.value)
        == f"Timed out after 0.05 s while waiting for the chat to hold still. Closest: {probe.polls} polls, nothing yet"
    )


def test_the_probe_is_tried_once_more_when_the_time_is_up_without_between() -> None:
    probe, between = Probe(misses=10**9), []
    with pytest.raises(TimedOut, match=r"^Timed out after 0 s while waiting for x$"):
        until(probe, what="x", timeout=0, between=lambda: between.append(1))
    assert probe.polls == 1 and between == []  # a zero timeout: one look, nothing dismissed after it


def test_fail_makes_the_error_and_may_check_first() -> None:
    checked: list[str] = []

    def fail(message: str) -> StateNotReached:
        checked.append(message)
        return StateNotReached(message)

    with pytest.raises(StateNotReached) as missed:
        until(lambda: None, what="screen state 'a'", timeout=0, closest=lambda: "'a' at confidence 0.41", fail=fail)
    assert (
        checked
        == [str(missed.value)]
        == ["Timed out after 0 s while waiting for screen state 'a'. Closest: 'a' at confidence 0.41"]
    )
    assert isinstance(missed.value, TimedOut) and isinstance(missed.value, UnrecognisedScreen)
    assert not isinstance(missed.value, AssertionError)  # a screen not reached proves no product failure


def test_no_closest_no_closest_part() -> None:
    assert timed_out("x", 20) == timed_out("x", 20.0, None) == "Timed out after 20 s while waiting for x"
    assert timed_out("x", 6, "y") == "Timed out after 6 s while waiting for x. Closest: y"


class Taps:
    """Taps whose proof shows after ``works`` + 1 taps; from try ``gone`` (0 first) on, nothing is left to tap."""

    def __init__(self, works: int, gone: int | None = None) -> None:
        self.works, self.gone, self.taps, self.waits = works, gone, 0, []

    def tap(self, attempt: int) -> bool:
        if self.gone is not None and attempt >= self.gone:
            return False
        self.taps += 1
        return True

    def proof(self, seconds: float) -> str:
        self.waits.append(seconds)
        if self.taps > self.works:
            return "shown"
        raise StateNotReached(timed_out("screen state 'p'", seconds))


def test_a_caught_tap_is_repeated_until_its_proof_shows() -> None:
    taps = Taps(works=2)
    assert tap_until(taps.tap, taps.proof, 5, patience=6, timeout=20) == "shown"
    assert taps.taps == 3 and taps.waits == [6, 6, 6]


def test_the_last_tap_s_proof_gets_the_whole_timeout_and_its_failure_is_the_tap_s() -> None:
    taps = Taps(works=99)
    with pytest.raises(StateNotReached, match="after 20 s"):
        tap_until(taps.tap, taps.proof, 5, patience=6, timeout=20)
    assert taps.taps == 5 and taps.waits == [6, 6, 6, 6, 20]


def test_a_late_tap_is_not_repeated_its_proof_is_waited_for() -> None:
    taps = Taps(works=99, gone=1)  # the first tap took effect, only after its proof's wait: its element went
    with pytest.raises(StateNotReached):
        tap_until(taps.tap, taps.proof, 5, patience=6, timeout=20)
    assert taps.taps == 1 and taps.waits == [6, 20]


def test_only_a_timed_out_proof_is_retried() -> None:
    def proof(seconds: float) -> str:
        raise ValueError("not a wait's failure")

    with pytest.raises(ValueError):
        tap_until(lambda attempt: True, proof, 5, patience=6, timeout=20)
