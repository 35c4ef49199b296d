"""The e2e suite over 1, 2 and 4 phones, and the cost of each hop: farm direct, Appium, Grid.

    .venv/bin/python benchmarks/stack_speed.py [--commands 200] [--markdown] [--skip-suites]

Needs the ports of ci/farm.yaml free: it brings the stack up and down itself,
afresh for every measurement, so that each starts from the same farm state.

1. Per-command overhead: one session on one phone (redmi-9a, served by the
   first Appium server) opened straight on the farm, through its Appium server
   and through the Grid hub; the same commands timed on each, through
   appium-python-client as the suites send them. Overhead = a hop's median
   minus the farm's.
2. Suite wall time: the single-phone suites (test_share_flow, test_link_outcomes:
   8 tests per phone) on the first 1, 2 and 4 phones of a pool, with xdist
   ``-n`` equal to the phones, for the embedded farm, ci/devices.appium.yaml and
   ci/devices.grid.yaml; and each of the 4 phones alone. The phones differ
   (an iPhone's flow has more steps), so the speed-up at N phones compares the
   same work: the N phones' suites one phone at a time (the sum of their
   single-phone times) against all N at once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy

from shareflow.devices import load
from shareflow.session import options_for

ROOT = Path(__file__).resolve().parent.parent
FARM = ROOT / "ci" / "farm"
SHAREFLOW = Path(sys.executable).parent / "shareflow"
RESULTS = ROOT / "benchmarks" / "results" / "stack_speed.json"
PHONES = ["redmi-9a", "iphone-8", "xiaomi-11", "iphone-13"]  # both platforms, both Appium servers, from 2 phones
SUITES = ["tests/e2e/test_share_flow.py", "tests/e2e/test_link_outcomes.py"]
POOLS = {"embedded": "devices.yaml", "appium": "ci/devices.appium.yaml", "grid": "ci/devices.grid.yaml"}
TOPOLOGY = yaml.safe_load((ROOT / "ci" / "farm.yaml").read_text(encoding="utf-8"))
URLS = {
    "farm": f"http://127.0.0.1:{TOPOLOGY['farm']['port']}",
    "appium": f"http://127.0.0.1:{TOPOLOGY['appium'][0]['port']}",
    "grid": f"http://127.0.0.1:{TOPOLOGY['hub']['port']}",
}


def farm(command: str) -> None:
    done = subprocess.run([str(FARM), command], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"ci/farm {command} failed: {done.stderr.strip()}")


def timed(call: Callable[[], object], count: int) -> list[float]:
    """Milliseconds of ``count`` calls, after 10 unmeasured ones."""
    for _ in range(10):
        call()
    out = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def command_times(count: int) -> dict[str, dict[str, float]]:
    """Median ms per command, per hop, for one phone."""
    direct = next(d for d in load(ROOT / "devices.yaml") if d.name == PHONES[0])
    stacked = next(d for d in load(ROOT / POOLS["grid"]) if d.name == PHONES[0])
    medians: dict[str, dict[str, float]] = {}
    for hop, url in URLS.items():
        driver = webdriver.Remote(url, options=options_for(direct if hop == "farm" else stacked))
        try:
            commands = {
                "window rect": driver.get_window_rect,
                "find element by id": lambda d=driver: d.find_elements(AppiumBy.ID, "com.tencent.mm:id/no-such-id"),
                "page source": lambda d=driver: d.page_source,
                "screenshot": driver.get_screenshot_as_png,
            }
            medians[hop] = {name: statistics.median(timed(call, count)) for name, call in commands.items()}
        finally:
            driver.quit()
    return medians


def pool_of(kind: str, phones: list[str], folder: Path) -> Path:
    """``phones`` as the ``kind`` pool describes them."""
    entries = yaml.safe_load((ROOT / POOLS[kind]).read_text(encoding="utf-8"))["devices"]
    chosen = [e for name in phones for e in entries if e["name"] == name]
    path = folder / f"{kind}-{'-'.join(phones)}.yaml"
    path.write_text(yaml.safe_dump({"devices": chosen}, allow_unicode=True), encoding="utf-8")
    return path


def suite_time(kind: str, phones: list[str], folder: Path) -> dict[str, Any]:
    """Wall time of the single-phone suites on ``phones`` with ``-n len(phones)``."""
    if kind != "embedded":
        farm("up")
    try:
        output = folder / f"out-{kind}-{'-'.join(phones)}"
        argv = [str(SHAREFLOW), "run", "--devices", str(pool_of(kind, phones, folder)), "--output", str(output)]
        argv += [*SUITES, "-n", str(len(phones)), "-p", "no:cacheprovider", "--screenshot", "only-on-failure"]
        started = time.monotonic()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
    finally:
        if kind != "embedded":
            farm("down")
    lines = (output / "results.jsonl").read_text(encoding="utf-8").splitlines()
    outcomes = [json.loads(line)["outcome"] for line in lines]
    return {
        "kind": kind,
        "phones": phones,
        "wall_s": round(wall, 1),
        "tests": len(outcomes),
        "passed": outcomes.count("passed"),
        "exit": done.returncode,
    }


def markdown(commands: dict[str, dict[str, float]], suites: list[dict[str, Any]]) -> str:
    lines = ["| command | farm direct ms | + Appium ms | + Appium + Grid ms |", "|---|---|---|---|"]
    for name, direct in commands["farm"].items():
        appium, grid = commands["appium"][name], commands["grid"][name]
        lines.append(f"| {name} | {direct:.1f} | {appium - direct:+.1f} | {grid - direct:+.1f} |")
    if suites:
        lines += ["", "| path | phones (-n) | tests | passed | wall s | one phone at a time s | speed-up |"]
        lines.append("|---|---|---|---|---|---|---|")
        for row in suites:
            alone = {r["phones"][0]: r["wall_s"] for r in suites if r["kind"] == row["kind"] and len(r["phones"]) == 1}
            serial = sum(alone[p] for p in row["phones"])
            lines.append(
                f"| {row['kind']} | {', '.join(row['phones'])} ({len(row['phones'])}) | {row['tests']} | "
                f"{row['passed']} | {row['wall_s']} | {serial:.1f} | {serial / row['wall_s']:.2f}x |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200, help="timed calls per command and hop")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--skip-suites", action="store_true", help="measure the per-command overhead only")
    parser.add_argument("--paths", default=",".join(POOLS), help="suite paths to time (default: all)")
    args = parser.parse_args()
    farm("up")
    try:
        commands = command_times(args.commands)
    finally:
        farm("down")
    suites: list[dict[str, Any]] = []
    if not args.skip_suites:
        with tempfile.TemporaryDirectory(prefix="shareflow-bench-") as tmp:
            for kind in args.paths.split(","):
                for phones in [[p] for p in PHONES] + [PHONES[:2], PHONES]:
                    suites.append(suite_time(kind, phones, Path(tmp)))
                    print(json.dumps(suites[-1]), file=sys.stderr)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"commands_ms": commands, "suites": suites}, indent=2))
    print(markdown(commands, suites) if args.markdown else json.dumps({"commands_ms": commands, "suites": suites}))


if __name__ == "__main__":
    main()
