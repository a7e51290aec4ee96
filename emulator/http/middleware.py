"""Plain ASGI middleware: every HTTP response carries `Request-Id`, and nothing escapes as a non-Stripe 500."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core import messages
from emulator.core.errors import ApiError, AuthenticationError, ClientGone, InvalidRequestError, StripeError
from emulator.core.ids import IdFactory
from emulator.core.urls import host_allowed
from emulator.http.responses import dumps

logger = logging.getLogger("emulator")


def with_request_id(headers: list[tuple[bytes, bytes]], request_id: str) -> list[tuple[bytes, bytes]]:
    """A response's headers with its `Request-Id` (unless it names one already)."""
    if not any(name.lower() == b"request-id" for name, _ in headers):
        headers.append((b"request-id", request_id.encode()))
    return headers


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, request_ids: IdFactory) -> None:
        self.app = app
        self.request_ids = request_ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.request_ids.request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": with_request_id(list(message.get("headers", [])), request_id)}
            await send(message)

        await guarded(lambda: self.app(scope, receive, send_with_id), lambda: started, scope, send, request_id)


async def guarded(answer: Callable[[], Awaitable[None]], started: Callable[[], bool], scope: Scope, send: Send,
                  request_id: str) -> None:
    """Run `answer`: a client gone is nothing to answer; a bug before the response `started` is Stripe's
    `api_error` 500 with the request id; a bug after it propagates (the server closes the connection)."""
    try:
        await answer()
    except ClientGone:
        return
    except Exception:
        if started():
            raise
        await internal_error(scope, send, request_id)


async def internal_error(scope: Scope, send: Send, request_id: str) -> None:
    """A bug escaped before the response began: log it, answer Stripe's `api_error` 500 with the request id."""
    status, headers, body = internal_error_answer(scope.get("method"), scope.get("path"), request_id)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def internal_error_answer(method: str | None, path: str | None,
                          request_id: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """`internal_error`'s log line and whole answer (status, headers, body), for a server writing it itself (call
    from an `except` block: the exception is logged)."""
    logger.exception("unhandled error for %s %s (%s)", method, path, request_id)
    body = dumps(ApiError(messages.INTERNAL_ERROR.format(request_id=request_id)).to_dict())
    return 500, [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                 (b"request-id", request_id.encode())], body


def _stripe_error(status: int, error: StripeError) -> tuple[Message, Message]:
    body = dumps(error.to_dict())
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]},
            {"type": "http.response.body", "body": body})


class HostVerdicts:
    """Whether a `Host` header names a host the server is for, each distinct header decided once."""

    REMEMBERED = 256
    """Host headers whose verdict is remembered (a server sees a handful; a flood of new ones starts over)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self._verdicts: dict[bytes, bool] = {}

    def __call__(self, value: bytes) -> bool:
        verdict = self._verdicts.get(value)
        if verdict is None:
            verdict = host_allowed(value.decode("latin-1"), self.names)
            if len(self._verdicts) >= self.REMEMBERED:
                self._verdicts.clear()
            self._verdicts[value] = verdict
        return verdict


class HostMiddleware:
    """Answers only requests whose `Host` names a host the server is for: loopback names, and the `--allowed-host`
    names. Anything else is a Stripe-shaped 400, so a foreign Host header is never reflected into URLs the
    emulator builds (hosted auth flow links) — the defence against DNS rebinding from a browser, too."""

    def __init__(self, app: ASGIApp, names: tuple[str, ...]) -> None:
        self.app = app
        self._allowed = HostVerdicts(names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", []):
                if name == b"host":
                    header = value.decode("latin-1")
                    if not self._allowed(value):
                        for message in _stripe_error(400, InvalidRequestError(
                                messages.HOST_NOT_ALLOWED.format(host=header[:100]))):
                            await send(message)
                        return
                    break
        await self.app(scope, receive, send)


CONTROL_TOKEN_HEADER = b"emulator-control-token"
CONTROL_TOKEN_COOKIE = "emulator_control_token"
DASHBOARD = "/_emulator/dashboard"
_OPEN_PATHS = ("/_emulator/health", "/_emulator/client/")  # readiness probes; Stripe.js-style pk + client secret


class ControlTokenMiddleware:
    """With `serve --control-token`, the control plane (`/_emulator/…`) and the test helpers (`/v1/test_helpers/…`)
    need the token: the `Emulator-Control-Token` header, or for the dashboard in a browser `?control_token=` once
    (then a same-site cookie). The Stripe API itself stays reachable with API keys alone."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    def _guarded(self, path: str) -> bool:
        return (path.startswith("/_emulator/") and not path.startswith(_OPEN_PATHS)) or path.startswith(
            "/v1/test_helpers/")

    def _presented(self, scope: Scope) -> tuple[str | None, bool]:
        """The token the request carries, and whether it came in the query (then it is remembered in a cookie).
        The query and the cookie count on the dashboard's own pages only; everything else needs the header."""
        for name, value in scope.get("headers", []):
            if name == CONTROL_TOKEN_HEADER:
                return value.decode("latin-1"), False
        path = scope.get("path", "")
        if path != DASHBOARD and not path.startswith(DASHBOARD + "/"):
            return None, False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "control_token" in query and path == DASHBOARD:
            return query["control_token"][0], True
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookie: SimpleCookie = SimpleCookie()
                try:
                    cookie.load(value.decode("latin-1"))
                except CookieError:
                    continue
                if CONTROL_TOKEN_COOKIE in cookie:
                    return cookie[CONTROL_TOKEN_COOKIE].value, False
        return None, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or not self._guarded(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        presented, from_query = self._presented(scope)
        if presented is None or not hmac.compare_digest(presented.encode(), self.token.encode()):
            message = messages.CONTROL_TOKEN_MISSING if presented is None else messages.CONTROL_TOKEN_INVALID
            body = dumps(AuthenticationError(message).to_dict())
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def remember(message: Message) -> None:
            if from_query and message["type"] == "http.response.start":
                cookie = f"{CONTROL_TOKEN_COOKIE}={self.token}; Path={DASHBOARD}; HttpOnly; SameSite=Strict"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, remember)
