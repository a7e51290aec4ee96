"""Plain ASGI middleware: every HTTP response carries `Request-Id`, and nothing escapes as a non-Stripe 500."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core import messages
from emulator.core.errors import ApiError
from emulator.core.ids import IdFactory
from emulator.http.responses import dumps

logger = logging.getLogger("emulator")


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
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"request-id" for name, _ in headers):
                    headers.append((b"request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error for %s %s (%s)", scope.get("method"), scope.get("path"), request_id)
            if started:
                raise
            body = dumps(ApiError(messages.INTERNAL_ERROR.format(request_id=request_id)).to_dict())
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"request-id", request_id.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
