"""Score shareflow's matcher and Airtest 1.4.3 on the same template-matching corpus, side by side.

    .venv/bin/python benchmarks/vision_accuracy.py [--corpus benchmarks/corpus] [--markdown]

Builds the corpus when it is missing (``benchmarks/vision_corpus.py``), sets
up Airtest in its own virtualenv (``benchmarks/setup-airtest``), then runs
both tools on every case, one after the other on an otherwise idle machine:

- shareflow as its users call it: ``shareflow match --batch CASES --json``;
- Airtest as its users call it: ``Template(path, resolution=capture_resolution).match_in(screen)``
  (``benchmarks/airtest_match.py``), defaults untouched (threshold 0.7).

A case counts as a true positive when the state is on the screen and the
tool's point (the box centre for shareflow, ``match_in``'s position for
Airtest) lies inside the true box; a match anywhere else — on a screen
without the state, or at the wrong place — is a false positive. Latency is
each tool's own timing of one match (screen already decoded).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
AIRTEST_PYTHON = ROOT / ".venv-airtest" / "bin" / "python"
TOOLS = ("shareflow", "airtest")


@dataclass
class Score:
    """Counts and latencies of one tool over some cases."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, expect: bool, found: bool, right_place: bool, elapsed_ms: float | None) -> None:
        if elapsed_ms is not None:
            self.latencies.append(elapsed_ms)
        if expect and found and right_place:
            self.tp += 1
        elif found:
            self.fp += 1
            self.fn += int(expect)
        elif expect:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def latency(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")


def point_of(tool: str, result: dict[str, Any]) -> tuple[float, float] | None:
    """The place a tool says it found: the box centre (shareflow) or the returned position (Airtest)."""
    if not result.get("found"):
        return None
    if tool == "shareflow":
        x, y, w, h = result["box"]
        return x + w / 2, y + h / 2
    return tuple(result["pos"])  # type: ignore[return-value]


def inside(point: tuple[float, float] | None, box: list[int] | None) -> bool:
    if point is None or box is None:
        return False
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def run_tool(argv: list[str], count: int, name: str) -> list[dict[str, Any]]:
    """Run one tool over the cases; its stdout has one JSON line per case."""
    print(f"running {name} on {count} cases ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(lines) != count:
        sys.exit(
            f"{name} printed {len(lines)} results for {count} cases (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    print(f"  {name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return lines


def score(cases: list[dict[str, Any]], results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Overall, per-kind and per-device scores of each tool, and the cases each got wrong."""
    overall = {tool: Score() for tool in TOOLS}
    by_kind: dict[str, dict[str, Score]] = defaultdict(lambda: {tool: Score() for tool in TOOLS})
    by_device: dict[str, dict[str, Score]] = defaultdict(lambda: {tool: Score() for tool in TOOLS})
    wrong: dict[str, list[str]] = {tool: [] for tool in TOOLS}
    for i, case in enumerate(cases):
        for tool in TOOLS:
            result = results[tool][i]
            point = point_of(tool, result)
            found, right = point is not None, inside(point, case.get("box"))
            for bucket in (overall[tool], by_kind[case["kind"]][tool], by_device[case["device"]][tool]):
                bucket.add(case["expect"], found, right, result.get("elapsed_ms"))
            if found != case["expect"] or (found and not right):
                wrong[tool].append(case["id"])
    return {"overall": overall, "kind": dict(by_kind), "device": dict(by_device), "wrong": wrong}


def table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
        return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows[1:])])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def report(cases: list[dict[str, Any]], scores: dict[str, Any], markdown: bool) -> str:
    """The side-by-side tables."""
    positives = sum(c["expect"] for c in cases)
    head = f"{len(cases)} cases: {positives} with the state on screen, {len(cases) - positives} without\n\n"
    rows = [["tool", "precision", "recall", "TP", "FP", "FN", "TN", "median ms", "p90 ms"]]
    for tool in TOOLS:
        s = scores["overall"][tool]
        rows.append(
            [
                tool,
                f"{s.precision:.3f}",
                f"{s.recall:.3f}",
                *(str(v) for v in (s.tp, s.fp, s.fn, s.tn)),
                f"{s.latency(50):.1f}",
                f"{s.latency(90):.1f}",
            ]
        )
    kinds = [["kind", "cases", *(f"{t} {m}" for t in TOOLS for m in ("right", "median ms"))]]
    for kind, per_tool in sorted(scores["kind"].items()):
        count = sum(1 for c in cases if c["kind"] == kind)
        cells = [kind, str(count)]
        for tool in TOOLS:
            s = per_tool[tool]
            cells += [f"{(s.tp + s.tn) / count:.3f}", f"{s.latency(50):.1f}"]
        kinds.append(cells)
    devices = [["device", "cases", *(f"{t} {m}" for t in TOOLS for m in ("precision", "recall", "p90 ms"))]]
    for device, per_tool in sorted(scores["device"].items()):
        cells = [device, str(sum(1 for c in cases if c["device"] == device))]
        for tool in TOOLS:
            s = per_tool[tool]
            cells += [f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.latency(90):.1f}"]
        devices.append(cells)
    return (
        head
        + table(rows, markdown)
        + "\n\nShare of cases answered right, per kind:\n\n"
        + table(kinds, markdown)
        + "\n\nPer device:\n\n"
        + table(devices, markdown)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    args = parser.parse_args()
    cases_file = args.corpus / "cases.jsonl"
    if not cases_file.exists():
        print("building the corpus ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "benchmarks/vision_corpus.py", "--out", str(args.corpus)], cwd=ROOT, check=True)
    subprocess.run(["bash", "benchmarks/setup-airtest"], cwd=ROOT, check=True)
    cases = [json.loads(line) for line in cases_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    shareflow = [str(Path(sys.executable).parent / "shareflow"), "match", "--batch", str(cases_file), "--json"]
    airtest = [str(AIRTEST_PYTHON), "benchmarks/airtest_match.py", str(cases_file), "--root", str(ROOT)]
    results = {
        "shareflow": run_tool(shareflow, len(cases), "shareflow"),
        "airtest": run_tool(airtest, len(cases), "Airtest 1.4.3"),
    }
    scores = score(cases, results)
    text = report(cases, scores, args.markdown)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "vision_accuracy.md").write_text(report(cases, scores, True), encoding="utf-8")
    for tool in TOOLS:
        with (args.out / f"{tool}.jsonl").open("w", encoding="utf-8") as out:
            for case, result in zip(cases, results[tool], strict=True):
                out.write(json.dumps({"id": case["id"], "expect": case["expect"], **result}) + "\n")
    (args.out / "wrong.json").write_text(json.dumps(scores["wrong"], indent=1), encoding="utf-8")
    print(f"results in {args.out.relative_to(ROOT)}/", file=sys.stderr)


if __name__ == "__main__":
    main()
