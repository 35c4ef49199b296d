"""The matrix's data: a door matrix, cells per phone × OS and door, and its JSON form.

A door is a link's (carrier × scene × link kind: the outcome seen) or a payment's (cashier × payment
method: ``offered`` or ``not_offered``). The columns are the doors any cell of the run is for, links
first in the order of :data:`shareflow.links.DOORS` (carrier, then scene, then link kind), then payments
in the order of :data:`shareflow.links.PAY_DOORS`: a run of WeChat's doors alone has no QQ columns.

``matrix.json`` (``Matrix.to_json``; ``format`` 2; format 1 had no carrier: every cell was WeChat's)::

    {
      "format": 2,
      "label": "nightly-42",                      # the run's name ("" when none was given)
      "report_url": "../../report/index.html",    # the run's Allure report ("" when not given)
      "run_at": "2026-11-28T02:00:00+00:00",      # when the run's tests ended
      "generated_at": "2026-11-28T02:01:10+00:00",
      "outcomes": ["direct", "interstitial", "blocked", "copy_to_browser", "error"],
      "columns": [{"carrier": "wechat", "scene": "p2p", "kind": "taobao"}, ...,
                  {"cashier": "taobao", "method": "alipay"}, ...],
      "rows": [{"device": "iphone-13", "os": "ios 16.7", "cells": [CELL, ...]}],   # pool order
      "previous": {"label": "nightly-41", "run_at": "..."} | null,  # the last run before, in the history
      "changes": [CHANGE, ...]
    }

    CELL = {"carrier", "scene", "kind" | "cashier", "method",
            "outcome": one of "outcomes" | null (not run),
            "expected": what expectations.yaml said | null, "matches": bool | null,
            "test": "test_group_link_outcome[iphone-13-taobao]" | null,
            "evidence": the outcome's screenshot, or an error's evidence folder | null,
            "screenshot": the full-size picture of the thumbnail | null,
            "thumbnail": "matrix-thumbs/....jpg" | null,
            "message": an error's category and message ("" otherwise),
            "change": {"previous", "previous_at", "previous_label"} | null}

    CHANGE = {"device", "os", the door's keys as in CELL, "previous", "previous_at", "previous_label",
              "outcome", "at", "label"}

Paths are relative to the folder holding ``matrix.json``, with ``/`` separators.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shareflow.errors import UsageError
from shareflow.links import DOORS, OFFERS, OUTCOMES, PAY_DOORS, AnyDoor

FORMAT = 2
ERROR = "error"
CELL_OUTCOMES = (*OUTCOMES, *OFFERS, ERROR)  # what a cell shows: an outcome or offer seen, or that none could be

Key = tuple[str, str, AnyDoor]  # device, os, door


class MatrixError(UsageError):
    """Input the matrix cannot be built from; the message names the file, line and field."""


def columns_of(doors: set[AnyDoor]) -> list[AnyDoor]:
    """The matrix's columns: ``doors`` in the order of every door (links, then payments)."""
    return [door for door in (*DOORS, *PAY_DOORS) if door in doors]


def stamp(moment: datetime) -> str:
    """A moment as people read it in the page and the summary: ``2026-11-28 02:00 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def run_name(label: str, moment: datetime) -> str:
    """How a run is named to people: its label and time, or its time alone."""
    return f"{label} ({stamp(moment)})" if label else f"the run of {stamp(moment)}"


@dataclass(frozen=True)
class Change:
    """What a cell showed the last time it was observed before this run."""

    previous: str
    previous_at: datetime
    previous_label: str


@dataclass
class Cell:
    """One phone × OS × door: the outcome (or offer) seen, and where the proof is."""

    device: str
    os: str
    door: AnyDoor
    outcome: str | None = None  # None: not run
    expected: str | None = None
    test: str | None = None
    evidence: str | None = None
    screenshot: str | None = None
    thumbnail: str | None = None
    message: str = ""
    change: Change | None = None

    @property
    def key(self) -> Key:
        return (self.device, self.os, self.door)

    @property
    def matches(self) -> bool | None:
        """Whether the outcome is the expected one (None when the cell was not run)."""
        return None if self.outcome is None else self.outcome == self.expected

    @property
    def where(self) -> str:
        """``iphone-13 (ios 16.7) wechat/group/taobao``, ``... taobao/wechat_pay``."""
        return f"{self.device} ({self.os}) {'/'.join(self.door)}"

    def to_json(self) -> dict[str, Any]:
        change = None
        if self.change is not None:
            change = {
                "previous": self.change.previous,
                "previous_at": self.change.previous_at.isoformat(),
                "previous_label": self.change.previous_label,
            }
        return {
            **self.door._asdict(),
            "outcome": self.outcome,
            "expected": self.expected,
            "matches": self.matches,
            "test": self.test,
            "evidence": self.evidence,
            "screenshot": self.screenshot,
            "thumbnail": self.thumbnail,
            "message": self.message,
            "change": change,
        }


@dataclass
class Row:
    """One phone with one OS version, its cells in the matrix's column order."""

    device: str
    os: str
    cells: list[Cell]

    @property
    def title(self) -> str:
        return f"{self.device} ({self.os})"


@dataclass(frozen=True)
class RunRef:
    """A run of the history, by label and time."""

    label: str
    at: datetime

    @property
    def name(self) -> str:
        return run_name(self.label, self.at)


@dataclass
class Matrix:
    """A run's connectivity matrix, and how it differs from the runs before it."""

    label: str
    run_at: datetime
    generated_at: datetime
    rows: list[Row]
    columns: list[AnyDoor]
    previous: RunRef | None = None
    report_url: str = ""  # the run's Allure report, linked from the page

    def cells(self) -> Iterator[Cell]:
        for row in self.rows:
            yield from row.cells

    def changes(self) -> list[Cell]:
        """The cells whose outcome differs from the last time they were observed."""
        return [cell for cell in self.cells() if cell.change is not None]

    def to_json(self) -> dict[str, Any]:
        previous = None
        if self.previous is not None:
            previous = {"label": self.previous.label, "run_at": self.previous.at.isoformat()}
        return {
            "format": FORMAT,
            "label": self.label,
            "report_url": self.report_url,
            "run_at": self.run_at.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "outcomes": list(CELL_OUTCOMES),
            "columns": [door._asdict() for door in self.columns],
            "rows": [
                {"device": row.device, "os": row.os, "cells": [cell.to_json() for cell in row.cells]}
                for row in self.rows
            ],
            "previous": previous,
            "changes": [
                {
                    "device": cell.device,
                    "os": cell.os,
                    **cell.door._asdict(),
                    **(cell.to_json()["change"] or {}),
                    "outcome": cell.outcome,
                    "at": self.run_at.isoformat(),
                    "label": self.label,
                }
                for cell in self.changes()
            ],
        }
