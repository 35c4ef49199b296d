"""W3C actions, tick by tick in real time: a pointer's way down, across and up becomes a tap, a long press or a
swipe; a key going down types into the edit field that has the input focus."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from shareflow_sim.phone import LONG_PRESS_S
from shareflow_sim.protocol.arguments import NUMBER, arg, element_id
from shareflow_sim.protocol.errors import InvalidArgument, MoveTargetOutOfBounds
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call

TAP_SLOP = 10.0  # logical units a touch may wander and still be a tap
MAX_GESTURE_WAIT_S = 5.0  # real time one gesture may take

command = Commands()


@dataclass
class _Finger:
    """One pointer of an action sequence, in session units."""

    x: float = 0.0
    y: float = 0.0
    start: tuple[float, float] | None = None
    held_s: float = 0.0
    travel: float = 0.0  # furthest from where it went down, in logical units


def _duration(action: dict[str, Any]) -> float:
    value = arg(action, "duration", NUMBER, 0)
    if value < 0:
        raise InvalidArgument("An action's duration must not be negative")
    return value / 1000


def _move_target(c: Call, finger: _Finger, action: dict[str, Any]) -> tuple[float, float]:
    x, y = arg(action, "x", NUMBER, 0), arg(action, "y", NUMBER, 0)
    origin = action.get("origin", "viewport")
    if origin == "pointer":
        x, y = finger.x + x, finger.y + y
    elif isinstance(origin, dict):
        with c.phone.lock:
            _, el, _ = c.element(element_id(origin))
        r = c.rect(el)
        x, y = r["x"] + r["width"] / 2 + x, r["y"] + r["height"] / 2 + y
    elif origin != "viewport":
        raise InvalidArgument(f"Unknown pointerMove origin {origin!r}")
    w = c.screen()
    if not (0 <= x <= w["width"] and 0 <= y <= w["height"]):
        raise MoveTargetOutOfBounds(f"The point ({x}, {y}) is outside the screen ({w['width']}x{w['height']})")
    return x, y


def _release(c: Call, finger: _Finger) -> None:
    """A pointer went up: a tap, a long press or a swipe."""
    assert finger.start is not None
    sx, sy = c.logical(*finger.start)
    if finger.travel >= TAP_SLOP:
        c.phone.swipe(sx, sy, *c.logical(finger.x, finger.y))
    elif finger.held_s >= LONG_PRESS_S:
        c.phone.long_press(sx, sy)
    else:
        c.phone.tap(sx, sy)
    finger.start = None


def _pointer_step(c: Call, finger: _Finger, action: dict[str, Any]) -> None:
    kind = action.get("type")
    if kind == "pointerMove":
        finger.x, finger.y = _move_target(c, finger, action)
        if finger.start is not None:
            dx, dy = finger.x - finger.start[0], finger.y - finger.start[1]
            finger.travel = max(finger.travel, math.hypot(dx, dy) / c.scale)
    elif kind == "pointerDown":
        finger.start, finger.held_s, finger.travel = (finger.x, finger.y), 0.0, 0.0
    elif kind == "pointerUp":
        if finger.start is not None:
            _release(c, finger)
    elif kind == "pointerCancel":
        finger.start = None
    elif kind != "pause":
        raise InvalidArgument(f"Unknown pointer action type {kind!r}")


BACKSPACE = "\ue003"
SPACE = "\ue00d"
# appium-uiautomator2-server utils/w3c/ActionsExecutor.java: keys outside W3C's special range are turned into key
# events by Android's virtual keyboard map (KeyCharacterMap.VIRTUAL_KEYBOARD), which has printable ASCII only
_UNSYNTHESIZABLE = (
    "KeyCharacterMap.getEvents is unable to synthesize KeyEvent sequence out of '{code}' key code. Consider applying "
    "a patch to UiAutomator2 server code or try to synthesize the necessary key event(s) for it manually"
)


def _key_down(c: Call, key: Any) -> None:
    """A key goes down: the focused edit field gets its character (backspace takes the last one off)."""
    if not isinstance(key, str) or len(key) != 1:
        raise InvalidArgument(f"A key action's value must be a single character, got {key!r}")
    special = "\ue000" <= key <= "\uf8ff"
    if c.android and not special and not (" " <= key <= "~" or key in "\n\t"):
        raise InvalidArgument(_UNSYNTHESIZABLE.format(code=ord(key)))
    with c.phone.lock:
        field = c.phone.focused_field()
        if field is None or field.on_text is None:
            return
        if key == BACKSPACE:
            c.phone.set_text(field, field.value[:-1])
        elif key == SPACE or not special:
            c.phone.set_text(field, field.value + (" " if key == SPACE else key))


_SOURCE_ACTIONS = {
    "pointer": {"pause", "pointerMove", "pointerDown", "pointerUp", "pointerCancel"},
    "key": {"pause", "keyDown", "keyUp"},
    "none": {"pause"},
    "wheel": {"pause", "scroll"},
}


def _sources(body: dict[str, Any]) -> list[dict[str, Any]]:
    sources = arg(body, "actions", list)
    for src in sources:
        if not isinstance(src, dict) or src.get("type") not in _SOURCE_ACTIONS or not isinstance(src.get("id"), str):
            raise InvalidArgument(f"Invalid input source {src!r}")
        params = src.get("parameters") or {}
        if src["type"] == "pointer" and params.get("pointerType", "mouse") not in ("mouse", "pen", "touch"):
            raise InvalidArgument(f"Unknown pointerType {params.get('pointerType')!r}")
        actions = arg(src, "actions", list)
        if not all(isinstance(a, dict) and a.get("type") in _SOURCE_ACTIONS[src["type"]] for a in actions):
            raise InvalidArgument(f"Invalid actions for a {src['type']} input source: {actions!r}")
    return sources


@command("POST", "/actions", native=True)
def perform_actions(c: Call) -> None:
    """W3C actions, tick by tick in real time; pointers become taps, long presses and swipes, keys type."""
    sources = _sources(c.body)
    fingers: dict[str, _Finger] = {}
    waited = 0.0
    for tick in range(max((len(s["actions"]) for s in sources), default=0)):
        duration = 0.0
        for src in sources:
            if tick >= len(src["actions"]):
                continue
            action = src["actions"][tick]
            if action["type"] in ("pause", "pointerMove"):
                duration = max(duration, _duration(action))
            if src["type"] == "pointer":
                _pointer_step(c, fingers.setdefault(src["id"], _Finger()), action)
            elif action["type"] == "keyDown":
                _key_down(c, action.get("value"))
        for finger in fingers.values():
            if finger.start is not None:
                finger.held_s += duration
        wait = min(duration, MAX_GESTURE_WAIT_S - waited)
        if wait > 0:
            time.sleep(wait)
            waited += wait


@command("DELETE", "/actions", native=True)
def release_actions(c: Call) -> None:
    """Nothing stays pressed between action sequences."""
