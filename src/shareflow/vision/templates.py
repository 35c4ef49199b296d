"""The template library: ``screenshots/<platform>/<app>/<state>.png`` and metadata.

Each template has a sidecar ``<state>.yaml``::

    capture_resolution: [1080, 2400]   # pixels of the screen it was cut from
    capture_scale: 2.625               # that phone's pixels per dp / point
    threshold: 0.85                    # confidence needed to count as found (see vision.match)
    region: [0.0, 0.8, 1.0, 0.2]       # optional: where to look, fractions of the screen
    text: 立即购买                       # optional: the words it shows (whole characters only), checked by OCR
    text_box: [0, 0.7, 1, 0.3]         # optional: where in the template those words are (fractions)
    flows: true                        # optional: its words are cut from text that wraps (a message's link):
                                       # another font lays them out otherwise, so they are also looked for
                                       # on the screen's lines of text
    source: {device: xiaomi-11, locator: "..."}   # how it was captured

A template whose sidecar declares no ``text`` is checked by the words OCR reads
on it, cached beside it in ``<state>.ocr.yaml`` (see :mod:`shareflow.vision.template_text`).

Libraries recorded on one's own phones (``shareflow calibrate``) sit beside the
platform folders, and a phone's templates are looked up most specific first
(:meth:`TemplateLibrary.for_phone`), state by state::

    <device>/<platform>/<app>-<version>/<state>.png    # that phone, that app version
    <profile>/<platform>/<app>-<version>/<state>.png   # its model (devices.yaml profile), that app version
    <platform>/<app>-<version>/<state>.png             # that app version on any phone of the platform
    <platform>/<app>/<state>.png                       # the platform: the shipped default's layout

``system`` states (iOS's paste alert) take the OS version as their version. A
phone whose entry names no version of an app looks in ``<app>/`` at each level.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import cv2
import jsonschema
import numpy as np
import yaml

from shareflow.devices import Device
from shareflow.errors import UsageError
from shareflow.vision.match import DEFAULT_THRESHOLD, TemplateError, Tone, check_template, tone_of
from shareflow.vision.template_text import words_of

TextSource = Literal["declared", "read", ""]  # given by a person, read by OCR from the image, or not looked for

META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["capture_resolution", "capture_scale"],
    "properties": {
        "capture_resolution": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1},
            "minItems": 2,
            "maxItems": 2,
        },
        "capture_scale": {"type": "number", "exclusiveMinimum": 0},
        "threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "region": {
            "type": "array",
            "items": {"type": "number", "minimum": 0, "maximum": 1},
            "minItems": 4,
            "maxItems": 4,
        },
        "text": {"type": "string", "minLength": 1},
        "text_box": {
            "type": "array",
            "items": {"type": "number", "minimum": 0, "maximum": 1},
            "minItems": 4,
            "maxItems": 4,
        },
        "flows": {"type": "boolean"},
        "source": {"type": "object"},
    },
}


class TemplateMissing(UsageError, FileNotFoundError):
    """A state has no template (or no metadata) for a platform."""


@dataclass(frozen=True)
class Template:
    """A reference image of a screen state and how to match it (what :func:`shareflow.vision.match.find` takes).

    Only the image is needed: ``Template(image)`` is looked for at the default threshold over every
    scale phones use. The library fills in the rest from the template's sidecar, and the words from
    the image itself when the sidecar declares none (:func:`with_read_text` does so for any template).
    """

    image: np.ndarray  # BGR
    mask: np.ndarray | None = None  # from the PNG's alpha channel: non-zero = counts
    threshold: float = DEFAULT_THRESHOLD  # confidence needed to count as found
    capture_resolution: tuple[int, int] | None = None  # pixels of the screen it was cut from
    capture_scale: float | None = None  # that phone's pixels per dp / point
    region: tuple[float, float, float, float] | None = None  # where to look, fractions of the screen
    text: str = ""  # the words it shows, checked by OCR
    text_box: tuple[float, float, float, float] | None = None  # where in the template those words are
    text_source: TextSource = ""  # "read" with no text: OCR found none (an icon)
    words_box: tuple[float, float, float, float] | None = None  # declared words without text_box: where OCR finds them
    flows: bool = False  # its words are cut from text that wraps: also looked for on the screen's lines
    state: str = ""  # "<app>/<state>"
    platform: str = ""
    path: Path | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.text and not self.text_source:
            object.__setattr__(self, "text_source", "declared")  # words given in code are declared

    def region_box(self, width: int, height: int) -> tuple[int, int, int, int] | None:
        """The search region in pixels of a ``width`` × ``height`` screen."""
        return region_box(self.region, width, height)

    @cached_property
    def tone(self) -> Tone:
        """How it is turned to grey levels to be matched (:func:`shareflow.vision.match.tone_of`), found once."""
        return tone_of(self.image)


def region_box(
    region: tuple[float, float, float, float] | None, width: int, height: int
) -> tuple[int, int, int, int] | None:
    """A region given as fractions of the screen, in pixels of a ``width`` × ``height`` screen."""
    if region is None:
        return None
    x, y, w, h = region
    return round(x * width), round(y * height), max(1, round(w * width)), max(1, round(h * height))


def read_image(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """A PNG as BGR plus its alpha as a mask (``None`` when fully opaque)."""
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise TemplateError(f"{path}: not a readable image")
    if data.ndim == 2:
        return cv2.cvtColor(data, cv2.COLOR_GRAY2BGR), None
    if data.shape[2] == 4:
        alpha = data[:, :, 3]
        return data[:, :, :3].copy(), (None if alpha.min() == 255 else (alpha > 127).astype(np.uint8) * 255)
    return data, None


def read_meta(path: Path) -> dict[str, Any]:
    """A template's sidecar metadata, validated; errors name the file and the field."""
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not valid YAML: {exc}") from None
    errors = list(jsonschema.Draft202012Validator(META_SCHEMA).iter_errors(meta))
    if errors:
        where = ".".join(map(str, errors[0].absolute_path)) or "(top level)"
        raise TemplateError(f"{path}: field '{where}': {errors[0].message}")
    return meta


def read_template_image(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """A template PNG (BGR and mask), refused when it could match anywhere; errors name the file."""
    image, mask = read_image(path)
    try:
        check_template(image)
    except TemplateError as exc:
        raise TemplateError(f"{path}: {exc}") from None
    return image, mask


def with_read_text(template: Template) -> Template:
    """``template`` with the words OCR reads on its image, unless its words are declared or already read
    (declared words without a ``text_box`` still get where OCR finds words: ``words_box``).

    They are cached beside its PNG when it has one (see :func:`shareflow.vision.template_text.words_of`).
    """
    if template.text_source == "read":
        return template
    if template.text_source == "declared":  # the declared words win; where they are may still be read
        if template.text_box is not None or template.words_box is not None:
            return template
        return replace(template, words_box=words_of(template.image, template.path).box)
    words = words_of(template.image, template.path)
    return replace(template, text=words.text, text_box=words.box, text_source="read")


def template_from(png: Path, meta: dict[str, Any], state: str = "", platform: str = "") -> Template:
    """The template a PNG shows, matched as its (validated) sidecar ``meta`` says; errors name the file.

    Without declared ``text``, its words are read from the image (:func:`with_read_text`).
    """
    image, mask = read_template_image(png)
    template = Template(
        image=image,
        mask=mask,
        threshold=float(meta.get("threshold", DEFAULT_THRESHOLD)),
        capture_resolution=tuple(meta["capture_resolution"]) if "capture_resolution" in meta else None,
        capture_scale=float(meta["capture_scale"]) if "capture_scale" in meta else None,
        region=tuple(meta["region"]) if "region" in meta else None,
        text=meta.get("text", ""),
        text_box=tuple(meta["text_box"]) if "text_box" in meta else None,
        flows=bool(meta.get("flows", False)),
        state=state,
        platform=platform,
        path=png,
        source=meta.get("source", {}),
    )
    return with_read_text(template)


FOLDER_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def folder_name(name: str) -> str:
    """A device's or profile's name as a library folder: anything but letters, digits, ``_ . -`` as ``-``
    (a profile such as "Pixel 7" → ``Pixel-7``)."""
    return FOLDER_RE.sub("-", name).strip("-")


def app_folder(app: str, version: str) -> str:
    """``wechat-8.0.16``: an app's folder for one version (``wechat`` when the version is not known)."""
    return f"{app}-{version}" if version else app


@dataclass(frozen=True)
class PhoneKey:
    """What a phone's templates are looked up by: its name, its model, its platform and its app versions
    (``system``: the OS version)."""

    device: str
    profile: str
    versions: Mapping[str, str]

    def levels(self, platform: str, app: str) -> list[Path]:
        """The folders of ``app``'s templates on this phone, most specific first, the platform's last."""
        folder = app_folder(app, self.versions.get(app, ""))
        owners = [folder_name(n) for n in dict.fromkeys((self.device, self.profile)) if folder_name(n)]
        found = [Path(owner, platform, folder) for owner in owners]
        found += [Path(platform, folder)] if folder != app else []
        return [*found, Path(platform, app)]


def shipped_library() -> Path:
    """The template library installed with shareflow (the repository's ``screenshots/``, as package data)."""
    return Path(str(resources.files("shareflow").joinpath("screenshots")))


PROJECT_LIBRARY = "screenshots"  # where shareflow calibrate writes, in the project folder


def project_library(rootdir: Path) -> list[Path]:
    """The project's own ``screenshots/`` (what ``shareflow calibrate`` writes), when it has one that is not
    the shipped library itself (as in shareflow's own repository)."""
    folder = rootdir / PROJECT_LIBRARY
    if not folder.is_dir() or (shipped_library().is_dir() and folder.samefile(shipped_library())):
        return []
    return [folder]


class TemplateLibrary:
    """Loads and caches templates from one or more folders; the first that has a state's template wins.

    ``TemplateLibrary(Path("mine"), shipped_library())`` looks in ``mine`` first, then in the shipped library.
    :meth:`for_phone` gives the view of one phone: each state from the most specific library that has it
    (the phone's own, its model's, its app version's, then the platform's), in every folder at each level.
    """

    def __init__(self, *roots: Path, phone: PhoneKey | None = None) -> None:
        if not roots:
            raise ValueError("TemplateLibrary needs at least one folder")
        self.roots = roots
        self.phone = phone
        self._cache: dict[tuple[str, str], Template] = {}
        self._loaded: dict[Path, Template] = {}  # by PNG: shared by the views of every phone
        self._lock = threading.Lock()

    def for_phone(self, device: Device) -> TemplateLibrary:
        """This library as ``device`` sees it (see :class:`PhoneKey`); templates loaded are shared with it."""
        key = PhoneKey(device.name, device.profile, {**device.apps, "system": device.os_version})
        view = TemplateLibrary(*self.roots, phone=key)
        view._loaded, view._lock = self._loaded, self._lock
        return view

    def bases(self, platform: str, state: str) -> list[Path]:
        """Where ``state``'s template may be (without the suffix), in the order looked in."""
        app, _, name = state.rpartition("/")
        if self.phone is None or not app:
            return [root / platform / state for root in self.roots]
        return [root / level / name for level in self.phone.levels(platform, app) for root in self.roots]

    @property
    def root(self) -> Path:
        """The folder looked in first (where new templates are written)."""
        return self.roots[0]

    def paths(self, platform: str, state: str) -> tuple[Path, Path]:
        """The template's PNG and sidecar: in the first folder that has the PNG, else in the first folder."""
        base = next((b for b in self.bases(platform, state) if b.with_suffix(".png").exists()), None)
        base = base or self.roots[0] / platform / state
        return base.with_suffix(".png"), base.with_suffix(".yaml")

    def get(self, platform: str, state: str) -> Template:
        """The template of ``state`` ("app/state") on ``platform``."""
        with self._lock:
            if (platform, state) not in self._cache:
                self._cache[platform, state] = self._load(platform, state)
            return self._cache[platform, state]

    def _load(self, platform: str, state: str) -> Template:
        png, meta_path = self.paths(platform, state)
        hint = (
            f"record it with: shareflow capture {state} --device <a {platform} phone> "
            "--url <its Appium URL> --locator KEY=VALUE"
        )
        if not png.exists():
            raise TemplateMissing(f"template {png} is missing ({hint})")
        if not meta_path.exists():
            raise TemplateMissing(f"template metadata {meta_path} is missing ({hint})")
        if png not in self._loaded:
            self._loaded[png] = template_from(png, read_meta(meta_path), state, platform)
        return self._loaded[png]

    def states(self, platform: str) -> list[str]:
        """Every state with a template on ``platform``, in any of the folders (at any level this view looks in)."""
        found = {
            f"{png.parent.name}/{png.stem}"
            for root in self.roots
            for png in (root / platform).glob("*/*.png")
            if "-" not in png.parent.name  # <app>-<version>/: a library of one version
        }
        if self.phone is not None:
            for app in {*self.phone.versions, *(state.partition("/")[0] for state in found)}:
                for base in self.bases(platform, f"{app}/_"):
                    found.update(f"{app}/{png.stem}" for png in base.parent.glob("*.png"))
        return sorted(found)
