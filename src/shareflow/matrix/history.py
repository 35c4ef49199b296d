"""The matrix of every run in a folder kept across runs (``matrix-history.jsonl``), and what changed.

One line per run, oldest first::

    {"run_at": "2026-11-28T02:00:00+00:00", "label": "nightly-42",
     "cells": [{"device": "iphone-13", "os": "ios 16.7", "carrier": "wechat", "scene": "group", "kind": "taobao",
                "outcome": "direct"}, ...]}

Only cells that ran are kept; a cell written before there were carriers has none (it was WeChat's).
A run is known by ``run_at``: building the matrix of the same
run again replaces its line instead of adding one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shareflow.links import CARRIERS, CASHIERS, LINK_KINDS, PAYMENT_METHODS, SCENES, AnyDoor, Door, PayDoor
from shareflow.matrix.model import CELL_OUTCOMES, Change, Key, Matrix, MatrixError, RunRef
from shareflow.records import FIRST_CARRIER, one_of, read_jsonl, text_field

FILE = "matrix-history.jsonl"


@dataclass(frozen=True)
class PastRun:
    """One run of the history: when, its label, and each cell's outcome."""

    at: datetime
    label: str
    outcomes: dict[Key, str]

    def to_json(self) -> str:
        cells = [
            {"device": device, "os": system, **door._asdict(), "outcome": outcome}
            for (device, system, door), outcome in self.outcomes.items()
        ]
        return json.dumps({"run_at": self.at.isoformat(), "label": self.label, "cells": cells}, ensure_ascii=False)


def _moment(entry: dict[str, Any], where: str) -> datetime:
    text = text_field(entry, "run_at", where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise MatrixError(f"{where}: field 'run_at': {text!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise MatrixError(f"{where}: field 'run_at': {text!r} has no UTC offset")
    return moment


def _run(entry: dict[str, Any], where: str) -> PastRun:
    label = entry.get("label")
    if not isinstance(label, str):
        raise MatrixError(f"{where}: field 'label': missing or not a string")
    cells = entry.get("cells")
    if not isinstance(cells, list):
        raise MatrixError(f"{where}: field 'cells': missing or not a list")
    outcomes: dict[Key, str] = {}
    for index, cell in enumerate(cells):
        at = f"{where}: cells[{index}]"
        if not isinstance(cell, dict):
            raise MatrixError(f"{at}: expected an object")
        device, system = text_field(cell, "device", at), text_field(cell, "os", at)
        outcomes[(device, system, _door(cell, at))] = text_field(cell, "outcome", at, CELL_OUTCOMES)
    return PastRun(_moment(entry, where), label, outcomes)


def _door(cell: dict[str, Any], at: str) -> AnyDoor:
    """A history cell's door: a payment's (cashier, method) or a link's (carrier, scene, kind)."""
    if "cashier" in cell:
        return PayDoor(one_of(cell, "cashier", at, CASHIERS), one_of(cell, "method", at, PAYMENT_METHODS))
    carrier = one_of(cell, "carrier", at, CARRIERS) if "carrier" in cell else FIRST_CARRIER
    return Door(carrier, one_of(cell, "scene", at, SCENES), one_of(cell, "kind", at, LINK_KINDS))


def load(folder: Path) -> list[PastRun]:
    """The runs of ``folder``'s history, oldest first (none when it has no history yet)."""
    if folder.exists() and not folder.is_dir():
        raise MatrixError(f"{folder}: not a folder (the history folder holds {FILE})")
    path = folder / FILE
    if not path.exists():
        return []
    return sorted((_run(entry, where) for where, entry in read_jsonl(path)), key=lambda run: run.at)


def compare(matrix: Matrix, runs: list[PastRun]) -> None:
    """Mark each cell whose outcome differs from the last run before this one that observed it."""
    earlier = [run for run in runs if run.at < matrix.run_at]
    matrix.previous = RunRef(earlier[-1].label, earlier[-1].at) if earlier else None
    for cell in matrix.cells():
        if cell.outcome is None:
            continue
        before = next((run for run in reversed(earlier) if cell.key in run.outcomes), None)
        if before is not None and before.outcomes[cell.key] != cell.outcome:
            cell.change = Change(before.outcomes[cell.key], before.at, before.label)


def record(folder: Path, matrix: Matrix, runs: list[PastRun]) -> None:
    """Write the history with this run in it (in place of an earlier line for the same run)."""
    outcomes = {cell.key: cell.outcome for cell in matrix.cells() if cell.outcome is not None}
    current = PastRun(matrix.run_at, matrix.label, outcomes)
    kept = sorted([*(run for run in runs if run.at != matrix.run_at), current], key=lambda run: run.at)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(run.to_json() + "\n" for run in kept), encoding="utf-8")
    os.replace(partial, path)
