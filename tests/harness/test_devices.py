"""devices.yaml: loading, interpolation and one clear message per bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from shareflow import secrets
from shareflow.devices import DevicesError, load

GOOD = """\
devices:
  - name: pixel
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
    wechat: {account: wxid_a, nickname: A}
  - name: iphone
    platform: ios
    os_version: "16.7"
    endpoint: http://127.0.0.1:4723
    capabilities:
      appium:noReset: true
      bstack:options: {userName: "${SF_TEST_USER}", accessKey: "${SF_TEST_KEY}"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "devices.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_the_default_pool() -> None:
    devices = load(Path(__file__).parents[2] / "devices.yaml")
    assert {d.platform for d in devices} == {"android", "ios"}
    assert all(d.embedded and d.wechat_account for d in devices)
    assert len({d.name for d in devices}) == len(devices) >= 6


def test_interpolates_environment_and_registers_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_TEST_USER", "qa-team")
    monkeypatch.setenv("SF_TEST_KEY", "s3cr3t-access-key")
    pixel, iphone = load(write(tmp_path, GOOD))
    assert pixel.embedded and pixel.provider == "embedded"
    assert iphone.provider == "appium" and not iphone.embedded
    assert iphone.capabilities["bstack:options"] == {"userName": "qa-team", "accessKey": "s3cr3t-access-key"}
    assert secrets.redact("key=s3cr3t-access-key") == "key=******"


def test_an_android_phone_may_say_an_accessibility_service_is_on(tmp_path: Path) -> None:
    text = "devices:\n  - name: pixel\n    platform: android\n    os_version: '15'\n    endpoint: embedded\n"
    [off] = load(write(tmp_path, text))
    [on] = load(write(tmp_path, text + "    accessibility_service: true\n"))
    assert (off.accessibility_service, on.accessibility_service) == (False, True)


@pytest.mark.parametrize(
    ("extra", "simulator", "bundle_id"),
    [
        ("", False, "com.facebook.WebDriverAgentRunner.xctrunner"),
        ("    simulator: true\n", True, "com.facebook.WebDriverAgentRunner.xctrunner"),
        ("    capabilities: {appium:updatedWDABundleId: com.qa.wda}\n", False, "com.qa.wda.xctrunner"),
        (
            "    capabilities: {appium:updatedWDABundleId: com.qa.wda, appium:updatedWDABundleIdSuffix: ''}\n",
            False,
            "com.qa.wda",
        ),
        (
            "    wda_bundle_id: com.qa.Runner.xctrunner\n    capabilities: {appium:updatedWDABundleId: com.qa.wda}\n",
            False,
            "com.qa.Runner.xctrunner",
        ),
    ],
)
def test_an_iphone_names_its_webdriveragent_runner(tmp_path: Path, extra: str, simulator: bool, bundle_id: str) -> None:
    text = "devices:\n  - name: iphone\n    platform: ios\n    os_version: '16.7'\n    endpoint: embedded\n"
    [iphone] = load(write(tmp_path, text + extra))
    assert (iphone.simulator, iphone.wda_bundle_id) == (simulator, bundle_id)
    assert (
        load(write(tmp_path, GOOD.replace("${SF_TEST_KEY}", "k").replace("${SF_TEST_USER}", "u")))[0].wda_bundle_id
        == ""
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('os_version: "12"', 'os_versoin: "12"'),
            "devices.yaml:4: devices[0] (pixel): field 'os_versoin': unknown field",
        ),
        (("profile: android-fhd", "profile: 7"), "devices[0] (pixel): field 'profile': expected string, got int 7"),
        (("  - name: iphone\n", "  - nam: iphone\n"), "devices[1]: field 'nam': unknown field"),
        (
            ("name: iphone", "name: pixel"),
            "devices[1] (pixel): field 'name': duplicate name, already used by devices[0]",
        ),
        (
            ("platform: ios", "platform: windows"),
            "devices[1] (iphone): field 'platform': 'windows' is not one of: android, ios",
        ),
        (
            ("endpoint: embedded", "endpoint: localhost:4723"),
            "devices[0] (pixel): field 'endpoint': 'localhost:4723' does not have the expected form",
        ),
        (
            ("    profile: android-fhd\n", "    profile: android-fhd\n    simulator: true\n"),
            "devices.yaml:6: devices[0] (pixel): field 'simulator': only an iOS device has this field, not android",
        ),
        (
            ("    profile: android-fhd\n", "    profile: android-fhd\n    wda_bundle_id: com.a.b.xctrunner\n"),
            "devices[0] (pixel): field 'wda_bundle_id': only an iOS device has this field, not android",
        ),
        (
            ("endpoint: http://127.0.0.1:4723\n", "endpoint: http://127.0.0.1:4723\n    accessibility_service: true\n"),
            "devices[1] (iphone): field 'accessibility_service': only an Android device has this field, not ios",
        ),
        (
            ("    profile: android-fhd\n", "    profile: android-fhd\n    accessibility_service: sure\n"),
            "devices.yaml:6: devices[0] (pixel): field 'accessibility_service': expected boolean, got str 'sure'",
        ),
        (
            ("endpoint: http://127.0.0.1:4723\n", "endpoint: http://127.0.0.1:4723\n    wda_bundle_id: 7\n"),
            "devices[1] (iphone): field 'wda_bundle_id': expected string, got int 7",
        ),
        (
            ("endpoint: http://127.0.0.1:4723\n", "endpoint: http://127.0.0.1:4723\n    simulator: yes please\n"),
            "devices[1] (iphone): field 'simulator': expected boolean, got str 'yes please'",
        ),
        (
            ("appium:noReset: true", "appium:updatedWDABundleId: [com.a]"),
            "devices.yaml:13: devices[1] (iphone): field 'capabilities.appium:updatedWDABundleId': "
            "expected string, got list ['com.a']",
        ),
        (
            ("${SF_TEST_KEY}", "${SF_UNSET_VARIABLE}"),
            "devices.yaml:14: devices[1] (iphone): field 'capabilities.bstack:options.accessKey': "
            "environment variable ${SF_UNSET_VARIABLE} is not set",
        ),
    ],
)
def test_bad_file_names_file_line_entry_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: tuple[str, str], expected: str
) -> None:
    monkeypatch.setenv("SF_TEST_USER", "u")
    monkeypatch.setenv("SF_TEST_KEY", "k")
    monkeypatch.delenv("SF_UNSET_VARIABLE", raising=False)
    with pytest.raises(DevicesError) as caught:
        load(write(tmp_path, GOOD.replace(*change)))
    message = str(caught.value)
    assert str(tmp_path / "devices.yaml") in message
    assert expected in message
    assert "\n" not in message


def test_missing_name_is_named(tmp_path: Path) -> None:
    text = "devices:\n  - platform: android\n    os_version: '12'\n    endpoint: embedded\n"
    with pytest.raises(DevicesError, match=r"devices\[0\]: field 'name': missing required field"):
        load(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("devices: [\n", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping with a 'devices' list"),
        ("devices: []\n", "field 'devices'"),
        ("phones: []\n", "field 'phones': unknown field"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(DevicesError, match=expected):
        load(write(tmp_path, text))


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DevicesError, match=r"nope\.yaml: cannot read device pool"):
        load(tmp_path / "nope.yaml")
