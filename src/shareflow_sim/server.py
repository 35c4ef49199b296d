"""The virtual farm's Appium endpoint over HTTP: uvicorn serving the protocol's web app (see
``shareflow_sim.protocol``), in the foreground or from a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn

from shareflow_sim.farm import Farm
from shareflow_sim.protocol.app import create_app


class _Uvicorn(uvicorn.Server):
    """uvicorn that calls back once it listens."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket. TCP_NODELAY (inherited by accepted sockets) matters: uvicorn writes a
    response's head and body separately, and with Nagle's algorithm every keep-alive response
    would wait ~40 ms for the client's delayed ACK."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _server(
    farm: Farm, sock: socket.socket, on_ready: Callable[[str], None], allow_insecure: frozenset[str], relaxed: bool
) -> _Uvicorn:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    config = uvicorn.Config(
        create_app(farm, allow_insecure, relaxed),
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return _Uvicorn(config, lambda: on_ready(url))


def serve(
    farm: Farm,
    host: str = "127.0.0.1",
    port: int = 4723,
    on_ready: Callable[[str], None] = print,
    allow_insecure: frozenset[str] = frozenset(),
    relaxed_security: bool = False,
) -> None:
    """Serve ``farm`` until SIGINT or SIGTERM; ``on_ready(url)`` once listening (port 0: a free port).

    ``allow_insecure`` and ``relaxed_security`` are Appium's server arguments of the same names.
    """
    with _bind(host, port) as sock:
        _server(farm, sock, on_ready, allow_insecure, relaxed_security).run(sockets=[sock])


@contextlib.contextmanager
def serve_in_thread(
    farm: Farm,
    host: str = "127.0.0.1",
    port: int = 0,
    allow_insecure: frozenset[str] = frozenset(),
    relaxed_security: bool = False,
) -> Iterator[str]:
    """Serve ``farm`` from a background thread; yields the server's URL."""
    ready: list[str] = []
    started = threading.Event()

    def on_ready(url: str) -> None:
        ready.append(url)
        started.set()

    with _bind(host, port) as sock:
        server = _server(farm, sock, on_ready, allow_insecure, relaxed_security)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="shareflow-sim", daemon=True)
        thread.start()
        try:
            if not started.wait(15):
                raise RuntimeError("the virtual farm's server did not start")
            yield ready[0]
        finally:
            server.should_exit = True
            thread.join(15)
