"""Bounded work: a request's cost does not depend on how many namespaces exist, a broken namespace does not stop
the others' webhooks, bodies are read only up to their limit and within their time, headers must arrive in time,
a webhook attempt is bounded as a whole, idempotency keys are capped, and nothing a client sends is a 500."""

from __future__ import annotations

import asyncio
import json
import logging
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulator.core.idempotency import IdempotencyStore
from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from tests.conftest import Api
from tests.receiver import Receiver
from tests.test_cli import READY, Served, serve

__all__ = ["serve"]  # the fixture, shared with the CLI tests

LIMIT = 1_000_000  # the documented body limit (README: 1 MB)


def wait_until(predicate: Any, bound: float = 20.0) -> bool:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if predicate():
            return True
        threading.Event().wait(0.02)
    return bool(predicate())


# -- per-request cost and the webhook worker ------------------------------------------------------------------------

def test_a_request_makes_the_worker_look_at_its_own_namespace_only(api: Api) -> None:
    state = api.state
    for index in range(3000):  # idle namespaces, as a suite that makes one per test leaves behind
        state.backends.get(f"idle{index}")
    with Receiver() as receiver:
        assert api.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"}).status == 200
        api.post("/v1/customers")  # the worker is running
        assert wait_until(lambda: not state.dispatcher._kicked)
        state.dispatcher.visits = 0
        for _ in range(10):
            assert api.post("/v1/customers", data={"name": "one"}).status == 200  # each makes a delivery
        assert wait_until(lambda: not state.dispatcher._kicked)
        # a visit or two per request (its own, and its delivery's result; kicks coalesce), never one per namespace
        assert 1 <= state.dispatcher.visits <= 20
        flushed = api.post("/_emulator/webhooks/flush", data={"timeout": "10"}).json()  # nothing left in flight
        assert flushed["pending"] == 0


def test_requests_that_make_no_delivery_and_schedule_nothing_do_not_wake_the_worker(api: Api) -> None:
    # issue 18: a read, or an event no endpoint listens to, gives the webhook worker nothing to do
    state = api.state
    customer = api.post("/v1/customers", data={"name": "one"}).json()["id"]
    assert wait_until(lambda: not state.dispatcher._kicked)
    state.dispatcher.visits = 0
    for _ in range(10):
        assert api.get(f"/v1/customers/{customer}").status == 200
        assert api.post("/v1/customers", data={"name": "two"}).status == 200  # customer.created: nobody listens
    assert state.dispatcher.visits == 0 and not state.dispatcher._kicked
    assert state.dispatcher.deliveries_made(api.backend()) == 0


def test_a_broken_namespace_does_not_stop_the_others_deliveries(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with Receiver() as receiver:
        broken, healthy = api.as_key("sk_test_broken"), api.as_key("sk_test_healthy")
        for namespace in (broken, healthy):
            assert namespace.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"}
                                  ).status == 200
        outbox = api.state.dispatcher.outbox(broken.backend())

        def fails(now: float) -> Any:
            raise RuntimeError("this namespace's state cannot be used")

        outbox.due = fails  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR, logger="emulator.webhooks"):
            assert broken.post("/v1/customers", data={"name": "in the broken namespace"}).status == 200
            assert wait_until(lambda: "namespace broken failed and was skipped" in caplog.text)
            healthy.post("/v1/customers", data={"name": "delivered all the same"})
            waited = healthy.post("/_emulator/wait", data={"for": "delivery", "type": "customer.created",
                                                           "succeeded": "true", "timeout": "20"})
        assert waited.status == 200, waited.body
        assert any("delivered all the same" in r.body for r in receiver.received)


class RawEndpoint:
    """A webhook endpoint on a loopback socket that answers with `answer(connection)`: what no well-behaved HTTP
    server does (drip a body byte by byte, send megabytes)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                connection.recv(65536)
                try:
                    self.answer(connection, self.stop)
                except OSError:  # the emulator hung up: what it should do
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.server.close()


def first_attempt(endpoint: RawEndpoint, settings: Settings) -> dict[str, Any]:
    caller = AsgiCaller(create_app(settings))
    try:
        api = Api(caller, None, "sk_test_raw")
        api.post("/v1/webhook_endpoints", data={"url": endpoint.url, "enabled_events[]": "*"})
        api.post("/v1/customers")
        waited = api.post("/_emulator/wait", data={"for": "delivery", "type": "customer.created", "timeout": "30"})
        assert waited.status == 200, waited.body
        attempt: dict[str, Any] = waited.json()
        return attempt
    finally:
        caller.close()
        endpoint.close()


def drip(connection: socket.socket, stop: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.2):
        connection.sendall(b"x")


def flood(connection: socket.socket, stop: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n")
    connection.settimeout(5)
    for _ in range(0, 5_000_000, 65536):
        connection.sendall(b"y" * 65536)


def test_a_webhook_attempt_is_bounded_as_a_whole_not_per_read() -> None:
    attempt = first_attempt(RawEndpoint(drip), Settings(seed=4, webhook_timeout=1.0))
    # each byte came within the 1 s, but the attempt as a whole may not take longer than 1 s
    assert attempt["error"] == "timed out after 1s" and attempt["succeeded"] is False, attempt
    assert attempt["duration_ms"] < 15_000  # the body alone would drip for 100,000 × 0.2 s


def test_a_webhook_answer_is_read_only_up_to_the_excerpt() -> None:
    attempt = first_attempt(RawEndpoint(flood), Settings(seed=4))
    assert attempt["status_code"] == 200 and attempt["response_excerpt"] == "y" * 500


# -- bodies ---------------------------------------------------------------------------------------------------------

def call(app: Any, method: str, path: str, chunks: list[bytes] | None, *, headers: list[tuple[bytes, bytes]],
         disconnect: bool = False, hang: bool = False) -> tuple[int, bytes, int]:
    """One exchange straight through ASGI with a body in `chunks` (chunked: no Content-Length). Returns the status,
    the body and how many chunks the app read."""
    read = 0
    status = 0
    body = b""

    async def run() -> None:
        nonlocal read, status, body
        queue = list(chunks or [])

        async def receive() -> dict[str, Any]:
            nonlocal read
            if hang:
                await asyncio.Event().wait()
            if disconnect:
                return {"type": "http.disconnect"}
            if not queue:
                return {"type": "http.request", "body": b"", "more_body": False}
            read += 1
            return {"type": "http.request", "body": queue.pop(0), "more_body": bool(queue)}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"127.0.0.1"), *headers], "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)

    with ThreadPoolExecutor(1) as pool:  # a loop of its own (the test's thread may have one running already)
        pool.submit(asyncio.run, run()).result(timeout=60)
    return status, body, read


KEY = [(b"authorization", b"Bearer sk_test_bodies"), (b"content-type", b"application/x-www-form-urlencoded")]
CHUNKED = [*KEY, (b"transfer-encoding", b"chunked")]
FORM_PATHS = ["/v1/customers", "/_emulator/dashboard/actions", "/hosted/financial_connections/fcsess_1",
              "/_emulator/client/setup_intent/confirm", "/_emulator/faults"]


@pytest.mark.parametrize("path", FORM_PATHS)
def test_a_chunked_body_is_read_only_up_to_the_limit(path: str) -> None:
    app = create_app(Settings(seed=1))
    megabyte = b"a=" + b"x" * (LIMIT // 4)
    status, body, read = call(app, "POST", path, [megabyte] * 800, headers=CHUNKED)  # 200 MB offered
    assert status == 413, body
    assert read <= 5  # it stopped at the first chunk past 1 MB, it did not buffer the 200 MB


@pytest.mark.parametrize("path", FORM_PATHS)
def test_a_declared_oversized_body_is_refused_before_reading(path: str) -> None:
    app = create_app(Settings(seed=1))
    status, _, read = call(app, "POST", path, [b"x"], headers=[*KEY, (b"content-length", str(LIMIT + 1).encode())])
    assert status == 413 and read == 0


@pytest.mark.parametrize("path", ["/v1/customers", "/_emulator/reset", "/_emulator/dashboard/actions"])
def test_a_body_that_does_not_arrive_in_time_is_a_408(path: str) -> None:
    app = create_app(Settings(seed=1, body_timeout=0.3))
    status, body, _ = call(app, "POST", path, None, headers=[*KEY, (b"content-length", b"10")], hang=True)
    assert status == 408, body


def test_a_client_that_disconnects_before_its_body_is_not_a_server_error(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(seed=1))
    with caplog.at_level(logging.ERROR):
        call(app, "POST", "/v1/customers", None, headers=[*KEY, (b"content-length", b"100")], disconnect=True)
    assert "unexpected error" not in caplog.text and "unhandled error" not in caplog.text
    backend = app.state.emulator.backends.peek("bodies")
    assert backend is None or backend.requests.newest_first() == []  # not recorded as a 500


@pytest.mark.parametrize("path", ["/_emulator/dashboard/actions", "/hosted/financial_connections/fcsess_1",
                                  "/_emulator/client/setup_intent/confirm"])
@pytest.mark.parametrize("payload", [b"key=\xff\xfe", b"&".join(b"k%d=v" % i for i in range(10_001))])
def test_bad_forms_to_pages_and_client_endpoints_are_4xx(api: Api, path: str, payload: bytes) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Authorization": "Bearer pk_test_conftest", "Origin": "http://127.0.0.1"}
    response = api.caller.request("POST", path, headers=headers, body=payload)
    assert 400 <= response.status < 500, (response.status, response.body[:300])


def test_idempotency_keys_are_capped_per_namespace_oldest_first() -> None:
    store = IdempotencyStore()
    for index in range(10_001):  # the README's cap is 10,000 keys per namespace
        assert store.begin(f"key-{index}", "POST /v1/customers", 1000.0) is None
    assert len(store) == 10_000
    assert store.begin("key-0", "another request entirely", 1000.0) is None  # forgotten: a new claim, no mismatch
    with pytest.raises(Exception, match="Keys for idempotent requests"):
        store.begin("key-2", "another request entirely", 1000.0)  # still remembered


# -- headers: a real server -----------------------------------------------------------------------------------------

def drip_headers(sock: socket.socket) -> bool:
    """Send a request's headers one byte whenever the socket has said nothing for 0.2 s, like a slowloris client
    (300 bytes: a minute of drip); whether the server closed the connection before they were done."""
    for byte in b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 300:
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable:
            try:
                return sock.recv(1024) == b""
            except ConnectionResetError:  # a reset is a disconnect too
                return True
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return True
    return False


def test_a_client_dripping_its_headers_is_disconnected(serve: type[Served]) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--header-timeout", "1"])
    match = READY.search(served.ready_line())
    assert match is not None
    with socket.create_connection(("127.0.0.1", int(match.group(2))), timeout=30) as sock:
        started = time.monotonic()
        assert drip_headers(sock), "the server kept a connection whose headers never finished"
        assert time.monotonic() - started < 60  # before the drip would have finished
    assert served.stop(15) == 0


@pytest.fixture
def idle_server(serve: type[Served]) -> Iterator[int]:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0"])
    match = READY.search(served.ready_line())
    assert match is not None
    yield int(match.group(2))


def test_a_normal_keep_alive_client_is_not_cut_off(idle_server: int) -> None:
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{idle_server}", timeout=10) as client:
        for _ in range(5):
            assert client.get("/_emulator/health").status_code == 200


@pytest.mark.parametrize("first", [
    b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # answered the ASGI way
    b"GET /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk_test_drip\r\n\r\n",  # the lane's
], ids=["asgi", "lane"])
def test_a_kept_alive_connection_whose_next_request_drips_is_disconnected(serve: type[Served], first: bytes) -> None:
    """The deadline applies to every request of a connection, not only its first one (whichever way it went)."""
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--header-timeout", "1"])
    match = READY.search(served.ready_line())
    assert match is not None
    with socket.create_connection(("127.0.0.1", int(match.group(2))), timeout=30) as sock:
        sock.sendall(first)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            assert chunk, "the first request got no whole answer"
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert drip_headers(sock), "the server kept a connection whose second request's headers never finished"
        assert time.monotonic() - started < 60
    assert served.stop(15) == 0


@pytest.mark.parametrize("waits", [0, 1, 3])
def test_a_body_that_arrives_after_a_wait_is_read_whole(waits: int) -> None:
    """The body reader arms its deadline only when `receive()` has to wait; a body that comes after some waiting (in
    one message or two) is read as if it had been there."""
    app = create_app(Settings(seed=1, body_timeout=30))
    parts = [b"name=Late", b"+Comer&email=late%40example.com"]

    async def run() -> tuple[int, bytes]:
        answer: dict[str, Any] = {"status": 0, "body": b""}

        async def receive() -> dict[str, Any]:
            for _ in range(waits):
                await asyncio.sleep(0)  # a bare yield to the loop
            await asyncio.wait_for(asyncio.shield(asyncio.sleep(0.001)), 5)  # a real future to wait on
            chunk = parts.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(parts)}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        body_length = str(sum(len(p) for p in parts)).encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/v1/customers", "raw_path": b"/v1/customers", "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"127.0.0.1"), *KEY, (b"content-length", body_length)],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        return answer["status"], answer["body"]

    with ThreadPoolExecutor(1) as pool:
        status, body = pool.submit(asyncio.run, run()).result(timeout=60)
    assert status == 200, body
    created = json.loads(body)
    assert (created["name"], created["email"]) == ("Late Comer", "late@example.com")
