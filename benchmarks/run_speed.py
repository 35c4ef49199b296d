"""How long the main job takes: ``shareflow run`` of tests/e2e on the default pool, in several ways.

    .venv/bin/python benchmarks/run_speed.py [--variant NAME ...] [--scenario FILE] [--root DIR] [--markdown]

Each variant is one ``shareflow run`` (its own embedded farm, a fresh output folder) of the whole
e2e suite on ``devices.yaml``, timed from the command's start to its exit:

- ``default``: as ``make run`` runs it (since issue 13: a worker per phone, sessions kept);
- ``serial``: ``-n 0``, one test at a time (the default before issue 13);
- ``n2``, ``n3``, ``n4``, ``n6``: that many xdist workers;
- ``per-test``, ``serial-per-test``: the same as ``default`` and ``serial`` with ``--phone-sessions
  per-test``, a new Appium session for every test, as before issue 13.

``--scenario FILE`` runs every variant on that farm scenario: with the farm's ``faults:
session_start_ms: [low, high]`` (a session that takes as long to start as a real phone's) it shows
what keeping sessions saves. Until the farm has that key, ``--session-start-s LOW,HIGH`` emulates it
on the client: each new session waits that long (uniformly drawn) before it is asked for. ``--root
DIR`` runs another checkout's code and suites (e.g. the commit before a change, unpacked with ``git
archive``), with its own ``devices.yaml``.

Prints, per variant: wall time, tests passed and failed, the Appium sessions opened (counted by a
small plugin loaded with ``-p`` in every process), the sum of the tests' own durations, the machine's
load average before the run. Timings on a shared machine are noisy: compare runs made
one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHAREFLOW = Path(sys.executable).parent / "shareflow"
VARIANTS: dict[str, list[str]] = {
    "default": [],
    "serial": ["-n", "0"],
    "n2": ["-n", "2"],
    "n3": ["-n", "3"],
    "n4": ["-n", "4"],
    "n6": ["-n", "6"],
    "per-test": ["--phone-sessions", "per-test"],
    "serial-per-test": ["-n", "0", "--phone-sessions", "per-test"],
}


# loaded with -p in every process of a run: counts the sessions opened, each after waiting as long as a
# real phone's takes to start when asked (this checkout's plugin or, before issue 13, phone.py opens them)
SESSIONS = """
import os
import random
import time
from pathlib import Path

import shareflow.phone
import shareflow.plugin
import shareflow.session

LOG = Path({log!r})
_open = shareflow.session.open_driver


def _counted(device, url):
    time.sleep(random.uniform({low}, {high}))
    driver = _open(device, url)
    with LOG.open("a", encoding="utf-8") as file:
        file.write(f"{{os.getpid()}} {{device.name}}\\n")
    return driver


for module in (shareflow.phone, shareflow.plugin):
    if getattr(module, "open_driver", None) is _open:
        module.open_driver = _counted
"""


def run(
    name: str, root: Path, scenario: Path | None, folder: Path, start_s: tuple[float, float] | None = None
) -> dict[str, Any]:
    """One ``shareflow run`` of variant ``name``; its figures."""
    output = folder / f"out-{name}"
    shutil.rmtree(output, ignore_errors=True)
    argv = [str(SHAREFLOW), "run", "--output", str(output), "-p", "no:cacheprovider"]
    argv += ["--scenario", str(scenario)] if scenario else []
    argv += VARIANTS[name]
    log = folder / f"sessions-{name}.log"
    log.unlink(missing_ok=True)
    low, high = start_s or (0.0, 0.0)
    (folder / "counted_sessions.py").write_text(SESSIONS.format(log=str(log), low=low, high=high))
    argv += ["-p", "counted_sessions"]
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(root / "src"), str(folder)])}
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    lines = (output / "results.jsonl").read_text(encoding="utf-8").splitlines() if output.exists() else []
    records = [json.loads(line) for line in lines]
    finals = [r for r in records if r["outcome"] != "rerun"]
    return {
        "variant": name,
        "args": " ".join(VARIANTS[name]) or "(none)",
        "wall_s": round(wall, 1),
        "passed": sum(r["outcome"] == "passed" for r in finals),
        "failed": sum(r["outcome"] == "failed" for r in finals),
        "reruns": len(records) - len(finals),
        "test_time_s": round(sum(r["duration_s"] for r in records), 1),
        "sessions": len(log.read_text().splitlines()) if log.exists() else 0,
        "load_before": round(load, 2),
        "exit": done.returncode,
        "tail": done.stdout.strip().splitlines()[-1:] if done.returncode not in (0, 1) else [],
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| variant | pytest arguments | wall s | passed | failed | sessions opened | sum of test time s | load |"]
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        lines.append(
            f"| {r['variant']} | `{r['args']}` | {r['wall_s']} | {r['passed']} | {r['failed']} | {r['sessions']} "
            f"| {r['test_time_s']} | {r['load_before']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="(repeatable; default: default)")
    parser.add_argument("--scenario", type=Path, help="the embedded farm's scenario file")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    parser.add_argument("--session-start-s", help="LOW,HIGH: emulate a session start of that many seconds")
    parser.add_argument("--keep", type=Path, help="keep each variant's output folder here (default: removed)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    start_s = None
    if args.session_start_s:
        low, _, high = args.session_start_s.partition(",")
        start_s = (float(low), float(high or low))
    rows = []
    with tempfile.TemporaryDirectory(prefix="shareflow-run-speed-") as temporary:
        folder = args.keep.resolve() if args.keep else Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for name in args.variant or ["default"]:
            scenario = args.scenario.resolve() if args.scenario else None
            row = run(name, args.root.resolve(), scenario, folder, start_s)
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.markdown:
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
