"""Every service method of the installed GA SDK that the emulator answers generically (`serve --surface all`),
called with its required parameters on objects made first (issue 21's walk).

A path's placeholders (`/v1/customers/{customer}/tax_ids/{id}`) name objects: each is made first — by the create
endpoint of its type (generic, or emulated by hand), with that endpoint's required parameters, whose own ids are
made the same way — and a required parameter named like an object type (`customer`, `price`, `product`) names one
made so. The answer is counted as 2xx or by the error's code.

`python -m tests.contract.sdk_generic_probe` prints the summary (and, with `-v`, every method not answered 2xx).
"""

from __future__ import annotations

import functools
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import stripe

from emulator.http.app import create_app
from emulator.resources import generic
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from harness.contract.sdk_params import SdkEndpoint, endpoints, object_of, sample
from tests.contract.sdk_probe import BANK, EXTERNAL, encode, sample_string

PLACEHOLDER = re.compile(r"\{(\w+)\}")
ALIASES = {"id": None, "intent": "payment_intent", "account": "account", "item": "subscription_item",
           "transaction": None, "fee": "application_fee", "schedule": "subscription_schedule"}
"""Placeholder names that are not the object type they name (`None`: the endpoint's own type)."""
BY_HAND: dict[str, Callable[[Any], str]] = {
    "customer": lambda w: w.post("/v1/customers", {"name": "Jenny Rosen"})["id"],
    "payment_method": lambda w: w.post("/v1/payment_methods", BANK)["id"],
    "account": lambda w: w.post("/v1/accounts", {"type": "custom", "country": "US",
                                                 "external_account": EXTERNAL})["id"],
    "payment_intent": lambda w: w.post("/v1/payment_intents", {"amount": 1099, "currency": "usd"})["id"],
    "held_payment_intent": lambda w: w.post("/v1/payment_intents", {
        "amount": 1099, "currency": "usd", "payment_method": "pm_card_visa", "capture_method": "manual",
        "confirm": True})["id"],
    "setup_intent": lambda w: w.post("/v1/setup_intents", {})["id"],
    "card_source": lambda w: w.post(f"/v1/customers/{w.object_id('customer')}/sources", {"source": "tok_visa"})["id"],
    "bank_source": lambda w: w.post(f"/v1/customers/{w.object_id('customer')}/sources",
                                    {"source": w.post("/v1/tokens", {"bank_account": {
                                        k: v for k, v in EXTERNAL.items() if k != "object"}})["id"]})["id"],
}
"""How to make an object of a type the emulator emulates by hand."""


@dataclass(frozen=True)
class Outcome:
    method: str
    template: str
    status: int
    code: str | None
    message: str


@functools.cache
def _creates() -> dict[str, generic.GenericEndpoint]:
    found: dict[str, generic.GenericEndpoint] = {}
    for endpoint in sorted(generic.catalogue().values(), key=lambda e: len(e.placeholders)):
        if endpoint.name == "create" and endpoint.object and not endpoint.segments[-1].startswith("{"):
            found.setdefault(endpoint.object, endpoint)  # a top-level create before a nested one
    return found


@functools.cache
def _sdk() -> dict[str, SdkEndpoint]:
    return {f"{e.method} {e.shape}": e for e in endpoints()}


class World:
    """One namespace; objects of each type made on demand, once."""

    def __init__(self, caller: AsgiCaller, key: str) -> None:
        self.caller = caller
        self.key = key
        self.made: dict[str, str] = {}
        self.making: set[str] = set()
        self.creates = _creates()  # nested ones too: their parents are made first
        self.sdk = _sdk()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Stripe-Version": stripe.api_version}  # as the SDK sends

    def call(self, method: str, path: str, params: dict[str, Any]) -> Any:
        pairs = list(encode(params))
        if method == "POST":
            return self.caller.request("POST", path, headers=self.headers(), data=pairs)
        query = urlencode(pairs)
        return self.caller.request(method, path + (f"?{query}" if query else ""), headers=self.headers())

    def post(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        answer = self.call("POST", path, params)
        found: dict[str, Any] = answer.json()
        if answer.status != 200:
            raise LookupError(f"{path}: {found}")
        return found

    def object_id(self, object_type: str) -> str | None:
        """An object of this type, made if need be (None when nothing here can make one)."""
        if object_type in self.made:
            return self.made[object_type]
        if object_type in self.making:
            return None  # a cycle: this type needs itself
        self.making.add(object_type)
        try:
            if object_type in BY_HAND:
                made = BY_HAND[object_type](self)
            elif (create := self._create_of(object_type)) is not None:
                path = self.path_for(create.template, create.object)
                made = self.post(path, self.required(self.sdk.get(create.key)))["id"]
            else:
                return None
        except (LookupError, KeyError):
            return None
        finally:
            self.making.discard(object_type)
        self.made[object_type] = made
        return made

    def path_for(self, template: str, own: str | None) -> str:
        """The template with its placeholders naming objects made for them (`x_nothing` where none can be)."""
        parts = template.strip("/").split("/")
        values: dict[str, str] = {}
        for name in PLACEHOLDER.findall(template):
            position = parts.index("{" + name + "}")
            kind: str | None = ALIASES.get(name, name) if name in ALIASES else name
            if position == len(parts) - 1:  # the last placeholder is the endpoint's own object
                kind = own or ("card_source" if parts[position - 1] == "sources" else None)  # of the union
            elif parts[-1] == "capture" and parts[position - 1] == "payment_intents":  # a held card payment
                kind = "held_payment_intent"
            elif name == "id" and parts[position - 1] == "sources":  # a customer's source to verify: a bank account
                kind = "bank_source"
            elif name == "id":  # `/v1/transfers/{id}/reversals`: a transfer
                kind = parts[position - 1].removesuffix("s")
            values[name] = (self.object_id(kind) if kind else None) or "x_nothing"
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)

    def _create_of(self, object_type: str) -> generic.GenericEndpoint | None:
        """The create endpoint of a type, by its name or its last part (`test_clock` for
        `test_helpers.test_clock`)."""
        if object_type in self.creates:
            return self.creates[object_type]
        return next((e for name, e in self.creates.items() if name.rsplit(".", 1)[-1] == object_type), None)

    def required(self, endpoint: SdkEndpoint | None) -> dict[str, Any]:
        """The endpoint's required parameters, ids among them naming objects made for them."""
        if endpoint is None or endpoint.params is None:
            return {}
        found = sample(endpoint.params, "")
        wanted = getattr(endpoint.params, "__required_keys__", frozenset())
        return self._resolve({k: v for k, v in found.items() if k in wanted}) if isinstance(found, dict) else {}

    def _resolve(self, value: Any, name: str = "") -> Any:
        if isinstance(value, dict):
            return {key: self._resolve(inner, key) for key, inner in value.items()}
        if isinstance(value, list):
            return [self._resolve(inner, name) for inner in value]
        if value == "probe" and name == "source":
            return "tok_visa"  # a customer's new source: Stripe's card test token
        if value == "probe":
            made = self.object_id(name)  # an id names an object made for it, else a value by name
            return made if made is not None else sample_string(name)
        return value


def walk(wrap: Callable[[Any], Any] | None = None) -> list[Outcome]:
    """Every generic endpoint of the installed SDK, once each, on its own namespace; `wrap` wraps the app (the
    contract recorder)."""
    app = create_app(Settings(seed=21, surface="all"))
    caller = AsgiCaller(app if wrap is None else wrap(app))
    catalogue = generic.catalogue()
    outcomes: list[Outcome] = []
    try:
        for number, endpoint in enumerate(e for e in _sdk().values() if f"{e.method} {e.shape}" in catalogue):
            world = World(caller, f"sk_test_walk{number}")
            own, _ = object_of(endpoint)
            path = world.path_for(endpoint.template, own)
            params = world.required(endpoint)
            if endpoint.template.endswith("/sources/{id}/verify"):
                params["amounts"] = [32, 45]  # Stripe's test microdeposits (the SDK does not type them as required)
            answer = world.call(endpoint.method, path, params)
            body = answer.json() if answer.body else {}
            error = (body.get("error") if answer.status >= 400 and isinstance(body, dict) else None) or {}
            outcomes.append(Outcome(endpoint.method, endpoint.template, answer.status, error.get("code"),
                                    str(error.get("message", ""))[:160]))
    finally:
        caller.close()
    return outcomes


def _kind(o: Outcome) -> str:
    if o.status < 300:
        return "2xx"
    if o.message.startswith("Unrecognized request URL"):
        return "not served (the SDK does not say which object it answers with)"
    return f"{o.status} {o.code}"


def summary(outcomes: list[Outcome]) -> str:
    counts = Counter(_kind(o) for o in outcomes)
    return f"{len(outcomes)} methods called: " + ", ".join(f"{kind} {n}" for kind, n in counts.most_common())


def not_2xx(outcomes: list[Outcome]) -> Iterator[str]:
    for o in outcomes:
        if o.status >= 300:
            yield f"{_kind(o)} {o.method} {o.template}: {o.message}"


def main() -> None:  # pragma: no cover - a developer's view
    outcomes = walk()
    if "-v" in sys.argv:
        for line in not_2xx(outcomes):
            print(line)
    print(summary(outcomes))


if __name__ == "__main__":  # pragma: no cover
    main()
