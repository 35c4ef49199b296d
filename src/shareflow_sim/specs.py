"""Phones of the farm from a device pool file: its ``embedded`` entries."""

from __future__ import annotations

import hashlib
from pathlib import Path

from shareflow.devices import Device, DevicesError, load
from shareflow_sim.phone import PhoneSpec
from shareflow_sim.profiles import PROFILES

DEFAULT_APP_VERSIONS = {"wechat": "8.0.16", "taobao": "10.5.0", "hema": "5.35.0"}


def _udid(device: Device) -> str:
    digest = hashlib.sha1(device.name.encode()).hexdigest().upper()
    return f"{digest[:12]}" if device.platform == "android" else f"00008110-{digest[:16]}"


def to_spec(device: Device, source: str) -> PhoneSpec:
    """The farm's view of one embedded device; checks its profile."""
    profile = PROFILES.get(device.profile)
    if profile is None:
        known = ", ".join(sorted(PROFILES))
        raise DevicesError(
            f"{source}: device {device.name!r}: field 'profile': {device.profile!r} is not a phone profile "
            f"of the embedded farm (known: {known})"
        )
    if profile.platform != device.platform:
        raise DevicesError(
            f"{source}: device {device.name!r}: field 'profile': {device.profile!r} is a {profile.platform} "
            f"phone, but platform is {device.platform!r}"
        )
    return PhoneSpec(
        name=device.name,
        platform=device.platform,
        os_version=device.os_version,
        profile=device.profile,
        udid=device.udid or _udid(device),
        wechat_id=device.wechat_account or None,
        wechat_nickname=device.wechat_nickname or None,
        app_versions={**DEFAULT_APP_VERSIONS, **device.apps},
        simulator=device.simulator,
        accessibility_service=device.accessibility_service,
        skin=device.skin or "light",
    )


def load_specs(path: str | Path) -> list[PhoneSpec]:
    """The phones a devices.yaml asks the embedded farm to serve."""
    specs = [to_spec(d, str(path)) for d in load(path) if d.embedded]
    if not specs:
        raise DevicesError(f"{path}: no device has 'endpoint: embedded'; nothing for the virtual farm to serve")
    return specs
