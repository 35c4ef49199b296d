"""Speed of the embedded virtual farm, measured over HTTP with appium-python-client.

Serves the phones of devices.yaml from one ``python -m shareflow_sim`` process (noise
off) and measures, per phone: screenshot latency cold (the first shot after the screen
changed: a tap on Taobao's order page raises the quantity) and warm (unchanged screen), a
find-element + click round trip and page source; then six sessions taking screenshots at
once from six threads; then the farm process's memory after a whole share flow.

    .venv/bin/python benchmarks/farm_speed.py [--samples 40] [--markdown]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from appium import webdriver
from appium.options.android import UiAutomator2Options
from appium.options.common.base import AppiumOptions
from appium.options.ios import XCUITestOptions
from appium.webdriver.common.appiumby import AppiumBy

from shareflow_sim.scenario import NOISELESS

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = "iphone-13"
ITEM = "652419876401"
TAOBAO = {"android": "com.taobao.taobao", "ios": "com.taobao.taobao4iphone"}
APP_CAPABILITY = {"android": "appium:appPackage", "ios": "appium:bundleId"}
QUIET = f"noise: {json.dumps(NOISELESS)}\n"
MAX_SAMPLES = 45  # the order's quantity (1..99) goes up by one per cold sample, twice over
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Device:
    name: str
    platform: str


@dataclass
class PhoneTimes:
    """One phone's samples, in seconds."""

    device: Device
    size: tuple[int, int]
    cold: list[float]
    warm: list[float]
    find_click: list[float]
    source: list[float]


@dataclass
class Concurrent:
    """Six sessions at once: shots per second overall and each phone's latencies."""

    label: str
    per_second: float
    latencies: dict[str, list[float]]


# -- the farm -------------------------------------------------------------------------------
@contextlib.contextmanager
def serve_farm(devices: Path) -> Iterator[tuple[str, int]]:
    """``python -m shareflow_sim`` serving ``devices`` with noise off; yields its URL and process id."""
    with tempfile.TemporaryDirectory() as tmp:
        scenario, ready = Path(tmp, "quiet.yaml"), Path(tmp, "ready")
        scenario.write_text(QUIET, encoding="utf-8")
        command = [sys.executable, "-m", "shareflow_sim", "--devices", str(devices), "--scenario", str(scenario)]
        proc = subprocess.Popen([*command, "--port", "0", "--ready-file", str(ready)], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the farm did not start (exit status {proc.poll()})")
                time.sleep(0.05)
            yield ready.read_text(encoding="utf-8").strip(), proc.pid
        finally:
            proc.terminate()
            proc.wait(15)


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident set size now and at its peak (VmRSS, VmHWM), in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    rss, peak = (int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))
    return rss, peak


def load_devices(path: Path) -> list[Device]:
    """The pool's phones the embedded farm serves."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["devices"]
    return [Device(d["name"], d["platform"]) for d in entries if d.get("endpoint") == "embedded"]


def on_order_page(url: str, device: Device) -> webdriver.Remote:
    """A session on ``device``, showing Taobao's order confirmation for the benchmark item."""
    options: AppiumOptions = UiAutomator2Options() if device.platform == "android" else XCUITestOptions()
    options.set_capability("appium:deviceName", device.name)
    options.set_capability(APP_CAPABILITY[device.platform], TAOBAO[device.platform])
    driver = webdriver.Remote(url, options=options)
    key = "package" if device.platform == "android" else "bundleId"
    link = f"taobao://item.taobao.com/item.htm?id={ITEM}"
    driver.execute_script("mobile: deepLink", {"url": link, key: TAOBAO[device.platform]})
    driver.implicitly_wait(5)
    buy = 'new UiSelector().text("立即购买")' if device.platform == "android" else 'label == "立即购买"'
    by = AppiumBy.ANDROID_UIAUTOMATOR if device.platform == "android" else AppiumBy.IOS_PREDICATE
    driver.find_element(by, buy).click()
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "增加")
    driver.implicitly_wait(0)
    return driver


# -- measuring ------------------------------------------------------------------------------
def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def change_screen(driver: webdriver.Remote) -> None:
    """Raise the order's quantity: a screen never shown before."""
    driver.find_element(AppiumBy.ACCESSIBILITY_ID, "增加").click()


def png_size(b64: str) -> tuple[int, int]:
    """Width and height from a base64 PNG's IHDR chunk."""
    width, height = struct.unpack(">II", base64.b64decode(b64[:32])[16:24])
    return width, height


def measure_phone(driver: webdriver.Remote, device: Device, samples: int) -> PhoneTimes:
    """Cold and warm screenshots, find + click, page source: ``samples`` of each."""
    size = png_size(driver.get_screenshot_as_base64())
    cold = []
    for _ in range(samples):
        change_screen(driver)
        cold.append(timed(driver.get_screenshot_as_base64))
    warm = [timed(driver.get_screenshot_as_base64) for _ in range(samples)]
    buttons = ("增加", "减少")  # up and down again: the quantity stays within bounds
    find_click = [
        timed(lambda i=i: driver.find_element(AppiumBy.ACCESSIBILITY_ID, buttons[i % 2]).click())
        for i in range(samples)
    ]
    source = [timed(lambda: driver.page_source) for _ in range(samples)]
    return PhoneTimes(device, size, cold, warm, find_click, source)


def concurrent(drivers: dict[str, webdriver.Remote], samples: int, cold: bool) -> Concurrent:
    """Every session takes ``samples`` screenshots from its own thread, all starting together."""
    start = threading.Barrier(len(drivers) + 1)
    latencies: dict[str, list[float]] = {name: [] for name in drivers}

    def shoot(name: str, driver: webdriver.Remote) -> None:
        start.wait()
        for _ in range(samples):
            if cold:
                change_screen(driver)
            latencies[name].append(timed(driver.get_screenshot_as_base64))

    threads = [threading.Thread(target=shoot, args=item) for item in drivers.items()]
    for thread in threads:
        thread.start()
    start.wait()
    wall = timed(lambda: [thread.join() for thread in threads])
    label = "cold (a tap before each shot)" if cold else "warm (unchanged screens)"
    return Concurrent(label, len(drivers) * samples / wall, latencies)


def run_flow(url: str, device: str) -> float:
    """examples/raw_share_flow.py on ``device``: the whole share flow; its duration in seconds."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, str(ROOT / "examples/raw_share_flow.py"), "--url", url, "--device", device]
        return timed(lambda: subprocess.run([*command, "--out", out], check=True, stdout=subprocess.DEVNULL))


# -- reporting ------------------------------------------------------------------------------
def ms(values: list[float]) -> str:
    """Median / p90 in milliseconds."""
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    return f"{statistics.median(values) * 1000:.1f} / {p90 * 1000:.1f}"


def table(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = [header, ["---"] * len(header), *rows]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *rows])


def machine() -> str:
    """Cores this process may use, the CPU model, Python and OS."""
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")
    return f"{len(os.sched_getaffinity(0))} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"


def report(
    phones: list[PhoneTimes], together: list[Concurrent], memory: dict[str, tuple[float, float]], markdown: bool
) -> str:
    header = ["phone", "screenshot px", "cold shot ms", "warm shot ms", "find+click ms", "page source ms"]
    rows = [
        [p.device.name, f"{p.size[0]}×{p.size[1]}", ms(p.cold), ms(p.warm), ms(p.find_click), ms(p.source)]
        for p in phones
    ]
    out = ["Per phone, one session at a time (median / p90):", table(header, rows, markdown), ""]
    names = list(together[0].latencies)
    header = ["six sessions at once", "shots/s", *(f"{n} ms" for n in names)]
    rows = [[c.label, f"{c.per_second:.1f}", *(ms(c.latencies[n]) for n in names)] for c in together]
    out += ["Six sessions taking screenshots at once (per-phone median / p90):", table(header, rows, markdown), ""]
    header = ["farm process (the pool's phones)", "RSS MiB", "peak RSS MiB"]
    rows = [[when, f"{now:.0f}", f"{peak:.0f}"] for when, (now, peak) in memory.items()]
    out += ["Memory of the farm process:", table(header, rows, markdown)]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=Path, default=ROOT / "devices.yaml")
    parser.add_argument("--samples", type=int, default=40, help=f"samples per measurement (2..{MAX_SAMPLES})")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    args = parser.parse_args()
    if not 2 <= args.samples <= MAX_SAMPLES:
        parser.error(f"--samples must be within 2..{MAX_SAMPLES}")
    devices = load_devices(args.devices)
    began = time.monotonic()
    with serve_farm(args.devices) as (url, pid):
        memory = {"idle, before any session": memory_mb(pid)}
        order = sorted(devices, key=lambda d: d.name != HEADLINE)  # the headline phone first
        drivers = {d.name: on_order_page(url, d) for d in order}
        try:
            phones = [measure_phone(drivers[d.name], d, args.samples) for d in order]
            together = [concurrent(drivers, args.samples, cold) for cold in (False, True)]
        finally:
            for driver in drivers.values():
                driver.quit()
        flow_s = run_flow(url, HEADLINE)
        memory[f"after all the above and a share flow on {HEADLINE} ({flow_s:.1f} s)"] = memory_mb(pid)
    print(f"shareflow virtual farm speed — {machine()}; {args.samples} samples each")
    print(report(phones, together, memory, args.markdown))
    print(f"\n(total {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
