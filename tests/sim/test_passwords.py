"""The farm's Tao passwords: every shape, for old and new Taobao versions, reads with the harness's parser
and resolves to the item it was minted for."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from shareflow.taopassword import parse
from shareflow_sim.passwords import SHAPES, shape_for
from shareflow_sim.world import CATALOG, World

SEEDS = range(6)
SHARES = 12  # per seed and shape


def world(seed: int) -> World:
    return World(seed, datetime.now)


@pytest.mark.parametrize(
    ("version", "shape"),
    [
        ("9.8.0", "coupon"),
        ("10.0.0", "link7"),
        ("10.5.0", "link7"),
        ("10.19.9", "link7"),
        ("10.20.0", "link"),
        ("10.40.0", "link"),
    ],
)
def test_the_shape_follows_the_taobao_version(version: str, shape: str) -> None:
    assert shape_for(version) == shape


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_password_the_farm_makes_is_read_and_resolves_to_its_item(seed: int, shape: str) -> None:
    farm_world, rng = world(seed), random.Random(seed)
    seen: set[str] = set()
    for n in range(SHARES):
        item = CATALOG[n % len(CATALOG)]
        text = farm_world.password_for(item.id, shape, rng)
        parsed = parse(text)
        assert parsed is not None, text
        assert farm_world.resolve(text) == item, text
        assert farm_world.tokens[parsed.token] == item.id, text  # the parser's token is the farm's
        assert parsed.item_title in ("", item.title), text
        if parsed.url:
            assert farm_world.resolve(parsed.url) == item, text  # the link alone, as WeChat opens it
        assert parsed.token not in seen, text  # a new token per share
        seen.add(parsed.token)


def test_the_link_shape_varies_as_the_real_app_does() -> None:
    farm_world, rng = world(7), random.Random(7)
    parsed = [parse(farm_world.password_for(CATALOG[0].id, "link", rng)) for _ in range(60)]
    assert all(p is not None for p in parsed)
    urls = [p.url for p in parsed if p]
    assert {u.split("://")[0] for u in urls} == {"http", "https"}
    assert {u.split("://")[1][:7] for u in urls} == {"e.tb.cn", "m.tb.cn"}
    assert {len(u.split("/h.")[1].split("?")[0]) for u in urls} == set(range(10, 16))
    assert {len(p.code) for p in parsed if p} == {5, 6}  # two letters and 3 or 4 digits
    assert {p.item_title for p in parsed if p} == {"", CATALOG[0].title}  # the generic title, now and then


def test_the_old_shape_is_the_2021_text() -> None:
    text = world(7).password_for(CATALOG[0].id)
    parsed = parse(text)
    assert parsed is not None and parsed.url.startswith("https://m.tb.cn/h.") and len(parsed.url) == 40
    assert text.endswith(f"「{CATALOG[0].title}」\n点击链接直接打开 或者 淘宝搜索直接打开")
