"""A customer's sources — cards and bank accounts, as the legacy Charges integration and the Stripe CLI's fixtures
still use them: `source=tok_visa` or `source=btok_…` on a customer, `/v1/customers/:id/sources` — with the generic
surface on (`cards.py`).

A card token (one of Stripe's test tokens, `tok_visa`, or one made with `POST /v1/tokens` `card[…]`) becomes a card
`card_…` of the customer; a bank-account token (`POST /v1/tokens` `bank_account[…]`, or one of Stripe's verified
test tokens, `btok_us_verified…`) becomes a bank account `ba_…`, `new` until its microdeposits are verified
(`POST …/sources/:id/verify` with `amounts[]` 32 and 45, as Stripe's test mode takes them; ten mismatches end in
`verification_failed`), `verified` at once for a test token. The first source becomes the customer's
`default_source`; `source` on a customer update adds the source, makes it the default and deletes the previous
default, as Stripe documents (https://docs.stripe.com/api/customers/update#update_customer-source). Deleting the
default makes the next newest source the default (or none). The other Sources types are not emulated; no charge is
made from a bank-account source (PaymentIntents debit us_bank_account PaymentMethods).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import LIST_FIELDS, page
from emulator.core.snapshot import saved
from emulator.core.spec import UNSET, Array, Boolean, Field, Hash, Integer, Metadata, String, apply_metadata, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion
from emulator.resources import customers
from emulator.resources.payments import cards, setup_intents
from emulator.resources.payments.tokens import TEST_BANK_TOKENS, BankAccount

if TYPE_CHECKING:
    from emulator.resources.customers import Customer

CREATE = params({"source": Field(String(), required=True), "metadata": Field(Metadata()),
                 "validate": Field(Boolean())})
LIST = params({**LIST_FIELDS, "object": Field(String())})
RETRIEVE = params({})
DELETE = params({})
VERIFY = params({"amounts": Field(Array(Integer())), "verification_method": Field(String())})
ORDER = "customer_sources"
BANK_ACCOUNTS = "customer_bank_accounts"
Source = cards.Card | BankAccount


@saved
@dataclass
class SourceRef:
    """A customer's source, in the order sources were added (a list is newest first across cards and bank
    accounts, which live in their own tables)."""

    id: str
    customer: str
    object: str  # card, bank_account


def order(backend: Backend) -> Table[SourceRef]:
    return backend.store.table(ORDER)


def bank_accounts(backend: Backend) -> Table[BankAccount]:
    return backend.store.table(BANK_ACCOUNTS)


def find(backend: Backend, customer: str, source_id: str, param: str | None = "id") -> Source:
    """One of the customer's live sources, or `resource_missing` naming `param`."""
    found: Source | None = cards.table(backend).get(source_id)
    if found is None:
        found = bank_accounts(backend).get(source_id)
    if found is None or found.deleted or found.customer != customer:
        raise ResourceMissingError("source", source_id, param=param)
    return found


def render(backend: Backend, source: Source) -> dict[str, Any]:
    return source.render() if isinstance(source, cards.Card) else source.render(backend)


def lookup(backend: Backend, source_id: str, version: ApiVersion) -> dict[str, Any] | None:
    """A customer's card or bank-account source by id, rendered (`expand[]=default_source`); None if none."""
    found: Source | None = cards.table(backend).get(source_id)
    if found is None:
        found = bank_accounts(backend).get(source_id)
    return None if found is None or found.deleted else render(backend, found)
_OWNER_ADDRESS = Hash({key: Field(String()) for key in ("city", "country", "line1", "line2", "postal_code",
                                                          "state")})
UPDATE = params({
    **{key: Field(String()) for key in (*cards.ADDRESS_KEYS, "exp_month", "exp_year", "name",
                                        "account_holder_name")},
    "account_holder_type": Field(String()),
    "metadata": Field(Metadata(unsettable=True)),
    "owner": Field(Hash({"address": Field(_OWNER_ADDRESS), "email": Field(String()), "name": Field(String()),
                         "phone": Field(String())})),
})


def source_for(backend: Backend, call: Call, value: str, param: str) -> Source:
    """The card or bank account a `source` names (a card or bank-account token, spent by this use). Without the
    generic surface, the refusals the emulated surface has always given."""
    from emulator.resources.payments import tokens  # it imports customers

    if call.generic:
        if cards.test_number(value, "tok_") is not None:
            return tokens.use_card_token(backend, value, param)
        if value in TEST_BANK_TOKENS:
            return tokens.use_bank_token(backend, value, param)
        token = tokens.table(backend).get(value)
        if token is not None and token.card is not None:
            return tokens.use_card_token(backend, value, param)
        if token is not None and token.bank_account is not None:
            return tokens.use_bank_token(backend, value, param)
    elif cards.test_number(value, "tok_") is not None:
        cards.require_generic(call, param)
    if tokens.table(backend).get(value) is None:
        raise ResourceMissingError("source", value, param=param)
    raise InvalidRequestError(
        f"{value} is a bank account token: bank accounts are a customer's sources (the legacy Charges API) only with "
        f"`serve --surface all`. Make a us_bank_account PaymentMethod and attach it instead.", param=param)


def check(backend: Backend, call: Call, customer: Customer | None, values: dict[str, Any]) -> None:
    """Refuse a `source` / `default_source` that cannot be used, before anything changes."""
    source = values.get("source")
    if source is not None and source is not UNSET:
        from emulator.resources.payments import tokens  # it imports customers

        token = tokens.table(backend).get(source)
        usable = call.generic and (cards.test_number(source, "tok_") is not None or source in TEST_BANK_TOKENS
                                   or (token is not None and (token.card is not None or token.bank_account is not None)
                                       and not token.used))
        if not usable:
            source_for(backend, call, source, "source")  # raises the refusal
    default = values.get("default_source")
    if default is not None and default is not UNSET:
        if customer is None:
            raise InvalidRequestError("default_source can be set only on an existing customer: use `source` to add "
                                      "a card when creating one.", param="default_source")
        find(backend, customer.id, default, param="default_source")


Announcement = tuple[str, Source]
"""A source event to emit once the customer's own event is out: (its type, the source as it is then)."""


def apply(backend: Backend, call: Call, customer: Customer, values: dict[str, Any]) -> list[Announcement]:
    """Add the `source` (it becomes the default; an update deletes the previous default) and set
    `default_source`; `check` ran first. Returns the source events, for `announce` after the customer's event."""
    events: list[Announcement] = []
    source = values.get("source")
    if source is not None and source is not UNSET:
        previous = customer.default_source
        added = _attach(backend, call, customer, source, "source")
        events.append(("customer.source.created", backend.frozen(added.id, added)))
        customer.default_source = added.id
        if previous is not None:
            try:
                old = find(backend, customer.id, previous)
            except ResourceMissingError:
                old = None
            if old is not None:
                _delete(customer, old, backend)
                events.append(("customer.source.deleted", backend.frozen(old.id, old)))
    default = values.get("default_source")
    if default is not None and default is not UNSET:
        customer.default_source = default
    return events


def announce(backend: Backend, call: Call, events: list[Announcement]) -> None:
    for type_, source in events:
        emit(backend, call, type_, _renderer(backend, source))


def _renderer(backend: Backend, source: Source) -> Any:
    """What renders the source for an event (a card's render takes no backend; a bank account's does)."""
    return source.render if isinstance(source, cards.Card) else functools.partial(_render_bank, backend, source)


@saved
def _render_bank(backend: Backend, account: BankAccount, version: Any = None) -> dict[str, Any]:
    return account.render(backend)


def _attach(backend: Backend, call: Call, customer: Customer, source: str, param: str) -> Source:
    added = source_for(backend, call, source, param)
    added.customer = customer.id
    if isinstance(added, cards.Card):
        cards.table(backend).put(added.id, added)
    else:
        bank_accounts(backend).put(added.id, added)
    order(backend).put(added.id, SourceRef(added.id, customer.id, "card" if isinstance(added, cards.Card)
                                           else "bank_account"))
    return added


def _live(backend: Backend, ref: SourceRef) -> Source | None:
    found: Source | None = (cards.table(backend).get(ref.id) if ref.object == "card"
                            else bank_accounts(backend).get(ref.id))
    return None if found is None or found.deleted else found


def _delete(customer: Customer, source: Source, backend: Backend) -> None:
    source.deleted = True
    if customer.default_source == source.id:
        rest = (ref for ref in order(backend).newest_first()
                if ref.customer == customer.id and _live(backend, ref) is not None)
        newest = next(rest, None)
        customer.default_source = None if newest is None else newest.id


def create(backend: Backend, call: Call, values: dict[str, Any], customer: str) -> dict[str, Any]:
    owner = customers.get(backend, customer, param="customer")
    check(backend, call, owner, {"source": values["source"]})
    added = _attach(backend, call, owner, values["source"], "source")
    if "metadata" in values:
        added.metadata = apply_metadata(added.metadata, values["metadata"])
    announce(backend, call, [("customer.source.created", backend.frozen(added.id, added))])
    if owner.default_source is None:
        before = owner.render(call.version)
        owner.default_source = added.id
        customers.emit_updated(backend, call, owner, before)
    return render(backend, added)


def list_(backend: Backend, call: Call, values: dict[str, Any], customer: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    kind = values.get("object")

    def where(ref: SourceRef) -> bool:
        return ref.customer == customer and kind in (None, ref.object) and _live(backend, ref) is not None

    def shown(ref: SourceRef) -> dict[str, Any]:
        found = _live(backend, ref)
        assert found is not None
        return render(backend, found)

    return page(order(backend), values, url=f"/v1/customers/{customer}/sources", noun="source", render=shown,
                where=where)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    return render(backend, find(backend, customer, id))


def update(backend: Backend, call: Call, values: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    source = find(backend, customer, id)
    before = render(backend, source)
    if isinstance(source, cards.Card):  # a bank account's `account_holder_*` mean nothing for a card
        month, year = source.exp_month, source.exp_year
        if "exp_month" in values or "exp_year" in values:
            month, year = cards.expiry(backend, {"exp_month": values.get("exp_month", source.exp_month),
                                                 "exp_year": values.get("exp_year", source.exp_year)}, "")
        source.exp_month, source.exp_year = month, year
        source.address.update({key: values[key] for key in cards.ADDRESS_KEYS if key in values})
        if "name" in values:
            source.name = values["name"]
    else:  # and a card's expiry, address and name nothing for a bank account
        if values.get("account_holder_type", "individual") not in ("company", "individual"):
            raise InvalidRequestError("Invalid account_holder_type: must be one of company or individual.",
                                      param="account_holder_type")
        if "account_holder_name" in values:
            source.account_holder_name = values["account_holder_name"]
        if "account_holder_type" in values:
            source.account_holder_type = values["account_holder_type"]
    if "metadata" in values:
        source.metadata = {} if values["metadata"] is UNSET else apply_metadata(source.metadata, values["metadata"])
    after = render(backend, source)
    _announce_change(backend, call, source, before, after)
    return after


def _announce_change(backend: Backend, call: Call, source: Source, before: dict[str, Any],
                     after: dict[str, Any]) -> None:
    changed = {key: before[key] for key in before if before[key] != after.get(key)}
    if changed:
        emit(backend, call, "customer.source.updated", _renderer(backend, backend.frozen(source.id, source)),
             previous_attributes=changed)


def delete(backend: Backend, call: Call, values: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    owner = customers.get(backend, customer, param="customer")
    source = find(backend, customer, id)
    before = owner.render(call.version)
    _delete(owner, source, backend)
    announce(backend, call, [("customer.source.deleted", backend.frozen(source.id, source))])
    customers.emit_updated(backend, call, owner, before)
    return render(backend, source)


def verify(backend: Backend, call: Call, values: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    """`POST /v1/customers/:customer/sources/:id/verify`: a bank account's microdeposits, by their `amounts` (32 and
    45 in test mode, as for a SetupIntent's); ten mismatches and the account is `verification_failed`."""
    customers.get(backend, customer, param="customer")
    source = find(backend, customer, id)
    if not isinstance(source, BankAccount):
        raise InvalidRequestError(f"The source {id} is a card: only a bank account is verified.", param="id")
    if source.verified or source.verification_failed:
        raise InvalidRequestError(f"The bank account {id} is {source.status(backend)}: there is nothing to verify.")
    if "amounts" not in values:
        raise InvalidRequestError("Missing required param: amounts.", code="parameter_missing", param="amounts")
    verdict, source.verification_attempts, mismatch = setup_intents.microdeposit_verdict(
        {"amounts": values["amounts"]}, source.verification_attempts)
    before = render(backend, source)
    if verdict == setup_intents.VERIFIED:
        source.verified = True
    elif verdict is not None:  # too many attempts, or a test outcome that ends verification
        source.verification_failed = True
    _announce_change(backend, call, source, before, render(backend, source))
    if mismatch is not None:
        raise mismatch
    if source.verification_failed:
        raise InvalidRequestError(setup_intents.MESSAGES[str(verdict)], code=str(verdict), param="amounts")
    return render(backend, source)


declare(ORDER, SourceRef)
declare(BANK_ACCOUNTS, BankAccount)
