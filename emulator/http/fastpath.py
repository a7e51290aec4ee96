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
from emulator.http.middleware import HostVerdicts, internal_error, internal_error_answer
from emulator.http.pipeline import Endpoint, headers_of, run, run_now
from emulator.http.responses import ApiResponse
from emulator.http.router import IndexedRouter
from emulator.http.state import EmulatorState

HELPERS = "/v1/test_helpers/"

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
"""A whole response: status, headers (lower-case names), body."""
_FORWARDED = (b"forwarded", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-real-ip")
_SCREENED = frozenset({b"origin", b"host", b"content-length", b"transfer-encoding", b"expect", *_FORWARDED})
"""The request headers `lane_route` reads."""
MAX_LANES = 4096
MAX_LANE_PATH = 512
"""`lane_route` remembers its verdict for this many (method, path) pairs, each path at most this long."""


class FastPath:
    def __init__(self, router: IndexedRouter, hosts: tuple[str, ...], request_ids: IdFactory,
                 control_token: str | None, state: EmulatorState | None = None) -> None:
        self.router = router
        self.allowed = HostVerdicts(hosts)
        self.request_ids = request_ids
        self.control_token = control_token
        self.state = state
        """The emulator the lane (`lane_route`, `answer`) answers for; None: no lane."""
        self.lane_answers = 0
        """Requests the lane answered (those it handed back to the ASGI app not counted)."""
        self._lanes: dict[tuple[str, str], tuple[Endpoint, Scope] | None] = {}
        """`lane_route`'s verdicts by method and path (the headers are looked at each time)."""

    def route(self, scope: Scope) -> tuple[Route, Scope] | None:
        """The API route that takes this request on the fast path, with what its match adds to the scope; None when
        the full stack must answer it."""
        if scope["type"] != "http":
            return None
        host = None
        for name, value in scope["headers"]:
            if name == b"origin":
                return None  # a browser's request: the CORS layer answers it
            if name == b"host" and host is None:
                host = value
        if host is not None and not self.allowed(host):
            return None  # the host layer refuses it
        return self._api_route(scope)

    def _api_route(self, scope: Scope) -> tuple[Route, Scope] | None:
        """The API route that takes this method and path, with what its match adds to the scope: not the test
        helpers when a control token guards them; None for no route, or a method the path does not have (the full
        stack's answer)."""
        path = scope["path"]
        if not path.startswith("/v1/") or (self.control_token is not None and path.startswith(HELPERS)):
            return None
        found = self.router.find(scope)
        if found is None or found[2] is not Match.FULL or not isinstance(found[0], Route):
            return None
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

    def lane_route(self, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[Endpoint, Scope] | None:
        """The lane: a server that parses HTTP itself (`emulator.http.protocol`) asks, once a request is in, whether
        `answer` may take it: a plain API call to an endpoint emulated by hand, from a client on loopback, with
        nothing a layer of the full stack or of uvicorn would read (a browser's `Origin`, proxy headers), its body
        declared and within the limit — what `route` checks, and those. The endpoint and what the route match adds to
        the scope (shared: read, never changed); None: the ASGI app answers it."""
        if self.state is None:
            return None
        limit = self.state.settings.max_body_bytes
        host = None
        for name, value in headers:
            if name in _SCREENED:  # one set lookup for the headers nothing here reads (most)
                if name == b"host":
                    if host is None:
                        host = value
                elif name != b"content-length" or not value.isdigit() or int(value) > limit:
                    # a browser's request (the CORS layer answers it), proxy headers, chunked bodies, `Expect`
                    # (uvicorn's `100 Continue`), and `read_body`'s 413 before reading: the ASGI way
                    return None
        if host is not None and not self.allowed(host):
            return None  # the host layer refuses it
        key = (method, path)
        try:
            return self._lanes[key]
        except KeyError:
            pass
        found = None
        matched = self._api_route({"type": "http", "method": method, "path": path, "root_path": ""})
        if matched is not None:
            endpoint: Endpoint | None = getattr(matched[0].endpoint, "by_method", {}).get(method)
            if endpoint is not None:
                found = (endpoint, matched[1])
        if len(path) <= MAX_LANE_PATH:  # (the router's own cache has the same bounds)
            if len(self._lanes) >= MAX_LANES:
                self._lanes = {}
            self._lanes[key] = found
        return found

    def answer(self, endpoint: Endpoint, child: Scope, method: str, path: str, query: bytes,
               headers: list[tuple[bytes, bytes]], body: bytes, scheme: str = "http") -> Answer | None:
        """The lane's answer to a request `lane_route` took, its body whole: what the ASGI app would send (the same
        pipeline, `pipeline.run_now`, and the same headers the fast path adds), without an event-loop step. None,
        with nothing done, when the request needs the event loop after all (a namespace with fault rules)."""
        assert self.state is not None
        request_id = self.request_ids.request_id()
        try:
            response = run_now(self.state, endpoint, method, path, child.get("path_params", {}), headers_of(headers),
                               query, body, request_id, scheme)
            if response is None:
                return None
            self.lane_answers += 1
            raw = response.raw_headers  # lower-case names (ApiResponse's, Starlette's)
            named = dict(raw)
            if b"vary" in named or b"request-id" in named:
                final = _final_headers(raw, request_id)
            else:  # what `_final_headers` gives for these, without its pass over them
                final = [*raw, (b"vary", b"Origin"), (b"request-id", request_id.encode())]
            return response.status_code, final, bytes(response.body)
        except Exception:  # a bug outside the pipeline's own net: Stripe's api_error, as `internal_error` answers
            return internal_error_answer(method, path, request_id)


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
