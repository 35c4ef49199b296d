"""A phone's device log, in logcat (Android) or syslog (iOS) line format."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

LEVELS = {"V": "FINE", "D": "FINE", "I": "INFO", "W": "WARNING", "E": "SEVERE"}
SYSLOG_LEVELS = {"V": "Debug", "D": "Debug", "I": "Notice", "W": "Warning", "E": "Error"}
MAX_ENTRIES = 5000


@dataclass(frozen=True)
class Entry:
    timestamp_ms: int
    level: str  # W3C log level: FINE, INFO, WARNING, SEVERE
    message: str  # the whole formatted line

    def as_json(self) -> dict[str, object]:
        return {"timestamp": self.timestamp_ms, "level": self.level, "message": self.message}


class DeviceLog:
    """Lines the apps and the system write; read incrementally like Appium does."""

    def __init__(self, platform: str, device: str) -> None:
        self.platform = platform
        self.device = device.replace(" ", "-")
        self._entries: list[Entry] = []
        self._read = 0
        self._lock = threading.Lock()

    @property
    def kind(self) -> str:
        """The Appium log type: ``logcat`` or ``syslog``."""
        return "logcat" if self.platform == "android" else "syslog"

    def write(self, when: datetime, tag: str, message: str, level: str = "I") -> None:
        if self.platform == "android":
            pid = 1000 + sum(map(ord, tag)) % 9000
            line = f"{when:%m-%d %H:%M:%S}.{when.microsecond // 1000:03d} {pid:5d} {pid:5d} {level} {tag}: {message}"
        else:
            process = tag.split(".")[-1]
            pid = 100 + sum(map(ord, tag)) % 900
            line = f"{when:%b %d %H:%M:%S} {self.device} {process}[{pid}] <{SYSLOG_LEVELS[level]}>: {message}"
        entry = Entry(int(when.timestamp() * 1000), LEVELS[level], line)
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > MAX_ENTRIES:
                drop = len(self._entries) - MAX_ENTRIES
                del self._entries[:drop]
                self._read = max(0, self._read - drop)

    def drain(self) -> list[Entry]:
        """Entries written since the previous drain (Appium's get_log semantics)."""
        with self._lock:
            new = self._entries[self._read :]
            self._read = len(self._entries)
        return new

    def lines(self) -> list[str]:
        """Every line still held, oldest first."""
        with self._lock:
            return [e.message for e in self._entries]
