"""The scenario file: seed, clock, link and payment policy, noise, faults and seeded defects.

Every key is optional; an omitted key takes the default below (the link policy
of late 2021, shareflow.policy.LATE_2021, with its sources). Unknown keys or
values are errors that name the file and the key path::

    seed: 7                      # same seed + same commands = same run
    clock: {start: "2021-11-29T10:00:00+08:00"}  # with its offset; default: now, China time
    link_policy:                 # per door: carrier (wechat, qq) × scene (p2p, group) × link kind (taobao, tmall,
      wechat:                    # jd, pinduoduo, douyin): direct, interstitial, blocked or copy_to_browser; the
        group: {jd: interstitial, douyin: interstitial}  # defaults (shareflow.policy.LATE_2021) are these
                                                         # two, and every other door direct
    payment:                     # the payment methods (alipay, wechat_pay) each cashier (taobao, tmall, hema) lists;
      taobao: [alipay]           # default: Alipay alone at every cashier (shareflow.policy.PAYMENT_LATE_2021)
    noise:                       # what a robust harness must absorb
      transition_ms: [150, 600]  # screen changes take this long and show intermediate frames
      promo_popup: 0.3           # chance Taobao shows a promotion over a page
      update_dialog: 0.1         # chance Taobao (Android) prompts for an update over an item or order page,
                                 # at most once per launch
      notification_prompt: 0.2   # chance an app asks for the notification permission on a cold start
                                 # (Android 13+, iOS), at most once per app and phone
      pc_login: 0.05             # chance WeChat, on a cold start, asks to confirm a login of WeChat for
                                 # Windows (登录 / 取消登录) requested meanwhile on the account
      leave_prompt: 0.5          # chance WeChat asks before a web page opens another app
                                 # (即将离开微信，打开“淘宝” with 取消 / 允许)
      notification_banner: 0.2   # chance a banner drops in after a screen change
      late_banner: 0.0           # chance a banner drops in as a tap arrives, after the tap's lookup:
                                 # a tap where the banner shows (the top of the screen) lands on it
    faults:                      # infrastructure faults; each chance is drawn per session command
      latency_ms: [0, 0]         # added to every command
      session_start_ms: [0, 0]   # a new session takes this long, as starting UiAutomator2's or
                                 # WebDriverAgent's server on a real phone does (5-30 s)
      drop_session: 0.0          # chance the session is gone: "invalid session id" 404
      server_error: 0.0          # chance the command is not done and answers "unknown error" 500
      app_crash: 0.0             # chance the app in front crashes first: its screens are gone and the
                                 # launcher shows; the session lives on (iOS: an app the session
                                 # launched by appium:bundleId makes UI commands fail, as WDA does)
      offline: 0.0               # chance the phone drops off the host: this and every later command
                                 # of the session fail as Appium's do when the device is gone, and
      offline_s: 5.0             # new sessions on the phone are refused for this many seconds
    font: system                 # the font phones draw text in: system (each profile's own: Noto Sans CJK SC
                                 # on Android, WenQuanYi Zen Hei for PingFang SC on iOS), or one family for
                                 # every phone (WenQuanYi Micro Hei: the font the shipped templates were recorded in)
    looks: versions              # versions: each app version draws with its own small differences of text
                                 # size, colour and spacing (shareflow_sim.looks); none: every version plainly
    password_shape: auto         # the Tao password's shape: auto (by each phone's Taobao version, see
                                 # passwords.shape_for), or one of link, link7, coupon, token for all
    defects: []                  # seeded product bugs, see DEFECTS

Every ``[low, high]`` range needs low <= high.
"""

from __future__ import annotations

import copy
import functools
import operator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from shareflow import policy
from shareflow.errors import UsageError
from shareflow.links import Cashier, Door, Outcome
from shareflow.yaml_errors import one_line
from shareflow_sim.fonts import FONTS
from shareflow_sim.passwords import SHAPES

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
    "link_policy": policy.LATE_2021,
    "payment": policy.PAYMENT_LATE_2021,
    "noise": {
        "transition_ms": [150, 600],
        "promo_popup": 0.3,
        "update_dialog": 0.1,
        "notification_prompt": 0.2,
        "pc_login": 0.05,
        "leave_prompt": 0.5,
        "notification_banner": 0.2,
        "late_banner": 0.0,
    },
    "faults": {
        "latency_ms": [0, 0],
        "session_start_ms": [0, 0],
        "drop_session": 0.0,
        "server_error": 0.0,
        "app_crash": 0.0,
        "offline": 0.0,
        "offline_s": 5.0,
    },
    "font": "system",
    "looks": "versions",
    "password_shape": "auto",
    "defects": [],
}
# every kind of noise off: for tests and benchmarks that look at one thing at a time (a new kind is off there too)
NOISELESS: dict[str, Any] = {key: [0, 0] if key == "transition_ms" else 0.0 for key in DEFAULTS["noise"]}
CLOCK_EXAMPLE = "2021-11-29T10:00:00+08:00"

_RANGE = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}
_CHANCE = {"type": "number", "minimum": 0, "maximum": 1}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "seed": {"type": "integer"},
        "clock": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"start": {"type": ["string", "null"]}},  # a date-time, checked by _clock_start
        },
        "link_policy": policy.schema(complete=False),
        "payment": policy.payment_schema(complete=False),
        "noise": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "transition_ms": _RANGE,
                "promo_popup": _CHANCE,
                "update_dialog": _CHANCE,
                "notification_prompt": _CHANCE,
                "pc_login": _CHANCE,
                "leave_prompt": _CHANCE,
                "notification_banner": _CHANCE,
                "late_banner": _CHANCE,
            },
        },
        "faults": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "latency_ms": _RANGE,
                "session_start_ms": _RANGE,
                "drop_session": _CHANCE,
                "server_error": _CHANCE,
                "app_crash": _CHANCE,
                "offline": _CHANCE,
                "offline_s": {"type": "number", "minimum": 0},
            },
        },
        "font": {"enum": ["system", *FONTS]},
        "looks": {"enum": ["versions", "none"]},
        "password_shape": {"enum": ["auto", *SHAPES]},
        "defects": {"type": "array", "items": {"enum": sorted(DEFECTS)}, "uniqueItems": True},
    },
}


class ScenarioError(UsageError):
    """A scenario file that cannot be used; the message names file and key."""


@dataclass(frozen=True)
class Noise:
    transition_ms: tuple[int, int]
    promo_popup: float
    update_dialog: float
    notification_prompt: float
    pc_login: float
    leave_prompt: float
    notification_banner: float
    late_banner: float


@dataclass(frozen=True)
class Faults:
    latency_ms: tuple[int, int]
    session_start_ms: tuple[int, int]
    drop_session: float
    server_error: float
    app_crash: float
    offline: float
    offline_s: float


@dataclass(frozen=True)
class Scenario:
    seed: int
    clock_start: datetime | None
    link_policy: policy.LinkPolicy
    payment: policy.PaymentPolicy
    noise: Noise
    faults: Faults
    font: str  # "system" or a family of shareflow_sim.fonts.FONTS
    looks: str  # "versions" or "none"
    password_shape: str
    defects: frozenset[str]

    def outcome(self, door: Door) -> Outcome:
        """What tapping a link through ``door`` shows."""
        return policy.outcome(self.link_policy, door)

    def methods(self, cashier: Cashier) -> list[str]:
        """The payment methods ``cashier`` lists, in the order it lists them."""
        return list(self.payment[cashier])

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


def _ranges(schema: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The key paths of every ``[low, high]`` range in ``schema``."""
    found = []
    for key, sub in schema.get("properties", {}).items():
        found += [(*path, key)] if sub is _RANGE else _ranges(sub, (*path, key))
    return found


RANGES = _ranges(SCHEMA)


def _text_dates(data: Any) -> Any:
    """``data`` with ``clock.start`` as text: YAML reads an unquoted date or date-time as a Python one."""
    clock = data.get("clock") if isinstance(data, dict) else None
    if isinstance(clock, dict) and isinstance(clock.get("start"), date):
        return _merge(data, {"clock": {"start": clock["start"].isoformat()}})
    return data


def _clock_start(text: str | None, source: str) -> datetime | None:
    """``clock.start`` as a date-time, which must carry its UTC offset."""
    if text is None:
        return None
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ScenarioError(
            f"{source}: clock.start: {text!r} is not a date-time with a UTC offset, e.g. {CLOCK_EXAMPLE!r}"
        )
    return start


def from_dict(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate ``data`` (as read from YAML) and fill in the defaults."""
    data = _text_dates({} if data is None else data)
    problem = policy.problem(data, SCHEMA, source)
    if problem is not None:
        raise ScenarioError(problem)
    merged = _merge(DEFAULTS, data)
    for path in RANGES:
        lo, hi = functools.reduce(operator.getitem, path, merged)
        if lo > hi:
            raise ScenarioError(f"{source}: {'.'.join(path)}: low {lo} is above high {hi}")
    return Scenario(
        seed=merged["seed"],
        clock_start=_clock_start(merged["clock"]["start"], source),
        link_policy=merged["link_policy"],
        payment=merged["payment"],
        noise=Noise(**_frozen(merged["noise"])),
        faults=Faults(**_frozen(merged["faults"])),
        font=merged["font"],
        looks=merged["looks"],
        password_shape=merged["password_shape"],
        defects=frozenset(merged["defects"]),
    )


def _frozen(section: dict[str, Any]) -> dict[str, Any]:
    """A section's values with its ranges as tuples."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in section.items()}


def load(path: str | Path | None) -> Scenario:
    """Read a scenario file; ``None`` gives the defaults."""
    if path is None:
        return from_dict({})
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: not UTF-8 text (byte {exc.start})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(one_line(path, exc, text)) from exc
    if data is not None and not isinstance(data, dict):
        raise ScenarioError(f"{path}: (top level): expected a mapping of keys")
    return from_dict(data, str(path))
