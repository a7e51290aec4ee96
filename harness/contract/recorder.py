"""Record every exchange an emulator app answers and check it: an ASGI middleware around the app, and a
thread-safe log of violations that the pytest plugin turns into test failures."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from harness.contract.checker import ContractChecker, Violation

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ContractRecorder:
    def __init__(self) -> None:
        self.checker = ContractChecker()
        self._violations: list[Violation] = []
        self._lock = threading.Lock()

    def record(self, method: str, path: str, status: int, headers: dict[str, str], body: bytes) -> None:
        found = self.checker.check_exchange(method, path, status, headers, body)
        if found:
            with self._lock:
                self._violations.extend(found)

    def mark(self) -> int:
        with self._lock:
            return len(self._violations)

    def since(self, mark: int) -> list[Violation]:
        with self._lock:
            return list(self._violations[mark:])

    def wrap(self, app: ASGIApp) -> ContractMiddleware:
        return ContractMiddleware(app, self)


class ContractMiddleware:
    def __init__(self, app: ASGIApp, recorder: ContractRecorder) -> None:
        self.app = app
        self.recorder = recorder

    def __getattr__(self, name: str) -> Any:  # `.state` and friends of the wrapped Starlette app
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.update({k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]})
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    # check before the client can have the whole response, so the violation is attributed to
                    # the test that is still waiting for it
                    self.recorder.record(scope["method"], scope["path"], status, headers, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)
