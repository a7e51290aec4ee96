"""The built-in money scenarios (debits and payouts around a relink) catch the integrator bugs they exist for, and
run through the HTTP adapter as they do through a Python one."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harness.client import EmulatorContext, Payment, Payout
from harness.http_adapter import DEFAULT_ROUTES, HttpRelinkClient
from harness.pytest_plugin import RunningEmulator
from harness.reference_client import ReferenceClient
from harness.scenario.loader import builtin
from harness.scenario.runner import ScenarioFailure, ScenarioSkipped, run_scenario

pytestmark = pytest.mark.sdk

MONEY = ("debit-tan-expired-relink", "debit-return-relink-new-account", "payout-tan-revoked-relink")


def play(name: str, client: Any, emulator: RunningEmulator, key: str) -> None:
    run_scenario(builtin(name), base_url=emulator.url, api_key=key, client=client)


class KeepsChargingTheFirstMethod(ReferenceClient):
    """The bug the issue names: the PaymentMethod saved first stays the one charged, whatever was linked since."""

    def __init__(self) -> None:
        super().__init__()
        self.first: dict[str, str] = {}

    def charge(self, customer: str, amount: int) -> Payment:
        chosen = plain_customer(self, customer)
        method = self.first.setdefault(customer, chosen)
        self.client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": method}})
        return super().charge(customer, amount)


def plain_customer(client: ReferenceClient, customer: str) -> str:
    found = json.loads(str(client.client.v1.customers.retrieve(customer)))
    return str(found["invoice_settings"]["default_payment_method"])


class RaisesOnRefusal(ReferenceClient):
    """Lets Stripe's refusal of a debit escape instead of reporting it."""

    def charge(self, customer: str, amount: int) -> Payment:
        method = plain_customer(self, customer)
        intent = self.client.v1.payment_intents.create(params={
            "amount": amount, "currency": "usd", "customer": customer, "payment_method": method,
            "off_session": True, "confirm": True})
        return Payment(intent.id, intent.status, method)


class PaysOutOfThePlatform(ReferenceClient):
    """Forgets the connected account: the payout is asked of the platform's own balance."""

    def payout(self, account: str, amount: int) -> Payout:
        made = self.client.v1.payouts.create(params={"amount": amount, "currency": "usd"})
        return Payout(made.id, made.status, made.destination)


@pytest.mark.parametrize("name", MONEY)
def test_money_scenarios_pass_against_the_reference_client(name: str, stripe_emulator: RunningEmulator,
                                                           stripe_api_key: str) -> None:
    play(name, ReferenceClient(), stripe_emulator, stripe_api_key)


def test_charging_the_first_payment_method_after_a_new_account_fails_readably(
        stripe_emulator: RunningEmulator, stripe_api_key: str) -> None:
    with pytest.raises(ScenarioFailure) as failure:
        play("debit-return-relink-new-account", KeepsChargingTheFirstMethod(), stripe_emulator, stripe_api_key)
    report = str(failure.value)
    assert "failed at step 15" in report and "`debit` does not match" in report
    assert '"requires_payment_method"' in report  # the blocked method was charged: Stripe refused it


def test_a_refused_debit_that_raises_fails_the_step_that_charged(stripe_emulator: RunningEmulator,
                                                                 stripe_api_key: str) -> None:
    with pytest.raises(ScenarioFailure) as failure:
        play("debit-tan-expired-relink", RaisesOnRefusal(), stripe_emulator, stripe_api_key)
    report = str(failure.value)
    assert "(call: charge)" in report and "RaisesOnRefusal.charge() raised InvalidRequestError" in report


def test_a_payout_without_the_connected_account_fails(stripe_emulator: RunningEmulator, stripe_api_key: str) -> None:
    with pytest.raises(ScenarioFailure) as failure:
        play("payout-tan-revoked-relink", PaysOutOfThePlatform(), stripe_emulator, stripe_api_key)
    assert "PaysOutOfThePlatform.payout() raised" in str(failure.value)


def test_a_client_without_charge_skips_the_debit_scenarios(stripe_emulator: RunningEmulator,
                                                           stripe_api_key: str) -> None:
    class NoMoney:
        def configure(self, context: EmulatorContext) -> None:
            return None

    with pytest.raises(ScenarioSkipped, match=r"calls create_payment_method\(\)|calls charge\(\)"):
        play("debit-tan-expired-relink", NoMoney(), stripe_emulator, stripe_api_key)


def test_an_adapter_raising_not_implemented_skips_the_scenario(stripe_emulator: RunningEmulator,
                                                                stripe_api_key: str) -> None:
    class NoPayoutsYet(ReferenceClient):
        def payout(self, account: str, amount: int) -> Payout:
            raise NotImplementedError("payouts ship next quarter")

    with pytest.raises(ScenarioSkipped, match="does not implement: payouts ship next quarter"):
        play("payout-tan-revoked-relink", NoPayoutsYet(), stripe_emulator, stripe_api_key)


# -- the same scenarios through the HTTP adapter (an integrator's server in any language) --------------------------

@pytest.fixture
def integrator_server() -> Iterator[str]:
    """A loopback server exposing the reference client at the HTTP adapter's default routes."""
    client = ReferenceClient()
    methods = {route: name for name, route in DEFAULT_ROUTES.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            name = methods.get(self.path)
            if name is None:
                self.send_response(404)
                self.end_headers()
                return
            if name == "configure":
                client.configure(EmulatorContext(**json.loads(body)))
                answer: Any = {}
            elif name == "handle_webhook":
                answer = dataclasses.asdict(client.handle_webhook(body.decode(), self.headers["Stripe-Signature"]))
            else:
                result = getattr(client, name)(**json.loads(body))
                answer = dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", MONEY)
def test_money_scenarios_run_through_the_http_adapter(name: str, integrator_server: str,
                                                      stripe_emulator: RunningEmulator, stripe_api_key: str) -> None:
    adapter = HttpRelinkClient(integrator_server)
    try:
        play(name, adapter, stripe_emulator, stripe_api_key)
    finally:
        adapter.close()


def test_the_http_adapter_passes_positional_money_arguments_by_name(integrator_server: str) -> None:
    seen: list[dict[str, Any]] = []
    adapter = HttpRelinkClient(integrator_server)

    class Recorder:
        def post(self, url: str, json: Any) -> Any:
            seen.append({"url": url, **json})
            raise RuntimeError("recorded")

    adapter.http.close()
    adapter.http = Recorder()  # type: ignore[assignment]
    for call, args in (("charge", ("cus_1", 700)), ("payout", ("acct_1", 900))):
        with pytest.raises(RuntimeError):
            getattr(adapter, call)(*args)
    assert seen == [{"url": f"{integrator_server}/payments/charge", "customer": "cus_1", "amount": 700},
                    {"url": f"{integrator_server}/payouts/pay", "account": "acct_1", "amount": 900}]


def test_the_http_adapter_turns_a_missing_route_into_not_implemented(integrator_server: str) -> None:
    adapter = HttpRelinkClient(integrator_server, routes={"payout": "/no/such/route"})
    try:
        with pytest.raises(NotImplementedError, match="answered 404"):
            adapter.payout("acct_1", 100)
    finally:
        adapter.close()
