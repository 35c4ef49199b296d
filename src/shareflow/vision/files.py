"""Matching screenshot files against template files: what ``shareflow match`` runs.

A template's sidecar ``.yaml`` (when there is one) supplies its capture
resolution, threshold, region and text; options given explicitly win. A
template without declared text (a bare PNG) is checked by the words OCR
reads on it, cached beside it (``<name>.ocr.yaml``) when its folder can be written.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from shareflow.vision.match import Match, ScreenImage, TemplateError, find
from shareflow.vision.templates import Template, read_meta, template_from


def parse_resolution(text: str) -> tuple[int, int]:
    """``"1080x2400"`` → (1080, 2400)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise TemplateError(f"capture resolution {text!r}: expected WxH, e.g. 1080x2400") from None
    if width <= 0 or height <= 0:
        raise TemplateError(f"capture resolution {text!r}: width and height must be positive")
    return width, height


class Matcher:
    """Matches screens against templates, reading each template once and a repeated screen once."""

    def __init__(self) -> None:
        self._templates: dict[Path, Template] = {}
        self._screen: tuple[Path, ScreenImage] | None = None

    def template(self, path: Path) -> Template:
        """The template in ``path``, as its sidecar (when it has one) says to match it."""
        if path not in self._templates:
            if not path.is_file():
                raise TemplateError(f"{path}: no such template file")
            sidecar = path.with_suffix(".yaml")
            self._templates[path] = template_from(path, read_meta(sidecar) if sidecar.is_file() else {})
        return self._templates[path]

    def screen(self, path: Path) -> ScreenImage:
        if self._screen is None or self._screen[0] != path:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
            if image is None:
                raise TemplateError(f"{path}: no such screenshot, or not a readable image")
            self._screen = (path, ScreenImage(image))
        return self._screen[1]

    def match(
        self,
        screen_path: Path,
        template_path: Path,
        capture_resolution: tuple[int, int] | None = None,
        threshold: float | None = None,
        density: float | None = None,
    ) -> tuple[Match, np.ndarray]:
        """The match of one case, and the screen it was made on.

        ``density`` is the screen's pixels per dp (point on iOS): with the template's capture scale it
        tells the scale the template shows at, as a phone's session does.
        """
        template = self.template(template_path)
        screen = self.screen(screen_path)
        template = dataclasses.replace(
            template,
            threshold=template.threshold if threshold is None else threshold,
            capture_resolution=capture_resolution or template.capture_resolution,
        )
        try:
            hint = density / template.capture_scale if density and template.capture_scale else None
            match = find(screen, template, hint)
        except TemplateError as exc:
            raise TemplateError(f"{template_path} on {screen_path}: {exc}") from None
        return match, screen.bgr


def result(match: Match) -> dict[str, Any]:
    """The JSON form of a match, as DESIGN.md fixes it."""
    return {
        "found": match.found,
        "confidence": match.confidence,
        "box": list(match.box) if match.box else None,
        "scale": match.scale,
        "elapsed_ms": match.elapsed_ms,
    }


@dataclass(frozen=True)
class Case:
    """One line of a batch file."""

    screen: Path
    template: Path
    capture_resolution: tuple[int, int] | None = None
    density: float | None = None  # the screen's pixels per dp (point on iOS)


def batch_case(line: str) -> Case:
    """One line of a batch file: screen, template, capture resolution, density (errors name the field)."""
    try:
        case = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"not a JSON object: {exc.msg}") from None
    if not isinstance(case, dict):
        raise TemplateError("not a JSON object")
    for key in ("screen", "template"):
        if not isinstance(case.get(key), str):
            raise TemplateError(f"field '{key}' is missing or not a path")
    density = case.get("density")
    if density is not None and (isinstance(density, bool) or not isinstance(density, int | float) or density <= 0):
        raise TemplateError("field 'density': expected a number of pixels per dp above 0")
    found = Case(Path(case["screen"]), Path(case["template"]), None, float(density) if density else None)
    resolution = case.get("capture_resolution")
    if resolution is None:
        return found
    if isinstance(resolution, str):
        return dataclasses.replace(found, capture_resolution=parse_resolution(resolution))
    if (
        isinstance(resolution, list)
        and len(resolution) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in resolution)
    ):
        return dataclasses.replace(found, capture_resolution=(resolution[0], resolution[1]))
    raise TemplateError("field 'capture_resolution': expected [width, height] or \"WxH\"")
