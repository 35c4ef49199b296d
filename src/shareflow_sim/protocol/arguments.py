"""A command's arguments: the JSON values it needs, checked, and the W3C element references it takes."""

from __future__ import annotations

import base64
from typing import Any

from shareflow_sim.protocol.errors import InvalidArgument

W3C_ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
REQUIRED = object()
NUMBER = (int, float)


def arg(data: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = REQUIRED) -> Any:
    """``data[name]`` checked against ``kind``; missing or null gives ``default`` (or invalid argument)."""
    value = data.get(name)
    if value is None:
        if default is REQUIRED:
            raise InvalidArgument(f"Parameters were incorrect. We wanted '{name}' and you sent {sorted(data)}")
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidArgument(f"'{name}' has an invalid value: {value!r}")
    return value


def element_id(value: Any) -> str:
    """An element id from a string or a W3C element reference."""
    if isinstance(value, dict):
        value = value.get(W3C_ELEMENT) or value.get("ELEMENT")
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"{value!r} is not an element reference")
    return value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
