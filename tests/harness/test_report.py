"""The Allure 3 report: metadata, one self-contained page, history across runs, and what Chromium shows of it.

A small suite runs on the embedded farm in a fresh pytest process (one test passes, one waits
for a screen state that never comes), the metadata is written, and the report is built twice
into one history file. The page is then opened alone, copied into an empty folder, in headless
Chromium. Screenshots of what it showed are saved as PNG under the folder the module prints.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import urllib3.exceptions
from allure_commons.utils import format_exception
from allure_pytest.utils import get_status
from selenium.common.exceptions import InvalidSessionIdException, NoSuchElementException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from shareflow import allure_meta, allure_report, devices, outcomes, secrets
from shareflow.apps.base import ElementNotShown, EmptyTree
from shareflow.browser import WINDOW, open_headless, screenshot, trend_runs, wait_for
from shareflow.errors import DeviceSetupError, InfrastructureError, ProductFailure, UnrecognisedScreen, UsageError
from shareflow.launcher import LaunchError
from shareflow.lease import LeaseTimeout
from shareflow.phone import AppNotInFront
from shareflow.screen import StateNotReached, WrongState
from shareflow.session import SessionError
from shareflow.wait import TimedOut

REPO = Path(__file__).resolve().parents[2]
# the two phones of tests/harness/test_plugin.py's FARM_POOL, with the app versions devices.yaml may give
FARM_POOL = """\
devices:
  - name: droid
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
    wechat: {account: wxid_droid, nickname: 安卓}
    apps: {wechat: "8.0.16", taobao: "10.5.0"}
  - name: apple
    platform: ios
    os_version: "16.7"
    profile: iphone-13
    endpoint: embedded
    wechat: {account: wxid_apple, nickname: 苹果}
    apps: {wechat: "8.0.56", taobao: "10.40.0"}
"""
PASSING, FAILING = "test_item_page_opens", "test_order_can_be_submitted"
INNER_TESTS = f"""
ITEM = "652419876401"


def {PASSING}(taobao):
    taobao.open_item(ITEM)


def {FAILING}(taobao):
    taobao.open_item(ITEM)
    taobao.buy_now()  # the farm's seeded defect: 提交订单 disabled, a known wrong state recognised
"""
DEFECT = "defects: [submit_order_disabled]\n"
PHONES = ("droid", "apple")
NOT_REACHED = "taobao/order_submit_disabled shown"  # the proof's attachment
INNER_TIMEOUT_S = 120
CATEGORY_NAMES = (
    "Product defects",
    "Unrecognised screen",
    "Device setup",
    "Infrastructure problems",
    "Harness errors",
    "Product errors",
    "Test errors",
)


@dataclass(frozen=True)
class Built:
    """A finished inner run and its report, built twice into one history file."""

    proc: subprocess.CompletedProcess[str]
    results: Path
    report_dir: Path
    page: Path  # the report's index.html, copied alone into an empty folder
    history: Path
    shots: Path  # where the browser checks save their screenshots


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("report")
    pool, results = folder / "devices.yaml", folder / "allure-results"
    pool.write_text(FARM_POOL, encoding="utf-8")
    (folder / "test_inner.py").write_text(INNER_TESTS, encoding="utf-8")
    (folder / "defect.yaml").write_text(DEFECT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(folder),
        "--phones-file",
        str(pool),
        "--sim-scenario",
        str(folder / "defect.yaml"),
    ]
    argv += [
        "--shareflow-output",
        str(folder / "out"),
        "--alluredir",
        str(results),
        f"--shareflow-templates={REPO / 'screenshots'}",
    ]
    proc = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=INNER_TIMEOUT_S)
    report_dir, history = folder / "report", folder / "history" / "history.jsonl"
    for _ in range(2):
        index = allure_report.build(results, report_dir, history, "shareflow report check")
    alone = folder / "alone"
    alone.mkdir()
    shutil.copy(index, alone / "index.html")
    shots = folder / "screenshots"
    print(f"\nreport screenshots: {shots}")
    return Built(proc, results, report_dir, alone / "index.html", history, shots)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with open_headless() as driver:
        yield driver


def show(driver: WebDriver, page: Path, section: str = "") -> None:
    """Load the report afresh (a new document, not only a new #fragment) at ``section``, in a usual-size window."""
    driver.set_window_size(*WINDOW)
    driver.get("about:blank")
    driver.get(page.as_uri() + (f"#{section}" if section else ""))


def by_testid(driver: WebDriver, testid: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')


def texts(driver: WebDriver, testid: str) -> list[str]:
    return [e.text.strip() for e in by_testid(driver, testid)]


def save(driver: WebDriver, built: Built, name: str, full_page: bool = True) -> Path:
    path = screenshot(driver, built.shots / f"{name}.png", full_page)
    print(f"screenshot: {path}")
    return path


# -- the run and the files -------------------------------------------------------------------
def test_inner_run_passes_one_test_and_fails_the_other_on_each_phone(built: Built) -> None:
    assert built.proc.returncode == pytest.ExitCode.TESTS_FAILED, built.proc.stdout + built.proc.stderr
    assert "2 failed, 2 passed" in built.proc.stdout, built.proc.stdout


def test_the_plugin_writes_the_metadata_files_into_the_results(built: Built) -> None:
    categories = json.loads((built.results / "categories.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in categories] == list(CATEGORY_NAMES[:5])
    properties = (built.results / "environment.properties").read_text(encoding="utf-8").splitlines()
    assert properties[0] == r"farm\ kind=embedded"
    # the run seeds a defect: its scenario is named, so a simulated failure does not pass for the app's
    assert properties[1].startswith(r"farm\ scenario=") and properties[1].endswith("(simulated by the virtual farm)")
    assert properties[2:4] == [
        "droid=android 12, WeChat 8.0.16, Taobao 10.5.0",
        "apple=ios 16.7, WeChat 8.0.56, Taobao 10.40.0",
    ]
    assert json.loads((built.results / "executor.json").read_text(encoding="utf-8"))["name"]


def test_report_is_one_page_and_each_build_adds_a_run_to_the_history(built: Built) -> None:
    html = built.page.read_text(encoding="utf-8")
    loaded = re.findall(r'(?:src|href)="(?!data:|#)([^"]+)"', html)
    assert loaded == [], f"the page loads what it does not hold: {loaded[:5]}"
    runs = [json.loads(line) for line in built.history.read_text(encoding="utf-8").splitlines()]
    assert len(runs) == 2
    assert len({run["uuid"] for run in runs}) == 2
    for run in runs:
        names = sorted(result["name"] for result in run["testResults"].values())
        assert names == sorted(f"{test}[{phone}]" for test in (PASSING, FAILING) for phone in PHONES)


# -- what Chromium shows ---------------------------------------------------------------------
def test_failing_test_is_listed_and_shows_its_screenshot(built: Built, browser: WebDriver) -> None:
    show(browser, built.page)
    failing = f"{FAILING}[droid]"
    wait_for(browser, lambda d: len(texts(d, "tree-leaf-title")) == 4, "the four tests in the tree")
    assert sorted(texts(browser, "tree-leaf-title")) == sorted(f"{t}[{p}]" for t in (PASSING, FAILING) for p in PHONES)
    leaf = browser.find_element(By.XPATH, f'//*[@data-testid="tree-leaf"][.//*[text()="{failing}"]]')
    assert leaf.find_elements(By.CSS_SELECTOR, '[data-testid="tree-leaf-status-failed"]')
    leaf.click()
    header = wait_for(
        browser,
        lambda d: [h for h in by_testid(d, "test-result-attachment-header") if NOT_REACHED in h.text],
        f"the {NOT_REACHED!r} attachment of {failing}",
    )[0]
    header.click()
    image = wait_for(
        browser,
        lambda d: [i for i in d.find_elements(By.CSS_SELECTOR, '[data-testid="image-attachment-content"] img')],
        "the screenshot image",
    )[0]
    width = wait_for(browser, lambda d: d.execute_script("return arguments[0].naturalWidth", image), "pixels")
    assert width > 100
    assert browser.find_element(By.XPATH, "//*[normalize-space(text())='Failed']")
    assert "Category: Product defects" in browser.find_element(By.TAG_NAME, "body").text
    save(browser, built, "failing-test")


def test_product_defects_category_holds_exactly_the_failing_tests(built: Built, browser: WebDriver) -> None:
    show(browser, built.page, "categories")
    wait_for(browser, lambda d: len(texts(d, "tree-leaf-title")) == 2, "the category's two tests")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert [name for name in CATEGORY_NAMES if name in body.splitlines()] == ["Product defects"]
    assert sorted(texts(browser, "tree-leaf-title")) == [f"{FAILING}[apple]", f"{FAILING}[droid]"]
    save(browser, built, "categories")


def test_environment_lists_the_farm_and_each_phone_with_its_versions(built: Built, browser: WebDriver) -> None:
    show(browser, built.page)
    wait_for(browser, lambda d: by_testid(d, "metadata-item"), "the metadata")
    shown = {
        item.find_element(By.CSS_SELECTOR, '[data-testid="metadata-item-key"]').text: item.find_element(
            By.CSS_SELECTOR, '[data-testid="metadata-item-value"]'
        ).get_attribute("textContent")
        for item in by_testid(browser, "metadata-item")
    }
    assert shown["farm kind"] == "embedded"
    assert shown["droid"] == "android 12, WeChat 8.0.16, Taobao 10.5.0"
    assert shown["apple"] == "ios 16.7, WeChat 8.0.56, Taobao 10.40.0"
    assert shown["shareflow version"] == allure_meta.shareflow_version()
    assert shown["executor"].startswith(allure_meta.executor()["name"])
    save(browser, built, "overview")


def test_trend_shows_both_runs(built: Built, browser: WebDriver) -> None:
    show(browser, built.page, "charts")
    runs = trend_runs(browser)
    assert len(runs) == 2 and runs[-1] == "Latest", runs  # the run before, and this one
    save(browser, built, "trend", full_page=False)  # the trend is at the top of a long page


# -- categories, environment and executor without a browser -----------------------------------
def _category(error: BaseException) -> str:
    """The category Allure gives ``error``, read as allure-pytest writes it; first match wins."""
    status, message = get_status(error), format_exception(type(error), error)
    for category in allure_meta.categories():
        regex = category.get("messageRegex")
        if status in category["matchedStatuses"] and (regex is None or re.fullmatch(regex, message)):
            assert regex is None or re.search(regex, message), "Allure 2 (whole) and 3 (search) must agree"
            return category["name"]
    return "none"


KINDS = {
    outcomes.PRODUCT: allure_meta.PRODUCT_DEFECTS,
    outcomes.UNRECOGNISED_SCREEN: allure_meta.UNRECOGNISED_SCREENS,
    outcomes.DEVICE_SETUP: allure_meta.DEVICE_SETUP,
    outcomes.INFRASTRUCTURE: allure_meta.INFRASTRUCTURE_PROBLEMS,
    outcomes.HARNESS: allure_meta.HARNESS_ERRORS,
}


@pytest.mark.parametrize(
    "error",
    [
        StateNotReached(
            "Timed out after 20 s while waiting for screen state 'wechat/chat'. "
            "Closest: 'wechat/chat' at confidence 0.41 (needs 0.85) at [0, 152, 1080, 96]"
        ),
        ElementNotShown("Timed out after 10 s while waiting for taobao: element 'buy_now' (by locator 'id')"),
        EmptyTree("pixel-9: wechat's node tree is empty (its page source is a root with no children), and ..."),
        TimedOut("Timed out after 5 s while waiting for the chat to hold still for 1 s"),
        WrongState("提交订单 is disabled", "taobao/order_submit_disabled", None),
        AppNotInFront("droid: no app under test is in front (taobao not running, wechat not running)"),
        AssertionError("the link opened 'blocked'; expected 'direct'\nassert 'blocked' == 'direct'"),
        NoSuchElementException("no such element: 立即购买"),
        SessionError("droid: cannot open a session at http://127.0.0.1:4723: refused"),
        SessionError("pixel: Appium server http://127.0.0.1:9 is unreachable: connection refused"),
        LeaseTimeout("droid stayed busy for 300 s"),
        LaunchError("the embedded farm did not start"),
        InvalidSessionIdException("session deleted"),
        WebDriverException("the server crashed"),
        urllib3.exceptions.MaxRetryError(None, "http://127.0.0.1:9/session"),
        ConnectionRefusedError(111, "Connection refused"),
        RuntimeError("the harness broke"),
        KeyError("chat"),
        pytest.fail.Exception("gave up"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_categories_sort_failures_the_way_classify_does(error: BaseException) -> None:
    assert _category(error) == KINDS[outcomes.classify(error)]


def _shareflow_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in shareflow's modules."""
    import shareflow

    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(shareflow.__path__, "shareflow."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == info.name
        ]
    return found


def test_every_shareflow_exception_is_of_one_failure_kind() -> None:
    bases = (ProductFailure, UnrecognisedScreen, DeviceSetupError, InfrastructureError, UsageError)
    loose = [e.__name__ for e in _shareflow_exceptions() if not issubclass(e, bases) and e is not TimedOut]
    assert loose == []  # TimedOut is the wait's own: its callers say what a time-out means (``fail=``)


def test_the_report_s_categories_name_every_class_of_each_failure_kind() -> None:
    regexes = {
        ProductFailure: allure_meta.PRODUCT_REGEX,
        UnrecognisedScreen: allure_meta.UNRECOGNISED_REGEX,
        DeviceSetupError: allure_meta.SETUP_REGEX,
        InfrastructureError: allure_meta.INFRASTRUCTURE_REGEX,
    }
    for error in _shareflow_exceptions():
        text = f"{error.__module__}.{error.__name__}: it failed"
        for base, regex in regexes.items():
            if issubclass(error, base):
                assert re.match(regex, text), error


def test_environment_is_ascii_properties_naming_each_farm_kind_and_masking_secrets() -> None:
    secrets.register("tok-3141592653")
    phones = [
        devices.Device("mi", "android", "12", "embedded", provider="embedded", apps={"wechat": "8.0.16 测试"}),
        devices.Device("hub", "android", "14", "http://127.0.0.1:4444", provider="grid"),
        devices.Device(
            "bs", "ios", "17", "https://hub.example", provider="browserstack", apps={"taobao": "tok-3141592653"}
        ),
        devices.Device("local", "android", "13", "http://127.0.0.1:4723"),  # no provider: a local Appium
    ]
    text = allure_meta.properties(allure_meta.environment(phones))
    assert text.isascii()
    assert text.splitlines() == [
        r"farm\ kind=embedded, grid, cloud (browserstack), appium",
        r"mi=android 12, WeChat 8.0.16 \u6d4b\u8bd5",
        "hub=android 14",
        f"bs=ios 17, Taobao {secrets.MASK}",
        "local=android 13",
        rf"shareflow\ version={allure_meta.shareflow_version()}",
    ]
    assert allure_meta.properties({"a=b": " x\\y\n😀"}) == "a\\=b=\\ x\\\\y\\n\\ud83d\\ude00\n"
    assert allure_meta.environment([])["farm kind"] == "none (no phone ran)"
    scenario = Path("ci/scenarios/group-links-blocked.yaml")
    assert (
        allure_meta.environment(phones[:1], scenario)["farm scenario"] == f"{scenario} (simulated by the virtual farm)"
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {
                "GITHUB_RUN_ID": "9001",
                "GITHUB_RUN_NUMBER": "42",
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": "acme/shareflow",
                "GITHUB_WORKFLOW": "nightly",
            },
            {
                "name": "GitHub Actions",
                "type": "github",
                "buildName": "nightly #42",
                "buildOrder": 42,
                "buildUrl": "https://github.com/acme/shareflow/actions/runs/9001",
                "reportUrl": "https://github.com/acme/shareflow/actions/runs/9001",
            },
        ),
        (
            {"BUILD_NUMBER": "7", "BUILD_URL": "https://ci.example/job/nightly/7/", "JOB_NAME": "nightly"},
            {
                "name": "Jenkins",
                "type": "jenkins",
                "buildName": "nightly #7",
                "buildOrder": 7,
                "buildUrl": "https://ci.example/job/nightly/7/",
                "reportUrl": "https://ci.example/job/nightly/7/",
            },
        ),
    ],
    ids=["github-actions", "jenkins"],
)
def test_executor_names_the_ci_build(environ: dict[str, str], expected: dict[str, object]) -> None:
    assert allure_meta.executor(environ) == expected
    published = allure_meta.executor({**environ, "SHAREFLOW_REPORT_URL": "https://reports.example/42/"})
    assert published["reportUrl"] == "https://reports.example/42/"


def test_executor_without_ci_is_this_machine() -> None:
    local = allure_meta.executor({})
    assert (local["name"], local["type"]) == ("local", "local")
    assert local["buildName"].startswith("local run ")
    assert "buildUrl" not in local


# -- build errors ------------------------------------------------------------------------------
def test_build_errors_name_the_file_at_fault(tmp_path: Path) -> None:
    results, report, history = tmp_path / "allure-results", tmp_path / "report", tmp_path / "history.jsonl"
    missing = tmp_path / "no-allure"
    with pytest.raises(allure_report.ReportError, match=re.escape(f"{missing}: the Allure 3 CLI is not installed")):
        allure_report.build(results, report, history, "x", cli=missing)
    with pytest.raises(allure_report.ReportError, match=re.escape(f"{results}: no such allure-results folder")):
        allure_report.build(results, report, history, "x")
    results.mkdir()
    (results / "categories.json").write_text("[{", encoding="utf-8")
    with pytest.raises(
        allure_report.ReportError, match=re.escape(f"{results / 'categories.json'}: not readable as JSON")
    ):
        allure_report.build(results, report, history, "x")
    (results / "categories.json").write_text('{"name": "x"}', encoding="utf-8")
    with pytest.raises(allure_report.ReportError, match="expected a list of categories"):
        allure_report.build(results, report, history, "x")
    (results / "categories.json").unlink()
    failing = tmp_path / "allure"
    failing.write_text("#!/bin/sh\necho 'no such results' >&2\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    with pytest.raises(
        allure_report.ReportError, match=r"(?s)allure generate of .* failed \(exit 3\):\nno such results"
    ):
        allure_report.build(results, report, history, "x", cli=failing)
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    silent.chmod(0o755)
    with pytest.raises(
        allure_report.ReportError, match=re.escape(str(report / "index.html")) + ": .* wrote no report page"
    ):
        allure_report.build(results, report, history, "x", cli=silent)
