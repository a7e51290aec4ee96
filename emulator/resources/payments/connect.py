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
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.snapshot import saved
from emulator.core.spec import (
    UNSET,
    Boolean,
    Choice,
    Email,
    Field,
    Hash,
    Integer,
    Metadata,
    Range,
    String,
    StringOrHash,
    apply_metadata,
    params,
)
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion
from emulator.resources import shapes
from emulator.resources.payments import tokens
from emulator.resources.payments.tokens import BankAccount
from emulator.resources.request_params import ExternalAccountObject, Unemulated, stored

CAPABILITIES = ("acss_debit_payments", "bank_transfer_payments", "card_issuing", "card_payments", "link_payments",
                "tax_reporting_us_1099_k", "tax_reporting_us_1099_misc", "transfers", "treasury",
                "us_bank_account_ach_payments", "us_bank_transfer_payments")
"""The capabilities a connected account can request here (Stripe's names; the ones US payouts and debits use)."""
STARTING_BALANCE = 1_000_000
"""A connected account's available balance (usd cents) when created: the emulator's rule, so payouts can be tested
without moving money in first (Stripe's test mode tops up with special card numbers the emulator does not have).
Payouts take from it; a failed or canceled payout gives its amount back."""
BANK_DETAILS = Hash(
    {
        "object": Field(ExternalAccountObject(), required=True),
        "country": Field(String(max_length=2), required=True),
        "currency": Field(String(max_length=3)),
        "account_number": Field(String(max_length=17), required=True),
        "routing_number": Field(String(max_length=9)),
        "account_holder_name": Field(String()),
        "account_holder_type": Field(Choice(("company", "individual"))),
        "default_for_currency": Field(Boolean()),
        "metadata": Field(Metadata()),
        # a debit card as an external account (Stripe's card details or card token): not emulated
        **{key: Field(Unemulated(kind="card")) for key in (
            "address_city", "address_country", "address_line1", "address_line2", "address_state", "address_zip",
            "cvc", "exp_month", "exp_year", "name", "number", "token")},
    }
)
EXTERNAL_ACCOUNT = StringOrHash(String(), BANK_DETAILS)
_ACCOUNT_FIELDS = {
    "email": Field(Email(unsettable=True)),
    "metadata": Field(Metadata()),
    "business_type": Field(Choice(("company", "government_entity", "individual", "non_profit"))),
    "business_profile": Field(Hash({key: Field(String(unsettable=True)) for key in (
        "mcc", "name", "product_description", "support_email", "support_phone", "support_url", "url")})),
    "capabilities": Field(Hash({name: Field(Hash({"requested": Field(Boolean())})) for name in CAPABILITIES})),
    "tos_acceptance": Field(Hash({"date": Field(Integer(minimum=0)), "ip": Field(String()),
                                  "user_agent": Field(String()),
                                  "service_agreement": Field(Choice(("full", "recipient")))})),
    "default_currency": Field(String(max_length=3)),
    "external_account": Field(EXTERNAL_ACCOUNT),
}
CREATE_ACCOUNT = params(
    {
        "type": Field(Choice(("custom", "express", "standard"))),
        "country": Field(String(max_length=2)),
        **_ACCOUNT_FIELDS,
    }
)
UPDATE_ACCOUNT = params(_ACCOUNT_FIELDS)
LIST_ACCOUNTS = params({**LIST_FIELDS, "created": Field(Range())})
DELETE_ACCOUNT = params({}, expand=False)
RETRIEVE = params({})
CREATE_EXTERNAL = params({"external_account": Field(EXTERNAL_ACCOUNT, required=True), "metadata": Field(Metadata()),
                          "default_for_currency": Field(Boolean())})
UPDATE_EXTERNAL = params({"metadata": Field(Metadata()), "default_for_currency": Field(Boolean()),
                          "account_holder_name": Field(String(unsettable=True)),
                          "account_holder_type": Field(Choice(("company", "individual"), unsettable=True))})
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
    business_type: str | None = None
    business_profile: dict[str, Any] = field(default_factory=dict)
    capabilities: list[str] = field(default_factory=list)
    """The requested capabilities: `active` at once (test mode, the emulator's rule)."""
    tos_acceptance: dict[str, Any] = field(default_factory=dict)
    default_currency: str = "usd"
    available: int = STARTING_BALANCE
    deleted: bool = False
    company: dict[str, Any] = field(default_factory=dict)
    individual: dict[str, Any] = field(default_factory=dict)
    individual_id: str | None = None
    individual_created: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    controller: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    """`company`, `individual`, `settings`, `controller` and `groups` as sent (merged across updates), rendered in
    the shapes Stripe's SDK declares (emulator/resources/shapes.py). Nothing is verified: requirements stay empty."""


def accounts(backend: Backend) -> Table[ConnectedAccount]:
    return backend.store.table("accounts")


def externals(backend: Backend) -> Table[BankAccount]:
    return backend.store.table("external_accounts")


def get_account(backend: Backend, account_id: str, *, param: str | None = "account") -> ConnectedAccount:
    found = accounts(backend).get(account_id)
    if found is None or found.deleted:
        raise ResourceMissingError("account", account_id, param=param)
    return found


def live_externals(backend: Backend, account: ConnectedAccount) -> list[BankAccount]:
    found = [externals(backend).get(i) for i in account.external_accounts]
    return [b for b in found if b is not None and not b.deleted]


def default_external(backend: Backend, account: ConnectedAccount) -> BankAccount | None:
    live = live_externals(backend, account)
    chosen = [b for b in live if b.default_for_currency]
    return chosen[0] if chosen else (live[0] if live else None)


SETTINGS_DEFAULTS: dict[str, Any] = {
    "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": False}},
    "dashboard": {"timezone": "Etc/UTC"},
    "payouts": {"debit_negative_balances": True, "schedule": {"delay_days": 2, "interval": "daily"}},
}
"""A new account's settings where nothing was sent (Stripe's defaults for a US account)."""
CONTROLLER_DEFAULTS: dict[str, Any] = {"is_controller": True, "type": "application"}
"""The platform (this API key) made the account: it is its controller."""
COMPANY_TYPES = ("company", "government_entity", "non_profit")


def _individual(account: ConnectedAccount, preview: bool) -> dict[str, Any] | None:
    if not account.individual and account.business_type != "individual":
        return None
    person = shapes.build("person", account.individual, preview=preview)
    person.update({"id": account.individual_id, "object": "person", "account": account.id,
                   "created": account.individual_created or account.created})
    return person


def render_account(backend: Backend, account: ConnectedAccount, version: ApiVersion) -> dict[str, Any]:
    live = [b.render(backend) for b in reversed(live_externals(backend, account))]
    company = account.company if account.company or account.business_type in COMPANY_TYPES else None
    preview = version.is_preview
    return {
        "id": account.id,
        "object": "account",
        "business_profile": shapes.build("account.business_profile", account.business_profile, preview=preview),
        "business_type": account.business_type,
        "company": None if company is None else shapes.build("account.company", company, preview=preview),
        "controller": shapes.build("account.controller", account.controller, CONTROLLER_DEFAULTS, preview=preview),
        "groups": shapes.build("account.groups", account.groups, preview=preview) if account.groups else None,
        "individual": _individual(account, preview),
        "settings": shapes.build("account.settings", account.settings,
                                 {**SETTINGS_DEFAULTS, "dashboard": {"display_name": account.business_profile.get(
                                     "name"), "timezone": "Etc/UTC"}}, preview=preview),
        "capabilities": {name: "active" for name in account.capabilities},
        "charges_enabled": "card_payments" in account.capabilities or bool(live),
        "country": account.country,
        "created": account.created,
        "default_currency": account.default_currency,
        "details_submitted": bool(account.tos_acceptance),
        "email": account.email,
        "external_accounts": {"object": "list", "data": live, "has_more": False,
                              "url": f"/v1/accounts/{account.id}/external_accounts"},
        "metadata": dict(account.metadata),
        "payouts_enabled": bool(live),
        "requirements": {"alternatives": [], "current_deadline": None, "currently_due": [], "disabled_reason": None,
                         "errors": [], "eventually_due": [], "past_due": [], "pending_verification": []},
        "tos_acceptance": {"date": account.tos_acceptance.get("date"), "ip": account.tos_acceptance.get("ip"),
                           "user_agent": account.tos_acceptance.get("user_agent")},
        "type": account.type,
    }


def lookup_account(backend: Backend, account_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = accounts(backend).get(account_id)
    return None if found is None or found.deleted else render_account(backend, found, version)


def _new_external(backend: Backend, value: Any) -> BankAccount:
    """An external bank account from `external_account`: a bank-account token (once) or bank details."""
    if isinstance(value, dict):
        return tokens.from_details(backend, {"currency": "usd", **value}, "external_account")
    token = tokens.get(backend, value, param="external_account")
    if token.used:
        raise InvalidRequestError(f"You cannot use a Stripe token more than once: {token.id}.",
                                  param="external_account")
    if token.bank_account is None:
        raise InvalidRequestError(f"The token {token.id} is a {token.type} token, not a bank account token.",
                                  param="external_account")
    return token.bank_account


def _attach_external(backend: Backend, call: Call, owner: ConnectedAccount, value: Any,
                     values: dict[str, Any]) -> BankAccount:
    bank_account = _new_external(backend, value)
    if not isinstance(value, dict):
        tokens.get(backend, value).used = True
    else:  # `external_account[metadata]` and `[default_for_currency]` inside the details
        values = {**{key: value[key] for key in ("metadata", "default_for_currency") if key in value}, **values}
    bank_account.account = owner.id
    bank_account.metadata = apply_metadata({}, values.get("metadata", {}))
    if values.get("default_for_currency") or not live_externals(backend, owner):
        for other in live_externals(backend, owner):
            other.default_for_currency = False
        bank_account.default_for_currency = True
    externals(backend).put(bank_account.id, bank_account)
    owner.external_accounts.append(bank_account.id)
    emit_external(backend, call, "account.external_account.created", bank_account)
    return bank_account


def _assign(account: ConnectedAccount, values: dict[str, Any]) -> None:
    if "email" in values:
        account.email = None if values["email"] is UNSET else values["email"]
    if "metadata" in values:
        account.metadata = apply_metadata(account.metadata, values["metadata"])
    if "business_type" in values:
        account.business_type = values["business_type"]
    if "business_profile" in values:
        account.business_profile = shapes.merge(account.business_profile, stored(values["business_profile"]))
    for key in ("company", "individual", "settings", "controller", "groups"):
        if key in values:
            setattr(account, key, shapes.merge(getattr(account, key), stored(values[key]) or {}))
    for name, wanted in (values.get("capabilities") or {}).items():
        if wanted.get("requested") and name not in account.capabilities:
            account.capabilities.append(name)
        elif wanted.get("requested") is False and name in account.capabilities:
            account.capabilities.remove(name)
    if "tos_acceptance" in values:
        account.tos_acceptance.update(values["tos_acceptance"])
    if "default_currency" in values:
        if values["default_currency"].lower() != "usd":
            raise InvalidRequestError("The emulator's connected accounts are US accounts: default_currency is usd.",
                                      param="default_currency")
        account.default_currency = "usd"


def _with_token(backend: Backend, values: dict[str, Any]) -> dict[str, Any]:
    """`account_token`: the account details an account token carries, under what the request itself sends."""
    token_id = values.get("account_token")
    if token_id is None:
        return values
    token = tokens.get(backend, token_id, param="account_token")
    if token.type != "account":
        raise InvalidRequestError(f"The token {token.id} is a {token.type} token, not an account token.",
                                  param="account_token")
    if token.used:
        raise InvalidRequestError(f"You cannot use a Stripe token more than once: {token.id}.", param="account_token")
    details = dict(token.details)
    carried: dict[str, Any] = {key: details[key] for key in ("business_type", "company", "individual")
                               if details.get(key) is not None}
    if details.get("tos_shown_and_accepted"):
        carried["tos_acceptance"] = {"date": backend.clock.timestamp()}
    return {**carried, **values}


def _use_token(backend: Backend, values: dict[str, Any]) -> None:
    """Once the account took the token's details: a token is used once."""
    if values.get("account_token") is not None:
        tokens.get(backend, values["account_token"]).used = True


def _person(backend: Backend, account: ConnectedAccount) -> None:
    """The account's individual is a person object: it gets its id when it is first given."""
    if (account.individual or account.business_type == "individual") and account.individual_id is None:
        account.individual_id = backend.ids.new("person")
        account.individual_created = backend.clock.timestamp()


def create_account(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    if "external_account" in values:
        _new_external(backend, values["external_account"])  # refused before the account exists
    values = _with_token(backend, values)
    account = ConnectedAccount(id=backend.ids.new("acct", 16), created=backend.clock.timestamp(),
                               type=values.get("type", "custom"), country=values.get("country", "US").upper(),
                               email=None)
    _assign(account, values)
    _person(backend, account)
    _use_token(backend, values)
    accounts(backend).put(account.id, account)
    if "external_account" in values:
        _attach_external(backend, call, account, values["external_account"], {})
    return render_account(backend, account, call.version)


def update_account(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    owner = get_account(backend, account)
    if "external_account" in values:
        _new_external(backend, values["external_account"])  # refused before anything changes
    values = _with_token(backend, values)
    _assign(owner, values)
    _person(backend, owner)
    _use_token(backend, values)
    if "external_account" in values:  # replaces the account's bank accounts, as Stripe's update does
        for old in live_externals(backend, owner):
            old.deleted = True
            emit_external(backend, call, "account.external_account.deleted", old)
        _attach_external(backend, call, owner, values["external_account"], {"default_for_currency": True})
    rendered = render_account(backend, owner, call.version)
    emit(backend, call, "account.updated", functools.partial(_as_rendered, rendered))
    return rendered


def retrieve_account(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    return render_account(backend, get_account(backend, account), call.version)


def list_accounts(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    created = created_filter(values["created"]) if "created" in values else None
    return page(accounts(backend), values, url="/v1/accounts", noun="account",
                render=lambda a: render_account(backend, a, call.version),
                where=lambda a: not a.deleted and (created is None or created(a.created)))


def delete_account(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    owner = get_account(backend, account)
    owner.deleted = True
    return {"id": owner.id, "object": "account", "deleted": True}


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
    return _attach_external(backend, call, owner, values["external_account"], values).render(backend)


def update_external(backend: Backend, call: Call, values: dict[str, Any], account: str, id: str) -> dict[str, Any]:
    owner = get_account(backend, account)
    found = _external(backend, owner, id)
    if "metadata" in values:
        found.metadata = apply_metadata(found.metadata, values["metadata"])
    for key in ("account_holder_name", "account_holder_type", "account_type"):
        if key in values:
            setattr(found, key, None if values[key] is UNSET else values[key])
    if values.get("default_for_currency"):
        for other in live_externals(backend, owner):
            other.default_for_currency = other.id == found.id
    emit_external(backend, call, "account.external_account.updated", found)
    return found.render(backend)


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
