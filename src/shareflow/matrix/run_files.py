"""What a run left in its output folder for the matrix: each link-outcome test's tries, and its screenshots."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shareflow import records, secrets
from shareflow.links import AnyDoor, Door

IMAGE = re.compile(r"(?P<number>\d+)-(?P<name>.+)\.(png|jpe?g)", re.IGNORECASE)

Spot = tuple[str, AnyDoor]  # device, door (of a link or a payment)


@dataclass(frozen=True)
class ResultLine:
    """One try of a link-outcome test (a try failed on the infrastructure is run again)."""

    test: str  # test_group_link_outcome[redmi-9a-taobao]
    outcome: str  # passed | failed | skipped | rerun (this try failed and the test ran again)
    phones: str  # the phone the try ran on: a retry may take another of the same platform
    category: str
    message: str
    folder: str  # its evidence folder's name under the output folder ("" when none)


def results(output: Path) -> dict[Spot, list[ResultLine]] | None:
    """The tries of each link-outcome or payment test (its record names a door), by phone and door.

    None without results.jsonl.
    """
    found_records = records.results(output)
    if found_records is None:
        return None
    found: dict[Spot, list[ResultLine]] = {}
    for record in found_records:
        door = record.door
        if door is None or record.when == "teardown":  # seen, or not, before teardown
            continue
        device = record.device or record.phones
        found.setdefault((device, door), []).append(
            ResultLine(
                test=record.name,
                outcome=record.outcome,
                phones=record.phones or device,
                category=record.category,
                message=secrets.redact(record.message),
                folder=Path(record.evidence).name,
            )
        )
    return found


def _images(folder: Path) -> list[tuple[Path, str]]:
    """The folder's step and failure pictures with their step names, in the order they were taken."""
    shots = []
    for path in folder.iterdir():
        match = IMAGE.fullmatch(path.name)
        if match is not None:
            shots.append((int(match["number"]), path, match["name"]))
    return [(path, name) for _, path, name in sorted(shots)]


def outcome_state(door: AnyDoor, outcome: str) -> str:
    """The screen state that shows ``outcome`` through ``door``, as evidence files name it: the carrier's page of
    the link's kind (``wechat_h5_jd``) or of the outcome (``qq_blocked``); for a payment door, the end of the name
    of its app's cashier (``taobao_cashier``, ``hema_cashier``)."""
    if not isinstance(door, Door):
        return "_cashier"
    return f"{door.carrier}_h5_{door.kind}" if outcome == "direct" else f"{door.carrier}_{outcome}"


def outcome_shot(folder: Path, door: AnyDoor, outcome: str) -> Path | None:
    """The step screenshot where ``outcome`` was found (``NN-wechat_blocked_found.jpg``), the last if several."""
    wanted = f"{outcome_state(door, outcome)}_found"
    found = [path for path, name in _images(folder) if name.endswith(wanted)]
    return found[-1] if found else None


def has_found_shots(folder: Path) -> bool:
    """Whether the test kept step screenshots (``..._found``) at all."""
    return any(name.endswith("_found") for _, name in _images(folder))


def failure_shot(folder: Path) -> Path | None:
    """The screen at failure, else the last picture taken, else None."""
    shots = _images(folder)
    at_failure = [path for path, name in shots if name.endswith("screen_at_failure")]
    if at_failure:
        return at_failure[-1]
    return shots[-1][0] if shots else None
