"""The test-institution catalogue (`catalogue.json`, data) and the institution resource (preview versions).

Stripe's sandbox institutions are listed under their current names (https://docs.stripe.com/financial-connections/
testing); the names older docs and the source document use are aliases. An institution is found by its id, its name
or an alias, case-insensitively (in `complete`, `filters[institution]`, the hosted flow's search and
`GET /v1/financial_connections/institutions/:id`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from emulator.core.backend import Backend, Call
from emulator.core.errors import ResourceMissingError
from emulator.core.listing import LIST_FIELDS, page
from emulator.core.spec import params
from emulator.core.store import Table
from emulator.core.versions import ApiVersion

OBJECT = "financial_connections.institution"
NOUN = "financial_connections.institution"
URL = "/v1/financial_connections/institutions"

LIST = params(dict(LIST_FIELDS))
RETRIEVE = params({})


@dataclass(frozen=True)
class CatalogueAccount:
    key: str
    display_name: str
    category: str
    subcategory: str
    last4: str
    routing_number: str
    balance: int
    supported_payment_method_types: tuple[str, ...]
    numbers: dict[str, Any]
    owners: tuple[dict[str, Any], ...] | None
    transactions: int
    inactive: dict[str, str] | None
    """{cause, action}: the account goes inactive this way shortly after it is linked."""
    reauthentication: dict[str, int | None] | None = None
    """{after_link_days, after_relink_days}: a deactivation announced that long after each (re)authentication."""

    @property
    def tokenized(self) -> bool:
        return self.numbers.get("type") == "tokenized_account_number"

    @property
    def tan_expires_shortly(self) -> bool:
        """The TAN the session returns expires right after the session."""
        return bool(self.numbers.get("expires_shortly_after_link"))


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    aliases: tuple[str, ...]
    emulator: bool
    """One of the emulator's own institutions (not one of Stripe's)."""
    oauth: bool
    credential_keywords: bool
    """The login form reads Stripe's credential keywords (Bank (Non-OAuth); see `credentials`)."""
    status: str
    behaviour: str
    url: str
    routing_numbers: tuple[str, ...]
    features: dict[str, bool]
    simulates: str
    accounts: tuple[CatalogueAccount, ...]

    @property
    def down(self) -> bool:
        return self.behaviour != "normal"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def matches(self, id_or_name: str) -> bool:
        folded = id_or_name.strip().casefold()
        return id_or_name == self.id or any(folded == name.casefold() for name in self.names)

    def account(self, key_or_name: str) -> CatalogueAccount | None:
        folded = key_or_name.strip().casefold()
        for account in self.accounts:
            if key_or_name == account.key or folded == account.display_name.casefold():
                return account
        return None

    def render(self, version: ApiVersion | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": OBJECT,
            "countries": ["US"],
            "features": {name: {"supported": supported} for name, supported in sorted(self.features.items())},
            "livemode": False,
            "name": self.name,
            "routing_numbers": list(self.routing_numbers),
            "status": self.status,
            "url": self.url,
        }


@dataclass(frozen=True)
class Catalogue:
    institutions: tuple[Institution, ...]
    tan_lifetime_days: int
    upcoming_expiry_notice_days: int
    shortly_after_seconds: int
    """What "shortly after the auth flow completes" is on the namespace clock (Inactive Accounts, the Immediately
    Expiring TAN)."""

    def get(self, id_or_name: str) -> Institution | None:
        """By id (exact) or by name or alias (case-insensitive)."""
        for institution in self.institutions:
            if institution.matches(id_or_name):
                return institution
        return None

    def entry(self, institution_id: str, key: str) -> CatalogueAccount | None:
        """The catalogue account a linked account was made from."""
        institution = self.get(institution_id)
        return None if institution is None else institution.account(key)

    def search(self, query: str) -> list[Institution]:
        """The hosted flow's search: every institution one of whose names contains the query (case-insensitive)."""
        folded = query.strip().casefold()
        return [i for i in self.institutions if any(folded in name.casefold() for name in i.names)]


@cache
def catalogue() -> Catalogue:
    raw = json.loads(resources.files(__package__).joinpath("catalogue.json").read_text(encoding="utf-8"))
    institutions = tuple(
        Institution(
            id=item["id"],
            name=item["name"],
            aliases=tuple(item["aliases"]),
            emulator=item["emulator"],
            oauth=item["oauth"],
            credential_keywords=item["credential_keywords"],
            status=item["status"],
            behaviour=item["behaviour"],
            url=item["url"],
            routing_numbers=tuple(item["routing_numbers"]),
            features=dict(item["features"]),
            simulates=item["simulates"],
            accounts=tuple(
                CatalogueAccount(
                    key=a["key"],
                    display_name=a["display_name"],
                    category=a["category"],
                    subcategory=a["subcategory"],
                    last4=a["last4"],
                    routing_number=a["routing_number"],
                    balance=a["balance"],
                    supported_payment_method_types=tuple(a["supported_payment_method_types"]),
                    numbers=dict(a["numbers"]),
                    owners=None if a["owners"] is None else tuple(a["owners"]),
                    transactions=a["transactions"],
                    inactive=a.get("inactive"),
                    reauthentication=a.get("reauthentication"),
                )
                for a in item["accounts"]
            ),
        )
        for item in raw["institutions"]
    )
    return Catalogue(institutions, raw["tan_lifetime_days"], raw["upcoming_expiry_notice_days"],
                     raw["shortly_after_seconds"])


def lookup(backend: Backend, institution_id: str, version: ApiVersion) -> dict[str, Any] | None:
    """By id only (what `expand[]` and object references use)."""
    found = catalogue().get(institution_id)
    return None if found is None or found.id != institution_id else found.render(version)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    """By id, or (an emulator convenience) by name or alias: `…/institutions/Inactive%20accounts`."""
    found = catalogue().get(id)
    if found is None:
        raise ResourceMissingError(NOUN, id, param="institution")
    return found.render(call.version)


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    table: Table[Institution] = Table()
    for institution in reversed(catalogue().institutions):  # newest first == catalogue order
        table.put(institution.id, institution)
    return page(table, values, url=URL, noun=NOUN, render=lambda i: i.render(call.version))

