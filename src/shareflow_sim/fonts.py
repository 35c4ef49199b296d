"""The system fonts virtual phones draw text in.

A :class:`Font` is a regular face and, when the font has one, a bold face; without one, bold
text is the regular face drawn with a stroke. A face names its file, its index in a font
collection (``.ttc``) and its family, which is checked when the face is loaded: a collection
holds one face per language (Noto Sans CJK's Japanese face comes first, its Simplified
Chinese one third), and the wrong one draws other glyph shapes without any error.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont


@dataclass(frozen=True)
class Face:
    """One face of a font file."""

    path: Path
    index: int
    family: str  # as the file names it, e.g. "Noto Sans CJK SC"


@dataclass(frozen=True)
class Font:
    """A font: its regular face, its bold face if it has one, and the Debian package that installs it."""

    regular: Face
    bold: Face | None
    package: str


WQY_MICRO_HEI = Font(
    Face(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0, "WenQuanYi Micro Hei"), None, "fonts-wqy-microhei"
)
NOTO_SANS_CJK_SC = Font(
    Face(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2, "Noto Sans CJK SC"),
    Face(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"), 2, "Noto Sans CJK SC"),
    "fonts-noto-cjk",
)
WQY_ZEN_HEI = Font(
    Face(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0, "WenQuanYi Zen Hei"), None, "fonts-wqy-zenhei"
)
AR_PL_UMING = Font(
    Face(Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0, "AR PL UMing CN"), None, "fonts-arphic-uming"
)
DEFAULT_FONT = WQY_MICRO_HEI  # what a phone profile draws in unless it names another: the shipped templates' font
FONTS = {font.regular.family: font for font in (WQY_MICRO_HEI, NOTO_SANS_CJK_SC, WQY_ZEN_HEI, AR_PL_UMING)}


def stroke(font: Font, px: int, bold: bool) -> int:
    """The stroke that draws bold text in a font without a bold face (0 otherwise)."""
    return max(1, round(px / 40)) if bold and font.bold is None else 0


@lru_cache(maxsize=512)
def load(font: Font, px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The face of ``font`` that draws (bold) text ``px`` pixels high; clear errors when it is missing or wrong."""
    face = font.bold if bold and font.bold is not None else font.regular
    if not face.path.is_file():
        raise FileNotFoundError(
            f"CJK font {face.path} is missing: install the Debian package {font.package} "
            f"(apt-get install {font.package})"
        )
    loaded = ImageFont.truetype(str(face.path), px, index=face.index, layout_engine=ImageFont.Layout.BASIC)
    family = loaded.getname()[0]
    if family != face.family:
        raise ValueError(f"{face.path} face {face.index} is {family!r}, not {face.family!r}")
    return loaded
