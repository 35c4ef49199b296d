"""What a run left in its output folder for the matrix: test results, observed link outcomes, screenshots."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shareflow import secrets
from shareflow.links import LINK_KINDS, OUTCOMES, SCENES
from shareflow.matrix.model import MatrixError
from shareflow.summary import RESULTS

LINK_OUTCOMES = "link-outcomes.jsonl"
TEST_ID = re.compile(r"test_(?P<scene>p2p|group)_link_outcome\[(?P<device>.+)-(?P<kind>taobao|tmall|jd)\]")
IMAGE = re.compile(r"(?P<number>\d+)-(?P<name>.+)\.(png|jpe?g)", re.IGNORECASE)

Spot = tuple[str, str, str]  # device, scene, kind


@dataclass(frozen=True)
class ResultLine:
    """One try of a link-outcome test in results.jsonl (a try failed on the infrastructure is run again)."""

    test: str  # test_group_link_outcome[redmi-9a-taobao]
    outcome: str  # passed | failed | skipped | rerun (this try failed and the test ran again)
    phones: str  # the phone the try ran on: a retry may take another of the same platform
    category: str
    message: str
    folder: str  # its evidence folder's name under the output folder ("" when none)


@dataclass(frozen=True)
class Observation:
    """A row of link-outcomes.jsonl: what tapping one link showed."""

    device: str
    os: str
    scene: str
    kind: str
    expected: str
    observed: str
    folder: str  # the try's evidence folder's name ("" when the row does not say)

    @property
    def spot(self) -> Spot:
        return (self.device, self.scene, self.kind)


def read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each object of a JSON-lines file with its ``file:line``; a line that is not an object is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MatrixError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MatrixError(f"{where}: not a JSON line: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise MatrixError(f"{where}: expected a JSON object, got {type(value).__name__}")
        yield where, value


def text_field(entry: dict[str, Any], name: str, where: str, allowed: tuple[str, ...] = ()) -> str:
    """``entry[name]`` as a non-empty string (one of ``allowed`` when given), or an error naming it."""
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise MatrixError(f"{where}: field {name!r}: missing or not a non-empty string")
    if allowed and value not in allowed:
        raise MatrixError(f"{where}: field {name!r}: {value!r} is not one of {', '.join(allowed)}")
    return value


def results(output: Path) -> dict[Spot, list[ResultLine]] | None:
    """The tries of each link-outcome test in results.jsonl, by phone, scene and kind; None without the file."""
    path = output / RESULTS
    if not path.exists():
        return None
    found: dict[Spot, list[ResultLine]] = {}
    for where, record in read_jsonl(path):
        name = text_field(record, "nodeid", where).split("::")[-1]
        match = TEST_ID.fullmatch(name)
        if match is None or record.get("when") == "teardown":  # the outcome is seen, or not, before teardown
            continue
        found.setdefault((match["device"], match["scene"], match["kind"]), []).append(
            ResultLine(
                test=name,
                outcome=text_field(record, "outcome", where, ("passed", "failed", "skipped", "rerun")),
                phones=str(record.get("phones") or "") or match["device"],
                category=str(record.get("category") or ""),
                message=secrets.redact(str(record.get("message") or "")),
                folder=Path(str(record.get("evidence") or "")).name,
            )
        )
    return found


def observations(output: Path) -> list[Observation] | None:
    """The rows of link-outcomes.jsonl in the order written; None without the file."""
    path = output / LINK_OUTCOMES
    if not path.exists():
        return None
    return [
        Observation(
            device=text_field(row, "device", where),
            os=text_field(row, "os", where),
            scene=text_field(row, "scene", where, SCENES),
            kind=text_field(row, "kind", where, LINK_KINDS),
            expected=text_field(row, "expected", where, OUTCOMES),
            observed=text_field(row, "observed", where, OUTCOMES),
            folder=Path(str(row.get("evidence") or "")).name,
        )
        for where, row in read_jsonl(path)
    ]


def _images(folder: Path) -> list[tuple[Path, str]]:
    """The folder's step and failure pictures with their step names, in the order they were taken."""
    shots = []
    for path in folder.iterdir():
        match = IMAGE.fullmatch(path.name)
        if match is not None:
            shots.append((int(match["number"]), path, match["name"]))
    return [(path, name) for _, path, name in sorted(shots)]


def outcome_state(kind: str, outcome: str) -> str:
    """The screen state that shows ``outcome`` for a ``kind`` link, as evidence files name it."""
    return f"wechat_h5_{kind}" if outcome == "direct" else f"wechat_{outcome}"


def outcome_shot(folder: Path, kind: str, outcome: str) -> Path | None:
    """The step screenshot where ``outcome`` was found (``NN-wechat_blocked_found.jpg``), the last if several."""
    wanted = f"{outcome_state(kind, outcome)}_found"
    found = [path for path, name in _images(folder) if name == wanted]
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
