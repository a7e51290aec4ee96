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
    """Mixed into a uvicorn protocol class: close connections whose request headers do not arrive in time."""

    header_timeout = 10.0
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _arm(self) -> None:
        self._awaiting = self.cycle
        self._deadline: asyncio.TimerHandle | None = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.cycle is self._awaiting and not self.transport.is_closing():  # no new request began in time
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        between = self.cycle is None or self.cycle.response_complete
        if getattr(self, "_deadline", None) is None and between:
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not getattr(self, "_awaiting", None):
            self._disarm()  # its headers are complete: the request runs

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


class GuardedProtocol(_HeaderDeadline, _Base):
    """The protocol `serve` runs: uvicorn's, with the header deadline."""


def protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """A protocol class for `uvicorn.Config(http=…)` with this header deadline."""
    return type(GuardedProtocol.__name__, (GuardedProtocol,), {"header_timeout": header_timeout})
