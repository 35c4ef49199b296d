"""The device pool file (devices.yaml): load, interpolate, validate.

A bad file raises :class:`DevicesError` with one message naming the file,
the line, the entry and the field, before anything runs.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args

import jsonschema
import yaml

from shareflow import secrets
from shareflow.errors import UsageError
from shareflow.yaml_errors import one_line

VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
EMBEDDED = "embedded"
Platform = Literal["android", "ios"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
# WebDriverAgent's runner app, and how a session's appium:updatedWDABundleId names another build of it
# (appium-webdriveragent lib/constants: WDA_RUNNER_BUNDLE_ID_FOR_XCTEST, DEFAULT_TEST_BUNDLE_SUFFIX)
WDA_BUNDLE_ID = "com.facebook.WebDriverAgentRunner.xctrunner"
WDA_SUFFIX = ".xctrunner"
WDA_CAPABILITIES = ("appium:updatedWDABundleId", "appium:updatedWDABundleIdSuffix")
IOS_ONLY = ("simulator", "wda_bundle_id")
# The apps a share flow drives, in the order it opens them: the first uploaded one is a cloud session's app
UPLOAD_ORDER = ("taobao", "wechat")
# The id of an app uploaded to each cloud, as its upload API answers it (checked on load):
# BrowserStack's app_url (docs: app-automate/appium/upload-app-from-filesystem, "bs://f7c874f2..."), or the
# custom_id given to the upload, or its shareable_id "<user>/<custom_id>" (docs: app-automate/appium/set-up-tests/
# specify-app: "app ... <app_url> or <custom_id> or <shareable_id>"),
# Sauce Labs' App Storage (docs.saucelabs.com/mobile-apps/app-storage: storage:filename=<file>,
# storage:<file id>; real devices also install from a URL), LambdaTest's app_url (lt://APP10160...).
UPLOAD_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "browserstack": (
        re.compile(r"bs://[A-Za-z0-9]+|[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)?"),
        "bs://<hash> from BrowserStack's app upload, its custom_id or its shareable_id <user>/<custom_id>",
    ),
    "saucelabs": (
        re.compile(r"storage:(filename=\S+|[0-9a-fA-F-]{8,})|https?://\S+"),
        "storage:filename=<file>, storage:<file id> or an https:// URL",
    ),
    "lambdatest": (re.compile(r"lt://[A-Za-z0-9]+"), "lt://<app id> from LambdaTest's app upload"),
}
ANDROID_ONLY = ("accessibility_service",)


class DevicesError(UsageError):
    """A device pool that cannot be used; the message says where and why."""


@dataclass(frozen=True, repr=False)
class Device:
    """One phone of the pool, as devices.yaml describes it."""

    name: str
    platform: Platform
    os_version: str
    endpoint: str
    profile: str = ""
    provider: str = ""
    udid: str = ""
    capabilities: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    wechat_account: str = ""
    wechat_nickname: str = ""
    apps: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)  # cloud farms: app name -> the vendor's upload id
    simulator: bool = False  # iOS: an iOS Simulator rather than a real iPhone
    wda_bundle_id: str = ""  # iOS: WebDriverAgent's runner app, brought to the front to use the clipboard
    accessibility_service: bool = False  # Android: one is on (TalkBack...), which keeps WeChat's node tree filled
    skin: str = ""  # embedded farm only: the look its virtual phone draws in (the harness never reads it)

    def __repr__(self) -> str:
        """The name only: capabilities may hold secrets, and reports show parameters by repr."""
        return self.name

    @property
    def embedded(self) -> bool:
        """Served by the embedded virtual farm (started by the launcher)."""
        return self.endpoint == EMBEDDED

    @property
    def kind(self) -> str:
        """A label for reports: platform and OS version."""
        return f"{self.platform} {self.os_version}"


def schema() -> dict[str, Any]:
    """The JSON Schema of devices.yaml (also shipped for editors)."""
    text = resources.files("shareflow").joinpath("schemas/devices.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _interpolate(value: Any, path: list[str | int], where: _Where) -> Any:
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in os.environ:
                raise DevicesError(where.say(path, f"environment variable ${{{var}}} is not set"))
            secrets.register(os.environ[var])
            return os.environ[var]

        return VAR_RE.sub(sub, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, [*path, k], where) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, [*path, i], where) for i, v in enumerate(value)]
    return value


class _Where:
    """Turns a path inside the document into 'file:line: entry: field'."""

    def __init__(self, file: Path, node: yaml.Node | None, data: Any) -> None:
        self.file, self.node, self.data = file, node, data

    def _line(self, path: list[str | int]) -> int | None:
        node, line = self.node, None
        for step in path:
            if isinstance(node, yaml.MappingNode):
                hit = next(((k, v) for k, v in node.value if k.value == step), None)
                if hit is None:
                    break
                line, node = hit[0].start_mark.line + 1, hit[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def say(self, path: list[str | int], problem: str) -> str:
        line = self._line(path)
        head = f"{self.file}:{line}" if line else str(self.file)
        if len(path) >= 2 and path[0] == "devices" and isinstance(path[1], int):
            entry = self.data["devices"][path[1]]
            name = entry.get("name") if isinstance(entry, dict) else None
            label = f"devices[{path[1]}]" + (f" ({name})" if isinstance(name, str) else "")
            rest = ".".join(str(p) for p in path[2:])
            return f"{head}: {label}: " + (f"field '{rest}': " if rest else "") + problem
        where = ".".join(str(p) for p in path)
        return f"{head}: " + (f"field '{where}': " if where else "") + problem


def _explain(error: jsonschema.ValidationError) -> tuple[list[str | int], str]:
    path = list(error.absolute_path)
    schema: dict[str, Any] = cast(dict[str, Any], error.schema)  # what jsonschema validated: a mapping here
    instance, value = cast(Any, error.instance), cast(Any, error.validator_value)
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(instance) - set(allowed))[0]
        return [*path, extra], f"unknown field (allowed: {', '.join(allowed)})"
    if error.validator == "required":
        missing = next(m for m in value if m not in instance)
        return [*path, missing], "missing required field"
    if error.validator == "enum":
        options = ", ".join(map(str, value))
        return path, f"{instance!r} is not one of: {options}"
    if error.validator == "type":
        return path, f"expected {value}, got {type(instance).__name__} {instance!r}"
    if error.validator == "pattern":
        return (
            path,
            f"{instance!r} does not have the expected form ({schema.get('description', value)})",
        )
    return path, error.message


def load(path: str | Path) -> list[Device]:
    """Read and validate a device pool file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DevicesError(f"{file}: cannot read device pool: {exc.strerror}") from exc
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DevicesError(one_line(file, exc, text)) from None
    where = _Where(file, node, data)
    if not isinstance(data, dict):
        raise DevicesError(where.say([], "expected a mapping with a 'devices' list"))
    errors = sorted(
        jsonschema.Draft202012Validator(schema()).iter_errors(data),
        key=lambda e: ([str(p).zfill(6) for p in e.absolute_path], e.validator != "additionalProperties"),
    )
    if errors:
        raise DevicesError(where.say(*_explain(errors[0])))
    seen: dict[str, int] = {}
    for i, entry in enumerate(data["devices"]):
        if entry["name"] in seen:
            raise DevicesError(
                where.say(["devices", i, "name"], f"duplicate name, already used by devices[{seen[entry['name']]}]")
            )
        seen[entry["name"]] = i
        _check_platform_fields(entry, ["devices", i], where)
    data = _interpolate(data, [], where)
    for i, entry in enumerate(data["devices"]):
        _check_uploads(entry, ["devices", i], where)
    return [_device(entry) for entry in data["devices"]]


def _provider(entry: dict[str, Any]) -> str:
    return str(entry.get("provider", EMBEDDED if entry["endpoint"] == EMBEDDED else "appium"))


def _check_uploads(entry: dict[str, Any], path: list[str | int], where: _Where) -> None:
    """Each upload id is of the form the entry's cloud gives its uploads; other providers take none."""
    provider = _provider(entry)
    for app, upload in entry.get("uploads", {}).items():
        field_path = [*path, "uploads", app]
        if provider not in UPLOAD_FORMS:
            clouds = ", ".join(UPLOAD_FORMS)
            problem = (
                f"uploads are for the cloud farms ({clouds}), not provider {provider}: "
                "give appium:app / appium:otherApps in capabilities instead"
            )
            raise DevicesError(where.say(field_path, problem))
        form, described = UPLOAD_FORMS[provider]
        if not upload.strip():
            raise DevicesError(where.say(field_path, f"missing upload id (expected {described})"))
        if not form.fullmatch(upload):
            owner = next((p for p, (f, _) in UPLOAD_FORMS.items() if p != provider and f.fullmatch(upload)), None)
            whose = f"a {owner} upload id, " if owner else ""
            problem = f"{upload!r} is {whose}not a {provider} upload id (expected {described})"
            raise DevicesError(where.say(field_path, problem))


def _check_platform_fields(entry: dict[str, Any], path: list[str | int], where: _Where) -> None:
    """The fields only an iPhone (or only an Android phone) has are on its entries, and the WebDriverAgent
    capabilities are strings."""
    platform = entry["platform"]
    for only, fields in (("ios", IOS_ONLY), ("android", ANDROID_ONLY)):
        for name in fields:
            if platform != only and name in entry:
                label = "an iOS" if only == "ios" else "an Android"
                raise DevicesError(where.say([*path, name], f"only {label} device has this field, not {platform}"))
    caps = entry.get("capabilities", {})
    for name in WDA_CAPABILITIES:
        if caps.get(name) is not None and not isinstance(caps[name], str):
            value = caps[name]
            problem = f"expected string, got {type(value).__name__} {value!r}"
            raise DevicesError(where.say([*path, "capabilities", name], problem))


def _wda_bundle_id(entry: dict[str, Any]) -> str:
    """The runner's bundle id: the entry's own, else what its capabilities make XCUITest run, else the default."""
    if entry["platform"] != "ios":
        return ""
    caps = entry.get("capabilities", {})
    updated, suffix = (caps.get(name) for name in WDA_CAPABILITIES)
    derived = WDA_BUNDLE_ID if updated is None else updated + (WDA_SUFFIX if suffix is None else suffix)
    return str(entry.get("wda_bundle_id", derived))


def _device(entry: dict[str, Any]) -> Device:
    wechat = entry.get("wechat", {})
    return Device(
        name=entry["name"],
        platform=entry["platform"],
        os_version=entry["os_version"],
        endpoint=entry["endpoint"],
        profile=entry.get("profile", ""),
        provider=_provider(entry),
        udid=entry.get("udid", ""),
        capabilities=entry.get("capabilities", {}),
        tags=tuple(entry.get("tags", ())),
        wechat_account=wechat.get("account", ""),
        wechat_nickname=wechat.get("nickname", ""),
        apps=entry.get("apps", {}),
        uploads=entry.get("uploads", {}),
        simulator=entry.get("simulator", False),
        wda_bundle_id=_wda_bundle_id(entry),
        accessibility_service=entry.get("accessibility_service", False),
        skin=entry.get("skin", ""),
    )
