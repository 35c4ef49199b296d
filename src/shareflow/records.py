"""One record of a result: what a run writes into its output folder, and the one reader of those files.

- ``results.jsonl``: a :class:`ResultRecord` per try of a test — its call, a set-up or teardown that
  failed, and a try that failed on the infrastructure and was run again (outcome ``rerun``). A
  link-outcome test's record (one that uses ``record_link_outcome``) carries its door: carrier, scene
  and link kind (from its markers).
- ``link-outcomes.jsonl``: a :class:`LinkOutcome` per try that got as far as tapping a link — what
  it showed, on which phone, with the try's evidence folder. Lines written before there were carriers
  have none: they were WeChat's.
- ``payment-offers.jsonl``: a :class:`PaymentOffer` per try that got as far as a cashier's list —
  whether it listed the test's payment method. A payment test's record in ``results.jsonl`` carries its
  payment door (cashier and method, from its ``payment`` marker).

Both are JSON lines, appended to by every xdist worker (one ``write`` per line). A line that does not
read is a :class:`RecordError` naming ``file:line`` and the field.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args

from shareflow.errors import UsageError
from shareflow.links import (
    CARRIERS,
    CASHIERS,
    LINK_KINDS,
    OFFERS,
    OUTCOMES,
    PAYMENT_METHODS,
    SCENES,
    Carrier,
    Cashier,
    Door,
    LinkKind,
    Offer,
    Outcome,
    PayDoor,
    PaymentMethod,
    Scene,
)

RESULTS = "results.jsonl"
FIRST_CARRIER: Carrier = "wechat"  # the carrier of lines written before there were others
LINK_OUTCOMES = "link-outcomes.jsonl"
PAYMENT_OFFERS = "payment-offers.jsonl"

T = TypeVar("T", bound=str)
TestOutcome = Literal["passed", "failed", "skipped", "rerun"]  # rerun: this try failed and the test ran again
TEST_OUTCOMES: tuple[TestOutcome, ...] = get_args(TestOutcome)


class RecordError(UsageError):
    """A line of a result file that does not read: ``file:line: field 'x': ...``."""


@dataclass(frozen=True)
class ResultRecord:
    """How one try of a test ended."""

    nodeid: str
    when: str  # setup | call | teardown, or xdist's mark of a crashed worker
    outcome: TestOutcome
    phones: str = ""  # the phones the try ran on, "a, b"; a retry may take others of the same platform
    category: str = ""  # a failure's: product | unrecognised screen | device setup | infrastructure | harness
    step: str = ""  # the step it failed in
    message: str = ""  # the failure's first line, secrets masked
    evidence: str = ""  # the try's evidence folder
    duration_s: float = 0.0
    device: str = ""  # the phone the test is for (its parameter); a retry may run on another, see ``phones``
    scene: Scene | None = None  # a link-outcome test's door (carrier, scene and link kind), from its markers
    kind: LinkKind | None = None
    carrier: Carrier | None = None
    cashier: Cashier | None = None  # a payment test's payment door, from its marker
    method: PaymentMethod | None = None

    @property
    def door(self) -> Door | PayDoor | None:
        """The door a link-outcome or payment test's record names; None for any other test."""
        if self.cashier is not None and self.method is not None:
            return PayDoor(self.cashier, self.method)
        if self.scene is None or self.kind is None:
            return None
        return Door(self.carrier or FIRST_CARRIER, self.scene, self.kind)

    @property
    def name(self) -> str:
        """The test's name with its parameters, without its file: ``test_group_link_outcome[redmi-9a-jd]``."""
        return self.nodeid.split("::")[-1]


@dataclass(frozen=True)
class LinkOutcome:
    """What tapping one link showed."""

    phone: str
    os: str  # the phone's platform and version, "android 12"
    carrier: Carrier
    scene: Scene
    kind: LinkKind
    expected: Outcome
    observed: Outcome
    evidence: str = ""  # the try's evidence folder

    @property
    def door(self) -> Door:
        return Door(self.carrier, self.scene, self.kind)

    @property
    def spot(self) -> tuple[str, Door]:
        """Phone and door: where in the matrix it belongs."""
        return (self.phone, self.door)


@dataclass(frozen=True)
class PaymentOffer:
    """Whether a cashier listed one payment method."""

    phone: str
    os: str
    cashier: Cashier
    method: PaymentMethod
    expected: Offer
    observed: Offer
    evidence: str = ""  # the try's evidence folder

    @property
    def door(self) -> PayDoor:
        return PayDoor(self.cashier, self.method)

    @property
    def spot(self) -> tuple[str, PayDoor]:
        """Phone and payment door: where in the matrix it belongs."""
        return (self.phone, self.door)


def append(path: Path, record: ResultRecord | LinkOutcome | PaymentOffer) -> None:
    """Add ``record`` as one line of ``path`` (created with its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = {key: value for key, value in dataclasses.asdict(record).items() if value is not None}
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(fields, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each object of a JSON-lines file with its ``file:line``; a line that is not an object is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordError(f"{where}: not a JSON line: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise RecordError(f"{where}: expected a JSON object, got {type(value).__name__}")
        yield where, value


def text_field(entry: dict[str, Any], name: str, where: str, allowed: tuple[str, ...] = ()) -> str:
    """``entry[name]`` as a non-empty string (one of ``allowed`` when given), or an error naming it."""
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise RecordError(f"{where}: field {name!r}: missing or not a non-empty string")
    if allowed and value not in allowed:
        raise RecordError(f"{where}: field {name!r}: {value!r} is not one of {', '.join(allowed)}")
    return value


def one_of(entry: dict[str, Any], name: str, where: str, allowed: tuple[T, ...]) -> T:
    """``entry[name]``, which must be one of ``allowed`` (a vocabulary of :mod:`shareflow.links`)."""
    return cast(T, text_field(entry, name, where, allowed))


def _optional(entry: dict[str, Any], name: str, where: str, allowed: tuple[T, ...]) -> T | None:
    return one_of(entry, name, where, allowed) if entry.get(name) is not None else None


def results(output: Path) -> list[ResultRecord] | None:
    """The records of ``output/results.jsonl`` in the order written; None when the run wrote none."""
    path = output / RESULTS
    if not path.exists():
        return None
    return [
        ResultRecord(
            nodeid=text_field(entry, "nodeid", where),
            when=text_field(entry, "when", where),
            outcome=one_of(entry, "outcome", where, TEST_OUTCOMES),
            phones=str(entry.get("phones") or ""),
            category=str(entry.get("category") or ""),
            step=str(entry.get("step") or ""),
            message=str(entry.get("message") or ""),
            evidence=str(entry.get("evidence") or ""),
            duration_s=float(entry.get("duration_s") or 0.0),
            device=str(entry.get("device") or ""),
            scene=_optional(entry, "scene", where, SCENES),
            kind=_optional(entry, "kind", where, LINK_KINDS),
            carrier=_optional(entry, "carrier", where, CARRIERS),
            cashier=_optional(entry, "cashier", where, CASHIERS),
            method=_optional(entry, "method", where, PAYMENT_METHODS),
        )
        for where, entry in read_jsonl(path)
    ]


def link_outcomes(output: Path) -> list[LinkOutcome] | None:
    """The rows of ``output/link-outcomes.jsonl`` in the order written; None when the run wrote none."""
    path = output / LINK_OUTCOMES
    if not path.exists():
        return None
    return [
        LinkOutcome(
            phone=text_field(row, "phone", where),
            os=text_field(row, "os", where),
            carrier=_optional(row, "carrier", where, CARRIERS) or FIRST_CARRIER,
            scene=one_of(row, "scene", where, SCENES),
            kind=one_of(row, "kind", where, LINK_KINDS),
            expected=one_of(row, "expected", where, OUTCOMES),
            observed=one_of(row, "observed", where, OUTCOMES),
            evidence=str(row.get("evidence") or ""),
        )
        for where, row in read_jsonl(path)
    ]


def payment_offers(output: Path) -> list[PaymentOffer] | None:
    """The rows of ``output/payment-offers.jsonl`` in the order written; None when the run wrote none."""
    path = output / PAYMENT_OFFERS
    if not path.exists():
        return None
    return [
        PaymentOffer(
            phone=text_field(row, "phone", where),
            os=text_field(row, "os", where),
            cashier=one_of(row, "cashier", where, CASHIERS),
            method=one_of(row, "method", where, PAYMENT_METHODS),
            expected=one_of(row, "expected", where, OFFERS),
            observed=one_of(row, "observed", where, OFFERS),
            evidence=str(row.get("evidence") or ""),
        )
        for where, row in read_jsonl(path)
    ]
