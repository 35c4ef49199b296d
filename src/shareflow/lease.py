"""Leasing phones to one test at a time across pytest-xdist workers.

A lease is an OS file lock per phone in a folder all workers share: a
crashed worker's locks go with its process. Pairs are taken in name order,
so two workers wanting the same two phones cannot deadlock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from shareflow.devices import Device

DEFAULT_TIMEOUT_S = 600.0


class LeaseTimeout(RuntimeError):
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
