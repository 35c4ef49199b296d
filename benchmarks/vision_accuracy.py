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

The tables show each kind of case (the kinds with positives and negatives —
bare, font, cross, own — also split into both, and by variant), the whole
corpus, the positive-heavy mix (the cases marked ``mix``: most states on
screen, as in a real test run) and each device.
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
    cases: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, expect: bool, found: bool, right_place: bool, elapsed_ms: float | None) -> None:
        self.cases += 1
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

    @property
    def right(self) -> float:
        """The share of cases answered right."""
        return (self.tp + self.tn) / self.cases if self.cases else float("nan")

    def latency(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")

    def cells(self) -> list[str]:
        """Precision (— when nothing was found), recall (— without positives), right share, median and p90 ms."""
        precision = f"{self.precision:.3f}" if self.tp + self.fp else "—"
        recall = f"{self.recall:.3f}" if self.tp + self.fn else "—"
        return [precision, recall, f"{self.right:.3f}", f"{self.latency(50):.1f}", f"{self.latency(90):.1f}"]


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


def run_tool(argv: list[str], count: int, name: str) -> tuple[list[dict[str, Any]], float]:
    """Run one tool over the cases (its stdout has one JSON line per case); the results and its wall time in s."""
    print(f"running {name} on {count} cases ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(lines) != count:
        sys.exit(
            f"{name} printed {len(lines)} results for {count} cases (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    seconds = time.monotonic() - started
    print(f"  {name}: {seconds:.0f} s", file=sys.stderr)
    return lines, seconds


WHOLE, MIX = "whole corpus", "positive-heavy mix"


def rows_of(case: dict[str, Any]) -> list[str]:
    """The rows of the kind table a case counts in; kinds with variants also by positives (+) and negatives (-)."""
    kind = case["kind"]
    rows = [kind, WHOLE, *([MIX] if case.get("mix") else [])]
    if "variant" in case:
        rows.append(f"{kind} {'+' if case['expect'] else '-'}")
    return rows


def score(cases: list[dict[str, Any]], results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Scores of each tool per row (kind, whole corpus, mix), variant and device, and the cases each got wrong."""
    by_row: dict[str, dict[str, Score]] = defaultdict(lambda: {tool: Score() for tool in TOOLS})
    by_variant: dict[str, dict[str, Score]] = defaultdict(lambda: {tool: Score() for tool in TOOLS})
    by_device: dict[str, dict[str, Score]] = defaultdict(lambda: {tool: Score() for tool in TOOLS})
    wrong: dict[str, list[str]] = {tool: [] for tool in TOOLS}
    for i, case in enumerate(cases):
        buckets = [by_row[row] for row in rows_of(case)] + [by_device[case["device"]]]
        if "variant" in case:
            buckets.append(by_variant[f"{case['kind']} {case['variant']}"])
        for tool in TOOLS:
            result = results[tool][i]
            point = point_of(tool, result)
            found, right = point is not None, inside(point, case.get("box"))
            for bucket in buckets:
                bucket[tool].add(case["expect"], found, right, result.get("elapsed_ms"))
            if found != case["expect"] or (found and not right):
                wrong[tool].append(case["id"])
    return {"row": dict(by_row), "variant": dict(by_variant), "device": dict(by_device), "wrong": wrong}


def table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
        return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows[1:])])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def row_order(names: list[str]) -> list[str]:
    """Kinds without variants, then each kind with variants followed by its + and - rows, then the totals."""
    split = sorted({n.rsplit(" ", 1)[0] for n in names if n.endswith((" +", " -"))})
    plain = sorted(n for n in names if n not in (WHOLE, MIX) and n not in split and not n.endswith((" +", " -")))
    grouped = [r for kind in split for r in (kind, f"{kind} +", f"{kind} -") if r in names]
    return [*plain, *grouped, *(r for r in (WHOLE, MIX) if r in names)]


def report(cases: list[dict[str, Any]], scores: dict[str, Any], seconds: dict[str, float], markdown: bool) -> str:
    """The side-by-side tables."""
    positives = sum(c["expect"] for c in cases)
    mix = [c for c in cases if c.get("mix")]
    head = (
        f"{len(cases)} cases: {positives} with the state on screen, {len(cases) - positives} without; "
        f"positive-heavy mix: {len(mix)} cases, {sum(c['expect'] for c in mix)} with the state on screen\n"
        f"wall time: shareflow {seconds['shareflow']:.0f} s, Airtest {seconds['airtest']:.0f} s\n\n"
    )
    measures = ("precision", "recall", "right", "median ms", "p90 ms")
    kinds = [["kind", "cases", *(f"{t} {m}" for t in TOOLS for m in measures)]]
    for name in row_order(list(scores["row"])):
        per_tool = scores["row"][name]
        kinds.append([name, str(per_tool[TOOLS[0]].cases), *(c for tool in TOOLS for c in per_tool[tool].cells())])
    totals = [["tool", "cases", "precision", "recall", "TP", "FP", "FN", "TN", "median ms", "p90 ms"]]
    for name in (n for n in (WHOLE, MIX) if n in scores["row"]):
        for tool in TOOLS:
            s = scores["row"][name][tool]
            totals.append(
                [
                    f"{tool}, {name}",
                    str(s.cases),
                    f"{s.precision:.3f}",
                    f"{s.recall:.3f}",
                    *(str(v) for v in (s.tp, s.fp, s.fn, s.tn)),
                    f"{s.latency(50):.1f}",
                    f"{s.latency(90):.1f}",
                ]
            )
    variants = [["kind and variant", "cases", *(f"{t} {m}" for t in TOOLS for m in ("right", "median ms"))]]
    for name, per_tool in sorted(scores["variant"].items()):
        cells = [name, str(per_tool[TOOLS[0]].cases)]
        for tool in TOOLS:
            cells += [f"{per_tool[tool].right:.3f}", f"{per_tool[tool].latency(50):.1f}"]
        variants.append(cells)
    devices = [["device", "cases", *(f"{t} {m}" for t in TOOLS for m in ("precision", "recall", "p90 ms"))]]
    for device, per_tool in sorted(scores["device"].items()):
        cells = [device, str(per_tool[TOOLS[0]].cases)]
        for tool in TOOLS:
            s = per_tool[tool]
            cells += [f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.latency(90):.1f}"]
        devices.append(cells)
    return (
        head
        + table(totals, markdown)
        + "\n\nPer kind (precision: — when nothing was found; recall: — without positives):\n\n"
        + table(kinds, markdown)
        + "\n\nThe kinds with positives and negatives, per variant (share of cases answered right):\n\n"
        + table(variants, markdown)
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
    runs = {
        "shareflow": run_tool(shareflow, len(cases), "shareflow"),
        "airtest": run_tool(airtest, len(cases), "Airtest 1.4.3"),
    }
    results = {tool: lines for tool, (lines, _) in runs.items()}
    seconds = {tool: wall for tool, (_, wall) in runs.items()}
    scores = score(cases, results)
    print(report(cases, scores, seconds, args.markdown))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "vision_accuracy.md").write_text(report(cases, scores, seconds, True), encoding="utf-8")
    for tool in TOOLS:
        with (args.out / f"{tool}.jsonl").open("w", encoding="utf-8") as out:
            for case, result in zip(cases, results[tool], strict=True):
                out.write(json.dumps({"id": case["id"], "expect": case["expect"], **result}) + "\n")
    (args.out / "wrong.json").write_text(json.dumps(scores["wrong"], indent=1), encoding="utf-8")
    print(f"results in {args.out}/", file=sys.stderr)


if __name__ == "__main__":
    main()
