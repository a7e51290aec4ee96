"""A local webhook receiver for tests: a loopback HTTP server that hands each delivery (raw body and
`Stripe-Signature`) to a handler — the integrator's webhook code — and answers with the handler's status."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Handler = Callable[[str, str], Any]
"""(payload, signature header) -> an object with `.status`, or an int status."""


@dataclass(frozen=True)
class Delivered:
    event_type: str
    event_id: str
    status: int
    outcome: Any


class WebhookSink:
    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.delivered: list[Delivered] = []
        self._lock = threading.Lock()
        sink = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode("utf-8")
                signature = self.headers.get("Stripe-Signature", "")
                outcome: Any = None
                status = 200
                if sink.handler is not None:
                    try:
                        outcome = sink.handler(body, signature)
                        status = int(getattr(outcome, "status", outcome if isinstance(outcome, int) else 200))
                    except Exception as exc:  # the integrator's handler crashed: a 500, as their server would
                        outcome, status = repr(exc), 500
                try:
                    event = json.loads(body)
                except ValueError:
                    event = {}
                with sink._lock:
                    sink.delivered.append(Delivered(str(event.get("type")), str(event.get("id")), status, outcome))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-sink", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def outcomes(self) -> list[Delivered]:
        with self._lock:
            return list(self.delivered)

    def __enter__(self) -> WebhookSink:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
