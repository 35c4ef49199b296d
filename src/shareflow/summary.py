"""The run summary: per test and phone, passed or failed, where, and the evidence."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

RESULTS = "results.jsonl"
MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def read(output: Path) -> list[dict[str, object]]:
    """The result records the plugin wrote under ``output``."""
    path = output / RESULTS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def render(records: list[dict[str, object]], output: Path, allure_dir: Path | None) -> str:
    """A readable table of the run, failures with their step and evidence."""
    retried = {str(r["nodeid"]): r for r in records if r["outcome"] == "rerun"}
    records = [r for r in records if r["outcome"] != "rerun"]
    if not records:
        return f"shareflow: no test reported a result (see {output})"
    counts = Counter(str(r["outcome"]) for r in records)
    categories = Counter(str(r["category"]) for r in records if r["outcome"] == "failed")
    head = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    if categories:
        head += " (" + ", ".join(f"{n} {c}" for c, n in sorted(categories.items())) + ")"
    if retried:
        head += f"; {len(retried)} retried after an infrastructure failure"
    width = max(len(str(r["nodeid"]).split("::")[-1]) for r in records)
    lines = [f"shareflow summary: {head}", ""]
    for r in sorted(records, key=lambda r: (r["outcome"] != "failed", str(r["nodeid"]))):
        name = str(r["nodeid"]).split("::")[-1]
        line = f"  {MARK.get(str(r['outcome']), '?'):4}  {name:{width}}  {r['phones']}  {r['duration_s']} s"
        lines.append(line)
        first = retried.get(str(r["nodeid"]))
        if first is not None:
            lines.append(f"        retried: the first run on {first['phones']} failed: {first['message']}")
        if r["outcome"] == "failed":
            if r["step"]:
                lines.append(f"        failed at step: {r['step']}")
            lines.append(f"        {r['category'] or 'error'}: {r['message']}")
            if r["evidence"]:
                lines.append(f"        evidence: {shown(Path(str(r['evidence'])))}")
    lines.append("")
    lines.append(f"evidence folder: {shown(output)}")
    if allure_dir is not None:
        lines.append(f"allure results:  {shown(allure_dir)}")
    return "\n".join(lines)


def shown(path: Path) -> Path:
    """``path`` as a person would type it here: relative to the current folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path
