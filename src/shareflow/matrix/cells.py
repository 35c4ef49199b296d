"""Build a run's matrix from its output folder: one cell per phone × OS × door, with thumbnails.

results.jsonl says which link-outcome and payment tests ran and how each try ended; link-outcomes.jsonl
what each try that got as far as tapping the link saw, payment-offers.jsonl what each that got as far as
a cashier's list saw. They are joined by the try's evidence folder.
A cell holds what was seen on that phone: a test whose phone failed (infrastructure) and was
retried on another phone leaves this phone's cell ``error``, naming what the retry saw. A test that failed
before it saw an outcome (an unrecognised screen, a phone not set up) is an ``error`` cell too, headed by
its category: never an outcome of the product.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from shareflow import records
from shareflow.devices import Device
from shareflow.evidence import safe_name
from shareflow.links import AnyDoor
from shareflow.matrix import run_files, thumbs
from shareflow.matrix.model import ERROR, Cell, Key, Matrix, MatrixError, Row, columns_of
from shareflow.matrix.run_files import ResultLine, Spot
from shareflow.records import LINK_OUTCOMES, PAYMENT_OFFERS, RESULTS, LinkOutcome, PaymentOffer

Seen = LinkOutcome | PaymentOffer  # a row of what a try saw

UNKNOWN_OS = "os unknown"


def build(output_dir: Path, devices: Sequence[Device], label: str = "", run_at: datetime | None = None) -> Matrix:
    """The matrix of the run in ``output_dir``; rows in the order of ``devices`` (the pool).

    Writes the thumbnails into ``output_dir/matrix-thumbs/`` (replacing those of an
    earlier build). ``run_at`` defaults to when the run's result files were last written.
    """
    tests = run_files.results(output_dir)
    links, offers = records.link_outcomes(output_dir), records.payment_offers(output_dir)
    if tests is None and links is None and offers is None:
        raise MatrixError(
            f"{output_dir}: none of {LINK_OUTCOMES}, {PAYMENT_OFFERS} and {RESULTS} is there: "
            f"not the output folder of a run (shareflow run --output {output_dir})"
        )
    rows: list[Seen] | None = None if links is None and offers is None else [*(links or []), *(offers or [])]
    systems = {device.name: device.kind for device in devices} | {row.phone: row.os for row in rows or []}
    if tests is None:  # the observed rows are all there is (the last one of each phone and door)
        found = [_seen(output_dir, row) for row in {row.spot: row for row in rows or []}.values()]
    else:
        joined = _Rows(rows or [])
        found = [_tried(output_dir, spot, tries, joined, systems) for spot, tries in sorted(tests.items())]
    expected = {c.door: c.expected for c in found if c.outcome not in (None, ERROR)}  # per column
    for cell in found:
        cell.expected = cell.expected or expected.get(cell.door)
    _thumbnails(output_dir, found)
    cells = {cell.key: cell for cell in found}
    order = {device.name: index for index, device in enumerate(devices)}
    titles = sorted({(c.device, c.os) for c in found}, key=lambda t: (order.get(t[0], len(order)), t))
    columns = columns_of({cell.door for cell in found})
    table = [Row(name, system, [_at(cells, name, system, door) for door in columns]) for name, system in titles]
    moment = run_at or _ended_at(output_dir)
    return Matrix(label, moment, datetime.now(UTC).replace(microsecond=0), table, columns)


class _Rows:
    """What tries saw, by the try's evidence folder (by phone and door for rows without one)."""

    def __init__(self, rows: list[Seen]) -> None:
        self.by_folder = {Path(row.evidence).name: row for row in rows if row.evidence}
        self.by_spot: dict[Spot, Seen] = {row.spot: row for row in rows if not row.evidence}

    def of(self, attempt: ResultLine, spot: Spot) -> Seen | None:
        return self.by_folder.get(attempt.folder) or self.by_spot.get(spot)


def _tried(output: Path, spot: Spot, tries: list[ResultLine], rows: _Rows, systems: dict[str, str]) -> Cell:
    """The cell of a test that ran: what its last try saw, or an error."""
    device, door = spot
    final = tries[-1]
    row = rows.of(final, (final.phones, door))
    row = row if row is not None and _belongs(output, row, final) else None
    if final.phones != device:  # retried on another phone: nothing was seen on this one
        own = [attempt for attempt in tries if attempt.phones == device] or [final]
        cell = Cell(device, systems.get(device, UNKNOWN_OS), door, test=final.test)
        seen = row.observed if row else f"{final.outcome}, {final.message}".rstrip(", ")
        _error(cell, output, own[-1], f" (retried on {final.phones}: {seen})")
        return cell
    if row is not None:
        return _seen(output, row, final.test)
    cell = Cell(device, systems.get(device, UNKNOWN_OS), door, test=final.test)
    if final.outcome == "skipped":
        cell.message = f"skipped: {final.message}" if final.message else ""
    else:
        _error(cell, output, final)
    return cell


def _belongs(output: Path, row: Seen, final: ResultLine) -> bool:
    """Whether a row of what was seen was written by this run's last try (the files are only ever appended to).

    A passed try wrote it. A failed one wrote it only if it failed on the outcome itself (observed ≠ expected),
    and then, when it kept step screenshots, the screenshot of that outcome is in its (fresh) evidence folder.
    """
    if final.outcome == "passed":
        return True
    if final.outcome != "failed" or row.observed == row.expected:
        return False
    folder = _folder(output, final.folder)
    if folder is None or not run_files.has_found_shots(folder):
        return True
    return run_files.outcome_shot(folder, row.door, row.observed) is not None


def _seen(output: Path, row: Seen, test: str | None = None) -> Cell:
    """A cell with the outcome a row observed, linking the screenshot where it was found."""
    cell = Cell(row.phone, row.os, row.door, row.observed, row.expected, test)
    folder = _folder(output, Path(row.evidence).name)
    cell.screenshot = _relative(run_files.outcome_shot(folder, row.door, row.observed) if folder else None, output)
    cell.evidence = cell.screenshot or _relative(folder, output)
    return cell


def _error(cell: Cell, output: Path, attempt: ResultLine, note: str = "") -> None:
    """Make ``cell`` an error of ``attempt``, linking its evidence folder and showing its last screen."""
    cell.outcome = ERROR
    if attempt.outcome == "passed":
        cell.message = f"passed without recording what it saw in {LINK_OUTCOMES} or {PAYMENT_OFFERS}{note}"
    else:
        cell.message = f"{attempt.category or 'error'}: {attempt.message}{note}"
    folder = _folder(output, attempt.folder)
    cell.evidence = _relative(folder, output)
    cell.screenshot = _relative(run_files.failure_shot(folder) if folder else None, output)


def _at(cells: dict[Key, Cell], device: str, system: str, door: AnyDoor) -> Cell:
    """The cell of a row and column; a cell that did not run when there is none."""
    return cells.get((device, system, door)) or Cell(device, system, door)


def _folder(output: Path, name: str) -> Path | None:
    return output / name if name and (output / name).is_dir() else None


def _relative(path: Path | None, output: Path) -> str | None:
    """``path`` relative to the output folder, with ``/`` (and a trailing one for a folder)."""
    if path is None:
        return None
    return path.relative_to(output).as_posix() + ("/" if path.is_dir() else "")


def _thumbnails(output: Path, cells: Iterable[Cell]) -> None:
    """A thumbnail of each cell's screenshot in ``matrix-thumbs/`` (emptied first)."""
    folder = output / thumbs.FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    for cell in cells:
        if cell.screenshot is None:
            continue
        name = "-".join([cell.device, cell.os, *cell.door])
        target = folder / f"{safe_name(name)}.jpg"
        if thumbs.make(output / cell.screenshot, target):
            cell.thumbnail = _relative(target, output)


def _ended_at(output: Path) -> datetime:
    """When the run's result files were last written."""
    names = (RESULTS, LINK_OUTCOMES, PAYMENT_OFFERS)
    stamps = [(output / name).stat().st_mtime for name in names if (output / name).exists()]
    return datetime.fromtimestamp(max(stamps), UTC).replace(microsecond=0)
