"""Score Airtest 1.4.3 on template-matching cases, called the way Airtest users call it.

Runs in the Airtest virtualenv (``bash benchmarks/setup-airtest``), not in shareflow's:

    .venv-airtest/bin/python benchmarks/airtest_match.py CASES.jsonl [--root DIR]

Each input line is a JSON object ``{"screen": path, "template": path, "capture_resolution":
[w, h] (optional), ...}``; relative paths are resolved against ``--root``. For each case one
JSON line is printed, in order: ``{"found": bool, "pos": [x, y] | null, "elapsed_ms": float}``.
``pos`` is what ``Template(template, resolution=capture_resolution).match_in(screen)`` returned
(screen pixels, Airtest defaults: threshold 0.7, ``ST.CVSTRATEGY``); ``elapsed_ms`` is the wall
time of that ``match_in`` call alone. It includes Airtest reading the template file, as it
does for its users; the screen is read before timing and reused by consecutive cases with
the same screen. A case that cannot be read (or on which Airtest raises) prints ``"error"``
and ``elapsed_ms: null``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from airtest import aircv
from airtest.core.cv import Template

# Airtest's "airtest" logger logs every match at DEBUG to stderr; keep only problems.
logging.getLogger("airtest").setLevel(logging.WARNING)


def _resolve(root: Path, value: object, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a non-empty path string")
    path = Path(value)
    return path if path.is_absolute() else root / path


def _read_image(path: Path, what: str) -> Any:
    try:
        image = aircv.imread(str(path))
    except aircv.FileNotExistError as err:
        raise ValueError(f"{what} not found: {path}") from err
    if image is None:
        raise ValueError(f"{what} is not a readable image: {path}")
    return image


def _resolution(value: object) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise ValueError(f"capture_resolution must be [width, height] of positive ints, got {value!r}")
    return int(value[0]), int(value[1])


class _ScreenCache:
    """The last screen read: consecutive cases on the same screen do not read it again."""

    def __init__(self) -> None:
        self._path: Path | None = None
        self._image: Any = None

    def get(self, path: Path) -> Any:
        if path != self._path:
            self._path, self._image = None, None
            self._image = _read_image(path, "screen")
            self._path = path
        return self._image


def run_case(case: dict[str, Any], root: Path, screens: _ScreenCache) -> dict[str, Any]:
    """Match one case with Airtest; the result line as a dict."""
    try:
        screen_path = _resolve(root, case.get("screen"), "screen")
        template_path = _resolve(root, case.get("template"), "template")
        resolution = _resolution(case.get("capture_resolution"))
        screen = screens.get(screen_path)
        # Airtest reads the template itself inside match_in; check it beforehand so that an
        # unreadable file is reported as an error rather than a miss.
        _read_image(template_path, "template")
    except (ValueError, OSError) as err:  # OSError: e.g. a file without read permission
        return {"found": False, "pos": None, "elapsed_ms": None, "error": str(err)}

    if resolution is None:
        template = Template(str(template_path))
    else:
        template = Template(str(template_path), resolution=resolution)
    start = time.perf_counter()
    try:
        pos = template.match_in(screen)
    except Exception as err:  # an Airtest failure on one case must not end the run
        return {"found": False, "pos": None, "elapsed_ms": None, "error": f"airtest: {type(err).__name__}: {err}"}
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    if pos is None:
        return {"found": False, "pos": None, "elapsed_ms": elapsed_ms}
    return {"found": True, "pos": [int(pos[0]), int(pos[1])], "elapsed_ms": elapsed_ms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path, help="JSON lines, one case per line")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="base of relative paths (default: cwd)")
    args = parser.parse_args(argv)

    screens = _ScreenCache()
    with args.cases.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
                if not isinstance(case, dict):
                    raise ValueError("a case must be a JSON object")
            except ValueError as err:
                result: dict[str, Any] = {
                    "found": False,
                    "pos": None,
                    "elapsed_ms": None,
                    "error": f"line {number}: {err}",
                }
            else:
                result = run_case(case, args.root, screens)
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
