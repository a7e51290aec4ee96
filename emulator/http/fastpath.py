"""The Stripe API's requests, served without Starlette's middleware layers when nothing of theirs is needed.

Most requests a test suite sends are `/v1/…` calls from an SDK on loopback: no `Origin` (so no CORS work), a
loopback `Host`, no control token to check. For those this entry does inline what the middleware stack would do —
the host check, `Vary: Origin` (what the CORS layer adds to a response to a request without one), a `Request-Id`,
an `api_error` for a bug — finds the route through the same index, and runs the same pipeline. Everything else
(other paths, browsers' CORS requests, the test helpers when a control token is set, a `Host` to refuse, a path or
method no route takes) goes through the full stack unchanged; a test compares the two answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from emulator.core.errors import ClientGone
from emulator.core.ids import IdFactory
from emulator.http.middleware import HostVerdicts, internal_error
from emulator.http.pipeline import run
from emulator.http.responses import ApiResponse
from emulator.http.router import IndexedRouter

HELPERS = "/v1/test_helpers/"


class FastPath:
    def __init__(self, router: IndexedRouter, hosts: tuple[str, ...], request_ids: IdFactory,
                 control_token: str | None) -> None:
        self.router = router
        self.allowed = HostVerdicts(hosts)
        self.request_ids = request_ids
        self.control_token = control_token

    def route(self, scope: Scope) -> tuple[Route, Scope] | None:
        """The API route that takes this request on the fast path, with what its match adds to the scope; None when
        the full stack must answer it."""
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            return None
        if self.control_token is not None and scope["path"].startswith(HELPERS):
            return None
        host = None
        for name, value in scope["headers"]:
            if name == b"origin":
                return None  # a browser's request: the CORS layer answers it
            if name == b"host" and host is None:
                host = value
        if host is not None and not self.allowed(host):
            return None  # the host layer refuses it
        found = self.router.find(scope)
        if found is None or found[2] is not Match.FULL or not isinstance(found[0], Route):
            return None  # no route, or a method this path does not have: the full stack's answer
        return found[0], found[1]

    async def serve(self, route: Route, child: Scope, scope: Scope, receive: Receive, send: Send) -> None:
        """The request answered as the full stack would (`middleware.guarded`'s rules inline: a client gone is
        nothing to answer, a bug before the response began is Stripe's `api_error` 500)."""
        request_id = self.request_ids.request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        scope["router"] = self.router
        scope["route"] = route
        scope.update(child)
        started = False
        try:
            request = Request(scope, receive, send)
            endpoint = getattr(route.endpoint, "by_method", {}).get(scope["method"])
            response = await (run(request, endpoint) if endpoint is not None else route.endpoint(request))
            if type(response) in (ApiResponse, Response) and not response.background:
                # a whole answer in hand (the pipeline's usual one): its two messages, written here, say what
                # `Response.__call__` through `send_with_id` would
                started = True
                await send({"type": "http.response.start", "status": response.status_code,
                            "headers": _final_headers(response.raw_headers, request_id)})
                await send({"type": "http.response.body", "body": response.body})
                return

            async def send_with_id(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    message = {**message, "headers": _final_headers(message.get("headers", []), request_id)}
                await send(message)

            await response(scope, receive, send_with_id)
        except ClientGone:
            return
        except Exception:
            if started:
                raise
            await internal_error(scope, send, request_id)


def _final_headers(given: Iterable[tuple[bytes, bytes]], request_id: str) -> list[tuple[bytes, bytes]]:
    """A response's headers as the full stack sends them: `Vary` ending in `Origin` (as the CORS layer writes it
    for a request without one) and a `Request-Id`."""
    headers: list[tuple[bytes, bytes]] = []
    varies: list[bytes] = []
    named = False
    for name, value in given:
        lowered = name.lower()
        if lowered == b"vary":
            varies.append(value)
            continue
        headers.append((name, value))
        named = named or lowered == b"request-id"
    headers.append((b"vary", b", ".join([*varies, b"Origin"]) if varies else b"Origin"))
    if not named:  # as `with_request_id`: unless the response names one already
        headers.append((b"request-id", request_id.encode()))
    return headers
