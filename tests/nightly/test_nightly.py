"""`ci/nightly` twice into one folder: the second night WeChat blocks group links.

Exit codes 0 then 1; the report's trend shows both nights and its product
defects are exactly the group-link tests; the matrix names the flipped cells
and shows them in a real browser (headless Chromium). The second night keeps
one run folder (``--keep 1``): the first night's folder is gone before the
second night's report and matrix are built, which still show it from the
histories. What the GitHub workflow uploads is tonight's run, and the report
stays within its size budget. A pool whose only phone is unreachable ends
with 3: only infrastructure failed.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import pytest
import yaml
from nightly_ci import uploaded_files
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from shareflow import summary
from shareflow.browser import open_headless, screenshot, trend_runs, wait_for
from shareflow.evidence import MAX_EDGE, REPORT_EDGE
from shareflow.links import LINK_KINDS, SCENES

ROOT = Path(__file__).resolve().parents[2]
NIGHTLY = ROOT / "ci" / "nightly"
BLOCKED = ROOT / "ci" / "scenarios" / "group-links-blocked.yaml"
PHONES = ("redmi-9a", "iphone-13")
SUITE = ("tests/e2e/test_link_outcomes.py",)
MB = 1024 * 1024
REPORT_BUDGET = 1 * MB  # per test, on average
DEAD_POOL = """\
devices:
  - name: gone
    platform: android
    os_version: "14"
    endpoint: http://127.0.0.1:9
"""


@dataclass
class Nights:
    out: Path
    codes: list[int]
    runs: list[Path]  # each night's run folder, as it named it in DIR/latest/run.json


def run_nightly(out: Path, devices: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [str(NIGHTLY), "--out", str(out), "--devices", str(devices), "-n", "2", *args]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)


def nightly(out: Path, devices: Path, *args: str) -> int:
    return run_nightly(out, devices, *args).returncode


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Nights:
    folder = tmp_path_factory.mktemp("nightly")
    entries = yaml.safe_load((ROOT / "devices.yaml").read_text(encoding="utf-8"))["devices"]
    pool = folder / "devices.yaml"
    pool.write_text(yaml.safe_dump({"devices": [e for e in entries if e["name"] in PHONES]}, allow_unicode=True))
    out = folder / "nightly"  # as the GitHub workflow names it, in its checkout: folder
    codes, runs = [], []
    for args in (SUITE, ("--scenario", str(BLOCKED), "--keep", "1", *SUITE)):
        done = run_nightly(out, pool, *args)
        pointer = out / "latest" / "run.json"
        assert pointer.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
        codes.append(done.returncode)
        runs.append(Path(json.loads(pointer.read_text(encoding="utf-8"))["run"]))
    return Nights(out, codes, runs)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with open_headless() as driver:
        yield driver


def test_the_first_night_passes_and_the_second_fails_on_the_product(nights: Nights) -> None:
    assert nights.codes == [0, 1]
    assert len(set(nights.runs)) == 2
    assert len((nights.out / "history.jsonl").read_text().splitlines()) == 2


def test_keep_1_deletes_the_first_night_s_folder_and_keeps_its_history_lines(nights: Nights) -> None:
    first, second = nights.runs
    assert sorted((nights.out / "runs").iterdir()) == [second]
    assert not first.exists()
    for history in ("history.jsonl", "matrix-history.jsonl"):  # the trend and the matrix diff are built from these
        assert len((nights.out / history).read_text(encoding="utf-8").splitlines()) == 2, history


def test_the_workflow_uploads_tonight_s_run_and_nothing_older(nights: Nights) -> None:
    """Every path the GitHub workflow uploads exists after `ci/nightly --out nightly`, and holds tonight's run only."""
    tonight, latest = nights.runs[1], nights.out / "latest"
    taken = uploaded_files(nights.out.parent)  # the workflow's checkout, where `--out nightly` points
    assert taken and all(taken.values()), {path: len(files) for path, files in taken.items()}
    files = {f for found in taken.values() for f in found}
    assert all(f.is_relative_to(latest) for f in files), sorted(files)
    names = {f.relative_to(latest).as_posix() for f in files}
    run_files = {
        p.relative_to(tonight).as_posix(): p
        for p in tonight.rglob("*")
        if p.is_file() and "allure-results" not in p.parts
    }
    assert names == set(run_files) | {"run.json"}
    assert {"matrix.html", "matrix.json", "report/index.html"} <= names
    assert any(n.startswith("matrix-thumbs/") for n in names)
    assert all((latest / name).read_bytes() == path.read_bytes() for name, path in run_files.items())
    pointer = json.loads((latest / "run.json").read_text(encoding="utf-8"))
    assert pointer["run"] == str(tonight) and pointer["report"] == str(tonight / "report" / "index.html")


def test_the_report_is_within_its_size_budget(nights: Nights) -> None:
    tests = [r for r in summary.read(nights.runs[1]) if r.outcome != "rerun"]
    assert len(tests) == len(PHONES) * len(SCENES) * len(LINK_KINDS)  # the link-outcome suite
    size = (nights.runs[1] / "report" / "index.html").stat().st_size
    assert size <= REPORT_BUDGET * len(tests), f"{size / MB:.1f} MB for {len(tests)} tests"


def test_the_report_shows_step_shots_scaled_down_and_the_folder_keeps_them_whole(nights: Nights) -> None:
    tonight = nights.runs[1]
    shown = [cv2.imread(str(p)) for p in (tonight / "allure-results").glob("*-attachment.jpg")]
    kept = [cv2.imread(str(p)) for p in tonight.glob("test_*/*.jpg")]
    assert shown and len(shown) == len(kept)
    assert max(max(image.shape[:2]) for image in shown) == REPORT_EDGE
    assert max(max(image.shape[:2]) for image in kept) == MAX_EDGE  # iphone-13's 2532 px screen


def group_link_titles(results: Path) -> set[str]:
    """What Allure calls the group-link tests of a run (their titles: e.g. ``A jd link in a group chat on ...``)."""
    found = (json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*-result.json"))
    return {r["name"] for r in found if r["fullName"].endswith("#test_group_link_outcome")}


def test_product_defects_are_exactly_the_group_link_tests(nights: Nights, browser: WebDriver) -> None:
    browser.get((nights.runs[1] / "report" / "index.html").as_uri() + "#categories")
    wanted = sorted(group_link_titles(nights.runs[1] / "allure-results"))
    assert len(wanted) == len(PHONES) * len(LINK_KINDS), wanted
    titles = wait_for(
        browser,
        lambda d: (
            (t := [e.text.strip() for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="tree-leaf-title"]')])
            and len(t) == len(wanted)
            and t
        ),
        "the product defects",
    )
    assert sorted(titles) == wanted
    body = browser.find_element(By.TAG_NAME, "body").text.splitlines()
    assert "Product defects" in body and "Infrastructure problems" not in body
    screenshot(browser, nights.out / "categories.png")


def test_a_failed_test_keeps_its_history_across_the_nights(nights: Nights) -> None:
    """The blocked night's failures are the first night's passes, not new tests (Allure 3's history)."""
    runs = [json.loads(line) for line in (nights.out / "history.jsonl").read_text(encoding="utf-8").splitlines()]
    failed = {k: r["name"] for k, r in runs[1]["testResults"].items() if r["status"] == "failed"}
    assert len(failed) == len(PHONES) * len(LINK_KINDS)  # the group-link tests (one per link kind) of each phone
    assert all(runs[0]["testResults"][key]["status"] == "passed" for key in failed), failed


def test_the_report_and_the_matrix_link_to_each_other(nights: Nights) -> None:
    for folder in (nights.runs[1], nights.out / "latest"):
        page = (folder / "matrix.html").read_text(encoding="utf-8")
        assert 'href="report/index.html"' in page and (folder / "report" / "index.html").is_file()
    files = (nights.runs[1] / "allure-results").glob("*-result.json")
    results = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    links = {link["url"] for r in results for link in r.get("links", []) if link.get("name") == "connectivity matrix"}
    assert links == {"../matrix.html"}  # from report/index.html: the run's matrix.html, in both places
    environment = (nights.runs[1] / "allure-results" / "environment.properties").read_text(encoding="utf-8")
    assert r"connectivity\ matrix=../matrix.html" in environment
    assert "group-links-blocked.yaml (simulated by the virtual farm)" in environment


def test_the_trend_shows_both_nights(nights: Nights, browser: WebDriver) -> None:
    browser.get("about:blank")
    browser.get((nights.runs[1] / "report" / "index.html").as_uri() + "#charts")
    runs = trend_runs(browser)
    assert len(runs) == 2 and runs[-1] == "Latest", runs


def test_the_matrix_names_every_flipped_cell(nights: Nights) -> None:
    matrix = json.loads((nights.runs[1] / "matrix.json").read_text(encoding="utf-8"))
    flipped = sorted((c["device"], c["carrier"], c["scene"], c["kind"], c["outcome"]) for c in matrix["changes"])
    assert flipped == sorted((p, "wechat", "group", k, "blocked") for p in PHONES for k in LINK_KINDS)


def test_the_matrix_page_shows_its_cells_in_a_browser(nights: Nights, browser: WebDriver) -> None:
    browser.get((nights.runs[1] / "matrix.html").as_uri())
    cells = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "td.cell"), "the cells")
    assert len(cells) == len(PHONES) * len(SCENES) * len(LINK_KINDS)  # WeChat's doors: the suite's carrier
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.cell.o-blocked.changed")) == len(PHONES) * len(LINK_KINDS)
    images = browser.find_elements(By.CSS_SELECTOR, "td.cell img")
    assert len(images) == len(cells)
    assert all(browser.execute_script("return arguments[0].naturalWidth", image) > 0 for image in images)
    screenshot(browser, nights.out / "matrix.png")


def test_only_infrastructure_failing_exits_3(tmp_path: Path) -> None:
    pool = tmp_path / "devices.yaml"
    pool.write_text(DEAD_POOL, encoding="utf-8")
    assert nightly(tmp_path / "out", pool, *SUITE) == 3
