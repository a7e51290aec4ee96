"""Which object types exist, how to find one by id (for `expand[]`), and which fields are expandable ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.core.backend import Backend, Listener
from emulator.core.expand import Expandable
from emulator.core.versions import ApiVersion
from emulator.resources import customers
from emulator.resources.financial_connections import accounts, authorizations, institutions, refresh, sessions
from emulator.resources.payments import (
    charges,
    connect,
    effects,
    payment_intents,
    payment_methods,
    setup_intents,
    sources,
)

Lookup = Callable[[Backend, str, ApiVersion], dict[str, Any] | None]

LOOKUPS: dict[str, Lookup] = {
    # the object types some EXPANDABLE field names (Stripe's x-expandableFields of the emulated objects); no
    # emulated field expands to a Financial Connections account, authorization or session, a SetupIntent or a token
    customers.OBJECT: customers.lookup,
    institutions.OBJECT: institutions.lookup,
    "financial_connections.account_ownership": refresh.lookup_ownership,
    payment_methods.OBJECT: payment_methods.lookup,
    "mandate": setup_intents.lookup_mandate,
    "account": connect.lookup_account,
    charges.OBJECT: charges.lookup,
    payment_intents.OBJECT: payment_intents.lookup,
    "source": sources.lookup,
}

EXPANDABLE: Expandable = {
    # a customer's test clock: Stripe's, kept as sent (no test clock is kept by hand here: an id stays an id)
    "customer": {"invoice_settings.default_payment_method": payment_methods.OBJECT, "default_source": "source",
                 "test_clock": "test_helpers.test_clock"},
    "event": {},
    sessions.OBJECT: {"account_holder.customer": customers.OBJECT},
    accounts.OBJECT: {
        "account_holder.customer": customers.OBJECT,
        "ownership": "financial_connections.account_ownership",
        "institution": institutions.OBJECT,
    },
    authorizations.OBJECT: {"account_holder.customer": customers.OBJECT, "institution": institutions.OBJECT},
    payment_methods.OBJECT: {"customer": customers.OBJECT},
    setup_intents.OBJECT: {"customer": customers.OBJECT, "payment_method": payment_methods.OBJECT,
                           "mandate": "mandate"},
    "mandate": {"payment_method": payment_methods.OBJECT},
    payment_intents.OBJECT: {"customer": customers.OBJECT, "payment_method": payment_methods.OBJECT,
                             "latest_charge": charges.OBJECT},
    charges.OBJECT: {"customer": customers.OBJECT, "payment_intent": payment_intents.OBJECT},
    "bank_account": {"account": "account", "customer": customers.OBJECT},
}


LISTENERS: tuple[Listener, ...] = (effects.on_event,)
"""What the resources do when a namespace records an event (shared by every namespace; see `Backend.listeners`)."""


def resolver(backend: Backend, version: ApiVersion) -> Callable[[str, str], dict[str, Any] | None]:
    def resolve(object_type: str, object_id: str) -> dict[str, Any] | None:
        lookup = LOOKUPS.get(object_type)
        return None if lookup is None else lookup(backend, object_id, version)

    return resolve


PARENT_NAMES = {"intent": "payment_intent", "setup_intent": "setup_intent"}
"""Path placeholders that name an object type the emulator keeps by hand under another name."""


def found_by_hand(backend: Backend, object_type: str, object_id: str, version: ApiVersion) -> dict[str, Any] | None:
    """An object the emulator keeps by hand (a generic endpoint's parent, or the object of an action such as
    `/v1/payment_intents/:intent/capture`), rendered in `version`: looked up as the type the placeholder names, else
    as any type kept by hand (`{id}` names no type)."""
    named = LOOKUPS.get(PARENT_NAMES.get(object_type, object_type))
    if named is not None:
        return named(backend, object_id, version)
    for lookup in LOOKUPS.values():
        found = lookup(backend, object_id, version)
        if found is not None:
            return found
    return None


def connected_account_exists(backend: Backend, account_id: str) -> bool:
    found = connect.accounts(backend).get(account_id)
    return found is not None and not found.deleted
