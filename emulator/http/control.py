"""The control plane under `/_emulator/`: health, reset, clock, request log. JSON in Stripe's error shape; the
namespace is chosen by the same Bearer key as the API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator import __version__
from emulator.core import form, messages
from emulator.core.backend import Backend
from emulator.core.errors import ApiError, InvalidRequestError, PermissionDeniedError, StripeError
from emulator.core.events import type_matcher
from emulator.core.faults import PRESETS, FaultRule
from emulator.core.listing import envelope
from emulator.core.snapshot import SnapshotError
from emulator.core.spec import Boolean, Choice, Context, Decimal, Field, Integer, String, params, validate
from emulator.core.versions import parse
from emulator.http import openapi, persistence
from emulator.http.auth import authenticate
from emulator.http.pipeline import read_body, read_form, state_of
from emulator.http.responses import error_response, json_response

RESET = params({"all": Field(Boolean())}, expand=False)
CLOCK_GET = params({}, expand=False)
CLOCK_SET = params({"advance": Field(Integer(minimum=0)), "freeze": Field(Boolean())}, expand=False)
REQUESTS = params({"limit": Field(Integer(minimum=1, maximum=1000))}, expand=False)
DELIVERIES = params({"limit": Field(Integer(minimum=1, maximum=1000)), "event": Field(String()),
                     "endpoint": Field(String()), "type": Field(String())}, expand=False)
FLUSH = params({"timeout": Field(Integer(minimum=0, maximum=120))}, expand=False)
WAIT = params({"for": Field(Choice(("event", "delivery")), required=True), "type": Field(String(), required=True),
               "after": Field(String()), "succeeded": Field(Boolean()),
               "timeout": Field(Integer(minimum=0, maximum=60))}, expand=False)

FAULT_ADD = params({"method": Field(Choice(("GET", "POST", "DELETE"))), "path_prefix": Field(String(max_length=500)),
                    "error": Field(Choice(tuple(PRESETS))), "status": Field(Integer(minimum=400, maximum=599)),
                    "latency_ms": Field(Integer(minimum=0, maximum=60_000)), "drop_connection": Field(Boolean()),
                    "probability": Field(Decimal(minimum=0.0, maximum=1.0)), "seed": Field(Integer()),
                    "count": Field(Integer(minimum=1, maximum=1_000_000))}, expand=False)
FAULT_LIST = params({}, expand=False)
SNAPSHOT = params({"all": Field(Boolean())}, expand=False)
SAVE = params({}, expand=False)


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


def _cross_namespace(request: Request, what: str) -> None:
    """Operations that reach every namespace (`all=true`) need the control token. Without one configured nobody
    holds it, so they are refused: any key holder could otherwise read every namespace (webhook secrets
    included), wipe them or overwrite them. (With a token configured, the middleware has checked it already.)"""
    if state_of(request).settings.control_token is None:
        raise PermissionDeniedError(messages.CROSS_NAMESPACE_NEEDS_TOKEN.format(what=what),
                                    code="control_token_required", param="all")


def _namespace(request: Request) -> Backend:
    """The namespace of the request's (secret) key, created on first use."""
    return state_of(request).backends.get(authenticate(request.headers, allow_publishable=False).namespace)


async def _scoped(request: Request, spec: Any) -> tuple[Backend, dict[str, Any]]:
    """Authenticate (401 first), validate the params (400 changes nothing), then the key's namespace."""
    key = authenticate(request.headers, allow_publishable=False)
    values = await _values(request, spec)
    return state_of(request).backends.get(key.namespace), values


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
        _cross_namespace(request, "Resetting with all=true")
        count = state.backends.reset_all()
        return json_response({"object": "emulator.reset", "all": True, "namespaces_reset": count})
    state.backends.reset(key.namespace)
    return json_response({"object": "emulator.reset", "all": False, "namespace": key.masked, "namespaces_reset": 1})


@_guarded
async def clock(request: Request) -> Response:
    state = state_of(request)
    backend = _namespace(request)
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
    state.dispatcher.kick(backend)
    return json_response(backend.clock.to_dict())


@_guarded
async def requests(request: Request) -> Response:
    backend, values = await _scoped(request, REQUESTS)
    entries = backend.requests.newest_first(values.get("limit", 100))
    return json_response(envelope([entry.to_dict() for entry in entries], False, "/_emulator/requests"))


@_guarded
async def deliveries(request: Request) -> Response:
    backend, values = await _scoped(request, DELIVERIES)
    outbox = state_of(request).dispatcher.outbox(backend)
    matches = type_matcher(values["type"]) if "type" in values else None
    found = [a.to_dict() for a in reversed(outbox.attempts)
             if values.get("event") in (None, a.event) and values.get("endpoint") in (None, a.endpoint)
             and (matches is None or matches(a.event_type))]
    return json_response(envelope(found[: values.get("limit", 100)], len(found) > values.get("limit", 100),
                                  "/_emulator/webhooks/deliveries"))


@_guarded
async def flush(request: Request) -> Response:
    backend, values = await _scoped(request, FLUSH)
    summary = await state_of(request).dispatcher.flush(backend, values.get("timeout", 30))
    return json_response({"object": "emulator.webhooks_flush", **summary})


@_guarded
async def wait(request: Request) -> Response:
    """Wait (bounded) until an event of a type exists, or a delivery attempt of an event type was made."""
    state = state_of(request)
    backend, values = await _scoped(request, WAIT)
    matches = type_matcher(values["type"])
    after = values.get("after")

    def found_event() -> dict[str, object] | None:
        with backend.lock:
            backend.tick()
            start = backend.events.table.position(after) if after else None
            rows = backend.events.table.oldest_first(start) if start is not None else reversed(
                list(backend.events.table.newest_first()))
            for event in rows:
                if matches(event.type):
                    return event.render()
        return None

    def found_delivery() -> dict[str, object] | None:
        attempts = list(state.dispatcher.outbox(backend).attempts)
        if after:
            ids = [a.id for a in attempts]
            attempts = attempts[ids.index(after) + 1:] if after in ids else attempts
        for attempt in attempts:
            if matches(attempt.event_type) and (not values.get("succeeded", False) or attempt.succeeded):
                return attempt.to_dict()
        return None

    state.dispatcher.kick(backend)
    predicate = found_event if values["for"] == "event" else found_delivery
    result = await state.dispatcher.notifier.wait_until(predicate, values.get("timeout", 10))
    if result is None:
        raise InvalidRequestError(
            f"No {values['for']} matching {values['type']!r} within {values.get('timeout', 10)}s.",
            code="resource_missing", http_status=408)
    return json_response(result)


@_guarded
async def faults(request: Request) -> Response:
    """`POST` adds a rule for the key's namespace, `GET` lists them, `DELETE` removes them all."""
    state = state_of(request)
    backend = _namespace(request)
    if request.method == "GET":
        await _values(request, FAULT_LIST)
        return json_response(envelope([rule.to_dict() for rule in backend.faults.all()], False, "/_emulator/faults"))
    if request.method == "DELETE":
        await _values(request, FAULT_LIST)
        return json_response({"object": "emulator.faults_cleared", "deleted": backend.faults.clear()})
    values = await _values(request, FAULT_ADD)
    if not any(name in values for name in ("error", "status", "latency_ms", "drop_connection")):
        raise InvalidRequestError("A fault needs at least one of error, status, latency_ms or drop_connection.",
                                  code="parameter_missing", param="error")
    prefix = values.get("path_prefix", "/v1/")
    if not prefix.startswith("/v1/"):
        raise InvalidRequestError("path_prefix must start with /v1/: faults apply to the Stripe API only.",
                                  param="path_prefix")
    rule = backend.faults.add(FaultRule(
        id=state.request_ids.new("flt"), method=values.get("method"), path_prefix=prefix, error=values.get("error"),
        status=values.get("status"), latency_ms=values.get("latency_ms", 0),
        drop_connection=values.get("drop_connection", False), probability=values.get("probability", 1.0),
        seed=values.get("seed"), remaining=values.get("count")))
    return json_response(rule.to_dict())


OPENAPI = params({"version": Field(String(max_length=100))}, expand=False)


@_guarded
async def openapi_document(request: Request) -> Response:
    """The emulator's OpenAPI document for one Stripe-Version (`?version=`, default the server's); no key needed."""
    state = state_of(request)
    values = await _values(request, OPENAPI)
    try:
        version = parse(values["version"]) if "version" in values else state.policy.default
    except StripeError as error:
        raise InvalidRequestError(error.message, param="version") from None
    return json_response(openapi.document(version))


@_guarded
async def snapshot(request: Request) -> Response:
    """`GET`: the key's namespace (or, with `all=true`, every namespace) as a snapshot document. `POST`: write
    `--state-file` now."""
    state = state_of(request)
    key = authenticate(request.headers, allow_publishable=False)
    if request.method == "GET":
        values = await _values(request, SNAPSHOT)
        if values.get("all"):
            _cross_namespace(request, "A snapshot with all=true")
        chosen = None if values.get("all") else [key.namespace]
        state.backends.get(key.namespace)
        doc = await asyncio.to_thread(persistence.document, state, chosen)
        return json_response(doc)
    await _values(request, SAVE)
    state_file: persistence.StateFile | None = request.app.state.state_file
    if state_file is None:
        raise InvalidRequestError("This emulator runs without --state-file: there is no file to save to. "
                                  "GET /_emulator/snapshot returns the state instead.")
    try:
        done = await asyncio.to_thread(state_file.save, True)
    except OSError as error:  # the file system, not the request: a 503 saying so
        raise ApiError(f"The state could not be written to {state_file.path}: {error.strerror or error}.",
                       http_status=503) from None
    return json_response({"object": "emulator.snapshot_saved", "path": str(state_file.path), **done})


@_guarded
async def restore(request: Request) -> Response:
    """Replace the key's namespace (or, with `?all=true`, every namespace of the document) by its state in the JSON
    document of the body — or in `--state-file` when the body is empty. A document that cannot be read changes
    nothing."""
    state = state_of(request)
    key = authenticate(request.headers, allow_publishable=False)
    # the body is the document, so the parameters come from the query string alone
    query = form.decode(request.scope.get("query_string", b""))
    everything = bool(validate(SNAPSHOT, query, Context(state.policy.default)).get("all"))
    if everything:
        _cross_namespace(request, "Restoring with all=true")
    body = await read_body(request, state.settings.max_restore_bytes)
    if body.strip():
        try:
            doc = await asyncio.to_thread(persistence.parse, body)
        except SnapshotError as error:
            raise InvalidRequestError(f"The body is not a JSON snapshot document: {error}") from None
    else:
        state_file: persistence.StateFile | None = request.app.state.state_file
        if state_file is None:
            raise InvalidRequestError("Send a snapshot document (from GET /_emulator/snapshot) as the JSON body; "
                                      "this emulator runs without --state-file to restore from.")
        try:
            doc = persistence.read_file(state_file.path)
        except (SnapshotError, persistence.StateFileError) as error:
            raise InvalidRequestError(f"The state file cannot be read: {error}") from None
        if doc is None:
            raise InvalidRequestError(f"{state_file.path} does not exist yet.")
    try:
        with_names = None if everything else [key.namespace]
        restored = await asyncio.to_thread(persistence.restore, state, doc, with_names)
    except SnapshotError as error:
        raise InvalidRequestError(f"The snapshot cannot be restored: {error}") from None
    for name in restored:
        state.dispatcher.kick(state.backends.peek(name))
    return json_response({"object": "emulator.restore", "namespaces_restored": len(restored),
                          "all": everything})


ROUTES: list[tuple[str, str, ControlHandler]] = [
    ("GET", "/_emulator/health", health),
    ("POST", "/_emulator/reset", reset),
    ("GET", "/_emulator/clock", clock),
    ("POST", "/_emulator/clock", clock),
    ("GET", "/_emulator/requests", requests),
    ("GET", "/_emulator/webhooks/deliveries", deliveries),
    ("POST", "/_emulator/webhooks/flush", flush),
    ("POST", "/_emulator/wait", wait),
    ("GET", "/_emulator/faults", faults),
    ("POST", "/_emulator/faults", faults),
    ("DELETE", "/_emulator/faults", faults),
    ("GET", "/_emulator/openapi.json", openapi_document),
    ("GET", "/_emulator/snapshot", snapshot),
    ("POST", "/_emulator/snapshot", snapshot),
    ("POST", "/_emulator/restore", restore),
]
