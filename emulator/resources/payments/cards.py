"""Cards as generic payment methods (issue 21), while the generic surface is on (`serve --surface all`, the
default; with `--surface emulated` every card parameter is refused as `payment_method_unactivated`).

What a card does here is what a test suite that is not about cards needs from one: card PaymentMethods
(`type=card` with `card[number|exp_month|exp_year|cvc]` or `card[token]`), Stripe's card test ids — `pm_card_visa`
and the other `pm_card_*` ids, `tok_visa` and the other `tok_*` ids (https://docs.stripe.com/testing) — card tokens
(`POST /v1/tokens` with `card[…]`), and cards as a customer's sources (`source=tok_visa`,
`/v1/customers/:id/sources`). A test id names a new object each time it is used, as Stripe's do. A card attaches,
detaches, updates and sets up (a SetupIntent confirmed with a card succeeds at once, with no mandate). A card
number must pass the Luhn check (402 `card_error` `incorrect_number`, as Stripe's); its expiry is not compared with
the clock.

A PaymentIntent confirmed with a card succeeds at once (a succeeded card charge; `payment_intent.succeeded`), or,
with one of Stripe's declining test numbers (DECLINES: `pm_card_chargeDeclined`, `…InsufficientFunds`, …), fails
as Stripe's does: a 402 `card_error` with its `code` and `decline_code`, a failed charge, the intent back in
`requires_payment_method` with its `last_payment_error`. 3D Secure and risk are not simulated (those cards succeed),
a SetupIntent is never declined, and a manual capture is refused as for bank debits.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any, Final

from emulator.core.backend import Backend, Call
from emulator.core.errors import StripeError, missing
from emulator.core.snapshot import saved
from emulator.core.spec import apply_metadata
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion
from emulator.resources.request_params import unemulated

TABLE: Final = "cards"
PREFIX: Final = "card"
TEST_CARDS: Final[dict[str, str]] = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "mastercard_debit": "5200828282828210",
    "mastercard_prepaid": "5105105105105100",
    "amex": "378282246310005",
    "discover": "6011111111111117",
    "diners": "3056930009020004",
    "jcb": "3566002020360505",
    "unionpay": "6200000000000005",
    "chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
    "chargeDeclinedFraudulent": "4100000000000019",
    "visa_chargeDeclined": "4000000000000002",
    "visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "visa_chargeDeclinedLostCard": "4000000000009987",
    "visa_chargeDeclinedStolenCard": "4000000000009979",
    "visa_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "radarBlock": "4100000000000019",
    "chargeCustomerFail": "4000000000000341",
    "cvcCheckFail": "4000000000000101",
    "threeDSecure2Required": "4000000000003220",
    "threeDSecureRequired": "4000000000003063",
    "authenticationRequired": "4000002760003184",
    "authenticationRequiredOnSetup": "4000002500003155",
}
"""Stripe's card test ids by name (`pm_card_<name>`, `tok_<name>`) and the test card numbers they stand for
(https://docs.stripe.com/testing). A payment with a declining one is declined (DECLINES); 3D Secure and risk
outcomes are not simulated: those are cards that succeed."""
BRANDS: Final = (
    (("34", "37"), "amex", "American Express"),
    (("6011", "65", "644", "645", "646", "647", "648", "649"), "discover", "Discover"),
    (("300", "301", "302", "303", "304", "305", "36", "38"), "diners", "Diners Club"),
    (("35",), "jcb", "JCB"),
    (("62",), "unionpay", "UnionPay"),
    (("4",), "visa", "Visa"),
    (("51", "52", "53", "54", "55", "2"), "mastercard", "MasterCard"),
)
"""Card brands by number prefix (longest first where they overlap): a PaymentMethod's `card.brand`, and the name a
legacy card object shows."""
FUNDING: Final = {"4000056655665556": "debit", "5200828282828210": "debit", "5105105105105100": "prepaid"}
DECLINES: Final[dict[str, tuple[str, str | None, str]]] = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("card_declined", "lost_card", "Your card was declined."),
    "4000000000009979": ("card_declined", "stolen_card", "Your card was declined."),
    "4000000000000069": ("expired_card", None, "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", None, "Your card's security code is incorrect."),
    "4000000000000119": ("processing_error", None,
                         "An error occurred while processing your card. Try again in a little bit."),
    "4000000000006975": ("card_declined", "card_velocity_exceeded",
                         "Your card was declined for making repeated attempts too frequently or exceeding its amount "
                         "limit."),
    "4100000000000019": ("card_declined", "fraudulent", "Your card was declined."),
    "4000000000000341": ("card_declined", "generic_decline", "Your card was declined."),
}
"""Stripe's test numbers that decline a payment (https://docs.stripe.com/testing#declined-payments): the error
`code`, the `decline_code` and the message a PaymentIntent confirmed with one gets. They attach and set up like any
card (`4000000000000341` is documented so: attaching succeeds, charging fails)."""


class CardError(StripeError):
    """Stripe's `card_error` (402): the card itself is refused."""

    http_status = 402
    type = "card_error"


def require_generic(call: Call, param: str) -> None:
    """Cards exist only with the generic surface on; else naming one is refused as a type not emulated."""
    if not call.generic:
        raise unemulated(param, "card")


def test_number(test_id: str, prefix: str) -> str | None:
    """The number a card test id stands for (`pm_card_visa` with prefix `pm_card_`, `tok_visa` with `tok_`)."""
    return TEST_CARDS.get(test_id[len(prefix):]) if test_id.startswith(prefix) else None


def luhn(number: str) -> bool:
    digits = [int(ch) for ch in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def brand(number: str) -> tuple[str, str]:
    """(the PaymentMethod brand, the card object brand) of a number."""
    for prefixes, code, name in BRANDS:
        if number.startswith(prefixes):
            return code, name
    return "unknown", "Unknown"


def checked_number(value: Any, param: str) -> str:
    number = str(value).replace(" ", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn(number):
        raise CardError("Your card number is incorrect.", code="incorrect_number", param=param)
    return number


def fingerprint(backend: Backend, number: str) -> str:
    """Stable per card number within a namespace."""
    digest = hashlib.sha256(f"{backend.namespace}:card:{number}".encode()).hexdigest()
    return "".join(ch for ch in digest if ch.isalnum())[:16]


def default_expiry(backend: Backend) -> tuple[int, int]:
    """A test id's card expires a year after the namespace's clock (Stripe's test cards take any future date)."""
    today = datetime.datetime.fromtimestamp(backend.clock.timestamp(), datetime.timezone.utc)
    return today.month, today.year + 1


def expiry(backend: Backend, details: dict[str, Any], param: str) -> tuple[int, int]:
    """`exp_month`/`exp_year` as sent (a two-digit year is in this century); a test id's default if neither."""
    if "exp_month" not in details and "exp_year" not in details:
        return default_expiry(backend)
    for key in ("exp_month", "exp_year"):
        if key not in details:
            raise missing(f"{param}[{key}]")
    try:
        month, year = int(details["exp_month"]), int(details["exp_year"])
    except (TypeError, ValueError):
        raise CardError("Your card's expiration date is invalid.", code="invalid_expiry_month",
                        param=f"{param}[exp_month]") from None
    if not 1 <= month <= 12:
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month",
                        param=f"{param}[exp_month]")
    if year < 100:
        year += 2000
    return month, year


def payment_method_card(backend: Backend, number: str, month: int, year: int, cvc: bool) -> dict[str, Any]:
    """A PaymentMethod's `card` hash (the SDK model's fields)."""
    code, _ = brand(number)
    return {
        "brand": code,
        "checks": {"address_line1_check": None, "address_postal_code_check": None,
                   "cvc_check": "pass" if cvc else None},
        "country": "US",
        "display_brand": code.replace("amex", "american_express"),
        "exp_month": month,
        "exp_year": year,
        "fingerprint": fingerprint(backend, number),
        "funding": FUNDING.get(number, "credit"),
        "generated_from": None,
        "last4": number[-4:],
        "networks": {"available": [code], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def decline_of(number: str) -> list[Any] | None:
    """What a payment with this card number gets, `[code, decline_code, message]`, or None: it succeeds."""
    found = DECLINES.get(number)
    return None if found is None else list(found)


def charge_details(card: dict[str, Any], amount: int) -> dict[str, Any]:
    """A card charge's `payment_method_details.card`, from its PaymentMethod's `card`."""
    return {
        "amount_authorized": amount,
        "authorization_code": None,
        "brand": card["brand"],
        "checks": dict(card["checks"]),
        "country": card["country"],
        "exp_month": card["exp_month"],
        "exp_year": card["exp_year"],
        "extended_authorization": {"status": "disabled"},
        "fingerprint": card["fingerprint"],
        "funding": card["funding"],
        "incremental_authorization": {"status": "unavailable"},
        "installments": None,
        "last4": card["last4"],
        "mandate": None,
        "multicapture": {"status": "unavailable"},
        "network": card["brand"],
        "network_token": {"used": False},
        "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
        "regulated_status": "unregulated",
        "three_d_secure": None,
        "wallet": None,
    }


ADDRESS_KEYS: Final = ("address_city", "address_country", "address_line1", "address_line2", "address_state",
                       "address_zip")


@saved
@dataclass
class Card:
    """A legacy card object: a card token's card, or a customer's card source."""

    id: str
    number: str
    exp_month: int
    exp_year: int
    fingerprint: str
    cvc: bool = False
    customer: str | None = None
    name: str | None = None
    address: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    deleted: bool = False

    @saved
    def render(self, version: ApiVersion | None = None) -> dict[str, Any]:
        """The same in every API version."""
        if self.deleted:
            return {"id": self.id, "object": "card", "deleted": True}
        _, name = brand(self.number)
        return {
            "id": self.id,
            "object": "card",
            **{key: self.address.get(key) for key in ADDRESS_KEYS},
            "address_line1_check": None,
            "address_zip_check": None,
            "allow_redisplay": "unspecified",
            "brand": name,
            "country": "US",
            "customer": self.customer,
            "cvc_check": "pass" if self.cvc else None,
            "dynamic_last4": None,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "fingerprint": self.fingerprint,
            "funding": FUNDING.get(self.number, "credit"),
            "last4": self.number[-4:],
            "metadata": dict(self.metadata),
            "name": self.name,
            "regulated_status": "unregulated",
            "tokenization_method": None,
        }


def table(backend: Backend) -> Table[Card]:
    return backend.store.table(TABLE)


def from_details(backend: Backend, details: dict[str, Any], param: str) -> Card:
    """A card from `card[number|exp_month|exp_year|cvc|name|address_*]` (a token's details)."""
    if "number" not in details:
        raise missing(f"{param}[number]")
    number = checked_number(details["number"], f"{param}[number]")
    month, year = expiry(backend, details, param)
    return Card(id=backend.ids.new(PREFIX), number=number, exp_month=month, exp_year=year,
                fingerprint=fingerprint(backend, number), cvc=bool(details.get("cvc")), name=details.get("name"),
                address={key: str(details[key]) for key in ADDRESS_KEYS if key in details},
                metadata=apply_metadata({}, details.get("metadata") or {}))


def from_test_token(backend: Backend, token_id: str) -> Card | None:
    """A new card for one of Stripe's card test tokens (`tok_visa`), or None if `token_id` is none of them."""
    number = test_number(token_id, "tok_")
    if number is None:
        return None
    month, year = default_expiry(backend)
    return Card(id=backend.ids.new(PREFIX), number=number, exp_month=month, exp_year=year,
                fingerprint=fingerprint(backend, number), cvc=True)


declare(TABLE, Card)
