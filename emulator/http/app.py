"""`create_app()`: the Starlette application, its routes and its middleware stack, built in one place."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.core.errors import UnrecognizedUrlError
from emulator.http import control
from emulator.http.middleware import RequestIdMiddleware
from emulator.http.pipeline import Endpoint, run
from emulator.http.responses import error_response
from emulator.http.routes import API
from emulator.http.state import EmulatorState
from emulator.settings import Settings


def _dispatcher(by_method: dict[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    async def dispatch(request: Request) -> Response:
        endpoint = by_method.get(request.method)
        if endpoint is None:  # e.g. HEAD, which Starlette lets through on GET routes
            return error_response(UnrecognizedUrlError(request.method, request.scope["path"]))
        return await run(request, endpoint)

    return dispatch


def _routes() -> list[BaseRoute]:
    grouped: dict[str, dict[str, Endpoint]] = defaultdict(dict)
    for endpoint in API:
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
    return routes


async def _unrecognized(request: Request, exc: Exception) -> Response:
    return error_response(UnrecognizedUrlError(request.method, request.scope["path"]))


def create_app(settings: Settings | None = None, state: EmulatorState | None = None) -> Starlette:
    """A new emulator with its own, empty namespaces."""
    settings = settings or Settings()
    state = state or EmulatorState.from_settings(settings)
    app = Starlette(
        routes=_routes(),
        middleware=[Middleware(RequestIdMiddleware, request_ids=state.request_ids)],
        exception_handlers={HTTPException: _unrecognized},
    )
    app.state.emulator = state
    return app
