"""A YAML file that does not parse, said in one line: ``<file>:<line>:<column>: not valid YAML: <problem>``."""

from __future__ import annotations

from pathlib import Path

import yaml


def one_line(path: Path | str, error: yaml.YAMLError, text: str = "") -> str:
    """PyYAML's multi-line account of ``error`` (with a caret drawing) as one line; line and column from 1.

    ``text`` (the file's content) places a character YAML does not allow, which PyYAML gives as an offset.
    """
    if isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line, column = before.count("\n"), error.position - (before.rfind("\n") + 1)
        return f"{path}:{line + 1}:{column + 1}: not valid YAML: unacceptable character #x{error.character:04x}"
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = getattr(error, "problem", None) or str(error).strip().splitlines()[0]
    return f"{where}: not valid YAML: {problem}"
