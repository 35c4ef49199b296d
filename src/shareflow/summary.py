"""The run summary: per test and phone, passed or failed, where, and the evidence."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from shareflow import records as result_records
from shareflow.outcomes import DEVICE_SETUP, UNRECOGNISED_SCREEN
from shareflow.records import ResultRecord

MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
# what to do about a failure that is not the product's, said once under the table when one is there
ADVICE = {
    UNRECOGNISED_SCREEN: "the screen matched nothing the step waited for, nor a known wrong state: not a product "
    "failure. Its screen at failure and the closest states say what it showed: a new dialog wants a dismiss "
    "rule, a changed page a template; a page that is wrong, a check that recognises it.",
    DEVICE_SETUP: "the phone is not set up for a step: do what the message says (an empty node tree: turn on an "
    "accessibility service and set `accessibility_service: true` on the phone's devices.yaml entry).",
}


def read(output: Path) -> list[ResultRecord]:
    """The result records the plugin wrote under ``output`` (none when it wrote none)."""
    return result_records.results(output) or []


def render(records: list[ResultRecord], output: Path, allure_dir: Path | None) -> str:
    """A readable table of the run, failures with their step and evidence."""
    retried = {r.nodeid: r for r in records if r.outcome == "rerun"}
    records = [r for r in records if r.outcome != "rerun"]
    if not records:
        return f"shareflow: no test reported a result (see {output})"
    counts = Counter(r.outcome for r in records)
    categories = Counter(r.category for r in records if r.outcome == "failed")
    head = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    if categories:
        head += " (" + ", ".join(f"{n} {c}" for c, n in sorted(categories.items())) + ")"
    if retried:
        head += f"; {len(retried)} retried after an infrastructure failure"
    width = max(len(r.name) for r in records)
    lines = [f"shareflow summary: {head}", ""]
    for r in sorted(records, key=lambda r: (r.outcome != "failed", r.nodeid)):
        lines.append(f"  {MARK.get(r.outcome, '?'):4}  {r.name:{width}}  {r.phones}  {r.duration_s} s")
        first = retried.get(r.nodeid)
        if first is not None:
            lines.append(f"        retried: the first run on {first.phones} failed: {first.message}")
        if r.outcome == "failed":
            if r.step:
                lines.append(f"        failed at step: {r.step}")
            lines.append(f"        {r.category or 'error'}: {r.message}")
            if r.evidence:
                lines.append(f"        evidence: {shown(Path(r.evidence))}")
    lines.append("")
    lines += [f"{category}: {ADVICE[category]}" for category in sorted(categories) if category in ADVICE]
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
