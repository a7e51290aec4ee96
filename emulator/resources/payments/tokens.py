"""Bank-account tokens (`POST /v1/tokens`), for Connect payouts (source document §5).

`bank_account[payment_method]=pm_…` makes a token from a us_bank_account PaymentMethod: if the PaymentMethod is
attached to a customer, `customer` is required (and must be that customer); if not, the PaymentMethod is consumed
and cannot be used again. The classic `bank_account[account_number|routing_number|…]` form works too. A bank
account made from a Financial Connections TAN shows `status: tokenized_account_number_deactivated` while that TAN is
not transactable (derived, like the PaymentMethod's `blocked`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from emulator.core import messages
from emulator.core.backend import Backend, Call
from emulator.core.errors import InvalidRequestError, ResourceMissingError, missing
from emulator.core.snapshot import saved
from emulator.core.spec import Choice, Field, Hash, String, params
from emulator.core.store import Table, declare
from emulator.resources import customers
from emulator.resources.financial_connections import accounts as fc_accounts
from emulator.resources.payments import ach_numbers, cards, payment_methods
from emulator.resources.request_params import stored

CREATE = params(
    {
        "bank_account": Field(
            Hash(
                {
                    "payment_method": Field(String()),
                    "account_number": Field(String(max_length=17)),
                    "routing_number": Field(String(max_length=9)),
                    "country": Field(String(max_length=2)),
                    "currency": Field(String(max_length=3)),
                    "account_holder_name": Field(String()),
                    "account_holder_type": Field(Choice(("company", "individual"))),
                    "account_type": Field(Choice(("checking", "futsu", "savings", "toza"))),
                }
            )
        ),
        "customer": Field(String()),
    }
)
RETRIEVE = params({})


@saved
@dataclass
class BankAccount:
    id: str
    account_holder_name: str | None
    account_holder_type: str | None
    account_type: str | None
    bank_name: str | None
    fingerprint: str
    routing_number: str
    manual_last4: str | None
    financial_connections_account: str | None
    account: str | None = None
    customer: str | None = None
    deleted: bool = False
    default_for_currency: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    errored: bool = False
    """A payout to it failed for the account (closed, not found): `status: errored` until it is replaced."""
    test_behaviour: str = "success"
    """For bank details entered by hand: which of Stripe's ACH test numbers they are (`ach_numbers`)."""
    verified: bool = False
    """A customer's bank-account source verified (by its microdeposits, or one of Stripe's `btok_us_verified…`)."""
    verification_attempts: int = 0
    verification_failed: bool = False

    def status(self, backend: Backend) -> str:
        if self.errored:
            return "errored"
        if self.verification_failed:
            return "verification_failed"
        if self.verified:
            return "verified"
        if self.financial_connections_account is None:
            return "new"
        source = fc_accounts.table(backend).get(self.financial_connections_account)
        tan = None if source is None else source.tan
        return "tokenized_account_number_deactivated" if tan is not None and tan.status != "transactable" else "new"

    def _source(self, backend: Backend) -> fc_accounts.Account | None:
        return None if self.financial_connections_account is None else fc_accounts.table(backend).get(
            self.financial_connections_account)

    def last4(self, backend: Backend) -> str:
        source = self._source(backend)
        return source.number_last4 if source is not None else (self.manual_last4 or "")

    def routing(self, backend: Backend) -> str:
        """The routing number of the number in use: a re-issued TAN brings its own."""
        source = self._source(backend)
        return source.number_routing if source is not None else self.routing_number

    def render(self, backend: Backend) -> dict[str, Any]:
        """The same in every API version (a bank account's fields did not change across the emulated ones)."""
        if self.deleted and self.customer is not None:  # a customer's deleted source, as Stripe answers it
            return {"id": self.id, "object": "bank_account", "deleted": True}
        rendered: dict[str, Any] = {"id": self.id, "object": "bank_account"}
        if self.account is not None:
            rendered["account"] = self.account
        rendered.update({
            "account_holder_name": self.account_holder_name,
            "account_holder_type": self.account_holder_type,
            "account_type": self.account_type,
            "bank_name": self.bank_name,
            "country": "US",
            "currency": "usd",
        })
        if self.customer is not None:
            rendered["customer"] = self.customer
        if self.account is not None:
            rendered["default_for_currency"] = self.default_for_currency
        if self.account is not None or self.customer is not None:
            rendered["metadata"] = dict(self.metadata)
        rendered.update({
            "fingerprint": self.fingerprint,
            "last4": self.last4(backend),
            "routing_number": self.routing(backend),
            "status": self.status(backend),
        })
        return rendered


KINDS = {"account": "ct", "person": "cpt", "pii": "pii", "cvc_update": "cvctok"}
"""The tokens that carry no bank account, by the id prefix Stripe gives them: a connected account's details
(`account_token` when the account is created or updated), a person's, personally identifiable information, a
card's CVC. Their details are stored as sent; an account token's are applied where it is used."""


@saved
@dataclass
class Token:
    id: str
    created: int
    bank_account: BankAccount | None
    used: bool = False
    type: str = "bank_account"
    details: dict[str, Any] = field(default_factory=dict)
    """What an account, person, pii or cvc_update token was made with (validated, as sent)."""
    card: cards.Card | None = None
    """A card token's card (generic surface only: `cards.py`)."""

    def render(self, backend: Backend) -> dict[str, Any]:
        rendered: dict[str, Any] = {"id": self.id, "object": "token"}
        if self.bank_account is not None:
            rendered["bank_account"] = self.bank_account.render(backend)
        if self.card is not None:
            rendered["card"] = self.card.render()
        rendered.update({
            "client_ip": None,
            "created": self.created,
            "livemode": False,
            "type": self.type,
            "used": self.used,
        })
        return rendered


def table(backend: Backend) -> Table[Token]:
    return backend.store.table("tokens")


def get(backend: Backend, token_id: str, *, param: str | None = "token") -> Token:
    found = table(backend).get(token_id)
    if found is None:
        raise ResourceMissingError("token", token_id, param=param)
    return found


def use_card_token(backend: Backend, token_id: str, param: str) -> cards.Card:
    """The card of a card token, which this use spends: one of Stripe's test tokens (`tok_visa`) makes a new card
    each time; a token made here can be used once (`token_already_used`, as Stripe's)."""
    card = cards.from_test_token(backend, token_id)
    if card is not None:
        return card
    token = _spend(backend, token_id, param, "card")
    assert token.card is not None
    return token.card


def _from_payment_method(backend: Backend, pm_id: str, customer: str | None, extra: list[str]) -> BankAccount:
    if extra:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params=f"bank_account[payment_method], bank_account[{extra[0]}]"),
            code="parameters_exclusive", param=f"bank_account[{extra[0]}]")
    pm = payment_methods.get(backend, pm_id, param="bank_account[payment_method]")
    if pm.card is not None:
        raise InvalidRequestError(f"The PaymentMethod {pm.id} is a card, not a us_bank_account PaymentMethod.",
                                  param="bank_account[payment_method]")
    if pm.customer is not None:
        if customer is None:
            raise InvalidRequestError(
                f"The PaymentMethod {pm.id} is attached to customer {pm.customer}: pass `customer` as well.",
                code="parameter_missing", param="customer")
        if customer != pm.customer:
            raise InvalidRequestError(f"The PaymentMethod {pm.id} is attached to another customer.",
                                      param="customer")
    elif pm.consumed:
        raise InvalidRequestError(
            f"The PaymentMethod {pm.id} was already used to create a token and cannot be used again.",
            code="payment_method_unexpected_state", param="bank_account[payment_method]")
    if payment_methods.blocked_reason(backend, pm) is not None:
        raise InvalidRequestError(f"The bank account behind PaymentMethod {pm.id} is blocked.",
                                  code="payment_method_bank_account_blocked", param="bank_account[payment_method]")
    if pm.customer is None:
        pm.consumed = True
    return BankAccount(
        id=backend.ids.new("ba"),
        account_holder_name=pm.billing_details.get("name"),
        account_holder_type=pm.account_holder_type,
        account_type=pm.account_type,
        bank_name=pm.bank_name,
        fingerprint=pm.fingerprint,
        routing_number=pm.routing_number,
        manual_last4=pm.manual_last4,
        financial_connections_account=pm.financial_connections_account,
        test_behaviour=pm.test_behaviour,
    )


def from_details(backend: Backend, bank: dict[str, Any], prefix: str) -> BankAccount:
    """A bank account from its numbers (`bank_account[…]` of a token, `external_account[…]` of a connected account);
    errors name the parameter under `prefix`."""
    for key in ("account_number", "country", "currency"):
        if key not in bank:
            raise missing(f"{prefix}[{key}]")
    if bank["country"].upper() != "US" or bank["currency"].lower() != "usd":
        raise InvalidRequestError("The emulator's bank accounts are US accounts in usd.", param=f"{prefix}[country]")
    routing = bank.get("routing_number", "")
    if len(routing) != 9 or not routing.isdigit():
        raise InvalidRequestError("Routing number must have 9 digits", param=f"{prefix}[routing_number]")
    number = bank["account_number"]
    if not number.isdigit() or len(number) < 4:  # at most 17 digits: the parameter spec
        raise InvalidRequestError("Invalid account number", code="account_number_invalid",
                                  param=f"{prefix}[account_number]")
    return BankAccount(
        id=backend.ids.new("ba"), account_holder_name=bank.get("account_holder_name"),
        account_holder_type=bank.get("account_holder_type"), account_type=bank.get("account_type"),
        bank_name="STRIPE TEST BANK", fingerprint=payment_methods.fingerprint(backend, routing, number),
        routing_number=routing, manual_last4=number[-4:], financial_connections_account=None,
        test_behaviour=ach_numbers.behaviour(number),
    )


def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    customer = values.get("customer")
    if customer is not None:
        customers.get(backend, customer, param="customer")
    kinds = [kind for kind in ("bank_account", "card", *KINDS) if kind in values]
    if len(kinds) > 1:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params=", ".join(kinds)), code="parameters_exclusive", param=kinds[1])
    if kinds and kinds[0] in KINDS:
        kind = kinds[0]
        token = Token(id=backend.ids.new(KINDS[kind]), created=backend.clock.timestamp(), bank_account=None,
                      type=kind, details=stored(values[kind]))
        table(backend).put(token.id, token)
        return token.render(backend)
    if kinds == ["card"]:
        return _card_token(backend, call, values["card"], customer).render(backend)
    bank = values.get("bank_account")
    if bank is None:
        raise missing("bank_account")
    if "payment_method" in bank:
        account = _from_payment_method(backend, bank["payment_method"], customer,
                                       [key for key in bank if key != "payment_method"])
    else:
        account = from_details(backend, bank, "bank_account")
    token = Token(id=backend.ids.new("btok"), created=backend.clock.timestamp(), bank_account=account)
    table(backend).put(token.id, token)
    return token.render(backend)


TEST_BANK_TOKENS: dict[str, str] = {
    "btok_us_verified": "000123456789",
    "btok_us_verified_noAccount": "000111111116",
    "btok_us_verified_accountClosed": "000111111113",
    "btok_us_verified_insufficientFunds": "000222222227",
    "btok_us_verified_debitNotAuthorized": "000333333335",
    "btok_us_verified_invalidCurrency": "000444444440",
}
"""Stripe's verified bank-account test tokens (the legacy ACH guide's), by the ACH test number each stands for: as
a customer's `source` each use makes a new, already verified bank account."""


def use_bank_token(backend: Backend, token_id: str, param: str) -> BankAccount:
    """The bank account a bank-account token (one made here, or one of TEST_BANK_TOKENS) stands for, spent by this
    use: an unused token's own `ba_…`, or a new verified one for a test token."""
    number = TEST_BANK_TOKENS.get(token_id)
    if number is not None:
        account = from_details(backend, {"account_number": number, "routing_number": ach_numbers.ROUTING_NUMBER,
                                         "country": "US", "currency": "usd"}, param)
        account.verified = True
        return account
    token = _spend(backend, token_id, param, "bank_account")
    assert token.bank_account is not None
    return replace(token.bank_account)


def _spend(backend: Backend, token_id: str, param: str, kind: str) -> Token:
    """A token made here of this kind (`card`, `bank_account`), marked used: `resource_missing` naming `param` if
    there is none, `token_already_used` the second time, as Stripe's."""
    token = table(backend).get(token_id)
    if token is None or getattr(token, kind) is None:
        raise ResourceMissingError("token", token_id, param=param)
    if token.used:
        raise InvalidRequestError(f"You cannot use a Stripe token more than once: {token_id}.",
                                  code="token_already_used", param=param)
    token.used = True
    return token


def _card_token(backend: Backend, call: Call, details: Any, customer: str | None) -> Token:
    """`card[…]` (generic surface only): a token of a new card; `card=<card id>`: a token of a copy of a card
    source — of `customer`'s, if given (Stripe: "the card must be the ID of a card belonging to the customer")."""
    cards.require_generic(call, "card")
    if isinstance(details, dict):
        card = cards.from_details(backend, details, "card")
    else:
        found = cards.table(backend).get(str(details))
        if found is None or found.deleted or found.customer is None or customer not in (None, found.customer):
            raise ResourceMissingError("card", str(details), param="card")
        card = replace(found, id=backend.ids.new(cards.PREFIX), customer=None, metadata={}, address=dict(found.address))
    token = Token(id=backend.ids.new("tok"), created=backend.clock.timestamp(), bank_account=None, type="card",
                  card=card)
    table(backend).put(token.id, token)
    return token


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return get(backend, id).render(backend)

declare("tokens", Token)
