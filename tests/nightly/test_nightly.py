"""`ci/nightly` twice into one folder: the second night WeChat blocks group links.

Exit codes 0 then 1; the report's trend shows both nights and its product
defects are exactly the group-link tests; the matrix names the flipped cells
and shows them in a real browser (headless Chromium). A pool whose only phone
is unreachable ends with 3: only infrastructure failed.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from shareflow.browser import open_headless, screenshot, trend_runs, wait_for

ROOT = Path(__file__).resolve().parents[2]
NIGHTLY = ROOT / "ci" / "nightly"
BLOCKED = ROOT / "ci" / "scenarios" / "group-links-blocked.yaml"
PHONES = ("redmi-9a", "iphone-13")
SUITE = ("tests/e2e/test_link_outcomes.py",)
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
    runs: list[Path]


def nightly(out: Path, devices: Path, *args: str) -> int:
    argv = [str(NIGHTLY), "--out", str(out), "--devices", str(devices), "-n", "2", *args]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False).returncode


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Nights:
    folder = tmp_path_factory.mktemp("nightly")
    entries = yaml.safe_load((ROOT / "devices.yaml").read_text(encoding="utf-8"))["devices"]
    pool = folder / "devices.yaml"
    pool.write_text(yaml.safe_dump({"devices": [e for e in entries if e["name"] in PHONES]}, allow_unicode=True))
    out = folder / "out"
    codes = [nightly(out, pool, *SUITE), nightly(out, pool, "--scenario", str(BLOCKED), *SUITE)]
    return Nights(out, codes, sorted((out / "runs").iterdir()))


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with open_headless() as driver:
        yield driver


def test_the_first_night_passes_and_the_second_fails_on_the_product(nights: Nights) -> None:
    assert nights.codes == [0, 1]
    assert len(nights.runs) == 2
    assert len((nights.out / "history.jsonl").read_text().splitlines()) == 2


def test_product_defects_are_exactly_the_group_link_tests(nights: Nights, browser: WebDriver) -> None:
    browser.get((nights.out / "report" / "index.html").as_uri() + "#categories")
    wanted = sorted(f"test_group_link_outcome[{p}-{k}]" for p in PHONES for k in ("jd", "taobao", "tmall"))
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


def test_the_trend_shows_both_nights(nights: Nights, browser: WebDriver) -> None:
    browser.get("about:blank")
    browser.get((nights.out / "report" / "index.html").as_uri() + "#charts")
    runs = trend_runs(browser)
    assert len(runs) == 2 and runs[-1] == "Latest", runs


def test_the_matrix_names_every_flipped_cell(nights: Nights) -> None:
    matrix = json.loads((nights.runs[1] / "matrix.json").read_text(encoding="utf-8"))
    flipped = sorted((c["device"], c["scene"], c["kind"], c["outcome"]) for c in matrix["changes"])
    assert flipped == sorted((p, "group", k, "blocked") for p in PHONES for k in ("taobao", "tmall", "jd"))


def test_the_matrix_page_shows_its_cells_in_a_browser(nights: Nights, browser: WebDriver) -> None:
    browser.get((nights.runs[1] / "matrix.html").as_uri())
    cells = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "td.cell"), "the cells")
    assert len(cells) == len(PHONES) * 6
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.cell.o-blocked.changed")) == len(PHONES) * 3
    images = browser.find_elements(By.CSS_SELECTOR, "td.cell img")
    assert len(images) == len(cells)
    assert all(browser.execute_script("return arguments[0].naturalWidth", image) > 0 for image in images)
    screenshot(browser, nights.out / "matrix.png")


def test_only_infrastructure_failing_exits_3(tmp_path: Path) -> None:
    pool = tmp_path / "devices.yaml"
    pool.write_text(DEAD_POOL, encoding="utf-8")
    assert nightly(tmp_path / "out", pool, *SUITE) == 3
