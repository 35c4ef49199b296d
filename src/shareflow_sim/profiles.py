"""Phone hardware profiles: screen size, density, system bars and system font.

The system fonts are not the one the shipped templates were recorded in (WenQuanYi Micro Hei), as no
real phone's is (../shared/FIELD-NOTES.md, "Real-phone rules": iPhones draw Chinese in PingFang SC,
most Android phones in Noto Sans CJK or the vendor's font): Android profiles draw Noto Sans CJK SC
(AOSP's CJK fallback, NotoSansCJK-Regular.ttc), iPhones WenQuanYi Zen Hei, standing in for PingFang SC,
which Debian does not have. A scenario's ``font``
draws every phone in one font instead (``screenshots/record_templates.py`` records in Micro Hei).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shareflow_sim.fonts import DEFAULT_FONT, NOTO_SANS_CJK_SC, WQY_ZEN_HEI, Font

Platform = Literal["android", "ios"]


@dataclass(frozen=True)
class Profile:
    """A phone model. Sizes are in pixels; ``scale`` is pixels per logical unit
    (Android density / 160 dpi, iOS point scale)."""

    id: str
    model: str
    platform: Platform
    width_px: int
    height_px: int
    scale: float
    status_bar: float  # logical height of the status bar
    bottom_bar: float  # Android navigation bar / iOS home-indicator area
    notch: bool = False  # iOS: status bar split around a notch or island
    manufacturer: str = ""  # Android: Build.MANUFACTURER
    brand: str = ""  # Android: Build.BRAND
    font: Font = DEFAULT_FONT  # the system font its text is laid out and drawn in

    @property
    def width(self) -> float:
        """Screen width in logical units."""
        return self.width_px / self.scale

    @property
    def height(self) -> float:
        """Screen height in logical units."""
        return self.height_px / self.scale

    @property
    def dpi(self) -> int:
        """Android screen density in dpi (``deviceScreenDensity``)."""
        return round(self.scale * 160)


PROFILES: dict[str, Profile] = {
    p.id: p
    for p in (
        Profile(
            "android-hd",
            "Redmi 9A",
            "android",
            720,
            1600,
            2.0,
            24,
            48,
            manufacturer="Xiaomi",
            brand="Redmi",
            font=NOTO_SANS_CJK_SC,
        ),
        Profile(
            "android-fhd",
            "Xiaomi 11",
            "android",
            1080,
            2400,
            2.625,
            24,
            48,
            manufacturer="Xiaomi",
            brand="Xiaomi",
            font=NOTO_SANS_CJK_SC,
        ),
        Profile(
            "android-qhd",
            "Samsung Galaxy S21 Ultra",
            "android",
            1440,
            3200,
            3.5,
            24,
            48,
            manufacturer="samsung",
            brand="samsung",
            font=NOTO_SANS_CJK_SC,
        ),
        Profile("iphone-8", "iPhone 8", "ios", 750, 1334, 2.0, 20, 0, font=WQY_ZEN_HEI),
        Profile("iphone-13", "iPhone 13", "ios", 1170, 2532, 3.0, 47, 34, notch=True, font=WQY_ZEN_HEI),
        Profile("iphone-15-plus", "iPhone 15 Plus", "ios", 1290, 2796, 3.0, 54, 34, notch=True, font=WQY_ZEN_HEI),
    )
}
