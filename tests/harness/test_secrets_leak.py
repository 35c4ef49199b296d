"""No credential reaches anything a run writes or prints, on any process, in clear or as HTTP Basic auth.

A fake cloud hub on 127.0.0.1 refuses every session, echoing the capabilities and the request headers
it got (an ``Authorization: Basic`` among them), as real servers' errors do. One phone asks it as
BrowserStack (credentials from the environment), one through ``http://${U}:${K}@host`` (credentials in
the URL, sent as Basic auth). A tiny suite runs in a fresh process — plain, under ``-n 2`` (where the
controller writes what workers report and never builds capabilities itself) and through ``shareflow
run`` — with JUnit XML, Allure results, captured output and locals shown. Then every file it left and
everything it printed is searched for each secret and each Basic-auth form.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shareflow import secrets

SHAREFLOW = Path(sys.executable).parent / "shareflow"
TIMEOUT_S = 180
CREDENTIALS = {
    "BROWSERSTACK_USERNAME": "bs-user-8c1f7",
    "BROWSERSTACK_ACCESS_KEY": "bs-key-5d2e9a7f31",
    "SF_HUB_USER": "hub-user-3b7a2",
    "SF_HUB_KEY": "hub-key-9e4c1d2b60",
}
PAIRS = (("BROWSERSTACK_USERNAME", "BROWSERSTACK_ACCESS_KEY"), ("SF_HUB_USER", "SF_HUB_KEY"))
POOL = """\
devices:
  - name: bs-phone
    platform: android
    os_version: "13"
    profile: Google Pixel 7
    endpoint: http://127.0.0.1:{port}/wd/hub
    provider: browserstack
  - name: url-phone
    platform: ios
    os_version: "17"
    endpoint: http://${{SF_HUB_USER}}:${{SF_HUB_KEY}}@127.0.0.1:{port}/wd/hub
"""
SUITE = """
import base64
import logging
import os
import urllib.error
import urllib.request


def test_opens_a_session(phone):
    pass


def test_the_hub_answers(evidence_dir):
    user, key = os.environ["SF_HUB_USER"], os.environ["SF_HUB_KEY"]
    url = f"http://{{user}}:{{key}}@127.0.0.1:{port}/wd/hub"
    print("asking", url, "as", os.environ["BROWSERSTACK_USERNAME"], os.environ["BROWSERSTACK_ACCESS_KEY"])
    logging.getLogger("inner").warning("with key %s", key)
    basic = base64.b64encode(f"{{user}}:{{key}}".encode()).decode()
    request = urllib.request.Request(
        "http://127.0.0.1:{port}/wd/hub/session", data=b"{{}}", headers={{"Authorization": "Basic " + basic}}
    )
    try:
        said = urllib.request.urlopen(request, timeout=10).read().decode()
    except urllib.error.HTTPError as error:
        said = error.read().decode()
    assert said == "", said
"""


class _EchoingHub(BaseHTTPRequestHandler):
    """Refuses every new session, saying what it got: the capabilities and every request header."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        said = f"cannot start a session for {body} sent with {dict(self.headers.items())}".replace("\n", " ")
        data = json.dumps({"value": {"error": "session not created", "message": said, "stacktrace": ""}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def hub_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def forbidden() -> dict[str, str]:
    """Every secret of the run and each pair's Basic-auth value, by what it is."""
    found = dict(CREDENTIALS)
    for user, key in PAIRS:
        basic = f"{CREDENTIALS[user]}:{CREDENTIALS[key]}".encode()
        found[f"Basic {user}:{key}"] = base64.b64encode(basic).decode()
    return found


PYTEST = [sys.executable, "-m", "pytest", "--phones-file", "{pool}", "--shareflow-output", "{out}"]
RUNS = {
    "pytest": PYTEST,
    "pytest -n 2": [*PYTEST, "-n", "2"],
    "shareflow run -n 2": [str(SHAREFLOW), "run", "--devices", "{pool}", "--output", "{out}", "-n", "2"],
}


@pytest.mark.parametrize("how", RUNS)
def test_no_secret_is_written_or_printed_in_clear_or_as_basic_auth(tmp_path: Path, hub_port: int, how: str) -> None:
    pool, out, junit = tmp_path / "devices.yaml", tmp_path / "out", tmp_path / "junit.xml"
    pool.write_text(POOL.format(port=hub_port), encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(SUITE.format(port=hub_port), encoding="utf-8")
    argv = [arg.format(pool=pool, out=out) for arg in RUNS[how]] + ["test_inner.py", "-p", "no:cacheprovider"]
    argv += ["--junitxml", str(junit), "-o", "junit_logging=all", "--log-level=DEBUG", "-l", "-rA"]
    if how.startswith("pytest"):
        argv += ["--alluredir", str(out / "allure-results")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")} | CREDENTIALS
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)

    printed = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, printed
    written = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert junit in written and any("allure-results" in path.parts for path in written), sorted(written)
    for what, value in forbidden().items():
        assert value not in printed, what
        assert [path for path, data in written.items() if value.encode() in data] == [], what
    # the leaks were there to be masked: the hub's echo, the URL and the key printed, in each report
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    said = {r["nodeid"].split("::")[-1]: r["message"] for r in records if r["outcome"] == "failed"}
    assert "Authorization" in said["test_the_hub_answers"] and secrets.MASK in said["test_the_hub_answers"]
    assert f"'Authorization': 'Basic {secrets.MASK}'" in said["test_opens_a_session[url-phone]"]
    assert f"'accessKey': '{secrets.MASK}'" in said["test_opens_a_session[bs-phone]"].replace('"', "'")
    assert f"http://{secrets.MASK}:{secrets.MASK}@127.0.0.1" in written[junit].decode()
    assert f"with key {secrets.MASK}" in written[junit].decode()  # the captured log, in system-out
    if how.startswith("shareflow"):
        assert "shareflow summary:" in proc.stdout and "Authorization" in proc.stdout
