"""PaymentMethods of type `us_bank_account`, made from a Financial Connections account or from manual bank details
(and, with the generic surface on, card PaymentMethods: `cards.py`).

What a PaymentMethod shows about the bank account is derived from its FC account at render time: the last four
digits of the number in use (the TAN, or the real number), and `status_details.blocked` with reason
`tokenized_account_number_deactivated` while that TAN is not transactable. So a TAN deactivation blocks every
PaymentMethod made from the account, and a relink that re-issues the TAN unblocks them and shows the new digits
(§3), while a relink that links a *new* account leaves them as they were (§4).
"""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError, missing
from emulator.core.listing import LIST_FIELDS, page
from emulator.core.snapshot import saved
from emulator.core.spec import Choice, Email, Field, Hash, Metadata, String, apply_metadata, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature
from emulator.resources import customers
from emulator.resources.financial_connections import accounts as fc_accounts
from emulator.resources.payments import ach_numbers, cards
from emulator.resources.request_params import (
    EMULATED_TYPE,
    GENERIC_TYPES,
    AnyPaymentMethodType,
    PaymentMethodType,
    keep,
    sent,
)

OBJECT = "payment_method"
NOUN = "payment_method"
PREFIX = "pm"
TABLE = "payment_methods"
TAN_BLOCKED = "tokenized_account_number_deactivated"

ADDRESS = Hash({key: Field(String()) for key in ("city", "country", "line1", "line2", "postal_code", "state")})
BILLING_DETAILS = Hash(
    {
        "address": Field(ADDRESS),
        "email": Field(Email(unsettable=True)),
        "name": Field(String(unsettable=True)),
        "phone": Field(String(unsettable=True)),
        "tax_id": Field(String(unsettable=True)),
    }
)
US_BANK_ACCOUNT = Hash(
    {
        "financial_connections_account": Field(String()),
        "account_number": Field(String(max_length=17)),
        "routing_number": Field(String(max_length=9)),
        "account_holder_type": Field(Choice(("company", "individual"))),
        "account_type": Field(Choice(("checking", "savings"))),
    }
)
PAYMENT_METHOD_DATA = Hash(
    {
        "type": Field(PaymentMethodType(), required=True),
        "us_bank_account": Field(US_BANK_ACCOUNT),
        "billing_details": Field(BILLING_DETAILS),
        "metadata": Field(Metadata()),
        "allow_redisplay": Field(Choice(("always", "limited", "unspecified"))),
    }
)
CREATE = params(
    {
        "type": Field(PaymentMethodType(generic=tuple(GENERIC_TYPES)), required=True),
        "us_bank_account": Field(US_BANK_ACCOUNT),
        "billing_details": Field(BILLING_DETAILS),
        "metadata": Field(Metadata()),
        "allow_redisplay": Field(Choice(("always", "limited", "unspecified"))),
    }
)
RETRIEVE = params({})
REDISPLAY = Choice(("always", "limited", "unspecified"))
LIST = params({**LIST_FIELDS, "customer": Field(String()), "type": Field(AnyPaymentMethodType()),
               "allow_redisplay": Field(REDISPLAY)})
CUSTOMER_LIST = params({**LIST_FIELDS, "type": Field(AnyPaymentMethodType()),
                        "allow_redisplay": Field(REDISPLAY)})
ATTACH = params({"customer": Field(String(), required=True)})
DETACH = params({})
NEXT_DEBIT = params({"outcome": Field(Choice(tuple(ach_numbers.OUTCOMES)), required=True)})
UPDATE = params({"billing_details": Field(BILLING_DETAILS), "metadata": Field(Metadata()),
                 "allow_redisplay": Field(REDISPLAY),
                 "us_bank_account": Field(Hash({
                     "account_holder_type": Field(Choice(("company", "individual"))),
                     "account_type": Field(Choice(("checking", "savings"))),
                 }))})


@saved
@dataclass
class PaymentMethod:
    id: str
    created: int
    billing_details: dict[str, Any]
    financial_connections_account: str | None
    routing_number: str
    account_holder_type: str | None
    account_type: str | None
    bank_name: str | None
    fingerprint: str
    manual_last4: str | None = None
    customer: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    allow_redisplay: str = "unspecified"
    consumed: bool = False
    """Used for a bank-account token while not attached to a customer: it cannot be used again."""
    verified: bool = True
    test_behaviour: str = ach_numbers.SUCCESS
    """For manual bank details: which of Stripe's ACH test numbers they are (`ach_numbers`)."""
    verification_failure: str | None = None
    """The error code that ended its microdeposit verification for good: it can no longer be verified or reused."""
    as_sent: dict[str, Any] = field(default_factory=dict)
    """`radar_options` and `customer_account` as sent (kept and shown; no Radar, no v2 accounts here)."""
    next_debit: str | None = None
    """What its next debit does (an `ach_numbers` behaviour), set by the next-debit test helper; used once."""
    card: dict[str, Any] | None = None
    """A card PaymentMethod's `card` hash (`cards.py`: generic surface only); None for a us_bank_account one."""
    decline: list[Any] | None = None
    """For a card of one of Stripe's declining test numbers: what a payment with it gets (`cards.DECLINES`)."""

    @property
    def type(self) -> str:
        return EMULATED_TYPE if self.card is None else "card"

    def debit_behaviour(self) -> str:
        """What a debit made now does: the test helper's outcome, else the test number's, else success (a Financial
        Connections account's debits succeed)."""
        if self.next_debit is not None:
            return self.next_debit
        return self.test_behaviour if self.financial_connections_account is None else ach_numbers.SUCCESS


def _address(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {key: value.get(key) for key in ("city", "country", "line1", "line2", "postal_code", "state")}


def billing(values: dict[str, Any] | None) -> dict[str, Any]:
    values = values or {}
    return {
        "address": _address(values.get("address")),
        "email": values.get("email") or None,
        "name": values.get("name") or None,
        "phone": values.get("phone") or None,
        "tax_id": values.get("tax_id") or None,
    }


def fingerprint(backend: Backend, *parts: str) -> str:
    """Stable per underlying bank account (not per TAN) within a namespace."""
    digest = hashlib.sha256(":".join((backend.namespace, *parts)).encode()).hexdigest()
    return "".join(ch for ch in digest if ch.isalnum())[:16]


def source_account(backend: Backend, pm: PaymentMethod) -> fc_accounts.Account | None:
    if pm.financial_connections_account is None:
        return None
    return fc_accounts.table(backend).get(pm.financial_connections_account)


BLOCKS = "ach_blocks"


@saved
@dataclass
class Block:
    """A bank account blocked for debits after a return (by fingerprint: every PaymentMethod of that account)."""
    fingerprint: str
    network_code: str
    reason: str


def blocks(backend: Backend) -> Table[Block]:
    return backend.store.table(BLOCKS)


def block(backend: Backend, pm: PaymentMethod, network_code: str, reason: str) -> list[PaymentMethod]:
    """Block the bank account behind `pm`; returns the PaymentMethods that were not blocked before."""
    if blocks(backend).get(pm.fingerprint) is not None:
        return []
    newly = [other for other in table(backend).values() if other.fingerprint == pm.fingerprint
             and blocked_details(backend, other) is None]
    blocks(backend).put(pm.fingerprint, Block(pm.fingerprint, network_code, reason))
    return newly


def blocked_details(backend: Backend, pm: PaymentMethod) -> dict[str, Any] | None:
    """`status_details.blocked`: an ACH return's block, else a TAN that is not transactable."""
    found = blocks(backend).get(pm.fingerprint)
    if found is not None:
        return {"network_code": found.network_code, "reason": found.reason}
    account = source_account(backend, pm)
    tan = None if account is None else account.tan
    return {"network_code": None, "reason": TAN_BLOCKED} if tan is not None and tan.status != "transactable" \
        else None


def blocked_reason(backend: Backend, pm: PaymentMethod) -> str | None:
    details = blocked_details(backend, pm)
    return None if details is None else str(details["reason"])


def render(backend: Backend, pm: PaymentMethod, version: ApiVersion) -> dict[str, Any]:
    if pm.card is not None:
        return _render_card(pm)
    account = source_account(backend, pm)
    last4 = account.number_last4 if account is not None else pm.manual_last4
    routing = account.number_routing if account is not None else pm.routing_number
    blocked = blocked_details(backend, pm)
    bank: dict[str, Any] = {
        "account_holder_type": pm.account_holder_type,
        "account_type": pm.account_type,
        "bank_name": pm.bank_name,
        "financial_connections_account": pm.financial_connections_account,
        "fingerprint": pm.fingerprint,
        "last4": last4,
        "networks": {"preferred": "ach", "supported": ["ach"]},
        "routing_number": routing,
        "status_details": None if blocked is None else {"blocked": blocked},
    }
    if Feature.RELINK.gate.enabled(version):
        bank["account_number"] = None  # preview-only; Stripe shows the full number only in special cases
    return {
        "id": pm.id,
        "object": OBJECT,
        "allow_redisplay": pm.allow_redisplay,
        "billing_details": copy.deepcopy(pm.billing_details),
        "created": pm.created,
        "customer": pm.customer,
        "customer_account": sent(pm.as_sent, "customer_account"),
        "livemode": False,
        "metadata": dict(pm.metadata),
        **({"radar_options": sent(pm.as_sent, "radar_options")} if "radar_options" in pm.as_sent else {}),
        "type": "us_bank_account",
        "us_bank_account": bank,
    }


def _render_card(pm: PaymentMethod) -> dict[str, Any]:
    return {
        "id": pm.id,
        "object": OBJECT,
        "allow_redisplay": pm.allow_redisplay,
        "billing_details": copy.deepcopy(pm.billing_details),
        "card": copy.deepcopy(pm.card),
        "created": pm.created,
        "customer": pm.customer,
        "customer_account": sent(pm.as_sent, "customer_account"),
        "livemode": False,
        "metadata": dict(pm.metadata),
        **({"radar_options": sent(pm.as_sent, "radar_options")} if "radar_options" in pm.as_sent else {}),
        "type": "card",
    }


def table(backend: Backend) -> Table[PaymentMethod]:
    return backend.store.table(TABLE)


def get(backend: Backend, pm_id: str, *, param: str | None = "payment_method") -> PaymentMethod:
    found = table(backend).get(pm_id)
    if found is None:
        raise ResourceMissingError("PaymentMethod", pm_id, param=param)
    return found


def lookup(backend: Backend, pm_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = table(backend).get(pm_id)
    return None if found is None else render(backend, found, version)


def made_from(backend: Backend, account_id: str) -> list[PaymentMethod]:
    return [pm for pm in table(backend).values() if pm.financial_connections_account == account_id]


def emit_pm(backend: Backend, call: Call, type: str, pm: PaymentMethod) -> None:
    frozen = copy.deepcopy(pm)
    blocked = blocked_details(backend, pm)
    account = source_account(backend, pm)
    last4 = account.number_last4 if account is not None else pm.manual_last4
    frozen.routing_number = account.number_routing if account is not None else pm.routing_number

    emit(backend, call, type, functools.partial(_render_frozen, backend, frozen, last4, blocked))


@saved
def _render_frozen(backend: Backend, frozen: PaymentMethod, last4: str | None, blocked: dict[str, Any] | None,
                   version: ApiVersion) -> dict[str, Any]:
    """An event's PaymentMethod as it was (a module-level function, so the event can be saved in a snapshot)."""
    rendered = render(backend, frozen, version)
    if frozen.card is not None:
        return rendered
    rendered["us_bank_account"]["last4"] = last4
    rendered["us_bank_account"]["routing_number"] = frozen.routing_number
    rendered["us_bank_account"]["status_details"] = None if blocked is None else {"blocked": dict(blocked)}
    return rendered


# -- creation from payment_method_data ------------------------------------------------------------------------------



def check_fc_account(account: fc_accounts.Account, param: str, version: ApiVersion) -> None:
    """What Stripe checks before an FC account can back a PaymentMethod. The two account-number codes exist from
    2025-09-30.clover; before it the same refusals carry no code (facts §6,
    https://docs.stripe.com/changelog/clover/2025-09-30/financial-connections-payment-method-error-codes)."""
    coded = Feature.FC_PAYMENT_METHOD_ERROR_CODES.gate.enabled(version)
    unavailable = "financial_connections_account_unavailable_account_numbers" if coded else None
    if account.status != "active":
        raise InvalidRequestError(
            f"The Financial Connections account {account.id} is {account.status}. Relink it (a Financial "
            f"Connections session with relink_options) before creating a payment method from it.",
            code="financial_connections_account_inactive", param=param)
    if "payment_method" not in account.permissions:
        raise InvalidRequestError(
            f"The Financial Connections account {account.id} was not linked with the `payment_method` permission.",
            param=param)
    if "us_bank_account" not in account.supported_payment_method_types:
        raise InvalidRequestError(
            f"The Financial Connections account {account.id} does not support us_bank_account payment methods.",
            param=param)
    if account.numbers is None:
        raise InvalidRequestError(
            f"Account and routing numbers are unavailable for the Financial Connections account {account.id}.",
            code=unavailable, param=param)
    number = account.tan or account.numbers[0]
    if number.status == "pending":
        raise InvalidRequestError(
            f"The account numbers of the Financial Connections account {account.id} are not available yet.",
            code="financial_connections_account_pending_account_numbers" if coded else None, param=param)
    if number.status != "transactable":
        raise InvalidRequestError(
            f"The tokenized account number of the Financial Connections account {account.id} is {number.status}; "
            f"relink the account to get a new one.",
            code=unavailable, param=param)


def create_from_data(backend: Backend, data: dict[str, Any], customer: str | None,
                     version: ApiVersion, prefix: str = "payment_method_data[us_bank_account]") -> PaymentMethod:
    """A PaymentMethod from `payment_method_data` (or, with `prefix="us_bank_account"`, `POST /v1/payment_methods`'s
    own parameters); errors name the parameter under `prefix`."""
    bank = data.get("us_bank_account") or {}
    fc_param = f"{prefix}[financial_connections_account]"
    now = backend.clock.timestamp()
    account_id = bank.get("financial_connections_account")
    if account_id is not None:
        exclusive = [k for k in ("account_number", "routing_number") if k in bank]
        if exclusive:
            raise InvalidRequestError(
                f"{fc_param} cannot be combined with account_number or routing_number.", code="parameters_exclusive",
                param=f"{prefix}[{exclusive[0]}]")
        account = fc_accounts.get(backend, account_id, param=fc_param)
        check_fc_account(account, fc_param, version)
        holder = account.account_holder or {}
        if customer is not None and holder.get("customer") not in (None, customer):
            raise InvalidRequestError(
                f"The Financial Connections account {account.id} belongs to customer {holder.get('customer')}, not "
                f"{customer}.", param="customer")
        pm = PaymentMethod(
            id=backend.ids.new(PREFIX), created=now, billing_details=billing(data.get("billing_details")),
            financial_connections_account=account.id, routing_number=account.routing_number,
            account_holder_type=bank.get("account_holder_type",
                                         "company" if holder.get("type") == "account" else "individual"),
            account_type=bank.get("account_type", account.subcategory if account.subcategory in
                                  ("checking", "savings") else "checking"),
            bank_name=account.institution_name.upper(),
            fingerprint=fingerprint(backend, account.institution, account.catalogue_key, account.routing_number),
        )
    else:
        for key in ("account_number", "routing_number"):
            if key not in bank:
                raise missing(f"{prefix}[{key}]")
        routing = bank["routing_number"]
        if len(routing) != 9 or not routing.isdigit():
            raise InvalidRequestError("Routing number must have 9 digits",
                                      param=f"{prefix}[routing_number]")
        number = bank["account_number"]
        if not number.isdigit() or len(number) < 4:  # at most 17 digits: the parameter spec
            raise InvalidRequestError("Invalid account number",
                                      param=f"{prefix}[account_number]",
                                      code="account_number_invalid")
        pm = PaymentMethod(
            id=backend.ids.new(PREFIX), created=now, billing_details=billing(data.get("billing_details")),
            financial_connections_account=None, routing_number=routing,
            account_holder_type=bank.get("account_holder_type"), account_type=bank.get("account_type", "checking"),
            bank_name="STRIPE TEST BANK", fingerprint=fingerprint(backend, routing, number),
            manual_last4=number[-4:], verified=False, test_behaviour=ach_numbers.behaviour(number),
        )
    return _store(backend, pm, data)


def _store(backend: Backend, pm: PaymentMethod, values: dict[str, Any]) -> PaymentMethod:
    """A new PaymentMethod with what its create sent besides its details (metadata, redisplay, radar options),
    stored."""
    if "metadata" in values:
        pm.metadata = apply_metadata({}, values["metadata"])
    if "allow_redisplay" in values:
        pm.allow_redisplay = values["allow_redisplay"]
    keep(pm.as_sent, values, ("radar_options",))
    table(backend).put(pm.id, pm)
    return pm


def resolve(backend: Backend, pm_id: str, *, param: str | None = "payment_method",
            generic: bool = False) -> PaymentMethod:
    """A PaymentMethod named by a parameter: an existing one, or a new one made from one of Stripe's
    `pm_usBankAccount_*` test tokens (facts §5) — verified, with that test account number's behaviour — or, with the
    generic surface on, from one of Stripe's card test ids (`pm_card_visa`: `cards.py`)."""
    card_number = cards.test_number(pm_id, "pm_card_") if generic else None
    if card_number is not None:
        month, year = cards.default_expiry(backend)
        return new_card(backend, cards.payment_method_card(backend, card_number, month, year, cvc=True), {},
                        cards.decline_of(card_number))
    number = ach_numbers.TOKENS.get(pm_id)
    if number is None:
        return get(backend, pm_id, param=param)
    routing = ach_numbers.ROUTING_NUMBER
    pm = PaymentMethod(
        id=backend.ids.new(PREFIX), created=backend.clock.timestamp(), billing_details=billing({}),
        financial_connections_account=None, routing_number=routing, account_holder_type="individual",
        account_type="checking", bank_name="STRIPE TEST BANK", fingerprint=fingerprint(backend, routing, number),
        manual_last4=number[-4:], test_behaviour=ach_numbers.behaviour(number),
    )
    table(backend).put(pm.id, pm)
    return pm


def new_card(backend: Backend, card: dict[str, Any], values: dict[str, Any],
             decline: list[Any] | None) -> PaymentMethod:
    """A card PaymentMethod (generic surface only) with `values`' billing details, metadata and redisplay; `decline`:
    what a payment with it gets, if its number is one of Stripe's declining test numbers."""
    pm = PaymentMethod(
        id=backend.ids.new(PREFIX), created=backend.clock.timestamp(), billing_details=billing(
            values.get("billing_details")), financial_connections_account=None, routing_number="",
        account_holder_type=None, account_type=None, bank_name=None, fingerprint=card["fingerprint"], card=card,
        decline=decline)
    return _store(backend, pm, values)


def _create_card(backend: Backend, call: Call, values: dict[str, Any]) -> PaymentMethod:
    """`type=card`: from `card[number|exp_month|exp_year|cvc]`, or `card[token]` (a card token, used up)."""
    from emulator.resources.payments import tokens  # it imports this module

    cards.require_generic(call, "type")
    details = values.get("card")
    if not isinstance(details, dict):
        raise missing("card")
    if "token" in details:
        card = tokens.use_card_token(backend, details["token"], "card[token]")
        return new_card(backend, cards.payment_method_card(backend, card.number, card.exp_month, card.exp_year,
                                                           card.cvc), values, cards.decline_of(card.number))
    if "number" not in details:
        raise missing("card[number]")
    number = cards.checked_number(details["number"], "card[number]")
    month, year = cards.expiry(backend, details, "card")
    return new_card(backend, cards.payment_method_card(backend, number, month, year, bool(details.get("cvc"))),
                    values, cards.decline_of(number))


def attach_to(backend: Backend, call: Call, pm: PaymentMethod, customer: str) -> None:
    if pm.customer == customer:
        return
    pm.customer = customer
    emit_pm(backend, call, "payment_method.attached", pm)


# -- endpoints -----------------------------------------------------------------------------------------------------

def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    if values["type"] == "card":
        return render(backend, _create_card(backend, call, values), call.version)
    if "us_bank_account" not in values:
        raise missing("us_bank_account")
    pm = create_from_data(backend, values, None, call.version, prefix="us_bank_account")
    return render(backend, pm, call.version)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return render(backend, get(backend, id), call.version)


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    customer = values.get("customer")
    if customer is not None:
        customers.get(backend, customer, param="customer")
    redisplay = values.get("allow_redisplay")
    kind = values.get("type")
    account = values.get("customer_account")
    return page(table(backend), values, url="/v1/payment_methods", noun=NOUN,
                render=lambda pm: render(backend, pm, call.version),
                where=lambda pm: kind in (None, pm.type) and (customer is None or pm.customer == customer)
                and (redisplay is None or pm.allow_redisplay == redisplay)
                and (account is None or pm.as_sent.get("customer_account") == account))


def list_for_customer(backend: Backend, call: Call, values: dict[str, Any], customer: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    redisplay = values.get("allow_redisplay")
    kind = values.get("type")
    return page(table(backend), values, url=f"/v1/customers/{customer}/payment_methods", noun=NOUN,
                render=lambda pm: render(backend, pm, call.version),
                where=lambda pm: kind in (None, pm.type) and pm.customer == customer
                and (redisplay is None or pm.allow_redisplay == redisplay))


def retrieve_for_customer(backend: Backend, call: Call, values: dict[str, Any], customer: str,
                          payment_method: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    pm = get(backend, payment_method)
    if pm.customer != customer:
        raise ResourceMissingError("PaymentMethod", payment_method, param="payment_method")
    return render(backend, pm, call.version)


def attach(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    customers.get(backend, values["customer"], param="customer")
    pm = resolve(backend, id, generic=call.generic)
    if pm.consumed:
        raise InvalidRequestError(f"The PaymentMethod {pm.id} was used to create a token and cannot be attached.",
                                  code="payment_method_unexpected_state", param="payment_method")
    if pm.customer not in (None, values["customer"]):
        raise InvalidRequestError(f"The PaymentMethod {pm.id} is already attached to customer {pm.customer}.",
                                  code="payment_method_unexpected_state", param="customer")
    attach_to(backend, call, pm, values["customer"])
    keep(pm.as_sent, values, ("customer_account",))
    return render(backend, pm, call.version)


def detach(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    pm = get(backend, id)
    if pm.customer is None:
        raise InvalidRequestError(f"The PaymentMethod {pm.id} is not attached to a customer.",
                                  code="payment_method_unexpected_state", param="payment_method")
    owner = customers.table(backend).get(pm.customer)
    pm.customer = None
    emit_pm(backend, call, "payment_method.detached", pm)  # its mandates follow (effects.py)
    if owner is not None and owner.invoice_settings.get("default_payment_method") == pm.id:
        before = owner.render(call.version)["invoice_settings"]
        del owner.invoice_settings["default_payment_method"]  # Stripe clears the default it detaches
        emit(backend, call, "customer.updated", backend.frozen(owner.id, owner, type(owner).snapshot).render,
         {"invoice_settings": before})
    return render(backend, pm, call.version)


def update(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    pm = get(backend, id)
    if "billing_details" in values:
        merged = {**pm.billing_details, **{k: (None if v == "" else v) for k, v in values["billing_details"].items()
                                           if k != "address"}}
        if "address" in values["billing_details"]:
            merged["address"] = {**pm.billing_details["address"], **values["billing_details"]["address"]}
        pm.billing_details = billing(merged)
    if "metadata" in values:
        pm.metadata = apply_metadata(pm.metadata, values["metadata"])
    if "allow_redisplay" in values:
        pm.allow_redisplay = values["allow_redisplay"]
    bank = values.get("us_bank_account") or {}
    if "account_holder_type" in bank:
        pm.account_holder_type = bank["account_holder_type"]
    if "account_type" in bank:
        pm.account_type = bank["account_type"]
    card = values.get("card") or {}
    if pm.card is not None:
        pm.card.update({key: card[key] for key in ("exp_month", "exp_year") if key in card})
        if "networks" in card:
            pm.card["networks"]["preferred"] = (card["networks"] or {}).get("preferred")
    elif card:
        raise InvalidRequestError(f"The PaymentMethod {pm.id} is not a card.", param="card")
    emit_pm(backend, call, "payment_method.updated", pm)
    return render(backend, pm, call.version)

def next_debit(backend: Backend, call: Call, values: dict[str, Any], payment_method: str) -> dict[str, Any]:
    """`POST /v1/test_helpers/payment_methods/:pm/next_debit`: the bank decides how this PaymentMethod's next debit
    ends (the emulator's helper; Stripe has none — its test numbers decide per account number). Used by the next
    debit confirmed with it; the debit's charge remembers it, so a later change does not alter a debit in flight."""
    pm = get(backend, payment_method)
    if pm.card is not None:
        raise InvalidRequestError(f"The PaymentMethod {pm.id} is a card: only a us_bank_account PaymentMethod is "
                                  f"debited here.", param="payment_method")
    pm.next_debit = ach_numbers.OUTCOMES[values["outcome"]]
    return render(backend, pm, call.version)


declare(TABLE, PaymentMethod)
declare(BLOCKS, Block)
