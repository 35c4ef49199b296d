"""``shareflow match`` (single, --batch, --annotate) and the near misses the verification rejects."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from shareflow.vision import verify
from shareflow.vision.match import TemplateError, check_template, find
from shareflow.vision.templates import Template

SHAREFLOW = Path(sys.executable).parent / "shareflow"
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
ORANGE, GREY = (255, 80, 0), (204, 204, 204)
KEYS = ["found", "confidence", "box", "scale", "elapsed_ms"]


def page(
    scale: float, label: str = "立即购买", colour: tuple[int, int, int] = ORANGE, badge: bool = False
) -> np.ndarray:
    """A 360×640 dp page at ``scale`` px/dp with one button (BGR); ``badge`` adds a red dot on it."""
    image = Image.new("RGB", (round(360 * scale), round(640 * scale)), "white")
    draw = ImageDraw.Draw(image)
    draw.text((16 * scale, 40 * scale), "淘宝 商品详情", fill="black", font=ImageFont.truetype(FONT, round(16 * scale)))
    x0, y0, x1, y1 = (v * scale for v in (40, 500, 320, 548))
    draw.rounded_rectangle((x0, y0, x1, y1), radius=24 * scale, fill=colour)
    font = ImageFont.truetype(FONT, round(18 * scale))
    draw.text(((x0 + x1) / 2, (y0 + y1) / 2), label, fill="white", font=font, anchor="mm")
    if badge:
        draw.ellipse((x1 - 30 * scale, y0 + 6 * scale, x1 - 18 * scale, y0 + 18 * scale), fill=(230, 0, 0))
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def button(scale: float) -> tuple[int, int, int, int]:
    x0, y0 = round(40 * scale), round(500 * scale)
    return x0, y0, round(320 * scale) - x0, round(548 * scale) - y0


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A template cut at 2.625 px/dp with its sidecar, and screens: same page at 2.0, a near miss, no button."""
    root = tmp_path_factory.mktemp("match")
    x, y, w, h = button(2.625)
    paths = {"template": root / "buy.png", "other": root / "other.png"}
    cv2.imwrite(str(paths["template"]), page(2.625)[y : y + h, x : x + w])
    sidecar = "capture_resolution: [945, 1680]\ncapture_scale: 2.625\nthreshold: 0.85\ntext: 立即购买\n"
    paths["template"].with_suffix(".yaml").write_text(sidecar, encoding="utf-8")
    for name, image in {
        "screen": page(2.0),
        "one_char": page(2.0, label="立即购卖"),
        "disabled": page(2.0, colour=GREY),
        "badge": page(2.0, badge=True),
        "empty": page(2.0, label="", colour=(255, 255, 255)),
    }.items():
        paths[name] = root / f"{name}.png"
        cv2.imwrite(str(paths[name]), image)
    cv2.imwrite(str(paths["other"]), page(2.625)[y : y + h, x : x + w])  # the same crop, without a sidecar
    return paths


def shareflow(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SHAREFLOW), "match", *map(str, args)], capture_output=True, text=True, check=False)


def test_found_prints_the_json_design_fixes_and_exits_0(files: dict[str, Path]) -> None:
    done = shareflow(files["screen"], files["template"], "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == KEYS
    assert result["found"] and result["confidence"] >= 0.9
    x, y, w, h = button(2.0)
    assert all(abs(a - b) <= 3 for a, b in zip(result["box"], (x, y, w, h), strict=True))
    assert result["scale"] == pytest.approx(2.0 / 2.625, rel=0.01)
    assert result["elapsed_ms"] > 0


@pytest.mark.parametrize("near_miss", ["one_char", "disabled", "badge", "empty"])
def test_near_misses_are_not_found_and_exit_1(files: dict[str, Path], near_miss: str) -> None:
    done = shareflow(files[near_miss], files["template"], "--json")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["found"] is False and result["box"] is None
    assert result["confidence"] < 0.85


def test_the_verification_says_which_check_failed(files: dict[str, Path]) -> None:
    image = cv2.imread(str(files["template"]))
    template = Template(image, text="立即购买", capture_resolution=(945, 1680))
    one_char = cv2.imread(str(files["one_char"]))
    by_detail = find(one_char, template)
    assert by_detail.scores["structure"] >= 0.85 > by_detail.scores["detail"] and "text" not in by_detail.scores
    lenient = find(one_char, dataclasses.replace(template, threshold=0.7))
    assert not lenient.found and lenient.scores["detail"] >= 0.7 and lenient.scores["text"] <= 0.5
    assert lenient.text is not None and "卖" in lenient.text
    template = Template(image, capture_resolution=(945, 1680))
    disabled = find(cv2.imread(str(files["disabled"])), template)
    assert disabled.scores["colour"] < 0.85 and disabled.best is not None
    badge = find(cv2.imread(str(files["badge"])), template)
    assert badge.scores["structure"] >= 0.85 > badge.scores["detail"]


def test_options_override_the_sidecar_and_a_bare_png_works(files: dict[str, Path]) -> None:
    assert shareflow(files["screen"], files["template"], "--threshold", "1.0", "--json").returncode == 1
    done = shareflow(files["screen"], files["other"], "--capture-resolution", "945x1680", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["found"]
    assert shareflow(files["screen"], files["other"], "--json").returncode == 0  # no resolution: every scale


def test_human_output_names_the_checks(files: dict[str, Path]) -> None:
    done = shareflow(files["one_char"], files["template"])
    assert done.returncode == 1
    assert done.stdout.startswith("not found: confidence") and "detail 0." in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.png", "TEMPLATE"), "missing.png: no such screenshot, or not a readable image"),
        (("SCREEN", "nope.png"), "nope.png: no such template file"),
        (("SCREEN", "TEMPLATE", "--capture-resolution", "1080by2400"), "expected WxH, e.g. 1080x2400"),
        (("SCREEN",), "give SCREEN and TEMPLATE, or --batch CASES.jsonl"),
    ],
)
def test_bad_input_exits_2_with_one_line(files: dict[str, Path], args: tuple[str, ...], message: str) -> None:
    real = [str(files["screen"]) if a == "SCREEN" else str(files["template"]) if a == "TEMPLATE" else a for a in args]
    done = shareflow(*real)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr


def test_a_flat_template_is_refused(tmp_path: Path, files: dict[str, Path]) -> None:
    flat = tmp_path / "flat.png"
    cv2.imwrite(str(flat), np.full((40, 120, 3), 200, np.uint8))
    done = shareflow(files["screen"], flat)
    assert done.returncode == 2 and f"{flat}: template is flat" in done.stderr


def test_a_featureless_gradient_is_refused() -> None:
    gradient = np.tile(np.linspace(0, 255, 200, dtype=np.uint8), (60, 1))
    with pytest.raises(TemplateError, match="featureless"):
        check_template(cv2.cvtColor(gradient, cv2.COLOR_GRAY2BGR))


def test_annotate_writes_the_screen_with_the_box(tmp_path: Path, files: dict[str, Path]) -> None:
    out = tmp_path / "deep" / "annotated.png"
    assert shareflow(files["disabled"], files["template"], "--annotate", out).returncode == 1
    drawn = cv2.imread(str(out))
    assert drawn is not None and drawn.shape[:2] == cv2.imread(str(files["disabled"])).shape[:2]
    x, y, _, h = button(2.0)
    edge = drawn[y + h // 2, max(0, x - 3) : x + 4]
    assert (np.abs(edge.astype(int) - (40, 40, 230)).sum(axis=1) < 60).any()  # the red "not found" box


def test_batch_prints_one_line_per_case_in_order(tmp_path: Path, files: dict[str, Path]) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {"screen": str(files["screen"]), "template": str(files["template"])},
        {"screen": str(files["one_char"]), "template": str(files["template"]), "capture_resolution": [945, 1680]},
        {"screen": str(files["screen"]), "template": str(files["other"]), "capture_resolution": "945x1680"},
    ]
    cases.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    done = shareflow("--batch", cases, "--json")
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["found"] for r in results] == [True, False, True]
    assert all(list(r) == KEYS for r in results)


def test_batch_reports_a_bad_line_and_goes_on(tmp_path: Path, files: dict[str, Path]) -> None:
    cases = tmp_path / "cases.jsonl"
    good = json.dumps({"screen": str(files["screen"]), "template": str(files["template"])})
    missing = json.dumps({"screen": str(tmp_path / "gone.png"), "template": str(files["template"])})
    larger = json.dumps({"screen": str(files["template"]), "template": str(files["screen"])})
    cases.write_text(f'{good}\n{{"screen": "a.png"}}\nnot json\n{missing}\n{larger}\n{good}\n', encoding="utf-8")
    done = shareflow("--batch", cases, "--json")
    assert done.returncode == 2
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["found"] for r in results] == [True, False, False, False, False, True]
    said = done.stderr.splitlines()
    assert said[0] == f"shareflow: {cases}:2: field 'template' is missing or not a path"
    assert said[1].startswith(f"shareflow: {cases}:3: not a JSON object")
    assert said[2] == f"shareflow: {cases}:4: {tmp_path / 'gone.png'}: no such screenshot, or not a readable image"
    assert said[3].startswith(f"shareflow: {cases}:5: ") and "cannot fit the screen" in said[3]
    assert [r.get("error") for r in results[1:5]] == [line.removeprefix("shareflow: ") for line in said]


def link(colour: tuple[int, int, int], scale: float = 3.0) -> np.ndarray:
    """A message bubble's first line: black 【淘宝】 then a link in ``colour`` (RGB)."""
    image = Image.new("RGB", (round(180 * scale), round(24 * scale)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, round(16 * scale))
    draw.text((2 * scale, 2 * scale), "【淘宝】", fill="black", font=font)
    draw.text((66 * scale, 2 * scale), "https://m.tb.cn/", fill=colour, font=font)
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def test_colour_tells_a_blue_link_from_black_text_yet_forgives_compression() -> None:
    blue = link((87, 107, 149))  # WeChat's link colour (RGB)
    jpeg = cv2.imdecode(cv2.imencode(".jpg", blue, [cv2.IMWRITE_JPEG_QUALITY, 50])[1], cv2.IMREAD_COLOR)
    assert verify.colour_agreement(jpeg, blue) >= 0.9
    assert verify.colour_agreement(link((0, 0, 0)), blue) < 0.85
    assert verify.colour_agreement(link((230, 0, 0)), blue) < 0.85


@pytest.mark.parametrize(("region", "code"), [("[0, 0.6, 1, 0.4]", 0), ("[0, 0, 1, 0.6]", 1)])
def test_the_sidecar_region_limits_the_search(tmp_path: Path, files: dict[str, Path], region: str, code: int) -> None:
    template = tmp_path / "buy.png"
    template.write_bytes(files["template"].read_bytes())
    sidecar = files["template"].with_suffix(".yaml").read_text(encoding="utf-8") + f"region: {region}\n"
    template.with_suffix(".yaml").write_text(sidecar, encoding="utf-8")
    assert shareflow(files["screen"], template, "--json").returncode == code
