"""The session table of the farm's phones: new sessions, and each session command run through the
scenario's faults and the session's queue."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from shareflow_sim.farm import Farm
from shareflow_sim.phone import RUNNING_IN_BACKGROUND, Phone
from shareflow_sim.protocol import settings
from shareflow_sim.protocol.arguments import NUMBER, arg
from shareflow_sim.protocol.capabilities import (
    DEFAULT_COMMAND_TIMEOUT_S,
    PLATFORM_NAMES,
    merge_capabilities,
    prepare_phone,
    requested_platform,
    session_caps,
    version_matches,
)
from shareflow_sim.protocol.errors import (
    InvalidArgument,
    InvalidElementState,
    InvalidSessionId,
    SessionNotCreated,
    UnknownError,
    UnsupportedOperation,
    WebDriverError,
)
from shareflow_sim.protocol.faults import AUT_CRASHED, NOT_CONNECTED, FaultInjector
from shareflow_sim.protocol.routes import Handler, delete_session
from shareflow_sim.protocol.sessions import NATIVE, Call, Session

log = logging.getLogger("shareflow_sim.server")

APPIUM_VERSION = "3.0.0"
# Appium's base driver, assertFeatureEnabled (https://appium.io/docs/en/latest/guides/security/)
INSECURE_FEATURE_OFF = (
    "Potentially insecure feature '{feature}' has not been enabled. If you want to enable this feature and accept "
    "the security ramifications, please do so by following the documented instructions at "
    "http://appium.io/docs/en/latest/guides/security/"
)


def insecure_features(names: Iterable[str]) -> frozenset[str]:
    """``--allow-insecure`` names, which Appium 3 wants scoped: ``<automationName>:<feature>`` or ``*:<feature>``
    (https://appium.io/docs/en/3.0/blog/2025/08/07/-appium-3)."""
    out = frozenset(name.strip().lower() for name in names if name.strip())
    for name in out:
        scope, _, feature = name.partition(":")
        if not scope or not feature:
            raise ValueError(
                f"The full feature name must include both the destination automation name or the '*' wildcard to "
                f"apply the feature to all installed drivers, and the feature name split by a colon, got '{name}'"
            )
    return out


class FarmService:
    """Sessions on the farm's phones, and the faults the scenario injects into them."""

    def __init__(
        self, farm: Farm, allow_insecure: frozenset[str] = frozenset(), relaxed_security: bool = False
    ) -> None:
        self.farm = farm
        self.allow_insecure = allow_insecure  # as insecure_features checked them
        self.relaxed_security = relaxed_security
        self.sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.faults = FaultInjector(farm.scenario)

    # -- session table ---------------------------------------------------------------
    def _reap(self) -> None:
        """End sessions idle past their newCommandTimeout (hold ``_lock``)."""
        now = time.monotonic()
        for session in [s for s in self.sessions.values() if s.expired(now)]:
            log.info("session %s on %s timed out", session.id, session.phone.name)
            self._drop(session, cleanup=True)

    def _drop(self, session: Session, cleanup: bool) -> None:
        self.sessions.pop(session.id, None)
        if session.recorder is not None:
            session.recorder.discard()
            session.recorder = None
        with session.phone.lock:
            session.phone.auto_alerts = None
            if cleanup:
                session.cleanup()

    def end(self, session: Session, cleanup: bool = True) -> None:
        with self._lock:
            self._drop(session, cleanup)

    def close(self) -> None:
        """End every session (the server is stopping)."""
        with self._lock:
            for session in list(self.sessions.values()):
                self._drop(session, cleanup=False)

    def status(self) -> dict[str, Any]:
        with self._lock:
            self._reap()
            busy = {s.phone.name for s in self.sessions.values()}
        phones = [
            {
                "name": p.name,
                "udid": p.udid,
                "platformName": PLATFORM_NAMES[p.platform],
                "platformVersion": p.os_version,
                "model": p.profile.model,
                "busy": p.name in busy,
            }
            for p in self.farm.phones.values()
        ]
        return {
            "ready": True,
            "message": "The server is ready to accept new connections",
            "build": {"version": APPIUM_VERSION, "name": "shareflow-sim"},
            "phones": phones,
        }

    def assert_feature_enabled(self, automation: str, feature: str) -> None:
        """Refuse an insecure feature the server was not started with (``--allow-insecure``, ``--relaxed-security``)."""
        if self.relaxed_security or {f"{automation}:{feature}", f"*:{feature}"} & self.allow_insecure:
            return
        raise UnknownError.wrapping(INSECURE_FEATURE_OFF.format(feature=feature))

    # -- new session --------------------------------------------------------------------
    def _pick(self, platform: str, caps: dict[str, Any]) -> Phone:
        """The phone the capabilities ask for (hold ``_lock``)."""
        phones = [p for p in self.farm.phones.values() if p.platform == platform]
        udid, name, version = (caps.get(f"appium:{k}") for k in ("udid", "deviceName", "platformVersion"))
        if udid is not None:
            phones = [p for p in phones if p.udid == udid]
            wanted = f"udid '{udid}'"
        elif name is not None:
            phones = [p for p in phones if p.name == name]
            wanted = f"deviceName '{name}'"
        else:
            wanted = f"platformName '{caps['platformName']}'"
        if version is not None:
            phones = [p for p in phones if version_matches(str(version), p.os_version)]
            wanted += f" and platformVersion '{version}'"
        if not phones:
            known = ", ".join(
                f"{p.name} ({p.platform} {p.os_version}, udid {p.udid})" for p in self.farm.phones.values()
            )
            raise SessionNotCreated(f"No device of the farm matches {wanted}. The farm has: {known}")
        now = time.monotonic()
        online = [p for p in phones if self.faults.online(p.name, now)]
        if not online:
            raise SessionNotCreated(NOT_CONNECTED[platform].format(udid=phones[0].udid))
        phones = online
        busy = {s.phone.name for s in self.sessions.values()}
        free = [p for p in phones if p.name not in busy]
        if not free:
            names = ", ".join(p.name for p in phones)
            raise SessionNotCreated(f"The device matching {wanted} is busy: {names} already has a session")
        return free[0]

    def new_session(self, body: dict[str, Any]) -> dict[str, Any]:
        self.faults.inject_latency()
        caps = merge_capabilities(body)
        platform = requested_platform(caps)
        timeout = arg(caps, "appium:newCommandTimeout", NUMBER, DEFAULT_COMMAND_TIMEOUT_S)
        if timeout < 0:
            raise InvalidArgument("'newCommandTimeout' must not be negative")
        initial = settings.defaults(platform)
        try:
            settings.update(initial, platform, settings.from_capabilities(caps))
        except InvalidArgument as exc:
            raise SessionNotCreated(str(exc)) from exc
        with self._lock:
            self._reap()
            phone = self._pick(platform, caps)
            session = Session(str(uuid.uuid4()), phone, session_caps(phone, caps), float(timeout), settings=initial)
            session.busy += 1  # starting: the phone is taken, and the session is not idle
            self.sessions[session.id] = session
        try:
            self.faults.start_session()
            with phone.lock:
                session.cleanup = prepare_phone(phone, caps)
                if platform == "ios" and isinstance(caps.get("appium:bundleId"), str):
                    session.aut = caps["appium:bundleId"]
                    session.aut_expected = phone.app_state(session.aut) >= RUNNING_IN_BACKGROUND
        except Exception:
            self.end(session, cleanup=False)
            raise
        finally:
            session.last_used = time.monotonic()  # newCommandTimeout counts from the session's start
            session.busy -= 1
        log.info("session %s on %s", session.id, phone.name)
        return {"sessionId": session.id, "capabilities": session.caps}

    # -- commands ------------------------------------------------------------------------
    def _session(self, sid: str, faulty: bool) -> Session:
        with self._lock:
            self._reap()
            session = self.sessions.get(sid)
            if session is None:
                raise InvalidSessionId()
            if faulty and self.faults.strikes("drop_session"):
                log.warning("fault: drop_session on %s: session %s lost", session.phone.name, sid)
                self._drop(session, cleanup=False)
                raise InvalidSessionId()
            session.busy += 1
            return session

    def run(self, handler: Handler, native: bool, params: dict[str, str], body: dict[str, Any], label: str) -> Any:
        """Run one session command: faults, the session's queue, the handler."""
        self.faults.inject_latency()
        faulty = handler is not delete_session  # ending a session always works, as with Appium
        session = self._session(params["session_id"], faulty)
        try:
            with session.lock:
                if session.id not in self.sessions:
                    raise InvalidSessionId()
                session.note(label)
                if faulty:
                    self.faults.before_command(session, label)
                if native and session.context != NATIVE:
                    raise UnsupportedOperation(
                        f"'{label}' is not available in the web context {session.context} of the virtual farm; "
                        f"switch to {NATIVE}"
                    )
                if native and session.aut_crashed():
                    raise InvalidElementState(AUT_CRASHED.format(bundle=session.aut))
                return handler(Call(session, params, body, self))
        except WebDriverError:
            raise
        except Exception as exc:
            log.exception("command %s failed", label)
            raise UnknownError(f"An unknown server-side error occurred while processing the command: {exc}") from exc
        finally:
            session.last_used = time.monotonic()
            session.busy -= 1
