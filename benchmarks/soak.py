"""Soak: the reporter's suites run over and over on the embedded farm, under heavy noise or under faults.

    .venv/bin/python benchmarks/soak.py [--runs 100] [--seed 1] [--parallel 5] [--phones 1] [-n 2] [--markdown]
    .venv/bin/python benchmarks/soak.py --faults [--fault offline=0.001 ...] [--runs 100] [--markdown]

The soak is made of rounds. Each round writes a scenario file with a seed of its own (the first
round's is ``--seed``, then one more each round) and runs ``shareflow run --devices devices.yaml
--scenario S --output O -n K <tests>`` on phones of both platforms, rotating over the pool's
embedded phones; ``--parallel`` rounds run side by side, each with a farm of its own (the suites
mostly wait on the farm's transitions and latency, so one round leaves the CPU idle). Rounds go on
until ``--runs`` tests have run. What is reported is read from each round's ``O/results.jsonl``
(and the faults its farm injected from ``O/farm.log``), never assumed:

- **Noise soak** (default): one Android and one iOS phone a round; transitions of 400-1500 ms,
  Taobao's promotion over nine pages in ten, a notification banner after nine screen changes in ten,
  a banner dropping in as three taps in ten arrive, 50-300 ms added to every command; no seeded
  defect and the default link policy. Every failed test is then a false failure: there must be
  none. Also reported: infrastructure retries, time per test (pytest's call phase: median and
  p90) and failed tries per category.
- **Fault soak** (``--faults``): two phones of each platform a round (so that a retry can move to
  another phone), default noise, and every fault of the scenario at 0.001 a command
  (``--fault KIND=CHANCE`` changes one): dropped sessions, HTTP 500s, app crashes, a phone
  going offline for 5 s. Every failed try must be an infrastructure failure (never product or
  harness), be retried once on a fresh session, and keep its evidence: the failed try's folder
  (``<test>-...``, with its infrastructure-problem.txt) and the retry's (``...-retry1``).

Exit status: 0 when the soak met its requirement, 1 when it did not, 2 when a round could not run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shareflow.devices import Device, load

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEVICES = ROOT / "devices.yaml"
OUTPUT = ROOT / "benchmarks" / "results" / "soak"
TESTS = ["tests/e2e/test_share_flow.py", "tests/e2e/test_two_phones.py"]
HEAVY_NOISE = {"transition_ms": [400, 1500], "promo_popup": 0.9, "notification_banner": 0.9, "late_banner": 0.3}
HEAVY_LATENCY_MS = [50, 300]
FAULTS = ("drop_session", "server_error", "app_crash", "offline")
FAULT_CHANCES = {"drop_session": 0.001, "server_error": 0.001, "app_crash": 0.001, "offline": 0.001}
OFFLINE_S = 5.0
CATEGORIES = ("product", "infrastructure", "harness")
FAULT_LINE = re.compile(r"^fault: (\w+) on ")
RETRY_SUFFIX = "-retry1"
ROUND_TIMEOUT_S = 3600.0  # a round still running after this has hung
WAIT_POLL_S = 1.0


class SoakError(Exception):
    """A round that could not run; the soak stops (exit status 2)."""


@dataclass
class Round:
    """One ``shareflow run`` of the soak and what it left in its folder."""

    number: int
    seed: int
    phones: list[str]
    folder: Path
    nodeids: list[str]
    process: subprocess.Popen[bytes]
    started: float
    wall_s: float = 0.0
    exit_code: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)

    @property
    def tries(self) -> list[dict[str, Any]]:
        """Every try that failed: the retried ones ("rerun") and the final failures."""
        return [r for r in self.records if r["outcome"] in ("rerun", "failed")]

    def finals(self) -> dict[str, dict[str, Any]]:
        """Each test's final record: its failure if any phase failed, else its call."""
        out: dict[str, dict[str, Any]] = {}
        for record in self.records:
            if record["outcome"] == "rerun":
                continue
            if record["outcome"] == "failed" or record["nodeid"] not in out:
                out[record["nodeid"]] = record
        return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="test runs in all (default 100)")
    parser.add_argument("--faults", action="store_true", help="the fault soak instead of the noise soak")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="KIND=CHANCE", help="a fault's chance per command (repeatable)"
    )
    parser.add_argument("--phones", type=int, help="phones of each platform a round (default 1; with --faults 2)")
    parser.add_argument("-n", dest="workers", type=int, help="xdist workers a round (default: its phones)")
    parser.add_argument("--parallel", type=int, default=5, help="rounds side by side, each its farm (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="the first round's seed (default 1)")
    parser.add_argument("--tests", nargs="+", default=TESTS, help=f"test files (default: {' '.join(TESTS)})")
    parser.add_argument(
        "--screenshot",
        choices=["on", "off", "only-on-failure"],
        help="step screenshots (default: only-on-failure; with --faults: on, so that every try has its folder)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"rounds' folders (default {OUTPUT})")
    parser.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    args = parser.parse_args(argv)
    args.phones = args.phones or (2 if args.faults else 1)  # faults: a retry can move to another phone
    args.workers = args.workers or 2 * args.phones
    if min(args.runs, args.workers, args.phones, args.parallel) < 1:
        parser.error("--runs, --phones, -n and --parallel must be at least 1")
    args.chances = dict(FAULT_CHANCES)
    for item in args.fault:
        kind, _, text = item.partition("=")
        try:
            chance = float(text)
        except ValueError:
            chance = -1.0
        if kind not in FAULTS or not 0 <= chance <= 1:
            parser.error(f"--fault {item}: expected KIND=CHANCE, KIND one of {', '.join(FAULTS)}, CHANCE in [0, 1]")
        args.chances[kind] = chance
    args.screenshot = args.screenshot or ("on" if args.faults else "only-on-failure")
    return args


# -- rounds ------------------------------------------------------------------------------------------------------
def round_phones(number: int, devices: list[Device], per_platform: int) -> list[str]:
    """Round ``number``'s phones (from 0): ``per_platform`` of each platform, rotating over the pool's
    embedded phones so that rounds side by side differ and the pairings change from wave to wave."""
    android, ios = ([d.name for d in devices if d.embedded and d.platform == p] for p in ("android", "ios"))
    if min(len(android), len(ios)) < per_platform:
        raise SoakError(f"{DEVICES} needs {per_platform} embedded phone(s) of each platform")
    shift = number // len(android)  # every Android phone has had its turn: pair them with other iPhones
    return [android[(number + i) % len(android)] for i in range(per_platform)] + [
        ios[(number + shift + i) % len(ios)] for i in range(per_platform)
    ]


def scenario(seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """The round's scenario: no defects and the default link policy, so that every failure is a false one."""
    if args.faults:
        return {"seed": seed, "faults": {**args.chances, "offline_s": OFFLINE_S}}
    return {"seed": seed, "noise": HEAVY_NOISE, "faults": {"latency_ms": HEAVY_LATENCY_MS}}


def collect(phones: list[str], tests: list[str]) -> list[str]:
    """The node ids the tests have on ``phones``."""
    argv = [str(BIN / "pytest"), "--collect-only", "-q", "-p", "no:cacheprovider", "--phones-file", str(DEVICES)]
    argv += [arg for name in phones for arg in ("--phone", name)]
    done = subprocess.run([*argv, *tests], cwd=ROOT, capture_output=True, text=True, check=False)
    ids = [line.strip() for line in done.stdout.splitlines() if "::" in line]
    if done.returncode != 0 or not ids:
        raise SoakError(f"collecting {' '.join(tests)} on {', '.join(phones)} failed:\n{done.stdout}{done.stderr}")
    return ids


def start_round(number: int, phones: list[str], nodeids: list[str], args: argparse.Namespace) -> Round:
    """Start one ``shareflow run`` (its own farm) in a fresh folder, with a scenario of its own seed."""
    seed = args.seed + number - 1
    folder = args.output / f"round-{number:02d}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    scenario_file = folder / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(scenario(seed, args), sort_keys=False), encoding="utf-8")
    argv = [str(BIN / "shareflow"), "run", "--devices", str(DEVICES), "--scenario", str(scenario_file)]
    argv += ["--output", str(folder / "out"), "--screenshot", args.screenshot]
    argv += [arg for name in phones for arg in ("--device", name)]
    argv += ["-n", str(args.workers), "-p", "no:cacheprovider", *nodeids]
    with (folder / "run.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return Round(number, seed, phones, folder, nodeids, process, time.monotonic())


def finish_round(round_: Round) -> None:
    """Read a round that ended: its results and the faults its farm injected."""
    round_.exit_code = round_.process.wait()
    round_.wall_s = time.monotonic() - round_.started
    out = round_.folder / "out"
    if round_.exit_code == 2 or not (out / "results.jsonl").is_file():
        raise SoakError(f"round {round_.number} did not run (exit {round_.exit_code}); see {round_.folder}/run.log")
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    round_.records = [json.loads(line) for line in lines if line.strip()]
    farm_log = out / "farm.log"
    if farm_log.is_file():
        found = (FAULT_LINE.match(line) for line in farm_log.read_text(errors="replace").splitlines())
        round_.injected = Counter(m.group(1) for m in found if m)
    finals = round_.finals()
    if len(finals) < len(round_.nodeids):
        raise SoakError(f"round {round_.number} ran {len(finals)} of {len(round_.nodeids)} tests; see {round_.folder}")
    failed = sum(record["outcome"] == "failed" for record in finals.values())
    print(
        f"round {round_.number} (seed {round_.seed}): {len(finals)} tests on {', '.join(round_.phones)} "
        f"in {round_.wall_s:.0f} s, {failed} failed, {len(round_.tries) - failed} retried (exit {round_.exit_code})",
        flush=True,
    )


# -- the report ---------------------------------------------------------------------------------------------------
def table(rows: list[tuple[str, str]], markdown: bool) -> str:
    if markdown:
        return "\n".join(["| measure | value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)])
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def seconds(values: list[float]) -> str:
    """Median / p90 of ``values`` (seconds)."""
    if not values:
        return "-"
    p90 = statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
    return f"{statistics.median(values):.1f} / {p90:.1f}"


def screenshots(evidence: str) -> list[str]:
    """The failure's pictures in an evidence folder (PNG: the screen at failure, the side-by-side ...)."""
    folder = Path(evidence)
    return sorted(str(p) for p in folder.glob("*.png")) if evidence and folder.is_dir() else []


def describe(record: dict[str, Any], round_: Round) -> list[str]:
    lines = [f"- {record['nodeid']} (round {round_.number}, seed {round_.seed}, {record['phones']})"]
    lines.append(f"  {record['category'] or 'uncategorised'}: {record['message']}")
    lines.append(f"  step: {record['step'] or '-'}; evidence: {record['evidence'] or '-'}")
    lines += [f"  screenshot: {shot}" for shot in screenshots(record["evidence"])[:3]]
    return lines


def common_rows(rounds: list[Round], wall_s: float) -> list[tuple[str, str]]:
    finals = [record for r in rounds for record in r.finals().values()]
    tries = [record for r in rounds for record in r.tries]
    by_category = Counter(record["category"] or "uncategorised" for record in tries)
    return [
        ("rounds (seeds)", f"{len(rounds)} ({rounds[0].seed}–{rounds[-1].seed})"),
        ("test runs", str(len(finals))),
        ("passed", str(sum(record["outcome"] == "passed" for record in finals))),
        ("failed", str(sum(record["outcome"] == "failed" for record in finals))),
        ("infrastructure retries", str(sum(record["outcome"] == "rerun" for record in tries))),
        ("failed tries by category", ", ".join(f"{c} {by_category.get(c, 0)}" for c in CATEGORIES)),
        ("time per test, median / p90 s", seconds([record["duration_s"] for record in finals])),
        ("wall time min (per test s)", f"{wall_s / 60:.1f} ({wall_s / max(len(finals), 1):.1f})"),
    ]


def noise_report(rounds: list[Round], wall_s: float, markdown: bool) -> tuple[str, bool]:
    false = [(record, r) for r in rounds for record in r.finals().values() if record["outcome"] == "failed"]
    retried = [(record, r) for r in rounds for record in r.tries if record["outcome"] == "rerun"]
    rows = [("false failures (must be 0)", str(len(false))), *common_rows(rounds, wall_s)]
    text = [table(rows, markdown)]
    for title, cases in (("False failures", false), ("Retried after an infrastructure failure", retried)):
        if cases:
            text += ["", f"{title}:", *(line for record, r in cases for line in describe(record, r))]
    return "\n".join(text), not false


def retry_of(record: dict[str, Any], round_: Round) -> dict[str, Any] | None:
    """The final record of the test a failed try ("rerun") was retried as."""
    return round_.finals().get(record["nodeid"])


def fault_report(rounds: list[Round], wall_s: float, markdown: bool) -> tuple[str, bool]:
    injected = sum((r.injected for r in rounds), Counter())
    tries = [(record, r) for r in rounds for record in r.tries]
    not_infra = [(rec, r) for rec, r in tries if rec["category"] != "infrastructure"]
    infra_finals = [(rec, r) for rec, r in tries if rec["outcome"] == "failed" and rec["category"] == "infrastructure"]
    reruns = [(rec, r) for rec, r in tries if rec["outcome"] == "rerun"]
    retried = Counter((r.number, rec["nodeid"]) for rec, r in reruns)
    not_once = [(rec, r) for rec, r in infra_finals if retried[(r.number, rec["nodeid"])] != 1]
    not_once += [(rec, r) for rec, r in reruns if retried[(r.number, rec["nodeid"])] > 1]
    lost = []
    for rec, r in reruns:
        folder = Path(rec["evidence"]) if rec["evidence"] else None
        final = retry_of(rec, r)
        kept = folder is not None and (folder / "infrastructure-problem.txt").is_file()
        again = final is not None and final["evidence"].endswith(RETRY_SUFFIX) and Path(final["evidence"]).is_dir()
        if not (kept and again):
            lost.append((rec, r))
    retry_outcomes = Counter((retry_of(rec, r) or {}).get("outcome", "missing") for rec, r in reruns)

    def verdict(cases: list[Any]) -> str:
        return "yes" if not cases else f"NO: {len(cases)}"

    rows = [
        ("faults injected", ", ".join(f"{kind} {injected.get(kind, 0)}" for kind in FAULTS)),
        ("failed tries", str(len(tries))),
        ("every failed try infrastructure", verdict(not_infra)),
        ("every infrastructure failure retried once", verdict(not_once)),
        ("failed try's and retry's evidence kept", verdict(lost)),
        ("retries passed / failed", f"{retry_outcomes.get('passed', 0)} / {retry_outcomes.get('failed', 0)}"),
        *common_rows(rounds, wall_s),
    ]
    text = [table(rows, markdown)]
    for title, cases in (
        ("Failed tries not reported as infrastructure", not_infra),
        ("Infrastructure failures not retried", not_once),
        ("Evidence lost", lost),
        ("Failed tries", [case for case in tries if case not in not_infra]),
    ):
        if cases:
            text += ["", f"{title}:", *(line for record, r in cases for line in describe(record, r))]
    return "\n".join(text), not (not_infra or not_once or lost)


def run_rounds(args: argparse.Namespace, devices: list[Device]) -> list[Round]:
    """Rounds until ``--runs`` tests ran, ``--parallel`` at a time, the next starting as one ends."""
    done: list[Round] = []
    running: list[Round] = []
    planned = 0
    try:
        while planned < args.runs or running:
            while planned < args.runs and len(running) < args.parallel:
                number = len(done) + len(running)
                phones = round_phones(number, devices, args.phones)
                nodeids = collect(phones, args.tests)[: args.runs - planned]
                running.append(start_round(number + 1, phones, nodeids, args))
                planned += len(nodeids)
            ended = [r for r in running if r.process.poll() is not None]
            for round_ in ended:
                running.remove(round_)
                finish_round(round_)
                done.append(round_)
            hung = [r for r in running if time.monotonic() - r.started > ROUND_TIMEOUT_S]
            if hung:
                raise SoakError(f"round {hung[0].number} ran longer than {ROUND_TIMEOUT_S:.0f} s; see {hung[0].folder}")
            if not ended:
                time.sleep(WAIT_POLL_S)
    finally:
        for round_ in running:  # the soak stopped: so do the rounds it started
            round_.process.terminate()
    return sorted(done, key=lambda r: r.number)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        rounds = run_rounds(args, load(DEVICES))
    except SoakError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 2
    wall_s = time.monotonic() - started
    report = fault_report if args.faults else noise_report
    text, met = report(rounds, wall_s, args.markdown)
    mode = "fault soak" if args.faults else "noise soak"
    runs = sum(len(r.finals()) for r in rounds)
    print(f"\n{mode}: {runs} test runs in {wall_s / 60:.1f} min, {'met' if met else 'NOT met'}\n")
    print(text)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
