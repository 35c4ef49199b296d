"""How soon ``expect()`` passes after a screen state appears on the virtual farm.

    .venv/bin/python benchmarks/expect_latency.py [--trials 20] [--markdown]

The farm runs in this process (served over HTTP on 127.0.0.1, as always), so
the benchmark can read the farm's own clock: the moment a screen has
finished appearing is the end of its transition (150–600 ms, as in the
default scenario). Each trial waits for Taobao's share panel with the
harness's ``Screen.expect`` — over appium-python-client, as a suite does —
while another thread taps 分享 on the phone after a random pause. The
latency is the time from the panel being fully drawn to ``expect``
returning. Also shown: the screenshot round trip and the matching time on
that phone, the two costs a poll is made of.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from appium import webdriver

from shareflow.devices import load
from shareflow.evidence import Evidence
from shareflow.phone import density_of
from shareflow.screen import Screen
from shareflow.session import options_for
from shareflow.vision.templates import TemplateLibrary
from shareflow_sim import scenario
from shareflow_sim.farm import Farm
from shareflow_sim.phone import Phone
from shareflow_sim.scenario import NOISELESS
from shareflow_sim.server import serve_in_thread
from shareflow_sim.specs import load_specs

ROOT = Path(__file__).resolve().parent.parent
ITEM = "taobao://item.taobao.com/item.htm?id=652419876401"
TAOBAO = {"android": "com.taobao.taobao", "ios": "com.taobao.taobao4iphone"}
NOISE = {**NOISELESS, "transition_ms": [150, 600]}


def button(phone: Phone, label: str) -> tuple[float, float]:
    """The centre of the tappable node labelled ``label``, in the phone's logical units."""
    for layer in reversed(phone.layers()):
        for node in layer.root.walk():
            if label in (node.desc, node.text) and node.on_tap is not None:
                return node.frame.cx, node.frame.cy
    raise LookupError(f"{phone.spec.name}: no {label} button on screen")


def appeared_at(farm: Farm, phone: Phone) -> float:
    """When the screen a tap just started showing is fully drawn, on this process's monotonic clock."""
    offset = time.monotonic() - farm.monotonic()
    with phone.lock:
        transition = phone.transition
        return offset + (transition.end if transition is not None else farm.monotonic())


def trial(farm: Farm, phone: Phone, screen: Screen, rng: random.Random) -> float:
    """One wait for the share panel; the seconds from its appearance to ``expect`` returning."""
    x, y = button(phone, "分享")
    appeared: list[float] = []

    def tap() -> None:
        phone.tap(x, y)
        appeared.append(appeared_at(farm, phone))

    timer = threading.Timer(rng.uniform(0.2, 0.6), tap)
    timer.start()
    screen.expect("taobao/share_panel", timeout=10)
    passed = time.monotonic()
    timer.join()
    phone.tap(*button(phone, "取消"))
    screen.expect_not("taobao/share_panel", timeout=10)
    settled(phone)
    return passed - appeared[0]


def settled(phone: Phone, timeout: float = 5) -> None:
    """Wait (polling, with a deadline) until the phone is not between two screens."""
    deadline = time.monotonic() + timeout
    while True:
        with phone.lock:
            phone.settle()
            if phone.transition is None:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{phone.spec.name}: still in a transition after {timeout} s")
        time.sleep(0.02)


def costs(screen: Screen, samples: int = 10) -> tuple[float, float]:
    """Median screenshot round trip and median match of the item page's state, in ms."""
    shots, matches = [], []
    for _ in range(samples):
        started = time.perf_counter()
        screen.driver.get_screenshot_as_png()
        shots.append((time.perf_counter() - started) * 1000)
        screen._shot = None  # match afresh: the cost a changed screen pays
        matches.append(screen.look("taobao/item").match.elapsed_ms)
    return statistics.median(shots), statistics.median(matches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    devices = load(ROOT / "devices.yaml")
    farm = Farm(load_specs(ROOT / "devices.yaml"), scenario.from_dict({"seed": 5, "noise": NOISE}))
    library = TemplateLibrary(ROOT / "screenshots")
    rng = random.Random(5)
    rows = [["phone", "appear → expect passes, median ms", "p90 ms", "max ms", "screenshot ms", "match ms"]]
    with serve_in_thread(farm) as url, tempfile.TemporaryDirectory() as out:
        for device in devices:
            driver = webdriver.Remote(url, options=options_for(device))
            try:
                phone = farm.phones[device.name]
                screen = Screen(
                    driver, device.platform, library, Evidence(Path(out)), "off", density_of(driver, device.platform)
                )
                phone.deep_link(ITEM, TAOBAO[device.platform])
                screen.expect("taobao/item", timeout=10)
                settled(phone)
                latencies = [trial(farm, phone, screen, rng) * 1000 for _ in range(args.trials)]
                shot_ms, match_ms = costs(screen)
            finally:
                driver.quit()
            rows.append(
                [
                    device.name,
                    f"{statistics.median(latencies):.0f}",
                    f"{np.percentile(latencies, 90):.0f}",
                    f"{max(latencies):.0f}",
                    f"{shot_ms:.0f}",
                    f"{match_ms:.0f}",
                ]
            )
            print(f"  {device.name}: done", flush=True)
    if args.markdown:
        print("| " + " | ".join(rows[0]) + " |\n|" + " --- |" * len(rows[0]))
        print("\n".join("| " + " | ".join(r) + " |" for r in rows[1:]))
    else:
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows))


if __name__ == "__main__":
    main()
