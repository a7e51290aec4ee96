"""The test-institution catalogue (`catalogue.json`, data) and the institution resource (preview versions)."""

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

    @property
    def tokenized(self) -> bool:
        return self.numbers.get("type") == "tokenized_account_number"


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    oauth: bool
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

    def account(self, key_or_name: str) -> CatalogueAccount | None:
        for account in self.accounts:
            if key_or_name in (account.key, account.display_name):
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

    def get(self, id_or_name: str) -> Institution | None:
        for institution in self.institutions:
            if id_or_name in (institution.id, institution.name):
                return institution
        return None


@cache
def catalogue() -> Catalogue:
    raw = json.loads(resources.files(__package__).joinpath("catalogue.json").read_text(encoding="utf-8"))
    institutions = tuple(
        Institution(
            id=item["id"],
            name=item["name"],
            oauth=item["oauth"],
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
                )
                for a in item["accounts"]
            ),
        )
        for item in raw["institutions"]
    )
    return Catalogue(institutions, raw["tan_lifetime_days"], raw["upcoming_expiry_notice_days"])


def lookup(backend: Backend, institution_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = catalogue().get(institution_id)
    return None if found is None or found.id != institution_id else found.render(version)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    found = lookup(backend, id, call.version)
    if found is None:
        raise ResourceMissingError(NOUN, id, param="institution")
    return found


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    table: Table[Institution] = Table()
    for institution in reversed(catalogue().institutions):  # newest first == catalogue order
        table.put(institution.id, institution)
    return page(table, values, url=URL, noun=NOUN, render=lambda i: i.render(call.version))

