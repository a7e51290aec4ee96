"""The fast path gives the answers the full middleware stack gives: same status, headers and body, request after
request, for what it takes and for what it hands to the full stack."""

from __future__ import annotations

import re
from typing import Any

from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller

KEY = {"Authorization": "Bearer sk_test_fastpath"}
PREVIEW = {**KEY, "Stripe-Version": "2026-09-30.preview"}
REQUESTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("POST", "/v1/customers", KEY, {"name": "Jenny", "metadata[plan]": "pro"}),
    ("GET", "/v1/customers", KEY, None),
    ("GET", "/v1/customers?limit=1", {**KEY, "Origin": "http://127.0.0.1:3000"}, None),  # CORS: the full stack
    ("GET", "/v1/customers/cus_nope", KEY, None),
    ("DELETE", "/v1/events", KEY, None),  # a method the path lacks
    ("GET", "/v1/customers/", KEY, None),  # no route
    ("GET", "/v1/customers", {**KEY, "Host": "evil.example"}, None),  # refused host
    ("GET", "/v1/customers", {"Authorization": "Bearer sk_live_nope"}, None),
    ("POST", "/v1/customers", {**KEY, "Idempotency-Key": "k1"}, {"email": "j@example.com"}),
    ("POST", "/v1/customers", {**KEY, "Idempotency-Key": "k1"}, {"email": "j@example.com"}),
    ("POST", "/v1/financial_connections/sessions", PREVIEW,
     {"account_holder[type]": "customer", "account_holder[customer]": "cus_nope", "permissions[]": "payment_method"}),
    ("GET", "/v1/financial_connections/institutions", KEY, None),  # preview-only on a GA version
    ("POST", "/v1/customers", KEY, {"bogus": "1"}),
    ("POST", "/v1/customers", {**KEY, "Content-Length": "5000000"}, {"name": "x"}),  # declared over the limit
]


TIMESTAMP = re.compile(rb"\b1[6-9][0-9]{8}\b")


def test_fast_path_answers_as_the_full_stack() -> None:
    # two emulators of one seed, asked the same things in turn (timestamps are the clock's: written as T)
    fast, full = (AsgiCaller(create_app(Settings(seed=11, fast_path=on))) for on in (True, False))
    try:
        for method, path, headers, data in REQUESTS:
            one, other = (caller.request(method, path, headers=headers, data=data) for caller in (fast, full))
            assert (one.status, sorted(one.headers.items()), TIMESTAMP.sub(b"T", one.body)) == (
                other.status, sorted(other.headers.items()), TIMESTAMP.sub(b"T", other.body)), (method, path)
        # the caller hands what the app's lane takes to it, as `serve`'s protocol does (the rest the ASGI way)
        assert fast.app.fast.lane_answers == 9  # type: ignore[attr-defined]  # all but CORS, no route (2), bad Host
    finally:
        fast.close()
        full.close()


def test_fast_path_takes_plain_api_requests_only() -> None:
    app = create_app(Settings(seed=11, control_token="t0ken", surface="emulated"))
    assert app.fast is not None  # type: ignore[attr-defined]

    def scope(path: str, *headers: tuple[bytes, bytes], method: str = "GET") -> dict[str, Any]:
        return {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"",
                "headers": [(b"host", b"127.0.0.1:12111"), *headers]}

    route = app.fast.route  # type: ignore[attr-defined]
    assert route(scope("/v1/customers")) is not None
    assert route(scope("/v1/customers", (b"origin", b"http://127.0.0.1"))) is None
    assert route(scope("/v1/test_helpers/payment_methods/pm_1/next_debit", method="POST")) is None  # token to check
    assert route(scope("/_emulator/health")) is None
    refused = scope("/v1/customers")
    refused["headers"] = [(b"host", b"evil.example")]
    assert route(refused) is None  # the host layer answers it
    assert route(scope("/v1/nothing/here")) is None and route(scope("/v1/events", method="DELETE")) is None
    # with every endpoint answering (`--surface all`), the generic catch-all takes the rest of /v1/ (and answers
    # Stripe's 404 itself for a path the SDK does not have)
    everything = create_app(Settings(seed=11, surface="all")).fast  # type: ignore[attr-defined]
    assert everything.route(scope("/v1/nothing/here")) is not None


def test_a_repeated_request_header_counts_once_the_first_as_sent() -> None:
    from emulator.http.pipeline import headers_of

    assert headers_of([(b"stripe-version", b"2020-08-27"), (b"authorization", b"Bearer sk_test_a"),
                       (b"stripe-version", b"2026-09-30.preview")]) == {
        "stripe-version": "2020-08-27", "authorization": "Bearer sk_test_a"}
    assert headers_of([(b"x-note", "café".encode("latin-1"))]) == {"x-note": "café"}  # latin-1, as ASGI's bytes
