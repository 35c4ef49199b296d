"""A catalogue of bad input: each case exits 2 with one message naming the input, no traceback, nothing written.

Every case runs the real ``shareflow`` command in a fresh process, in a folder holding a good pool,
a good scenario, good expectations and an output folder with an earlier run's records in it; the
case breaks one thing. The output folder must come out byte for byte as it went in, and no farm may
have started (no farm.log).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from pools import DROID, pool

ROOT = Path(__file__).resolve().parents[2]
SHAREFLOW = Path(sys.executable).parent / "shareflow"
TIMEOUT_S = 120
GOOD_POOL = pool(DROID)
GOOD_SCENARIO = "seed: 3\n"
GOOD_EXPECTATIONS = (ROOT / "tests" / "e2e" / "expectations.yaml").read_text(encoding="utf-8")
TEMPLATE = ROOT / "screenshots" / "android" / "taobao" / "item.png"


@dataclass(frozen=True)
class Case:
    """One bad input: the command's arguments, files to write first, and words the message must hold."""

    name: str
    args: tuple[str, ...]
    says: tuple[str, ...]
    files: tuple[tuple[str, str], ...] = ()


def run_case(*args: str) -> tuple[str, ...]:
    return ("run", "--devices", "{dir}/devices.yaml", "--output", "{dir}/out", *args)


def pool_case(name: str, text: str, *says: str) -> Case:
    return Case(name, run_case(), ("devices.yaml", *says), (("devices.yaml", text),))


def scenario_case(name: str, text: str, *says: str) -> Case:
    return Case(name, run_case("--scenario", "{dir}/bad.yaml"), ("bad.yaml", *says), (("bad.yaml", text),))


def expectations_case(name: str, text: str, *says: str) -> Case:
    files = (("bad-expectations.yaml", text),) if text else ()
    args = run_case("--expectations", "{dir}/bad-expectations.yaml", "-k", "test_p2p_link_outcome")
    return Case(name, args, ("bad-expectations.yaml", *says), files)


def match_case(name: str, args: tuple[str, ...], *says: str) -> Case:
    return Case(name, ("match", *args), says)


def capture_case(name: str, args: tuple[str, ...], *says: str) -> Case:
    return Case(name, ("capture", *args, "--devices", "{dir}/devices.yaml"), says)


def calibrate_case(name: str, args: tuple[str, ...], *says: str) -> Case:
    base = ("calibrate", "--device", "droid", "--devices", "{dir}/devices.yaml", "--out", "{dir}/out")
    return Case(name, (*base, *args), says)


CASES = [
    # -- devices.yaml
    pool_case("pool-unknown-field", GOOD_POOL.replace("os_version", "os_versoin"), "os_versoin", "devices[0]"),
    pool_case("pool-bad-platform", GOOD_POOL.replace("platform: android", "platform: symbian"), "platform"),
    pool_case("pool-duplicate-name", pool(DROID, DROID), "duplicate name"),
    pool_case("pool-missing-endpoint", GOOD_POOL.replace("    endpoint: embedded\n", ""), "endpoint"),
    pool_case("pool-not-yaml", "devices: [\n  - name: {x\n", "YAML"),
    pool_case("pool-a-list", "- name: droid\n", "devices"),
    pool_case("pool-unset-variable", GOOD_POOL.replace("embedded", "http://${SHAREFLOW_NOPE}:4723"), "SHAREFLOW_NOPE"),
    pool_case("pool-empty", "", "devices"),
    pool_case("pool-bad-endpoint", GOOD_POOL.replace("endpoint: embedded", "endpoint: ftp://x"), "endpoint"),
    pool_case("pool-unknown-provider", GOOD_POOL + "    provider: bitbar\n", "provider"),
    pool_case("pool-capabilities-not-a-mapping", GOOD_POOL + "    capabilities: [1, 2]\n", "capabilities"),
    pool_case("pool-bad-os-version", GOOD_POOL.replace('"12"', '"twelve"'), "os_version"),
    Case("pool-missing-file", ("run", "--devices", "{dir}/nope.yaml", "--output", "{dir}/out"), ("nope.yaml",)),
    Case("pool-is-a-folder", ("run", "--devices", "{dir}", "--output", "{dir}/out"), ("{dir}",)),
    # -- the embedded farm's scenario
    scenario_case("scenario-unknown-key", "noize: {promo_popup: 0}\n", "noize"),
    scenario_case(
        "scenario-unknown-outcome", "link_policy: {qq: {group: {jd: open}}}\n", "link_policy.qq.group.jd", "open"
    ),
    scenario_case(
        "scenario-unknown-link-kind", "link_policy: {qq: {group: {pdd: blocked}}}\n", "link_policy.qq.group", "pdd"
    ),
    scenario_case("scenario-unknown-carrier", "link_policy: {weibo: {group: {jd: direct}}}\n", "link_policy", "weibo"),
    scenario_case("scenario-unknown-cashier", "payment: {jd: [alipay]}\n", "payment", "jd"),
    scenario_case("scenario-unknown-method", "payment: {taobao: [alipay, unionpay]}\n", "payment.taobao.1", "unionpay"),
    scenario_case("scenario-not-yaml", "seed: [1,\n", "YAML"),
    scenario_case("scenario-bad-clock", "clock: {start: yesterday}\n", "clock.start"),
    scenario_case("scenario-range-upside-down", "faults: {latency_ms: [900, 100]}\n", "faults.latency_ms"),
    scenario_case("scenario-chance-above-one", "noise: {promo_popup: 1.5}\n", "noise.promo_popup"),
    scenario_case("scenario-unknown-defect", "defects: [bad_luck]\n", "defects", "bad_luck"),
    scenario_case("scenario-seed-not-a-number", "seed: seven\n", "seed"),
    Case("scenario-missing-file", run_case("--scenario", "{dir}/nope.yaml"), ("nope.yaml",)),
    # -- expected link outcomes
    expectations_case("expectations-missing-file", "", "bad-expectations.yaml"),
    expectations_case("expectations-not-yaml", "p2p: {taobao: [\n", "YAML"),
    expectations_case(
        "expectations-unknown-outcome",
        GOOD_EXPECTATIONS.replace("douyin: interstitial}", "douyin: open}"),
        "link_policy.wechat.group.douyin",
        "open",
    ),
    expectations_case(
        "expectations-unknown-link-kind",
        GOOD_EXPECTATIONS.replace("pinduoduo: direct, douyin: interstitial}", "pdd: direct, douyin: interstitial}"),
        "link_policy.wechat.group",
        "pdd",
    ),
    expectations_case(
        "expectations-missing-door",
        GOOD_EXPECTATIONS.replace(", douyin: interstitial}", "}"),
        "link_policy.wechat.group",
        "douyin",
    ),
    expectations_case(
        "expectations-missing-carrier",
        GOOD_EXPECTATIONS[GOOD_EXPECTATIONS.index("payment:") :] + "link_policy: {wechat: {}}\n",
        "link_policy",
        "qq",
    ),
    expectations_case("expectations-missing-payment", GOOD_EXPECTATIONS.split("payment:")[0], "payment"),
    expectations_case("expectations-old-shape", "p2p: {taobao: direct, tmall: direct, jd: direct}\n", "p2p"),
    expectations_case(
        "expectations-unknown-method",
        GOOD_EXPECTATIONS.replace("tmall: [alipay]", "tmall: [alipay, paypal]"),
        "payment.tmall.1",
        "paypal",
    ),
    expectations_case(
        "expectations-missing-cashier", GOOD_EXPECTATIONS.replace("  hema: [alipay]\n", ""), "payment", "hema"
    ),
    # -- options of `shareflow run` and of the plugin behind it
    Case("run-bad-screenshot", run_case("--screenshot", "bogus"), ("--screenshot", "bogus")),
    Case("run-bad-video", run_case("--video", "always"), ("--video", "always")),
    Case("run-bad-platform", run_case("--platform", "symbian"), ("--platform", "symbian")),
    Case("run-unknown-phone", run_case("--device", "nokia"), ("--device", "nokia", "droid")),
    Case(
        "run-output-is-a-file",
        ("run", "--devices", "{dir}/devices.yaml", "--output", "{dir}/devices.yaml"),
        ("--output",),
    ),
    Case("run-negative-lease-timeout", run_case("--lease-timeout=-5"), ("--lease-timeout", "-5")),
    Case("run-negative-infra-retries", run_case("--infra-retries=-3"), ("--infra-retries", "-3")),
    Case(
        "run-missing-templates",
        run_case("--shareflow-templates", "{dir}/no-templates"),
        ("--shareflow-templates", "no-templates"),
    ),
    # -- shareflow match
    match_case("match-missing-screen", ("{dir}/nope.png", str(TEMPLATE)), "nope.png"),
    match_case("match-screen-not-an-image", ("{dir}/devices.yaml", str(TEMPLATE)), "devices.yaml"),
    match_case("match-empty-screen", ("{dir}/empty.png", str(TEMPLATE)), "empty.png"),
    match_case("match-template-larger-than-screen", ("{dir}/tiny.png", str(TEMPLATE)), "tiny.png", "item.png"),
    match_case("match-bad-resolution", ("{dir}/screen.png", str(TEMPLATE), "--capture-resolution", "10x"), "10x"),
    match_case("match-threshold-above-one", ("{dir}/screen.png", str(TEMPLATE), "--threshold", "1.5"), "--threshold"),
    match_case("match-no-arguments", (), "SCREEN"),
    match_case("match-missing-batch", ("--batch", "{dir}/nope.jsonl"), "nope.jsonl"),
    # -- shareflow capture: every input checked before a session is opened
    capture_case("capture-three-numbers", ("wechat/x", "--device", "droid", "--rect", "1,2,3"), "--rect", "4 numbers"),
    capture_case("capture-negative-rect", ("wechat/x", "--device", "droid", "--rect", "1,-2,3,4"), "--rect", "y"),
    capture_case("capture-zero-width", ("wechat/x", "--device", "droid", "--rect", "1,2,0,4"), "--rect", "w"),
    capture_case("capture-unknown-locator-key", ("wechat/x", "--device", "droid", "--locator", "colour=red"), "colour"),
    capture_case("capture-state-escapes", ("../../x", "--device", "droid", "--rect", "1,2,3,4"), "STATE", "../../x"),
    capture_case("capture-unknown-device", ("wechat/x", "--device", "nokia", "--rect", "1,2,3,4"), "nokia"),
    capture_case("capture-no-rect-no-locator", ("wechat/x", "--device", "droid"), "--rect", "--locator"),
    # -- the other commands
    Case(
        "sim-bad-pool",
        ("sim", "--devices", "{dir}/bad-pool.yaml", "--port", "0"),
        ("bad-pool.yaml",),
        (("bad-pool.yaml", "devices: []\n"),),
    ),
    Case(
        "devices-check-unknown-phone",
        ("devices", "check", "--devices", "{dir}/devices.yaml", "--device", "nokia"),
        ("nokia",),
    ),
    Case(
        "matrix-not-a-run-folder",
        ("matrix", "--output", "{dir}", "--history", "{dir}/hist", "--devices", "{dir}/devices.yaml"),
        ("{dir}",),
    ),
    Case("read-text-no-templates", ("read-text", "--templates", "{dir}/nowhere"), ("--templates", "nowhere")),
    calibrate_case("calibrate-unknown-phone", ("--device", "nokia"), "--device nokia", "droid"),
    calibrate_case("calibrate-rect-unknown-state", ("--rect", "wechat/nope=1,2,3,4"), "wechat/nope", "unknown state"),
    calibrate_case("calibrate-rect-three-numbers", ("--rect", "wechat/chat=1,2,3"), "--rect", "wechat/chat=1,2,3"),
    calibrate_case("calibrate-rect-no-state", ("--rect", "1,2,3,4"), "--rect", "STATE=x,y,w,h"),
    calibrate_case("calibrate-out-a-file", ("--out", "{dir}/tiny.png"), "--out", "tiny.png"),
    calibrate_case("calibrate-no-data", ("--data", "{dir}/nodata.yaml"), "--data", "nodata.yaml"),
    Case("unknown-command", ("summon",), ("summon",)),
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a digest of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A project folder with good inputs and an earlier run's output."""
    (tmp_path / "devices.yaml").write_text(GOOD_POOL, encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(GOOD_SCENARIO, encoding="utf-8")
    (tmp_path / "expectations.yaml").write_text(GOOD_EXPECTATIONS, encoding="utf-8")
    out = tmp_path / "out"
    (out / "allure-results").mkdir(parents=True)
    (out / "results.jsonl").write_text('{"nodeid": "earlier::test", "outcome": "passed"}\n', encoding="utf-8")
    (out / "link-outcomes.jsonl").write_text('{"device": "droid"}\n', encoding="utf-8")
    (out / "allure-results" / "earlier-result.json").write_text("{}", encoding="utf-8")
    (tmp_path / "empty.png").write_bytes(b"")
    cv2.imwrite(str(tmp_path / "tiny.png"), np.full((40, 30, 3), 200, np.uint8))
    cv2.imwrite(str(tmp_path / "screen.png"), cv2.imread(str(ROOT / "docs" / "images" / "step-annotated.jpg")))
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_exits_2_with_one_message_naming_it_and_writes_nothing(case: Case, folder: Path) -> None:
    for name, text in case.files:
        (folder / name).write_text(text, encoding="utf-8")
    before = snapshot(folder / "out")
    argv = [str(SHAREFLOW), *(a.format(dir=folder) for a in case.args)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 2, said
    assert len(said) == 1, said
    assert "Traceback" not in said[0]
    for words in case.says:
        assert words.format(dir=folder) in said[0], said[0]
    assert snapshot(folder / "out") == before
    assert not (folder / "out" / "farm.log").exists()


def test_the_catalogue_is_large() -> None:
    assert len(CASES) >= 40
