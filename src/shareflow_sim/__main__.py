"""``python -m shareflow_sim``: serve the virtual device farm over Appium's protocol.

Once listening, the server's URL is printed and, with ``--ready-file``,
written atomically to that file (a launcher waits for it). SIGINT and SIGTERM
stop the server cleanly (exit status 0); bad devices or scenario files exit 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from shareflow.devices import DevicesError
from shareflow_sim import scenario
from shareflow_sim.farm import Farm
from shareflow_sim.protocol.service import insecure_features
from shareflow_sim.server import serve
from shareflow_sim.specs import load_specs

OWNER_POLL_S = 1.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m shareflow_sim", description=__doc__.splitlines()[0])
    parser.add_argument("--devices", required=True, type=Path, help="device pool file (its embedded devices)")
    parser.add_argument("--scenario", type=Path, help="scenario file (seed, link policy, noise, faults)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4723, help="port to listen on; 0 picks a free one (default 4723)")
    parser.add_argument("--ready-file", type=Path, help="write the server's URL here once it listens")
    parser.add_argument("--exit-with", type=int, metavar="PID", help="stop once process PID has ended")
    parser.add_argument("--check", action="store_true", help="only validate the devices and scenario files")
    parser.add_argument(
        "--allow-insecure",
        action="append",
        default=[],
        metavar="FEATURES",
        help="insecure features to allow, as Appium 3 takes them (comma-separated, e.g. uiautomator2:adb_shell)",
    )
    parser.add_argument("--relaxed-security", action="store_true", help="allow every insecure feature, as Appium does")
    return parser.parse_args(argv)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _exit_with(pid: int) -> None:
    """Stop the server (as SIGTERM does) once process ``pid`` is gone."""
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os.kill(os.getpid(), signal.SIGTERM)
            return
        time.sleep(OWNER_POLL_S)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        insecure = insecure_features(name for names in args.allow_insecure for name in names.split(","))
        farm = Farm(load_specs(args.devices), scenario.load(args.scenario))
    except (DevicesError, scenario.ScenarioError, ValueError) as exc:
        print(f"shareflow_sim: {exc}", file=sys.stderr)
        return 2
    if args.check:
        return 0
    if args.ready_file:
        args.ready_file.unlink(missing_ok=True)
    if args.exit_with is not None:
        threading.Thread(target=_exit_with, args=(args.exit_with,), daemon=True).start()

    def ready(url: str) -> None:
        if args.ready_file:
            write_atomically(args.ready_file, url)
        print(url, flush=True)

    # uvicorn handles SIGINT/SIGTERM while serving and re-raises them after its clean shutdown;
    # these handlers receive the re-raised signals so the process then exits normally.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    try:
        serve(farm, args.host, args.port, ready, insecure, args.relaxed_security)
    except OSError as exc:
        print(f"shareflow_sim: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
