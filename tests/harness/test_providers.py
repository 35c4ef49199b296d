"""Provider profiles: each provider's documented capabilities from one device entry, credentials
from the environment, the result reported at the test's end, and credentials masked in every log,
report and attachment. No network beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException

from shareflow import providers, secrets
from shareflow.devices import Device, load
from shareflow.providers import BLOCKS, CREDENTIALS, build_name, report_status, session_name
from shareflow.session import SessionError, open_driver, options_for

ROOT = Path(__file__).parents[2]
KEYS = {
    "BROWSERSTACK_USERNAME": "bs-user-31415",
    "BROWSERSTACK_ACCESS_KEY": "bs-key-2718281828",
    "SAUCE_USERNAME": "sauce-user-16180",
    "SAUCE_ACCESS_KEY": "sauce-key-5772156649",
    "LT_USERNAME": "lt-user-14142",
    "LT_ACCESS_KEY": "lt-key-1732050807",
}
TEST = "test_group_share_link_opens_item_and_reaches_order[pixel-7]"
PIXEL = Device(
    name="pixel-7",
    platform="android",
    os_version="13.0",
    endpoint="https://hub.example.com/wd/hub",
    profile="Google Pixel 7",
    udid="2B121FDH2005K3",
)
BASE = {
    "platformName": "Android",
    "appium:automationName": "UIAutomator2",
    "appium:noReset": True,
    "appium:newCommandTimeout": 300,
    "appium:settings[enableMultiWindows]": True,  # UiAutomator2 shows SystemUI's banners only with this on
}
LOCAL = {**BASE, "appium:deviceName": "pixel-7", "appium:platformVersion": "13.0", "appium:udid": "2B121FDH2005K3"}
# what each provider is sent for PIXEL, as its documentation shows it
EXPECTED: dict[str, dict[str, Any]] = {
    "embedded": LOCAL,
    "appium": LOCAL,
    "grid": {**LOCAL, "se:name": TEST},
    "device-farm": {**LOCAL, "df:build": "nightly-42", "df:name": TEST},
    "browserstack": {
        **BASE,
        "bstack:options": {
            "userName": KEYS["BROWSERSTACK_USERNAME"],
            "accessKey": KEYS["BROWSERSTACK_ACCESS_KEY"],
            "deviceName": "Google Pixel 7",
            "osVersion": "13.0",
            "projectName": "shareflow",
            "buildName": "nightly-42",
            "sessionName": TEST,
        },
    },
    "saucelabs": {
        **BASE,
        "appium:deviceName": "Google Pixel 7",
        "appium:platformVersion": "13.0",
        "sauce:options": {
            "username": KEYS["SAUCE_USERNAME"],
            "accessKey": KEYS["SAUCE_ACCESS_KEY"],
            "appiumVersion": "latest",
            "build": "nightly-42",
            "name": TEST,
        },
    },
    "lambdatest": {
        **BASE,
        "lt:options": {
            "username": KEYS["LT_USERNAME"],
            "accessKey": KEYS["LT_ACCESS_KEY"],
            "platformName": "Android",
            "deviceName": "Google Pixel 7",
            "platformVersion": "13.0",
            "isRealMobile": True,
            "w3c": True,
            "project": "shareflow",
            "build": "nightly-42",
            "name": TEST,
        },
    },
}
INNER_TIMEOUT_S = 180


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cloud credentials, a CI build name and the running test, as a nightly CI job would have them."""
    for var, value in KEYS.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("SHAREFLOW_BUILD", "nightly-42")
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    monkeypatch.setattr(providers, "session_name", lambda: TEST)  # pytest rewrites $PYTEST_CURRENT_TEST per phase


def sent(device: Device) -> dict[str, Any]:
    """The capabilities a new-session request for ``device`` carries."""
    return options_for(device).to_w3c()["capabilities"]["alwaysMatch"]


# -- capabilities -------------------------------------------------------------------------
@pytest.mark.parametrize("provider", EXPECTED)
def test_each_provider_gets_its_documented_capabilities(env: None, provider: str) -> None:
    assert sent(replace(PIXEL, provider=provider)) == EXPECTED[provider]


def test_an_iphone_on_lambdatest_is_asked_for_as_ios(env: None) -> None:
    iphone = Device(name="iphone", platform="ios", os_version="17", endpoint=PIXEL.endpoint, provider="lambdatest")
    caps = sent(iphone)
    assert (caps["platformName"], caps["appium:automationName"]) == ("iOS", "XCUITest")
    block = caps["lt:options"]
    assert (block["platformName"], block["deviceName"], block["platformVersion"]) == ("iOS", "iphone", "17")


def test_unknown_build_and_test_names_are_left_out(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHAREFLOW_BUILD")
    monkeypatch.setattr(providers, "session_name", lambda: "")
    assert {"buildName", "sessionName"}.isdisjoint(sent(replace(PIXEL, provider="browserstack"))["bstack:options"])
    assert sent(replace(PIXEL, provider="grid")) == LOCAL
    assert sent(replace(PIXEL, provider="device-farm")) == LOCAL


def test_build_name_comes_from_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHAREFLOW_BUILD", raising=False)
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    assert build_name() == ""
    monkeypatch.setenv("GITHUB_RUN_ID", "9876543210")
    assert build_name() == "shareflow-9876543210"
    monkeypatch.setenv("SHAREFLOW_BUILD", "nightly-42")
    assert build_name() == "nightly-42"


@pytest.mark.parametrize(
    ("current", "name"),
    [
        ("tests/e2e/test_share_flow.py::test_p2p[iphone-13] (setup)", "test_p2p[iphone-13]"),
        ("tests/test_x.py::TestGroup::test_y[a-to-b] (call)", "test_y[a-to-b]"),
        ("", ""),
    ],
)
def test_session_name_is_the_running_test(monkeypatch: pytest.MonkeyPatch, current: str, name: str) -> None:
    monkeypatch.setenv("PYTEST_CURRENT_TEST", current)
    assert session_name() == name


def test_entry_capabilities_go_last_and_merge_into_the_vendor_block(env: None) -> None:
    own = {
        "appium:app": "bs://0123abcd",
        "bstack:options": {"appiumVersion": "2.19.0", "sessionName": "my session"},
        "appium:noReset": False,
        "newCommandTimeout": None,  # null removes one
    }
    expected = {**EXPECTED["browserstack"], "appium:app": "bs://0123abcd", "appium:noReset": False}
    del expected["appium:newCommandTimeout"]
    expected["bstack:options"] = {**expected["bstack:options"], "appiumVersion": "2.19.0", "sessionName": "my session"}
    assert sent(replace(PIXEL, provider="browserstack", capabilities=own)) == expected


def test_example_cloud_pool_loads_without_credentials_and_has_every_provider(
    env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in KEYS:
        monkeypatch.delenv(var)
    devices = load(ROOT / "examples" / "devices.cloud.yaml")
    assert sorted(d.provider for d in devices) == sorted(EXPECTED)
    for var, value in KEYS.items():
        monkeypatch.setenv(var, value)
    caps = {d.provider: sent(d) for d in devices}
    assert caps["browserstack"]["bstack:options"]["appiumVersion"] == "2.19.0"
    assert caps["browserstack"]["bstack:options"]["accessKey"] == KEYS["BROWSERSTACK_ACCESS_KEY"]
    assert caps["lambdatest"]["lt:options"]["app"] == "lt://APP10160532151700000000"
    assert caps["lambdatest"]["lt:options"]["otherApps"] == ["lt://APP10160532151700000001"]
    assert caps["saucelabs"]["appium:app"] == "storage:filename=taobao.ipa"
    assert caps["device-farm"]["df:recordVideo"] is True


# -- cloud uploads ----------------------------------------------------------------------------
UPLOADS = {
    "browserstack": ("bs://f7c874f21852ba57957a3fdc33f47514288c4ba4", "bs://9a1b2c3d4e5f60718293a4b5c6d7e8f901234567"),
    "saucelabs": ("storage:filename=taobao-10.40.0.apk", "storage:c8511dd6-38ec-4f58-b8b9-4ec8c23ad882"),
    "lambdatest": ("lt://APP10160532151700000000", "lt://APP10160532151700000001"),
}
CLOUD_POOL = """\
devices:
  - name: pixel-7
    platform: android
    os_version: "13.0"
    profile: Google Pixel 7
    endpoint: https://hub.example.com/wd/hub
    provider: {provider}
    uploads: {uploads}
"""


def cloud_pool(tmp_path: Path, provider: str, uploads: str) -> Path:
    path = tmp_path / "devices.yaml"
    path.write_text(CLOUD_POOL.format(provider=provider, uploads=uploads), encoding="utf-8")
    return path


@pytest.mark.parametrize("provider", UPLOADS)
def test_uploads_make_taobao_the_app_and_wechat_the_other_app(env: None, tmp_path: Path, provider: str) -> None:
    taobao, wechat = UPLOADS[provider]
    [device] = load(cloud_pool(tmp_path, provider, f"{{wechat: '{wechat}', taobao: '{taobao}'}}"))  # order given
    caps = sent(device)
    if provider == "lambdatest":  # LambdaTest takes them in its vendor block
        assert (caps["lt:options"]["app"], caps["lt:options"]["otherApps"]) == (taobao, [wechat])
        assert "appium:app" not in caps
    else:
        assert (caps["appium:app"], caps["appium:otherApps"]) == (taobao, [wechat])
    assert caps["appium:noReset"] is True  # what is installed keeps its data on a device that keeps it
    rest = {k: v for k, v in caps.items() if k not in ("appium:app", "appium:otherApps")}
    if provider == "lambdatest":
        rest["lt:options"] = {k: v for k, v in rest["lt:options"].items() if k not in ("app", "otherApps")}
    assert rest == EXPECTED[provider]  # nothing else changes


@pytest.mark.parametrize("provider", UPLOADS)
def test_one_upload_is_the_app_with_no_other_apps(env: None, tmp_path: Path, provider: str) -> None:
    [device] = load(cloud_pool(tmp_path, provider, f"{{wechat: '{UPLOADS[provider][1]}'}}"))
    caps = sent(device)
    block = caps["lt:options"] if provider == "lambdatest" else caps
    prefix = "" if provider == "lambdatest" else "appium:"
    assert block[f"{prefix}app"] == UPLOADS[provider][1]
    assert f"{prefix}otherApps" not in block


def test_browserstack_takes_an_upload_s_custom_id_or_shareable_id(env: None, tmp_path: Path) -> None:
    """BrowserStack's app capability takes "<app_url> or <custom_id> or <shareable_id>" (its specify-app docs)."""
    [device] = load(cloud_pool(tmp_path, "browserstack", "{taobao: TaobaoApp-10.40, wechat: qa-team/WeChat_8.0.61}"))
    caps = sent(device)
    assert (caps["appium:app"], caps["appium:otherApps"]) == ("TaobaoApp-10.40", ["qa-team/WeChat_8.0.61"])


@pytest.mark.parametrize("provider", EXPECTED)
def test_without_uploads_nothing_is_installed_or_reset(env: None, provider: str) -> None:
    caps = sent(replace(PIXEL, provider=provider))
    assert caps["appium:noReset"] is True
    assert {"appium:app", "appium:otherApps", "appium:fullReset"}.isdisjoint(caps)
    assert {"app", "otherApps"}.isdisjoint(caps.get("lt:options", {}))


@pytest.mark.parametrize(
    ("provider", "uploads", "problem"),
    [
        (
            "saucelabs",
            "{taobao: bs://f7c874f21852ba57957a3fdc33f47514288c4ba4}",
            "field 'uploads.taobao': 'bs://f7c874f21852ba57957a3fdc33f47514288c4ba4' is a browserstack upload id, "
            "not a saucelabs upload id (expected storage:filename=<file>, storage:<file id> or an https:// URL)",
        ),
        (
            "browserstack",
            "{taobao: bs://f7c874f2, wechat: lt://APP1016}",
            "field 'uploads.wechat': 'lt://APP1016' is a lambdatest upload id, not a browserstack upload id "
            "(expected bs://<hash> from BrowserStack's app upload, its custom_id or its shareable_id "
            "<user>/<custom_id>)",
        ),
        (
            "lambdatest",
            "{taobao: ''}",
            "field 'uploads.taobao': missing upload id (expected lt://<app id> from LambdaTest's app upload)",
        ),
        (
            "appium",
            "{taobao: bs://f7c874f2}",
            "field 'uploads.taobao': uploads are for the cloud farms (browserstack, saucelabs, lambdatest), not "
            "provider appium: give appium:app / appium:otherApps in capabilities instead",
        ),
        ("browserstack", "{qq: bs://f7c874f2}", "field 'uploads.qq': unknown field (allowed: taobao, wechat)"),
    ],
    ids=["bs-id-on-sauce", "lt-id-on-browserstack", "missing-id", "not-a-cloud", "unknown-app"],
)
def test_a_bad_upload_id_exits_2_naming_file_entry_and_field(
    tmp_path: Path, provider: str, uploads: str, problem: str
) -> None:
    from click.testing import CliRunner

    from shareflow import cli

    pool = cloud_pool(tmp_path, provider, uploads)
    result = CliRunner().invoke(cli.main, ["devices", "check", "--devices", str(pool)])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [f"shareflow: {pool}:8: devices[0] (pixel-7): {problem}"]
    assert result.stdout == ""


# -- credentials ------------------------------------------------------------------------------
@pytest.mark.parametrize(("provider", "var"), [(p, var) for p, keys in CREDENTIALS.items() for var in keys.values()])
def test_missing_credential_fails_the_session_naming_entry_provider_and_variable(
    env: None, monkeypatch: pytest.MonkeyPatch, provider: str, var: str
) -> None:
    monkeypatch.delenv(var)
    with pytest.raises(SessionError) as caught:
        open_driver(replace(PIXEL, provider=provider), "http://127.0.0.1:9/wd/hub")
    block, key = BLOCKS[provider], next(k for k, v in CREDENTIALS[provider].items() if v == var)
    assert str(caught.value) == (
        f"pixel-7: provider {provider} needs the environment variable {var}, which is not set "
        f"(or give {block} {key} in the entry as ${{VAR}})"
    )


INLINE_POOL = """\
devices:
  - name: pixel-bs
    platform: android
    os_version: "13.0"
    endpoint: https://hub-cloud.browserstack.com/wd/hub
    provider: browserstack
    capabilities:
      bstack:options: {userName: "${MY_BS_USER}", accessKey: "${MY_BS_KEY}", appiumVersion: "2.19.0"}
  - name: iphone-sauce
    platform: ios
    os_version: "17"
    endpoint: https://${MY_SAUCE_USER}:${MY_SAUCE_KEY}@ondemand.us-west-1.saucelabs.com/wd/hub
    provider: saucelabs
"""


def test_inline_credentials_from_the_entry_still_work(
    env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for var in KEYS:
        monkeypatch.delenv(var)
    inline = {"MY_BS_USER": "inline-bs-user", "MY_BS_KEY": "inline-bs-key", "MY_SAUCE_USER": "inline-sauce-user"}
    inline["MY_SAUCE_KEY"] = "inline-sauce-key"
    for var, value in inline.items():
        monkeypatch.setenv(var, value)
    path = tmp_path / "devices.yaml"
    path.write_text(INLINE_POOL, encoding="utf-8")
    pixel, iphone = load(path)
    block = sent(pixel)["bstack:options"]
    assert (block["userName"], block["accessKey"]) == ("inline-bs-user", "inline-bs-key")
    assert {"username", "accessKey"}.isdisjoint(sent(iphone)["sauce:options"])  # they ride in the endpoint
    assert secrets.redact(" ".join(inline.values())) == " ".join([secrets.MASK] * 4)
    assert secrets.redact("Appium 2.19.0") == "Appium 2.19.0"  # only credentials are secrets


def test_credentials_from_the_environment_are_masked(env: None) -> None:
    for provider in CREDENTIALS:
        sent(replace(PIXEL, provider=provider))
    assert secrets.redact(" ".join(KEYS.values())) == " ".join([secrets.MASK] * len(KEYS))


class _EchoingServer(BaseHTTPRequestHandler):
    """A new-session endpoint that answers with the capabilities it was asked for, as servers do."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer({"sessionId": "s-1", "capabilities": body["capabilities"]["alwaysMatch"]})

    def do_DELETE(self) -> None:
        self._answer(None)

    def _answer(self, value: Any) -> None:
        data = json.dumps({"value": value}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_echoed_capabilities_and_the_client_log_are_masked(
    env: None, echo_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="selenium.webdriver.remote.remote_connection")
    driver = open_driver(replace(PIXEL, provider="browserstack"), echo_url)
    try:
        block = driver.capabilities["bstack:options"]
    finally:
        driver.quit()
    assert (block["userName"], block["accessKey"]) == (secrets.MASK, secrets.MASK)
    assert block["deviceName"] == "Google Pixel 7"
    assert caplog.text.count("bstack:options") >= 2  # the request and the answer were logged ...
    assert KEYS["BROWSERSTACK_ACCESS_KEY"] not in caplog.text  # ... masked
    assert KEYS["BROWSERSTACK_USERNAME"] not in caplog.text


# -- the result, reported at the test's end ---------------------------------------------------
class FakeDriver:
    """Records the scripts it is asked to run; raises ``error`` if given."""

    def __init__(self, error: Exception | None = None) -> None:
        self.scripts: list[str] = []
        self.error = error

    def execute_script(self, script: str, *args: Any) -> None:
        self.scripts.append(script)
        if self.error is not None:
            raise self.error


REASON = "AssertionError: the link opened 'blocked'; expected 'direct'"


@pytest.mark.parametrize(
    ("provider", "passed", "script"),
    [
        (
            "browserstack",
            True,
            'browserstack_executor: {"action": "setSessionStatus", "arguments": {"status": "passed", "reason": ""}}',
        ),
        (
            "browserstack",
            False,
            'browserstack_executor: {"action": "setSessionStatus", "arguments": '
            + json.dumps({"status": "failed", "reason": REASON})
            + "}",
        ),
        ("saucelabs", True, "sauce:job-result=passed"),
        ("saucelabs", False, "sauce:job-result=failed"),
        ("lambdatest", True, "lambda-status=passed"),
        ("lambdatest", False, "lambda-status=failed"),
    ],
)
def test_the_result_is_reported_with_the_vendors_script(provider: str, passed: bool, script: str) -> None:
    driver = FakeDriver()
    report_status(driver, replace(PIXEL, provider=provider), passed, "" if passed else REASON)  # type: ignore[arg-type]
    assert driver.scripts == [script]


@pytest.mark.parametrize("provider", ["embedded", "appium", "grid", "device-farm"])
def test_providers_without_a_status_call_are_sent_nothing(provider: str) -> None:
    driver = FakeDriver()
    report_status(driver, replace(PIXEL, provider=provider), False, REASON)  # type: ignore[arg-type]
    assert driver.scripts == []


def test_the_reason_is_masked_and_cut_to_the_vendors_limit() -> None:
    key = KEYS["BROWSERSTACK_ACCESS_KEY"]
    secrets.register(key)
    reason = f"AssertionError: the key {key} showed " + "x" * 300
    driver = FakeDriver()
    report_status(driver, replace(PIXEL, provider="browserstack"), False, reason)  # type: ignore[arg-type]
    [script] = driver.scripts
    sent_reason = json.loads(script.removeprefix("browserstack_executor: "))["arguments"]["reason"]
    assert sent_reason == secrets.redact(reason)[:250]
    assert key not in script


def test_a_failed_report_is_a_warning_and_never_an_error(caplog: pytest.LogCaptureFixture) -> None:
    key = KEYS["SAUCE_ACCESS_KEY"]
    secrets.register(key)
    driver = FakeDriver(WebDriverException(f"unknown method for {key}"))
    report_status(driver, replace(PIXEL, provider="saucelabs"), True)  # type: ignore[arg-type]
    assert driver.scripts == ["sauce:job-result=passed"]
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    expected = f"pixel-7: could not report the result to saucelabs: Message: unknown method for {secrets.MASK}"
    assert record.getMessage() == expected


# -- end to end: a run on the embedded farm as "browserstack", and an unreachable "saucelabs" ----
E2E_POOL = """\
devices:
  - name: droid
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
    provider: browserstack
    wechat: {account: wxid_droid, nickname: 安卓}
  - name: cloudy
    platform: ios
    os_version: "17"
    profile: iPhone 15
    endpoint: http://127.0.0.1:9/wd/hub
    provider: saucelabs
"""
E2E_TESTS = """
import os

def test_fails(phone):
    phone.evidence.text("note", "the key is " + os.environ["BROWSERSTACK_ACCESS_KEY"])
    print("echoed:", phone.driver.capabilities)
    assert False, "the screen was wrong"

def test_passes(phone):
    print("echoed:", phone.driver.capabilities)
"""


def test_no_credential_reaches_any_log_report_or_attachment(tmp_path: Path) -> None:
    pool, output, alluredir = tmp_path / "devices.yaml", tmp_path / "out", tmp_path / "allure-results"
    pool.write_text(E2E_POOL, encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(E2E_TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")} | KEYS
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--phones-file",
        str(pool),
        "--shareflow-output",
        str(output),
    ]
    argv += ["--alluredir", str(alluredir), "--junitxml", str(output / "junit.xml"), "--log-level=DEBUG", "-l", "-rA"]
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=INNER_TIMEOUT_S)
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "1 failed, 1 passed, 2 errors" in proc.stdout, proc.stdout  # the status report did not mask a result

    written = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    for value in KEYS.values():
        assert value not in proc.stdout + proc.stderr
        assert [path for path, data in written.items() if value.encode() in data] == []
    # what was masked did get there: the evidence note, the echoed capabilities, the session's log
    note = next(data for path, data in written.items() if path.name.endswith("-note.txt"))
    assert note.decode() == f"the key is {secrets.MASK}"
    assert any(b"'accessKey': '******'" in data for path, data in written.items() if alluredir in path.parents)
    assert "droid: could not report the result to browserstack" in proc.stdout
    records = {r["nodeid"].split("::")[-1]: r for r in map(json.loads, (output / "results.jsonl").open())}
    failed = records["test_fails[droid]"]
    assert (failed["category"], failed["message"]) == ("product", "AssertionError: the screen was wrong")
    unreachable = records["test_passes[cloudy]"]
    assert (unreachable["when"], unreachable["category"]) == ("setup", "infrastructure")
    assert unreachable["message"].startswith("shareflow.session.SessionError: cloudy: Appium server http://127.0.0.1:9")
