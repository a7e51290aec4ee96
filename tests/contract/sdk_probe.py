"""Probe every parameter path the installed stripe SDK types for an emulated endpoint (issue 20).

Each path is sent with a value of its declared type, on top of what the endpoint needs to succeed (its objects
made first in a fresh namespace), exactly as the SDK encodes it. The answer is one of:

- accepted: a 2xx, or `resource_missing` naming the path (the value was looked up: the parameter is understood);
- refused: the emulator's deliberate refusal of a payment method type it does not emulate;
- unknown: `parameter_unknown`;
- other: any other 4xx (or a 5xx) — a sample value the emulator should have taken.

`python -m tests.contract.sdk_probe` prints the summary table (and, with `-v`, every path not accepted).
"""

from __future__ import annotations

import copy
import itertools
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import stripe

from emulator.http.app import create_app
from emulator.http.routes import API
from emulator.resources.request_params import EMULATED_TYPE, UNEMULATED_CODE, payment_method_types
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from harness.contract.sdk_models import model_class
from harness.contract.sdk_params import ParamPath, SdkEndpoint, choices, endpoints, paths, put

SDK_VERSION: str = stripe.VERSION
SDK_API_VERSION: str = stripe.api_version
SDK_IS_PREVIEW = SDK_API_VERSION.endswith(".preview")
PLACEHOLDER = re.compile(r"\{[^}]*\}")
HELPERS = "/v1/test_helpers/financial_connections"
MANDATE = {"customer_acceptance": {"type": "online",
                                   "online": {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (probe)"}}}
BANK = {"type": "us_bank_account", "billing_details": {"name": "Jenny Rosen"},
        "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789",
                            "account_holder_type": "individual"}}
EXTERNAL = {"object": "bank_account", "country": "US", "currency": "usd", "routing_number": "110000000",
            "account_number": "000123456789"}

_STRINGS: dict[str, str] = {
    "email": "jenny.rosen@example.com", "support_email": "support@example.com", "receipt_email": "j@example.com",
    "currency": "usd", "default_currency": "usd", "country": "US", "phone": "+15555550123",
    "support_phone": "+15555550123", "ip": "203.0.113.7", "ip_address": "203.0.113.7",
    "user_agent": "Mozilla/5.0 (probe)", "routing_number": "110000000", "account_number": "000123456789",
    "mcc": "5734", "invoice_prefix": "PROBE", "preferred_locales": "en", "target_date": "2030-01-01",
    "query": "email:'jenny.rosen@example.com'", "api_version": "2026-10-28.endive", "state": "CA",
    "postal_code": "94111", "statement_descriptor": "PROBE", "statement_descriptor_suffix": "PROBE",
    "descriptor_code": "SM11AA", "date": "1700000000", "number": "4242424242424242",
    "exp_month": "12", "exp_year": "2030",  # a card's expiry, which the SDK types as strings for tokens and sources
}


def sample_string(name: str) -> str:
    """A valid value for a string parameter, by its name (ids are made by `ids_of`)."""
    if name in _STRINGS:
        return _STRINGS[name]
    if name.endswith("url") or name == "url":
        return "https://example.com/return"
    if name.endswith("email"):
        return "jenny.rosen@example.com"
    return "probe"


@dataclass
class Namespace:
    """One fresh API key's world, with the objects a probe's endpoint needs made on demand."""

    caller: AsgiCaller
    key: str
    version: str
    made: dict[str, Any] = field(default_factory=dict)

    def call(self, method: str, path: str, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
        pairs = list(encode(dict(params or {})))
        head = {"Authorization": f"Bearer {self.key}", "Stripe-Version": self.version, **(headers or {})}
        if method == "GET" or method == "DELETE":
            target = f"{path}?{urlencode(pairs)}" if pairs else path
            response = self.caller.request(method, target, headers=head)
        else:
            response = self.caller.request(method, path, headers=head, data=pairs)
        return response.status, response.json()

    def make(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        status, body = self.call(method, path, params)
        if status >= 300:
            raise AssertionError(f"probe setup {method} {path} {params}: {status} {body}")
        return body

    def once(self, name: str, build: Callable[[], Any]) -> Any:
        if name not in self.made:
            self.made[name] = build()
        return self.made[name]

    # -- the objects ------------------------------------------------------------------------------------------

    def customer(self) -> str:
        return str(self.once("customer", lambda: self.make("POST", "/v1/customers", {
            "name": "Jenny Rosen", "email": "jenny.rosen@example.com"})["id"]))

    def payment_method(self) -> str:
        return str(self.once("payment_method", lambda: self.make("POST", "/v1/payment_methods", BANK)["id"]))

    def attached(self) -> str:
        def build() -> str:
            pm = self.payment_method()
            self.make("POST", f"/v1/payment_methods/{pm}/attach", {"customer": self.customer()})
            return pm
        return str(self.once("attached", build))

    def fc_account(self) -> str:
        def build() -> str:
            session = self.make("POST", "/v1/financial_connections/sessions", {
                "account_holder": {"type": "customer", "customer": self.customer()},
                "permissions": ["payment_method", "balances", "ownership", "transactions"]})
            done = self.make("POST", f"{HELPERS}/sessions/{session['id']}/complete",
                             {"institution": "Test (Non-OAuth)"})
            return str(done["accounts"]["data"][0]["id"])
        return str(self.once("fc_account", build))

    def refreshed_account(self) -> str:
        """The linked account, once its transactions were refreshed (what listing them needs)."""
        self.transaction()
        return self.fc_account()

    def session(self) -> str:
        return str(self.once("session", lambda: self.make("POST", "/v1/financial_connections/sessions", {
            "account_holder": {"type": "customer", "customer": self.customer()},
            "permissions": ["payment_method"]})["id"]))

    def transaction(self) -> str:
        def build() -> str:
            account = self.fc_account()
            self.make("POST", f"/v1/financial_connections/accounts/{account}/subscribe", {"features": ["transactions"]})
            self.make("POST", f"/v1/financial_connections/accounts/{account}/refresh", {"features": ["transactions"]})
            self.make("POST", "/_emulator/clock", {"advance": 3600})
            listed = self.make("GET", "/v1/financial_connections/transactions", {"account": account})
            return str(listed["data"][0]["id"])
        return str(self.once("transaction", build))

    def setup_intent(self, confirmed: bool = False) -> str:
        if confirmed:
            return str(self.once("setup_confirmed", lambda: self.make("POST", "/v1/setup_intents", {
                "customer": self.customer(), "confirm": True, "payment_method_data": {
                    "type": "us_bank_account", "billing_details": {"name": "Jenny Rosen"},
                    "us_bank_account": {"financial_connections_account": self.fc_account()}},
                "mandate_data": MANDATE})["id"]))
        return str(self.once("setup_intent", lambda: self.make("POST", "/v1/setup_intents", {
            "customer": self.customer()})["id"]))

    def microdeposit_setup(self) -> str:
        return str(self.once("setup_microdeposits", lambda: self.make("POST", "/v1/setup_intents", {
            "customer": self.customer(), "payment_method_data": BANK, "confirm": True, "mandate_data": MANDATE,
            "payment_method_options": {"us_bank_account": {"verification_method": "microdeposits"}}})["id"]))

    def mandated_payment_method(self) -> str:
        return str(self.make("GET", f"/v1/setup_intents/{self.setup_intent(confirmed=True)}")["payment_method"])

    def mandate(self) -> str:
        return str(self.once("mandate", lambda: self.make(
            "GET", f"/v1/setup_intents/{self.setup_intent(confirmed=True)}")["mandate"]))

    def payment_intent(self, state: str = "new") -> Any:
        if state == "microdeposits":
            return self.once("pi_microdeposits", lambda: self.make("POST", "/v1/payment_intents", {
                "amount": 1099, "currency": "usd", "customer": self.customer(), "payment_method_data": BANK,
                "confirm": True, "mandate_data": MANDATE,
                "payment_method_options": {"us_bank_account": {"verification_method": "microdeposits"}}}))
        if state == "processing":
            return self.once("pi_processing", lambda: self.make("POST", "/v1/payment_intents", {
                "amount": 1099, "currency": "usd", "customer": self.customer(),
                "payment_method": "pm_usBankAccount_success", "confirm": True, "mandate_data": MANDATE}))
        if state == "transfer":  # made with transfer_data (what an update's transfer_data changes)
            return self.once("pi_transfer", lambda: self.make("POST", "/v1/payment_intents", {
                "amount": 1099, "currency": "usd", "customer": self.customer(),
                "transfer_data": {"destination": self.connected()}}))
        if state == "succeeded":
            def settle() -> Any:
                intent = self.payment_intent("processing")
                self.make("POST", "/_emulator/clock", {"advance": 3600})
                return self.make("GET", f"/v1/payment_intents/{intent['id']}")
            return self.once("pi_succeeded", settle)
        return self.once("pi", lambda: self.make("POST", "/v1/payment_intents", {
            "amount": 1099, "currency": "usd", "customer": self.customer()}))

    def charge(self) -> str:
        return str(self.payment_intent("processing")["latest_charge"])

    def refund(self) -> str:
        return str(self.once("refund", lambda: self.make("POST", "/v1/refunds", {
            "payment_intent": self.payment_intent("succeeded")["id"], "amount": 100})["id"]))

    def dispute(self) -> str:
        def build() -> str:
            self.make("POST", "/v1/payment_intents", {
                "amount": 1099, "currency": "usd", "customer": self.customer(),
                "payment_method": "pm_usBankAccount_dispute", "confirm": True, "mandate_data": MANDATE})
            self.make("POST", "/_emulator/clock", {"advance": 3 * 24 * 3600})
            created = self.make("GET", "/v1/events", {"type": "charge.dispute.created"})
            return str(created["data"][0]["data"]["object"]["id"])
        return str(self.once("dispute", build))

    def connected(self) -> str:
        return str(self.once("connected", lambda: self.make("POST", "/v1/accounts", {
            "type": "custom", "country": "US", "capabilities": {"transfers": {"requested": True}},
            "external_account": EXTERNAL})["id"]))

    def external(self) -> str:
        return str(self.once("external", lambda: self.make(
            "GET", f"/v1/accounts/{self.connected()}/external_accounts")["data"][0]["id"]))

    def payout(self) -> str:
        def build() -> str:
            status, body = self.call("POST", "/v1/payouts", {"amount": 100, "currency": "usd"},
                                     headers={"Stripe-Account": self.connected()})
            assert status == 200, body
            return str(body["id"])
        return str(self.once("payout", build))

    def token(self) -> str:
        return str(self.once("token", lambda: self.make("POST", "/v1/tokens", {
            "bank_account": {k: v for k, v in EXTERNAL.items() if k != "object"}})["id"]))

    def webhook_endpoint(self) -> str:
        return str(self.once("webhook_endpoint", lambda: self.make("POST", "/v1/webhook_endpoints", {
            "url": "http://127.0.0.1:9/hooks", "enabled_events": ["*"]})["id"]))

    def search_page(self) -> str:
        def build() -> str:
            for name in ("Jenny Rosen", "Jenny Appleseed"):
                self.make("POST", "/v1/customers", {"name": name})
            found = self.make("GET", "/v1/customers/search", {"query": "name~'Jenny'", "limit": 1})
            return str(found["next_page"])
        return str(self.once("search_page", build))

    def event(self) -> str:
        self.customer()
        return str(self.once("event", lambda: self.make("GET", "/v1/events")["data"][0]["id"]))


def encode(params: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Form pairs as the stripe SDKs write them: `a[b]`, arrays indexed (`a[0]`), booleans `true`/`false`."""
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, dict):
            yield from encode(value, name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield from encode(item, f"{name}[{index}]")
                elif item is not None:
                    yield f"{name}[{index}]", _wire(item)
        else:
            yield name, _wire(value)


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


Recipe = Callable[[Namespace], Call]

# What each endpoint needs to succeed: its path (objects made first) and its required parameters.
RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", "/v1/customers"): lambda ns: Call("/v1/customers", {}),
    ("POST", "/v1/customers"): lambda ns: Call("/v1/customers", {}),
    ("GET", "/v1/customers/search"): lambda ns: Call("/v1/customers/search", {"query": "name:'Jenny'"}),
    ("GET", "/v1/customers/{}"): lambda ns: Call(f"/v1/customers/{ns.customer()}", {}),
    ("POST", "/v1/customers/{}"): lambda ns: Call(f"/v1/customers/{ns.customer()}", {}),
    ("DELETE", "/v1/customers/{}"): lambda ns: Call(f"/v1/customers/{ns.customer()}", {}),
    ("GET", "/v1/customers/{}/payment_methods"): lambda ns: Call(f"/v1/customers/{ns.customer()}/payment_methods",
                                                                 {}),
    ("GET", "/v1/customers/{}/payment_methods/{}"): lambda ns: Call(
        f"/v1/customers/{ns.customer()}/payment_methods/{ns.attached()}", {}),
    ("POST", "/v1/customers/{}/sources"): lambda ns: Call(f"/v1/customers/{ns.customer()}/sources",
                                                          {"source": "tok_visa"}),
    ("GET", "/v1/customers/{}/sources"): lambda ns: Call(f"/v1/customers/{ns.customer()}/sources", {}),
    ("GET", "/v1/customers/{}/sources/{}"): lambda ns: Call(f"/v1/customers/{ns.customer()}/sources/{_card(ns)}",
                                                            {}),
    ("POST", "/v1/customers/{}/sources/{}"): lambda ns: Call(f"/v1/customers/{ns.customer()}/sources/{_card(ns)}",
                                                             {}),
    ("DELETE", "/v1/customers/{}/sources/{}"): lambda ns: Call(
        f"/v1/customers/{ns.customer()}/sources/{_card(ns)}", {}),
    ("POST", "/v1/payment_intents/{}/capture"): lambda ns: Call(
        f"/v1/payment_intents/{_held_payment(ns)}/capture", {}),
    ("POST", "/v1/customers/{}/sources/{}/verify"): lambda ns: Call(
        f"/v1/customers/{ns.customer()}/sources/{_bank_source(ns)}/verify", {"amounts": [32, 45]}),
    ("GET", "/v1/events"): lambda ns: Call("/v1/events", {}),
    ("GET", "/v1/events/{}"): lambda ns: Call(f"/v1/events/{ns.event()}", {}),
    ("GET", "/v1/webhook_endpoints"): lambda ns: Call("/v1/webhook_endpoints", {}),
    ("POST", "/v1/webhook_endpoints"): lambda ns: Call("/v1/webhook_endpoints", {
        "url": "http://127.0.0.1:9/hooks", "enabled_events": ["*"]}),
    ("GET", "/v1/webhook_endpoints/{}"): lambda ns: Call(f"/v1/webhook_endpoints/{ns.webhook_endpoint()}", {}),
    ("POST", "/v1/webhook_endpoints/{}"): lambda ns: Call(f"/v1/webhook_endpoints/{ns.webhook_endpoint()}", {}),
    ("DELETE", "/v1/webhook_endpoints/{}"): lambda ns: Call(f"/v1/webhook_endpoints/{ns.webhook_endpoint()}", {}),
    ("POST", "/v1/financial_connections/sessions"): lambda ns: Call("/v1/financial_connections/sessions", {
        "account_holder": {"type": "customer", "customer": ns.customer()}, "permissions": ["payment_method"]}),
    ("GET", "/v1/financial_connections/sessions/{}"): lambda ns: Call(
        f"/v1/financial_connections/sessions/{ns.session()}", {}),
    ("GET", "/v1/financial_connections/accounts"): lambda ns: Call("/v1/financial_connections/accounts", {}),
    ("GET", "/v1/financial_connections/accounts/{}"): lambda ns: Call(
        f"/v1/financial_connections/accounts/{ns.fc_account()}", {}),
    ("POST", "/v1/financial_connections/accounts/{}/disconnect"): lambda ns: Call(
        f"/v1/financial_connections/accounts/{ns.fc_account()}/disconnect", {}),
    ("POST", "/v1/financial_connections/accounts/{}/refresh"): lambda ns: Call(
        f"/v1/financial_connections/accounts/{ns.fc_account()}/refresh", {"features": ["balance"]}),
    ("POST", "/v1/financial_connections/accounts/{}/subscribe"): lambda ns: Call(
        f"/v1/financial_connections/accounts/{ns.fc_account()}/subscribe", {"features": ["transactions"]}),
    ("POST", "/v1/financial_connections/accounts/{}/unsubscribe"): lambda ns: Call(
        f"/v1/financial_connections/accounts/{ns.fc_account()}/unsubscribe", {"features": ["transactions"]}),
    ("GET", "/v1/financial_connections/accounts/{}/owners"): lambda ns: Call(
        f"/v1/financial_connections/accounts/{ns.fc_account()}/owners", {"ownership": _ownership(ns)}),
    ("GET", "/v1/financial_connections/accounts/{}/inferred_balances"): lambda ns: Call(
        f"/v1/financial_connections/accounts/{ns.fc_account()}/inferred_balances", {}),
    ("GET", "/v1/financial_connections/transactions"): lambda ns: Call(
        "/v1/financial_connections/transactions", {"account": ns.refreshed_account()}),
    ("GET", "/v1/financial_connections/transactions/{}"): lambda ns: Call(
        f"/v1/financial_connections/transactions/{ns.transaction()}", {}),
    ("GET", "/v1/financial_connections/authorizations/{}"): lambda ns: Call(
        f"/v1/financial_connections/authorizations/{_authorization(ns)}", {}),
    ("GET", "/v1/financial_connections/institutions"): lambda ns: Call("/v1/financial_connections/institutions", {}),
    ("GET", "/v1/financial_connections/institutions/{}"): lambda ns: Call(
        f"/v1/financial_connections/institutions/{_institution(ns)}", {}),
    ("POST", "/v1/setup_intents"): lambda ns: Call("/v1/setup_intents", {}),
    ("GET", "/v1/setup_intents"): lambda ns: Call("/v1/setup_intents", {}),
    ("GET", "/v1/setup_intents/{}"): lambda ns: Call(f"/v1/setup_intents/{ns.setup_intent()}", {}),
    ("POST", "/v1/setup_intents/{}"): lambda ns: Call(f"/v1/setup_intents/{ns.setup_intent()}", {}),
    ("POST", "/v1/setup_intents/{}/confirm"): lambda ns: Call(f"/v1/setup_intents/{ns.setup_intent()}/confirm", {
        "payment_method_data": BANK, "mandate_data": MANDATE}),
    ("POST", "/v1/setup_intents/{}/cancel"): lambda ns: Call(f"/v1/setup_intents/{ns.setup_intent()}/cancel", {}),
    ("POST", "/v1/setup_intents/{}/verify_microdeposits"): lambda ns: Call(
        f"/v1/setup_intents/{ns.microdeposit_setup()}/verify_microdeposits", {"amounts": [32, 45]}),
    ("GET", "/v1/mandates/{}"): lambda ns: Call(f"/v1/mandates/{ns.mandate()}", {}),
    ("GET", "/v1/mandates"): lambda ns: Call("/v1/mandates", {"payment_method": ns.mandated_payment_method(),
                                                              "status": "active"}),
    ("GET", "/v1/charges/search"): lambda ns: Call("/v1/charges/search", {"query": "status:'pending'"}),
    ("GET", "/v1/payment_intents/search"): lambda ns: Call("/v1/payment_intents/search",
                                                           {"query": "status:'processing'"}),
    ("GET", "/v1/payment_intents"): lambda ns: Call("/v1/payment_intents", {}),
    ("POST", "/v1/payment_intents"): lambda ns: Call("/v1/payment_intents", {"amount": 1099, "currency": "usd"}),
    ("GET", "/v1/payment_intents/{}"): lambda ns: Call(f"/v1/payment_intents/{ns.payment_intent()['id']}", {}),
    ("POST", "/v1/payment_intents/{}"): lambda ns: Call(
        f"/v1/payment_intents/{ns.payment_intent('transfer')['id']}", {}),
    ("POST", "/v1/payment_intents/{}/confirm"): lambda ns: Call(
        f"/v1/payment_intents/{ns.payment_intent()['id']}/confirm", {"payment_method_data": BANK,
                                                                     "mandate_data": MANDATE}),
    ("POST", "/v1/payment_intents/{}/cancel"): lambda ns: Call(
        f"/v1/payment_intents/{ns.payment_intent()['id']}/cancel", {}),
    ("POST", "/v1/payment_intents/{}/verify_microdeposits"): lambda ns: Call(
        f"/v1/payment_intents/{ns.payment_intent('microdeposits')['id']}/verify_microdeposits", {"amounts": [32, 45]}),
    ("GET", "/v1/charges"): lambda ns: Call("/v1/charges", {}),
    ("GET", "/v1/charges/{}"): lambda ns: Call(f"/v1/charges/{ns.charge()}", {}),
    ("GET", "/v1/refunds"): lambda ns: Call("/v1/refunds", {}),
    ("POST", "/v1/refunds"): lambda ns: Call("/v1/refunds", {"payment_intent": ns.payment_intent("succeeded")["id"],
                                                             "amount": 100}),
    ("GET", "/v1/refunds/{}"): lambda ns: Call(f"/v1/refunds/{ns.refund()}", {}),
    ("POST", "/v1/refunds/{}"): lambda ns: Call(f"/v1/refunds/{ns.refund()}", {}),
    ("GET", "/v1/disputes/{}"): lambda ns: Call(f"/v1/disputes/{ns.dispute()}", {}),
    ("GET", "/v1/payment_methods"): lambda ns: Call("/v1/payment_methods", {"customer": ns.customer()}),
    ("POST", "/v1/payment_methods"): lambda ns: Call("/v1/payment_methods", BANK),
    ("GET", "/v1/payment_methods/{}"): lambda ns: Call(f"/v1/payment_methods/{ns.payment_method()}", {}),
    ("POST", "/v1/payment_methods/{}"): lambda ns: Call(f"/v1/payment_methods/{ns.attached()}", {}),
    ("POST", "/v1/payment_methods/{}/attach"): lambda ns: Call(f"/v1/payment_methods/{ns.payment_method()}/attach",
                                                               {"customer": ns.customer()}),
    ("POST", "/v1/payment_methods/{}/detach"): lambda ns: Call(f"/v1/payment_methods/{ns.attached()}/detach", {}),
    ("POST", "/v1/tokens"): lambda ns: Call("/v1/tokens", {
        "bank_account": {k: v for k, v in EXTERNAL.items() if k != "object"}}),
    ("GET", "/v1/tokens/{}"): lambda ns: Call(f"/v1/tokens/{ns.token()}", {}),
    ("GET", "/v1/accounts"): lambda ns: Call("/v1/accounts", {}),
    ("POST", "/v1/accounts"): lambda ns: Call("/v1/accounts", {"type": "custom", "country": "US"}),
    ("GET", "/v1/accounts/{}"): lambda ns: Call(f"/v1/accounts/{ns.connected()}", {}),
    ("POST", "/v1/accounts/{}"): lambda ns: Call(f"/v1/accounts/{ns.connected()}", {}),
    ("DELETE", "/v1/accounts/{}"): lambda ns: Call(f"/v1/accounts/{ns.connected()}", {}),
    ("GET", "/v1/accounts/{}/external_accounts"): lambda ns: Call(f"/v1/accounts/{ns.connected()}/external_accounts",
                                                                  {}),
    ("POST", "/v1/accounts/{}/external_accounts"): lambda ns: Call(
        f"/v1/accounts/{ns.connected()}/external_accounts", {"external_account": EXTERNAL}),
    ("GET", "/v1/accounts/{}/external_accounts/{}"): lambda ns: Call(
        f"/v1/accounts/{ns.connected()}/external_accounts/{ns.external()}", {}),
    ("POST", "/v1/accounts/{}/external_accounts/{}"): lambda ns: Call(
        f"/v1/accounts/{ns.connected()}/external_accounts/{ns.external()}", {}),
    ("DELETE", "/v1/accounts/{}/external_accounts/{}"): lambda ns: Call(
        f"/v1/accounts/{ns.connected()}/external_accounts/{ns.external()}", {}),
    ("GET", "/v1/payouts"): lambda ns: Call("/v1/payouts", {}, {"Stripe-Account": ns.connected()}),
    ("POST", "/v1/payouts"): lambda ns: Call("/v1/payouts", {"amount": 100, "currency": "usd"},
                                             {"Stripe-Account": ns.connected()}),
    ("GET", "/v1/payouts/{}"): lambda ns: Call(f"/v1/payouts/{ns.payout()}", {}, {"Stripe-Account": ns.connected()}),
    ("POST", "/v1/payouts/{}"): lambda ns: Call(f"/v1/payouts/{ns.payout()}", {}, {"Stripe-Account": ns.connected()}),
    ("POST", "/v1/payouts/{}/cancel"): lambda ns: Call(f"/v1/payouts/{ns.payout()}/cancel", {},
                                                       {"Stripe-Account": ns.connected()}),
    ("GET", "/v1/balance"): lambda ns: Call("/v1/balance", {}, {"Stripe-Account": ns.connected()}),
}


def _ownership(ns: Namespace) -> str:
    account = ns.fc_account()
    ns.make("POST", f"/v1/financial_connections/accounts/{account}/refresh", {"features": ["ownership"]})
    ns.make("POST", "/_emulator/clock", {"advance": 3600})
    found = ns.make("GET", f"/v1/financial_connections/accounts/{account}")
    return str(found["ownership"]["id"] if isinstance(found["ownership"], dict) else found["ownership"])


def _card(ns: Namespace) -> str:
    """A card source of the namespace's customer (generic surface: `tok_visa`)."""
    return str(ns.once("card", lambda: ns.make("POST", f"/v1/customers/{ns.customer()}/sources",
                                               {"source": "tok_visa"})["id"]))


def _held_payment(ns: Namespace) -> str:
    """A new card PaymentIntent held for capture (generic surface: `capture_method=manual`), for each call."""
    return str(ns.make("POST", "/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                                       "payment_method": "pm_card_visa", "capture_method": "manual",
                                                       "confirm": True})["id"])


def _bank_source(ns: Namespace) -> str:
    """A new, unverified bank-account source of the namespace's customer (generic surface), for each call."""
    token = ns.make("POST", "/v1/tokens", {"bank_account": {"country": "US", "currency": "usd",
                                                            "routing_number": "110000000",
                                                            "account_number": "000123456789"}})["id"]
    return str(ns.make("POST", f"/v1/customers/{ns.customer()}/sources", {"source": token})["id"])


def _authorization(ns: Namespace) -> str:
    return str(ns.make("GET", f"/v1/financial_connections/accounts/{ns.fc_account()}")["authorization"])


def _inactive_authorization(ns: Namespace) -> str:
    """The authorization of an account the bank deactivated (a hosted relink request is only for such)."""
    account = ns.fc_account()
    ns.make("POST", f"{HELPERS}/accounts/{account}/deactivate", {})
    return _authorization(ns)


def _institution(ns: Namespace) -> str:
    return str(ns.make("GET", "/v1/financial_connections/institutions")["data"][0]["id"])


def ids_of(ns: Namespace) -> dict[str, Callable[[], str]]:
    """Parameters that name an object, and how to make one to name."""
    return {
        "customer": ns.customer, "payment_method": ns.payment_method, "default_payment_method": ns.attached,
        "mandate": ns.mandate, "charge": ns.charge, "destination": ns.connected, "on_behalf_of": ns.connected,
        "payment_intent": lambda: str(ns.payment_intent("processing")["id"]),
        "setup_intent": lambda: ns.setup_intent(),
        "financial_connections_account": ns.fc_account, "session": ns.session,
        "authorization": lambda: _authorization(ns),
    }


@dataclass(frozen=True)
class Outcome:
    endpoint: str
    path: str
    kind: str  # accepted | refused | unknown | other
    status: int
    detail: str
    value: bool = False
    """An enum value beyond the one each path is probed with (`prefetch[0]=inferred_balances`)."""


def emulated(surface: str = "emulated") -> dict[tuple[str, str], SdkEndpoint]:
    """The SDK's endpoints the emulator keeps by hand on `surface` (the generic surface adds a few)."""
    routes = {(e.method, PLACEHOLDER.sub("{}", e.path)) for e in API if surface == "all" or not e.generic_surface}
    return {(e.method, e.shape): e for e in endpoints() if (e.method, e.shape) in routes}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


OVERRIDES: dict[str, Any] = {
    # values a parameter's type allows but the endpoint's rules refuse (each a documented Stripe rule)
    "amount": 1099,  # at least $0.50
    "url": "http://127.0.0.1:9/hooks",  # webhook endpoints: loopback hosts only unless --webhook-hosts
    "method": "standard",  # instant payouts are refused for bank accounts
    "service_agreement": "full",
    "status": "paid",
    "page": "",  # filled from a search's next_page
}
"""By parameter name, for every endpoint."""
ENDPOINT_OVERRIDES: dict[tuple[str, str], Any] = {
    ("POST /v1/financial_connections/sessions", "account_holder[type]"): "customer",
    ("*", "payment_method_options[us_bank_account][financial_connections][permissions][0]"): "payment_method",
    ("*", "amounts[0]"): 32,
}
"""By endpoint and full path (`*`: every endpoint)."""
EXCLUSIVE: dict[str, tuple[tuple[str, ...], ...]] = {
    # probing the first leaves the recipe's own value of the second out (Stripe refuses both at once)
    "payment_method": (("payment_method_data",), ("bank_account",)),
    "descriptor_code": (("amounts",),),
    "financial_connections_account": (("us_bank_account", "account_number"), ("us_bank_account", "routing_number"),
                                      ("payment_method_data", "us_bank_account", "account_number"),
                                      ("payment_method_data", "us_bank_account", "routing_number")),
}
HEAD_EXCLUSIVE: dict[str, tuple[tuple[str, ...], ...]] = {
    # a token is of one kind: probing another kind leaves the recipe's bank account out
    **{kind: (("bank_account",),) for kind in ("account", "person", "pii", "cvc_update", "card")},
    "mandate": (("payment_method_data",), ("mandate_data",)),  # a mandate belongs to its own payment method
}
COMPANIONS: dict[str, dict[str, Any] | Callable[[Namespace], dict[str, Any]]] = {
    # a parameter that only means something with others (`confirm` needs what to confirm with)
    "confirm": {"payment_method_data": BANK, "mandate_data": MANDATE},
    "payment_method_data": {"payment_method_data": BANK},
    "external_account": {"external_account": EXTERNAL},
    # a hosted relink session: what to relink, and where the hosted page returns to
    "hosted": lambda ns: {"relink_options": {"authorization": _inactive_authorization(ns)}},
    "ui_mode": {"hosted": {"return_url": "https://example.com/return"},
                "relink_options": {"authorization": "{authorization}"}},
}


def _resolve(value: Any, ns: Namespace, name: str = "") -> Any:
    """Sample values made concrete: ids of this namespace's objects, and values by parameter name."""
    if isinstance(value, dict):
        return {key: _resolve(inner, ns, key) for key, inner in value.items()}
    if isinstance(value, list):
        return [_resolve(inner, ns, name) for inner in value]
    if value == "{authorization}":
        return _authorization(ns)
    if value != "probe":
        return value
    makers = ids_of(ns)
    if name in makers:
        return makers[name]()
    if name == "page":
        return ns.search_page()
    return sample_string(name)


def _leaf_value(leaf: ParamPath, endpoint: str, ns: Namespace) -> Any:
    for key in ((endpoint, leaf.name), ("*", leaf.name)):
        if key in ENDPOINT_OVERRIDES:
            return ENDPOINT_OVERRIDES[key]
    name = next((str(part) for part in reversed(leaf.path) if isinstance(part, str)), "")
    if name in OVERRIDES and type(OVERRIDES[name]) is type(leaf.value) and name not in ("page",):
        return OVERRIDES[name]
    return _resolve(leaf.value, ns, name)


def _at(params: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(params, dict) and isinstance(part, str):
            params = params.get(part)
        elif isinstance(params, list) and isinstance(part, int) and part < len(params):
            params = params[part]
        else:
            return None
    return params


def _drop(params: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = params
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(path[-1], None)


def probe_one(caller: AsgiCaller, key: str, shape: tuple[str, str], leaf: ParamPath, exact: bool = False) -> Outcome:
    ns = Namespace(caller, key, SDK_API_VERSION)
    endpoint = f"{shape[0]} {shape[1]}"
    call = RECIPES[shape](ns)
    base = copy.deepcopy(call.params)
    head = str(leaf.path[0])
    companion = COMPANIONS.get(head, {}) if shape[0] == "POST" else {}
    companion = _resolve(companion(ns) if callable(companion) else companion, ns)
    base = copy.deepcopy(_merge(companion, base))
    leaf_name = next((str(part) for part in reversed(leaf.path) if isinstance(part, str)), "")
    if head == "mandate" and shape[0] == "POST":
        base["payment_method"] = ns.mandated_payment_method()
        if shape == ("POST", "/v1/payment_intents"):
            base["customer"] = ns.customer()
    params = _merge(_resolve(leaf.context or {}, ns), base)
    for exclusive in EXCLUSIVE.get(leaf_name, ()) + (HEAD_EXCLUSIVE.get(head, ()) if shape[0] == "POST" else ()):
        _drop(params, exclusive)
    if exact or _at(base, leaf.path) is None:  # a value the recipe itself gives (`query`, `status`) is kept
        put(params, leaf.path, leaf.value if exact else _leaf_value(leaf, endpoint, ns))
    if exact and leaf.name.startswith("payment_method_options") and leaf.path[-2:-1] == ("permissions",):
        # an intent's Financial Connections permissions must include payment_method (Stripe's rule)
        put(params, (*leaf.path[:-1], 1), "payment_method")
    if exact and leaf.name.endswith("[verification_method]") and leaf.value == "instant" and "confirm" in call.path:
        # instant verification is of a linked account: confirm with one
        params["payment_method_data"] = {"type": "us_bank_account", "billing_details": {"name": "Jenny Rosen"},
                                         "us_bank_account": {"financial_connections_account": ns.fc_account()}}
    status, body = ns.call(shape[0], call.path, params, call.headers)
    error = body.get("error", {}) if isinstance(body, dict) else {}
    name = leaf.name
    unexpandable = name.startswith("expand[") and str(error.get("message", "")).startswith(
        "This property cannot be expanded")  # expand[] takes the object's own field names: parsed, then refused
    if status < 300 or (error.get("code") == "resource_missing" and error.get("param") == name) or unexpandable:
        kind = "accepted"
    elif error.get("code") == UNEMULATED_CODE:
        kind = "refused"
    elif error.get("code") == "parameter_unknown":
        kind = "unknown"
    else:
        kind = "other"
    detail = f"{error.get('code')} {error.get('param')}: {error.get('message')}" if error else ""
    if kind == "accepted" and status < 300 and shape[0] == "POST" and isinstance(body, dict) \
            and head in _fields_of(str(body.get("object"))) and body.get(head) is None and not exact:
        detail = "dropped: the response has the field and shows null"
    return Outcome(endpoint, name, kind, status, detail)


def probe(shapes: list[tuple[str, str]] | None = None, wrap: Callable[[Any], Any] | None = None,
          every_value: bool = True, surface: str = "emulated") -> list[Outcome]:
    """Probe every path of `shapes` (default: every emulated endpoint the SDK has); `wrap` wraps the app (the
    contract recorder, which checks every response against Stripe's schemas). `surface`: the server's; the
    emulated surface (issue 20's) refuses every payment method type but us_bank_account, the default one (`all`)
    takes cards too."""
    app = create_app(Settings(seed=20, surface=surface))
    caller = AsgiCaller(app if wrap is None else wrap(app))
    counter = itertools.count()
    found = emulated(surface)
    try:
        outcomes: list[Outcome] = []
        for shape in shapes or sorted(found):
            for leaf in paths(found[shape].params):
                outcomes.append(probe_one(caller, f"sk_test_probe{next(counter)}", shape, leaf))
            if every_value:
                for leaf in choices(found[shape].params):
                    if not unemulated_path(leaf.name):
                        outcome = probe_one(caller, f"sk_test_probe{next(counter)}", shape, leaf, exact=True)
                        outcomes.append(replace(outcome, path=f"{leaf.name}={leaf.value}", value=True))
        return outcomes
    finally:
        caller.close()


def unemulated_path(path: str) -> bool:
    """A path inside the options or details of a payment method type other than us_bank_account."""
    others = payment_method_types() - {EMULATED_TYPE}
    return any(part in others for part in re.findall(r"[^\[\]]+", path))


def table(outcomes: list[Outcome]) -> str:
    values = [o for o in outcomes if o.value]
    outcomes = [o for o in outcomes if not o.value]
    kinds = Counter(o.kind for o in outcomes)
    return (
        "| SDK | paths probed | accepted | refused: payment method types not emulated | `parameter_unknown` "
        "| other 4xx |\n"
        "|---|---|---|---|---|---|\n"
        f"| stripe {SDK_VERSION} ({'preview' if SDK_IS_PREVIEW else 'GA'}, `{SDK_API_VERSION}`) | {len(outcomes)} | "
        f"{kinds['accepted']} | {kinds['refused']} | {kinds['unknown']} | {kinds['other']} |\n"
        f"\nAnd every other value of every enum those paths take (outside payment method types not emulated): "
        f"{len(values)} probed, {sum(o.kind == 'accepted' for o in values)} accepted, "
        f"{sum(o.kind == 'refused' for o in values)} refused as payment method types not emulated, "
        f"{sum(o.kind not in ('accepted', 'refused') for o in values)} refused otherwise (`capture_method=manual`)."
    )


def _fields_of(object_name: str) -> frozenset[str]:
    """The fields the SDK's model class of an object declares."""
    cls = model_class(object_name)
    if cls is None:
        return frozenset()
    names: set[str] = set()
    for klass in cls.__mro__:
        names.update(getattr(klass, "__annotations__", {}))
    return frozenset(names)


def dropped(outcomes: list[Outcome]) -> Iterator[str]:
    """Accepted parameters whose object has a field of the same name that still shows null."""
    for o in outcomes:
        if o.detail.startswith("dropped"):
            yield f"{o.endpoint}  {o.path}"


def not_accepted(outcomes: list[Outcome]) -> Iterator[str]:
    for o in outcomes:
        if o.kind in ("unknown", "other"):
            yield f"{o.kind:8} {o.endpoint}  {o.path}  {o.status} {o.detail}"


def main() -> None:  # pragma: no cover - a developer's view
    outcomes = probe()
    if "-v" in sys.argv:
        for line in not_accepted(outcomes):
            print(line)
    if "--dropped" in sys.argv:
        for line in dropped(outcomes):
            print(line)
    print(table(outcomes))


if __name__ == "__main__":  # pragma: no cover
    main()
