"""The door policy: what tapping a link shows, per carrier × scene × link kind, and which payment methods
each cashier lists, as checked tables.

The farm's scenario file says what its phones do; an expectations file says what a run expects. Both
hold the same tables, checked by the same schemas, and an unknown carrier, scene, link kind, outcome,
cashier or payment method is an error naming its key path (``link_policy.qq.group: unknown key 'pdd'``)::

    link_policy:
      wechat:
        p2p:   {taobao: direct, tmall: direct, jd: direct, pinduoduo: direct, douyin: direct}
        group: {taobao: direct, tmall: direct, jd: interstitial, pinduoduo: direct, douyin: interstitial}
      qq: ...
    payment:                     # the methods each cashier lists
      taobao: [alipay]
      tmall: [alipay]
      hema: [alipay]

``LATE_2021`` and ``PAYMENT_LATE_2021`` are the state the reports of the day give; each row says whose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from shareflow.links import CARRIERS, CASHIERS, LINK_KINDS, OUTCOMES, PAYMENT_METHODS, SCENES, Door, Outcome, PayDoor

LinkPolicy = Mapping[str, Mapping[str, Mapping[str, Outcome]]]  # carrier -> scene -> link kind -> outcome
PaymentPolicy = Mapping[str, list[str]]  # cashier -> the payment methods it lists

LATE_2021: dict[str, dict[str, dict[str, Outcome]]] = {
    "wechat": {
        # 1:1 chats open every external link directly from 2021-11-29 (WeChat's statement that day, Global Times
        # 2021-11-29); Taobao and Douyin links "without a risk warning page" (daoinsights.com, 2021-11-29)
        "p2p": {"taobao": "direct", "tmall": "direct", "jd": "direct", "pinduoduo": "direct", "douyin": "direct"},
        # groups: e-commerce links open directly on trial from 2021-11-29 (the same statement); JD's behind the
        # warning (a report of the same week: group links opened, not all alike); a Douyin video is no e-commerce
        # link and keeps the warning with 继续访问, as 1:1 chats showed it from 2021-09-17 (南都, 2021-09-17)
        "group": {
            "taobao": "direct",
            "tmall": "direct",
            "jd": "interstitial",
            "pinduoduo": "direct",
            "douyin": "interstitial",
        },
    },
    # QQ opened external links first: Taobao, Tmall and Douyin links opened directly in QQ chats on 2021-09-17,
    # JD's and Pinduoduo's "normally whether on QQ or WeChat" (Chinanews, 2021-09-17, via tellerreport.com);
    # QQ suspended Taobao's and Douyin's again that afternoon (51CTO / IT时报 and Shine, 2021-09-17), a state
    # a scenario file can set
    "qq": {scene: dict.fromkeys(LINK_KINDS, "direct") for scene in SCENES},
}


# No WeChat Pay at any Alibaba cashier in late 2021: an item opened from WeChat "is paid by Alipay, not WeChat
# Pay" (红星资本局, via superpyq.com; daoinsights.com, 2021-11-29: "WeChat Pay is still excluded as a method of
# payment"); Taobao took WeChat Pay from 2024-09-12 (Taobao's announcement of 2024-09-05, via information.bz);
# Hema's cashier is Alipay's 确认付款 (wangwenxi-handsome/hema_AutoJS, 2022)
PAYMENT_LATE_2021: dict[str, list[str]] = {cashier: ["alipay"] for cashier in CASHIERS}


def payment_schema(*, complete: bool) -> dict[str, Any]:
    """The JSON schema of a payment policy: per cashier, the methods it lists (each once); with ``complete``
    every cashier is required."""
    methods = {"type": "array", "items": {"enum": list(PAYMENT_METHODS)}, "uniqueItems": True}
    node: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": dict.fromkeys(CASHIERS, methods),
    }
    return node | ({"required": list(CASHIERS)} if complete else {})


def schema(*, complete: bool) -> dict[str, Any]:
    """The JSON schema of a link policy; with ``complete`` every carrier, scene and link kind is required."""

    def level(keys: tuple[str, ...], inner: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": dict.fromkeys(keys, inner),
        }
        return node | ({"required": list(keys)} if complete else {})

    return level(CARRIERS, level(SCENES, level(LINK_KINDS, {"enum": list(OUTCOMES)})))


def where(error: jsonschema.ValidationError) -> str:
    """The key path a schema error is at: ``link_policy.qq.group``."""
    return ".".join(map(str, error.absolute_path)) or "(top level)"


def describe(error: jsonschema.ValidationError) -> str:
    """What is wrong there, in words that name the keys allowed."""
    schema_: Any = error.schema
    instance: Any = error.instance
    value: Any = error.validator_value
    if error.validator == "additionalProperties":
        allowed = sorted(schema_.get("properties", {}))
        extra = sorted(set(instance) - set(allowed))
        return f"unknown key {', '.join(map(repr, extra))} (allowed: {', '.join(allowed)})"
    if error.validator == "required":
        missing = [key for key in value if key not in instance]
        return f"missing {', '.join(map(repr, missing))} (every one of {', '.join(value)} is needed)"
    if error.validator == "enum":
        return f"{instance!r} is not one of {', '.join(map(str, value))}"
    if error.validator == "uniqueItems":
        return f"{instance!r} names a method twice"
    if error.validator == "type" and value == "array":
        return f"expected a list of payment methods ({', '.join(PAYMENT_METHODS)}), got {instance!r}"
    if error.validator == "type" and value == "object":
        return f"expected a mapping, got {instance!r}"
    return error.message


def problem(data: Any, schema_: dict[str, Any], source: str) -> str | None:
    """The first thing wrong with ``data`` against ``schema_`` (in key order) as ``<source>: <key path>: <what>``;
    None when it is valid."""
    errors = jsonschema.Draft202012Validator(schema_).iter_errors(data)
    error = min(errors, key=lambda e: [str(p) for p in e.absolute_path], default=None)
    return None if error is None else f"{source}: {where(error)}: {describe(error)}"


def outcome(policy: LinkPolicy, door: Door) -> Outcome:
    """What ``policy`` says tapping a link through ``door`` shows."""
    return policy[door.carrier][door.scene][door.kind]


def offered(policy: PaymentPolicy, door: PayDoor) -> bool:
    """Whether ``policy`` says the cashier of ``door`` lists its payment method."""
    return door.method in policy[door.cashier]
