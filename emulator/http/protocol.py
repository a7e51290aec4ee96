"""uvicorn's HTTP protocol with a deadline for request headers, and the lane (`_Lane`: a whole API request read
with a parser of the lane's own and answered without an ASGI cycle).

uvicorn times out idle keep-alive connections, but not a client that sends its request line and headers one byte at
a time: such a connection stays open for as long as the client likes, and enough of them exhaust the server. Here
each request's headers must arrive whole within `header_timeout` seconds of the first byte (of the connection, for
the first request); otherwise the connection is closed. (A body that is slow to arrive is the application's to
bound: `emulator.http.pipeline.read_body` answers 408.)

The class is uvicorn's own protocol (httptools when installed, else h11, as uvicorn's "auto" chooses): what the lane
does not take is parsed and answered by uvicorn as before.
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


class _Hooks:
    """What the mixins below tell each other (each overrides what concerns it)."""

    def _head_arrived(self) -> None:
        """A request the lane answered whole has come (the header deadline's hook)."""


class _HeaderDeadline(_Hooks):
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

    def _head_arrived(self) -> None:
        self._heads += 1  # a request the lane answered: its headers came whole (see `_Lane`), none is awaited
        self._started = None

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


class _Request:
    """The lane's own parser callbacks: one request, read whole. Header names lower-cased and values without
    trailing whitespace, as uvicorn's protocol gives them to the application."""

    __slots__ = ("begun", "done", "url", "headers", "body", "reader", "head")

    def __init__(self) -> None:
        self.begun = self.done = 0
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.reader: Any = None
        self.head: tuple[bytes, str, bool, bool] = (b"", "", False, False)
        """What the parser knew when the headers were in: method, HTTP version, keep-alive, upgrade."""

    def on_message_begin(self) -> None:
        self.begun += 1
        self.url = b""
        self.headers = []
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value.rstrip(b" \t")))

    def on_headers_complete(self) -> None:
        reader = self.reader
        self.head = (reader.get_method(), reader.get_http_version(), reader.should_keep_alive(),
                     reader.should_upgrade())

    def on_body(self, body: bytes) -> None:
        self.body.append(body)  # bounded: what one read brought

    def on_message_complete(self) -> None:
        self.done += 1


class _Lane(_Hooks):
    """Mixed into uvicorn's httptools protocol: a read that brings one whole API request — its headers and its
    body, as an SDK sends it — is answered right there, by `FastPath.answer`, and written to the connection, instead
    of going through uvicorn's parser callbacks into an ASGI cycle (a task, an event, messages), which costs more than
    half of a request's time. The same answer the ASGI app gives (the same pipeline; uvicorn's `Date` and `Server`
    headers, its `connection: close` and keep-alive rules).

    The lane reads with a parser of its own, and only between requests (nothing in flight, uvicorn's parser between
    messages). Whatever it does not take goes to uvicorn's parser, the very bytes, as before: a read holding part of a
    request (a body still on its way: `read_body`'s deadline then applies) or more than one (pipelining), a request
    the parser refuses, `Expect: 100-continue`, chunked or over-long bodies, an escaped path, HTTP/1.0, an upgrade,
    methods other than GET/POST/DELETE, whatever `FastPath.lane_route` refuses (browsers, proxy headers, the generic
    surface, the control plane), a namespace with fault rules, and everything when uvicorn is asked to log each
    request (its `access_log`, `--log-level debug`)."""

    lane: FastPath | None = None
    _reader: Any = None
    """The lane's parser, between messages (None: make a new one — the last read left it inside one)."""
    _request: _Request
    _inside = False
    """Whether uvicorn's parser is inside a message (it has had part of one)."""
    _answered_at = 0.0
    _defaults: tuple[Any, bytes] = (None, b"")
    """uvicorn's default headers (`date`, `server`) as last written: the list, and its lines."""

    cycle: Any
    pipeline: Any
    flow: Any
    transport: asyncio.Transport
    server_state: Any
    config: Any
    loop: asyncio.AbstractEventLoop
    timeout_keep_alive: int
    timeout_keep_alive_task: asyncio.TimerHandle | None

    def data_received(self, data: bytes) -> None:
        lane = self.lane
        if (lane is not None and not self._inside and (self.cycle is None or self.cycle.response_complete)
                and not self.pipeline and not self.flow.write_paused and not self.config.access_log
                and not self.transport.is_closing() and self._answer(lane, data)):
            return
        super().data_received(data)  # type: ignore[misc]

    def _answer(self, lane: FastPath, data: bytes) -> bool:
        """Answer `data` if it is one whole request the lane takes; False, with nothing done, if not."""
        reader = self._reader
        if reader is None:
            self._request = _Request()
            reader = self._reader = self._request.reader = httptools.HttpRequestParser(self._request)
        request = self._request
        request.begun = request.done = 0
        try:
            reader.feed_data(data)
        except httptools.HttpParserError:  # (an upgrade too) uvicorn's parser says what it makes of it
            self._reader = None
            return False
        if request.begun != request.done:
            self._reader = None  # left inside a message
        if request.begun != 1 or request.done != 1:
            return False  # part of a request, or more than one: uvicorn's parser takes the bytes
        raw_method, version, keep_alive, upgrade = request.head
        method = _LANE_METHODS.get(raw_method)
        if method is None or version != "1.1" or upgrade:
            return False
        target = request.url
        if target[:1] != b"/" or b"#" in target:  # (an origin-form target is a path and a query: split it here)
            url = httptools.parse_url(target)
            raw_path, query = url.path, url.query or b""
        else:
            raw_path, _, query = target.partition(b"?")
        if b"%" in raw_path:
            return False
        headers = request.headers
        path = raw_path.decode("ascii")
        found = lane.lane_route(method, path, headers)  # (it declines `Expect`, among others)
        if found is None:
            return False
        body = b"".join(request.body)
        answer = lane.answer(found[0], found[1], method, path, query, headers, body,
                             getattr(self, "scheme", None) or "http")
        if answer is None:  # the event loop is needed after all (fault rules): the ASGI way
            return False
        self._head_arrived()
        self._write(*answer, keep_alive=keep_alive)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self._reader is not None:  # the parser and its callbacks refer to each other: freed now, not by the
            self._request.reader = self._reader = None  # cyclic collector (`serve` runs full collections rarely)
        super().connection_lost(exc)  # type: ignore[misc]

    def on_message_begin(self) -> None:
        self._inside = True
        super().on_message_begin()  # type: ignore[misc]

    def on_message_complete(self) -> None:
        self._inside = False
        super().on_message_complete()  # type: ignore[misc]

    def _write(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, *, keep_alive: bool) -> None:
        """The response as uvicorn writes one: its status line, its default headers (`date`, `server`) first, a
        `connection: close` when the connection ends; then what its `on_response_complete` does: count the request,
        and keep the connection alive for `timeout_keep_alive` from now (a timer armed once, moved on when it fires
        early — not re-armed per request). uvicorn checks each header value for control characters; the values here
        are the emulator's own or echo request headers (`Idempotency-Key`, `Stripe-Account`, `Stripe-Version`), which
        the parser has already refused if they held any (a test holds that)."""
        defaults = self.server_state.default_headers  # uvicorn makes a new list when the date changes
        written = _Lane._defaults
        if written[0] is not defaults:
            written = _Lane._defaults = (defaults, b"".join(name + b": " + value + b"\r\n" for name, value in defaults))
        content = [STATUS_LINE[status], written[1]]
        for name, value in headers:
            content += (name, b": ", value, b"\r\n")
        if not keep_alive:
            content.append(b"connection: close\r\n")
        content += (b"\r\n", body)
        self.transport.write(b"".join(content))
        self.server_state.total_requests += 1
        if not keep_alive:
            self.transport.close()
            return
        self._answered_at = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                                self.timeout_keep_alive_handler)

    def timeout_keep_alive_handler(self) -> None:
        rest = self._answered_at + self.timeout_keep_alive - self.loop.time()
        if rest > 0:  # the lane answered since the timer was armed: idle for less than the timeout yet
            self.timeout_keep_alive_task = self.loop.call_later(rest, self.timeout_keep_alive_handler)
            return
        super().timeout_keep_alive_handler()  # type: ignore[misc]


if httptools is not None:
    class GuardedProtocol(_Lane, _HeaderDeadline, _Base):
        """The protocol `serve` runs: uvicorn's, with the lane and the header deadline (a read the lane answers
        whole has no deadline to keep: the lane goes first)."""
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
