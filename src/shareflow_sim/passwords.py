"""Tao password (淘口令) texts as Taobao writes them, by Taobao version.

``write`` puts an item's identifiers (a short code, an 11-character token) into
one of four shapes; ``shape_for`` says which shape a Taobao version shares:

1. **coupon** (before 10.0, 2017–2020): the title in 【】, an ``http://m.tb.cn``
   link with a 7-character code and ``?sm=<6 hex>``, and the token between ￥
   in a garbled 复制这段描述 sentence;
2. **token** (forwarded texts of those years, and chosen by a scenario): only the
   token between currency-like delimiters, led by a digit, sometimes followed by
   a code or a bare title — no link at all;
3. **link7** (10.0 to before 10.20, 2021–2022): ``【淘宝】https://m.tb.cn/h.<7>?tk=<11>
   CZ0001 「title」`` and a line 点击链接直接打开 或者 淘宝搜索直接打开;
4. **link** (10.20 on, 2023–): as link7, but often a slogan after 【淘宝】, ``e.tb.cn``
   or ``m.tb.cn``, ``https://`` or ``http://``, a 10–15 character code, two letters and
   3 or 4 digits, the title on the same or the next line, and sometimes the generic
   title 「我在手机淘宝发现一个宝贝」, which names no item.

Where the real app varies (slogan, host, scheme, code length, digits, layout), the
phone's ``rng`` draws. Texts seen in public, by year (shapes only): coupon —
``【…】http://m.tb.cn/h.3l6tQrk?sm=c3327c 点击链接，再选择浏览器咑閞；或復·制这段描述￥6QZBbQYxnPh￥后到淘♂寳♀``
(2018, taobao-affiliate test data on GitHub); token — the forms collected in
https://github.com/Coolkkmeat/TaobaoCommandParse/issues/5 (2020: ``7(￥hxWAcj3Yiqt￥)/``,
``₳ZZPs16y5WCa₳``, ``€akuVc4tENOl€``) and https://github.com/SenhLinsh/PriceAnalysisAssistant/issues/1
(2017: "half a year of passwords without a link"); link7 — ``16:06【淘宝】https://m.tb.cn/h.58QQm4s?tk=q68LWdnBIKy
CZ3457 「…」`` (2021–2022 rebate-service test data); link — Smart-Tactile-Fabric/STF_touch_visualization
README (``https://e.tb.cn/h.SQ6rjlgiow5ob5s?tk=MJN9f2bd29s CZ225``), READMEs with ``【淘宝】退货运费险 https://e.tb.cn/…
MF937``, ``http://e.tb.cn/h.gH4gxUT6fd8mDry?tk=IvOP38MGMgQ CZ0016`` and the title on the next line (2023–2026).
The version boundaries are estimates from those dates (Taobao 10.5 shipped late 2021, 10.2x in 2023).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

SHAPES = ("link", "link7", "coupon", "token")
LINK_FROM = (10, 20)  # Taobao versions from this one share the long-code link shape
LINK7_FROM = (10, 0)  # ... from this one the 7-character m.tb.cn link with ?tk=
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
LINK7_CODES = ("CZ0001", "MF6563", "HU9196", "CA6942", "XM0127")
CODE_LETTERS = ("CZ", "MF", "HU", "CA", "XM")
SLOGANS = ("7天无理由退货", "假一赔四", "极速退款", "退货运费险", "大促价保")
GENERIC_TITLE = "我在手机淘宝发现一个宝贝"
OPEN_LINE = "点击链接直接打开 或者 淘宝搜索直接打开"
# token forms: (before, after) the token; the digit in front is drawn
TOKEN_FORMS = (("👈￥", "￥"), ("(", ")/"), ("€", "€"), ("₤", "₤"), ("$", "$"), ("¢", "¢"), ("₳", "₳"))


@dataclass(frozen=True)
class Ids:
    """What makes a password point at its item: a short code and a token, both unique in the world."""

    short: str
    token: str


def parse_version(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def shape_for(taobao_version: str) -> str:
    """The shape a Taobao version shares an item in."""
    version = parse_version(taobao_version)
    if version >= LINK_FROM:
        return "link"
    return "link7" if version >= LINK7_FROM else "coupon"


def short_length(shape: str, rng: random.Random) -> int:
    """How long the ``h.`` code of a shape is: 7, or 10–15 in the link shape."""
    return rng.randint(10, 15) if shape == "link" else 7


def write(shape: str, title: str, ids: Ids, rng: random.Random) -> str:
    """The share text of an item in ``shape``."""
    return WRITERS[shape](title, ids, rng)


def _link7(title: str, ids: Ids, rng: random.Random) -> str:
    code = rng.choice(LINK7_CODES)
    return f"【淘宝】https://m.tb.cn/h.{ids.short}?tk={ids.token} {code} 「{title}」\n{OPEN_LINE}"


def _link(title: str, ids: Ids, rng: random.Random) -> str:
    slogan = f"{rng.choice(SLOGANS)} " if rng.random() < 0.5 else ""
    url = f"{rng.choice(('https', 'http'))}://{rng.choice(('e', 'm'))}.tb.cn/h.{ids.short}?tk={ids.token}"
    code = rng.choice(CODE_LETTERS) + "".join(rng.choice("0123456789") for _ in range(rng.choice((3, 4))))
    shown = GENERIC_TITLE if rng.random() < 0.25 else title
    between = "\n" if rng.random() < 0.3 else " "
    return f"【淘宝】{slogan}{url} {code}{between}「{shown}」\n{OPEN_LINE}"


def _coupon(title: str, ids: Ids, rng: random.Random) -> str:
    sm = "".join(rng.choice("0123456789abcdef") for _ in range(6))
    return (
        f"【{title}】http://m.tb.cn/h.{ids.short}?sm={sm} "
        f"点击链接，再选择浏览器咑閞；或復·制这段描述￥{ids.token}￥后到淘♂寳♀"
    )


def _token(title: str, ids: Ids, rng: random.Random) -> str:
    before, after = rng.choice(TOKEN_FORMS)
    lead = f"{rng.randint(0, 9)}{before}{ids.token}{after}"
    if after == ")/":
        return f"{lead} {rng.choice(CODE_LETTERS)}{rng.randint(1000, 9999)}"
    return f"{lead} {title}" if rng.random() < 0.5 else lead


WRITERS: dict[str, Callable[[str, Ids, random.Random], str]] = {
    "link": _link,
    "link7": _link7,
    "coupon": _coupon,
    "token": _token,
}
