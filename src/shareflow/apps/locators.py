"""Locators as data: per app, element and platform, with overrides per app version.

An entry gives a selector (how the node tree shows the element) and/or a
template state (how the screen shows it, tapped ``at`` a point of its match:
the centre unless said) and/or the ``words`` it shows, read by OCR on the
screenshot when the node tree hides it (a regular expression a whole line
matches; the values of its placeholders are matched literally); a list
gives the ``band`` of the window it fills, to be swiped in where the tree
hides it. ``None``
for a version means the node tree hides the element there: only the
template and the words are left. Each file also
says on which real phones its selectors were checked (``checked_on``); its
shape is ``schemas/locators.schema.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml
from appium.webdriver.common.appiumby import AppiumBy
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from shareflow.errors import UsageError

ANDROID_KEYS = {
    "text": "text",
    "text_contains": "textContains",
    "text_matches": "textMatches",
    "desc": "description",
    "desc_contains": "descriptionContains",
    "id": "resourceId",
    "class": "className",
    "package": "packageName",
    "scrollable": "scrollable",
}
ANDROID_FLAGS = {"scrollable"}  # UiSelector methods that take a boolean, not a string
PATTERNS = {"text_matches", "label_matches"}  # keys whose value is a regular expression: placeholders escaped
IOS_KEYS = {
    "label": ("label", "=="),
    "label_contains": ("label", "CONTAINS"),
    "label_matches": ("label", "MATCHES"),
    "type": ("type", "=="),
    "name": ("name", "=="),
}


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_appium(platform: str, selector: dict[str, str]) -> tuple[str, str]:
    """A selector as an Appium (strategy, value) pair."""
    if platform == "android":
        if set(selector) == {"desc"}:
            return AppiumBy.ACCESSIBILITY_ID, selector["desc"]
        if set(selector) == {"id"}:
            return AppiumBy.ID, selector["id"]
        if set(selector) == {"class"}:
            return AppiumBy.CLASS_NAME, selector["class"]
        chain = "".join(f".{ANDROID_KEYS[k]}({v if k in ANDROID_FLAGS else _quote(v)})" for k, v in selector.items())
        return AppiumBy.ANDROID_UIAUTOMATOR, f"new UiSelector(){chain}"
    terms = [f"{IOS_KEYS[k][0]} {IOS_KEYS[k][1]} {_quote(v)}" for k, v in selector.items()]
    return AppiumBy.IOS_PREDICATE, " AND ".join(terms)


class LocatorsError(UsageError):
    """A locator file that does not have the shape of ``schemas/locators.schema.json``, or names no such element."""


def check(data: Any, file: str) -> None:
    """Raise :class:`LocatorsError` naming ``file`` and the field when ``data`` is not a locator file."""
    schema = json.loads(resources.files("shareflow").joinpath("schemas/locators.schema.json").read_text("utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        raise LocatorsError(f"{file}: " + (f"field '{where}': " if where else "") + error.message)
    elements = data["elements"]
    named = [(f"interruptions.{i}.{k}", e[k]) for i, e in enumerate(data.get("interruptions", [])) for k in e]
    named += [(f"transient.{i}", name) for i, name in enumerate(data.get("transient", []))]
    for field, name in named:
        if name not in elements:
            raise LocatorsError(f"{file}: field '{field}': no element {name!r} in 'elements'")
    for spec in data.get("versions") or {}:
        try:
            SpecifierSet(spec)
        except ValueError:
            raise LocatorsError(f"{file}: field 'versions.{spec}': not a version specifier (PEP 440)") from None


@dataclass(frozen=True)
class Locator:
    """How to find one element on one platform and app version."""

    name: str
    selector: tuple[str, str] | None  # Appium (strategy, value); None: hidden from the node tree
    template: str | None  # template state to fall back to
    words: str | None = None  # else the text it shows: a regular expression its whole line matches (OCR)
    at: tuple[float, float] = (0.5, 0.5)  # where to tap the template's match, as fractions of its box
    band: tuple[float, float] | None = None  # [top, bottom] of the window: a hidden list's place, or its words

    @property
    def beside(self) -> bool:
        """Whether the template is a landmark beside the element (tapped ``at`` a point outside its match):
        a guess at where the element is, used only where the node tree hides the element."""
        return not all(0.0 <= v <= 1.0 for v in self.at)


def app_id(platform: str, package: str) -> dict[str, str]:
    """The argument naming an app (its package or bundle id) to Appium's ``mobile:`` app commands."""
    return {"appId" if platform == "android" else "bundleId": package}


class AppLocators:
    """The locator file of one app."""

    def __init__(self, app: str) -> None:
        text = resources.files("shareflow.apps").joinpath(f"{app}.yaml").read_text("utf-8")
        self.app = app
        self.data: dict[str, Any] = yaml.safe_load(text)
        check(self.data, f"shareflow/apps/{app}.yaml")

    def package(self, platform: str) -> str:
        """The app's Android package or iOS bundle id."""
        return str(self.data["app"][platform])

    def app_id(self, platform: str) -> dict[str, str]:
        """The argument naming the app to Appium's ``mobile:`` app commands (``appId`` / ``bundleId``)."""
        return app_id(platform, self.package(platform))

    def get(self, what: str, platform: str, version: str = "", **fmt: str) -> Locator:
        """The locator of element ``what``; ``fmt`` fills ``{placeholders}``."""
        entry = self.data["elements"][what]
        selector = entry.get(platform)
        if version:
            for spec, overrides in (self.data.get("versions") or {}).items():
                by_platform = overrides.get(platform) or {}
                if what in by_platform and Version(version) in SpecifierSet(spec):
                    selector = by_platform[what]
        resolved = None
        if selector is not None:
            literal = {k: re.escape(v) for k, v in fmt.items()}
            filled = {
                k: str(v).lower() if isinstance(v, bool) else str(v).format(**(literal if k in PATTERNS else fmt))
                for k, v in selector.items()
            }
            resolved = to_appium(platform, filled)
        template, words = entry.get("template"), entry.get("words")
        x, y = entry.get("at", (0.5, 0.5))
        band = entry.get("band")
        return Locator(
            what,
            resolved,
            template.format(**fmt) if template else None,
            words.format(**{k: re.escape(v) for k, v in fmt.items()}) if words else None,
            (float(x), float(y)),
            (float(band[0]), float(band[1])) if band else None,
        )


def has_locators(app: str) -> bool:
    """Whether ``app`` has a locator file (``shareflow/apps/<app>.yaml``): an app page objects can drive."""
    return app != "system" and resources.files("shareflow.apps").joinpath(f"{app}.yaml").is_file()


@cache
def locators(app: str) -> AppLocators:
    """The (cached) locators of ``app``: "taobao" or "wechat"."""
    return AppLocators(app)
