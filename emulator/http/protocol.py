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
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn's "auto": httptools when it is installed
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - depends on the installed extras
    _Base = H11Protocol  # type: ignore[assignment,misc]


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
        if late >= 0 and self.cycle is self._awaiting:  # no new request began in time
            self.transport.close()
            return
        self._watch(max(-late, 0.001))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._awaiting = self.cycle
        self._started: float | None = self.loop.time()  # the first request's headers count from the connection
        self._watch(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._started is None and (self.cycle is None or self.cycle.response_complete):
            self._started = self.loop.time()  # the first bytes of the next request on a kept-alive connection
            self._awaiting = self.cycle
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not self._awaiting:
            self._started = None  # its headers are complete: the request runs

    def connection_lost(self, exc: Exception | None) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
            self._timer = None
        super().connection_lost(exc)  # type: ignore[misc]


class GuardedProtocol(_HeaderDeadline, _Base):
    """The protocol `serve` runs: uvicorn's, with the header deadline."""


def protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """A protocol class for `uvicorn.Config(http=…)` with this header deadline."""
    return type(GuardedProtocol.__name__, (GuardedProtocol,), {"header_timeout": header_timeout})
