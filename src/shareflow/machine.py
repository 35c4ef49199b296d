"""The machine a run is on: how many CPUs it may use (xdist's workers and OCR's threads share them out)."""

from __future__ import annotations

import os


def cpus() -> int:
    """The CPUs this process may run on (its affinity where the OS tells it, else every CPU)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
