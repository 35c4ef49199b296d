"""The vocabulary of shared links, said once: scenes, link kinds, what tapping a link shows, hosts, apps.

A link is shared in a **scene** — a 1:1 chat (``p2p``) or a group chat (``group``) — and is of a
**kind**: a Taobao item, a Tmall item or a JD item, each on its own host. Tapping it in WeChat shows
one of four **outcomes**: the item page directly, an interstitial that asks before going on, a page
saying the link is blocked, or a page that offers only to copy the link into a browser.
"""

from __future__ import annotations

from typing import Literal, get_args

Scene = Literal["p2p", "group"]
LinkKind = Literal["taobao", "tmall", "jd"]
Outcome = Literal["direct", "interstitial", "blocked", "copy_to_browser"]

SCENES: tuple[Scene, ...] = get_args(Scene)
LINK_KINDS: tuple[LinkKind, ...] = get_args(LinkKind)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

HOSTS: dict[LinkKind, str] = {"taobao": "item.taobao.com", "tmall": "detail.tmall.com", "jd": "item.m.jd.com"}
APP_LABELS = {"wechat": "WeChat", "taobao": "Taobao"}  # the apps under test, by the names their stores give


def as_scene(value: object) -> Scene | None:
    """``value`` when it names a scene, else None."""
    return next((scene for scene in SCENES if scene == value), None)


def as_kind(value: object) -> LinkKind | None:
    """``value`` when it names a link kind, else None."""
    return next((kind for kind in LINK_KINDS if kind == value), None)
