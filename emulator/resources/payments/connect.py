"""Connect, as far as payouts to a bank account need it (source document §5): minimal connected accounts and their
external bank accounts, created from a bank-account token. An external account made from a Financial Connections
TAN shows `status: tokenized_account_number_deactivated` while the TAN is not transactable, and comes back after a
relink that re-issues the TAN (`account.external_account.updated` both ways)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import LIST_FIELDS, page
from emulator.core.snapshot import saved
from emulator.core.spec import Choice, Email, Field, Metadata, String, apply_metadata, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion
from emulator.resources.payments import tokens
from emulator.resources.payments.tokens import BankAccount

CREATE_ACCOUNT = params(
    {
        "type": Field(Choice(("custom", "express", "standard"))),
        "country": Field(String(max_length=2)),
        "email": Field(Email()),
        "metadata": Field(Metadata()),
    }
)
RETRIEVE = params({})
CREATE_EXTERNAL = params({"external_account": Field(String(), required=True), "metadata": Field(Metadata()),
                          "default_for_currency": Field(Choice(("true", "false")))})
LIST_EXTERNAL = params({**LIST_FIELDS, "object": Field(Choice(("bank_account", "card")))})
DELETE_EXTERNAL = params({}, expand=False)


@saved
@dataclass
class ConnectedAccount:
    id: str
    created: int
    type: str
    country: str
    email: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    external_accounts: list[str] = field(default_factory=list)


def accounts(backend: Backend) -> Table[ConnectedAccount]:
    return backend.store.table("accounts")


def externals(backend: Backend) -> Table[BankAccount]:
    return backend.store.table("external_accounts")


def get_account(backend: Backend, account_id: str, *, param: str | None = "account") -> ConnectedAccount:
    found = accounts(backend).get(account_id)
    if found is None:
        raise ResourceMissingError("account", account_id, param=param)
    return found


def render_account(backend: Backend, account: ConnectedAccount, version: ApiVersion) -> dict[str, Any]:
    bank_accounts = [externals(backend).get(i) for i in account.external_accounts]
    live = [b.render(backend) for b in reversed(bank_accounts) if b is not None and not b.deleted]
    return {
        "id": account.id,
        "object": "account",
        "business_type": None,
        "charges_enabled": False,
        "country": account.country,
        "created": account.created,
        "default_currency": "usd",
        "details_submitted": False,
        "email": account.email,
        "external_accounts": {"object": "list", "data": live, "has_more": False,
                              "url": f"/v1/accounts/{account.id}/external_accounts"},
        "metadata": dict(account.metadata),
        "payouts_enabled": bool(live),
        "type": account.type,
    }


def lookup_account(backend: Backend, account_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = accounts(backend).get(account_id)
    return None if found is None else render_account(backend, found, version)


def create_account(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    account = ConnectedAccount(id=backend.ids.new("acct", 16), created=backend.clock.timestamp(),
                               type=values.get("type", "custom"), country=values.get("country", "US"),
                               email=values.get("email"), metadata=apply_metadata({}, values.get("metadata", {})))
    accounts(backend).put(account.id, account)
    return render_account(backend, account, call.version)


def retrieve_account(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    return render_account(backend, get_account(backend, account), call.version)


def _external(backend: Backend, account: ConnectedAccount, external_id: str) -> BankAccount:
    found = externals(backend).get(external_id)
    if found is None or found.deleted or found.account != account.id:
        raise ResourceMissingError("external account", external_id, param="id")
    return found


def emit_external(backend: Backend, call: Call, type: str, bank_account: BankAccount) -> None:
    rendered = bank_account.render(backend)
    emit(backend, call, type, functools.partial(_as_rendered, rendered))


@saved
def _as_rendered(rendered: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    """An external account renders the same in every version (an event's renderer, kept as data for snapshots)."""
    return dict(rendered)


def create_external(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    owner = get_account(backend, account)
    token = tokens.get(backend, values["external_account"], param="external_account")
    if token.used:
        raise InvalidRequestError(f"You cannot use a Stripe token more than once: {token.id}.",
                                  param="external_account")
    token.used = True
    bank_account = token.bank_account
    bank_account.account = owner.id
    externals(backend).put(bank_account.id, bank_account)
    owner.external_accounts.append(bank_account.id)
    emit_external(backend, call, "account.external_account.created", bank_account)
    return bank_account.render(backend)


def retrieve_external(backend: Backend, call: Call, values: dict[str, Any], account: str, id: str) -> dict[str, Any]:
    return _external(backend, get_account(backend, account), id).render(backend)


def list_external(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    owner = get_account(backend, account)
    return page(externals(backend), values, url=f"/v1/accounts/{owner.id}/external_accounts", noun="external account",
                render=lambda b: b.render(backend),
                where=lambda b: b.account == owner.id and not b.deleted and values.get("object") != "card")


def delete_external(backend: Backend, call: Call, values: dict[str, Any], account: str, id: str) -> dict[str, Any]:
    found = _external(backend, get_account(backend, account), id)
    found.deleted = True
    emit_external(backend, call, "account.external_account.deleted", found)
    return {"id": found.id, "object": "bank_account", "deleted": True}


def made_from(backend: Backend, fc_account_id: str) -> list[BankAccount]:
    return [b for b in externals(backend).values()
            if b.financial_connections_account == fc_account_id and not b.deleted and b.account is not None]

declare("accounts", ConnectedAccount)
declare("external_accounts", BankAccount)
