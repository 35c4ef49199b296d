"""What building a matrix leaves: ``matrix.json``, ``matrix.html``, and a short text summary."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from shareflow.matrix import page
from shareflow.matrix.model import CELL_OUTCOMES, Matrix, run_name, stamp

JSON_FILE = "matrix.json"
HTML_FILE = "matrix.html"


def write(matrix: Matrix, output: Path) -> tuple[Path, Path]:
    """Write ``matrix.json`` and ``matrix.html`` into ``output``; returns their paths."""
    output.mkdir(parents=True, exist_ok=True)
    data, html = output / JSON_FILE, output / HTML_FILE
    data.write_text(json.dumps(matrix.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    html.write_text(page.render(matrix), encoding="utf-8")
    return data, html


def change_lines(matrix: Matrix) -> list[str]:
    """One line per changed cell: ``iphone-13 (ios 16.7) group/taobao: direct → blocked (...)``."""
    return [
        f"{cell.where}: {change.previous} → {cell.outcome} "
        f"({change.previous} at {stamp(change.previous_at)}, {cell.outcome} since {stamp(matrix.run_at)})"
        for cell in matrix.changes()
        if (change := cell.change) is not None
    ]


def summary(matrix: Matrix) -> list[str]:
    """A few lines: the counts per outcome, and every cell that changed since the previous run."""
    cells = list(matrix.cells())
    counts = Counter(cell.outcome for cell in cells)
    parts = [f"{counts[name]} {name}" for name in CELL_OUTCOMES if counts[name]]
    if counts[None]:
        parts.append(f"{counts[None]} not run")
    head = f"matrix of {run_name(matrix.label, matrix.run_at)}: {len(cells)} cells"
    head += f" ({', '.join(parts)})" if parts else ""
    unexpected = sum(cell.matches is False for cell in cells)
    lines = [head + (f"; {unexpected} not as expected" if unexpected else "")]
    if matrix.previous is None:
        return [*lines, "no earlier run in the history: nothing to compare"]
    changes = change_lines(matrix)
    lines.append(f"changed since {matrix.previous.name}: {len(changes) or 'no'} cell{'' if len(changes) == 1 else 's'}")
    return lines + [f"  {line}" for line in changes]
