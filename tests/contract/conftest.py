"""Fixtures of the contract tests: `example_world` makes, for stripe-python's generated examples
(`stripe_python_examples/`), the objects their placeholder ids stand for, so each example runs against the emulator
as it would against an account that has them."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe

from emulator.http.app import create_app
from emulator.settings import Settings
from harness.sdk import AsgiHTTPClient

PLACEHOLDER = re.compile(r"^(?:[a-z]+(?:_sched)?_(?:x{4,}|123|xyz)|Z4OV52SU)$")
"""Stripe's placeholder ids in the examples: `cus_xxxxxxxxxxxxx`, `cus_123`, `sub_xyz`, `sub_sched_…`, and the
example coupon id `Z4OV52SU`."""


class ExampleWorld:
    """One namespace, reached through the real stripe SDK in process; each placeholder id is replaced by an object
    made for it (once per placeholder), of the kind its prefix names and, where the method needs one, in the state
    the method needs (an attached PaymentMethod to detach, a SetupIntent awaiting microdeposits to verify)."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self.v1 = client.v1
        self.made: dict[str, str] = {}

    def call(self, example: dict[str, Any]) -> Any:
        args, params = self.resolve(example)
        service: Any = self.v1
        for part in example["service"].split("."):
            service = getattr(service, part)
        method: Callable[..., Any] = getattr(service, example["method"])
        return method(*args, params) if params is not None else method(*args)

    def resolve(self, example: dict[str, Any]) -> tuple[list[str], dict[str, Any] | None]:
        args: list[str] = []
        for position, value in enumerate(example["args"]):
            args.append(self._id(value, example["method"], args[0] if position else None))
        params = copy.deepcopy(example["params"])
        return args, None if params is None else self._params(params, example["method"])

    def _params(self, value: Any, method: str) -> Any:
        if isinstance(value, dict):
            return {key: self._params(inner, method) for key, inner in value.items()}
        if isinstance(value, list):
            return [self._params(inner, method) for inner in value]
        if isinstance(value, str) and PLACEHOLDER.match(value):
            return self._id(value, "create" if method == "create" else "param", None)
        return value

    def _id(self, placeholder: str, method: str, owner: str | None) -> str:
        if not PLACEHOLDER.match(placeholder):
            return placeholder
        key = f"{placeholder}:{method if placeholder.startswith(('pm_', 'seti_')) else ''}"
        if key not in self.made:
            made = self._make(placeholder, method, owner)
            if made is None:
                return placeholder  # nothing here can make one: the call meets Stripe's `resource_missing`
            self.made[key] = made
        return self.made[key]

    def _make(self, placeholder: str, method: str, owner: str | None) -> str | None:
        v1 = self.v1
        prefix = "coupon" if placeholder == "Z4OV52SU" else placeholder.rsplit("_", 1)[0]
        customer = owner if owner and owner.startswith("cus_") else None
        if prefix == "cus":
            return str(v1.customers.create({"name": "Jenny Rosen"}).id)
        if prefix == "coupon":
            return str(v1.coupons.create({"percent_off": 25, "duration": "once"}).id)
        if prefix == "prod":
            return str(v1.products.create({"name": "Gold Special"}).id)
        if prefix == "price":
            return str(v1.prices.create({"product": self._id("prod_xxxxxxxxxxxxx", "", None), "unit_amount": 2000,
                                         "currency": "usd", "recurring": {"interval": "month"}}).id)
        customer = customer or self._id("cus_xxxxxxxxxxxxx", "", None)
        if prefix == "card":  # a card source of the example's customer
            return str(v1.customers.payment_sources.create(customer, {"source": "tok_visa"}).id)
        if prefix == "tok":
            return str(v1.tokens.create({"card": {"number": "4242424242424242", "exp_month": "12",
                                                  "exp_year": "2030", "cvc": "123"}}).id)
        if prefix == "btok":
            return str(v1.tokens.create({"bank_account": {"country": "US", "currency": "usd",
                                                          "routing_number": "110000000",
                                                          "account_number": "000123456789"}}).id)
        if prefix == "cbtxn":
            return str(v1.customers.balance_transactions.create(customer, {"amount": -500, "currency": "usd"}).id)
        if prefix == "txi":
            return str(v1.customers.tax_ids.create(customer, {"type": "eu_vat", "value": "DE123456789"}).id)
        if prefix == "ii":
            return str(v1.invoice_items.create({"customer": customer, "amount": 2000, "currency": "usd"}).id)
        if prefix == "in":
            return str(v1.invoices.create({"customer": customer}).id)
        if prefix == "sub":
            return str(v1.subscriptions.create({"customer": customer, "items": [
                {"price": self._id("price_xxxxxxxxxxxxx", "", None)}]}).id)
        if prefix == "pm":
            pm = v1.payment_methods.create({"type": "card", "card": {"number": "4242424242424242",
                                                                     "exp_month": 12, "exp_year": 2030}})
            if method == "detach":
                v1.payment_methods.attach(pm.id, {"customer": customer})
            return str(pm.id)
        if prefix == "seti":
            if method == "verify_microdeposits":  # one whose microdeposits were sent
                return str(v1.setup_intents.create({
                    "customer": customer, "confirm": True,
                    "payment_method_data": {"type": "us_bank_account", "billing_details": {"name": "Jenny Rosen"},
                                            "us_bank_account": {"routing_number": "110000000",
                                                                "account_number": "000123456789",
                                                                "account_holder_type": "individual"}},
                    "mandate_data": {"customer_acceptance": {"type": "offline"}}}).id)
            return str(v1.setup_intents.create({"customer": customer}).id)
        if prefix == "ba":  # a bank account source of the example's customer, from a bank-account token
            return str(v1.customers.payment_sources.create(customer, {"source": self._id("btok_xxxxxxxxxxxxx", "",
                                                                                       None)}).id)
        return None


@pytest.fixture
def example_world(request: pytest.FixtureRequest) -> Iterator[ExampleWorld]:
    app = create_app(Settings(seed=88))
    http = AsgiHTTPClient(app)
    key = "sk_test_example_" + re.sub(r"\W", "_", request.node.name)[:60]
    client = stripe.StripeClient(key, http_client=http, max_network_retries=0)
    try:
        yield ExampleWorld(client)
    finally:
        http.close()
