"""A phone's session: one that fails to get ready after it was created is quit, not left to time out."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.common.exceptions import UnknownMethodException

from shareflow import phone as phone_module
from shareflow.devices import Device
from shareflow.evidence import Evidence
from shareflow.vision.templates import TemplateLibrary, shipped_library

DROID = Device("droid", "android", "12", "embedded")


class _Driver:
    """A session whose server has no screen-recording route (as Appium answers 404 for one)."""

    def __init__(self) -> None:
        self.capabilities: dict[str, object] = {}
        self.quit_calls = 0

    def start_recording_screen(self, **_: object) -> None:
        raise UnknownMethodException("The requested resource could not be found")

    def quit(self) -> None:
        self.quit_calls += 1


def test_a_session_that_cannot_start_recording_is_quit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    driver = _Driver()
    monkeypatch.setattr(phone_module, "open_driver", lambda device, url: driver)
    with pytest.raises(UnknownMethodException):
        phone_module.open_phone(
            DROID, "http://127.0.0.1:9", TemplateLibrary(shipped_library()), Evidence(tmp_path), "on", "on", tmp_path
        )
    assert driver.quit_calls == 1


def test_a_session_that_got_ready_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    driver = _Driver()
    monkeypatch.setattr(phone_module, "open_driver", lambda device, url: driver)
    opened = phone_module.open_phone(
        DROID, "http://127.0.0.1:9", TemplateLibrary(shipped_library()), Evidence(tmp_path), "on", "off", tmp_path
    )
    assert opened.driver is driver and driver.quit_calls == 0
    assert not opened.recording
