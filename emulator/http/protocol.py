"""uvicorn's HTTP protocol with a deadline for request headers.

uvicorn times out idle keep-alive connections, but not a client that sends its request line and headers one byte at
a time: such a connection stays open for as long as the client likes, and enough of them exhaust the server. Here
each request's headers must arrive whole within `header_timeout` seconds of the first byte (of the connection, for
the first request); otherwise the connection is closed. (A body that is slow to arrive is the application's to
bound: `emulator.http.pipeline.read_body` answers 408.)

The class is uvicorn's own protocol (httptools when installed, else h11, as uvicorn's "auto" chooses), so nothing
else about parsing changes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from emulator.http.fastpath import FastPath

try:  # uvicorn's "auto": httptools when it is installed
    import httptools
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - depends on the installed extras
    httptools = None  # type: ignore[assignment]
    _Base = H11Protocol  # type: ignore[assignment,misc]

_LANE_METHODS = {b"GET": "GET", b"POST": "POST", b"DELETE": "DELETE"}


class _HeaderDeadline:
    """Mixed into a uvicorn protocol class: close connections whose request headers do not arrive in time.

    One timer per connection, not one per request: a request only notes when its first bytes came (the connection's
    start, for the first request); the timer wakes at the earliest instant a deadline could pass, closes the
    connection if the headers it waits for are late, and otherwise sleeps again until the next such instant."""

    header_timeout = 10.0
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _watch(self, delay: float) -> None:
        self._timer: asyncio.TimerHandle | None = self.loop.call_later(delay, self._check)

    def _check(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        started = self._started
        if started is None:  # no request is on its way: look again a whole deadline from now
            self._watch(self.header_timeout)
            return
        late = self.loop.time() - started - self.header_timeout
        if late >= 0 and self._heads == self._awaiting:  # no new request's headers came in time
            self.transport.close()
            return
        self._watch(max(-late, 0.001))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._heads = 0  # requests whose headers were complete, on this connection
        self._awaiting = 0
        self._started: float | None = self.loop.time()  # the first request's headers count from the connection
        self._watch(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._heads += 1
        super().on_headers_complete()  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        if self._started is None and (self.cycle is None or self.cycle.response_complete):
            self._started = self.loop.time()  # the first bytes of the next request on a kept-alive connection
            self._awaiting = self._heads
        super().data_received(data)  # type: ignore[misc]
        if self._heads != self._awaiting:
            self._started = None  # its headers are complete: the request runs (or was answered already)

    def connection_lost(self, exc: Exception | None) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
            self._timer = None
        super().connection_lost(exc)  # type: ignore[misc]


class _Lane:
    """Mixed into uvicorn's httptools protocol: an API request that arrives whole in one read — its headers and its
    body, as an SDK sends it — is answered right there, by `FastPath.answer`, and written to the connection, instead
    of becoming an ASGI cycle (a task, an event, messages), which costs a third of a request's time. The same answer
    the ASGI app gives (the same pipeline; uvicorn's `Date` and `Server` headers, its `connection: close` rules).

    What the lane does not take goes the ASGI way as before, unchanged: a request while another is still answered
    (pipelining), a body still on its way after the read that completed the headers (`read_body` then applies its
    deadline), `Expect: 100-continue`, chunked or over-long bodies, an escaped path, HTTP/1.0, methods other than
    GET/POST/DELETE, whatever `FastPath.lane_route` refuses (browsers, proxy headers, the generic surface, the control
    plane), a namespace with fault rules, and everything when uvicorn is asked to log each request (its `access_log`,
    `--log-level debug`)."""

    lane: FastPath | None = None
    _taken: tuple[Any, ...] | None = None
    _chunks: list[bytes]

    cycle: Any
    pipeline: Any
    flow: Any
    parser: Any
    transport: asyncio.Transport
    server_state: Any
    scope: Any
    headers: list[tuple[bytes, bytes]]
    url: bytes
    expect_100_continue: bool
    config: Any

    def on_headers_complete(self) -> None:
        self._taken = None
        if self.lane is not None:
            self._taken = self._lane_take(self.lane)
            if self._taken is not None:
                self._chunks = []
                return
        super().on_headers_complete()  # type: ignore[misc]

    def _lane_take(self, lane: FastPath) -> tuple[Any, ...] | None:
        cycle = self.cycle
        if ((cycle is not None and not cycle.response_complete) or self.pipeline or self.expect_100_continue
                or self.config.access_log or self.flow.write_paused):
            return None
        parser = self.parser
        method = _LANE_METHODS.get(parser.get_method())
        if method is None or parser.get_http_version() != "1.1" or parser.should_upgrade():
            return None
        url = httptools.parse_url(self.url)
        raw_path = url.path
        if b"%" in raw_path:
            return None
        path = raw_path.decode("ascii")
        found = lane.lane_route(method, path, self.headers)
        if found is None:
            return None
        return found[0], found[1], method, path, url.query or b""

    def on_body(self, body: bytes) -> None:
        if self._taken is not None:
            self._chunks.append(body)  # bounded: Content-Length, at most the body limit
            return
        super().on_body(body)  # type: ignore[misc]

    def on_message_complete(self) -> None:
        taken = self._taken
        if taken is None:
            super().on_message_complete()  # type: ignore[misc]
            return
        self._taken = None
        assert self.lane is not None
        endpoint, child, method, path, query = taken
        body = b"".join(self._chunks)
        answer = self.lane.answer(endpoint, child, method, path, query, self.headers, body,
                                  getattr(self, "scheme", None) or "http")
        if answer is None:  # the event loop is needed after all: the ASGI way, the body in hand
            self._to_asgi(body, complete=True)
            return
        self._write(*answer, keep_alive=self.parser.should_keep_alive())

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._taken is not None:  # headers taken, body still coming: the ASGI way (and `read_body`'s deadline)
            self._taken = None
            if not self.transport.is_closing():  # (uvicorn answered a malformed rest with its 400 and closed)
                self._to_asgi(b"".join(self._chunks), complete=False)

    def _to_asgi(self, body: bytes, *, complete: bool) -> None:
        super().on_headers_complete()  # type: ignore[misc]  # uvicorn's cycle and task, as if just now
        if body:
            super().on_body(body)  # type: ignore[misc]
        if complete:
            super().on_message_complete()  # type: ignore[misc]

    def _write(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, *, keep_alive: bool) -> None:
        """The response as uvicorn writes one: its status line, its default headers (`date`, `server`) first, a
        `connection: close` when the connection ends; then what `on_response_complete` does (keep-alive timer,
        the next pipelined request). uvicorn checks each header value for control characters; the values here are
        the emulator's own or echo request headers (`Idempotency-Key`, `Stripe-Account`, `Stripe-Version`), which
        the parser has already refused with a 400 if they held any (a test holds that)."""
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content += (name, b": ", value, b"\r\n")
        for name, value in headers:
            content += (name, b": ", value, b"\r\n")
        if not keep_alive:
            content.append(b"connection: close\r\n")
        content += (b"\r\n", body)
        self.transport.write(b"".join(content))
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()  # type: ignore[attr-defined]


if httptools is not None:
    class GuardedProtocol(_HeaderDeadline, _Lane, _Base):
        """The protocol `serve` runs: uvicorn's, with the header deadline and the lane."""
else:  # pragma: no cover - without httptools: uvicorn's h11 protocol, no lane
    class GuardedProtocol(_HeaderDeadline, _Base):  # type: ignore[no-redef]
        """The protocol `serve` runs: uvicorn's, with the header deadline."""


def protocol(header_timeout: float, lane: FastPath | None = None) -> type[asyncio.Protocol]:
    """A protocol class for `uvicorn.Config(http=…)` with this header deadline, answering through `lane` (the app's
    `FastPath`, when the app is served unwrapped; None: no lane) what it takes."""
    attributes: dict[str, Any] = {"header_timeout": header_timeout}
    if httptools is not None and lane is not None and lane.state is not None:
        attributes["lane"] = lane
    return type(GuardedProtocol.__name__, (GuardedProtocol,), attributes)
