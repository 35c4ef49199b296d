"""Reading Tao passwords (淘口令) out of message text, in every shape Taobao has shared.

``parse`` finds a password in two steps:

1. **link**: an ``m.tb.cn`` or ``e.tb.cn`` address (``http`` or ``https``) with an
   ``h.`` code of 7 or 10–15 letters and digits, and a ``?tk=`` token or ``?sm=`` query;
2. **token**: else, or when the link carries no ``tk``, 11 letters and digits
   between currency-like delimiters (``￥3ggP09P71CF￥``, ``7(qQkYcb86z2d)/``).

Shapes read (FIELD-NOTES, "Tao password text"): ``【淘宝】[slogan ]<link>?tk=<11> CZ3457 「title」``
with the title on the same or the next line, the coupon text ``【…】<link>?sm=<6 hex> …￥<11>￥…``,
and the token-only forms. A ``TaoPassword`` keeps the link exactly as written, the token (the
``tk`` value, else the delimited token, else the ``h.`` code), the code after the link or token
(two capitals and 3 or 4 digits) and the 「」 title. A generic title (「我在手机淘宝发现一个宝贝」)
names no item: ``item_title`` is empty then, and only the link or token tells the item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LINK = re.compile(
    r"(?P<url>https?://[me]\.tb\.cn/h\.(?P<short>[A-Za-z0-9]{10,15}|[A-Za-z0-9]{7})(?![A-Za-z0-9])"
    r"(?:\?(?:tk=(?P<token>[A-Za-z0-9]+)|sm=[0-9a-f]{6})(?![A-Za-z0-9]))?)"
)
DELIMITERS = "¥￥$£₤€₴¢₰₳₪₲@《》()/"
TOKEN = re.compile(rf"[{re.escape(DELIMITERS)}](?P<token>[A-Za-z0-9]{{11}})[{re.escape(DELIMITERS)}]")
CODE = re.compile(r"[\s/:]*(?P<code>[A-Z]{2}\d{3,4})(?![A-Za-z0-9])")  # right after the link or token
TITLE = re.compile(r"「(?P<title>[^」\n]+)」")
GENERIC_TITLES = frozenset({"我在手机淘宝发现一个宝贝"})


@dataclass(frozen=True)
class TaoPassword:
    """What a Tao password says: its link (if any), token, code and 「」 title."""

    token: str
    url: str = ""
    title: str = ""
    code: str = ""

    @property
    def item_title(self) -> str:
        """The title when it names the item; empty when absent or generic."""
        return "" if self.title in GENERIC_TITLES else self.title


def parse(text: str) -> TaoPassword | None:
    """The Tao password in ``text``, or ``None`` when it has no tb.cn link and no delimited token."""
    link = LINK.search(text)
    delimited = TOKEN.search(text)
    if delimited is not None and (link is None or not link.group("token")):
        token, end = delimited.group("token"), delimited.end()
    elif link is not None:
        token, end = link.group("token") or link.group("short"), link.end()
    else:
        return None
    code = CODE.match(text, end) or (CODE.match(text, link.end()) if link else None)
    title = TITLE.search(text)
    return TaoPassword(
        token,
        link.group("url") if link else "",
        title.group("title") if title else "",
        code.group("code") if code else "",
    )
