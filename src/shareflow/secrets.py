"""Secrets taken from the environment, and their removal from any text.

A user name and key are also masked in their HTTP Basic form, the base64 of ``user:key`` that a
client sends for credentials in a URL and that a server may echo back.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

MASK = "******"
_MIN_LENGTH = 4  # shorter values are too common to mask safely
_values: set[str] = set()
_lock = threading.Lock()


def register(value: str) -> None:
    """Remember a value that came from the environment, to mask it later."""
    if len(value) >= _MIN_LENGTH:
        with _lock:
            _values.add(value)


def register_basic(user: str, key: str) -> None:
    """Remember a user name and key, and their ``Authorization: Basic`` value (base64 of ``user:key``)."""
    register(user)
    register(key)
    register(base64.b64encode(f"{user}:{key}".encode()).decode())


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by a mask."""
    with _lock:
        values = sorted(_values, key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return text


def redact_all(value: Any) -> Any:
    """``value`` with every string in it redacted: through lists, tuples, dicts and plain objects' attributes.

    Objects (pytest's failure representations, Allure's results) are changed in place; lists, tuples
    and dicts are copied.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return type(value)(redact_all(item) for item in value)
    if isinstance(value, dict):
        return {key: redact_all(item) for key, item in value.items()}
    if hasattr(value, "__dict__") and not isinstance(value, type):
        for name, item in list(vars(value).items()):
            setattr(value, name, redact_all(item))
    return value
