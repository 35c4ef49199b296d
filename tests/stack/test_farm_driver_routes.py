"""The shareflow-farm Appium driver routes every request the harness sends beyond plain W3C.

Appium 3 answers 404 to a route neither its base method map nor the driver's
``newMethodMap`` declares; this reads both as the server does, without starting it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

from appium.webdriver.extensions.logs import Logs
from appium.webdriver.extensions.screen_record import ScreenRecord
from selenium.webdriver.remote.command import Command
from selenium.webdriver.remote.remote_connection import remote_commands

ROOT = Path(__file__).resolve().parents[2]
APPIUM_HOME = ROOT / "ci" / "appium"
# The routes of the server (base map, then the driver's), and which of the given (method, path) none matches.
UNROUTED = """
const {METHOD_MAP} = require('appium/driver');
const {ShareflowFarmDriver} = require('appium-shareflow-farm-driver');
const {match} = require(require.resolve('path-to-regexp', {paths: [require.resolve('@appium/base-driver')]}));
const declared = ShareflowFarmDriver.newMethodMap ?? {};
const routes = {...METHOD_MAP, ...declared};
const sent = JSON.parse(process.argv[1]);
const routed = ([method, path]) =>
  Object.entries(routes).some(([route, spec]) => spec[method]?.command && match(route)(path));
console.log(JSON.stringify({
  unrouted: sent.filter((request) => !routed(request)),
  declared: Object.entries(declared).flatMap(([route, spec]) =>
    Object.keys(spec).map((method) => [method, route])),
}));
"""


class Recorder:
    """Stands in for the client's command executor: keeps the routes its extensions add."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, str]] = {}

    def add_command(self, name: str, method: str, url: str) -> None:
        self.routes[name] = (method, url)


def harness_routes() -> list[tuple[str, str]]:
    """What appium-python-client 6 sends for the harness's calls beyond plain W3C.

    Screen recording and the device log (src/shareflow/phone.py), and `mobile:` execute methods:
    clipboard, app management, deep links, alerts (src/shareflow/apps/).
    """
    recorder = Recorder()
    for extension in (ScreenRecord, Logs):
        extension._add_commands(SimpleNamespace(command_executor=recorder))
    routes = [*recorder.routes.values(), remote_commands[Command.W3C_EXECUTE_SCRIPT]]
    return [(method, url.replace("$sessionId", "a-session")) for method, url in routes]


def test_the_driver_routes_recording_the_device_log_and_mobile_methods() -> None:
    sent = harness_routes()
    assert ("POST", "/session/a-session/appium/start_recording_screen") in sent
    done = subprocess.run(
        ["node", "-e", UNROUTED, json.dumps(sent)], cwd=APPIUM_HOME, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{done.stderr}(is the stack installed? `make setup`)"
    answer = json.loads(done.stdout)
    assert answer["unrouted"] == []
    templates = {(method, path.replace("a-session", ":sessionId")) for method, path in sent}
    assert answer["declared"] and all(tuple(route) in templates for route in answer["declared"]), answer["declared"]
