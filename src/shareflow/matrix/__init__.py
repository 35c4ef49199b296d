"""The connectivity matrix: per phone × OS and scene × link kind, what tapping a shop link in WeChat showed.

``build`` (cells.py) reads a run's output folder (results.jsonl, link-outcomes.jsonl, evidence)
and makes thumbnails; ``history`` keeps every run's cells in a folder kept across runs and marks
what changed; ``report`` writes matrix.json, matrix.html (page.py) and the text summary.
"""

from shareflow.matrix import history, report
from shareflow.matrix.cells import build
from shareflow.matrix.model import Matrix, MatrixError

__all__ = ["Matrix", "MatrixError", "build", "history", "report"]
