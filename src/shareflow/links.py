"""The vocabulary of doors, said once: carriers, scenes, link kinds, outcomes, hosts; cashiers, payment methods.

A link is carried by a messenger — the **carrier**, WeChat or QQ — in a **scene**: a 1:1 chat (``p2p``)
or a group chat (``group``). It is of a **kind**: a Taobao, Tmall, JD or Pinduoduo item, or a Douyin
video, each on its own host. Tapping it shows one of four **outcomes**: the page directly, an
interstitial that asks before going on, a page saying the link is blocked, or a page that offers only
to copy the link into a browser. One carrier × scene × link kind is a **door**.

An order is paid at a **cashier** — Taobao's, Tmall's or Hema's — which lists **payment methods**:
Alipay, and (or not) WeChat Pay. One cashier × payment method is a **payment door**: offered or not.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, get_args

Carrier = Literal["wechat", "qq"]
Scene = Literal["p2p", "group"]
LinkKind = Literal["taobao", "tmall", "jd", "pinduoduo", "douyin"]
Outcome = Literal["direct", "interstitial", "blocked", "copy_to_browser"]
Cashier = Literal["taobao", "tmall", "hema"]
PaymentMethod = Literal["alipay", "wechat_pay"]
Offer = Literal["offered", "not_offered"]  # what a cashier shows of a payment method

CARRIERS: tuple[Carrier, ...] = get_args(Carrier)
SCENES: tuple[Scene, ...] = get_args(Scene)
LINK_KINDS: tuple[LinkKind, ...] = get_args(LinkKind)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
CASHIERS: tuple[Cashier, ...] = get_args(Cashier)
PAYMENT_METHODS: tuple[PaymentMethod, ...] = get_args(PaymentMethod)
OFFERS: tuple[Offer, ...] = get_args(Offer)

# the host a link of each kind is on (a Douyin share's short link, v.douyin.com, leads to www.douyin.com)
HOSTS: dict[LinkKind, str] = {
    "taobao": "item.taobao.com",
    "tmall": "detail.tmall.com",
    "jd": "item.m.jd.com",
    "pinduoduo": "mobile.yangkeduo.com",
    "douyin": "douyin.com",
}
APP_LABELS = {"wechat": "WeChat", "taobao": "Taobao", "hema": "Hema"}  # the apps under test, by their stores' names


class Door(NamedTuple):
    """One way between two apps: a link of ``kind`` carried by ``carrier`` in a ``scene`` chat."""

    carrier: Carrier
    scene: Scene
    kind: LinkKind


class PayDoor(NamedTuple):
    """One payment door: whether ``cashier`` offers ``method``."""

    cashier: Cashier
    method: PaymentMethod


AnyDoor = Door | PayDoor  # a cell of the matrix is for one of either
DOORS: tuple[Door, ...] = tuple(Door(c, s, k) for c in CARRIERS for s in SCENES for k in LINK_KINDS)
PAY_DOORS: tuple[PayDoor, ...] = tuple(PayDoor(c, m) for c in CASHIERS for m in PAYMENT_METHODS)


def as_carrier(value: object) -> Carrier | None:
    """``value`` when it names a carrier, else None."""
    return next((carrier for carrier in CARRIERS if carrier == value), None)


def as_cashier(value: object) -> Cashier | None:
    """``value`` when it names a cashier, else None."""
    return next((cashier for cashier in CASHIERS if cashier == value), None)


def as_method(value: object) -> PaymentMethod | None:
    """``value`` when it names a payment method, else None."""
    return next((method for method in PAYMENT_METHODS if method == value), None)


def as_scene(value: object) -> Scene | None:
    """``value`` when it names a scene, else None."""
    return next((scene for scene in SCENES if scene == value), None)


def as_kind(value: object) -> LinkKind | None:
    """``value`` when it names a link kind, else None."""
    return next((kind for kind in LINK_KINDS if kind == value), None)
