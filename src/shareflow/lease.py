"""Leasing phones to one test at a time, and the floor of a shared chat, across pytest-xdist workers.

A lease is an OS file lock per phone in a folder all workers share: a
crashed worker's locks go with its process. Pairs are taken in name order,
so two workers wanting the same two phones cannot deadlock.

A chat that several phones post to (a WeChat group) is shared too: a phone
that taps "the newest message" by its place on the screen must know that no
other phone posts in between. Whoever posts or taps by place holds the
chat's floor, briefly.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from shareflow.devices import Device
from shareflow.errors import InfrastructureError

DEFAULT_TIMEOUT_S = 600.0
FLOOR_TIMEOUT_S = 120.0
_FLOORS: dict[tuple[int, Path], FileLock] = {}  # one lock object per chat and process: holding it is reentrant


class LeaseTimeout(InfrastructureError):
    """A phone stayed busy past the deadline."""


@contextmanager
def lease(folder: Path, devices: Sequence[Device], timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[float]:
    """Hold every device of ``devices`` for the block; yields seconds waited."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ExitStack() as stack:
        for device in sorted(devices, key=lambda d: d.name):
            left = max(0.0, timeout - (time.monotonic() - started))
            lock = FileLock(folder / f"{device.name}.lock")
            try:
                stack.enter_context(lock.acquire(timeout=left))
            except Timeout:
                raise LeaseTimeout(
                    f"phone {device.name!r} stayed busy for {timeout:.0f} s (another test or worker holds it); "
                    "run fewer workers (-n) or raise --lease-timeout"
                ) from None
        yield time.monotonic() - started


@contextmanager
def chat_floor(folder: Path, chat: str, timeout: float = FLOOR_TIMEOUT_S) -> Iterator[None]:
    """Hold the floor of ``chat`` for the block: no other worker posts to it or taps its messages by place.

    Reentrant within a process: a two-phone test may hold it while its phones' steps take it again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"chat-{hashlib.blake2b(chat.encode(), digest_size=8).hexdigest()}.lock"
    lock = _FLOORS.setdefault((os.getpid(), path), FileLock(path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LeaseTimeout(
            f"the chat {chat!r} stayed taken for {timeout:.0f} s (another test posts to it or taps in it)"
        ) from None
    try:
        yield
    finally:
        lock.release()
