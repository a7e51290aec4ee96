"""A local webhook receiver for tests: a loopback HTTP server that hands each delivery (raw body and
`Stripe-Signature`) to a handler — the integrator's webhook code — and answers with the handler's status."""

from __future__ import annotations

import contextlib
import json
import socket
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
        self._server.timeout = None  # handle_request() waits for a connection, however long
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="webhook-sink", daemon=True)

    def _serve(self) -> None:
        # Not serve_forever(): its shutdown() waits for a poll interval (0.5 s) to pass; this loop stops as soon as
        # stop() connects to wake it.
        while not self._stopping.is_set():
            self._server.handle_request()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._stopping.is_set():
            self._stopping.set()
            if self._thread.is_alive():
                with contextlib.suppress(OSError):  # a connection wakes handle_request(); the loop then sees the flag
                    socket.create_connection(("127.0.0.1", self._server.server_address[1]), timeout=5).close()
                self._thread.join(timeout=10)
        self._server.server_close()

    def outcomes(self) -> list[Delivered]:
        with self._lock:
            return list(self.delivered)

    def __enter__(self) -> WebhookSink:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
