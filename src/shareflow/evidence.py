"""Evidence of a test: step screenshots (annotated), failure comparisons, page source, device log, video.

Everything goes both into the Allure report (steps and attachments) and
into the test's folder under ``--output``; secrets are masked in text.
Steps are JPEG; failures are PNG, so the screen as it was keeps every pixel.
Sizes are bounded: screenshots by ``MAX_EDGE``, page sources (their head)
and device logs (their tail) by byte caps, videos by a byte cap.

The report gets lighter copies of the pictures, the folder keeps them whole:
a step shot is attached at ``REPORT_EDGE`` and ``REPORT_QUALITY``, a failure
PNG (the screen at failure is full resolution on disk) at ``MAX_EDGE`` at
most; the expected-vs-candidate side-by-side is attached as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import allure
import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from shareflow import secrets
from shareflow.vision.match import Box, Match

FOUND = (60, 180, 75)  # BGR green
MISSED = (40, 40, 230)  # BGR red
NEAR_MISS = (0, 160, 255)  # BGR amber
MAX_EDGE = 1280  # annotated screenshots are scaled down to this longest edge
JPEG_QUALITY = 80  # step screenshots
REPORT_EDGE, REPORT_QUALITY = 720, 70  # a step screenshot's copy in the Allure report
MB = 1024 * 1024
MAX_SOURCE_BYTES = 4 * MB  # a page source keeps its first 4 MB
MAX_LOG_BYTES = 2 * MB  # a device log keeps its last 2 MB
MAX_VIDEO_BYTES = 50 * MB  # a larger video is not kept (a note says so)
CUT_MARK = "shareflow: cut"  # marks where a page source or device log was cut

# the side-by-side of a failed expect
BACKGROUND = (238, 238, 238)  # neutral light grey
INK = (40, 40, 40)
FRAME = (160, 160, 160)
EMPTY = (214, 214, 214)  # the panel shown when there is no candidate
PANEL_HEIGHT = 160  # small templates are zoomed by whole pixels towards this height ...
MAX_ZOOM, MAX_PANEL_WIDTH = 4, 600  # ... at most this much, and no wider than this
MARGIN, GAP = 16, 32
FONT, FONT_SCALE, LINE = cv2.FONT_HERSHEY_SIMPLEX, 0.55, 22

ImageFormat = Literal["png", "jpg"]


def safe_name(text: str) -> str:
    """A file-name-safe form of a test id or step title."""
    return re.sub(r"[^\w.\-]+", "_", text, flags=re.UNICODE).strip("_")[:120]


def scores_text(scores: Mapping[str, float]) -> str:
    """``structure 0.98 colour 1.00 ...`` for labels and messages."""
    return " ".join(f"{name} {value:.2f}" for name, value in scores.items())


def size_text(count: int) -> str:
    """A byte count for people: ``512 B``, ``3.4 KB``, ``2.0 MB``."""
    if count < 1024:
        return f"{count} B"
    return f"{count / 1024:.1f} KB" if count < MB else f"{count / MB:.1f} MB"


# -- annotated screenshots -----------------------------------------------------------------
def annotate(screen: np.ndarray, match: Match, label: str) -> np.ndarray:
    """The screen with the match box, the state, the confidence and the best near miss drawn on it."""
    image = screen.copy()
    thickness = max(2, image.shape[1] // 300)
    near = match.near_miss
    if near is not None:
        x, y, w, h = near.box
        cv2.rectangle(image, (x, y), (x + w, y + h), NEAR_MISS, max(1, thickness // 2))
        _label(image, f"near miss {near.confidence:.2f}", (x, y + h + 40 if y > 60 else y - 10), NEAR_MISS)
    box = match.box or match.best
    colour = FOUND if match.found else MISSED
    text = f"{label} {match.confidence:.2f}" + ("" if match.found else " (not found)")
    detail = scores_text(match.scores)
    if box is not None:
        x, y, w, h = box
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, thickness)
        above = y > 120
        _label(image, text, (x, y - 10 - (50 if above and detail else 0) if above else y + h + 40), colour)
        if detail:
            _label(image, detail, (x, y - 10 if above else y + h + 90), colour)
    else:
        _label(image, text, (10, 50), colour)
    return fit(image, MAX_EDGE)


def _label(image: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int]) -> None:
    font_scale = max(0.8, image.shape[1] / 900)
    thick = max(2, round(font_scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
    x, y = max(0, min(origin[0], image.shape[1] - tw - 8)), max(th + 8, origin[1])
    cv2.rectangle(image, (x, y - th - 8), (x + tw + 8, y + base), colour, -1)
    cv2.putText(image, text, (x + 4, y - 4), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255), thick, cv2.LINE_AA)


# -- expected vs best candidate --------------------------------------------------------------
def zoom_of(template: np.ndarray) -> int:
    """The whole-pixel zoom that shows ``template`` at a readable size in a side-by-side."""
    height, width = template.shape[:2]
    return int(max(1, min(MAX_ZOOM, PANEL_HEIGHT // height, MAX_PANEL_WIDTH // width)))


def best_crop(screen: np.ndarray, box: Box, height: int) -> np.ndarray | None:
    """The screen inside ``box`` (clipped to the screen), scaled to ``height``; ``None`` when empty."""
    x, y, w, h = box
    crop = screen[max(0, y) : max(0, y + h), max(0, x) : max(0, x + w)]
    if crop.size == 0:
        return None
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    shrink = crop.shape[0] > height
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def _text_width(lines: list[str]) -> int:
    return max((cv2.getTextSize(line, FONT, FONT_SCALE, 1)[0][0] for line in lines), default=0)


def _write_lines(canvas: np.ndarray, lines: list[str], x: int, y: int) -> None:
    """``lines`` with their first baseline at ``y``."""
    for i, line in enumerate(lines):
        cv2.putText(canvas, line, (x, y + i * LINE), FONT, FONT_SCALE, INK, 1, cv2.LINE_AA)


def side_by_side(template: np.ndarray, screen: np.ndarray, match: Match, state: str, threshold: float) -> np.ndarray:
    """The expected template (left) next to the screen at the best candidate (right), labelled.

    The template keeps its pixels (zoomed by whole pixels when small); the candidate is scaled to
    the same height. When no place was a candidate, the right panel says so.
    """
    zoom = zoom_of(template)
    left = np.repeat(np.repeat(template, zoom, axis=0), zoom, axis=1)
    height, width = left.shape[:2]
    crop = best_crop(screen, match.best, height) if match.best is not None else None
    th, tw = template.shape[:2]
    left_lines = ["expected", f"{tw}x{th} px" + (f", shown x{zoom}" if zoom > 1 else "")]
    if crop is not None and match.best is not None:
        right = crop
        right_lines = [f"best candidate: confidence {match.confidence:.2f} at {list(match.best)}"]
    else:
        blank = ["no candidate place"]
        right = np.full((height, max(width, _text_width(blank) + 16), 3), EMPTY, np.uint8)
        _write_lines(right, blank, (right.shape[1] - _text_width(blank)) // 2, height // 2 + 5)
        right_lines = ["best candidate: none", "no place on the screen came close"]
    notes = [scores_text(match.scores), f"needs {threshold:.2f}"] if match.scores else [f"needs {threshold:.2f}"]
    title = [f"{state}: expected vs best candidate"]
    left_w = max(width, _text_width(left_lines))
    right_w = max(right.shape[1], _text_width(right_lines + notes))
    canvas_w = max(MARGIN + left_w + GAP + right_w + MARGIN, _text_width(title) + 2 * MARGIN)
    labels_y = MARGIN + 2 * LINE  # first baseline of the panel labels
    top = labels_y + max(len(left_lines), len(right_lines)) * LINE - LINE // 2
    canvas_h = top + height + LINE // 2 + len(notes) * LINE + MARGIN
    canvas = np.full((canvas_h, canvas_w, 3), BACKGROUND, np.uint8)
    _write_lines(canvas, title, MARGIN, MARGIN + LINE - 6)
    right_x = MARGIN + left_w + GAP
    for x, image, lines in ((MARGIN, left, left_lines), (right_x, right, right_lines)):
        _write_lines(canvas, lines, x, labels_y)
        cv2.rectangle(canvas, (x - 1, top - 1), (x + image.shape[1], top + height), FRAME, 1)
        canvas[top : top + height, x : x + image.shape[1]] = image
    _write_lines(canvas, notes, right_x, top + height + LINE)
    return canvas


# -- a screen and what the phone said besides --------------------------------------------------
NOTE_WIDTH, NOTE_MARGIN, NOTE_LINE = 560, 24, 40  # px of the panel beside the screen
NOTE_FONTS = (  # a CJK font to draw notes in: Debian's (make setup installs it), macOS's, Windows'
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def _note_font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in NOTE_FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, px)
    return ImageFont.load_default()


def _wrapped(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    """``text`` cut into lines no wider than ``width`` pixels (CJK has no spaces: cut between characters)."""
    lines, line = [], ""
    for char in text:
        if font.getlength(line + char) > width and line:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line]


def beside(screen: np.ndarray, note: Sequence[str]) -> np.ndarray:
    """``screen`` (scaled to ``MAX_EDGE``) with a panel of ``note`` lines at its right, drawn in a CJK font."""
    shown = fit(screen, MAX_EDGE)
    font = _note_font(round(NOTE_LINE * 0.7))
    lines = [part for text in note for part in _wrapped(text, font, NOTE_WIDTH - 2 * NOTE_MARGIN)]
    height = max(shown.shape[0], 2 * NOTE_MARGIN + NOTE_LINE * len(lines))
    canvas = Image.new("RGB", (shown.shape[1] + NOTE_WIDTH, height), BACKGROUND)
    canvas.paste(Image.fromarray(cv2.cvtColor(shown, cv2.COLOR_BGR2RGB)), (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((shown.shape[1] + NOTE_MARGIN, NOTE_MARGIN + i * NOTE_LINE), line, fill=INK, font=font)
    return cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)


# -- encodings and bounds --------------------------------------------------------------------
def png_bytes(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("cannot encode PNG")
    return data.tobytes()


def fit(image: np.ndarray, edge: int) -> np.ndarray:
    """``image`` scaled down to ``edge`` pixels on its longest side; itself when it is no larger."""
    scale = edge / max(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image


def jpeg_bytes(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode JPEG")
    return data.tobytes()


def keep_head(text: str, limit: int) -> tuple[str, str]:
    """``text`` cut to its first ``limit`` bytes (UTF-8), and a note of the cut ("" when whole)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, ""
    return data[:limit].decode("utf-8", "ignore"), f"first {size_text(limit)} of {size_text(len(data))} kept"


def keep_tail(text: str, limit: int) -> tuple[str, str]:
    """``text`` cut to its last ``limit`` bytes (UTF-8) from a line start, and a note of the cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, ""
    tail = data[-limit:]
    newline = tail.find(b"\n")
    kept = tail[newline + 1 :] if 0 <= newline < len(tail) - 1 else tail
    return kept.decode("utf-8", "ignore"), f"last {size_text(len(kept))} of {size_text(len(data))} kept"


class Evidence:
    """Collects a test's evidence in Allure and in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.steps: list[str] = []  # titles of the steps entered, in order
        self.files: list[Path] = []
        self.on_step: Callable[[str], None] | None = None  # told each step's title as it starts
        self._count = 0

    @property
    def current_step(self) -> str:
        return self.steps[-1] if self.steps else ""

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        """An Allure step; its title is remembered as the step a failure happened in."""
        self.steps.append(title)
        if self.on_step is not None:
            self.on_step(title)
        with allure.step(title):
            yield

    def _write(self, name: str, data: bytes, ext: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._count += 1
        path = self.folder / f"{self._count:02d}-{safe_name(name)}.{ext}"
        path.write_bytes(data)
        self.files.append(path)
        return path

    def image(self, name: str, image: np.ndarray, fmt: ImageFormat = "png", whole: bool = False) -> Path:
        """An image, as PNG (failures: every pixel kept) or JPEG (steps), in the folder as given.

        Allure gets a lighter copy: a JPEG at ``REPORT_EDGE`` and ``REPORT_QUALITY``, a PNG at
        ``MAX_EDGE`` at most; with ``whole``, the same bytes as the folder.
        """
        if fmt == "jpg":
            data, kind = jpeg_bytes(image), allure.attachment_type.JPG
            shown = data if whole else jpeg_bytes(fit(image, REPORT_EDGE), REPORT_QUALITY)
        else:
            data, kind = png_bytes(image), allure.attachment_type.PNG
            small = image if whole else fit(image, MAX_EDGE)
            shown = data if small is image else png_bytes(small)
        allure.attach(shown, name=name, attachment_type=kind)
        return self._write(name, data, fmt)

    def match(self, name: str, screen: np.ndarray, match: Match, state: str, failure: bool = False) -> Path:
        """An annotated screenshot of a match: JPEG for a step, PNG for a failure."""
        return self.image(name, annotate(screen, match, state), "png" if failure else "jpg")

    def comparison(self, state: str, template: np.ndarray, screen: np.ndarray, match: Match, threshold: float) -> Path:
        """``<state>: expected vs best candidate``, for a state that was not reached (PNG)."""
        image = side_by_side(template, screen, match, state, threshold)
        return self.image(f"{state}: expected vs best candidate", image, whole=True)

    def text(self, name: str, text: str, kind: str = "txt", title: str = "") -> Path:
        """A text attachment (secrets masked); ``title`` names it in Allure when it should say more than ``name``."""
        clean = secrets.redact(text)
        attachment_type = allure.attachment_type.XML if kind == "xml" else allure.attachment_type.TEXT
        allure.attach(clean, name=title or name, attachment_type=attachment_type)
        return self._write(name, clean.encode("utf-8"), kind)

    def page_source(self, name: str, xml: str) -> Path:
        """A page source, cut to its first ``MAX_SOURCE_BYTES``; a cut is said in the title and at the end."""
        kept, note = keep_head(secrets.redact(xml), MAX_SOURCE_BYTES)
        if not note:
            return self.text(name, kept, "xml")
        return self.text(name, f"{kept}\n<!-- {CUT_MARK}: {note} -->\n", "xml", f"{name} ({note})")

    def device_log(self, name: str, log: str) -> Path:
        """A device log, cut to its last ``MAX_LOG_BYTES``; a cut is said in the title and on the first line."""
        kept, note = keep_tail(secrets.redact(log), MAX_LOG_BYTES)
        if not note:
            return self.text(name, kept)
        return self.text(name, f"[{CUT_MARK}: {note}]\n{kept}", title=f"{name} ({note})")

    def video(self, name: str, data: bytes) -> Path:
        """An MP4; one over ``MAX_VIDEO_BYTES`` is not kept, and a text attachment says so."""
        if len(data) > MAX_VIDEO_BYTES:
            note = f"the video ({size_text(len(data))}) is over the {size_text(MAX_VIDEO_BYTES)} cap: not kept"
            return self.text(f"{name} not kept", note)
        allure.attach(data, name=name, attachment_type=allure.attachment_type.MP4)
        return self._write(name, data, "mp4")
