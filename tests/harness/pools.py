"""Small device pools the harness tests run on: embedded-farm phones, and one whose server is gone."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from shareflow import launcher
from shareflow.devices import load
from shareflow.evidence import Evidence
from shareflow.phone import Phone, open_phone
from shareflow.vision.templates import TemplateLibrary, shipped_library

DROID = """\
  - name: droid
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
    wechat: {account: wxid_droid, nickname: 安卓}
"""
APPLE = """\
  - name: apple
    platform: ios
    os_version: "16.7"
    profile: iphone-13
    endpoint: embedded
    wechat: {account: wxid_apple, nickname: 苹果}
"""
GONE = """\
  - name: gone
    platform: android
    os_version: "14"
    endpoint: http://127.0.0.1:9
"""


def pool(*entries: str) -> str:
    """A devices.yaml of ``entries``, in that order."""
    return "devices:\n" + "".join(entries)


def open_on_farm(
    folder: Path, devices: str, scenario: dict[str, Any], name: str = "quiet", only: Collection[str] = ()
) -> tuple[launcher.EmbeddedFarm, dict[str, Phone]]:
    """An embedded farm of ``devices`` (a devices.yaml text) playing ``scenario`` (written as ``<name>.yaml``),
    started under ``folder``, and a phone of each platform opened on it (screenshots on, no video) — or,
    with ``only``, the phones of those names, by name (the others are on the farm, never opened)."""
    pool_file = folder / "devices.yaml"
    pool_file.write_text(devices, encoding="utf-8")
    scenario_file = folder / f"{name}.yaml"
    scenario_file.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    farm = launcher.start(pool_file, scenario_file, folder / "farm")
    library = TemplateLibrary(shipped_library())
    phones = {
        d.name if only else d.platform: open_phone(d, farm.url, library, Evidence(folder / d.name), "on", "off", folder)
        for d in load(pool_file)
        if not only or d.name in only
    }
    return farm, phones


def close_farm(farm: launcher.EmbeddedFarm, phones: dict[str, Phone]) -> None:
    """Close the phones opened on ``farm``, then stop it."""
    for phone in phones.values():
        phone.close()
    farm.stop()
