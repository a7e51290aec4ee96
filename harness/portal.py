"""An adapter's `async def` methods, called from synchronous code (the scenario runner, the webhook receiver's
threads): every awaitable goes to one event loop of the adapter's own, in a thread, so what the adapter keeps
between calls (an `httpx.AsyncClient`, the stripe SDK's async client) stays on the loop it was made on."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from typing import Any

CALL_TIMEOUT = 60.0


class Portal:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def resolve(self, result: Any) -> Any:
        """`result` itself, or what it awaits to when it is awaitable (run on the adapter's loop)."""
        if not inspect.isawaitable(result):
            return result
        loop = self._started()

        async def wait() -> Any:
            return await result

        return asyncio.run_coroutine_threadsafe(wait(), loop).result(timeout=CALL_TIMEOUT)

    def synchronous(self, handler: Callable[..., Any] | None) -> Callable[..., Any] | None:
        """`handler` as synchronous code (a webhook receiver's threads) calls it: an `async def` one runs here."""
        if handler is None:
            return None

        def call(*args: Any) -> Any:
            return self.resolve(handler(*args))

        return call

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="adapter-loop", daemon=True)
                self._thread.start()
            return self._loop

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
