"""Headless Chromium (Debian's chromium and chromium-driver) for looking at the pages shareflow writes.

The tests open the Allure report and the matrix page in it, as a reader would; ``./ci/system-deps``
installs both packages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from shareflow.errors import InfrastructureError

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1440, 1000)
POLL_S = 0.1
MAX_HEIGHT = 6000
TALLEST = "return Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))"
TO_TOP = "document.querySelectorAll('*').forEach(e => { e.scrollTop = 0 })"
T = TypeVar("T")


class BrowserError(InfrastructureError):
    """Chromium or its driver is missing, or would not start."""


def _options(window: tuple[int, int]) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",  # local pages only
        f"--window-size={window[0]},{window[1]}",
    ):
        options.add_argument(argument)
    return options


@contextmanager
def open_headless(page: Path | None = None, window: tuple[int, int] = WINDOW) -> Iterator[WebDriver]:
    """A headless Chromium, showing ``page`` (a local file) when given; quits on leaving."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.is_file():
            raise BrowserError(
                f"{program} is missing: install Debian's chromium and chromium-driver (./ci/system-deps)"
            )
    try:
        driver = webdriver.Chrome(options=_options(window), service=Service(str(CHROMEDRIVER)))
    except WebDriverException as exc:
        raise BrowserError(f"{CHROMEDRIVER} could not start {CHROMIUM}: {exc.msg}") from exc
    try:
        if page is not None:
            if not page.is_file():
                raise BrowserError(f"{page}: no such page")
            driver.get(page.resolve().as_uri())
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], T], what: str, timeout: float = 15.0) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=POLL_S).until(condition)
    except TimeoutException as exc:
        raise TimeoutException(f"{what}: not seen within {timeout:.0f} s on {driver.current_url}") from exc


def trend_runs(driver: WebDriver) -> list[str]:
    """The runs an Allure 3 report's "Status dynamics" chart shows, oldest first (the newest is "Latest").

    The report must be open at its charts (``index.html#charts``); waits until the chart has drawn them.
    """
    title = wait_for(
        driver, lambda d: d.find_elements(By.XPATH, "//*[normalize-space(text())='Status dynamics']"), "the trend"
    )[0]
    chart = title.find_element(By.XPATH, "./ancestor::*[.//*[local-name()='svg']][1]")
    return wait_for(
        driver,
        lambda d: [
            t.text
            for t in chart.find_elements(By.CSS_SELECTOR, "text")
            if "rotate(45)" in (t.get_attribute("transform") or "")  # the x-axis labels, one per run
        ],
        "the trend's runs",
    )


def screenshot(driver: WebDriver, path: Path, full_page: bool = True) -> Path:
    """Save what the page shows as a PNG.

    With ``full_page`` the window first grows to the tallest scrolling content (pages such as
    Allure's scroll inside a panel, not the document), up to MAX_HEIGHT pixels, and every
    panel is scrolled back to its top.
    """
    if full_page:
        height = int(driver.execute_script(TALLEST))
        driver.set_window_size(driver.get_window_size()["width"], min(max(height, WINDOW[1]), MAX_HEIGHT))
        driver.execute_script(TO_TOP)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise BrowserError(f"{path}: Chromium did not save the screenshot")
    return path
