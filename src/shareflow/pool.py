"""Choosing phones from the pool: filters, and ordered pairs for two-phone tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import zip_longest

from shareflow.devices import Device
from shareflow.errors import UsageError


class SelectionError(UsageError):
    """A device filter that selects nothing, or names an unknown phone."""


def select(
    devices: Sequence[Device],
    names: Iterable[str] = (),
    platform: str | None = None,
    options: tuple[str, str] = ("--device", "--platform"),
) -> list[Device]:
    """The devices named (all when none is), of ``platform`` when given; errors name ``options`` (names, platform)."""
    names = list(names)
    known = {d.name for d in devices}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SelectionError(f"{options[0]} {unknown[0]!r} is not in the pool (known: {', '.join(sorted(known))})")
    chosen = [d for d in devices if (not names or d.name in names) and (platform is None or d.platform == platform)]
    if not chosen:
        raise SelectionError(
            f"no device of the pool matches {options[1]} {platform} and {options[0]} {', '.join(names)}"
        )
    return chosen


def pairs(devices: Sequence[Device], mode: str = "cover") -> list[tuple[Device, Device]]:
    """Ordered (sender, receiver) pairs of different phones.

    ``all`` gives every ordered pair. ``cover`` gives each phone once as
    sender and once as receiver, around a ring that alternates the platforms
    as long as both last, so that Android→iOS and iOS→Android both occur
    whenever both exist.
    """
    if len(devices) < 2:
        return []
    if mode == "all":
        return [(a, b) for a in devices for b in devices if a is not b]
    android = [d for d in devices if d.platform == "android"]
    ios = [d for d in devices if d.platform == "ios"]
    ring = [d for pair in zip_longest(android, ios) for d in pair if d is not None]
    return [(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))]


def substitute(device: Device, pool: Sequence[Device], taken: Iterable[str]) -> Device:
    """Another phone of ``device``'s platform for a retry, on another endpoint if one has it; else ``device``.

    ``taken`` names the phones the test already uses.
    """
    others = [d for d in pool if d.platform == device.platform and d.name != device.name and d.name not in taken]
    others.sort(key=lambda d: d.endpoint == device.endpoint)  # a phone behind another server first
    return others[0] if others else device
