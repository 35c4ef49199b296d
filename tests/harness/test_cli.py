"""The ``shareflow`` command: bad input exits 2 with one clear line; Tao passwords; the run summary."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pools import DROID, pool

from shareflow import cli, summary
from shareflow.records import ResultRecord
from shareflow.vision.templates import TemplateLibrary, TemplateMissing

SHAREFLOW = Path(sys.executable).parent / "shareflow"  # the console script beside the venv's python
GOOD_POOL = pool(DROID)
BAD_POOL = GOOD_POOL.replace("platform: android", "platfrom: android")
BAD_POOL_LINE = "devices.yaml:3: devices[0] (droid): field 'platfrom': unknown field"
ALLOWED = (
    "accessibility_service, apps, capabilities, endpoint, name, os_version, platform, profile, provider, simulator, "
    "skin, tags, udid, uploads, wda_bundle_id, wechat"
)
BAD_SCENARIO = "seed: 7\nnoize: {promo_popup: 0}\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A good and a bad pool, a bad scenario, and an output folder that should stay unwritten."""
    paths = {"good": tmp_path / "good" / "devices.yaml", "bad": tmp_path / "bad" / "devices.yaml"}
    for key, text in (("good", GOOD_POOL), ("bad", BAD_POOL)):
        paths[key].parent.mkdir()
        paths[key].write_text(text, encoding="utf-8")
    paths["scenario"] = tmp_path / "scenario.yaml"
    paths["scenario"].write_text(BAD_SCENARIO, encoding="utf-8")
    paths["output"] = tmp_path / "out"
    return paths


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli.main, list(args))


def test_run_with_a_bad_pool_exits_2_with_one_line_and_writes_nothing(files: dict[str, Path]) -> None:
    result = invoke("run", "--devices", str(files["bad"]), "--output", str(files["output"]))
    assert result.exit_code == cli.USAGE_ERROR == 2
    assert result.stderr.splitlines() == [f"shareflow: {files['bad'].parent}/{BAD_POOL_LINE} (allowed: {ALLOWED})"]
    assert result.stdout == ""
    assert not files["output"].exists()


def test_run_with_a_bad_scenario_exits_2_naming_the_key(files: dict[str, Path]) -> None:
    args = ("--devices", str(files["good"]), "--scenario", str(files["scenario"]), "--output", str(files["output"]))
    result = invoke("run", *args)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("shareflow: ") and str(files["scenario"]) in line
    assert "unknown key 'noize'" in line
    assert not files["output"].exists()


def test_run_refuses_the_plugin_s_output_option_it_would_not_summarise(files: dict[str, Path]) -> None:
    result = invoke("run", "--devices", str(files["good"]), "--shareflow-output", str(files["output"]))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "shareflow: --shareflow-output: shareflow run takes the folder as --output PATH"
    ]
    assert not files["output"].exists()


def test_run_with_an_unknown_phone_exits_2_naming_the_known(files: dict[str, Path], tmp_path: Path) -> None:
    test = tmp_path / "test_x.py"
    test.write_text("def test_x(phone_device):\n    pass\n", encoding="utf-8")
    argv = [str(SHAREFLOW), "run", "--devices", str(files["good"]), "--output", str(files["output"])]
    argv += [str(test), "--device", "nokia", "-p", "no:cacheprovider"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--device 'nokia' is not in the pool (known: droid)" in done.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((), f"shareflow: {{bad}}/{BAD_POOL_LINE}"),
        (("--scenario", "{scenario}"), "unknown key 'noize'"),
    ],
    ids=["bad-pool", "bad-scenario"],
)
def test_sim_with_bad_input_exits_2_before_serving(
    files: dict[str, Path], extra: tuple[str, ...], expected: str
) -> None:
    pool = files["good"] if extra else files["bad"]
    values = {"bad": files["bad"].parent, "scenario": files["scenario"]}
    argv = [str(SHAREFLOW), "sim", "--devices", str(pool), "--port", "0", *(a.format(**values) for a in extra)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert expected.format(**values) in line


def test_the_capture_hint_names_the_state_and_only_real_options(tmp_path: Path) -> None:
    with pytest.raises(TemplateMissing) as error:
        TemplateLibrary(tmp_path).get("android", "wechat/chat")
    hint = str(error.value).split("record it with: ", 1)[1]
    assert hint.startswith("shareflow capture wechat/chat ")
    options = {name for param in cli.main.commands["capture"].params for name in param.opts}
    named = set(re.findall(r"--[a-z-]+", hint))
    assert named and named <= options
    assert "--device" in named  # the one option capture cannot do without


# -- the run summary -------------------------------------------------------------------------
def test_summary_lists_failures_first_with_step_category_and_evidence(tmp_path: Path) -> None:
    records = [
        ResultRecord("t.py::test_ok[droid]", "call", "passed", phones="droid", duration_s=1.5),
        ResultRecord(
            "t.py::test_group[droid]",
            "call",
            "failed",
            phones="droid",
            duration_s=9.0,
            step="tap the link",
            category="product",
            message="WrongState: wechat/chat: no link message arrived within 30 s",
            evidence="out/test_group_droid",
        ),
    ]
    text = summary.render(records, tmp_path, None)
    lines = text.splitlines()
    assert lines[0] == "shareflow summary: 1 failed, 1 passed (1 product)"
    assert lines[2].split() == ["FAIL", "test_group[droid]", "droid", "9.0", "s"]
    assert lines[3:6] == [
        "        failed at step: tap the link",
        "        product: WrongState: wechat/chat: no link message arrived within 30 s",
        "        evidence: out/test_group_droid",
    ]
    assert lines[6].split() == ["PASS", "test_ok[droid]", "droid", "1.5", "s"]
    assert summary.render([], tmp_path, None) == f"shareflow: no test reported a result (see {tmp_path})"
