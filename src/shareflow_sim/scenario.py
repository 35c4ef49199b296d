"""The scenario file: seed, link policy, noise, faults and seeded defects.

Every key is optional; an omitted key takes the default below (the late-2021
policy: Taobao and Tmall links open directly in 1:1 and group chats, JD links
open directly in 1:1 chats and behind the interstitial in groups). Unknown
keys or values are errors that name the file and the key path.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCENES = ("p2p", "group")
LINK_KINDS = ("taobao", "tmall", "jd")
OUTCOMES = ("direct", "interstitial", "blocked", "copy_to_browser")
DEFECTS = {
    "share_panel_without_wechat": "Taobao's share panel lacks the WeChat target",
    "password_not_copied": "the 'copied' dialog shows but the clipboard stays empty",
    "h5_wrong_item": "the in-app browser shows a different item than the link names",
    "submit_order_disabled": "the order confirmation's 提交订单 button is disabled",
    "group_message_lost": "messages sent to a group never reach the other members",
}

DEFAULTS: dict[str, Any] = {
    "seed": 7,
    "clock": {"start": None},
    "link_policy": {
        "p2p": {"taobao": "direct", "tmall": "direct", "jd": "direct"},
        "group": {"taobao": "direct", "tmall": "direct", "jd": "interstitial"},
    },
    "noise": {"transition_ms": [150, 600], "promo_popup": 0.3, "notification_banner": 0.2},
    "faults": {"latency_ms": [0, 0], "drop_session": 0.0},
    "defects": [],
}

_RANGE = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}
_CHANCE = {"type": "number", "minimum": 0, "maximum": 1}
_SCENE_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {kind: {"enum": list(OUTCOMES)} for kind in LINK_KINDS},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "seed": {"type": "integer"},
        "clock": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"start": {"type": ["string", "null"], "format": "date-time"}},
        },
        "link_policy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {scene: _SCENE_POLICY for scene in SCENES},
        },
        "noise": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "transition_ms": _RANGE,
                "promo_popup": _CHANCE,
                "notification_banner": _CHANCE,
            },
        },
        "faults": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"latency_ms": _RANGE, "drop_session": _CHANCE},
        },
        "defects": {"type": "array", "items": {"enum": sorted(DEFECTS)}, "uniqueItems": True},
    },
}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names file and key."""


@dataclass(frozen=True)
class Noise:
    transition_ms: tuple[int, int]
    promo_popup: float
    notification_banner: float


@dataclass(frozen=True)
class Faults:
    latency_ms: tuple[int, int]
    drop_session: float


@dataclass(frozen=True)
class Scenario:
    seed: int
    clock_start: datetime | None
    link_policy: dict[str, dict[str, str]]
    noise: Noise
    faults: Faults
    defects: frozenset[str]

    def outcome(self, scene: str, kind: str) -> str:
        """What tapping a link of ``kind`` in a ``scene`` chat shows."""
        return self.link_policy[scene][kind]

    def has(self, defect: str) -> bool:
        return defect in self.defects


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"unknown key {', '.join(map(repr, extra))} (allowed: {', '.join(allowed)})"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return error.message


def from_dict(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate ``data`` (as read from YAML) and fill in the defaults."""
    if data is None:
        data = {}
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise ScenarioError(f"{source}: {_where(first)}: {_describe(first)}")
    merged = _merge(DEFAULTS, data)
    lo, hi = merged["noise"]["transition_ms"]
    if lo > hi:
        raise ScenarioError(f"{source}: noise.transition_ms: low {lo} is above high {hi}")
    start = merged["clock"]["start"]
    return Scenario(
        seed=merged["seed"],
        clock_start=datetime.fromisoformat(start) if start else None,
        link_policy=merged["link_policy"],
        noise=Noise(
            tuple(merged["noise"]["transition_ms"]),
            merged["noise"]["promo_popup"],
            merged["noise"]["notification_banner"],
        ),
        faults=Faults(tuple(merged["faults"]["latency_ms"]), merged["faults"]["drop_session"]),
        defects=frozenset(merged["defects"]),
    )


def load(path: str | Path | None) -> Scenario:
    """Read a scenario file; ``None`` gives the defaults."""
    if path is None:
        return from_dict({})
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    if data is not None and not isinstance(data, dict):
        raise ScenarioError(f"{path}: (top level): expected a mapping of keys")
    return from_dict(data, str(path))
