"""A customer's card sources (the legacy Sources API's cards, as the Stripe CLI's fixtures still use them:
`source=tok_visa` on a customer, `/v1/customers/:id/sources`), with the generic surface on (`cards.py`).

A card token (one of Stripe's test tokens, `tok_visa`, or one made with `POST /v1/tokens` `card[…]`) becomes a card
`card_…` of the customer. The first card becomes the customer's `default_source`; `source` on a customer update
adds the card, makes it the default and deletes the previous default, as Stripe documents
(https://docs.stripe.com/api/customers/update#update_customer-source). Deleting the default card makes the next
newest card the default (or none). Bank-account sources and the other Sources types are not emulated: a bank
account token is refused as a source, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import LIST_FIELDS, page
from emulator.core.spec import UNSET, Boolean, Field, Hash, Metadata, String, apply_metadata, params
from emulator.resources import customers
from emulator.resources.payments import cards

if TYPE_CHECKING:
    from emulator.resources.customers import Customer

CREATE = params({"source": Field(String(), required=True), "metadata": Field(Metadata()),
                 "validate": Field(Boolean())})
LIST = params({**LIST_FIELDS, "object": Field(String())})
RETRIEVE = params({})
DELETE = params({})
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


def card_for(backend: Backend, call: Call, value: str, param: str) -> cards.Card:
    """The card a `source` names (a card token, spent by this use). Without the generic surface, or for a token
    that is no card token, the refusals the emulated surface has always given."""
    from emulator.resources.payments import tokens  # it imports customers

    if call.generic:
        if cards.test_number(value, "tok_") is not None:
            return tokens.use_card_token(backend, value, param)
        token = tokens.table(backend).get(value)
        if token is not None and token.card is not None:
            return tokens.use_card_token(backend, value, param)
    elif cards.test_number(value, "tok_") is not None:
        cards.require_generic(call, param)
    if tokens.table(backend).get(value) is None:
        raise ResourceMissingError("source", value, param=param)
    raise InvalidRequestError(
        f"{value} is a bank account token: the emulator does not attach bank accounts to customers as sources (the "
        f"legacy Charges API). Make a us_bank_account PaymentMethod and attach it instead.", param=param)


def check(backend: Backend, call: Call, customer: Customer | None, values: dict[str, Any]) -> None:
    """Refuse a `source` / `default_source` that cannot be used, before anything changes."""
    from emulator.resources.payments import tokens  # it imports customers

    source = values.get("source")
    if source is not None and source is not UNSET:
        token = tokens.table(backend).get(source)
        usable = call.generic and (cards.test_number(source, "tok_") is not None
                                   or (token is not None and token.card is not None and not token.used))
        if not usable:
            card_for(backend, call, source, "source")  # raises the refusal
    default = values.get("default_source")
    if default is not None and default is not UNSET:
        if customer is None:
            raise InvalidRequestError("default_source can be set only on an existing customer: use `source` to add "
                                      "a card when creating one.", param="default_source")
        cards.source_of(backend, customer.id, default, param="default_source")


Announcement = tuple[str, cards.Card]
"""A source event to emit once the customer's own event is out: (its type, the card as it is then)."""


def apply(backend: Backend, call: Call, customer: Customer, values: dict[str, Any]) -> list[Announcement]:
    """Add the `source` card (it becomes the default; an update deletes the previous default) and set
    `default_source`; `check` ran first. Returns the source events, for `announce` after the customer's event."""
    events: list[Announcement] = []
    source = values.get("source")
    if source is not None and source is not UNSET:
        previous = customer.default_source
        card = _attach(backend, call, customer, source, "source")
        events.append(("customer.source.created", backend.frozen(card.id, card)))
        customer.default_source = card.id
        if previous is not None:
            old = cards.table(backend).get(previous)
            if old is not None and not old.deleted:
                _delete(customer, old, backend)
                events.append(("customer.source.deleted", backend.frozen(old.id, old)))
    default = values.get("default_source")
    if default is not None and default is not UNSET:
        customer.default_source = default
    return events


def announce(backend: Backend, call: Call, events: list[Announcement]) -> None:
    for type_, card in events:
        emit(backend, call, type_, card.render)


def _attach(backend: Backend, call: Call, customer: Customer, source: str, param: str) -> cards.Card:
    card = card_for(backend, call, source, param)
    card.customer = customer.id
    cards.table(backend).put(card.id, card)
    return card


def _delete(customer: Customer, card: cards.Card, backend: Backend) -> None:
    card.deleted = True
    if customer.default_source == card.id:
        rest = [c for c in cards.table(backend).newest_first() if c.customer == customer.id and not c.deleted]
        customer.default_source = rest[0].id if rest else None


def create(backend: Backend, call: Call, values: dict[str, Any], customer: str) -> dict[str, Any]:
    owner = customers.get(backend, customer, param="customer")
    check(backend, call, owner, {"source": values["source"]})
    card = _attach(backend, call, owner, values["source"], "source")
    if "metadata" in values:
        card.metadata = apply_metadata(card.metadata, values["metadata"])
    announce(backend, call, [("customer.source.created", backend.frozen(card.id, card))])
    if owner.default_source is None:
        before = owner.render(call.version)
        owner.default_source = card.id
        customers.emit_updated(backend, call, owner, before)
    return card.render()


def list_(backend: Backend, call: Call, values: dict[str, Any], customer: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    kind = values.get("object")
    return page(cards.table(backend), values, url=f"/v1/customers/{customer}/sources", noun="source",
                render=lambda card: card.render(),
                where=lambda card: card.customer == customer and not card.deleted and kind in (None, "card"))


def retrieve(backend: Backend, call: Call, values: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    return cards.source_of(backend, customer, id).render()


def update(backend: Backend, call: Call, values: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    customers.get(backend, customer, param="customer")
    card = cards.source_of(backend, customer, id)  # a bank account's `account_holder_*` mean nothing for it
    month, year = card.exp_month, card.exp_year
    if "exp_month" in values or "exp_year" in values:
        month, year = cards.expiry(backend, {"exp_month": values.get("exp_month", card.exp_month),
                                             "exp_year": values.get("exp_year", card.exp_year)}, "")
    before = card.render()
    card.exp_month, card.exp_year = month, year
    card.address.update({key: values[key] for key in cards.ADDRESS_KEYS if key in values})
    if "name" in values:
        card.name = values["name"]
    if "metadata" in values:
        card.metadata = {} if values["metadata"] is UNSET else apply_metadata(card.metadata, values["metadata"])
    after = card.render()
    changed = {key: before[key] for key in before if before[key] != after[key]}
    if changed:
        emit(backend, call, "customer.source.updated", backend.frozen(card.id, card).render,
             previous_attributes=changed)
    return after


def delete(backend: Backend, call: Call, values: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    owner = customers.get(backend, customer, param="customer")
    card = cards.source_of(backend, customer, id)
    before = owner.render(call.version)
    _delete(owner, card, backend)
    announce(backend, call, [("customer.source.deleted", backend.frozen(card.id, card))])
    customers.emit_updated(backend, call, owner, before)
    return card.render()
