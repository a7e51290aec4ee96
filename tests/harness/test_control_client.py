from __future__ import annotations

import pytest
import stripe

from harness.control import ControlClient, ControlError


def test_control_client_clock_and_requests(stripe_control: ControlClient, stripe_client: stripe.StripeClient) -> None:
    frozen = stripe_control.freeze()
    assert frozen.frozen is True
    later = stripe_control.advance(3600)
    assert later.now == frozen.now + 3600 and stripe_control.clock() == later
    customer = stripe_client.v1.customers.create(params={"name": "timed"})
    assert customer.created == later.now
    (logged,) = stripe_control.requests()
    assert (logged.method, logged.path, logged.status) == ("POST", "/v1/customers", 200)
    assert logged.idempotency_key is not None  # the SDK sends one on every POST
    assert stripe_control.unfreeze().frozen is False


def test_control_client_reset_and_health(stripe_control: ControlClient, stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.customers.create(params={"name": "gone soon"})
    stripe_control.reset()
    assert stripe_client.v1.customers.list().data == []
    assert stripe_control.health()["status"] == "ok"


def test_control_client_raises_stripe_shaped_errors(stripe_control: ControlClient) -> None:
    with pytest.raises(ControlError) as info:
        stripe_control.advance(-1)
    assert info.value.status == 400 and info.value.error["param"] == "advance"


def test_control_client_sends_the_control_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.settings import Settings
    from harness.server import EmulatorServer

    monkeypatch.delenv("STRIPE_FC_EMULATOR_CONTROL_TOKEN", raising=False)
    with EmulatorServer(Settings(port=0, control_token="tok-1")) as server:
        without, given = ControlClient(server.url, "sk_test_tokened"), ControlClient(server.url, "sk_test_tokened",
                                                                                      control_token="tok-1")
        monkeypatch.setenv("STRIPE_FC_EMULATOR_CONTROL_TOKEN", "tok-1")
        from_env = ControlClient(server.url, "sk_test_tokened")
        try:
            with pytest.raises(ControlError) as refused:
                without.clock()
            assert refused.value.status == 401
            assert given.clock().frozen is False
            assert from_env.clock().frozen is False
        finally:
            for client in (without, given, from_env):
                client.close()
