"""A webhook receiver on a loopback port for tests: records requests, can fail N times or hang (bounded)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Behaviour:
    fail_first: int = 0
    status: int = 200
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)


class Receiver:
    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.received: list[Received] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length).decode("utf-8")
                with receiver.arrived:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                    count = len(receiver.received)
                    receiver.arrived.notify_all()
                if receiver.behaviour.hang:
                    receiver.behaviour.release.wait(timeout=30)  # held until the test releases it (bounded)
                failing = count <= receiver.behaviour.fail_first
                self.send_response(500 if failing else receiver.behaviour.status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received": true}' if not failing else b'{"error": "flaky"}')

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.behaviour.release.set()
        self.server.shutdown()
        self.server.server_close()


def receiving(behaviour: Behaviour | None = None) -> Iterator[Receiver]:
    with Receiver(behaviour) as receiver:
        yield receiver
