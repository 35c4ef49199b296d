"""Evidence: JPEG step shots, PNG failures, the expected-vs-candidate side-by-side, bounded texts, the video."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import allure_commons
import cv2
import numpy as np
import pytest
from allure_commons.types import AttachmentType
from appium import webdriver
from pools import DROID, pool

from shareflow import evidence as evidence_module
from shareflow import secrets, wait
from shareflow.evidence import (
    BACKGROUND,
    CUT_MARK,
    EMPTY,
    MAX_EDGE,
    REPORT_EDGE,
    Evidence,
    side_by_side,
    zoom_of,
)
from shareflow.screen import Screen, StateNotReached
from shareflow.vision.match import Match
from shareflow.vision.templates import TemplateLibrary
from shareflow_sim.scenario import NOISELESS

SCREEN_W, SCREEN_H = 540, 960
BUTTON = (60, 600, 240, 60)  # x, y, w, h of the button on the synthetic screen
ORANGE, GREY = (0, 80, 255), (150, 150, 150)  # BGR: the button as its template shows it, and a look-alike
META = f"capture_resolution: [{SCREEN_W}, {SCREEN_H}]\ncapture_scale: 1.5\n"
JPEG_MAGIC, PNG_MAGIC = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]
INNER_TIMEOUT_S = 180
FARM_POOL = pool(DROID)
QUIET = f"noise: {json.dumps({**NOISELESS, 'transition_ms': [150, 150]})}\n"
INNER_TESTS = """
def test_passes(phone):
    assert phone.driver.get_window_rect()["width"] > 0

def test_fails(phone, taobao, screen):
    taobao.open_item("652419876401")
    screen.expect("wechat/blocked", timeout=1)
"""


class Attachments:
    """Records what is attached to Allure, as allure-pytest's listener would receive it."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[AttachmentType, bytes | str]] = {}

    @allure_commons.hookimpl
    def attach_data(self, body: bytes | str, name: str, attachment_type: AttachmentType, extension: str) -> None:
        self.seen[name] = (attachment_type, body)


@pytest.fixture
def attached() -> Iterator[Attachments]:
    recorder = Attachments()
    allure_commons.plugin_manager.register(recorder)
    yield recorder
    allure_commons.plugin_manager.unregister(recorder)


def button(colour: tuple[int, int, int]) -> np.ndarray:
    """A labelled button (BGR), the template of the ``shop/buy`` state when orange."""
    _, _, w, h = BUTTON
    image = np.full((h, w, 3), colour, np.uint8)
    cv2.putText(image, "BUY NOW", (44, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (255, 255, 255), 3, cv2.LINE_AA)
    cv2.rectangle(image, (8, 8), (w - 9, h - 9), (255, 255, 255), 2)
    return image


def screen_with(colour: tuple[int, int, int]) -> np.ndarray:
    """A white screen with a header and the button in ``colour``."""
    image = np.full((SCREEN_H, SCREEN_W, 3), 255, np.uint8)
    cv2.putText(image, "item page", (30, 90), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (30, 30, 30), 3, cv2.LINE_AA)
    x, y, w, h = BUTTON
    image[y : y + h, x : x + w] = button(colour)
    return image


class StillDriver:
    """Serves one screenshot until told to show another; its app has no node tree."""

    page_source = "<hierarchy/>"

    def __init__(self, image: np.ndarray) -> None:
        self.show(image)

    def show(self, image: np.ndarray) -> None:
        self.png = cv2.imencode(".png", image)[1].tobytes()

    def get_screenshot_as_png(self) -> bytes:
        return self.png


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Screen, StillDriver, Path]:
    """A screen of the synthetic shop (``shop/buy`` in the library), its driver and its evidence folder."""
    library = TemplateLibrary(tmp_path / "templates")
    png, meta = library.paths("android", "shop/buy")
    png.parent.mkdir(parents=True)
    cv2.imwrite(str(png), button(ORANGE))
    meta.write_text(META, encoding="utf-8")
    monkeypatch.setattr(wait, "POLL_S", 0.0)
    driver = StillDriver(screen_with(ORANGE))
    folder = tmp_path / "evidence"
    screen = Screen(cast(webdriver.Remote, driver), "android", library, Evidence(folder), "on", 1.5)
    return screen, driver, folder


# -- image formats ---------------------------------------------------------------------------
def test_found_steps_are_jpeg_and_failures_png(shop: tuple[Screen, StillDriver, Path], attached: Attachments) -> None:
    screen, driver, folder = shop
    assert screen.expect("shop/buy", timeout=10).found
    with pytest.raises(StateNotReached, match=r"^Timed out after 0.2 s while waiting for screen state 'shop/buy' to"):
        screen.expect_not("shop/buy", timeout=0.2)
    driver.show(screen_with(GREY))
    with pytest.raises(StateNotReached) as missed:
        screen.expect("shop/buy", timeout=0.2)
    assert re.fullmatch(
        r"Timed out after 0.2 s while waiting for screen state 'shop/buy'\. "
        r"Closest: 'shop/buy' at confidence 0\.\d\d \(needs 0\.85\) at \[60, 600, 240, 60\]",
        str(missed.value),
    ), str(missed.value)
    assert missed.value.match is not None and missed.value.match.best == BUTTON
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "01-shop_buy_found.jpg",
        "02-shop_buy_still_shown.png",
        "03-shop_buy_not_reached.png",
        "04-shop_buy_expected_vs_best_candidate.png",
    ]
    kinds = {name: kind for name, (kind, _) in attached.seen.items()}
    assert kinds == {
        "shop/buy found": AttachmentType.JPG,
        "shop/buy still shown": AttachmentType.PNG,
        "shop/buy not reached": AttachmentType.PNG,
        "shop/buy: expected vs best candidate": AttachmentType.PNG,
    }
    for path in folder.iterdir():
        data = path.read_bytes()
        assert data.startswith(JPEG_MAGIC if path.suffix == ".jpg" else PNG_MAGIC), path.name
    step = decode(attached.seen["shop/buy found"][1])
    assert step.shape == (REPORT_EDGE, 405, 3)  # the report's copy of the 540x960 step, scaled down
    assert attached.seen["shop/buy: expected vs best candidate"][1] == (folder / names[3]).read_bytes()  # whole


def decode(data: bytes | str) -> np.ndarray:
    assert isinstance(data, bytes)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def phone_screen() -> np.ndarray:
    """A 1440x3200 screen (a Galaxy S21 Ultra's) of text lines on white, as a step shot shows one."""
    image = np.full((3200, 1440, 3), 255, np.uint8)
    for y in range(200, 3100, 120):
        cv2.putText(image, f"line {y} of the chat", (60, y), cv2.FONT_HERSHEY_SIMPLEX, 2.4, (40, 40, 40), 5)
    return image


def test_the_report_gets_a_downscaled_step_shot_and_the_folder_the_full_one(
    tmp_path: Path, attached: Attachments
) -> None:
    match = Match(True, 0.99, (100, 900, 600, 160), (100, 900, 600, 160), 1.0, 1.0, {"structure": 0.99})
    path = Evidence(tmp_path).match("taobao/item found", phone_screen(), match, "taobao/item")
    kind, data = attached.seen["taobao/item found"]
    assert kind == AttachmentType.JPG and isinstance(data, bytes) and data.startswith(JPEG_MAGIC)
    shown, kept = decode(data), cv2.imread(str(path))
    assert max(kept.shape[:2]) == MAX_EDGE and kept.shape[:2] == (MAX_EDGE, 576)  # the folder: 1280 px, as before
    assert shown.shape[:2] == (REPORT_EDGE, 324)  # the report: the same picture, scaled down
    assert len(data) < path.stat().st_size / 2
    again = cv2.resize(kept, (324, REPORT_EDGE), interpolation=cv2.INTER_AREA)
    assert np.abs(shown.astype(int) - again.astype(int)).mean() < 4


def test_the_report_gets_a_bounded_screen_at_failure_and_the_whole_side_by_side(
    tmp_path: Path, attached: Attachments
) -> None:
    evidence = Evidence(tmp_path)
    screen = phone_screen()
    at_failure = evidence.image("droid: screen at failure", screen)
    assert cv2.imread(str(at_failure)).shape == screen.shape  # every pixel on disk
    kind, data = attached.seen["droid: screen at failure"]
    assert kind == AttachmentType.PNG and isinstance(data, bytes) and data.startswith(PNG_MAGIC)
    assert decode(data).shape[:2] == (MAX_EDGE, 576)
    match = Match(False, 0.63, None, (100, 900, 600, 160), 1.0, 1.0, {"structure": 0.63})
    pair = evidence.comparison("shop/buy", button(ORANGE), screen, match, 0.85)
    assert attached.seen["shop/buy: expected vs best candidate"][1] == pair.read_bytes()  # whole in both


def test_step_shots_are_bounded_in_size(tmp_path: Path, attached: Attachments) -> None:
    screen = np.random.default_rng(3).integers(0, 256, (3200, 1440, 3), dtype=np.uint8)  # worst case for JPEG
    match = Match(True, 0.99, (100, 900, 600, 160), (100, 900, 600, 160), 1.0, 1.0, {"structure": 0.99})
    path = Evidence(tmp_path).match("taobao/item found", screen, match, "taobao/item")
    shot = cv2.imread(str(path))
    assert max(shot.shape[:2]) == MAX_EDGE
    assert path.stat().st_size < 1_200_000  # a 1440x3200 PNG of this is over 13 MB


# -- the side-by-side --------------------------------------------------------------------------
def place_of(image: np.ndarray, part: np.ndarray) -> tuple[tuple[int, int], float]:
    """Where ``part`` fits ``image`` best (x, y) and how far off it is there (normalised squared difference)."""
    result = cv2.matchTemplate(image, part, cv2.TM_SQDIFF_NORMED)
    low, _, at, _ = cv2.minMaxLoc(result)
    return at, low


def test_side_by_side_shows_the_template_left_and_the_best_candidate_right() -> None:
    template = button(ORANGE)
    assert zoom_of(template) == 2  # 60 px tall: shown twice as large, by whole pixels
    screen = np.full((SCREEN_H, SCREEN_W, 3), 255, np.uint8)
    box = (90, 500, 360, 90)  # the candidate shows the button 1.5 times as large, with another colour
    screen[500:590, 90:450] = cv2.resize(button(GREY), (360, 90), interpolation=cv2.INTER_CUBIC)
    scores = {"structure": 0.91, "colour": 0.63, "detail": 0.88}
    match = Match(False, 0.63, None, box, 1.5, 40.0, scores)
    image = side_by_side(template, screen, match, "shop/buy", 0.85)

    zoomed = np.repeat(np.repeat(template, 2, axis=0), 2, axis=1)
    (left_x, left_y), _ = place_of(image, zoomed)
    assert np.array_equal(image[left_y : left_y + 120, left_x : left_x + 480], zoomed)  # the template's own pixels
    expected_crop = cv2.resize(button(GREY), (480, 120), interpolation=cv2.INTER_CUBIC)
    (right_x, right_y), off = place_of(image, expected_crop)
    assert off < 0.01
    assert right_y == left_y  # side by side, at the template's height
    assert right_x >= left_x + zoomed.shape[1]
    height, width = image.shape[:2]
    assert width >= zoomed.shape[1] + expected_crop.shape[1] and height >= zoomed.shape[0] + 60  # room for labels
    assert tuple(image[2, 2]) == tuple(image[-3, -3]) == BACKGROUND
    above = image[: left_y - 1]  # the labels are drawn above the pictures
    assert (above != BACKGROUND).any(axis=2).sum() > 500


def test_side_by_side_without_a_candidate_shows_a_blank_panel() -> None:
    template, screen = button(ORANGE), screen_with(GREY)
    with_place = side_by_side(template, screen, Match(False, 0.4, None, BUTTON, 1.0, 1.0), "shop/buy", 0.85)
    nowhere = side_by_side(template, screen, Match(False, 0.0, None, None, 1.0, 1.0), "shop/buy", 0.85)
    zoomed = np.repeat(np.repeat(template, 2, axis=0), 2, axis=1)
    (x, y), _ = place_of(nowhere, zoomed)
    assert np.array_equal(nowhere[y : y + 120, x : x + 480], zoomed)
    right = (slice(y, y + 120), slice(x + 480 + 40, x + 2 * 480))  # where the candidate would be
    assert np.all(nowhere[right] == EMPTY, axis=2).mean() > 0.8
    assert np.all(with_place[right] == EMPTY, axis=2).mean() < 0.05


def test_side_by_side_labels_say_what_was_expected_and_what_was_found() -> None:
    template, screen = button(ORANGE), screen_with(GREY)
    scores = {"structure": 0.91, "colour": 0.63, "detail": 0.88}
    with_place = side_by_side(template, screen, Match(False, 0.63, None, BUTTON, 1.0, 1.0, scores), "shop/buy", 0.85)
    nowhere = side_by_side(template, screen, Match(False, 0.0, None, None, 1.0, 1.0), "shop/buy", 0.85)
    width = max(with_place.shape[1], nowhere.shape[1])
    both = [
        cv2.copyMakeBorder(i, 0, 0, 0, width - i.shape[1], cv2.BORDER_CONSTANT, value=BACKGROUND)
        for i in (with_place, nowhere)
    ]
    read = "|".join(line.replace(" ", "") for line in ocr_lines(np.vstack(both)))
    for words in (
        "shop/buy:expectedvsbestcandidate",
        "expected",
        "240x60px,shownx2",
        f"bestcandidate:confidence0.63at{list(BUTTON)}".replace(" ", ""),
        "structure0.91colour0.63detail0.88",
        "needs0.85",
        "bestcandidate:none",
        "noplaceonthescreencameclose",
        "nocandidateplace",
    ):
        assert words in read, (words, read)


def ocr_lines(image: np.ndarray) -> list[str]:
    """The lines of text RapidOCR finds on ``image`` (detection and recognition)."""
    from rapidocr_onnxruntime import RapidOCR  # loads ONNX models: only here

    result, _ = RapidOCR()(image)
    return [str(line[1]) for line in result or []]


# -- page source, device log and video: bounded ----------------------------------------------------
def test_page_source_keeps_its_head_and_says_it_was_cut(
    tmp_path: Path, attached: Attachments, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence_module, "MAX_SOURCE_BYTES", 1000)
    secrets.register("s3cr3t-token-of-the-source")
    xml = "<hierarchy>" + "".join(f'<node text="商品 {i} s3cr3t-token-of-the-source"/>' for i in range(200))
    path = Evidence(tmp_path).page_source("droid: page source", xml + "</hierarchy>")
    assert path.name == "01-droid_page_source.xml"
    text = path.read_text(encoding="utf-8")  # a cut never splits a character
    assert text.startswith('<hierarchy><node text="商品 0 ******"/>')
    whole = len(secrets.redact(xml + "</hierarchy>").encode("utf-8")) / 1024
    assert text.endswith(f"\n<!-- {CUT_MARK}: first 1000 B of {whole:.1f} KB kept -->\n")
    assert len(text.encode("utf-8")) <= 1000 + 100
    assert "s3cr3t" not in text
    name = f"droid: page source (first 1000 B of {whole:.1f} KB kept)"
    assert attached.seen[name][0] == AttachmentType.XML


def test_device_log_keeps_its_tail_from_a_line_start(
    tmp_path: Path, attached: Attachments, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence_module, "MAX_LOG_BYTES", 1000)
    log = "\n".join(f"11-29 10:00:{i % 60:02d} I/WeChat: 消息 {i}" for i in range(300))
    path = Evidence(tmp_path).device_log("droid: device log", log)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(f"[{CUT_MARK}: last ") and lines[0].endswith(" kept]")
    assert lines[1].startswith("11-29 10:00:")  # a whole line
    assert lines[-1] == log.splitlines()[-1]
    assert len("\n".join(lines[1:]).encode("utf-8")) <= 1000
    ((name, (kind, _)),) = attached.seen.items()
    assert name.startswith("droid: device log (last ") and kind == AttachmentType.TEXT


def test_short_texts_are_whole(tmp_path: Path, attached: Attachments) -> None:
    evidence = Evidence(tmp_path)
    source = evidence.page_source("droid: page source", "<hierarchy/>")
    log = evidence.device_log("droid: device log", "one line")
    assert (source.read_text(encoding="utf-8"), log.read_text(encoding="utf-8")) == ("<hierarchy/>", "one line")
    assert set(attached.seen) == {"droid: page source", "droid: device log"}


def test_a_video_over_the_cap_is_not_kept_and_a_note_says_so(
    tmp_path: Path, attached: Attachments, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence_module, "MAX_VIDEO_BYTES", 1000)
    evidence = Evidence(tmp_path)
    kept = evidence.video("droid: video", b"\x00\x00\x00\x18ftypisom" + bytes(900))
    dropped = evidence.video("iphone: video", bytes(1001))
    assert kept.name == "01-droid_video.mp4" and attached.seen["droid: video"][0] == AttachmentType.MP4
    assert dropped.name == "02-iphone_video_not_kept.txt"
    assert "1001 B" in dropped.read_text(encoding="utf-8") and "1000 B cap" in dropped.read_text(encoding="utf-8")
    assert attached.seen["iphone: video not kept"][0] == AttachmentType.TEXT
    assert not list(tmp_path.glob("*iphone*.mp4"))


# -- a failing test on the embedded farm, recorded with --video retain-on-failure ---------------------
@dataclass(frozen=True)
class FarmRun:
    """A finished run of INNER_TESTS: its evidence folders and Allure results."""

    output: Path
    allure_dir: Path
    proc: subprocess.CompletedProcess[str]

    def folder(self, test: str) -> Path:
        return self.output / f"test_inner-{test}_droid"

    def attachments(self, test: str) -> dict[str, dict[str, Any]]:
        """Every attachment of ``test`` in Allure: its own, its steps' and its fixtures' (set-up and tear-down)."""
        results = [json.loads(p.read_text(encoding="utf-8")) for p in self.allure_dir.glob("*-result.json")]
        (result,) = [r for r in results if r["name"] == f"{test}[droid]"]
        found: list[dict[str, Any]] = []
        nodes = [result]
        for path in self.allure_dir.glob("*-container.json"):
            container = json.loads(path.read_text(encoding="utf-8"))
            if result["uuid"] in container.get("children", []):
                nodes += container.get("befores", []) + container.get("afters", [])
        while nodes:
            node = nodes.pop()
            found += node.get("attachments", [])
            nodes += node.get("steps", [])
        return {a["name"]: a for a in found}


def run_inner(folder: Path, *args: str) -> FarmRun:
    """INNER_TESTS run on the embedded farm in ``folder``, with ``args``."""
    (folder / "devices.yaml").write_text(FARM_POOL, encoding="utf-8")
    (folder / "quiet.yaml").write_text(QUIET, encoding="utf-8")
    (folder / "test_inner.py").write_text(INNER_TESTS, encoding="utf-8")
    output, allure_dir = folder / "out", folder / "allure"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--phones-file", str(folder / "devices.yaml")]
    argv += ["--sim-scenario", str(folder / "quiet.yaml"), "--shareflow-templates", str(ROOT / "screenshots")]
    argv += ["--shareflow-output", str(output), "--alluredir", str(allure_dir), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=INNER_TIMEOUT_S)
    return FarmRun(output, allure_dir, proc)


@pytest.fixture(scope="module")
def farm_run(tmp_path_factory: pytest.TempPathFactory) -> FarmRun:
    run = run_inner(tmp_path_factory.mktemp("video"), "--shareflow-video", "retain-on-failure")
    assert "1 failed, 1 passed" in run.proc.stdout, run.proc.stdout + run.proc.stderr
    return run


def test_screenshot_off_keeps_no_image_yet_a_failure_s_page_source_and_log(tmp_path: Path) -> None:
    run = run_inner(tmp_path, "--shareflow-screenshot", "off", "-k", "test_fails")
    assert "1 failed" in run.proc.stdout, run.proc.stdout + run.proc.stderr
    assert sorted(p.name for p in run.folder("test_fails").iterdir()) == [
        "01-droid_page_source.xml",
        "02-droid_device_log.txt",
    ]
    assert set(run.attachments("test_fails")) == {"droid: page source", "droid: device log"}


def test_failed_test_keeps_its_video_on_disk_and_in_allure(farm_run: FarmRun) -> None:
    (video,) = farm_run.folder("test_fails").glob("*.mp4")
    assert video.name.endswith("-droid_video.mp4")
    data = video.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 1000  # an ISO-BMFF (MP4) file begins with its ftyp box
    attachment = farm_run.attachments("test_fails")["droid: video"]
    assert attachment["type"] == "video/mp4"
    assert (farm_run.allure_dir / attachment["source"]).read_bytes() == data


def test_passed_test_drops_its_video(farm_run: FarmRun) -> None:
    assert not list(farm_run.folder("test_passes").glob("*.mp4"))  # the folder holds nothing when all went well
    assert not [n for n in farm_run.attachments("test_passes") if "video" in n]


def test_failed_test_leaves_jpeg_steps_png_failures_and_bounded_texts(farm_run: FarmRun) -> None:
    names = sorted(p.name for p in farm_run.folder("test_fails").iterdir())
    assert names == [
        "01-taobao_item_found.jpg",
        "02-wechat_blocked_not_reached.png",
        "03-wechat_blocked_expected_vs_best_candidate.png",
        "04-droid_screen_at_failure.png",
        "05-droid_page_source.xml",
        "06-droid_device_log.txt",
        "07-droid_video.mp4",
    ]
    kinds = {name: a["type"] for name, a in farm_run.attachments("test_fails").items()}
    assert kinds == {
        "taobao/item found": "image/jpg",
        "wechat/blocked not reached": "image/png",
        "wechat/blocked: expected vs best candidate": "image/png",
        "droid: screen at failure": "image/png",
        "droid: page source": "application/xml",
        "droid: device log": "text/plain",
        "droid: video": "video/mp4",
    }
    shot = cv2.imread(str(farm_run.folder("test_fails") / names[0]))
    assert max(shot.shape[:2]) == MAX_EDGE
