"""Recording templates from a live session: by element or by rectangle.

The crop is taken from a screenshot, trimmed to its content (a uniform
margin is cut away) or cut to a fixed size around the element's centre,
and written with its metadata to ``<root>/<platform>/<state>.png|.yaml``,
with the words OCR reads on it cached in ``<state>.ocr.yaml`` (so matching
it needs no OCR of the template at run time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml
from appium import webdriver

from shareflow.devices import Platform
from shareflow.phone import density_of
from shareflow.screen import decode_png
from shareflow.vision.match import DEFAULT_THRESHOLD, check_template
from shareflow.vision.template_text import save_words
from shareflow.vision.templates import read_meta

Rect = tuple[int, int, int, int]
KEPT = ("threshold", "text", "text_box", "region", "flows")  # metadata a refresh keeps from the old sidecar
TRIM_TOLERANCE = 12  # grey levels a margin pixel may differ from the corner colour


def background(crop: np.ndarray) -> np.ndarray:
    """The most common colour along the crop's edges."""
    edges = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    colours, counts = np.unique(edges, axis=0, return_counts=True)
    colour: np.ndarray = colours[counts.argmax()].astype(int)
    return colour


def trim_bounds(crop: np.ndarray, pad: int) -> tuple[int, int, int, int]:
    """Where :func:`trim` cuts ``crop``: x0, y0, x1, y1 inside it (all of it when it is all background)."""
    differs = np.abs(crop.astype(int) - background(crop)).max(axis=2) > TRIM_TOLERANCE
    ys, xs = np.nonzero(differs)
    h, w = crop.shape[:2]
    if len(xs) == 0:
        return 0, 0, w, h
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    return max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)


def trim(crop: np.ndarray, pad: int) -> np.ndarray:
    """Cut away a margin of the background colour, keeping ``pad`` pixels of it (the crop itself when none)."""
    x0, y0, x1, y1 = trim_bounds(crop, pad)
    return crop if (x0, y0, x1, y1) == (0, 0, crop.shape[1], crop.shape[0]) else crop[y0:y1, x0:x1]


def screen_scale(driver: webdriver.Remote, platform: Platform, screenshot_width: int) -> tuple[float, float]:
    """(pixels per element-rect unit, pixels per logical unit) of this session."""
    window = driver.get_window_size()
    rect_scale = screenshot_width / float(window["width"])  # 1 on Android, the point scale on iOS
    density = density_of(driver, platform) or rect_scale
    return rect_scale, density


def capture(
    driver: webdriver.Remote,
    platform: Platform,
    state: str,
    root: Path,
    *,
    rect: Rect | None = None,
    inner: tuple[float, float] | None = None,
    anchor: str = "center",
    pad: int = 6,
    threshold: float | None = None,
    text: str = "",
    source: dict[str, Any] | None = None,
) -> Path:
    """Crop ``rect`` (element-rect units: pixels on Android, points on iOS) and save it as ``state``.

    ``inner`` (logical width, height) cuts that much around the centre (or
    from the top-left corner, with ``anchor="topleft"``) instead of trimming to the content.
    Refreshing a template keeps what a person set in its metadata (threshold,
    text, text box, region) unless given here. The words it shows are read and cached beside it.
    """
    screen = decode_png(driver.get_screenshot_as_png())
    rect_scale, density = screen_scale(driver, platform, screen.shape[1])
    if rect is None:
        raise ValueError("capture needs a rectangle (from an element or given)")
    x, y, w, h = (round(v * rect_scale) for v in rect)
    if inner is not None:
        iw, ih = round(inner[0] * density), round(inner[1] * density)
        if anchor == "center":
            x, y = x + (w - iw) // 2, y + (h - ih) // 2
        w, h = iw, ih
        crop = screen[max(0, y) : y + h, max(0, x) : x + w]
    else:
        crop = trim(screen[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad], pad)
    check_template(crop)
    png = root / platform / f"{state}.png"
    sidecar = png.with_suffix(".yaml")
    kept = {k: v for k, v in read_meta(sidecar).items() if k in KEPT} if sidecar.exists() else {}
    meta: dict[str, Any] = {
        "capture_resolution": [int(screen.shape[1]), int(screen.shape[0])],
        "capture_scale": round(density, 4),
        "threshold": threshold if threshold is not None else kept.pop("threshold", DEFAULT_THRESHOLD),
        **kept,
    }
    if text:
        meta["text"] = text
    png.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(png), crop)
    if source:
        meta["source"] = source
    png.with_suffix(".yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    save_words(png, crop)
    return png
