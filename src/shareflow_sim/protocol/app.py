"""The web app: the farm's Appium endpoint, every area's session commands routed to the session service."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shareflow_sim.farm import Farm
from shareflow_sim.protocol import (
    actions,
    alerts,
    contexts,
    device,
    elements,
    finding,
    lifecycle,
    logs,
    mobile,
    routes,
    screen,
    settings,
    unimplemented,
)
from shareflow_sim.protocol.errors import InvalidArgument, UnknownCommand, WebDriverError
from shareflow_sim.protocol.routes import Handler
from shareflow_sim.protocol.service import FarmService

# every session command, area by area: (method, path under /session/{session_id}, handler, native)
ROUTES = [
    route
    for area in (
        routes,
        screen,
        finding,
        elements,
        actions,
        device,
        lifecycle,
        settings,
        contexts,
        logs,
        alerts,
        mobile,
        unimplemented,
    )
    for route in area.command.routes
]


async def _body(request: Request) -> dict[str, Any]:
    if request.method not in ("POST", "PUT"):
        return {}
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise InvalidArgument(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidArgument("The request body must be a JSON object")
    return body


def _endpoint(service: FarmService, handler: Handler, native: bool) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> JSONResponse:
        label = f"{request.method} {request.url.path}"
        try:
            body = await _body(request)
            params = dict(request.path_params)
            value = await run_in_threadpool(service.run, handler, native, params, body, label)
        except WebDriverError as exc:
            return exc.response()
        return JSONResponse({"value": value})

    return endpoint


def create_app(farm: Farm, allow_insecure: frozenset[str] = frozenset(), relaxed_security: bool = False) -> Starlette:
    """The HTTP application serving ``farm``'s phones, with the insecure features the server allows."""
    service = FarmService(farm, allow_insecure, relaxed_security)

    async def status(request: Request) -> JSONResponse:
        return JSONResponse({"value": await run_in_threadpool(service.status)})

    async def new_session(request: Request) -> JSONResponse:
        try:
            body = await _body(request)
            value = await run_in_threadpool(service.new_session, body)
        except WebDriverError as exc:
            return exc.response()
        return JSONResponse({"value": value})

    async def unknown(request: Request, exc: Exception) -> JSONResponse:
        return UnknownCommand().response()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        service.close()

    served = [Route("/status", status, methods=["GET"]), Route("/session", new_session, methods=["POST"])]
    served += [
        Route(f"/session/{{session_id}}{path}", _endpoint(service, handler, native), methods=[method])
        for method, path, handler, native in ROUTES
    ]
    app = Starlette(routes=served, exception_handlers={404: unknown, 405: unknown}, lifespan=lifespan)
    app.state.service = service
    return app
