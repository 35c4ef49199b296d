"""Screen recording: a phone's frames sampled in the background into an H.264 MP4.

What Appium's ``start_recording_screen`` / ``stop_recording_screen`` return:
frames are taken at a fixed rate in real time (so the video lasts as long as
the recording did), downscaled to at most 720 pixels tall and encoded as they
come (yuv420p, libx264), so memory holds only the compressed stream.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable
from fractions import Fraction

import av
from PIL import Image

FPS = 5
MAX_HEIGHT = 720
DEFAULT_TIME_LIMIT_S = 180.0
MAX_TIME_LIMIT_S = 1800.0
MAX_BYTES = 64 * 1024 * 1024


def video_size(width: int, height: int, max_height: int = MAX_HEIGHT) -> tuple[int, int]:
    """The encoded size: at most ``max_height`` tall, aspect kept, both sides even."""
    k = min(1.0, max_height / height)
    return max(2, int(width * k) // 2 * 2), max(2, int(height * k) // 2 * 2)


class _Encoder:
    """An in-memory MP4 (H.264, yuv420p) fed one PIL frame at a time."""

    def __init__(self, size: tuple[int, int], fps: int) -> None:
        self.size = size
        self.buffer = io.BytesIO()
        self.container = av.open(self.buffer, mode="w", format="mp4")
        self.stream = self.container.add_stream("libx264", rate=fps)
        self.stream.width, self.stream.height = size
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"preset": "veryfast", "crf": "28"}
        self.time_base = Fraction(1, fps)

    def add(self, image: Image.Image, index: int) -> None:
        picture = image.convert("RGB").resize(self.size, Image.Resampling.BILINEAR)
        frame = av.VideoFrame.from_image(picture).reformat(format="yuv420p")
        frame.pts, frame.time_base = index, self.time_base
        self.container.mux(self.stream.encode(frame))

    @property
    def bytes_written(self) -> int:
        return self.buffer.tell()

    def finish(self) -> bytes:
        self.container.mux(self.stream.encode(None))
        self.container.close()
        return self.buffer.getvalue()


class Recorder:
    """Records what ``frame()`` shows until stopped or ``time_limit_s`` has passed."""

    def __init__(
        self,
        frame: Callable[[], Image.Image],
        *,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        fps: int = FPS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        if not 0 < time_limit_s <= MAX_TIME_LIMIT_S:
            raise ValueError(f"timeLimit must be in (0, {MAX_TIME_LIMIT_S:.0f}] seconds, got {time_limit_s}")
        self._frame = frame
        self.time_limit_s = time_limit_s
        self.fps = fps
        self.max_bytes = max_bytes
        self._encoder: _Encoder | None = None
        self._error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="screen-recorder", daemon=True)

    def start(self) -> Recorder:
        self._thread.start()
        return self

    def _capture(self, index: int) -> None:
        image = self._frame()
        if self._encoder is None:
            self._encoder = _Encoder(video_size(*image.size), self.fps)
        self._encoder.add(image, index)

    def _run(self) -> None:
        start = time.monotonic()
        index = 0
        try:
            while not self._stop.is_set():
                elapsed = time.monotonic() - start
                if elapsed >= self.time_limit_s:
                    return
                index = max(index, math.floor(elapsed * self.fps))  # a slow frame skips slots, keeping real time
                self._capture(index)
                index += 1
                if self._encoder is not None and self._encoder.bytes_written > self.max_bytes:
                    return
                self._stop.wait(max(0.0, start + index / self.fps - time.monotonic()))
        except Exception as exc:  # the frame source or encoder failed: keep what was recorded
            self._error = exc

    def stop(self) -> bytes:
        """End the recording and return the MP4's bytes."""
        self._stop.set()
        self._thread.join()
        if self._encoder is None:
            if self._error is not None:
                raise RuntimeError(f"screen recording failed: {self._error}") from self._error
            self._capture(0)
        assert self._encoder is not None
        return self._encoder.finish()

    def discard(self) -> None:
        """Stop without producing a video (the session ended)."""
        self._stop.set()
        self._thread.join()
        if self._encoder is not None:
            self._encoder.container.close()
