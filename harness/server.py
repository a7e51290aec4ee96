"""Run an emulator in a background thread on a loopback port (port 0 by default) — or point at one already
running. The pytest plugin starts one per session; scripts can use it as a context manager."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from emulator.http.app import create_app
from emulator.http.protocol import protocol
from emulator.settings import Settings

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
"""How long `stop` waits for requests in flight to finish before they are cancelled."""
_POLL = 0.005


class _Server(uvicorn.Server):
    """Signals `ready` once it listens, or once it gave up, so starting waits on the server itself; stops as soon as
    asked. uvicorn notices `should_exit` on its next 0.1 s tick and then waits in 0.1 s steps (a fixed 0.1 s
    first): 0.17 s for a server with nothing left to do, paid by every test session and every test that starts one.
    Here `request_stop` wakes the loop at once and the shutdown waits on the connections and tasks themselves
    (polled every 5 ms, at most `STOP_TIMEOUT`), with uvicorn's order of steps."""

    tick = 0.1
    """uvicorn's tick (its `Date` header is renewed every tenth); `request_stop` does not wait for it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    async def main_loop(self) -> None:
        """uvicorn's loop — a tick every 0.1 s (its `Date` header is renewed every tenth) — woken by `request_stop`."""
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            try:
                await asyncio.wait_for(self._wake.wait(), self.tick)
            except asyncio.TimeoutError:
                pass
            should_exit = await self.on_tick(counter)

    def request_stop(self) -> None:
        """From any thread: exit now (before the loop runs, its first tick sees `should_exit`)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed meanwhile: it has stopped already
                pass

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # no new connections
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):  # idle ones close, busy ones after their response
            connection.shutdown()
        deadline = asyncio.get_running_loop().time() + STOP_TIMEOUT
        while (self.server_state.connections or self.server_state.tasks) and not self.force_exit:
            if asyncio.get_running_loop().time() >= deadline:
                for task in self.server_state.tasks:
                    task.cancel(msg="the emulator server is stopping")
                break
            await asyncio.sleep(_POLL)
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


class AppServer:
    """Any ASGI app served by uvicorn in a background thread on a loopback port (port 0: the OS picks)."""

    def __init__(self, app: Any, settings: Settings | None = None, *, wrap: Callable[[Any], Any] | None = None) -> None:
        """`wrap` wraps the ASGI app before serving (the contract recorder does this)."""
        self.settings = settings or Settings(port=0)
        self.app = app
        self._served_app: Any = wrap(self.app) if wrap is not None else self.app
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the emulator server is not running")
        return f"http://{self.settings.host}:{self.port}"

    def start(self) -> AppServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # see emulator.__main__.bind
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.settings.host, self.settings.port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = sock.getsockname()[1]
        # `serve`'s protocol: the header deadline, and the lane when the emulator is served as it is (a wrapped app,
        # such as the contract recorder's, must see every request: no lane then)
        lane = getattr(self.app, "fast", None) if self._served_app is self.app else None
        http = protocol(self.settings.header_timeout, lane)
        config = uvicorn.Config(self._served_app, log_level="warning", access_log=False, lifespan="off", http=http)
        server = _Server(config)
        self._server = server

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            finally:
                server.ready.set()

        self._thread = threading.Thread(target=serve, name="stripe-fc-emulator", daemon=True)
        self._thread.start()
        server.ready.wait(START_TIMEOUT)
        if not server.started:
            self.stop()
            raise RuntimeError(f"the emulator did not start on {self.settings.host} within {START_TIMEOUT:.0f}s")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class EmulatorServer(AppServer):
    """An emulator (`create_app(settings)`) served in a background thread."""

    def __init__(self, settings: Settings | None = None, *, wrap: Callable[[Any], Any] | None = None) -> None:
        settings = settings or Settings(port=0)
        super().__init__(create_app(settings), settings, wrap=wrap)
