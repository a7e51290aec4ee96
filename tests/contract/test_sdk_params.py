"""Every parameter path the installed stripe SDK types for an emulated endpoint is accepted, or refused on purpose
(issue 20): derived from the SDK's parameter TypedDicts, each path sent with a value of its type, in process (see
`sdk_probe.py`). Runs with whichever SDK is installed: the default install's GA SDK here, the preview one under
`tox -e sdk-preview`."""

from __future__ import annotations

import re

import pytest

from emulator.resources.request_params import EMULATED_TYPE, UNEMULATED_CODE, payment_method_types
from harness.contract.recorder import ContractRecorder
from tests.conftest import checked
from tests.contract import sdk_probe

pytestmark = pytest.mark.sdk

CARD_EXTERNAL_ACCOUNT = {"address_city", "address_country", "address_line1", "address_line2", "address_state",
                         "address_zip", "cvc", "exp_month", "exp_year", "name", "number", "token",
                         "default_for_currency", "metadata"}
"""The keys only the card shapes of `external_account` have (a debit card as a connected account's external
account: Stripe's card details, or a card token); the SDK sends the last two with a card's `number` and expiry."""


REFUSED_VALUES = {
    "capture_method=manual": "us_bank_account payments are not captured manually (Stripe: ACH Direct Debit does "
                             "not support placing a hold)",
}
"""Values of a parameter the emulator refuses on purpose, each for the reason given."""


def deliberate(path: str) -> bool:
    """The reviewed list of refusals: a path inside the options or details of a payment method type other than
    us_bank_account (`payment_method_options[card][…]`, `card[number]`, a `card` token), or a card as an external
    account."""
    if path in REFUSED_VALUES:
        return True
    path, _, value = path.partition("=")
    parts = re.findall(r"[^\[\]]+", path) + ([value] if value else [])
    others = payment_method_types() - {EMULATED_TYPE}
    if any(part in others for part in parts):
        return True
    return parts[0] == "external_account" and len(parts) > 1 and parts[1] in CARD_EXTERNAL_ACCOUNT


def test_every_path_the_sdk_types_is_accepted_or_refused_as_an_unemulated_payment_method_type(
        stripe_contract: ContractRecorder | None) -> None:
    found = sdk_probe.emulated()
    if not any(endpoint.params is not None for endpoint in found.values()):
        pytest.skip(f"stripe {sdk_probe.SDK_VERSION} types its parameters inside its services, not in "
                    "stripe.params: there is nothing to derive the paths from")
    outcomes = sdk_probe.probe(wrap=lambda app: checked(app, stripe_contract))  # every answer schema-checked
    print("\n" + sdk_probe.table(outcomes))
    problems = [line for line in sdk_probe.not_accepted(outcomes) if line.split()[3] not in REFUSED_VALUES]
    wrongly_refused = [f"{o.endpoint}  {o.path}  {o.detail}" for o in outcomes
                       if o.kind == "refused" and not deliberate(o.path)]
    assert problems == [] and wrongly_refused == [], "\n".join(problems + wrongly_refused)
    assert {o.kind for o in outcomes if o.path not in REFUSED_VALUES} <= {"accepted", "refused"}
    # every route the emulator serves that the SDK has was probed, most with many paths
    assert len({o.endpoint for o in outcomes}) >= 60 and len(outcomes) > 2000


def test_a_refusal_names_the_parameter_and_says_what_the_emulator_emulates() -> None:
    shape = ("POST", "/v1/setup_intents")
    caller = sdk_probe.AsgiCaller(sdk_probe.create_app(sdk_probe.Settings(seed=3, surface="emulated")))
    try:
        ns = sdk_probe.Namespace(caller, "sk_test_refusal", sdk_probe.SDK_API_VERSION)
        status, body = ns.call("POST", "/v1/setup_intents", {
            "customer": ns.customer(), "payment_method_options": {"card": {"request_three_d_secure": "any"}}})
        assert status == 400, body
        error = body["error"]
        assert (error["type"], error["code"]) == ("invalid_request_error", UNEMULATED_CODE)
        assert error["param"] == "payment_method_options[card]"
        assert "us_bank_account" in error["message"] and "card" in error["message"]
        # and nothing was made by the refused request
        status, listed = ns.call("GET", "/v1/setup_intents", {})
        assert status == 200 and listed["data"] == []
        # a misspelled parameter is still parameter_unknown, not this refusal
        status, body = ns.call("POST", "/v1/setup_intents", {"payment_method_optoins": {"card": {"x": "1"}}})
        assert body["error"]["code"] == "parameter_unknown", body
    finally:
        caller.close()
    assert shape in sdk_probe.RECIPES


@pytest.mark.parametrize(("method", "path", "params", "code", "param"), [
    # a type the emulator does not emulate, where a payment method type is chosen
    ("POST", "/v1/payment_methods", {"type": "card"}, UNEMULATED_CODE, "type"),
    ("POST", "/v1/payment_methods", {"type": "us_bank_account", "card": {"number": "4242424242424242"}},
     UNEMULATED_CODE, "card"),
    ("POST", "/v1/tokens", {"card": {"number": "4242424242424242"}}, UNEMULATED_CODE, "card"),
    # a string that is no payment method type at all is an invalid value, as Stripe's
    ("POST", "/v1/payment_methods", {"type": "telepathy"}, None, "type"),
])
def test_payment_method_types_not_emulated_are_refused_by_name(method: str, path: str, params: dict[str, object],
                                                               code: str | None, param: str) -> None:
    caller = sdk_probe.AsgiCaller(sdk_probe.create_app(sdk_probe.Settings(seed=3, surface="emulated")))
    try:
        ns = sdk_probe.Namespace(caller, "sk_test_types", sdk_probe.SDK_API_VERSION)
        status, body = ns.call(method, path, params)
    finally:
        caller.close()
    assert status == 400 and body["error"]["param"] == param, body
    assert body["error"].get("code") == code


def test_the_generic_surface_takes_every_card_path_the_sdk_types(stripe_contract: ContractRecorder | None) -> None:
    """With `--surface all` (the default) cards are generic payment methods: every `card` path of the emulated
    endpoints, and every path of the endpoints the generic surface adds by hand (a customer's sources, a held card
    payment's capture), is accepted — but those of the payment method types still not emulated, refused as on every
    other endpoint (`payment_method_unactivated`). Each answer schema-checked."""
    found = sdk_probe.emulated("all")
    if not any(endpoint.params is not None for endpoint in found.values()):
        pytest.skip(f"stripe {sdk_probe.SDK_VERSION} types its parameters inside its services, not in stripe.params")
    added = sorted(set(found) - set(sdk_probe.emulated()))
    assert ("POST", "/v1/customers/{}/sources") in added
    outcomes = sdk_probe.probe(added, wrap=lambda app: checked(app, stripe_contract), surface="all")

    def fits(o: sdk_probe.Outcome) -> bool:
        other_type = re.search(r"\[(klarna|paypal|card_present)\]", o.path) is not None
        return o.kind == ("refused" if other_type else "accepted")

    assert outcomes and all(fits(o) for o in outcomes), "\n".join(
        f"{o.endpoint} {o.path}: {o.kind} {o.detail}" for o in outcomes if not fits(o))
    assert ("POST", "/v1/payment_intents/{}/capture") in added
    assert any(o.endpoint.endswith("/capture") and o.path == "amount_to_capture" and o.kind == "accepted"
               for o in outcomes)
    card_shapes = [("POST", "/v1/payment_methods"), ("POST", "/v1/setup_intents"), ("POST", "/v1/tokens")]
    cards = [o for o in sdk_probe.probe(card_shapes, surface="all", every_value=False)
             if re.search(r"(^|\[)card(\]|\[|$)", o.path)]
    assert cards and all(o.kind == "accepted" for o in cards), "\n".join(
        f"{o.endpoint} {o.path}: {o.kind} {o.detail}" for o in cards if o.kind != "accepted")
