"""The screen: screenshots, the page source, the window's size and orientation, and screen recordings."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from shareflow_sim.protocol.arguments import b64
from shareflow_sim.protocol.errors import InvalidArgument, UnsupportedOperation
from shareflow_sim.protocol.routes import Commands
from shareflow_sim.protocol.sessions import Call, Session
from shareflow_sim.recording import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S, Recorder

command = Commands()


@command("GET", "/screenshot")
def screenshot(c: Call) -> str:
    return b64(c.phone.screenshot_png())


@command("GET", "/element/{element_id}/screenshot", native=True)
def element_screenshot(c: Call) -> str:
    with c.phone.lock:
        _, el, _ = c.element()
        png = c.phone.screenshot_png()
    r = c.rect(el)
    k = c.phone.profile.scale / c.scale  # pixels per session unit
    box = (round(r["x"] * k), round(r["y"] * k), round((r["x"] + r["width"]) * k), round((r["y"] + r["height"]) * k))
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).crop(box).save(out, format="PNG")
    return b64(out.getvalue())


@command("GET", "/source", native=True)
def page_source(c: Call) -> str:
    return c.snapshot().xml()


@command("GET", "/window/rect")
def window_rect(c: Call) -> dict[str, int]:
    return c.window()


@command("GET", "/window/{handle}/size")
def window_size(c: Call) -> dict[str, int]:
    """The drivers' deprecated JSONWP route (``handle`` is ``current``)."""
    w = c.window()
    return {"width": w["width"], "height": w["height"]}


@command("GET", "/orientation")
def get_orientation(c: Call) -> str:
    return "PORTRAIT"


@command("POST", "/orientation")
def set_orientation(c: Call) -> None:
    if str(c.param("orientation", str)).upper() != "PORTRAIT":
        raise UnsupportedOperation("The virtual phones only support the PORTRAIT orientation")


# -- screen recording ------------------------------------------------------------------------------------------
def _recording_options(c: Call) -> dict[str, Any]:
    options = c.param("options", dict, {})
    if options.get("remotePath"):
        raise UnsupportedOperation("Uploading recordings (remotePath) is not supported by the virtual farm")
    return options


def _finish_recording(session: Session) -> str:
    recorder, session.recorder = session.recorder, None
    return "" if recorder is None else b64(recorder.stop())


@command("POST", "/appium/start_recording_screen")
def start_recording(c: Call) -> str:
    """Start recording; a recording still running is returned (or dropped with forceRestart)."""
    options = _recording_options(c)
    try:
        limit = float(options.get("timeLimit", DEFAULT_TIME_LIMIT_S))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"timeLimit must be a number of seconds, got {options['timeLimit']!r}") from exc
    if not 0 < limit <= MAX_TIME_LIMIT_S:
        raise InvalidArgument(f"timeLimit must be in (0, {MAX_TIME_LIMIT_S:.0f}] seconds, got {limit}")
    previous = ""
    if c.session.recorder is not None:
        if options.get("forceRestart") or options.get("forcedRestart"):
            c.session.recorder.discard()
            c.session.recorder = None
        else:
            previous = _finish_recording(c.session)
    c.session.recorder = Recorder(c.phone.frame, time_limit_s=limit).start()
    return previous


@command("POST", "/appium/stop_recording_screen")
def stop_recording(c: Call) -> str:
    _recording_options(c)
    return _finish_recording(c.session)
