"""The one request pipeline every API endpoint goes through:

auth -> namespace -> `Stripe-Version` -> decode form -> idempotency claim -> validate params -> resource call ->
expand -> JSON, with the request log written at the end. Handlers stay one line in the route table.
"""

from __future__ import annotations

import asyncio
import logging
import time
import types
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from emulator.core import form, messages
from emulator.core.backend import Backend, Call
from emulator.core.errors import (
    ApiError,
    ClientGone,
    InvalidRequestError,
    PermissionDeniedError,
    StripeError,
    UnrecognizedUrlError,
)
from emulator.core.expand import expand
from emulator.core.idempotency import StoredResponse
from emulator.core.spec import Context, Hash, validate
from emulator.core.versions import NEWEST_PREVIEW, ApiVersion, Feature
from emulator.http.auth import ApiKey, authenticate
from emulator.http.responses import ApiResponse, dumps, error_response
from emulator.http.state import EmulatorState
from emulator.resources.registry import EXPANDABLE, connected_account_exists, resolver
from emulator.webhooks.delivery import Dispatcher

logger = logging.getLogger("emulator")

Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    spec: Hash
    publishable: bool = False
    feature: Feature | None = None
    """The endpoint exists only for versions with this feature (e.g. preview-only resources)."""
    generic_surface: bool = False
    """Served only with the generic surface on (`--surface all`, the default): kept by hand because the generic
    layer cannot keep its state (a customer's card sources, its discount); `--surface emulated` answers Stripe's
    404 as before."""


def state_of(request: Request) -> EmulatorState:
    state: EmulatorState | None = getattr(request.scope["app"], "emulator", None)
    if state is None:  # an app made otherwise than by `create_app`
        state = request.app.state.emulator
    assert state is not None
    return state


def header_map(request: Request) -> dict[str, str]:
    """The request's headers as a dict, read once (names are lower-case in ASGI; of a repeated one, the first)."""
    found: dict[str, str] | None = request.scope.get("emulator.headers")
    if found is None:
        found = request.scope["emulator.headers"] = headers_of(request.scope["headers"])
    return found


def headers_of(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI's header list as a dict (names are lower-case in ASGI; of a repeated one, the first: read last to
    first, the first is written last)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(raw)}


def request_id_of(request: Request) -> str:
    request_id: str = request.scope.get("state", {}).get("request_id") or state_of(request).request_ids.request_id()
    return request_id


async def read_body(request: Request, limit: int, timeout: float | None = None) -> bytes:
    """The body, read as it arrives and never past `limit` bytes (a Stripe-shaped 413 then, chunked or not), within
    `timeout` seconds in all (a 408 then; default: the server's `body_timeout`)."""
    cached: bytes | None = getattr(request, "_body", None)
    if cached is not None:
        return cached
    headers = header_map(request)
    declared = headers.get("content-length", "")
    if (declared == "0" or not declared) and "transfer-encoding" not in headers:
        return b""  # HTTP/1.1: a request without Content-Length or Transfer-Encoding has no body
    too_large = _too_large(limit)
    if declared.isdigit() and int(declared) > limit:
        raise too_large  # refused before reading it
    if timeout is None:
        timeout = state_of(request).settings.body_timeout
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    body = bytearray()
    while True:
        remaining = deadline - loop.time()
        try:
            if remaining <= 0:
                raise asyncio.TimeoutError
            message = await _within(request.receive(), remaining)
        except asyncio.TimeoutError:
            raise InvalidRequestError(f"The request body did not arrive within {timeout:g} seconds.",
                                      http_status=408) from None
        if message["type"] == "http.disconnect":
            raise ClientGone
        body += message.get("body", b"")
        if len(body) > limit:
            raise too_large  # stop reading: what is left is never buffered
        if not message.get("more_body", False):
            break
    request._body = bytes(body)  # Starlette's cache: a later `request.body()` returns it
    return request._body


def _too_large(limit: int) -> InvalidRequestError:
    return InvalidRequestError(f"Request body too large: at most {limit} bytes are accepted.", http_status=413)


async def _within(awaitable: Awaitable[Message], seconds: float) -> Message:
    """`await` with a deadline. Most bodies have arrived with their headers: the first step of `receive()` finishes
    without waiting, and then no deadline is armed (arming one costs more than the rest of reading the body). When it
    does wait, it goes on under `asyncio.timeout` (3.11+), else `wait_for`."""
    step = getattr(awaitable, "send", None)
    if step is None:  # not a coroutine: no stepping, only the deadline
        return await _deadline(awaitable, seconds)
    try:
        waiting = step(None)
    except StopIteration as done:
        message: Message = done.value
        return message
    return await _deadline(_go_on(awaitable, waiting), seconds)


async def _deadline(awaitable: Awaitable[Message], seconds: float) -> Message:
    timeout = getattr(asyncio, "timeout", None)
    if timeout is None:  # pragma: no cover - Python 3.10
        return await asyncio.wait_for(awaitable, seconds)
    async with timeout(seconds):
        return await awaitable


@types.coroutine
def _go_on(coroutine: Any, waiting: Any) -> Generator[Any, Any, Message]:
    """Go on with a coroutine stopped at `waiting` (the future it awaits): what `await` would have done from there.
    A cancellation (the deadline) is thrown into it; closing this closes it."""
    while True:
        try:
            sent = yield waiting
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as exc:  # every exception goes into the coroutine, as `await` does
            try:
                waiting = coroutine.throw(exc)
            except StopIteration as done:
                message: Message = done.value
                return message
        else:
            try:
                waiting = coroutine.send(sent)
            except StopIteration as done:
                message = done.value
                return message


async def read_form(request: Request, limit: int) -> form.FormDict:
    return form_of(request.scope.get("query_string", b""), await read_body(request, limit))


def form_of(query: bytes, body: bytes) -> form.FormDict:
    """A request's parameters: its query string's, and its body's over them."""
    if not query:
        return form.decode(body)
    decoded = form.decode(query)
    return form.merge(decoded, form.decode(body)) if body else decoded


@dataclass
class _Exchange:
    """What one request turned out to be, for the request log."""

    request_id: str
    started: float
    backend: Backend | None = None
    version: ApiVersion | None = None
    idempotency_key: str | None = None
    params: Any = None
    replayed: bool = False


class _Dropped(Exception):
    """A fault rule said: drop this connection."""


class DroppedResponse(Response):
    """Starts a response and abandons it halfway: the server closes the connection and the client sees a network
    error (what a load balancer resetting the connection looks like to an SDK)."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"id": ', "more_body": True})


async def run(request: Request, endpoint: Endpoint, fidelity: str = "full") -> Response:
    """Answer one API request. `fidelity` goes out as `Emulator-Fidelity`: `full` for the endpoints emulated by hand,
    `generic` for the others (`emulator.resources.generic`)."""
    exchange = _Exchange(request_id_of(request), time.perf_counter())
    headers: dict[str, str] = {"Emulator-Fidelity": fidelity}
    try:
        response = await _respond(request, endpoint, exchange, headers)
    except ClientGone:  # nobody to answer, and nothing happened: not logged, not recorded
        return Response(status_code=400)
    except _Dropped:
        response = DroppedResponse()
    except Exception as error:
        response = _failed(error, request.method, request.scope["path"], exchange, headers)
    if exchange.backend is not None:
        _log(request.method, request.scope["path"], exchange, response.status_code)
    return response


def run_now(state: EmulatorState, endpoint: Endpoint, method: str, path: str, path_params: dict[str, Any],
            request_headers: dict[str, str], query: bytes, body: bytes, request_id: str,
            scheme: str = "http") -> Response | None:
    """`run` for a request whose whole body is in hand, answered without waiting for anything: the same steps in the
    same order, the same answer. None — before anything happened — when the request's namespace has fault rules
    (a latency or a dropped connection needs the event loop: `run` answers it)."""
    exchange = _Exchange(request_id, time.perf_counter())
    headers: dict[str, str] = {"Emulator-Fidelity": "full"}
    try:
        backend, version, api_key = _admit(state, endpoint, request_headers, exchange, headers)
        if backend.faults.active():
            return None
        on_behalf = _permitted(backend, endpoint, version, api_key, method, path, request_headers, headers)
        limit = state.settings.max_body_bytes
        if len(body) > limit:
            raise _too_large(limit)
        response = _complete(state, endpoint, backend, version, on_behalf, method, path, path_params,
                             request_headers, query, body, scheme, exchange, headers)
    except Exception as error:
        response = _failed(error, method, path, exchange, headers)
    if exchange.backend is not None:
        _log(method, path, exchange, response.status_code)
    return response


def _failed(error: Exception, method: str, path: str, exchange: _Exchange, headers: dict[str, str]) -> Response:
    if isinstance(error, StripeError):
        return error_response(error, headers)
    # a bug: never let it escape as a bare 500
    logger.error("unexpected error while handling %s %s (%s)", method, path, exchange.request_id, exc_info=error)
    return error_response(ApiError(messages.INTERNAL_ERROR.format(request_id=exchange.request_id)), headers)


async def _respond(request: Request, endpoint: Endpoint, exchange: _Exchange, headers: dict[str, str]) -> Response:
    state = state_of(request)
    request_headers = header_map(request)
    method, path = request.method, request.scope["path"]
    backend, version, api_key = _admit(state, endpoint, request_headers, exchange, headers)
    fault = backend.faults.decide(method, path)
    if fault is not None:
        headers["Emulator-Fault"] = fault.rule
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.drop_connection:
            raise _Dropped
        if fault.error is not None:
            raise fault.error
    on_behalf = _permitted(backend, endpoint, version, api_key, method, path, request_headers, headers)
    body = await read_body(request, state.settings.max_body_bytes)
    return _complete(state, endpoint, backend, version, on_behalf, method, path, request.path_params,
                     request_headers, request.scope.get("query_string", b""), body, request.scope.get("scheme", "http"),
                     exchange, headers)


def _admit(state: EmulatorState, endpoint: Endpoint, request_headers: dict[str, str], exchange: _Exchange,
           headers: dict[str, str]) -> tuple[Backend, ApiVersion, ApiKey]:
    """Who asks (the key), in which namespace, in which version."""
    api_key = authenticate(request_headers, allow_publishable=endpoint.publishable)
    backend = exchange.backend = state.backends.get(api_key.namespace)
    version = exchange.version = state.policy.resolve(request_headers.get("stripe-version"))
    headers["Stripe-Version"] = version.raw
    return backend, version, api_key


def _permitted(backend: Backend, endpoint: Endpoint, version: ApiVersion, api_key: ApiKey, method: str, path: str,
               request_headers: dict[str, str], headers: dict[str, str]) -> str | None:
    """The checks after a fault rule's turn: the rate limit, the endpoint's version, `Stripe-Account`. The account
    acted for, if any."""
    if backend.rate_limiter is not None and not backend.rate_limiter.allow():
        raise backend.rate_limiter.refusal()
    if endpoint.feature is not None and not endpoint.feature.gate.enabled(version):
        raise UnrecognizedUrlError(
            method, path,
            hint=f" This endpoint exists only with a preview Stripe-Version (e.g. {NEWEST_PREVIEW}); "
                 f"you sent {version}.",
        )
    on_behalf = request_headers.get("stripe-account")
    if on_behalf is not None and not connected_account_exists(backend, on_behalf):
        raise PermissionDeniedError(
            f"The provided key '{api_key.masked}' does not have access to account '{on_behalf[:40]}' (or that "
            f"account does not exist). Application access may have been revoked.", code="account_invalid")
    if on_behalf is not None:
        headers["Stripe-Account"] = on_behalf  # echoed, as Stripe does (stripe-node's lastResponse.stripeAccount)
    return on_behalf


def _complete(state: EmulatorState, endpoint: Endpoint, backend: Backend, version: ApiVersion, on_behalf: str | None,
              method: str, path: str, path_params: dict[str, Any], request_headers: dict[str, str], query: bytes,
              body: bytes, scheme: str, exchange: _Exchange, headers: dict[str, str]) -> Response:
    """From the parameters on: idempotency, validation, the resource, the answer."""
    raw = form_of(query, body)
    exchange.params = raw  # (masked when the log is read: `RequestLog`)
    key = (request_headers.get("idempotency-key") or None) if endpoint.method == "POST" else None
    exchange.idempotency_key = key
    if key is not None:
        headers["Idempotency-Key"] = key
        fingerprint = f"{endpoint.method} {path} {form.canonical(raw)}"
        stored = backend.idempotency.begin(key, fingerprint, backend.clock.now())
        if stored is not None:
            exchange.replayed = True
            return _replay(stored, headers)
    generic = state.settings.surface == "all"
    context = _CONTEXTS.get((version.raw, generic))
    if context is None:  # a version's raw text names it whole: equal texts parse to equal versions
        context = Context(version, generic)
        if len(_CONTEXTS) < 256:  # bounded whatever versions clients name
            _CONTEXTS[(version.raw, generic)] = context
    try:
        values = validate(endpoint.spec, raw, context)
    except StripeError:
        if key is not None:
            backend.idempotency.release(key)  # rejected before it ran: the key stays free
        raise
    host = request_headers.get("host") or "127.0.0.1:12111"
    call = Call(version, exchange.request_id, key, f"{scheme}://{host}", on_behalf, generic)  # its fields in order
    status, answer, changed = _execute(backend, endpoint, call, values, path_params, state.dispatcher)
    if changed:  # deliver whatever the request caused, in the background (if nothing is to be sent: no wake-up)
        state.dispatcher.kick(backend)
    if key is not None:
        backend.idempotency.finish(key, StoredResponse(status, answer, exchange.request_id, str(version)))
        headers["Original-Request"] = exchange.request_id
    return ApiResponse(answer, status, headers)


_CONTEXTS: dict[tuple[str, bool], Context] = {}
"""The validation contexts, by version and surface (the first 256 kept: a retrieve does not make its own)."""


def _execute(
    backend: Backend, endpoint: Endpoint, call: Call, values: dict[str, Any], path_params: dict[str, Any],
    dispatcher: Dispatcher,
) -> tuple[int, bytes, bool]:
    """Run the resource under the namespace lock: the status, the body, and whether the webhook worker has something
    new to do — a delivery was made or a timer scheduled meanwhile (due timers included). Errors raised here are
    results (stored for idempotent replay)."""

    timers = backend.timers
    with backend.lock:
        scheduled, made = timers.scheduled, dispatcher.made
        try:
            backend.tick()
            result: Any = endpoint.handler(backend, call, values, **path_params)
            paths = values.get("expand") or []
            if paths:
                result = expand(result, paths, EXPANDABLE, resolver(backend, call.version))
            status = 200
        except StripeError as error:
            status, result = error.http_status, error.to_dict()
        changed = timers.scheduled != scheduled or dispatcher.made != made
    return status, dumps(result), changed


def _replay(stored: StoredResponse, headers: dict[str, str]) -> Response:
    replay_headers = {
        **headers,
        "Idempotent-Replayed": "true",
        "Original-Request": stored.request_id,
        "Stripe-Version": stored.stripe_version,
    }
    return ApiResponse(stored.body, stored.status, replay_headers)


def _log(method: str, path: str, exchange: _Exchange, status: int) -> None:
    assert exchange.backend is not None
    exchange.backend.requests.record(  # a LoggedRequest's fields, in order
        exchange.request_id, method, path, exchange.params, status, exchange.idempotency_key,
        None if exchange.version is None else exchange.version.raw, (time.perf_counter() - exchange.started) * 1000,
        exchange.backend.clock.timestamp(), exchange.replayed,
    )
