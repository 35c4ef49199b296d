"""Reading Tao passwords (淘口令) out of message text, in both known shapes."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Current shape: 【淘宝】https://m.tb.cn/h.<7 chars>?tk=<token> CZ0001 「<item title>」
CURRENT = re.compile(
    r"【(?P<shop>[^】]+)】\s*(?P<url>https?://[me]\.tb\.cn/h\.(?P<short>[A-Za-z0-9]{7})(?:\?tk=(?P<token>[A-Za-z0-9]+))?)"
    r"(?:\s+(?P<code>[A-Z]{2}\d{4}))?(?:\s*「(?P<title>[^」]+)」)?"
)
# Older shape: 11 letters/digits between currency-like delimiters, e.g. ￥3ggP09P71CF￥.
DELIMITERS = "¥￥$£₤€₴¢₰₳₪₲@《》()/"
OLD = re.compile(rf"[{re.escape(DELIMITERS)}](?P<token>[A-Za-z0-9]{{11}})[{re.escape(DELIMITERS)}]")


@dataclass(frozen=True)
class TaoPassword:
    """What a Tao password says: its link (if any), token and item title."""

    token: str
    url: str = ""
    title: str = ""
    code: str = ""


def parse(text: str) -> TaoPassword | None:
    """The Tao password in ``text``, or ``None`` when it has neither shape."""
    match = CURRENT.search(text)
    if match:
        token = match.group("token") or match.group("short")
        return TaoPassword(token, match.group("url"), match.group("title") or "", match.group("code") or "")
    match = OLD.search(text)
    if match:
        return TaoPassword(match.group("token"))
    return None
