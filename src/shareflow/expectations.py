"""Expected link outcomes: what tapping a link should show, per door (carrier × scene × link kind).

An expectations file (the suites' ``--expectations``, default ``tests/e2e/expectations.yaml``) holds a
complete door policy under ``link_policy`` (see :mod:`shareflow.policy`): each carrier (``wechat``,
``qq``), each scene (``p2p``, ``group``), each link kind (``taobao``, ``tmall``, ``jd``, ``pinduoduo``,
``douyin``) and the outcome expected (``direct``, ``interstitial``, ``blocked``, ``copy_to_browser``).
A test looks its own up with ``expectations.of(door)``; its door comes from its markers. Under
``payment`` it names, per cashier (``taobao``, ``tmall``, ``hema``), the payment methods expected on
its list (``alipay``, ``wechat_pay``): ``expectations.offers(pay_door)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shareflow import policy
from shareflow.errors import UsageError
from shareflow.links import Door, Outcome, PayDoor
from shareflow.yaml_errors import one_line

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["link_policy", "payment"],
    "properties": {"link_policy": policy.schema(complete=True), "payment": policy.payment_schema(complete=True)},
}


class ExpectationsError(UsageError):
    """An expectations file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Expectations:
    """The expected outcome per door, as read from ``source``."""

    links: policy.LinkPolicy
    payment: policy.PaymentPolicy
    source: Path

    def of(self, door: Door) -> Outcome:
        """The outcome expected of a link through ``door``."""
        return policy.outcome(self.links, door)

    def offers(self, door: PayDoor) -> bool:
        """Whether the cashier of ``door`` is expected to list its payment method."""
        return policy.offered(self.payment, door)


def load(path: Path) -> Expectations:
    """Read and check an expectations file; :class:`ExpectationsError` naming the file and the key path."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ExpectationsError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ExpectationsError(one_line(path, exc, text)) from None
    problem = policy.problem(data, SCHEMA, str(path))
    if problem is not None:
        raise ExpectationsError(problem)
    return Expectations(data["link_policy"], data["payment"], path)
