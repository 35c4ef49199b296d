"""Choosing phones (select, pairs), leasing them and holding a shared chat's floor across processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest

from shareflow.devices import Device
from shareflow.lease import LeaseTimeout, chat_floor, lease
from shareflow.outcomes import INFRASTRUCTURE, classify
from shareflow.pool import SelectionError, pairs, select

CTX = multiprocessing.get_context("fork")
DEADLINE_S = 30.0  # generous bound for anything that must finish; never reached when all is well


def phone(name: str, platform: str = "android") -> Device:
    return Device(name, platform, os_version="14" if platform == "android" else "17.5", endpoint="embedded")


def make_pool(android: int, ios: int) -> list[Device]:
    return [phone(f"a{i}") for i in range(android)] + [phone(f"i{i}", "ios") for i in range(ios)]


# -- select ---------------------------------------------------------------------------------------
def test_select_filters_by_name_and_platform_in_pool_order() -> None:
    devices = make_pool(2, 2)
    assert select(devices) == devices
    assert [d.name for d in select(devices, ["i1", "a0"])] == ["a0", "i1"]
    assert [d.name for d in select(devices, platform="ios")] == ["i0", "i1"]
    assert [d.name for d in select(devices, ["a0", "i1"], "ios")] == ["i1"]


def test_select_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(SelectionError, match=r"^--device 'nokia' is not in the pool \(known: a0, a1, i0\)$"):
        select(make_pool(2, 1), ["a0", "nokia"])


def test_select_nothing_is_an_error() -> None:
    with pytest.raises(SelectionError, match="no device of the pool matches --platform ios"):
        select(make_pool(2, 0), platform="ios")
    with pytest.raises(SelectionError, match="--platform android and --device i0"):
        select(make_pool(1, 1), ["i0"], "android")


# -- pairs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("android", "ios"),
    [
        (1, 1),
        (3, 3),
        (2, 2),
        (3, 0),
        (0, 2),
        (2, 1),
        (1, 2),
        (4, 2),
    ],
)
def test_cover_sends_and_receives_once_per_phone(android: int, ios: int) -> None:
    devices = make_pool(android, ios)
    chosen = pairs(devices, "cover")
    assert all(a is not b for a, b in chosen)
    assert Counter(a.name for a, _ in chosen) == Counter(d.name for d in devices)
    assert Counter(b.name for _, b in chosen) == Counter(d.name for d in devices)
    directions = {(a.platform, b.platform) for a, b in chosen}
    if android and ios:
        assert {("android", "ios"), ("ios", "android")} <= directions


def test_all_gives_every_ordered_pair() -> None:
    devices = make_pool(3, 2)
    chosen = pairs(devices, "all")
    assert len(chosen) == len({(a.name, b.name) for a, b in chosen}) == 5 * 4
    assert all(a is not b for a, b in chosen)


def test_no_pairs_from_one_phone() -> None:
    assert pairs(make_pool(1, 0), "cover") == pairs(make_pool(0, 1), "all") == []


# -- lease ------------------------------------------------------------------------------------------
# Children note what happens in a shared log file: each line is appended by one write(2) to a file
# opened with O_APPEND, so the lines are in the order the events happened.
def note(log: Path, line: str) -> None:
    with log.open("a", encoding="utf-8") as file:
        file.write(line + "\n")


def lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines()


def hold(folder: Path, names: list[str], log: Path, held: Event, release: Event) -> None:
    """Child: lease ``names``, say so, keep them until told to let go."""
    with lease(folder, [phone(n) for n in names], timeout=DEADLINE_S):
        note(log, "holder in")
        held.set()
        release.wait(DEADLINE_S)
        note(log, "holder out")


def wait_for_it(folder: Path, name: str, log: Path, waiting: Event) -> None:
    """Child: try the busy phone at once (must be refused), then wait for it."""
    try:
        with lease(folder, [phone(name)], timeout=0):
            note(log, "waiter in at once")
    except LeaseTimeout:
        note(log, "waiter refused")
    note(log, "waiter waiting")
    waiting.set()
    with lease(folder, [phone(name)], timeout=DEADLINE_S):
        note(log, "waiter in")


def join_all(processes: list[BaseProcess]) -> None:
    """Wait for every child; kill any still running at the deadline."""
    for process in processes:
        process.join(DEADLINE_S)
        if process.is_alive():
            process.kill()
            process.join()
    assert [p.exitcode for p in processes] == [0] * len(processes)


def test_two_processes_leasing_one_phone_take_turns(tmp_path: Path) -> None:
    log, held, waiting, release = tmp_path / "log", CTX.Event(), CTX.Event(), CTX.Event()
    holder = CTX.Process(target=hold, args=(tmp_path, ["a0"], log, held, release))
    waiter = CTX.Process(target=wait_for_it, args=(tmp_path, "a0", log, waiting))
    holder.start()
    try:
        assert held.wait(DEADLINE_S)
        waiter.start()
        assert waiting.wait(DEADLINE_S)
    finally:
        release.set()
        join_all([holder, waiter])
    assert lines(log) == ["holder in", "waiter refused", "waiter waiting", "holder out", "waiter in"]


def swap(folder: Path, names: list[str], rounds: int, start: Barrier, log: Path) -> None:
    """Child: lease the pair ``rounds`` times, in the order given, in step with the other child."""
    for _ in range(rounds):
        start.wait(DEADLINE_S)
        with lease(folder, [phone(n) for n in names], timeout=DEADLINE_S):
            note(log, f"{names[0]} in")
            note(log, f"{names[0]} out")


def test_pair_leases_in_opposite_orders_do_not_deadlock(tmp_path: Path) -> None:
    rounds, log, start = 25, tmp_path / "log", CTX.Barrier(2)
    orders = (["a0", "i0"], ["i0", "a0"])
    children = [CTX.Process(target=swap, args=(tmp_path, names, rounds, start, log)) for names in orders]
    for child in children:
        child.start()
    join_all(children)
    events = lines(log)
    assert events == [f"{who} {what}" for who in (e.split()[0] for e in events[::2]) for what in ("in", "out")]
    assert Counter(events) == {"a0 in": rounds, "a0 out": rounds, "i0 in": rounds, "i0 out": rounds}


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[BaseProcess]:
    """A child process holding phones a0 and i0 until killed."""
    held, release = CTX.Event(), CTX.Event()
    process = CTX.Process(target=hold, args=(tmp_path, ["a0", "i0"], tmp_path / "log", held, release))
    process.start()
    assert held.wait(DEADLINE_S)
    yield process
    process.kill()  # not release.set(): notifying waits for every sleeper, and this one may be dead
    process.join(DEADLINE_S)


def test_held_lease_times_out_naming_the_phone(tmp_path: Path, holder: BaseProcess) -> None:
    busy = r"^phone 'a0' stayed busy for 0 s .*--lease-timeout"
    with pytest.raises(LeaseTimeout, match=busy) as error, lease(tmp_path, [phone("z9"), phone("a0")], timeout=0.1):
        pass
    assert classify(error.value) == INFRASTRUCTURE
    with lease(tmp_path, [phone("z9")], timeout=0):  # a phone nobody holds is free at once
        pass


def test_a_killed_holder_releases_its_lease(tmp_path: Path, holder: BaseProcess) -> None:
    with pytest.raises(LeaseTimeout), lease(tmp_path, [phone("i0")], timeout=0):
        pass
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(DEADLINE_S)
    assert holder.exitcode == -signal.SIGKILL
    with lease(tmp_path, [phone("a0"), phone("i0")], timeout=DEADLINE_S) as waited:
        assert waited < DEADLINE_S


# -- chat floor -------------------------------------------------------------------------------------
GROUP = "淘宝好物分享群"


def hold_floor(folder: Path, chat: str, held: Event, release: Event) -> None:
    """Child: hold ``chat``'s floor until told to let go."""
    with chat_floor(folder, chat, timeout=DEADLINE_S):
        held.set()
        release.wait(DEADLINE_S)


def test_a_chat_floor_is_one_process_s_at_a_time(tmp_path: Path) -> None:
    held, release = CTX.Event(), CTX.Event()
    child = CTX.Process(target=hold_floor, args=(tmp_path, GROUP, held, release))
    child.start()
    try:
        assert held.wait(DEADLINE_S)
        taken = f"^the chat '{GROUP}' stayed taken for 0 s"
        with pytest.raises(LeaseTimeout, match=taken) as error, chat_floor(tmp_path, GROUP, timeout=0.1):
            pass
        assert classify(error.value) == INFRASTRUCTURE
        with chat_floor(tmp_path, "another group", timeout=0):  # another chat's floor is free
            pass
    finally:
        release.set()
        join_all([child])
    with chat_floor(tmp_path, GROUP, timeout=DEADLINE_S):  # free once the holder let go
        pass


def test_a_chat_floor_is_reentrant_in_its_process(tmp_path: Path) -> None:
    """A two-phone test holds the floor while its phones' steps take it again."""
    held, release = CTX.Event(), CTX.Event()
    with chat_floor(tmp_path, GROUP, timeout=0), chat_floor(tmp_path, GROUP, timeout=0):
        pass
    with chat_floor(tmp_path, GROUP, timeout=0):
        with chat_floor(tmp_path, GROUP, timeout=0):
            pass
        child = CTX.Process(target=hold_floor, args=(tmp_path, GROUP, held, release))
        child.start()  # still held here after the inner block let go: the child must wait
        try:
            assert not held.wait(0.5)
        finally:
            release.set()
    try:
        assert held.wait(DEADLINE_S)
    finally:
        join_all([child])
