"""The harness's local webhook receiver: hands each delivery to the handler, answers with its status, and stops at
once (a scenario stops one per run)."""

from __future__ import annotations

import socket

import httpx
import pytest

from harness.webhooks import WebhookSink


def test_a_delivery_reaches_the_handler_and_its_status_is_the_answer() -> None:
    seen: list[tuple[str, str]] = []

    def handler(payload: str, signature: str) -> int:
        seen.append((payload, signature))
        return 202

    with WebhookSink(handler) as sink:
        answer = httpx.post(sink.url, content=b'{"id": "evt_1", "type": "customer.created"}',
                            headers={"Stripe-Signature": "t=1,v1=abc"}, timeout=10)
    assert answer.status_code == 202
    assert seen == [('{"id": "evt_1", "type": "customer.created"}', "t=1,v1=abc")]
    assert [(d.event_type, d.event_id, d.status) for d in sink.outcomes()] == [("customer.created", "evt_1", 202)]


def test_a_crashing_handler_is_a_500_and_recorded() -> None:
    def handler(payload: str, signature: str) -> int:
        raise RuntimeError("boom")

    with WebhookSink(handler) as sink:
        assert httpx.post(sink.url, content=b"{}", timeout=10).status_code == 500
    assert sink.outcomes()[0].status == 500 and "boom" in sink.outcomes()[0].outcome


def test_stop_ends_the_serving_thread_and_closes_the_port() -> None:
    sink = WebhookSink().start()
    port = int(sink.url.split(":")[2].split("/")[0])
    sink.stop()
    assert not sink._thread.is_alive()  # joined, not left polling
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    sink.stop()  # twice is harmless


def test_a_sink_never_started_stops_cleanly() -> None:
    sink = WebhookSink()
    sink.stop()
    assert not sink._thread.is_alive()
