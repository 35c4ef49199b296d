"""``shareflow devices check``: reachable, busy, refused, unreachable; Grid 4 status; bad input; no farm left."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
from appium import webdriver
from click.testing import CliRunner

from shareflow import cli, launcher, reachability
from shareflow.devices import Device, load
from shareflow.reachability import BUSY, REFUSED, UNREACHABLE, USABLE, grid_occupancy
from shareflow.session import options_for

POOL = """\
devices:
  - name: droid
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: {endpoint}
    wechat: {{account: wxid_droid, nickname: 安卓}}
  - name: apple
    platform: ios
    os_version: "16.7"
    profile: iphone-13
    endpoint: {endpoint}
    wechat: {{account: wxid_apple, nickname: 苹果}}
"""
BAD_POOL_LINE = "devices.yaml:4: devices[0] (droid): field 'os_versoin': unknown field"

# A Selenium Grid 4 hub's GET /status (the shape GridStatusHandler writes): node 1 relays to an Appium
# server with two Android phones, one of them in a session; node 2 (an iPhone) has stopped answering.
GRID_STATUS = json.loads("""
{"value": {"ready": true, "message": "Selenium Grid ready.", "nodes": [
  {"id": "9f1b7c3e-51a4-4a0e-9b35-2c0d7f5e8a11", "uri": "http://10.0.4.21:5555", "maxSessions": 2,
   "sessionTimeout": 300000, "osInfo": {"arch": "aarch64", "name": "Mac OS X", "version": "14.5"},
   "heartbeatPeriod": 60000, "availability": "UP", "version": "4.27.0 (revision d6e718d134)",
   "slots": [
     {"id": {"hostId": "9f1b7c3e-51a4-4a0e-9b35-2c0d7f5e8a11", "id": "1c2e5a90-0f4d-4c55-a1a8-8e9a0d3b7f20"},
      "lastStarted": "2025-06-03T07:41:09.512Z",
      "session": {"sessionId": "5d6f1f0e-7a2b-4c1d-9e8f-3b4a5c6d7e8f", "start": "2025-06-03T07:41:09.512Z",
                  "uri": "http://10.0.4.21:5555",
                  "stereotype": {"platformName": "android", "appium:automationName": "UiAutomator2",
                                 "appium:platformVersion": "14", "appium:udid": "2B121FDH2005K3"},
                  "capabilities": {"platformName": "ANDROID", "appium:udid": "2B121FDH2005K3",
                                   "appium:deviceName": "pixel-7", "appium:platformVersion": "14"}},
      "stereotype": {"platformName": "android", "appium:automationName": "UiAutomator2",
                     "appium:platformVersion": "14", "appium:udid": "2B121FDH2005K3"}},
     {"id": {"hostId": "9f1b7c3e-51a4-4a0e-9b35-2c0d7f5e8a11", "id": "7b3e1d22-6c0a-4f7e-8d59-0a1b2c3d4e5f"},
      "lastStarted": "1970-01-01T00:00:00Z", "session": null,
      "stereotype": {"platformName": "android", "appium:automationName": "UiAutomator2",
                     "appium:platformVersion": "13", "appium:udid": "R5CR20ABCDE"}}]},
  {"id": "3a7d0c55-2e9b-4d1f-8c6a-5b4e3d2c1b0a", "uri": "http://10.0.4.22:5555", "maxSessions": 1,
   "sessionTimeout": 300000, "osInfo": {"arch": "aarch64", "name": "Mac OS X", "version": "14.5"},
   "heartbeatPeriod": 60000, "availability": "DOWN", "version": "4.27.0 (revision d6e718d134)",
   "slots": [
     {"id": {"hostId": "3a7d0c55-2e9b-4d1f-8c6a-5b4e3d2c1b0a", "id": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"},
      "lastStarted": "1970-01-01T00:00:00Z", "session": null,
      "stereotype": {"platformName": "iOS", "appium:automationName": "XCUITest",
                     "appium:platformVersion": "17.5", "appium:udid": "00008110-001A2D3E0C38801E"}}]},
  {"id": "d41d8cd9-8f00-4b20-9e98-00998ecf8427", "uri": "http://10.0.4.30:5555", "maxSessions": 4,
   "sessionTimeout": 300000, "osInfo": {"arch": "amd64", "name": "Linux", "version": "6.1"},
   "heartbeatPeriod": 60000, "availability": "UP", "version": "4.27.0 (revision d6e718d134)",
   "slots": [
     {"id": {"hostId": "d41d8cd9-8f00-4b20-9e98-00998ecf8427", "id": "aa11bb22-cc33-4d44-8e55-ff6677889900"},
      "lastStarted": "1970-01-01T00:00:00Z", "session": null,
      "stereotype": {"browserName": "chrome", "browserVersion": "131.0", "platformName": "linux"}}]}]}}
""")
GRID_POOL = """\
devices:
  - name: pixel-7
    platform: android
    os_version: "14"
    endpoint: {hub}
    udid: 2B121FDH2005K3
  - name: galaxy-s23
    platform: android
    os_version: "13"
    endpoint: {hub}
    udid: R5CR20ABCDE
  - name: iphone-15
    platform: ios
    os_version: "17.5"
    endpoint: {hub}
    udid: 00008110-001A2D3E0C38801E
"""
Routes = dict[tuple[str, str], tuple[int, Any] | None]


def write_pool(folder: Path, text: str) -> Path:
    path = folder / "devices.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(cli.main, ["devices", "check", *map(str, args)])


def rows(output: str) -> dict[str, list[str]]:
    """The table's rows by device: [os, endpoint, verdict, detail]."""
    lines = output.splitlines()
    assert lines[0].split()[:5] == ["DEVICE", "OS", "ENDPOINT", "VERDICT", "DETAIL"]
    return {(cells := line.split(None, 5))[0]: [f"{cells[1]} {cells[2]}", *cells[3:]] for line in lines[1:]}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def started_farms(monkeypatch: pytest.MonkeyPatch) -> list[launcher.EmbeddedFarm]:
    """Every embedded farm the check starts, to see afterwards that it stopped."""
    farms: list[launcher.EmbeddedFarm] = []
    start = launcher.start

    def recording_start(*args: Any, **kwargs: Any) -> launcher.EmbeddedFarm:
        farms.append(start(*args, **kwargs))
        return farms[-1]

    monkeypatch.setattr(launcher, "start", recording_start)
    return farms


@pytest.fixture
def fake_server() -> Iterator[Callable[[Routes], tuple[str, list[str]]]]:
    """Serves fixed answers on 127.0.0.1; gives its URL and the requests it received ("GET /status")."""
    servers: list[ThreadingHTTPServer] = []

    def serve(routes: Routes) -> tuple[str, list[str]]:
        received: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                received.append(f"{self.command} {self.path}")
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                route = routes.get((self.command, self.path), (404, {"value": {"error": "unknown command"}}))
                if route is None:  # hang up without an answer
                    self.close_connection = True
                    return
                code, body = route
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = answer

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", received

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


# -- the embedded farm --------------------------------------------------------------------------
def test_an_embedded_pool_is_usable_and_its_farm_is_stopped(
    tmp_path: Path, started_farms: list[launcher.EmbeddedFarm]
) -> None:
    pool = write_pool(tmp_path, POOL.format(endpoint="embedded"))
    result = invoke("--devices", pool)
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert list(table) == ["droid", "apple"]  # pool order
    assert table["droid"][:3] == ["android 12", "embedded", USABLE]
    assert table["apple"][:3] == ["ios 16.7", "embedded", USABLE]
    assert "session accepted" in table["apple"][3]
    [farm] = started_farms
    assert farm.process.returncode is not None  # stopped and reaped by the check ...
    assert not Path(f"/proc/{farm.process.pid}").exists()  # ... so its pid is gone


def test_json_prints_one_object_per_selected_device(tmp_path: Path) -> None:
    pool = write_pool(tmp_path, POOL.format(endpoint="embedded"))
    result = invoke("--devices", pool, "--platform", "ios", "--json")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    verdict = json.loads(line)
    assert {k: verdict[k] for k in ("device", "platform", "os_version", "endpoint", "verdict")} == {
        "device": "apple",
        "platform": "ios",
        "os_version": "16.7",
        "endpoint": "embedded",
        "verdict": USABLE,
    }


@pytest.mark.parametrize(
    ("capability", "server_says"),
    [
        (
            "appium:automationName: Espresso",
            "A new session could not be created. Details: Could not find a driver for automationName 'Espresso'",
        ),
        ("appium:udid: NOT-A-PHONE", "A new session could not be created. Details: No device of the farm matches"),
    ],
    ids=["driver", "udid"],
)
def test_capabilities_the_farm_refuses_are_refused_with_its_words(
    tmp_path: Path, started_farms: list[launcher.EmbeddedFarm], capability: str, server_says: str
) -> None:
    text = POOL.format(endpoint="embedded").replace(
        "    wechat: {account: wxid_droid", f"    capabilities: {{{capability}}}\n    wechat: {{account: wxid_droid"
    )
    result = invoke("--devices", write_pool(tmp_path, text))
    assert result.exit_code == 1, result.output
    table = rows(result.stdout)
    assert table["droid"][2] == REFUSED
    assert table["droid"][3].startswith(server_says)
    assert "selenium.dev" not in table["droid"][3]  # the server's line, not the client's documentation link
    assert table["apple"][2] == USABLE
    assert all(farm.process.returncode is not None for farm in started_farms)


def test_a_phone_in_a_session_is_busy_and_not_tried(tmp_path: Path) -> None:
    farm = launcher.start(write_pool(tmp_path, POOL.format(endpoint="embedded")), None, tmp_path / "farm")
    try:
        remote = tmp_path / "remote"
        remote.mkdir()
        pool = write_pool(remote, POOL.format(endpoint=farm.url))
        droid = load(pool)[0]
        driver = webdriver.Remote(farm.url, options=options_for(droid))
        try:
            result = invoke("--devices", pool)
        finally:
            driver.quit()
        after = invoke("--devices", pool, "--device", "droid")
    finally:
        farm.stop()
    assert result.exit_code == 1, result.output
    table = rows(result.stdout)
    assert table["droid"][1:] == [farm.url, BUSY, "droid already has a session; no session tried"]
    assert table["apple"][2] == USABLE
    assert after.exit_code == 0, after.output  # the check's own sessions did not keep a phone


def test_a_farm_that_cannot_start_leaves_phones_unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_start(*args: Any, **kwargs: Any) -> launcher.EmbeddedFarm:
        raise launcher.LaunchError("virtual farm did not answer within 60 s")

    monkeypatch.setattr(launcher, "start", failing_start)
    result = invoke("--devices", write_pool(tmp_path, POOL.format(endpoint="embedded")))
    assert result.exit_code == 1, result.output
    for row in rows(result.stdout).values():
        assert row[2:] == [UNREACHABLE, "the embedded farm did not start: virtual farm did not answer within 60 s"]


# -- endpoints that do not answer -----------------------------------------------------------------
def test_a_closed_port_is_unreachable_and_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = invoke("--devices", write_pool(tmp_path, POOL.format(endpoint=url)), "--device", "apple")
    assert result.exit_code == 1, result.output
    table = rows(result.stdout)
    assert list(table) == ["apple"]
    assert table["apple"][2] == UNREACHABLE
    assert (
        table["apple"][3] == f"GET {url}/status: Failed to establish a new connection: [Errno 111] Connection refused"
    )


def test_a_server_that_never_answers_is_unreachable_within_the_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        pool = write_pool(tmp_path, POOL.format(endpoint=url))
        result = invoke("--devices", pool, "--device", "droid", "--timeout", "0.5")
    assert result.exit_code == 1, result.output
    assert rows(result.stdout)["droid"][2:] == [UNREACHABLE, f"GET {url}/status: no answer within 0.5 s"]


# -- Selenium Grid, Appium, cloud farms (recorded answers) -----------------------------------------
def grid_caps(name: str, platform: str, os_version: str, udid: str) -> dict[str, Any]:
    return reachability.request(Device(name, platform, os_version, "http://hub:4444", udid=udid))


@pytest.mark.parametrize(
    ("phone", "verdict", "note"),
    [
        (("galaxy-s23", "android", "13", "R5CR20ABCDE"), None, "Selenium Grid: 1 of 1 matching slots free"),
        (
            ("pixel-7", "android", "14", "2B121FDH2005K3"),
            BUSY,
            "every matching slot of the Grid is taken: 1 in a session",
        ),
        (
            ("iphone-15", "ios", "17.5", "00008110-001A2D3E0C38801E"),
            BUSY,
            "every matching slot of the Grid is taken: 1 on node http://10.0.4.22:5555 (DOWN)",
        ),
        (("galaxy-s23", "android", "14", "R5CR20ABCDE"), REFUSED, "no slot of the Grid offers platformName Android"),
        (
            ("nokia", "android", "13", "NOKIA-1"),
            REFUSED,
            "no slot of the Grid offers platformName Android, udid NOKIA-1",
        ),
    ],
    ids=["free", "in-session", "node-down", "other-os-version", "unknown-udid"],
)
def test_grid_status_tells_free_busy_and_missing_slots(
    phone: tuple[str, str, str, str], verdict: str | None, note: str
) -> None:
    occupancy = grid_occupancy(GRID_STATUS["value"], grid_caps(*phone))
    assert occupancy.verdict == verdict
    assert occupancy.note.startswith(note)


def test_a_grid_hub_is_asked_for_sessions_only_on_free_slots(tmp_path: Path, fake_server: Callable) -> None:
    refusal = {"error": "session not created", "message": "Could not start a new session. Timed out\nat Grid"}
    hub, received = fake_server(
        {("GET", "/status"): (200, GRID_STATUS), ("POST", "/session"): (500, {"value": refusal})}
    )
    result = invoke("--devices", write_pool(tmp_path, GRID_POOL.format(hub=hub)))
    assert result.exit_code == 1, result.output
    table = rows(result.stdout)
    assert table["galaxy-s23"][2:] == [REFUSED, "Could not start a new session. Timed out"]
    assert table["pixel-7"][2] == table["iphone-15"][2] == BUSY
    assert table["iphone-15"][3].endswith("(DOWN); no session tried")
    assert received.count("POST /session") == 1


def test_an_appium_server_lists_the_session_that_holds_a_phone(tmp_path: Path, fake_server: Callable) -> None:
    status = {"value": {"ready": True, "message": "The server is ready", "build": {"version": "3.0.1"}}}
    held = {"id": "c0ffee00-1234", "capabilities": {"platformName": "Android", "udid": "2B121FDH2005K3"}}
    url, received = fake_server(
        {("GET", "/status"): (200, status), ("GET", "/appium/sessions"): (200, {"value": [held]})}
    )
    result = invoke("--devices", write_pool(tmp_path, GRID_POOL.format(hub=url)), "--device", "pixel-7")
    assert result.exit_code == 1, result.output
    assert rows(result.stdout)["pixel-7"][2:] == [BUSY, "session c0ffee00-1234 already drives it; no session tried"]
    assert "POST /session" not in received


@pytest.mark.filterwarnings("ignore:Embedding username and password in URL")
def test_a_cloud_farm_that_hides_its_status_is_judged_by_the_session(
    tmp_path: Path, fake_server: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_CLOUD_KEY", "k3y-0f-the-cloud")
    unauthorized = (401, "<html><body>Unauthorized</body></html>")
    url, received = fake_server({("GET", "/wd/hub/status"): unauthorized, ("POST", "/wd/hub/session"): unauthorized})
    text = GRID_POOL.format(hub=url.replace("http://", "http://qa:${SF_CLOUD_KEY}@") + "/wd/hub")
    result = invoke("--devices", write_pool(tmp_path, text), "--device", "galaxy-s23")
    assert result.exit_code == 1, result.output
    [row] = rows(result.stdout).values()
    assert row[1] == url.replace("http://", "http://qa:******@") + "/wd/hub"  # the secret is masked
    assert row[2:] == [REFUSED, "Authorization Required"]  # the client's words for an HTTP 401
    assert received[:2] == ["GET /wd/hub/status", "POST /wd/hub/session"]  # status hidden, so the session decides
    assert "k3y-0f-the-cloud" not in result.output


def test_an_endpoint_that_hangs_up_on_the_session_request_is_unreachable(tmp_path: Path, fake_server: Callable) -> None:
    status = {"value": {"ready": True, "message": "ready", "build": {"version": "3.0.1"}}}
    url, _ = fake_server({("GET", "/status"): (200, status), ("POST", "/session"): None})
    result = invoke("--devices", write_pool(tmp_path, GRID_POOL.format(hub=url)), "--device", "galaxy-s23")
    assert result.exit_code == 1, result.output
    verdict, detail = rows(result.stdout)["galaxy-s23"][2:]
    assert verdict == UNREACHABLE
    assert detail.startswith(f"POST {url}/session: ") and "Remote end closed connection" in detail


# -- bad input --------------------------------------------------------------------------------------
def test_a_bad_pool_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = write_pool(tmp_path, POOL.format(endpoint="embedded").replace('os_version: "12"', 'os_versoin: "12"'))
    result = invoke("--devices", bad)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"shareflow: {tmp_path}/{BAD_POOL_LINE}")
    assert result.stdout == ""


def test_an_unknown_device_exits_2_naming_the_known(tmp_path: Path) -> None:
    result = invoke("--devices", write_pool(tmp_path, POOL.format(endpoint="embedded")), "--device", "nokia")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["shareflow: --device 'nokia' is not in the pool (known: apple, droid)"]
