"""`/_emulator/faults`: errors, latency and dropped connections for testing an integrator's retry logic, with the
real stripe SDK retrying (or not) exactly as it does against Stripe."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from emulator.settings import Settings
from harness.server import EmulatorServer

pytestmark = pytest.mark.sdk


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(Settings(port=0, seed=11)) as running:
        yield running  # type: ignore[misc]


@pytest.fixture
def namespace(request: pytest.FixtureRequest) -> str:
    return "faults_" + re.sub(r"[^A-Za-z0-9]", "_", request.node.name.removeprefix("test_"))[:80]


def http(server: EmulatorServer, namespace: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=(f"sk_test_{namespace}", ""), timeout=30)


def sdk(server: EmulatorServer, namespace: str, retries: int) -> stripe.StripeClient:
    return stripe.StripeClient(f"sk_test_{namespace}", base_addresses={"api": server.url},
                               max_network_retries=retries)


def add_fault(server: EmulatorServer, namespace: str, **rule: Any) -> dict[str, Any]:
    with http(server, namespace) as client:
        response = client.post("/_emulator/faults", data={k: str(v).lower() if isinstance(v, bool) else str(v)
                                                           for k, v in rule.items()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def logged_statuses(server: EmulatorServer, namespace: str) -> list[int]:
    with http(server, namespace) as client:
        entries = client.get("/_emulator/requests").json()["data"]
    return [entry["status"] for entry in reversed(entries)]


def customers(server: EmulatorServer, namespace: str) -> int:
    with http(server, namespace) as client:
        return len(client.get("/v1/customers", params={"limit": 100}).json()["data"])


def test_sdk_retries_api_errors_and_the_request_succeeds(server: EmulatorServer, namespace: str) -> None:
    add_fault(server, namespace, method="POST", path_prefix="/v1/customers", error="api_error", count=2)
    created = sdk(server, namespace, retries=2).v1.customers.create(params={"name": "Retried"})
    assert created.name == "Retried"
    assert logged_statuses(server, namespace) == [500, 500, 200]  # the SDK really retried twice
    assert customers(server, namespace) == 1


def test_rate_limit_reaches_the_caller_as_rate_limit_error_without_sdk_retries(server: EmulatorServer,
                                                                               namespace: str) -> None:
    add_fault(server, namespace, error="rate_limit", count=1)
    with pytest.raises(stripe.RateLimitError) as raised:
        sdk(server, namespace, retries=2).v1.customers.create(params={"name": "Limited"})
    assert raised.value.http_status == 429 and raised.value.error.code == "rate_limit"
    assert raised.value.request_id and raised.value.request_id.startswith("req_")
    assert logged_statuses(server, namespace) == [429]  # the SDK does not retry a 429 on its own
    assert customers(server, namespace) == 0


def test_lock_timeout_says_should_retry_and_the_sdk_obeys(server: EmulatorServer, namespace: str) -> None:
    add_fault(server, namespace, error="lock_timeout", count=1)
    with http(server, namespace) as client:
        refused = client.post("/v1/customers", data={"name": "Locked"})
    assert refused.status_code == 429 and refused.headers["Stripe-Should-Retry"] == "true"
    assert refused.json()["error"]["code"] == "lock_timeout" and refused.headers["Request-Id"].startswith("req_")
    add_fault(server, namespace, error="lock_timeout", count=1)
    sdk(server, namespace, retries=1).v1.customers.create(params={"name": "Locked"})
    assert logged_statuses(server, namespace) == [429, 429, 200]


def test_status_override_and_idempotency_key_in_use_preset(server: EmulatorServer, namespace: str) -> None:
    add_fault(server, namespace, error="idempotency_key_in_use", count=1)
    add_fault(server, namespace, status=503, count=1)
    with http(server, namespace) as client:
        first = client.post("/v1/customers", data={"name": "x"})
        second = client.post("/v1/customers", data={"name": "x"})
    assert first.status_code == 409 and first.json()["error"]["code"] == "idempotency_key_in_use"
    assert second.status_code == 503 and second.json()["error"]["type"] == "api_error"


def test_rules_match_method_path_prefix_and_namespace_only(server: EmulatorServer, namespace: str) -> None:
    add_fault(server, namespace, method="POST", path_prefix="/v1/customers", error="api_error")
    with http(server, namespace) as client, http(server, namespace + "_other") as other:
        assert client.post("/v1/customers", data={"name": "x"}).status_code == 500
        assert client.get("/v1/customers").status_code == 200  # other method
        assert client.get("/v1/financial_connections/accounts").status_code == 200  # other path
        assert other.post("/v1/customers", data={"name": "x"}).status_code == 200  # other namespace
        assert client.get("/_emulator/faults").json()["data"][0]["fired"] == 1
        assert client.delete("/_emulator/faults").json()["deleted"] == 1
        assert client.post("/v1/customers", data={"name": "x"}).status_code == 200


def test_probability_is_reproducible_with_a_seed_and_count_limits_firing(server: EmulatorServer,
                                                                         namespace: str) -> None:
    patterns = []
    for run in ("a", "b"):
        add_fault(server, namespace + run, error="api_error", probability="0.5", seed=42)
        with http(server, namespace + run) as client:
            patterns.append([client.get("/v1/customers").status_code for _ in range(30)])
    assert patterns[0] == patterns[1]
    assert 5 < patterns[0].count(500) < 25  # about half
    add_fault(server, namespace, error="api_error", count=3)
    with http(server, namespace) as client:
        statuses = [client.get("/v1/customers").status_code for _ in range(6)]
        assert client.get("/_emulator/faults").json()["data"] == []  # spent rules go away
    assert statuses == [500, 500, 500, 200, 200, 200]


def test_latency_delays_the_answer_then_carries_on(server: EmulatorServer, namespace: str) -> None:
    add_fault(server, namespace, latency_ms=300, count=1)
    with http(server, namespace) as client:
        started = time.perf_counter()
        response = client.post("/v1/customers", data={"name": "Slow"})
        elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.headers["Emulator-Fault"].startswith("flt_")
    assert elapsed >= 0.3
    assert customers(server, namespace) == 1


def test_dropped_connection_is_a_network_error_and_an_idempotent_retry_creates_once(server: EmulatorServer,
                                                                                   namespace: str) -> None:
    add_fault(server, namespace, drop_connection=True, count=1)
    with http(server, namespace) as client, pytest.raises(httpx.RemoteProtocolError):
        client.get("/v1/customers")
    add_fault(server, namespace, method="POST", drop_connection=True, count=1)
    client = sdk(server, namespace, retries=2)
    options: Any = {"idempotency_key": "order-1"}
    # The response broke off mid-body, so the SDK cannot know whether the create ran and does not retry by itself;
    # the integrator's retry with the same idempotency key is what makes it safe.
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create(params={"name": "Dropped"}, options=options)
    created = client.v1.customers.create(params={"name": "Dropped"}, options=options)
    again = client.v1.customers.create(params={"name": "Dropped"}, options=options)
    assert created.id == again.id and customers(server, namespace) == 1


@pytest.mark.parametrize(("rule", "param"), [
    ({"error": "api_error", "probability": "1.5"}, "probability"),
    ({"error": "api_error", "probability": "half"}, "probability"),
    ({"error": "teapot"}, "error"),
    ({"status": "200"}, "status"),
    ({"error": "api_error", "path_prefix": "/_emulator/"}, "path_prefix"),
    ({"method": "GET"}, "error"),
    ({"latency_ms": "-1"}, "latency_ms"),
])
def test_bad_fault_rules_are_refused_and_change_nothing(server: EmulatorServer, namespace: str,
                                                        rule: dict[str, str], param: str) -> None:
    with http(server, namespace) as client:
        refused = client.post("/_emulator/faults", data=rule)
        assert refused.status_code == 400 and refused.json()["error"]["param"] == param
        assert client.get("/_emulator/faults").json()["data"] == []


def test_dropped_connection_through_the_in_process_transport_is_a_connection_error() -> None:
    from emulator.http.app import create_app
    from harness.sdk import AsgiHTTPClient

    transport = AsgiHTTPClient(create_app(Settings(seed=3)))
    client = stripe.StripeClient("sk_test_inproc_drop", http_client=transport,
                                 base_addresses={"api": "http://emulator.invalid"}, max_network_retries=2)
    try:
        client.raw_request("post", "/_emulator/faults", drop_connection="true", count="1")
        with pytest.raises(stripe.APIConnectionError):
            client.v1.customers.list()
        assert client.v1.customers.list().data == []  # the rule fired once and is gone
    finally:
        transport.close()
