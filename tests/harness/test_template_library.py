"""The shipped template library: every state the suites use has a valid template on each platform.

States are collected from the code that names them — page objects (Python and
YAML) and the e2e suites — so a new state without a template fails here, not
in a nightly run. A ``{kind}`` placeholder stands for each link kind.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from shareflow.links import LINK_KINDS
from shareflow.vision import ocr
from shareflow.vision.match import find
from shareflow.vision.templates import TemplateLibrary

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = TemplateLibrary(ROOT / "screenshots")
SOURCES = [*(ROOT / "src/shareflow/apps").glob("*.py"), *(ROOT / "src/shareflow/apps").glob("*.yaml")]
SOURCES += list((ROOT / "tests/e2e").glob("*.py"))
STATE = re.compile(r"\b((?:taobao|wechat|system)/[a-z0-9_]+(?:\{kind\}[a-z0-9_]*)?)(?![\w{])")
ONLY_ON = {"system/paste_alert": ("ios",)}  # iOS asks before an app reads the clipboard; Android does not
PLATFORMS = ("android", "ios")


def used_states() -> set[str]:
    """Every state named in the page objects and the suites, placeholders expanded."""
    found: set[str] = set()
    for path in SOURCES:
        for name in STATE.findall(path.read_text(encoding="utf-8")):
            found.update(name.replace("{kind}", kind) for kind in LINK_KINDS) if "{kind}" in name else found.add(name)
    return found


def test_the_scan_sees_the_suites_states() -> None:
    states = used_states()
    assert {"taobao/item", "wechat/h5_jd", "wechat/my_tmall_url", "system/paste_alert"} <= states
    assert len(states) >= 25


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_used_state_has_a_template(platform: str) -> None:
    wanted = {s for s in used_states() if platform in ONLY_ON.get(s, PLATFORMS)}
    missing = sorted(wanted - set(LIBRARY.states(platform)))
    assert not missing, f"no template on {platform} for: {missing} (record them with shareflow capture)"


@pytest.mark.parametrize(
    ("platform", "state"), [(p, s) for p in PLATFORMS for s in LIBRARY.states(p)], ids=lambda v: str(v)
)
def test_template_is_valid_and_finds_itself(platform: str, state: str) -> None:
    """Metadata valid, image matchable, declared text legible, and found exactly where it is pasted."""
    template = LIBRARY.get(platform, state)
    width, height = template.capture_resolution
    h, w = template.image.shape[:2]
    assert w <= width and h <= height, "the template is larger than the screen it was cut from"
    assert 0.5 <= template.threshold <= 1
    if template.text:
        fx, fy, fw, fh = template.text_box or (0, 0, 1, 1)
        words = template.image[round(fy * h) : round((fy + fh) * h), round(fx * w) : round((fx + fw) * w)]
        assert ocr.text_agreement(template.text, ocr.read_text(words)) == 1.0, "declared text not legible"
    screen = np.full((height, width, 3), 255, np.uint8)
    x, y = (width - w) // 2, height // 3
    screen[y : y + h, x : x + w] = template.image
    match = find(screen, dataclasses.replace(template, region=None), scale_hint=1.0)  # pasted outside its region
    assert match.found, match
    assert match.box is not None
    assert all(abs(a - b) <= 2 for a, b in zip(match.box, (x, y, w, h), strict=True)), (match.box, (x, y, w, h))
