"""The virtual apps the farm's phones have installed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from shareflow_sim.apps.base import App
from shareflow_sim.apps.hema import HemaApp
from shareflow_sim.apps.taobao import TaobaoApp
from shareflow_sim.apps.wda import WdaRunner
from shareflow_sim.apps.wechat import WeChatApp

if TYPE_CHECKING:
    from shareflow_sim.phone import Phone

APPS: dict[str, type[App]] = {"taobao": TaobaoApp, "wechat": WeChatApp, "hema": HemaApp}


def installed_apps(phone: Phone, versions: Mapping[str, str]) -> list[App]:
    """One app per entry of ``versions`` (short name -> version), in launcher order; iPhones also have
    WebDriverAgent's runner app, as XCUITest installs it."""
    unknown = sorted(set(versions) - set(APPS))
    if unknown:
        raise ValueError(f"no virtual app named {', '.join(unknown)} (known: {', '.join(APPS)})")
    apps = [cls(phone, versions[name]) for name, cls in APPS.items() if name in versions]
    return apps + ([WdaRunner(phone, "")] if phone.platform == "ios" else [])
