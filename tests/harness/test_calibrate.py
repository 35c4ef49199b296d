"""shareflow calibrate: a phone whose look differs from the shipped templates gets a library of its own.

The farm phone here is in dark mode (devices.yaml ``skin: dark``, which only the farm reads): the shipped
templates find none of its screens; and its WeChat (8.0.61) shows UiAutomator an empty node tree.
``shareflow calibrate`` walks the reporter's flow on it and writes a library; the suites then pass on it
with that library. Bad input exits 2 and writes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from pools import close_farm, open_on_farm, pool

from shareflow.calibrate import (
    CalibrateError,
    Calibration,
    Recorded,
    Shot,
    asker,
    carry_earlier,
    changed,
    check,
    check_rects,
    library_root,
    parse_rects,
)
from shareflow.devices import load
from shareflow.links import LINK_KINDS, PAYMENT_METHODS, SCENES
from shareflow.vision.match import ScreenImage, find
from shareflow.vision.templates import Template, TemplateLibrary, project_library, shipped_library
from shareflow.wait import until

ROOT = Path(__file__).resolve().parents[2]
SHAREFLOW = Path(sys.executable).parent / "shareflow"
# In dark mode, and with WeChat 8.0.61, whose node tree is empty (no accessibility service): Taobao's states are
# found by their elements, WeChat's by their words, and the chat's voice button (no element, no words) by --rect.
NIGHT = """\
  - name: night
    platform: android
    os_version: "15"
    profile: android-fhd
    endpoint: embedded
    skin: dark
    wechat: {account: wxid_night, nickname: 夜猫}
    apps: {wechat: "8.0.61", taobao: "10.40.0"}
"""
VOICE_BUTTON = "wechat/chat=10,2145,106,105"  # where android-fhd phones show it, as read off a screenshot
QUIET = {"seed": 3, "noise": {"transition_ms": [0, 0], "promo_popup": 0, "update_dialog": 0, "notification_banner": 0}}
ITEM = "taobao://item.taobao.com/item.htm?id=652419876401"
# what the suites' flows wait for on one phone, and so must be recorded: the reporter's (on to the cashier), its
# password copied into Taobao, a link of each kind (JD's and Douyin's behind WeChat's interstitial in the group, as
# late 2021 had it)
FLOW_STATES = {
    "taobao/item",
    "taobao/share_panel",
    "taobao/password_copied",
    "taobao/order_confirm",
    "taobao/cashier",
    "taobao/clipboard_card",
    "wechat/chat_list",
    "wechat/chat",
    "wechat/paste_menu",
    "wechat/send",
    "wechat/my_link",
    "wechat/copy_menu",
    "wechat/h5_taobao",
    "wechat/my_taobao_url",
    "wechat/my_tmall_url",
    "wechat/h5_tmall",
    "wechat/my_jd_url",
    "wechat/interstitial",
    "wechat/continue",
    "wechat/h5_jd",
    "wechat/my_pinduoduo_url",
    "wechat/h5_pinduoduo",
    "wechat/my_douyin_url",
    "wechat/h5_douyin",
    "hema/home",
    "hema/item",
    "hema/cart",
    "hema/order_confirm",
    "hema/cashier",
}


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the dark phone's pool and a quiet scenario."""
    folder = tmp_path_factory.mktemp("night")
    (folder / "devices.yaml").write_text(pool(NIGHT), encoding="utf-8")
    (folder / "quiet.yaml").write_text(yaml.safe_dump(QUIET), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def dark_item_screen(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The dark phone's item page, as a screenshot."""
    folder = tmp_path_factory.mktemp("dark-item")
    farm, phones = open_on_farm(folder, pool(NIGHT), QUIET)
    try:
        driver = phones["android"].driver
        driver.execute_script("mobile: deepLink", {"url": ITEM, "package": "com.taobao.taobao"})
        until(
            lambda: driver.find_elements("-android uiautomator", 'new UiSelector().text("立即购买")') or None,
            what="the item page",
            timeout=20,
        )
        return phones["android"].screen.screenshot().bgr
    finally:
        close_farm(farm, phones)


@pytest.fixture(scope="module")
def calibrated(night: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``shareflow calibrate`` run on the dark phone, into ``<night>/screenshots``."""
    out = night / "screenshots"
    argv = [str(SHAREFLOW), "calibrate", "--device", "night", "--devices", str(night / "devices.yaml")]
    argv += ["--out", str(out), "--scenario", str(night / "quiet.yaml"), "--data", str(ROOT / "tests/e2e/data.yaml")]
    argv += ["--rect", VOICE_BUTTON]
    done = subprocess.run(argv, cwd=night, env=env(), capture_output=True, text=True, timeout=300)
    return done, out


def test_the_shipped_templates_do_not_find_the_dark_phones_screens(dark_item_screen: np.ndarray) -> None:
    shipped = TemplateLibrary(shipped_library())
    match = find(ScreenImage(dark_item_screen), shipped.get("android", "taobao/item"), 1.0)
    assert not match.found, match  # else the test below proves nothing


def test_calibrate_records_the_reporters_flow_and_reports_what_it_did_not_reach(
    calibrated: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, out = calibrated
    assert done.returncode == 0, done.stdout + done.stderr
    library = out / "night" / "android"
    report = json.loads((library / "calibrate-report.json").read_text(encoding="utf-8"))
    assert report["walk"] == "completed", report["walk"]
    recorded = {entry["state"]: entry for entry in report["recorded"]}
    assert set(recorded) >= FLOW_STATES, (set(FLOW_STATES) - set(recorded), report["not_reached"])
    assert report["rejected"] == [] and report["kept"] == []  # a first calibration: nothing earlier to keep
    assert recorded["taobao/item"]["located_by"] == 'element new UiSelector().text("立即购买")'
    assert recorded["wechat/paste_menu"]["located_by"] == "words 粘贴"  # WeChat's tree is empty
    assert recorded["wechat/my_link"]["located_by"] == "words 【淘宝】"
    assert recorded["wechat/chat"]["located_by"] == "rect 10,2145,106,105"
    # a link's blue-grey on the green bubble: the same luminance in dark mode, told apart by colour
    assert recorded["wechat/my_taobao_url"]["located_by"] == "words https://item.taobao.c"
    not_reached = {entry["state"]: entry["why"] for entry in report["not_reached"]}
    assert "wechat/blocked" in not_reached and "never shown" in not_reached["wechat/blocked"]
    assert "wechat/their_link" in not_reached  # only another phone's message shows it
    assert (library / "taobao-10.40.0" / "item.png").is_file()
    assert (library / "wechat-8.0.61" / "my_link.yaml").is_file()
    assert not [p for p in out.rglob("*") if p.name.startswith(".")], "a temporary folder was left behind"


def test_the_phones_view_of_the_library_takes_the_calibrated_templates(
    calibrated: tuple[subprocess.CompletedProcess[str], Path], night: Path, dark_item_screen: np.ndarray
) -> None:
    _, out = calibrated
    device = load(night / "devices.yaml")[0]
    view = TemplateLibrary(out, shipped_library()).for_phone(device)
    item = view.get("android", "taobao/item")
    assert item.path == out / "night" / "android" / "taobao-10.40.0" / "item.png"
    assert find(ScreenImage(dark_item_screen), item, 1.0).found
    # a state the walk did not reach falls back to the shipped library
    assert view.get("android", "wechat/blocked").path == shipped_library() / "android" / "wechat" / "blocked.png"


def test_the_suites_pass_on_the_dark_phone_with_its_library(
    calibrated: tuple[subprocess.CompletedProcess[str], Path], night: Path
) -> None:
    """Every suite: the share flows and each link kind in each scene pass; the two-phone suite needs a second
    phone, which this pool has not."""
    _, out = calibrated
    argv = [sys.executable, "-m", "pytest", str(ROOT / "tests/e2e"), "-p", "no:cacheprovider", "-rs"]
    argv += ["--phones-file", str(night / "devices.yaml"), "--sim-scenario", str(night / "quiet.yaml")]
    argv += ["--shareflow-templates", str(out), "--shareflow-output", str(night / "results"), "-n", "0", "-q"]
    done = subprocess.run(argv, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    # the two share flows, a link of each kind in each scene, and the cashiers' tests (taobao, tmall and hema × each
    # method)
    one_phone = 2 + len(SCENES) * len(LINK_KINDS) + 3 * len(PAYMENT_METHODS)
    assert f"{one_phone} passed, 3 skipped" in done.stdout, done.stdout[-3000:]
    assert done.stdout.count("needs two phones; the selection has one") == 3


def test_a_rect_off_the_screen_exits_2_and_writes_nothing(night: Path, tmp_path: Path) -> None:
    out = tmp_path / "screenshots"
    (out / "night" / "android").mkdir(parents=True)
    (out / "night" / "android" / "calibrate-report.json").write_text("{}\n", encoding="utf-8")
    before = snapshot(out)
    argv = [str(SHAREFLOW), "calibrate", "--device", "night", "--devices", str(night / "devices.yaml")]
    argv += ["--out", str(out), "--scenario", str(night / "quiet.yaml"), "--data", str(ROOT / "tests/e2e/data.yaml")]
    argv += ["--rect", "wechat/chat=1000,2300,200,90"]  # inside 1080x2400 at its corner, not to its end
    done = subprocess.run(argv, cwd=night, env=env(), capture_output=True, text=True, timeout=120)
    said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 2, said
    assert len(said) == 1 and "--rect wechat/chat=1000,2300,200,90" in said[0] and "off the screen" in said[0], said
    assert snapshot(out) == before


# -- the pieces, without a phone -------------------------------------------------------------------------
def test_rects_name_a_known_state_and_four_numbers() -> None:
    known = ["wechat/chat", "taobao/item"]
    assert parse_rects(["wechat/chat=1,2,3,4"], known) == {"wechat/chat": (1.0, 2.0, 3.0, 4.0)}
    for bad, says in (
        ("wechat/nope=1,2,3,4", "unknown state 'wechat/nope'"),
        ("wechat/chat", "expected STATE=x,y,w,h"),
        ("wechat/chat=1,2,3", "four comma-separated numbers"),
        ("wechat/chat=1,2,0,4", "w and h positive"),
    ):
        with pytest.raises(CalibrateError, match=says.replace("(", r"\(")):
            parse_rects([bad], known)
    check_rects({"wechat/chat": (0, 0, 1080, 2400)}, (1080, 2400))
    with pytest.raises(CalibrateError, match="off the screen, which is 1080x2400"):
        check_rects({"wechat/chat": (10, 2390, 20, 20)}, (1080, 2400))


def test_asking_saves_the_screen_and_takes_a_rectangle_or_nothing(tmp_path: Path) -> None:
    screen = np.zeros((40, 30, 3), np.uint8)
    questions: list[str] = []
    answers = iter(["1,2,3,4", "", "nonsense"])

    def read(question: str) -> str:
        questions.append(question)
        return next(answers)

    ask = asker(tmp_path, read)
    assert ask("wechat/chat", screen) == (1.0, 2.0, 3.0, 4.0)
    assert ask("wechat/chat", screen) is None
    assert ask("wechat/chat", screen) is None
    assert "wechat/chat" in questions[0] and str(tmp_path) in questions[0]
    assert list(tmp_path.glob("wechat-chat-*.png"))


def test_a_screen_whose_clock_ticked_has_not_changed() -> None:
    """A --rect is taken only on a screen that changed since the last state seen: a chat list whose clock
    ticked while its row was tapped is not yet the chat."""
    before = np.full((2400, 1080, 3), 30, np.uint8)
    ticked = before.copy()
    cv2.putText(ticked, "10:01", (40, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (220, 220, 220), 3)
    other = before.copy()
    other[600:1800] = 200
    assert not changed(ticked, before)
    assert changed(other, before)
    assert changed(before, None)


def _write(root: Path, relative: str) -> None:
    png = root / relative
    png.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((30, 60, 3), 255, np.uint8)
    cv2.putText(image, relative[:3], (2, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2)
    cv2.imwrite(str(png), image)
    png.with_suffix(".yaml").write_text(
        "capture_resolution: [1080, 2400]\ncapture_scale: 2.625\ntext: x\n", encoding="utf-8"
    )


def test_a_phone_takes_each_state_from_the_most_specific_library(tmp_path: Path) -> None:
    mine, shipped = tmp_path / "mine", tmp_path / "shipped"
    pool_file = tmp_path / "devices.yaml"
    pool_file.write_text(
        pool(NIGHT.replace("android-fhd", "Pixel 7").replace("endpoint: embedded", "endpoint: http://127.0.0.1:9")),
        encoding="utf-8",
    )
    device = load(pool_file)[0]
    for relative in (
        "night/android/wechat-8.0.61/chat.png",  # the phone's own, for its WeChat
        "night/android/wechat-8.0.60/send.png",  # the phone's own, for another WeChat: not taken
        "Pixel-7/android/wechat-8.0.61/send.png",  # its model's
        "android/wechat-8.0.61/paste_menu.png",  # that WeChat on any Android phone
        "android/wechat/chat.png",
        "android/wechat/send.png",
        "android/wechat/paste_menu.png",
    ):
        _write(mine, relative)
    _write(shipped, "android/wechat/copy_menu.png")
    _write(shipped, "android/wechat/chat.png")
    library = TemplateLibrary(mine, shipped)
    view = library.for_phone(device)
    assert view.paths("android", "wechat/chat")[0] == mine / "night/android/wechat-8.0.61/chat.png"
    assert view.paths("android", "wechat/send")[0] == mine / "Pixel-7/android/wechat-8.0.61/send.png"
    assert view.paths("android", "wechat/paste_menu")[0] == mine / "android/wechat-8.0.61/paste_menu.png"
    assert view.paths("android", "wechat/copy_menu")[0] == shipped / "android/wechat/copy_menu.png"
    assert library.paths("android", "wechat/chat")[0] == mine / "android/wechat/chat.png"  # no phone: the platform's
    assert library.states("android") == ["wechat/chat", "wechat/copy_menu", "wechat/paste_menu", "wechat/send"]
    assert view.states("android") == library.states("android")
    assert library_root(mine, device, per_profile=False) == mine / "night" / "android"
    assert library_root(mine, device, per_profile=True) == mine / "Pixel-7" / "android"


def test_the_plugin_looks_in_the_projects_own_screenshots_folder(tmp_path: Path) -> None:
    assert project_library(tmp_path) == []
    (tmp_path / "screenshots").mkdir()
    assert project_library(tmp_path) == [tmp_path / "screenshots"]
    assert project_library(ROOT) == []  # shareflow's own: the shipped library itself


def test_a_rerun_keeps_the_templates_it_did_not_record_again(tmp_path: Path) -> None:
    """A calibration that stopped early, or that was given one --rect, adds to the library: it loses nothing."""
    root, staged = tmp_path / "screenshots" / "night" / "android", tmp_path / ".calibrate-1" / "night" / "android"
    for folder, names in ((root / "wechat-8.0.61", ["chat", "my_link"]), (staged / "wechat-8.0.61", ["chat"])):
        folder.mkdir(parents=True)
        for name in names:
            for suffix in (".png", ".yaml", ".ocr.yaml"):
                (folder / f"{name}{suffix}").write_text(f"{folder.parent.parent.parent.name} {name}")
    (root / "taobao-10.40.0").mkdir()
    (root / "taobao-10.40.0" / "item.png").write_text("earlier item")
    kept = carry_earlier(staged, root)
    assert [entry["state"] for entry in kept] == ["taobao/item", "wechat/my_link"]
    assert (staged / "wechat-8.0.61" / "chat.png").read_text() == ".calibrate-1 chat"  # this run's, not the earlier
    assert (staged / "wechat-8.0.61" / "my_link.ocr.yaml").read_text() == "screenshots my_link"
    assert (staged / "taobao-10.40.0" / "item.png").read_text() == "earlier item"
    assert carry_earlier(staged, tmp_path / "none") == []  # a first calibration keeps nothing


def _screen(marks: dict[str, tuple[int, int]]) -> np.ndarray:
    """A grey 1080x2400 screenshot with a distinct mark drawn at each place (a ring, a cross, a bar)."""
    image = np.full((2400, 1080, 3), 236, np.uint8)
    for mark, (x, y) in marks.items():
        if mark == "ring":
            cv2.circle(image, (x + 60, y + 60), 48, (40, 160, 40), 10)
        elif mark == "cross":
            cv2.line(image, (x + 10, y + 10), (x + 110, y + 110), (30, 30, 200), 12)
            cv2.line(image, (x + 110, y + 10), (x + 10, y + 110), (30, 30, 200), 12)
        else:
            cv2.rectangle(image, (x, y + 40), (x + 220, y + 80), (200, 120, 20), -1)
    return image


def _recorded(calibration: Calibration, state: str, shot: Shot, box: tuple[int, int, int, int]) -> None:
    x, y, w, h = box
    crop = shot.image[y : y + h, x : x + w].copy()
    template = Template(crop, capture_resolution=(1080, 2400), capture_scale=2.625, state=state, platform="android")
    calibration.recorded[state] = Recorded(state, crop, box, "rect", shot, {}, template)


@pytest.mark.parametrize("also_there", [False, True])
def test_check_rejects_a_template_found_on_another_states_screen(also_there: bool, tmp_path: Path) -> None:
    """The chat's voice button cut from a place that also shows on the item page (a mark both share) is found on
    a screen that is not the chat: rejected, naming that screen. Where the state does show there (its element
    was found on it), the same find is no reason to reject it."""
    (tmp_path / "devices.yaml").write_text(pool(NIGHT), encoding="utf-8")
    device = load(tmp_path / "devices.yaml")[0]
    calibration = Calibration(device, driver=None, base=TemplateLibrary(shipped_library()), rects={}, states=[])
    item = Shot(_screen({"ring": (800, 300), "bar": (100, 1900)}), "item")
    chat = Shot(_screen({"ring": (40, 2150), "cross": (500, 1200)}), "chat")
    if also_there:
        item.present.add("wechat/chat")
    _recorded(calibration, "taobao/item", item, (90, 1930, 240, 60))  # the bar: only on the item page
    _recorded(calibration, "wechat/chat", chat, (30, 2140, 140, 140))  # the ring: on both screens
    _recorded(calibration, "wechat/send", chat, (490, 1190, 140, 140))  # the cross: only on the chat
    templates = {state: r.template for state, r in calibration.recorded.items()}
    rejected = check(calibration, templates, 2.625)
    if also_there:
        assert rejected == {}
    else:
        assert rejected == {"wechat/chat": "also found on the screen of taobao/item (not that state)"}
