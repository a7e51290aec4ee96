"""The control plane under `/_emulator/`: health, reset, clock, request log. JSON in Stripe's error shape; the
namespace is chosen by the same Bearer key as the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator import __version__
from emulator.core.errors import StripeError
from emulator.core.listing import envelope
from emulator.core.spec import Boolean, Context, Field, Integer, params, validate
from emulator.http.auth import authenticate
from emulator.http.pipeline import read_form, state_of
from emulator.http.responses import error_response, json_response

RESET = params({"all": Field(Boolean())}, expand=False)
CLOCK_GET = params({}, expand=False)
CLOCK_SET = params({"advance": Field(Integer(minimum=0)), "freeze": Field(Boolean())}, expand=False)
REQUESTS = params({"limit": Field(Integer(minimum=1, maximum=1000))}, expand=False)


async def health(request: Request) -> Response:
    state = state_of(request)
    return json_response(
        {
            "object": "emulator.health",
            "status": "ok",
            "version": __version__,
            "default_api_version": str(state.policy.default),
            "namespaces": len(state.backends.namespaces()),
        }
    )


ControlHandler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Callable[[Request], Awaitable[Response]]) -> ControlHandler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except StripeError as error:
            return error_response(error)

    return run


async def _values(request: Request, spec: Any) -> dict[str, Any]:
    state = state_of(request)
    raw = await read_form(request, state.settings.max_body_bytes)
    return validate(spec, raw, Context(state.policy.default))


@_guarded
async def reset(request: Request) -> Response:
    state = state_of(request)
    key = authenticate(request.headers, allow_publishable=False)
    values = await _values(request, RESET)
    if values.get("all"):
        count = state.backends.reset_all()
        return json_response({"object": "emulator.reset", "all": True, "namespaces_reset": count})
    state.backends.reset(key.namespace)
    return json_response({"object": "emulator.reset", "all": False, "namespace": key.masked, "namespaces_reset": 1})


@_guarded
async def clock(request: Request) -> Response:
    state = state_of(request)
    key = authenticate(request.headers, allow_publishable=False)
    backend = state.backends.get(key.namespace)
    if request.method == "GET":
        await _values(request, CLOCK_GET)
        return json_response(backend.clock.to_dict())
    values = await _values(request, CLOCK_SET)
    with backend.lock:
        if "freeze" in values:
            if values["freeze"]:
                backend.clock.freeze()
            else:
                backend.clock.unfreeze()
        if "advance" in values:
            backend.clock.advance(values["advance"])
        backend.tick()
    return json_response(backend.clock.to_dict())


@_guarded
async def requests(request: Request) -> Response:
    state = state_of(request)
    key = authenticate(request.headers, allow_publishable=False)
    values = await _values(request, REQUESTS)
    backend = state.backends.get(key.namespace)
    entries = backend.requests.newest_first(values.get("limit", 100))
    return json_response(envelope([entry.to_dict() for entry in entries], False, "/_emulator/requests"))


ROUTES: list[tuple[str, str, ControlHandler]] = [
    ("GET", "/_emulator/health", health),
    ("POST", "/_emulator/reset", reset),
    ("GET", "/_emulator/clock", clock),
    ("POST", "/_emulator/clock", clock),
    ("GET", "/_emulator/requests", requests),
]
