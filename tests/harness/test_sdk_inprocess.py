from __future__ import annotations

import stripe

from emulator.http.app import create_app
from emulator.settings import Settings
from harness.sdk import AsgiHTTPClient


def test_sdk_inprocess_transport_needs_no_socket() -> None:
    http_client = AsgiHTTPClient(create_app(Settings(seed=3)))
    try:
        client = stripe.StripeClient(
            "sk_test_inprocess", http_client=http_client, base_addresses={"api": "http://emulator.invalid"},
            max_network_retries=0,
        )
        customer = client.v1.customers.create(params={"email": "in@process.test"})
        assert client.v1.customers.retrieve(customer.id).email == "in@process.test"
        try:
            client.v1.customers.retrieve("cus_nope")
        except stripe.InvalidRequestError as error:
            assert error.code == "resource_missing" and error.http_status == 404
        else:  # pragma: no cover
            raise AssertionError("expected resource_missing")
    finally:
        http_client.close()


def test_harness_server_answers_keep_alive_requests_quickly() -> None:
    import time

    import httpx

    from harness.server import EmulatorServer

    with EmulatorServer() as server, httpx.Client(base_url=server.url) as client:
        client.get("/_emulator/health")
        times = []
        for _ in range(21):
            started = time.perf_counter()
            client.get("/_emulator/health")
            times.append(time.perf_counter() - started)
        assert sorted(times)[10] < 0.03  # a delayed ACK would put every request, the median too, past 40 ms
