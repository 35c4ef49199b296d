"""Phone hardware profiles: screen size, density, system bars and system font."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shareflow_sim.fonts import DEFAULT_FONT, Font

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
        Profile("android-hd", "Redmi 9A", "android", 720, 1600, 2.0, 24, 48, manufacturer="Xiaomi", brand="Redmi"),
        Profile(
            "android-fhd", "Xiaomi 11", "android", 1080, 2400, 2.625, 24, 48, manufacturer="Xiaomi", brand="Xiaomi"
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
        ),
        Profile("iphone-8", "iPhone 8", "ios", 750, 1334, 2.0, 20, 0),
        Profile("iphone-13", "iPhone 13", "ios", 1170, 2532, 3.0, 47, 34, notch=True),
        Profile("iphone-15-plus", "iPhone 15 Plus", "ios", 1290, 2796, 3.0, 54, 34, notch=True),
    )
}
