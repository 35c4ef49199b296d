"""The connectivity matrix: cells from a run folder, thumbnails and links, history and diff, the command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

from shareflow import cli, matrix, secrets
from shareflow.devices import Device
from shareflow.links import LINK_KINDS, SCENES, AnyDoor, Door, PayDoor
from shareflow.matrix.model import CELL_OUTCOMES, Cell

ROOT = Path(__file__).resolve().parents[2]
SHAREFLOW = Path(sys.executable).parent / "shareflow"
POOL = [Device("iphone-13", "ios", "16.7", "embedded"), Device("redmi-9a", "android", "11", "embedded")]
POOL_YAML = """\
devices:
  - {name: iphone-13, platform: ios, os_version: "16.7", profile: iphone-13, endpoint: embedded,
     wechat: {account: wxid_ip, nickname: 苹果}}
  - {name: redmi-9a, platform: android, os_version: "11", profile: android-hd, endpoint: embedded,
     wechat: {account: wxid_mi, nickname: 小米}}
"""
EXPECTED = yaml.safe_load((ROOT / "tests/e2e/expectations.yaml").read_text(encoding="utf-8"))
NIGHT_1 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
NIGHT_2 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SECRET = "tok-9f8e7d6c5b4a"
SUBSTITUTE = Device("iphone-15", "ios", "17.5", "embedded")  # where a retry of an iPhone's test may go
Spot = tuple[str, AnyDoor]  # device, door
COLUMNS = [Door("wechat", scene, kind) for scene in SCENES for kind in ("taobao", "tmall", "jd")]  # a run's doors


def W(scene: str, kind: str) -> Door:
    """A WeChat door."""
    return Door("wechat", scene, kind)  # type: ignore[arg-type]


def _image(path: Path, colour: tuple[int, int, int]) -> None:
    """A phone-shaped screenshot (360×780) with some structure, as the suites leave them."""
    image = np.full((780, 360, 3), colour, np.uint8)
    cv2.rectangle(image, (20, 60), (340, 300), (255, 255, 255), -1)
    cv2.putText(image, path.stem[:12], (30, 200), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


def _state(door: AnyDoor, outcome: str) -> str:
    if not isinstance(door, Door):
        return "taobao_cashier"
    return f"{door.carrier}_h5_{door.kind}" if outcome == "direct" else f"{door.carrier}_{outcome}"


def write_run(
    out: Path, at: datetime, changed: dict[Spot, str] | None = None, doors: Sequence[AnyDoor] = COLUMNS
) -> None:
    """A run folder as the link-outcome and cashier suites leave it: every phone × door as expected but ``changed``.

    An outcome of ``error`` is a test that failed (infrastructure) before it saw one: no row, a failure screen;
    ``retried`` one whose phone failed so, and whose retry on ``SUBSTITUTE`` saw the expected outcome.
    """
    seen: dict[str, list[dict]] = {"link-outcomes.jsonl": [], "payment-offers.jsonl": []}
    results = []
    for device in POOL:
        for door in doors:
            if isinstance(door, Door):
                carrier, scene, kind = door
                expected = EXPECTED["link_policy"][carrier][scene][kind]
                test, suite = f"test_{scene}_link_outcome[{device.name}-{kind}]", f"test_{carrier}_links"
                rows, first = seen["link-outcomes.jsonl"], f"01-{carrier}_chat_found.jpg"
            else:
                expected = "offered" if door.method in EXPECTED["payment"][door.cashier] else "not_offered"
                test, suite = f"test_cashier[{device.name}-{door.cashier}-{door.method}]", "test_cashiers"
                rows, first = seen["payment-offers.jsonl"], "01-taobao_item_found.jpg"
            outcome = (changed or {}).get((device.name, door), expected)
            folder = out / f"{suite}-{test.replace('[', '_').rstrip(']')}"
            _image(folder / first, (230, 230, 230))
            record = {"nodeid": f"tests/e2e/{suite}.py::{test}", "when": "call", "phones": device.name}
            record |= {"device": device.name, **door._asdict()}
            record |= {"outcome": "passed", "category": "", "step": "", "message": "", "evidence": str(folder)}
            if outcome in ("error", "retried"):
                _image(folder / f"02-{device.name}_screen_at_failure.png", (90, 90, 200))
                message = f"SessionError: the session is gone (token {SECRET})"
                record |= {"outcome": "failed", "category": "infrastructure", "message": message}
            if outcome == "retried":
                results.append(record | {"outcome": "rerun"})
                folder = folder.with_name(folder.name + "-retry1")
                _image(folder / f"05-{_state(door, expected)}_found.jpg", (120, 200, 120))
                rows.append({"phone": SUBSTITUTE.name, "os": SUBSTITUTE.kind, **door._asdict()})
                rows[-1] |= {"expected": expected, "observed": expected, "evidence": str(folder)}
                record = record | {"outcome": "passed", "phones": SUBSTITUTE.name, "message": "", "category": ""}
                record["evidence"] = str(folder)
            elif outcome != "error":
                _image(folder / f"02-{_state(door, outcome)}_found.jpg", (120, 200, 120))
                rows.append({"phone": device.name, "os": device.kind, **door._asdict()})
                rows[-1] |= {"expected": expected, "observed": outcome, "evidence": str(folder)}
                if outcome != expected:
                    message = f"WrongState: {'/'.join(door)} showed {outcome!r}"
                    record |= {"outcome": "failed", "category": "product", "message": message}
            results.append(record)
    out.mkdir(parents=True, exist_ok=True)
    for name, lines in (*seen.items(), ("results.jsonl", results)):
        if not lines:
            continue
        with (out / name).open("a", encoding="utf-8") as file:
            file.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        os.utime(out / name, (at.timestamp(), at.timestamp()))


def _spot(line: str) -> set[tuple[str, str]]:
    """The phone and scene a line of a run file is for."""
    entry = json.loads(line)
    return {(entry.get("device") or entry.get("phone"), entry["scene"])}


def cells(table: matrix.Matrix) -> dict[tuple[str, str, AnyDoor], Cell]:
    return {cell.key: cell for cell in table.cells()}


class _Page(HTMLParser):
    """The matrix page's cells, links and image sources."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.urls: list[str] = []
        self.legend = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "td" and "cell" in (values.get("class") or "").split():
            self.cells.append(values["class"] or "")
        if tag == "ul" and values.get("class") == "legend":
            self.legend = True
        self.urls += [value for name, value in attrs if name in ("href", "src") and value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def page(path: Path) -> _Page:
    parsed = _Page()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli.main, ["matrix", *map(str, args)])


@pytest.fixture
def pool_file(tmp_path: Path) -> Path:
    path = tmp_path / "devices.yaml"
    path.write_text(POOL_YAML, encoding="utf-8")
    return path


# -- cells ------------------------------------------------------------------------------------------
def test_cells_hold_outcome_expectation_test_and_evidence_in_pool_order(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {("redmi-9a", W("group", "jd")): "blocked", ("iphone-13", W("p2p", "tmall")): "error"})
    table = matrix.build(out, POOL, "nightly-1")
    assert [row.title for row in table.rows] == ["iphone-13 (ios 16.7)", "redmi-9a (android 11)"]  # pool order
    assert [c.door for c in table.rows[0].cells] == table.columns == COLUMNS
    blocked = cells(table)[("redmi-9a", "android 11", W("group", "jd"))]
    assert (blocked.outcome, blocked.expected, blocked.matches) == ("blocked", "interstitial", False)
    assert blocked.test == "test_group_link_outcome[redmi-9a-jd]"
    folder = "test_wechat_links-test_group_link_outcome_redmi-9a-jd"
    assert blocked.evidence == blocked.screenshot == f"{folder}/02-wechat_blocked_found.jpg"
    direct = cells(table)[("iphone-13", "ios 16.7", W("group", "taobao"))]
    assert (direct.outcome, direct.matches) == ("direct", True)
    assert direct.screenshot.endswith("/02-wechat_h5_taobao_found.jpg")
    outcomes = [c.outcome for c in table.cells()]
    assert outcomes.count("error") == 1 and outcomes.count("blocked") == 1 and None not in outcomes


def test_an_error_cell_links_its_evidence_folder_and_shows_the_failure(tmp_path: Path) -> None:
    secrets.register(SECRET)
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {("iphone-13", W("p2p", "tmall")): "error"})
    error = cells(matrix.build(out, POOL))[("iphone-13", "ios 16.7", W("p2p", "tmall"))]
    assert error.outcome == "error" and error.matches is False
    assert error.expected == "direct"  # what the other phones were held to in that column
    folder = "test_wechat_links-test_p2p_link_outcome_iphone-13-tmall"
    assert error.evidence == f"{folder}/"
    assert error.screenshot == f"{folder}/02-iphone-13_screen_at_failure.png"
    assert error.message.startswith("infrastructure: SessionError: the session is gone")
    assert SECRET not in error.message


def test_a_test_retried_on_another_phone_leaves_its_own_phones_cell_an_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {("iphone-13", W("group", "tmall")): "retried"})
    table = matrix.build(out, POOL)
    assert [row.title for row in table.rows] == ["iphone-13 (ios 16.7)", "redmi-9a (android 11)"]  # no iphone-15
    cell = cells(table)[("iphone-13", "ios 16.7", W("group", "tmall"))]
    assert cell.outcome == "error" and cell.test == "test_group_link_outcome[iphone-13-tmall]"
    assert cell.message.startswith("infrastructure: SessionError: the session is gone")
    assert cell.message.endswith("(retried on iphone-15: direct)")
    assert cell.evidence == "test_wechat_links-test_group_link_outcome_iphone-13-tmall/"  # the failed try's
    assert [c.outcome for c in table.cells()].count("error") == 1


def test_rows_of_an_earlier_run_in_the_same_folder_are_not_taken_for_this_one(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {("redmi-9a", W("group", "taobao")): "blocked"})
    shutil.rmtree(out / "test_wechat_links-test_group_link_outcome_redmi-9a-taobao")  # the new try wipes it
    (out / "results.jsonl").unlink()  # `shareflow run` starts results afresh; link-outcomes.jsonl only grows
    write_run(out, NIGHT_2, {("redmi-9a", W("group", "taobao")): "error", ("redmi-9a", W("group", "tmall")): "blocked"})
    found = cells(matrix.build(out, POOL))
    assert found[("redmi-9a", "android 11", W("group", "taobao"))].outcome == "error"  # not last night's 'blocked'
    assert found[("redmi-9a", "android 11", W("group", "tmall"))].outcome == "blocked"  # failed on the outcome itself


def test_without_results_the_observed_rows_make_the_cells(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {("iphone-13", W("group", "jd")): "copy_to_browser"})
    (out / "results.jsonl").unlink()
    table = matrix.build(out, POOL)
    assert cells(table)[("iphone-13", "ios 16.7", W("group", "jd"))].outcome == "copy_to_browser"
    assert all(c.outcome in CELL_OUTCOMES for c in table.cells())


def test_a_run_of_some_tests_leaves_the_other_cells_not_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1)
    for name in ("results.jsonl", "link-outcomes.jsonl"):  # keep redmi-9a's group tests, iphone-13's p2p ones
        lines = (out / name).read_text(encoding="utf-8").splitlines(keepends=True)
        mine = (
            ("redmi-9a" in line and '"group"' in line) or ("iphone-13" in line and '"p2p"' in line) for line in lines
        )
        kept = [line for line, keep in zip(lines, mine, strict=True) if keep]
        (out / name).write_text("".join(kept), encoding="utf-8")
    table = matrix.build(out, POOL)
    assert [row.title for row in table.rows] == ["iphone-13 (ios 16.7)", "redmi-9a (android 11)"]
    assert table.columns == COLUMNS  # the doors some phone ran
    assert [c.outcome for c in table.rows[0].cells] == ["direct", "direct", "direct", None, None, None]
    assert [c.outcome for c in table.rows[1].cells] == [None, None, None, "direct", "direct", "interstitial"]
    matrix.report.write(table, out)
    assert page(out / "matrix.html").text.count("not run") == 6 + 1  # the cells, and the legend


def test_columns_are_the_doors_that_ran_grouped_by_carrier_then_scene_then_kind(tmp_path: Path) -> None:
    out = tmp_path / "run"
    qq = [Door("qq", "group", "pinduoduo"), Door("qq", "p2p", "douyin")]
    write_run(out, NIGHT_1, {("redmi-9a", qq[0]): "blocked"}, doors=[*qq, *COLUMNS])
    table = matrix.build(out, POOL)
    assert table.columns == [*COLUMNS, qq[1], qq[0]]  # wechat before qq; p2p before group; kinds in their order
    flipped = cells(table)[("redmi-9a", "android 11", qq[0])]
    assert (flipped.outcome, flipped.expected) == ("blocked", "direct")
    assert flipped.screenshot.endswith("/02-qq_blocked_found.jpg")
    matrix.report.write(table, out)
    html = (out / "matrix.html").read_text(encoding="utf-8")
    assert '<th colspan="6">WeChat</th><th colspan="2">QQ</th>' in html
    assert '<th colspan="3">1:1 chat (p2p)</th><th colspan="3">group chat</th>' in html
    assert '<th colspan="1">1:1 chat (p2p)</th><th colspan="1">group chat</th>' in html


def test_cashiers_have_a_table_of_their_own_and_a_flipped_method_is_named_in_the_diff(
    tmp_path: Path, pool_file: Path
) -> None:
    """The cashier suite's cells (cashier × payment method: offered or not) after the links', in a second table;
    a night when Taobao's cashier lists WeChat Pay changes exactly that cell on each phone."""
    pay = [PayDoor(c, m) for c in ("taobao", "tmall") for m in ("alipay", "wechat_pay")]  # type: ignore[arg-type]
    history = tmp_path / "hist"
    write_run(tmp_path / "a", NIGHT_1, doors=[*COLUMNS, *pay])
    flips = {(d.name, PayDoor("taobao", "wechat_pay")): "offered" for d in POOL}
    write_run(tmp_path / "b", NIGHT_2, flips, doors=[*COLUMNS, *pay])
    for run in ("a", "b"):
        assert invoke("--output", tmp_path / run, "--history", history, "--devices", pool_file).exit_code == 0
    data = json.loads((tmp_path / "b" / "matrix.json").read_text(encoding="utf-8"))
    assert data["columns"][len(COLUMNS) :] == [door._asdict() for door in pay]
    assert [(c["device"], c["cashier"], c["method"], c["previous"], c["outcome"]) for c in data["changes"]] == [
        (d.name, "taobao", "wechat_pay", "not_offered", "offered") for d in POOL
    ]
    cell = data["rows"][0]["cells"][len(COLUMNS) + 1]
    assert (cell["outcome"], cell["expected"], cell["matches"]) == ("offered", "not_offered", False)
    assert cell["screenshot"].endswith("/02-taobao_cashier_found.jpg")
    html = (tmp_path / "b" / "matrix.html").read_text(encoding="utf-8")
    links, cashiers = html.split("<h2>Cashiers", 1)
    assert links.count('class="cell o-') == len(POOL) * len(COLUMNS)
    assert cashiers.count('class="cell o-offered') == len(POOL) * 3 and cashiers.count("o-not_offered") == len(POOL)
    assert '<th colspan="2">Taobao</th><th colspan="2">Tmall</th>' in cashiers


def test_lines_written_before_there_were_carriers_are_wechats(tmp_path: Path, pool_file: Path) -> None:
    """A history and link-outcomes.jsonl of an earlier version (no carrier) still read: they were WeChat's."""
    history = tmp_path / "hist"
    history.mkdir()
    old = {"device": "redmi-9a", "os": "android 11", "scene": "group", "kind": "jd", "outcome": "direct"}
    line = {"run_at": NIGHT_1.isoformat(), "label": "old", "cells": [old]}
    (history / "matrix-history.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    write_run(out, NIGHT_2)
    (out / "results.jsonl").unlink()
    rows = (out / "link-outcomes.jsonl").read_text(encoding="utf-8").splitlines()
    (out / "link-outcomes.jsonl").write_text(
        "".join(json.dumps({k: v for k, v in json.loads(r).items() if k != "carrier"}) + "\n" for r in rows),
        encoding="utf-8",
    )
    assert invoke("--output", out, "--history", history, "--devices", pool_file).exit_code == 0
    data = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    assert [(c["carrier"], c["kind"], c["previous"], c["outcome"]) for c in data["changes"]] == [
        ("wechat", "jd", "direct", "interstitial")
    ]


# -- files: thumbnails, links, json, page -------------------------------------------------------------
def test_the_page_links_the_runs_allure_report(tmp_path: Path, pool_file: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {})
    report = "../../report/index.html"
    assert (
        invoke(
            "--output", out, "--history", tmp_path / "hist", "--devices", pool_file, "--report-url", report
        ).exit_code
        == 0
    )
    assert report in page(out / "matrix.html").urls
    assert json.loads((out / "matrix.json").read_text(encoding="utf-8"))["report_url"] == report


def test_thumbnails_are_small_jpegs_and_every_link_is_relative_and_resolves_after_a_copy(
    tmp_path: Path, pool_file: Path
) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {("iphone-13", W("p2p", "jd")): "error"})
    assert invoke("--output", out, "--history", tmp_path / "hist", "--devices", pool_file).exit_code == 0
    copy = tmp_path / "published" / "artifact"
    shutil.copytree(out, copy)  # as CI publishes it
    data = json.loads((copy / "matrix.json").read_text(encoding="utf-8"))
    thumbs = [cell["thumbnail"] for row in data["rows"] for cell in row["cells"]]
    assert len(thumbs) == 12 and all(thumbs)
    for thumb in thumbs:
        image = cv2.imread(str(copy / thumb))
        assert image is not None and image.shape[1] == 120 and image.shape[0] == 260
        assert (copy / thumb).stat().st_size < 12_000
    urls = page(copy / "matrix.html").urls
    assert len(urls) >= 24  # a thumbnail and its link per cell, the error's folder
    for url in urls:
        assert "://" not in url and not url.startswith(("/", "data:")), url
        assert (copy / url).exists(), url


def test_matrix_json_has_a_stable_documented_shape(tmp_path: Path, pool_file: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1)
    assert (
        invoke("--output", out, "--history", tmp_path / "hist", "--devices", pool_file, "--label", "n-1").exit_code == 0
    )
    data = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    assert list(data) == [
        "format",
        "label",
        "report_url",
        "run_at",
        "generated_at",
        "outcomes",
        "columns",
        "rows",
        "previous",
        "changes",
    ]
    assert data["label"] == "n-1" and data["run_at"] == NIGHT_1.isoformat()
    assert datetime.fromisoformat(data["generated_at"]) > NIGHT_1
    assert data["outcomes"] == [
        "direct",
        "interstitial",
        "blocked",
        "copy_to_browser",
        "offered",
        "not_offered",
        "error",
    ]
    cell = data["rows"][0]["cells"][0]
    assert " ".join(cell) == (
        "carrier scene kind outcome expected matches test evidence screenshot thumbnail message change"
    )
    assert data["format"] == 2 and data["columns"][0] == {"carrier": "wechat", "scene": "p2p", "kind": "taobao"}
    assert data["previous"] is None and data["changes"] == []


def test_the_page_holds_every_cell_coloured_by_outcome_and_the_legend(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, NIGHT_1, {("iphone-13", W("group", "jd")): "blocked", ("redmi-9a", W("p2p", "jd")): "error"})
    table = matrix.build(out, POOL, "nightly-1")
    matrix.report.write(table, out)
    parsed = page(out / "matrix.html")
    assert len(parsed.cells) == 12
    colours = [next(c for c in classes.split() if c.startswith("o-")) for classes in parsed.cells]
    assert colours.count("o-direct") == 9 and colours.count("o-interstitial") == 1
    assert colours.count("o-blocked") == 1 and colours.count("o-error") == 1
    assert sum("mismatch" in classes for classes in parsed.cells) == 2  # blocked ≠ interstitial; the error
    text = " ".join(parsed.text)
    assert parsed.legend and all(name in text for name in CELL_OUTCOMES)
    assert "<script" not in (out / "matrix.html").read_text(encoding="utf-8")


# -- history and diff ---------------------------------------------------------------------------------
def test_the_second_run_names_exactly_the_flipped_cells_with_both_times(tmp_path: Path, pool_file: Path) -> None:
    history = tmp_path / "nightly"
    first, second = tmp_path / "run-1", tmp_path / "run-2"
    write_run(first, NIGHT_1, {("iphone-13", W("p2p", "jd")): "error"})
    flips = {("redmi-9a", W("group", "taobao")): "blocked", ("iphone-13", W("group", "jd")): "error"}
    write_run(second, NIGHT_2, {("iphone-13", W("p2p", "jd")): "direct", **flips})
    assert invoke("--output", first, "--history", history, "--devices", pool_file, "--label", "n-1").exit_code == 0
    result = invoke("--output", second, "--history", history, "--devices", pool_file, "--label", "n-2")
    assert result.exit_code == 0, result.output
    data = json.loads((second / "matrix.json").read_text(encoding="utf-8"))
    changed = {(c["device"], W(c["scene"], c["kind"])): (c["previous"], c["outcome"]) for c in data["changes"]}
    assert {c["carrier"] for c in data["changes"]} == {"wechat"}
    assert changed == {
        ("redmi-9a", W("group", "taobao")): ("direct", "blocked"),
        ("iphone-13", W("group", "jd")): ("interstitial", "error"),
        ("iphone-13", W("p2p", "jd")): ("error", "direct"),
    }
    assert {(c["previous_at"], c["previous_label"], c["at"]) for c in data["changes"]} == {
        (NIGHT_1.isoformat(), "n-1", NIGHT_2.isoformat())
    }
    assert data["previous"] == {"label": "n-1", "run_at": NIGHT_1.isoformat()}
    line = (
        "  redmi-9a (android 11) wechat/group/taobao: direct → blocked "
        "(direct at 2026-11-27 02:00 UTC, blocked since 2026-11-28 02:00 UTC)"
    )
    assert "changed since n-1 (2026-11-27 02:00 UTC): 3 cells" in result.output.splitlines()
    assert line in result.output.splitlines()
    html = (second / "matrix.html").read_text(encoding="utf-8")
    assert "Changed since n-1 (2026-11-27 02:00 UTC)" in html and html.count('class="cell o-') == 12
    assert sum("changed" in classes for classes in page(second / "matrix.html").cells) == 3


def test_history_keeps_one_line_per_run_and_a_rebuild_replaces_it(tmp_path: Path, pool_file: Path) -> None:
    history = tmp_path / "nightly"
    write_run(tmp_path / "a", NIGHT_1)
    write_run(tmp_path / "b", NIGHT_2, {("redmi-9a", W("p2p", "tmall")): "interstitial"})
    for run in ("a", "b", "b"):
        assert invoke("--output", tmp_path / run, "--history", history, "--devices", pool_file).exit_code == 0
    lines = (history / "matrix-history.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["run_at"] for line in lines] == [NIGHT_1.isoformat(), NIGHT_2.isoformat()]
    assert len(json.loads(lines[1])["cells"]) == 12
    data = json.loads((tmp_path / "b" / "matrix.json").read_text(encoding="utf-8"))
    assert [(c["device"], c["kind"]) for c in data["changes"]] == [("redmi-9a", "tmall")]  # still vs run a


# -- bad input ----------------------------------------------------------------------------------------
def test_a_folder_without_run_files_exits_2_naming_both(tmp_path: Path, pool_file: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("--output", tmp_path / "empty", "--history", tmp_path / "hist", "--devices", pool_file)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"shareflow: {tmp_path / 'empty'}: none of link-outcomes.jsonl, payment-offers.jsonl and results.jsonl"
    )
    assert not (tmp_path / "hist").exists()


@pytest.mark.parametrize(
    ("file", "line", "problem"),
    [
        ("hist/matrix-history.jsonl", "{not json", "not a JSON line"),
        ("hist/matrix-history.jsonl", '{"run_at": "yesterday", "label": "", "cells": []}', "field 'run_at'"),
        ("run/link-outcomes.jsonl", '{"phone": "x", "os": "y", "scene": "group", "kind": "weibo"}', "field 'kind'"),
        (
            "run/link-outcomes.jsonl",
            '{"phone": "x", "os": "y", "carrier": "line", "scene": "group", "kind": "jd"}',
            "field 'carrier'",
        ),
    ],
    ids=["history-not-json", "history-bad-time", "outcomes-bad-kind", "outcomes-bad-carrier"],
)
def test_an_unreadable_line_exits_2_naming_file_and_line(
    tmp_path: Path, pool_file: Path, file: str, line: str, problem: str
) -> None:
    write_run(tmp_path / "run", NIGHT_1)
    history = tmp_path / "hist"
    assert invoke("--output", tmp_path / "run", "--history", history, "--devices", pool_file).exit_code == 0
    with (tmp_path / file).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    number = len((tmp_path / file).read_text(encoding="utf-8").splitlines())
    result = invoke("--output", tmp_path / "run", "--history", history, "--devices", pool_file)
    assert result.exit_code == 2
    [message] = result.stderr.splitlines()
    assert message.startswith(f"shareflow: {tmp_path / file}:{number}: {problem}")


# -- a real run -----------------------------------------------------------------------------------------
def test_a_real_group_run_fills_its_group_cells_as_expected(tmp_path: Path) -> None:
    """The reporter's share flow runs last and is marked group and link("taobao") too, but records no outcome:
    the cells are the link-outcome tests' (before, it took the group × taobao cell as an error)."""
    out = tmp_path / "out"
    argv = [str(SHAREFLOW), "run", "--device", "redmi-9a", "--output", str(out), "-n", "0"]
    argv += ["tests/e2e/test_link_outcomes.py", "tests/e2e/test_share_flow.py", "-k", "group", "-p", "no:cacheprovider"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    done = subprocess.run(
        [str(SHAREFLOW), "matrix", "--output", str(out), "--history", str(tmp_path / "hist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    [row] = data["rows"]
    assert (row["device"], row["os"]) == ("redmi-9a", "android 11")
    group = [cell for cell in row["cells"] if cell["scene"] == "group"]
    assert [c["outcome"] for c in group] == [EXPECTED["link_policy"]["wechat"]["group"][kind] for kind in LINK_KINDS]
    assert all(c["matches"] for c in group)
    for cell in group:
        assert Path(cell["screenshot"]).stem.endswith(
            f"{_state(W(cell['scene'], cell['kind']), cell['outcome'])}_found"
        )
        assert (out / cell["screenshot"]).exists() and (out / cell["thumbnail"]).exists()
    assert all(c["outcome"] is None for c in row["cells"] if c["scene"] == "p2p")
