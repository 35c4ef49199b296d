"""Template matching, the template library, trimming, annotation, and pixel → point conversion."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import pytest
from appium import webdriver
from PIL import Image, ImageDraw, ImageFont

from shareflow import screen as screen_module
from shareflow import wait
from shareflow.capture import trim
from shareflow.evidence import FOUND, MAX_EDGE, MISSED, Evidence, annotate
from shareflow.screen import Screen, StateNotReached, points_per_pixel
from shareflow.vision import glyphs
from shareflow.vision import match as match_module
from shareflow.vision.match import Box, Match, TemplateError, check_template, find, find_all
from shareflow.vision.templates import (
    Template,
    TemplateLibrary,
    TemplateMissing,
    read_image,
    read_meta,
    template_from,
    with_read_text,
)

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
ORANGE, GREY, RED = (255, 80, 0), (204, 204, 204), (255, 0, 54)
CAPTURE_SCALE = 2.625  # the template is cut from a 1080-wide screen
BUTTON_X, BUTTON_W, BUTTON_H = 40, 280, 48  # dp
BUY_Y = 500  # dp: where the 立即购买 button sits unless told otherwise
SCREENS = Path(__file__).parent / "screens"  # screenshots kept from runs and corpora
META = "capture_resolution: [945, 1680]\ncapture_scale: 2.625\n"


def draw_screen(scale: float, colour: tuple[int, int, int] = ORANGE, buttons: Sequence[int] = (BUY_Y,)) -> np.ndarray:
    """A 360×640 dp item page drawn at ``scale`` pixels per dp (BGR), with 立即购买 buttons at ``buttons`` (dp)."""
    size = (round(360 * scale), round(640 * scale))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    body = ImageFont.truetype(FONT, round(16 * scale))
    draw.text((round(16 * scale), round(40 * scale)), "淘宝 商品详情 Taobao", fill="black", font=body)
    draw.text((round(16 * scale), round(200 * scale)), "￥99.00 包邮 已售 1万+", fill=RED, font=body)
    label = ImageFont.truetype(FONT, round(18 * scale))
    for y in buttons:
        x0, y0, w, h = button_box(scale, y)
        draw.rounded_rectangle((x0, y0, x0 + w, y0 + h), radius=round(24 * scale), fill=colour)
        draw.text((x0 + w / 2, y0 + h / 2), "立即购买", fill="white", font=label, anchor="mm")
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def button_box(scale: float, y: int = BUY_Y) -> Box:
    """The button's box in pixels of a screen drawn at ``scale``."""
    x0, y0 = round(BUTTON_X * scale), round(y * scale)
    return x0, y0, round((BUTTON_X + BUTTON_W) * scale) - x0, round((y + BUTTON_H) * scale) - y0


def cut(screen: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = box
    return screen[y : y + h, x : x + w].copy()


def assert_near(actual: Box | None, expected: Box, tolerance: int) -> None:
    assert actual is not None
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (actual, expected)


@pytest.fixture(scope="module")
def buy_button() -> np.ndarray:
    """The 立即购买 template's image, cut from a screen drawn at the capture scale."""
    return cut(draw_screen(CAPTURE_SCALE), button_box(CAPTURE_SCALE))


@pytest.fixture(scope="module")
def buy(buy_button: np.ndarray) -> Template:
    """The 立即购买 template: its image alone, matched at the default threshold."""
    return Template(buy_button)


# -- find -------------------------------------------------------------------------------------
def test_found_at_the_capture_scale(buy: Template) -> None:
    screen = draw_screen(CAPTURE_SCALE)
    started = time.perf_counter()
    match = find(screen, buy)
    wall_ms = (time.perf_counter() - started) * 1000
    assert match.found and match.confidence >= 0.95
    assert_near(match.box, button_box(CAPTURE_SCALE), 2)
    assert match.scale == pytest.approx(1.0, abs=0.01)
    assert 0 < match.elapsed_ms <= wall_ms
    assert match.screen_size == (screen.shape[1], screen.shape[0])  # what a tap on it converts from


@pytest.mark.parametrize("hinted", [True, False], ids=["hint", "no-hint"])
@pytest.mark.parametrize("scale", [2.0, 3.5])
def test_found_at_other_scales(buy: Template, scale: float, hinted: bool) -> None:
    ratio = scale / CAPTURE_SCALE
    match = find(draw_screen(scale), buy, scale_hint=ratio if hinted else None)
    assert match.found and match.confidence >= 0.9
    assert_near(match.box, button_box(scale), 3)
    assert match.scale == pytest.approx(ratio, rel=0.02)


@pytest.mark.parametrize("scale", [CAPTURE_SCALE, 2.0])
def test_not_found_when_the_colour_state_differs(buy: Template, scale: float) -> None:
    match = find(draw_screen(scale, colour=GREY), buy)
    assert not match.found and match.box is None
    assert match.confidence < 0.5
    assert_near(match.best, button_box(scale), 3)  # the shape was there: colour alone said no


def test_flat_template_is_refused() -> None:
    flat = np.full((40, 120, 3), 200, np.uint8)
    with pytest.raises(TemplateError, match="flat"):
        check_template(flat)
    with pytest.raises(TemplateError, match="flat"):
        find(draw_screen(2.0), Template(flat))
    with pytest.raises(TemplateError, match="smaller than 4 px"):
        check_template(np.zeros((3, 40, 3), np.uint8))


# WeUI's dark palette (weui's dark-mode CSS variables): LINK on LIGHTGREEN, a link in one's own bubble
DARK_LINK, DARK_BUBBLE, DARK_GROUND = (125, 144, 169), (62, 181, 117), (25, 25, 25)


def dark_chat(urls: Sequence[str], scale: float = CAPTURE_SCALE) -> np.ndarray:
    """A dark chat: one green bubble per url (dp 40 apart), each holding its link in WeUI's dark link colour."""
    image = Image.new("RGB", (round(360 * scale), round(640 * scale)), DARK_GROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, round(16 * scale))
    for i, url in enumerate(urls):
        y = round((100 + 60 * i) * scale)
        draw.rounded_rectangle((round(40 * scale), y, round(330 * scale), y + round(40 * scale)), 8, fill=DARK_BUBBLE)
        draw.text((round(52 * scale), y + round(10 * scale)), url, fill=DARK_LINK, font=font)
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def test_a_template_of_one_luminance_and_two_colours_is_matched_on_its_colours() -> None:
    """A link drawn in a colour of the bubble's own luminance is flat in grey levels, not in colour: it is
    matched along its colours' axis, and told from another link there."""
    shown = "https://item.taobao.com/item"
    chat = dark_chat(["https://detail.tmall.com/it", shown])
    box = (round(44 * CAPTURE_SCALE), round(166 * CAPTURE_SCALE), round(240 * CAPTURE_SCALE), round(28 * CAPTURE_SCALE))
    link = cut(chat, box)
    assert cv2.cvtColor(link, cv2.COLOR_BGR2GRAY).std() < match_module.FLAT_STD  # flat by luminance alone
    check_template(link)
    template = Template(link, capture_scale=CAPTURE_SCALE)
    assert template.tone is not None and Template(cut(draw_screen(2.0), button_box(2.0))).tone is None
    match = find(dark_chat(["https://detail.tmall.com/it", "hello", shown], 2.0), template, 2.0 / CAPTURE_SCALE)
    assert match.found
    assert_near(match.box, (round(44 * 2.0), round(226 * 2.0), round(240 * 2.0), round(28 * 2.0)), 3)
    assert not find(dark_chat(["https://detail.tmall.com/it"], 2.0), template, 2.0 / CAPTURE_SCALE).found


def test_region_limits_the_search(buy: Template) -> None:
    screen = draw_screen(CAPTURE_SCALE, buttons=(300, BUY_Y))
    height = screen.shape[0]
    upper = find(screen, dataclasses.replace(buy, region=(0, 0, 1, 1000 / height)))
    lower = find(screen, dataclasses.replace(buy, region=(0, 1000 / height, 1, 1 - 1000 / height)))
    assert_near(upper.box, button_box(CAPTURE_SCALE, 300), 2)
    assert_near(lower.box, button_box(CAPTURE_SCALE, BUY_Y), 2)  # in screen coordinates, not the region's
    assert lower.screen_size == (screen.shape[1], height)  # the whole screen's, not the region's
    assert not find(screen, dataclasses.replace(buy, region=(0, 0, 1, 700 / height))).found


@pytest.fixture(scope="module")
def masked_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The button with a margin that is magenta but fully transparent, saved as an RGBA PNG."""
    pad = 30
    x, y, w, h = button_box(CAPTURE_SCALE)
    bgr = cut(draw_screen(CAPTURE_SCALE), (x - pad, y - pad, w + 2 * pad, h + 2 * pad))
    alpha = np.zeros(bgr.shape[:2], np.uint8)
    alpha[pad:-pad, pad:-pad] = 255
    bgr[alpha == 0] = (255, 0, 255)
    path = tmp_path_factory.mktemp("masked") / "buy.png"
    cv2.imwrite(str(path), np.dstack([bgr, alpha]))
    return path


def test_mask_from_png_alpha_ignores_transparent_pixels(masked_png: Path) -> None:
    image, mask = read_image(masked_png)
    assert mask is not None and mask.shape == image.shape[:2]
    screen = draw_screen(CAPTURE_SCALE)
    x, y, w, h = button_box(CAPTURE_SCALE)
    assert not find(screen, Template(image)).found  # the magenta margin is nowhere on the screen
    match = find(screen, Template(image, mask))
    assert match.found and match.confidence >= 0.95
    assert_near(match.box, (x - 30, y - 30, w + 60, h + 60), 2)


def test_find_all_returns_every_occurrence(buy: Template) -> None:
    screen = draw_screen(2.0, buttons=(100, 300, BUY_Y))
    matches = find_all(screen, buy)
    assert all(m.found and m.screen_size == (screen.shape[1], screen.shape[0]) for m in matches)
    boxes = sorted((m.box for m in matches if m.box), key=lambda b: b[1])
    assert len(boxes) == 3
    for box, y in zip(boxes, (100, 300, BUY_Y), strict=True):
        assert_near(box, button_box(2.0, y), 3)
    found = find(screen, buy)
    assert [m.box for m in find_all(screen, buy, found=found)] == [m.box for m in matches]  # find's match reused


def test_find_all_finds_nothing_where_find_does_not(buy: Template) -> None:
    assert find_all(draw_screen(2.0, colour=GREY, buttons=(100, 300)), buy) == []


def test_find_all_with_a_mask_returns_only_the_occurrences() -> None:
    image = Image.new("RGB", (200, 400), "white")
    draw = ImageDraw.Draw(image)
    for y in (40, 160, 280):
        draw.rounded_rectangle((20, y, 180, y + 40), radius=20, fill=ORANGE)
        draw.text((100, y + 20), "立即购买", fill="white", font=ImageFont.truetype(FONT, 16), anchor="mm")
    screen = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    pad = 6
    template = cut(screen, (20 - pad, 280 - pad, 161 + 2 * pad, 41 + 2 * pad))
    mask = np.zeros(template.shape[:2], np.uint8)
    mask[pad:-pad, pad:-pad] = 255
    template[mask == 0] = (255, 0, 255)
    boxes = sorted((m.box for m in find_all(screen, Template(template, mask)) if m.box), key=lambda b: b[1])
    assert [b[1] for b in boxes] == [40 - pad, 160 - pad, 280 - pad]


# -- the template library ------------------------------------------------------------------------
def write_template(root: Path, state: str, image: np.ndarray | None, meta: str | None) -> tuple[Path, Path]:
    png, yaml_path = TemplateLibrary(root).paths("android", state)
    png.parent.mkdir(parents=True, exist_ok=True)
    if image is not None:
        cv2.imwrite(str(png), image)
    if meta is not None:
        yaml_path.write_text(meta, encoding="utf-8")
    return png, yaml_path


def test_missing_png_names_the_path_and_how_to_capture(tmp_path: Path, buy_button: np.ndarray) -> None:
    png, _ = write_template(tmp_path, "taobao/buy", None, META)
    with pytest.raises(TemplateMissing) as error:
        TemplateLibrary(tmp_path).get("android", "taobao/buy")
    assert str(png) in str(error.value)
    assert "shareflow capture taobao/buy" in str(error.value)


def test_missing_metadata_names_the_path_and_how_to_capture(tmp_path: Path, buy_button: np.ndarray) -> None:
    _, meta = write_template(tmp_path, "taobao/buy", buy_button, None)
    with pytest.raises(TemplateMissing) as error:
        TemplateLibrary(tmp_path).get("android", "taobao/buy")
    assert str(meta) in str(error.value)
    assert "shareflow capture taobao/buy" in str(error.value)


@pytest.mark.parametrize(
    ("meta", "named"),
    [
        ("capture_resolution: [945, 1680]\ncapture_scale: 0\n", "field 'capture_scale'"),
        ("capture_resolution: [945]\ncapture_scale: 2.625\n", "field 'capture_resolution'"),
        (META + "threshold: high\n", "field 'threshold'"),
        (META + "region: [0, 0.5, 1, 1.5]\n", "field 'region.3'"),
        (META + "thresold: 0.9\n", "'thresold'"),
        ("capture_scale: 2.625\n", "'capture_resolution' is a required property"),
    ],
)
def test_bad_metadata_names_the_field(tmp_path: Path, buy_button: np.ndarray, meta: str, named: str) -> None:
    _, meta_path = write_template(tmp_path, "taobao/buy", buy_button, meta)
    with pytest.raises(TemplateError) as error:
        TemplateLibrary(tmp_path).get("android", "taobao/buy")
    assert str(error.value).startswith(f"{meta_path}: ")
    assert named in str(error.value)


def test_flat_png_is_refused_naming_it(tmp_path: Path) -> None:
    png, _ = write_template(tmp_path, "taobao/blank", np.full((30, 90, 3), 255, np.uint8), META)
    with pytest.raises(TemplateError, match=f"^{png}: template is flat"):
        TemplateLibrary(tmp_path).get("android", "taobao/blank")


def test_template_metadata_is_read(tmp_path: Path, buy_button: np.ndarray) -> None:
    extra = "threshold: 0.9\nregion: [0, 0.5, 1, 0.5]\ntext: 立即购买\n"
    write_template(tmp_path, "taobao/buy", buy_button, META + extra)
    library = TemplateLibrary(tmp_path)
    template = library.get("android", "taobao/buy")
    assert (template.capture_resolution, template.capture_scale, template.threshold) == ((945, 1680), 2.625, 0.9)
    assert template.text == "立即购买" and template.mask is None
    assert template.region_box(1080, 2400) == (0, 1200, 1080, 1200)
    assert np.array_equal(template.image, buy_button)
    assert library.get("android", "taobao/buy") is template
    assert library.states("android") == ["taobao/buy"]


# -- capture.trim, evidence.annotate ----------------------------------------------------------
def test_trim_cuts_the_margin_and_keeps_the_pad() -> None:
    crop = np.full((80, 100, 3), 255, np.uint8)
    crop[20:40, 30:50] = 0
    trimmed = trim(crop, pad=3)
    assert trimmed.shape == (26, 26, 3)
    assert (trimmed[3:-3, 3:-3] == 0).all()
    assert (trimmed[:3] == 255).all() and (trimmed[:, -3:] == 255).all()
    uniform = np.full((10, 10, 3), 7, np.uint8)
    assert trim(uniform, pad=3) is uniform


def test_trim_stops_at_the_crop_edge() -> None:
    crop = np.full((50, 50, 3), 255, np.uint8)
    crop[0:10, 45:50] = (0, 0, 255)
    assert trim(crop, pad=4).shape == (14, 9, 3)


@pytest.mark.parametrize(("found", "colour"), [(True, FOUND), (False, MISSED)])
def test_annotate_draws_the_box_in_its_colour(found: bool, colour: tuple[int, int, int]) -> None:
    screen = np.full((600, 400, 3), 128, np.uint8)
    box = (50, 300, 100, 60)
    match = Match(found, 0.97 if found else 0.4, box if found else None, box, 1.0, 12.0)
    out = annotate(screen, match, "taobao/buy")
    x, y, w, h = box
    for px, py in ((x, y + h // 2), (x + w, y + h // 2), (x + w // 2, y + h)):
        assert tuple(out[py, px]) == colour
    assert tuple(out[y + h // 2, x + w // 2]) == (128, 128, 128)  # inside the box: untouched
    assert (screen == 128).all()  # the screenshot itself is not drawn on


def test_annotate_scales_large_screens_down() -> None:
    match = Match(True, 0.99, (100, 100, 300, 200), (100, 100, 300, 200), 1.0, 1.0)
    out = annotate(np.zeros((3200, 1440, 3), np.uint8), match, "x")
    assert out.shape == (MAX_EDGE, 576, 3)


# -- pixels and points ------------------------------------------------------------------------------
class StubDriver:
    """Just what Screen needs for taps: a window size and a tap recorder."""

    def __init__(self, width: int, height: int) -> None:
        self.size = {"width": width, "height": height}
        self.size_calls = 0
        self.taps: list[list[tuple[int, int]]] = []
        self.durations: list[int] = []

    def get_window_size(self) -> dict[str, int]:
        self.size_calls += 1
        return self.size

    def tap(self, positions: list[tuple[int, int]], duration: int | None = None) -> None:
        self.taps.append(positions)
        if duration is not None:
            self.durations.append(duration)


def stub_screen(tmp_path: Path, platform: str, width: int, height: int) -> tuple[Screen, StubDriver]:
    driver = StubDriver(width, height)
    screen = Screen(cast(webdriver.Remote, driver), platform, TemplateLibrary(tmp_path), Evidence(tmp_path))
    return screen, driver


def test_points_per_pixel() -> None:
    assert points_per_pixel(1170, 390) == 1 / 3
    assert points_per_pixel(750, 375) == 0.5
    assert points_per_pixel(1080, 1080) == 1


def on_screen(box: Box, width: int, height: int) -> Match:
    """A match found at ``box`` on a ``width`` × ``height`` screenshot."""
    return Match(True, 0.99, box, box, 1.0, 1.0, screen_size=(width, height))


def test_ios_taps_are_in_points(tmp_path: Path) -> None:
    screen, driver = stub_screen(tmp_path, "ios", 390, 844)
    screen.tap(on_screen((570, 1256, 30, 20), 1170, 2532))  # centre (585, 1266) px
    screen.tap(on_screen((100, 200, 30, 20), 1170, 2532), at=(0, 0))
    screen.tap(on_screen((1069, 2431, 100, 100), 1170, 2532), at=(1, 1))
    assert driver.taps == [[(195, 422)], [(33, 67)], [(390, 844)]]
    assert driver.size_calls == 1  # the window size is asked once


def test_android_taps_are_in_pixels(tmp_path: Path) -> None:
    screen, driver = stub_screen(tmp_path, "android", 1080, 2400)
    screen.tap(on_screen((520, 1190, 40, 20), 1080, 2400))
    screen.tap(on_screen((1000, 0, 106, 16), 1080, 2400), at=(0.75, 0.2))
    assert driver.taps == [[(540, 1200)], [(1080, 3)]]


def test_a_long_press_holds_the_tap(tmp_path: Path) -> None:
    screen, driver = stub_screen(tmp_path, "android", 1080, 2400)
    screen.tap(on_screen((0, 1000, 400, 100), 1080, 2400), at=(0.25, 0.5), hold=0.8)
    assert driver.taps == [[(100, 1050)]] and driver.durations == [800]


def test_a_match_not_found_or_without_its_screen_is_not_tapped(tmp_path: Path) -> None:
    screen, driver = stub_screen(tmp_path, "android", 1080, 2400)
    with pytest.raises(ValueError, match="not found"):
        screen.tap(Match(False, 0.4, None, (0, 0, 10, 10), 1.0, 1.0, screen_size=(1080, 2400)))
    with pytest.raises(ValueError, match="size of its screenshot"):
        screen.tap(Match(True, 0.99, (0, 0, 10, 10), (0, 0, 10, 10), 1.0, 1.0))
    assert driver.taps == []


# -- polling ---------------------------------------------------------------------------------------
class FrameDriver(StubDriver):
    """Serves screenshots from a list (the last one repeats) and counts them."""

    def __init__(self, frames: list[bytes]) -> None:
        super().__init__(1080, 2400)
        self.frames, self.shots = frames, 0

    def get_screenshot_as_png(self) -> bytes:
        self.shots += 1
        return self.frames[min(self.shots, len(self.frames)) - 1]


def png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


@pytest.fixture
def polled(tmp_path: Path, buy_button: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    """A library with taobao/buy and taobao/other; counts the matches made."""
    write_template(tmp_path, "taobao/buy", buy_button, META)
    write_template(tmp_path, "taobao/other", cv2.rotate(buy_button, cv2.ROTATE_180), META)
    calls: list[int] = []
    real_find = screen_module.find

    def counting_find(*args: object, **kwargs: object) -> Match:
        calls.append(1)
        return real_find(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(screen_module, "find", counting_find)
    monkeypatch.setattr(wait, "POLL_S", 0.0)
    return tmp_path, calls


def test_an_unchanged_screen_is_not_matched_again(polled: tuple[Path, list[int]]) -> None:
    root, calls = polled
    blank = png(draw_screen(CAPTURE_SCALE, buttons=()))
    driver = FrameDriver([blank] * 6 + [png(draw_screen(CAPTURE_SCALE))])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(root), Evidence(root), "off", 2.625)
    misses: list[int] = []
    match = screen.expect("taobao/buy", timeout=10, on_miss=lambda: misses.append(driver.shots))
    assert match.found and driver.shots == 8  # each new screen is matched once it shows twice (steady)
    assert len(calls) == 2  # the blank screen once, the screen with the button once
    assert misses == [2, 3, 4, 5, 6]  # after each look that missed; not after a screen's first, changed frame


def test_expect_any_takes_one_screenshot_per_round(polled: tuple[Path, list[int]]) -> None:
    root, calls = polled
    driver = FrameDriver([png(draw_screen(CAPTURE_SCALE))])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(root), Evidence(root), "off", 2.625)
    state, match = screen.expect_any(["taobao/other", "taobao/buy"], timeout=10)
    assert state == "taobao/buy" and match.found
    assert driver.shots == 2 and len(calls) == 2  # both states matched on the same (steady) screenshot


def frame(pixel: int, buttons: bool = True) -> bytes:
    """A screen, made different from its neighbours by one pixel (a transition's frames differ)."""
    image = draw_screen(CAPTURE_SCALE) if buttons else draw_screen(CAPTURE_SCALE, buttons=())
    image[0, 0] = (pixel, pixel, pixel)
    return png(image)


def test_frames_of_a_transition_are_not_matched(polled: tuple[Path, list[int]]) -> None:
    root, calls = polled
    driver = FrameDriver([frame(1, False), frame(2, False), frame(3, False), frame(4)])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(root), Evidence(root), "off", 2.625)
    misses: list[int] = []
    assert screen.expect("taobao/buy", timeout=10, on_miss=lambda: misses.append(driver.shots)).found
    assert driver.shots == 5 and len(calls) == 1  # only the screen that stayed was matched
    assert misses == []  # a transition's frames are not looks that missed: nothing to dismiss after them


def test_a_screen_that_keeps_changing_is_matched_all_the_same(
    polled: tuple[Path, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, calls = polled
    monkeypatch.setattr(screen_module, "MOVING_LIMIT_S", 0.0)
    driver = FrameDriver([frame(1, False), frame(2)])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(root), Evidence(root), "off", 2.625)
    assert screen.expect("taobao/buy", timeout=10).found
    assert driver.shots == 2 and len(calls) == 2  # each changing frame matched once the limit has passed


def test_a_transition_still_running_when_the_time_is_up_is_matched_as_it_is(polled: tuple[Path, list[int]]) -> None:
    root, calls = polled
    driver = FrameDriver([frame(1, False), frame(2)])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(root), Evidence(root), "off", 2.625)
    screen.screenshot()  # the blank frame, seen before the wait
    assert screen.expect("taobao/buy", timeout=0).found  # the first frame of a change, but the last look
    assert driver.shots == 2 and len(calls) == 1


class NotInFront(Exception):
    """What a phone's guard raises when none of the apps under test is in front."""


def test_a_screen_wait_runs_the_guard_before_it_gives_up(polled: tuple[Path, list[int]]) -> None:
    root, _ = polled
    driver = FrameDriver([png(draw_screen(CAPTURE_SCALE, colour=GREY))])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(root), Evidence(root), "off", 2.625)
    guarded: list[int] = []
    screen.guard = lambda: guarded.append(driver.shots)
    with pytest.raises(StateNotReached, match=r"^Timed out after 0.1 s while waiting for screen state 'taobao/buy' or"):
        screen.expect_any(["taobao/buy", "taobao/other"], timeout=0.1)
    assert guarded == [driver.shots]  # once, after the last look
    with pytest.raises(StateNotReached, match=r"Closest: 'taobao/buy' at confidence 0\.\d\d \(needs 0\.85\) at \["):
        screen.expect("taobao/buy", timeout=0)

    def gone() -> None:
        raise NotInFront("droid: no app under test is in front")

    screen.guard = gone
    with pytest.raises(NotInFront):
        screen.expect("taobao/buy", timeout=0)
    driver.frames = [png(draw_screen(CAPTURE_SCALE))]
    with pytest.raises(NotInFront):
        screen.expect_not("taobao/buy", timeout=0)


def test_the_state_is_found_below_more_lookalikes_than_one_batch_of_places() -> None:
    """A group chat where four other phones posted the same link (white) above ours (green), seen in a CI run.

    The first places the search keeps all look alike and fail on colour; the search goes on to the
    next ones rather than give up, and finds our own message at the bottom.
    """
    screen = cv2.imread(str(SCREENS / "ios-group-own-link-below-four-alike.png"))
    template = TemplateLibrary(Path(__file__).parents[2] / "screenshots").get("ios", "wechat/my_taobao_url")
    assert template.capture_scale is not None
    found = find(screen, template, scale_hint=3 / template.capture_scale)
    assert found.found, found
    x, y, _, _ = cast(Box, found.box)
    assert y > 1900 and x > 250  # the green bubble on the right, not a white one on the left


def test_a_label_whose_pixels_agree_but_not_its_confused_character_s_tile_is_told_apart_by_drawing() -> None:
    """Redmi 9A's JD page drawn in Noto Sans CJK SC by the farm: 打开京东App keeps its shape (structure
    0.95, detail 0.88, its words read) but 京's tile, cut from WenQuanYi Micro Hei, does not (glyphs
    0.73). Its words agreed, so they are drawn in the screen's font, where 京 beats 亰."""
    library = TemplateLibrary(Path(__file__).parents[2] / "screenshots")
    screen = cv2.imread(str(SCREENS / "redmi-9a-noto-jd-page.png"))
    jd, tmall = library.get("android", "wechat/h5_jd"), library.get("android", "wechat/h5_tmall")
    found = find(screen, jd, scale_hint=2.0 / cast(float, jd.capture_scale))
    assert found.found and found.scores.get("words") == match_module.WORDS_CEILING, found
    assert np.allclose(cast(Box, found.box), (491, 168, 209, 65), atol=4)
    assert not find(screen, tmall, scale_hint=2.0 / cast(float, tmall.capture_scale)).found


def test_my_link_s_head_is_found_on_its_line_in_another_font() -> None:
    """Redmi 9A's chat drawn in Noto Sans CJK SC by the farm: the link now begins on 【淘宝】's line.
    The template's 】 touches its edge and may be cut, so three characters are looked for on the line;
    the template's words (four with brackets) are what make it long enough to be looked for at all."""
    library = TemplateLibrary(Path(__file__).parents[2] / "screenshots")
    screen = cv2.imread(str(SCREENS / "redmi-9a-noto-chat.png"))
    mine, theirs = library.get("android", "wechat/my_link"), library.get("android", "wechat/their_link")
    found = find(screen, mine, scale_hint=2.0 / cast(float, mine.capture_scale))
    assert found.found, found
    x, y, _, _ = cast(Box, found.box)
    assert 150 <= x <= 220 and 950 <= y <= 1000  # the Tao password's bubble, its first line
    assert not find(screen, theirs, scale_hint=2.0 / cast(float, theirs.capture_scale)).found


def test_a_bare_template_is_read_with_room_around_its_words(tmp_path: Path) -> None:
    """iPhone 13's 去微信粘贴, a bare PNG (no sidecar, no resolution), on iPhone 8's dialog at 2 px/pt: its words
    fill the button's middle 70 %, and read cut tight to their ink there they came out 去微信粘购."""
    bare = tmp_path / "go_paste.png"
    bare.write_bytes((Path(__file__).parents[2] / "screenshots" / "ios" / "taobao" / "go_paste.png").read_bytes())
    image, mask = read_image(bare)
    template = with_read_text(Template(image, mask=mask, path=bare))
    assert template.text == "去微信粘贴"
    found = find(cv2.imread(str(SCREENS / "iphone-8-password-copied.png")), template)
    assert found.found and found.text is not None and "去微信粘贴" in found.text, found
    assert np.allclose(cast(Box, found.box), (433, 803, 152, 44), atol=3)


def test_declared_words_are_read_where_the_template_shows_them(tmp_path: Path) -> None:
    """An app of our own design (benchmarks/vision_own.py): its dialog's 删除, declared with no text box, cut at
    2.75 px/dp and shown at 2: read over the whole button (its divider and border with it) it came out 系."""
    for name in ("own-delete.png", "own-delete.yaml"):
        (tmp_path / name).write_bytes((SCREENS / name).read_bytes())
    template = template_from(tmp_path / "own-delete.png", read_meta(tmp_path / "own-delete.yaml"))
    assert template.text == "删除" and template.text_box is None and template.words_box is not None
    found = find(cv2.imread(str(SCREENS / "own-hd-delete-dialog.png")), template, scale_hint=2.0 / 2.75)
    assert found.found and found.text is not None and "删除" in found.text, found


# -- the fast path ----------------------------------------------------------------------------
def draw_label(text: str, scale: float) -> np.ndarray:
    """A 360×640 dp page with one orange button labelled ``text`` at (40, 500) dp, drawn at ``scale``."""
    size = (round(360 * scale), round(640 * scale))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    x0, y0, w, h = button_box(scale)
    draw.rounded_rectangle((x0, y0, x0 + w, y0 + h), radius=round(24 * scale), fill=ORANGE)
    draw.text(
        (x0 + w / 2, y0 + h / 2), text, fill="white", font=ImageFont.truetype(FONT, round(18 * scale)), anchor="mm"
    )
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def test_a_near_copy_at_the_predicted_scale_is_answered_without_reading_its_words() -> None:
    template = Template(cut(draw_label("立即购买", CAPTURE_SCALE), button_box(CAPTURE_SCALE)), text="立即购买")
    match = find(draw_label("立即购买", CAPTURE_SCALE), template, scale_hint=1.0)
    assert match.found and "text" not in match.scores  # the fast path: a copy this close shows the words
    assert_near(match.box, button_box(CAPTURE_SCALE), 2)


@pytest.mark.parametrize(("label", "changed"), [("已停止访问", "己停止访问"), ("打开天猫App", "打开夭猫App")])
@pytest.mark.parametrize("density", [CAPTURE_SCALE, 3.5])
def test_one_changed_stroke_is_never_taken_by_the_fast_path(label: str, changed: str, density: float) -> None:
    """One stroke less: the whole still correlates above 0.98 and every detail tile above 0.9. The fast path
    must not take it: not as a near copy (a spot differs by a stroke), nor when it verifies the place (the
    recogniser reads 己 as 已: the character's own tiles differ) — on a copy's screen nor on a denser one,
    where the template is enlarged."""
    template = with_read_text(Template(cut(draw_label(label, CAPTURE_SCALE), button_box(CAPTURE_SCALE)), text=label))
    image = match_module.ScreenImage(draw_label(changed, density))
    grey = cv2.cvtColor(template.image, cv2.COLOR_BGR2GRAY)
    assert match_module._fast(image, template, grey, density / CAPTURE_SCALE) is None


def test_an_enlarged_template_is_answered_at_the_predicted_scale_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a denser screen (3.5 px/dp; the template cut at 2.625) an enlarged template is blurrier than the
    screen, never a near copy: its one place at the predicted scale is verified, words read, with no search
    over the other scales."""
    template = Template(cut(draw_label("立即购买", CAPTURE_SCALE), button_box(CAPTURE_SCALE)), text="立即购买")

    def no_search(*_: object) -> None:
        raise AssertionError("the full search ran")

    monkeypatch.setattr(match_module, "candidate_scales", no_search)
    match = find(draw_label("立即购买", 3.5), template, scale_hint=3.5 / CAPTURE_SCALE)
    assert match.found and match.text == "立即购买" and match.scores["text"] == 1.0, match
    assert_near(match.box, button_box(3.5), 3)


def test_words_read_in_a_region_are_placed_on_the_whole_screenshot(tmp_path: Path) -> None:
    """Lines are read in the region only, once per screenshot, and their boxes are the screenshot's."""
    page = draw_screen(CAPTURE_SCALE)  # 立即购买 on the button at BUY_Y; the page's head at 40 dp
    driver = FrameDriver([png(page)])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(tmp_path), Evidence(tmp_path), "off")
    x, y, w, h = button_box(CAPTURE_SCALE)
    region = (0, y - 20, page.shape[1], h + 40)
    found = screen.words("购买", region)
    assert found is not None and found.box is not None
    fx, fy, fw, fh = found.box
    assert y <= fy and fy + fh <= y + h and x + w // 2 <= fx + fw // 2 <= x + w, found.box  # 购买: the right half
    assert screen.words("商品详情", region) is None  # on the page, not in the region
    assert screen.lines(region) is screen.lines(region)  # read once


def test_a_skipped_transition_frame_is_never_decoded(
    polled: tuple[Path, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = polled
    decoded: list[int] = []
    real_decode = screen_module.decode_png

    def counting_decode(data: bytes) -> np.ndarray:
        decoded.append(1)
        return real_decode(data)

    monkeypatch.setattr(screen_module, "decode_png", counting_decode)
    driver = FrameDriver([frame(1, False), frame(2, False), frame(3, False), frame(4)])
    screen = Screen(cast(webdriver.Remote, driver), "android", TemplateLibrary(root), Evidence(root), "off", 2.625)
    assert screen.expect("taobao/buy", timeout=10).found
    assert decoded == [1]  # only the screen that stayed


# -- text states in another font --------------------------------------------------------------
OTHER_FONTS = {  # path, face index: Noto's collection holds SC at 2
    "Noto Sans CJK SC": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "WenQuanYi Zen Hei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "AR PL UMing": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
}


def draw_in(text: str, scale: float, font: tuple[str, int], colour: tuple[int, int, int] = ORANGE) -> np.ndarray:
    """The page of :func:`draw_label`, its words drawn in ``font`` (path, face index)."""
    size = (round(360 * scale), round(640 * scale))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (round(16 * scale), round(40 * scale)),
        "淘宝 商品详情",
        fill="black",
        font=ImageFont.truetype(font[0], round(16 * scale), index=font[1]),
    )
    x0, y0, w, h = button_box(scale)
    draw.rounded_rectangle((x0, y0, x0 + w, y0 + h), radius=round(24 * scale), fill=colour)
    label = ImageFont.truetype(font[0], round(18 * scale), index=font[1])
    draw.text((x0 + w / 2, y0 + h / 2), text, fill="white", font=label, anchor="mm")
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def label_template(text: str) -> Template:
    """A button's template recorded in WenQuanYi Micro Hei, its words read from it as a library's are."""
    image = cut(draw_label(text, CAPTURE_SCALE), button_box(CAPTURE_SCALE))
    return with_read_text(Template(image, capture_resolution=(945, 1680), capture_scale=CAPTURE_SCALE))


@pytest.mark.parametrize("font", OTHER_FONTS)
def test_a_text_state_drawn_in_another_font_is_found_by_its_words(font: str) -> None:
    template = label_template("继续访问")
    match = find(draw_in("继续访问", 2.0, OTHER_FONTS[font]), template, 2.0 / CAPTURE_SCALE)
    assert match.found and match.scores.get("words") == match_module.WORDS_CEILING
    assert_near(match.box, button_box(2.0), 6)


@pytest.mark.parametrize("density", [2.625, 3.5])
@pytest.mark.parametrize("label", ["打开淘宝App", "立即购买"])
def test_a_label_noto_draws_is_found_where_its_other_words_shift_the_place(label: str, density: float) -> None:
    """Noto's words pull the template's correlation a pixel or two off the button (st 0.83–0.88): the
    button's plain part, compared at that place, meets its rim. Like every tile, a plain one may move."""
    match = find(
        draw_in(label, density, OTHER_FONTS["Noto Sans CJK SC"]), label_template(label), density / CAPTURE_SCALE
    )
    assert match.found, match
    assert_near(match.box, button_box(density), 4)


def with_badge(screen: np.ndarray, density: float) -> np.ndarray:
    """``screen`` with a red dot 6 dp wide on the plain part of its button right of its words (inside one of the
    template's tiles, half its height wide: one astride four tiles' corner is a known miss)."""
    x, y, _, _ = button_box(density)
    centre = (x + round(216 * density), y + round(12 * density))
    return cv2.circle(screen.copy(), centre, round(3 * density), RED[::-1], -1, cv2.LINE_AA)


@pytest.mark.parametrize("density", [2.0, CAPTURE_SCALE, 3.5])
def test_a_badge_on_a_plain_part_is_never_moved_out_of_sight(density: float) -> None:
    """A plain tile may move by a pixel or two; a dot 6 dp wide stays in it wherever it moves."""
    template = label_template("立即购买")
    assert find(draw_label("立即购买", density), template, density / CAPTURE_SCALE).found
    assert not find(with_badge(draw_label("立即购买", density), density), template, density / CAPTURE_SCALE).found
    noto = draw_in("立即购买", density, OTHER_FONTS["Noto Sans CJK SC"])
    assert find(noto, template, density / CAPTURE_SCALE).found
    assert not find(with_badge(noto, density), template, density / CAPTURE_SCALE).found


@pytest.mark.parametrize("font", OTHER_FONTS)
def test_in_another_font_one_changed_character_or_colour_still_fails(font: str) -> None:
    template = label_template("继续访问")
    assert not find(draw_in("继续访间", 2.0, OTHER_FONTS[font]), template, 2.0 / CAPTURE_SCALE).found
    assert not find(draw_in("继续访问", 2.0, OTHER_FONTS[font], GREY), template, 2.0 / CAPTURE_SCALE).found


@pytest.mark.parametrize("font", OTHER_FONTS)
def test_a_confused_character_in_a_font_this_machine_has_is_told_from_its_look_alike(font: str) -> None:
    """己 reads as 已 in every font: the words are drawn again in the screen's font, where 已 and 己 differ."""
    template = label_template("已停止访问")
    assert find(draw_in("已停止访问", 2.0, OTHER_FONTS[font]), template, 2.0 / CAPTURE_SCALE).found
    assert not find(draw_in("己停止访问", 2.0, OTHER_FONTS[font]), template, 2.0 / CAPTURE_SCALE).found
    assert not find(draw_in("巳停止访问", 2.0, OTHER_FONTS[font]), template, 2.0 / CAPTURE_SCALE).found


def test_words_the_recogniser_confuses_never_decide_alone_in_a_font_this_machine_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The phone's font is not installed here: no drawing tells 已 from 己, so the words are not trusted."""
    path, _ = OTHER_FONTS["Noto Sans CJK SC"]
    installed = glyphs.faces()
    monkeypatch.setattr(glyphs, "faces", lambda: tuple(f for f in installed if f.path != path))
    assert any(f.path == path for f in installed)  # the font is here, hidden from the matcher
    template = label_template("已停止访问")
    assert not find(draw_in("已停止访问", 2.0, OTHER_FONTS["Noto Sans CJK SC"]), template, 2.0 / CAPTURE_SCALE).found


def test_a_template_that_is_all_words_is_found_in_another_font() -> None:
    """Its words fill it: nothing is left outside them to compare by detail (and nothing breaks)."""
    x, y, w, h = button_box(CAPTURE_SCALE)
    inner = (x + w // 4, y + h // 6, w // 2, h * 2 // 3)
    template = with_read_text(
        Template(
            cut(draw_label("继续访问", CAPTURE_SCALE), inner),
            capture_resolution=(945, 1680),
            capture_scale=CAPTURE_SCALE,
        )
    )
    match = find(draw_in("继续访问", 2.0, OTHER_FONTS["AR PL UMing"]), template, 2.0 / CAPTURE_SCALE)
    assert match.found and match.scores.get("words") == match_module.WORDS_CEILING


def test_a_template_whose_threshold_was_raised_for_its_near_misses_is_never_found_by_words() -> None:
    """iOS's 允许粘贴 (threshold 0.95) is also the tail of 不允许粘贴: its words prove nothing."""
    template = dataclasses.replace(label_template("继续访问"), threshold=match_module.WORDS_CEILING)
    font = OTHER_FONTS["AR PL UMing"]
    assert not find(draw_in("继续访问", 2.0, font), template, 2.0 / CAPTURE_SCALE).found
    assert find(draw_in("继续访问", 2.0, font), label_template("继续访问"), 2.0 / CAPTURE_SCALE).found


MICRO_HEI = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0)
BUBBLE_GREEN, CHAT_GREY, LINK_INK = (149, 236, 105), (237, 237, 237), (87, 107, 149)
LINK = "https://item.taobao.com/item.htm?id=652419876401"


def chat_with_link(font: tuple[str, int], bubble: tuple[int, int, int] = BUBBLE_GREEN, link: str = LINK) -> np.ndarray:
    """A 390×844 pt chat at @3x with one message bubble holding ``link``, wrapped where ``font`` fills the
    bubble's 240 pt of text (as a chat lays a message out), under someone's message with other words."""
    scale = 3
    image = Image.new("RGB", (390 * scale, 844 * scale), CHAT_GREY)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(font[0], 17 * scale, index=font[1])
    draw.rounded_rectangle((16 * scale, 80 * scale, 200 * scale, 130 * scale), radius=4 * scale, fill="white")
    draw.text((28 * scale, 92 * scale), "今天有什么推荐", font=face, fill=(25, 25, 25))
    lines, line = [], ""
    for ch in link:
        if face.getlength(line + ch) > 240 * scale:
            lines.append(line)
            line = ""
        line += ch
    lines.append(line)
    top, x0 = 300 * scale, 120 * scale
    height = (len(lines) * 24 + 24) * scale
    draw.rounded_rectangle((x0, top, x0 + 264 * scale, top + height), radius=4 * scale, fill=bubble)
    for i, text in enumerate(lines):
        draw.text((x0 + 12 * scale, top + (12 + 24 * i) * scale), text, font=face, fill=LINK_INK)
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def first_line_template(link: str = LINK) -> Template:
    """My message's link as a library cuts it: its first line's first 220 pt, tight to the words (no chat
    around them), recorded in WenQuanYi Micro Hei, its words read from it; its sidecar says it flows."""
    screen = chat_with_link(MICRO_HEI, link=link)
    box = (132 * 3, 310 * 3, 220 * 3, 26 * 3)
    image = cut(screen, box)
    return with_read_text(Template(image, capture_resolution=(1170, 2532), capture_scale=3.0, flows=True))


def test_a_template_that_does_not_flow_is_not_looked_for_on_lines() -> None:
    """Words held whole (a button, a label) stay on one line: only a flowing template pays for detection.
    In AR PL UMing the link's shape correlates nowhere near (0.34): its line is the only way to it."""
    template = dataclasses.replace(first_line_template(), flows=False)
    assert not find(chat_with_link(OTHER_FONTS["AR PL UMing"]), template, 1.0).found


@pytest.mark.parametrize("font", OTHER_FONTS)
def test_a_link_another_font_wraps_elsewhere_is_found(font: str) -> None:
    """The first line holds other characters in another font: the template's shape matches nowhere, its
    words begin the line text detection finds there."""
    template = first_line_template()
    assert template.text and template.text.startswith("https://item")
    match = find(chat_with_link(OTHER_FONTS[font]), template, 1.0)
    assert match.found and match.scores.get("words") == match_module.WORDS_CEILING
    x, y = cast(Box, match.box)[:2]
    assert 120 * 3 <= x <= 140 * 3 and 300 * 3 <= y <= 320 * 3


@pytest.mark.parametrize("font", OTHER_FONTS)
def test_the_link_on_a_line_is_not_found_in_someone_else_s_bubble_or_changed(font: str) -> None:
    template = first_line_template()
    assert not find(chat_with_link(OTHER_FONTS[font], bubble=(255, 255, 255)), template, 1.0).found
    changed = LINK.replace("taobao", "taabao")
    assert not find(chat_with_link(OTHER_FONTS[font], link=changed), template, 1.0).found


TMALL = "https://detail.tmall.com/item.htm?id=612300000501"


@pytest.mark.parametrize("font", OTHER_FONTS)
def test_a_look_alike_letter_on_the_line_is_told_apart(font: str) -> None:
    """The recogniser reads tma1l as tmall (Noto) and tmall as tma11 (UMing): on the line the template's
    own letters are drawn in the screen's font and must beat their look-alikes there. AR PL UMing draws
    l and 1 alike (a pixel's shift decides between them), so there its line is not trusted at all."""
    template = first_line_template(TMALL)
    assert template.text.startswith("https://detail.tmall")
    if font != "AR PL UMing":
        assert find(chat_with_link(OTHER_FONTS[font], link=TMALL), template, 1.0).found
    assert not find(chat_with_link(OTHER_FONTS[font], link=TMALL.replace("tmall", "tma1l")), template, 1.0).found


def test_a_cross_is_found_over_whatever_shows_through_its_ring() -> None:
    """An iPhone 8's Tmall item page under Taobao's promotion: its × sits over the shop's name, whose words show
    through the ring (seen in a run: unmasked, the template reached 0.83 there and the promotion stayed). The
    template counts the ring and the cross only (its PNG's alpha), so what is behind them does not count."""
    library = TemplateLibrary(Path(__file__).parents[2] / "screenshots")
    cross = library.get("ios", "taobao/promo_close")
    assert cross.mask is not None and 0.1 < (cross.mask > 0).mean() < 0.5
    screen = cv2.imread(str(SCREENS / "iphone-8-promo-cross-over-shop-row.png"))
    found = find(screen, cross, scale_hint=2 / cast(float, cross.capture_scale))
    assert found.found, found
    x, y, w, h = cast(Box, found.box)
    assert abs(x + w / 2 - 375) < 10 and abs(y + h / 2 - 1023) < 10  # the ×, not a round button of the page
    assert not find(cv2.imread(str(SCREENS / "iphone-8-password-copied.png")), cross).found
