"""What adb and the UiAutomator2 server see of a virtual Android phone: its properties, and a few shell commands.

``device_info`` has the fields of appium-uiautomator2-server's ``GET /appium/device/info``
(``handler/GetDeviceInfo.java``, ``model/api/DeviceInfoModel.java``), which ``mobile: deviceInfo`` returns.
"""

from __future__ import annotations

import hashlib
from typing import Any

from shareflow_sim.phone import Phone
from shareflow_sim.protocol.capabilities import ANDROID_API

LOCALE = "zh_CN"  # java.util.Locale#toString of the farm's phones
TIME_ZONE = "Asia/Shanghai"  # the farm's clock is China time
CARRIER = "中国移动"


class ShellError(Exception):
    """A shell command failed: its stderr."""


def _props(phone: Phone) -> dict[str, str]:
    p = phone.profile
    return {
        "ro.product.model": p.model,
        "ro.product.manufacturer": p.manufacturer,
        "ro.product.brand": p.brand,
        "ro.build.version.release": phone.os_version,
        "ro.build.version.sdk": str(ANDROID_API.get(phone.os_version.split(".")[0], "")),
        "ro.serialno": phone.udid,
        "persist.sys.timezone": TIME_ZONE,
        "persist.sys.locale": LOCALE.replace("_", "-"),
    }


def run(phone: Phone, command: str, args: list[str]) -> str:
    """``adb shell command args...``: its stdout, trimmed as appium-adb trims it; ``echo``, ``getprop``,
    ``pm list packages`` and ``dumpsys package <package>`` only (the farm's phones have no other programs)."""
    if command == "echo":
        return " ".join(args).strip()
    if command == "getprop":
        props = _props(phone)
        if args:
            return props.get(args[0], "")
        return "\n".join(f"[{k}]: [{v}]" for k, v in sorted(props.items()))
    if command == "pm" and args[:2] == ["list", "packages"]:
        return "\n".join(f"package:{package}" for package in sorted(phone.apps))
    if command == "dumpsys" and args[:1] == ["package"] and len(args) == 2:
        return _dumpsys_package(phone, args[1])
    raise ShellError(f"/system/bin/sh: {command}: inaccessible or not found")


def _dumpsys_package(phone: Phone, package: str) -> str:
    """The lines of ``dumpsys package <package>`` that name the installed build: the package, its
    versionCode and versionName (the shape PackageManagerService's dump prints, trimmed to these);
    nothing for a package that is not installed."""
    app = phone.apps.get(package)
    if app is None:
        return ""
    api = ANDROID_API.get(phone.os_version.split(".")[0], "")
    return (
        "Packages:\n"
        f"  Package [{package}] ({hashlib.sha1(package.encode()).hexdigest()[:7]}):\n"
        f"    versionCode={app.version_code} minSdk=24 targetSdk={api or 34}\n"
        f"    versionName={app.version}"
    )


def device_info(phone: Phone) -> dict[str, Any]:
    """The phone as ``mobile: deviceInfo`` describes it."""
    p = phone.profile
    wifi_caps = "NET_CAPABILITY_INTERNET,NET_CAPABILITY_NOT_RESTRICTED,NET_CAPABILITY_TRUSTED,NET_CAPABILITY_VALIDATED"
    return {
        "androidId": hashlib.sha256(phone.udid.encode()).hexdigest()[:16],
        "manufacturer": p.manufacturer,
        "model": p.model,
        "brand": p.brand,
        "apiVersion": str(ANDROID_API.get(phone.os_version.split(".")[0], "")),
        "platformVersion": phone.os_version,
        "carrierName": CARRIER,
        "realDisplaySize": f"{p.width_px}x{p.height_px}",
        "displayDensity": p.dpi,
        "networks": [
            {
                "type": 1,
                "typeName": "WIFI",
                "subtype": 0,
                "subtypeName": "",
                "isConnected": True,
                "detailedState": "CONNECTED",
                "state": "CONNECTED",
                "extraInfo": None,
                "isAvailable": True,
                "isFailover": False,
                "isRoaming": False,
                "capabilities": {
                    "transportTypes": "TRANSPORT_WIFI",
                    "networkCapabilities": wifi_caps,
                    "linkUpstreamBandwidthKbps": 30000,
                    "linkDownBandwidthKbps": 30000,
                    "signalStrength": -55,
                    "SSID": None,
                },
            }
        ],
        "locale": LOCALE,
        "timeZone": TIME_ZONE,
        "bluetooth": {"state": "ON"},
    }
