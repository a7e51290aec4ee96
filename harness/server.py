"""Run an emulator in a background thread on a loopback port (port 0 by default) — or point at one already
running. The pytest plugin starts one per session; scripts can use it as a context manager."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from emulator.http.app import create_app
from emulator.settings import Settings

START_TIMEOUT = 20.0


class _Server(uvicorn.Server):
    """Signals `ready` once it listens, or once it gave up, so starting waits on the server itself."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


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
        config = uvicorn.Config(self._served_app, log_level="warning", access_log=False, lifespan="off")
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
            self._server.should_exit = True
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
