"""`create_app()`: the Starlette application, its routes and its middleware stack, built in one place."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from emulator.core.backend import Backend, Call
from emulator.core.errors import UnrecognizedUrlError
from emulator.core.versions import Feature
from emulator.http import browser, control, dashboard
from emulator.http.fastpath import FastPath
from emulator.http.middleware import ControlTokenMiddleware, HostMiddleware, RequestIdMiddleware
from emulator.http.persistence import StateFile
from emulator.http.pipeline import Endpoint, run
from emulator.http.responses import error_response
from emulator.http.router import IndexedRouter
from emulator.http.routes import API
from emulator.http.state import EmulatorState
from emulator.resources import generic
from emulator.resources.registry import found_by_hand
from emulator.settings import Settings


def _dispatcher(by_method: dict[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    async def dispatch(request: Request) -> Response:
        endpoint = by_method.get(request.method)
        if endpoint is None:  # e.g. HEAD, which Starlette lets through on GET routes
            return error_response(UnrecognizedUrlError(request.method, request.scope["path"]))
        return await run(request, endpoint)

    dispatch.by_method = by_method  # type: ignore[attr-defined]  # the fast path runs the endpoint itself
    return dispatch


def _generic() -> Callable[[Request], Awaitable[Response]]:
    """The catch-all for `/v1/…` with `--surface all`: an endpoint the stripe SDK has and nothing here emulates by
    hand answers generically; anything else is Stripe's 404."""
    endpoints: dict[str, Endpoint] = {}

    async def dispatch(request: Request) -> Response:
        found = generic.match(request.method, request.scope["path"])
        if found is None:
            return error_response(UnrecognizedUrlError(request.method, request.scope["path"]))
        spec, path_params = found
        if spec.object is None:  # the SDK does not say which object it answers with (a union): not served yet
            return error_response(UnrecognizedUrlError(request.method, request.scope["path"]))
        endpoint = endpoints.get(spec.key)
        if endpoint is None:
            def handler(backend: Backend, call: Call, values: dict[str, Any], **params: str) -> dict[str, Any]:
                return generic.handle(backend, call, values, spec, params, found_by_hand)

            endpoint = endpoints[spec.key] = Endpoint(
                spec.method, spec.template, handler, spec.spec(),
                feature=Feature.SDK_PREVIEW_PARAMS if spec.preview else None)  # preview-only: preview versions
        request.scope["path_params"] = path_params
        return await run(request, endpoint, "generic")

    return dispatch


def _routes(settings: Settings | None = None) -> list[BaseRoute]:
    grouped: dict[str, dict[str, Endpoint]] = defaultdict(dict)
    generic_surface = settings is not None and settings.surface == "all"
    for endpoint in API:
        if endpoint.generic_surface and not generic_surface:
            continue  # `--surface emulated`: Stripe's 404, as before the generic surface
        grouped[endpoint.path][endpoint.method] = endpoint
    routes: list[BaseRoute] = [
        Route(path, _dispatcher(by_method), methods=list(by_method), include_in_schema=False)
        for path, by_method in grouped.items()
    ]
    control_grouped: dict[str, list[str]] = defaultdict(list)
    handlers: dict[str, Callable[[Request], Awaitable[Response]]] = {}
    for method, path, handler in control.ROUTES:
        control_grouped[path].append(method)
        handlers[path] = handler
    routes += [Route(path, handlers[path], methods=methods) for path, methods in control_grouped.items()]
    browser_grouped: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = defaultdict(dict)
    for method, path, handler in [*browser.ROUTES, *dashboard.ROUTES]:
        browser_grouped[path][method] = handler
    for path, by_method in browser_grouped.items():
        routes.append(Route(path, _by_method(by_method), methods=list(by_method)))
    if generic_surface:  # last: a route above always wins
        routes.append(Route("/v1/{rest:path}", _generic(), methods=["GET", "POST", "DELETE"]))
    return routes


PageHandler = Callable[[Request], Awaitable[Response]]


def _by_method(handlers: dict[str, PageHandler]) -> PageHandler:
    async def dispatch(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:
            return error_response(UnrecognizedUrlError(request.method, request.scope["path"]))
        return await handler(request)

    return dispatch


async def _unrecognized(request: Request, exc: Exception) -> Response:
    return error_response(UnrecognizedUrlError(request.method, request.scope["path"]))


LOOPBACK_ORIGINS = r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?"


def cors_origins(settings: Settings) -> str:
    """Browsers may call the API from loopback origins, and from the `--cors-origin`s given."""
    extra = [re.escape(origin.rstrip("/")) for origin in settings.cors_origins]
    return "^(" + "|".join([LOOPBACK_ORIGINS, *extra]) + ")$"


class EmulatorApp(Starlette):
    """Starlette, with the Stripe API's plain requests served on the fast path (`emulator.http.fastpath`)."""

    fast: FastPath | None = None
    emulator: EmulatorState | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self.fast
        taken = fast.route(scope) if fast is not None else None
        if fast is None or taken is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await fast.serve(*taken, scope, receive, send)


def create_app(settings: Settings | None = None, state: EmulatorState | None = None) -> Starlette:
    """A new emulator with its own, empty namespaces."""
    settings = settings or Settings()
    state = state or EmulatorState.from_settings(settings)
    state_file: StateFile | None = None
    if settings.state_file is not None:
        state_file = StateFile(state, Path(settings.state_file), settings.state_interval)
        state_file.load()  # SnapshotError for a file this emulator cannot read: refuse to start over it

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if state_file is not None:
            state_file.start()
            for name in state.backends.namespaces():  # restored timers and deliveries go on without a request
                restored = state.backends.peek(name)
                if restored is not None:
                    state.dispatcher.kick(restored)
        try:
            yield
        finally:
            if state_file is not None:
                await state_file.stop()

    app = EmulatorApp(
        lifespan=lifespan,
        routes=_routes(settings),
        middleware=[
            Middleware(RequestIdMiddleware, request_ids=state.request_ids),
            Middleware(HostMiddleware, names=settings.allowed_hosts),
            Middleware(ControlTokenMiddleware, token=settings.control_token),
            Middleware(CORSMiddleware, allow_origin_regex=cors_origins(settings), allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type", "Stripe-Version", "Idempotency-Key",
                                      "Emulator-Control-Token"]),
        ],
        exception_handlers={HTTPException: _unrecognized},
    )
    app.router = IndexedRouter(routes=app.router.routes, lifespan=lifespan)  # the same routes, matched by index
    app.router.redirect_slashes = False  # `/v1/customers/` is a 404 at Stripe, never a redirect to the Host's URL
    if settings.fast_path:
        app.fast = FastPath(app.router, settings.allowed_hosts, state.request_ids, settings.control_token, state)
    app.state.emulator = state
    app.emulator = state  # read once per request by the pipeline (`state_of`): without Starlette's `State` lookup
    app.state.state_file = state_file
    return app
