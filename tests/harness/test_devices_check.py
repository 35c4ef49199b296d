"""``shareflow devices check``: reachable, busy, refused, unreachable; Grid 4 status; bad input; no farm left."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest
from appium import webdriver
from click.testing import CliRunner

from shareflow import cli, launcher, reachability, readiness
from shareflow.devices import Device, load
from shareflow.reachability import BUSY, REFUSED, UNREACHABLE, USABLE, grid_occupancy
from shareflow.readiness import Readiness
from shareflow.screen import StateNotReached
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


def table_cells(output: str) -> dict[str, dict[str, str]]:
    """The table's rows by device, each cell by its column's heading (cut at the heading's offsets)."""
    head, *lines = output.splitlines()
    assert head.split() == list(reachability.COLUMNS)
    starts = [head.index(f"{name} ") if name != "DETAIL" else head.index(name) for name in reachability.COLUMNS]
    cuts = list(zip(starts, [*starts[1:], None], strict=True))
    out = {}
    for line in lines:
        cells = {name: line[a:b].strip() for name, (a, b) in zip(reachability.COLUMNS, cuts, strict=True)}
        out[cells["DEVICE"]] = cells
    return out


def rows(output: str) -> dict[str, list[str]]:
    """The table's rows by device: [os, endpoint, verdict, detail]."""
    return {name: [c["OS"], c["ENDPOINT"], c["VERDICT"], c["DETAIL"]] for name, c in table_cells(output).items()}


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


# -- readiness: app versions, WeChat signed in, its node tree, WebDriverAgent's runner ----------------
DEFAULT_POOL = Path(__file__).parents[2] / "devices.yaml"  # pixel-9's WeChat 8.0.61 has an empty tree


def verdicts(output: str) -> dict[str, dict[str, Any]]:
    return {(v := json.loads(line))["device"]: v for line in output.splitlines()}


def test_a_ready_pool_reports_versions_wechat_signed_in_and_a_filled_tree(tmp_path: Path) -> None:
    text = POOL.format(endpoint="embedded").replace(
        "    wechat: {account: wxid_droid",
        '    apps: {wechat: "8.0.16", taobao: "10.5.0"}\n    wechat: {account: wxid_droid',
    )
    result = invoke("--devices", write_pool(tmp_path, text))
    assert result.exit_code == 0, result.output
    cells = table_cells(result.stdout)
    assert [cells["droid"][k] for k in ("VERDICT", "APPS", "WECHAT", "TREE", "WDA")] == [
        USABLE,
        "taobao 10.5.0, wechat 8.0.16",  # read through dumpsys: the check's farm allows adb_shell
        "signed-in",
        "filled",
        "-",
    ]
    assert [cells["apple"][k] for k in ("VERDICT", "APPS", "WECHAT", "TREE", "WDA")] == [
        USABLE,
        "taobao 10.5.0, wechat 8.0.16",  # the farm's default builds: devices.yaml names none for apple
        "signed-in",
        "filled",
        "com.facebook.WebDriverAgentRunner.xctrunner",
    ]
    result = invoke("--devices", write_pool(tmp_path, text), "--json")
    found = verdicts(result.stdout)
    assert found["droid"]["apps"]["wechat"] == {
        "expected": "8.0.16",
        "installed": "8.0.16",
        "matches": True,
        "note": "",
    }
    assert found["apple"]["apps"]["wechat"]["matches"] is None  # nothing to compare with
    assert (found["apple"]["wechat_signed_in"], found["apple"]["node_tree"]) == (True, "filled")
    assert found["apple"]["wda_bundle_id"] == "com.facebook.WebDriverAgentRunner.xctrunner"
    assert found["droid"]["wda_bundle_id"] is None


def test_quick_only_opens_a_session(tmp_path: Path) -> None:
    result = invoke("--devices", write_pool(tmp_path, POOL.format(endpoint="embedded")), "--quick", "--json")
    assert result.exit_code == 0, result.output
    for found in verdicts(result.stdout).values():
        assert (found["deep"], found["apps"], found["wechat_signed_in"], found["node_tree"]) == (False, {}, None, None)


def test_an_empty_tree_is_usable_with_the_accessibility_hint(tmp_path: Path) -> None:
    """The suites pass without WeChat's tree (templates and OCR): a hint, not a verdict against the phone."""
    result = invoke("--devices", DEFAULT_POOL, "--device", "pixel-9", "--device", "xiaomi-11")
    assert result.exit_code == 0, result.output
    cells = table_cells(result.stdout)
    pixel = cells["pixel-9"]
    assert [pixel[k] for k in ("VERDICT", "APPS", "WECHAT", "TREE")] == [
        USABLE,
        "taobao 10.40.0, wechat 8.0.61",
        "signed-in",  # recognised by its picture: the empty tree does not hide the chat list
        "empty",
    ]
    assert "WeChat's node tree is empty: its elements are found by templates and OCR" in pixel["DETAIL"]
    assert pixel["DETAIL"].endswith(
        "hint: turn on an accessibility service (e.g. TalkBack or Appium's own) and set "
        "`accessibility_service: true` for pixel-9"
    )
    assert [cells["xiaomi-11"][k] for k in ("VERDICT", "TREE")] == [USABLE, "filled"]


def test_an_empty_tree_where_the_locators_need_it_is_not_ready(tmp_path: Path) -> None:
    """No WeChat version in the entry: its locators look in the tree, which is empty (a device-setup failure)."""
    text = DEFAULT_POOL.read_text(encoding="utf-8").replace(
        'apps: {wechat: "8.0.61", taobao: "10.40.0", hema: "5.35.0"}', 'apps: {taobao: "10.40.0", hema: "5.35.0"}'
    )
    result = remote_check(tmp_path, DEFAULT_POOL.read_text(encoding="utf-8"), text, "--device", "pixel-9", "--json")
    found = verdicts(result.stdout)["pixel-9"]
    assert (result.exit_code, found["verdict"], found["node_tree"]) == (1, "not-ready", "empty"), result.output
    assert "give WeChat's version" in found["hint"]


def test_with_accessibility_service_the_tree_is_filled(tmp_path: Path) -> None:
    text = DEFAULT_POOL.read_text(encoding="utf-8").replace("    tags: [empty-tree]", "    accessibility_service: true")
    result = invoke("--devices", write_pool(tmp_path, text), "--device", "pixel-9", "--json")
    assert result.exit_code == 0, result.output
    assert verdicts(result.stdout)["pixel-9"]["node_tree"] == "filled"


def remote_check(tmp_path: Path, served: str, told: str, *args: str, insecure: tuple[str, ...] = ()) -> Any:
    """``devices check`` of pool ``told`` against a farm serving pool ``served`` (the phones as they are)."""
    farm = launcher.start(write_pool(tmp_path, served), None, tmp_path / "farm", allow_insecure=insecure)
    try:
        remote = tmp_path / "remote"
        remote.mkdir()
        return invoke(
            "--devices", write_pool(remote, told.replace("endpoint: embedded", f"endpoint: {farm.url}")), *args
        )
    finally:
        farm.stop()


def with_apps(text: str, name: str, apps: str) -> str:
    marker = f"    wechat: {{account: wxid_{name}"
    return text.replace(marker, f"    apps: {apps}\n{marker}")


def test_an_app_version_other_than_devices_yaml_says_is_not_ready(tmp_path: Path) -> None:
    pool = POOL.format(endpoint="embedded")
    served = with_apps(with_apps(pool, "apple", '{wechat: "8.0.56", taobao: "10.40.0"}'), "droid", "{wechat: 8.0.56}")
    told = with_apps(with_apps(pool, "apple", '{wechat: "8.0.61", taobao: "10.40.0"}'), "droid", "{wechat: 8.0.61}")
    result = remote_check(tmp_path, served, told, insecure=("uiautomator2:adb_shell",))
    assert result.exit_code == 1, result.output
    cells = table_cells(result.stdout)
    for name in ("apple", "droid"):
        assert cells[name]["VERDICT"] == "not-ready"
        assert "wechat 8.0.56!=8.0.61" in cells[name]["APPS"]
        assert cells[name]["DETAIL"].startswith("wechat 8.0.56 is installed, devices.yaml says 8.0.61;")
    assert "taobao 10.40.0," in cells["apple"]["APPS"]


def test_without_adb_shell_android_versions_are_unknown_and_say_why(tmp_path: Path) -> None:
    pool = with_apps(POOL.format(endpoint="embedded"), "droid", "{wechat: 8.0.56}")
    result = remote_check(tmp_path, pool, pool, "--device", "droid", "--json")
    assert result.exit_code == 0, result.output  # unknown is not a mismatch
    wechat = verdicts(result.stdout)["droid"]["apps"]["wechat"]
    assert (wechat["installed"], wechat["matches"]) == (None, None)
    assert wechat["note"] == (
        "unknown: UiAutomator2 tells versionCode 80056 only; start Appium with --allow-insecure "
        "uiautomator2:adb_shell to read it"
    )


def test_wechat_signed_out_is_not_ready(tmp_path: Path) -> None:
    served = POOL.format(endpoint="embedded").replace("    wechat: {account: wxid_apple, nickname: 苹果}\n", "")
    result = remote_check(tmp_path, served, POOL.format(endpoint="embedded"), "--device", "apple")
    assert result.exit_code == 1, result.output
    apple = table_cells(result.stdout)["apple"]
    assert (apple["VERDICT"], apple["WECHAT"]) == ("not-ready", "signed-out")
    assert apple["DETAIL"].startswith(
        "WeChat is not signed in: it shows its sign-in page (注册 / 登录), not its chat list "
        "(sign in wxid_apple on the phone)"
    )


def test_a_simulator_cannot_list_its_apps(tmp_path: Path) -> None:
    text = POOL.format(endpoint="embedded").replace(
        "    profile: iphone-13\n", "    profile: iphone-13\n    simulator: true\n"
    )
    result = invoke("--devices", write_pool(tmp_path, text), "--device", "apple", "--json")
    assert result.exit_code == 0, result.output
    note = verdicts(result.stdout)["apple"]["apps"]["taobao"]["note"]
    assert note.startswith("unknown: mobile: listApps: ") and "only be performed on a real device" in note


def test_wechat_signed_out_is_told_by_its_sign_in_page_s_words_where_its_tree_is_empty(tmp_path: Path) -> None:
    """WeChat 8.0.61 on Android shows UiAutomator2 no tree: its sign-in page's 注册 is read on the screen."""
    pool = with_apps(POOL.format(endpoint="embedded"), "droid", '{wechat: "8.0.61"}')
    served = pool.replace("    wechat: {account: wxid_droid, nickname: 安卓}\n", "")
    result = remote_check(tmp_path, served, pool, "--device", "droid")
    assert result.exit_code == 1, result.output
    droid = table_cells(result.stdout)["droid"]
    assert (droid["VERDICT"], droid["WECHAT"]) == ("not-ready", "signed-out")


def test_a_wechat_showing_neither_its_chat_list_nor_its_sign_in_page_is_not_called_signed_out() -> None:
    """Not ready (the suites need the chat list), but whether it is signed in is not known: nothing proves it."""

    def open_(timeout: float) -> None:
        raise StateNotReached("Timed out after 15 s while waiting for screen state 'wechat/chat_list'")

    phone = SimpleNamespace(wechat=SimpleNamespace(open=open_, signed_out=lambda: False))
    device = Device("droid", "android", os_version="12", endpoint="embedded")
    found = Readiness()
    readiness._check_wechat(device, phone, found)  # type: ignore[arg-type]
    assert found.wechat_signed_in is None
    assert found.problems == [
        "WeChat's chat list did not show within 15 s, nor its sign-in page: Timed out after 15 s while waiting "
        "for screen state 'wechat/chat_list'"
    ]
