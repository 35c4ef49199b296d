"""A message bubble points at its sender's avatar with WeChat's tail, drawn inside the bubble's view (whose bounds
hold it, as WeChat's bubble background does) in the bubble's colour, the chat's ground above and below it."""

from __future__ import annotations

import numpy as np
import pytest

from shareflow_sim.profiles import PROFILES
from shareflow_sim.render import Renderer
from shareflow_sim.ui import TAIL_TIP, TAIL_W, Layer, Node, Rect, Style

GROUND, WHITE, GREEN = (0xED, 0xED, 0xED), (0xFF, 0xFF, 0xFF), (0x95, 0xEC, 0x69)


@pytest.mark.parametrize("profile", ["android-hd", "iphone-13"])
def test_a_bubble_s_tail_points_at_its_sender(profile: str) -> None:
    theirs = Node("view", Rect(60 - TAIL_W, 100, 126, 60), style=Style(bg="#FFFFFF", radius=5, tail="left"))
    mine = Node("view", Rect(170, 200, 126, 60), style=Style(bg="#95EC69", radius=5, tail="right"))
    root = Node("app", Rect(0, 0, 360, 640), style=Style(bg="#EDEDED"), children=[theirs, mine])
    renderer = Renderer(PROFILES[profile])
    shot = np.asarray(renderer.render([Layer(root, "com.tencent.mm")]))[..., :3]

    def at(x: float, y: float) -> tuple[int, ...]:
        return tuple(int(v) for v in shot[round(y * renderer.scale), round(x * renderer.scale)])

    tip = TAIL_TIP
    assert at(60 - TAIL_W / 3, 100 + tip) == WHITE  # near the tip, at its height: the bubble's colour
    assert at(60 - TAIL_W / 3, 100 + tip - TAIL_W) == GROUND  # above and below the tail: the chat's ground
    assert at(60 - TAIL_W / 3, 100 + tip + TAIL_W) == GROUND
    assert at(60 + 20, 100 + 2) == WHITE  # the body
    assert at(296 - TAIL_W / 3, 200 + tip) == GREEN  # mine points right, at my avatar
    assert at(296 - TAIL_W / 3, 200 + tip - TAIL_W) == GROUND
    assert at(170 - 2, 200 + tip) == GROUND  # none on the side away from its sender
