"""Evidence of a test: step screenshots (annotated), page source, device log.

Everything goes both into the Allure report (steps and attachments) and
into the test's folder under ``--output``; secrets are masked in text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import allure
import cv2
import numpy as np

from shareflow import secrets
from shareflow.vision.match import Match

FOUND = (60, 180, 75)  # BGR green
MISSED = (40, 40, 230)  # BGR red
NEAR_MISS = (0, 160, 255)  # BGR amber
MAX_EDGE = 1280  # annotated screenshots are scaled down to this longest edge


def safe_name(text: str) -> str:
    """A file-name-safe form of a test id or step title."""
    return re.sub(r"[^\w.\-]+", "_", text, flags=re.UNICODE).strip("_")[:120]


def scores_text(scores: Mapping[str, float]) -> str:
    """``structure 0.98 colour 1.00 ...`` for labels and messages."""
    return " ".join(f"{name} {value:.2f}" for name, value in scores.items())


def annotate(screen: np.ndarray, match: Match, label: str) -> np.ndarray:
    """The screen with the match box, the state, the confidence and the best near miss drawn on it."""
    image = screen.copy()
    thickness = max(2, image.shape[1] // 300)
    near = match.near_miss
    if near is not None:
        x, y, w, h = near.box
        cv2.rectangle(image, (x, y), (x + w, y + h), NEAR_MISS, max(1, thickness // 2))
        _label(image, f"near miss {near.confidence:.2f}", (x, y + h + 40 if y > 60 else y - 10), NEAR_MISS)
    box = match.box or match.best
    colour = FOUND if match.found else MISSED
    text = f"{label} {match.confidence:.2f}" + ("" if match.found else " (not found)")
    detail = scores_text(match.scores)
    if box is not None:
        x, y, w, h = box
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, thickness)
        above = y > 120
        _label(image, text, (x, y - 10 - (50 if above and detail else 0) if above else y + h + 40), colour)
        if detail:
            _label(image, detail, (x, y - 10 if above else y + h + 90), colour)
    else:
        _label(image, text, (10, 50), colour)
    scale = MAX_EDGE / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image


def _label(image: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int]) -> None:
    font_scale = max(0.8, image.shape[1] / 900)
    thick = max(2, round(font_scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
    x, y = max(0, min(origin[0], image.shape[1] - tw - 8)), max(th + 8, origin[1])
    cv2.rectangle(image, (x, y - th - 8), (x + tw + 8, y + base), colour, -1)
    cv2.putText(image, text, (x + 4, y - 4), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255), thick, cv2.LINE_AA)


def png_bytes(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("cannot encode PNG")
    return data.tobytes()


class Evidence:
    """Collects a test's evidence in Allure and in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.steps: list[str] = []  # titles of the steps entered, in order
        self.files: list[Path] = []
        self.on_step: Callable[[str], None] | None = None  # told each step's title as it starts
        self._count = 0

    @property
    def current_step(self) -> str:
        return self.steps[-1] if self.steps else ""

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        """An Allure step; its title is remembered as the step a failure happened in."""
        self.steps.append(title)
        if self.on_step is not None:
            self.on_step(title)
        with allure.step(title):
            yield

    def _write(self, name: str, data: bytes, ext: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._count += 1
        path = self.folder / f"{self._count:02d}-{safe_name(name)}.{ext}"
        path.write_bytes(data)
        self.files.append(path)
        return path

    def image(self, name: str, image: np.ndarray) -> Path:
        data = png_bytes(image)
        allure.attach(data, name=name, attachment_type=allure.attachment_type.PNG)
        return self._write(name, data, "png")

    def text(self, name: str, text: str, kind: str = "txt") -> Path:
        clean = secrets.redact(text)
        attachment_type = allure.attachment_type.XML if kind == "xml" else allure.attachment_type.TEXT
        allure.attach(clean, name=name, attachment_type=attachment_type)
        return self._write(name, clean.encode("utf-8"), kind)

    def match(self, name: str, screen: np.ndarray, match: Match, state: str) -> Path:
        """An annotated screenshot of a match (found or not)."""
        return self.image(name, annotate(screen, match, state))
