"""How one version of an app draws: its own small differences of text size, colour and spacing.

Apps restyle a little from version to version — a message's text half a point larger, a brand colour a
shade lighter, a label's padding a unit wider — so a template recorded on one version never shows
pixel for pixel on another, even in the same font (issue 15, A.5). Each (app, version) gets one
:class:`Look`, made from its package and version (the same in every run), within the steps below; a
scenario's ``looks: none`` draws every version plainly (how ``screenshots/record_templates.py`` records).
"""

from __future__ import annotations

import colorsys
import hashlib
from dataclasses import dataclass, replace

from shareflow_sim.icons import rgba
from shareflow_sim.ui import Style

TEXT_STEPS = (0.96, 0.98, 1.02, 1.04)  # text size, as a share of the size the app's layout names
SHADE_STEPS = (-0.04, -0.02, 0.02, 0.04)  # HLS lightness added to a colour (not to a grey or white)
PAD_STEPS = (-1.0, 1.0)  # logical units added to a padded text's padding
GREY_SATURATION = 0.3  # below this a colour is a grey (a ground, an ink): versions keep those


@dataclass(frozen=True)
class Look:
    """An app version's differences from the plain drawing."""

    text: float = 1.0
    shade: float = 0.0
    pad: float = 0.0

    def restyle(self, style: Style) -> Style:
        """``style`` as this version draws it."""
        return replace(
            style,
            size=style.size * self.text,
            fg=self.tint(style.fg),
            bg=self.tint(style.bg) if style.bg else style.bg,
            border=self.tint(style.border) if style.border else style.border,
            pad=max(0.0, style.pad + self.pad) if style.pad else style.pad,
        )

    def tint(self, colour: str) -> str:
        """``colour`` (``#RRGGBB[AA]``) a shade lighter or darker; a grey, white or black as it is."""
        (r, g, b), alpha = rgba(colour)
        hue, light, sat = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
        if not self.shade or sat < GREY_SATURATION or not 0.05 < light < 0.95:
            return colour
        rgb = colorsys.hls_to_rgb(hue, min(1.0, max(0.0, light + self.shade)), sat)
        return "#" + "".join(f"{round(v * 255):02X}" for v in rgb) + (f"{alpha:02X}" if alpha < 255 else "")


PLAIN = Look()


def look_of(package: str, version: str) -> Look:
    """The look of ``version`` of the app ``package``: a step of each kind, chosen by their digest."""
    digest = hashlib.sha256(f"{package}@{version}".encode()).digest()
    return Look(
        TEXT_STEPS[digest[0] % len(TEXT_STEPS)],
        SHADE_STEPS[digest[1] % len(SHADE_STEPS)],
        PAD_STEPS[digest[2] % len(PAD_STEPS)],
    )
