"""The lane (`emulator.http.protocol._Lane`): API requests that arrive whole are answered by the protocol itself,
without an ASGI cycle. Over real HTTP, against a server without it (`fast_path=False`: the full stack), the same
answers — status, headers but `date`, body — request after request; and whatever it does not take (a body still on
its way, pipelined requests, HTTP/1.0, `Connection: close`, fault rules) is still answered right."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from emulator.settings import Settings
from harness.server import EmulatorServer

KEY = "Bearer sk_test_lane"
PREVIEW = "2026-09-30.preview"
TIMESTAMP = re.compile(rb"\b1[6-9][0-9]{8}\b")


def _request(method: str, path: str, headers: dict[str, str] | None = None, data: dict[str, str] | None = None,
             *, version: str = "1.1") -> bytes:
    body = urlencode(data).encode() if data is not None else b""
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in {"Authorization": KEY, **(headers or {})}.items()]
    if data is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One raw HTTP/1.1 connection: what is sent is exactly what the test writes."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def send(self, raw: bytes) -> None:
        self.sock.sendall(raw)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection mid-response"
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    waiting = threading.Event()
    for _ in range(int(seconds / 0.002)):
        if condition():
            return True
        waiting.wait(0.002)
    return condition()


@pytest.fixture
def servers() -> Iterator[tuple[EmulatorServer, EmulatorServer]]:
    with EmulatorServer(Settings(port=0, seed=21)) as lane, \
            EmulatorServer(Settings(port=0, seed=21, fast_path=False)) as full:
        yield lane, full


def _comparable(answer: tuple[int, dict[str, str], bytes]) -> tuple[Any, ...]:
    status, headers, body = answer
    return status, sorted((name, value) for name, value in headers.items() if name != "date"), \
        TIMESTAMP.sub(b"T", body)


def test_the_lane_answers_as_the_full_stack(servers: tuple[EmulatorServer, EmulatorServer]) -> None:
    lane, full = servers
    assert lane.app.fast is not None  # type: ignore[attr-defined]
    connections = [Connection(server.port or 0) for server in servers]
    made: dict[str, str] = {}

    def both(raw: bytes) -> tuple[int, dict[str, str], bytes]:
        answers = []
        for connection in connections:
            connection.send(raw)
            answers.append(connection.response())
        assert _comparable(answers[0]) == _comparable(answers[1]), raw.decode("latin-1")
        return answers[0]

    try:
        status, _, body = both(_request("POST", "/v1/customers", data={"name": "Jenny", "metadata[plan]": "pro"}))
        assert lane.app.fast.lane_answers == 1  # type: ignore[attr-defined]
        assert status == 200
        made["customer"] = re.search(rb'"id": "(cus_\w+)"', body).group(1).decode()  # type: ignore[union-attr]
        customer = made["customer"]
        for raw in (
            _request("GET", f"/v1/customers/{customer}"),
            _request("GET", f"/v1/customers/{customer}?expand[]=test_clock"),
            _request("GET", "/v1/customers?limit=1&email=nobody%40example.com"),
            _request("GET", "/v1/customers?limit=1#a-fragment"),  # the target parsed, not split
            _request("GET", "/v1/customers?"),
            _request("GET", "/v1/customers/cus_nope"),
            _request("GET", "/v1/customers", {"Authorization": "Bearer sk_live_nope"}),
            _request("GET", "/v1/customers", {"Authorization": "Bearer pk_test_lane"}),
            _request("POST", "/v1/customers", data={"bogus": "1"}),
            _request("POST", "/v1/customers", {"Idempotency-Key": "k1"}, {"email": "j@example.com"}),
            _request("POST", "/v1/customers", {"Idempotency-Key": "k1"}, {"email": "j@example.com"}),
            _request("POST", "/v1/customers", {"Idempotency-Key": "k1"}, {"email": "other@example.com"}),
            _request("GET", "/v1/customers", {"Stripe-Version": "2020-08-27"}),
            _request("GET", "/v1/customers", {"Stripe-Version": "yesterday"}),
            _request("GET", "/v1/customers", {"Stripe-Account": "acct_nope"}),
            _request("POST", "/v1/financial_connections/sessions", {"Stripe-Version": PREVIEW},
                     {"account_holder[type]": "customer", "account_holder[customer]": customer,
                      "permissions[]": "payment_method"}),
            _request("GET", "/v1/financial_connections/institutions"),  # preview-only, on a GA version
            _request("DELETE", f"/v1/customers/{customer}"),
            _request("DELETE", "/v1/events"),  # a method the path lacks: the ASGI way on both
            _request("GET", "/v1/products"),  # the generic surface: the ASGI way on both
            # a body declared over the limit: the ASGI way on both, refused before it is read (last: the rest of
            # the declared body never comes)
            _request("POST", "/v1/customers", data={"name": "x"}).replace(b"Length: 6", b"Length: 5000000"),
        ):
            both(raw)
        assert lane.app.fast.lane_answers == 19  # type: ignore[attr-defined]  # all but the last three
    finally:
        for connection in connections:
            connection.close()


def test_pipelined_requests_are_answered_in_order(servers: tuple[EmulatorServer, EmulatorServer]) -> None:
    lane, _ = servers
    with Connection(lane.port or 0) as connection:
        connection.send(_request("POST", "/v1/customers", data={"name": "First"})
                        + _request("GET", "/v1/nope")  # the ASGI way, between two the lane would take
                        + _request("POST", "/v1/customers", data={"name": "Third"}))
        answers = [connection.response() for _ in range(3)]
        # a read with more than one request in it: uvicorn's parser takes them all, the ASGI way, in order
        assert lane.app.fast.lane_answers == 0  # type: ignore[attr-defined]
        assert [status for status, _, _ in answers] == [200, 404, 200]
        assert b'"name": "First"' in answers[0][2] and b'"name": "Third"' in answers[2][2]
        connection.send(_request("GET", "/v1/customers?limit=1"))  # then, one whole request: the lane's again
        assert connection.response()[0] == 200
        assert lane.app.fast.lane_answers == 1  # type: ignore[attr-defined]


def test_a_body_still_on_its_way_is_read_and_answered(servers: tuple[EmulatorServer, EmulatorServer]) -> None:
    lane, _ = servers
    raw = _request("POST", "/v1/customers", data={"name": "Slow", "email": "slow@example.com"})
    head, body = raw.split(b"\r\n\r\n", 1)
    with Connection(lane.port or 0) as connection:
        connection.send(head + b"\r\n\r\n" + body[:5])
        # the server has read the headers and started the ASGI cycle that waits for the rest of the body
        assert _within(5, lambda: any(getattr(protocol, "cycle", None) is not None
                                      for protocol in lane._server.server_state.connections))  # type: ignore[union-attr]
        connection.send(body[5:])
        status, _, answered = connection.response()
        assert status == 200 and b'"email": "slow@example.com"' in answered
        assert lane.app.fast.lane_answers == 0  # type: ignore[attr-defined]  # the ASGI way answered it
        # the lane's parser had read the part that came first: it starts afresh at the next request
        connection.send(_request("POST", "/v1/customers", data={"name": "Whole"}))
        status, _, answered = connection.response()
        assert status == 200 and b'"name": "Whole"' in answered
        assert lane.app.fast.lane_answers == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["connection close", "HTTP/1.0"])
def test_a_connection_that_ends_with_the_request_is_closed_after_the_answer(
        servers: tuple[EmulatorServer, EmulatorServer], how: str) -> None:
    lane, _ = servers
    raw = (_request("GET", "/v1/customers", {"Connection": "close"}) if how == "connection close"
           else _request("GET", "/v1/customers", version="1.0"))
    with Connection(lane.port or 0) as connection:
        connection.send(raw)
        status, headers, _ = connection.response()
        assert status == 200 and headers.get("connection") == "close"
        assert connection.closed()
        assert lane.app.fast.lane_answers == (1 if how == "connection close" else 0)  # type: ignore[attr-defined]


def test_fault_rules_still_apply_to_requests_the_lane_would_take(
        servers: tuple[EmulatorServer, EmulatorServer]) -> None:
    lane, _ = servers
    with Connection(lane.port or 0) as connection:
        connection.send(_request("POST", "/_emulator/faults",
                                 data={"path_prefix": "/v1/customers", "status": "429", "count": "1"}))
        fault_status, _, fault_body = connection.response()
        assert fault_status == 200, fault_body
        connection.send(_request("GET", "/v1/customers"))
        status, headers, _ = connection.response()
        assert status == 429 and "emulator-fault" in headers
        assert lane.app.fast.lane_answers == 0  # type: ignore[attr-defined]  # a namespace with rules: the ASGI way
        connection.send(_request("GET", "/v1/customers"))
        assert connection.response()[0] == 200  # the rule is spent
        assert lane.app.fast.lane_answers == 1  # type: ignore[attr-defined]


def test_a_control_character_in_a_header_is_refused_by_the_parser_before_anything_runs(
        servers: tuple[EmulatorServer, EmulatorServer]) -> None:
    # the lane writes echoed header values (Idempotency-Key) without uvicorn's check for control characters: the
    # parser refuses such a request first
    lane, _ = servers
    with Connection(lane.port or 0) as connection:
        connection.send(_request("POST", "/v1/customers", {"Idempotency-Key": "a\x01b"}, {"name": "x"}))
        status, _, body = connection.response()
    assert (status, body) == (400, b"Invalid HTTP request received.")
    assert lane.app.fast.lane_answers == 0  # type: ignore[attr-defined]
    assert lane.app.state.emulator.backends.peek("lane") is None  # type: ignore[attr-defined]  # nothing ran


def test_a_bug_outside_the_pipeline_is_stripes_api_error_on_the_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.http import fastpath
    from emulator.http.app import create_app

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    app = create_app(Settings(seed=21))
    lane = app.fast  # type: ignore[attr-defined]
    headers = [(b"host", b"127.0.0.1"), (b"authorization", KEY.encode())]
    endpoint, child = lane.lane_route("GET", "/v1/customers", headers)
    monkeypatch.setattr(fastpath, "run_now", broken)
    status, answered_headers, body = lane.answer(endpoint, child, "GET", "/v1/customers", b"", headers, b"")
    request_id = dict(answered_headers)[b"request-id"].decode()
    assert status == 500 and request_id.startswith("req_")
    error = json.loads(body)["error"]
    assert error["type"] == "api_error" and request_id in error["message"]


class _Clock:
    """An event loop's timing, by hand: `time()` is what the test says, timers fire when the test says."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[tuple[float, Callable[[], None], _Timer]] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer()
        self.timers.append((self.now + delay, callback, timer))
        return timer

    def run_until(self, instant: float) -> None:
        self.now = instant
        while due := [entry for entry in self.timers if entry[0] <= instant and not entry[2].cancelled]:
            entry = min(due, key=lambda e: e[0])
            self.timers.remove(entry)
            entry[1]()


class _Timer:
    cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Transport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 12111), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def get_write_buffer_size(self) -> int:
        return 0


def test_a_connection_the_lane_answers_on_is_kept_alive_for_the_timeout_after_its_last_request() -> None:
    import uvicorn
    from uvicorn.server import ServerState

    from emulator.http.app import create_app
    from emulator.http.protocol import protocol

    app = create_app(Settings(seed=21))
    config = uvicorn.Config(app, timeout_keep_alive=5, access_log=False, log_level="warning")
    clock = _Clock()
    made = protocol(header_timeout=10.0, lane=app.fast)(config=config, server_state=ServerState(),  # type: ignore
                                                         app_state={}, _loop=clock)
    transport = _Transport()
    made.connection_made(transport)  # type: ignore[arg-type]
    made.data_received(_request("GET", "/v1/customers"))
    assert transport.written.startswith(b"HTTP/1.1 200 OK") and app.fast.lane_answers == 1  # type: ignore[attr-defined]
    clock.run_until(3.0)
    made.data_received(_request("GET", "/v1/customers"))  # the last request, 3 s in
    assert app.fast.lane_answers == 2  # type: ignore[attr-defined]
    clock.run_until(7.9)  # 4.9 s after it (past the first request's 5 s): still open
    assert not transport.closed
    clock.run_until(8.0)  # 5 s after it: closed
    assert transport.closed


def test_the_lane_looks_at_each_requests_headers_though_it_remembers_routes() -> None:
    from emulator.http.app import create_app

    lane = create_app(Settings(seed=21, max_body_bytes=1000)).fast  # type: ignore[attr-defined]
    plain = [(b"host", b"127.0.0.1:12111"), (b"authorization", KEY.encode()), (b"content-length", b"10")]
    assert lane.lane_route("POST", "/v1/customers", plain) is not None
    for extra in ([(b"origin", b"http://localhost:3000")], [(b"x-forwarded-for", b"10.0.0.1")],
                  [(b"forwarded", b"for=10.0.0.1")], [(b"transfer-encoding", b"chunked")],
                  [(b"expect", b"100-continue")]):
        assert lane.lane_route("POST", "/v1/customers", plain + extra) is None, extra  # the same path, just taken
    for length in (b"1001", b"-1", b"ten"):
        assert lane.lane_route("POST", "/v1/customers", [*plain[:2], (b"content-length", length)]) is None
    assert lane.lane_route("POST", "/v1/customers", [(b"host", b"evil.example"), *plain[1:]]) is None
    assert lane.lane_route("POST", "/v1/customers", plain) is not None  # and the plain request still is
    assert lane.lane_route("GET", "/v1/nope", plain) is None  # no route
    assert lane.lane_route("PUT", "/v1/customers", plain) is None  # a method the path does not have


def test_a_request_that_expects_100_continue_gets_it_and_its_answer(
        servers: tuple[EmulatorServer, EmulatorServer]) -> None:
    lane, _ = servers
    raw = _request("POST", "/v1/customers", {"Expect": "100-continue"}, {"name": "Patient"})
    head, body = raw.split(b"\r\n\r\n", 1)
    with Connection(lane.port or 0) as connection:
        connection.send(head + b"\r\n\r\n")  # the body only once the server says to go on
        while b"\r\n\r\n" not in connection.buffer:
            connection._more()
        interim, connection.buffer = connection.buffer.split(b"\r\n\r\n", 1)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        connection.send(body)
        status, _, answered = connection.response()
    assert status == 200 and b'"name": "Patient"' in answered
    assert lane.app.fast.lane_answers == 0  # type: ignore[attr-defined]  # uvicorn's way, with its 100 Continue


def test_a_closed_connection_lets_go_of_the_lanes_parser_without_the_cyclic_collector() -> None:
    import uvicorn
    from uvicorn.server import ServerState

    from emulator.http.app import create_app
    from emulator.http.protocol import protocol

    app = create_app(Settings(seed=21))
    config = uvicorn.Config(app, access_log=False, log_level="warning")
    made = protocol(header_timeout=10.0, lane=app.fast)(config=config, server_state=ServerState(),  # type: ignore
                                                         app_state={}, _loop=_Clock())
    made.connection_made(_Transport())  # type: ignore[arg-type]
    made.data_received(_request("GET", "/v1/customers"))
    callbacks = made._request  # type: ignore[attr-defined]
    assert callbacks.reader is not None and app.fast.lane_answers == 1  # type: ignore[attr-defined]
    made.connection_lost(None)
    # the parser and its callbacks no longer refer to each other: reference counting frees them
    assert callbacks.reader is None and made._reader is None  # type: ignore[attr-defined]
