"""Secrets taken from the environment, and their removal from any text."""

from __future__ import annotations

import threading

MASK = "******"
_MIN_LENGTH = 4  # shorter values are too common to mask safely
_values: set[str] = set()
_lock = threading.Lock()


def register(value: str) -> None:
    """Remember a value that came from the environment, to mask it later."""
    if len(value) >= _MIN_LENGTH:
        with _lock:
            _values.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by a mask."""
    with _lock:
        values = sorted(_values, key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return text
