"""Financial Connections sessions: create (every parameter of reference §1.4, version-gated), retrieve, and
rendering per API version. Completing a session is the simulated customer's job (`flow.py`)."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from emulator.core.backend import Backend, Call, shallow
from emulator.core.errors import InvalidRequestError, ResourceMissingError, missing
from emulator.core.snapshot import saved
from emulator.core.spec import UNSET, Array, Choice, Field, Hash, Integer, String, Url, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature
from emulator.resources import customers
from emulator.resources.financial_connections import accounts, authorizations
from emulator.resources.financial_connections.institutions import catalogue
from emulator.resources.payments import connect, tokens

OBJECT = "financial_connections.session"
NOUN = "financial_connections.session"
PREFIX = "fcsess"
TABLE = "financial_connections.sessions"

SUBCATEGORIES = ("checking", "credit_card", "line_of_credit", "mortgage", "savings")
EXTENDED = Feature.EXTENDED_ACCOUNT_SUBCATEGORIES
ADVANCED = Feature.ADVANCED_SESSION_CONFIG
"""`limits`, `manual_entry`, `filters[require_payment_method_support]` and `bank_account_token`: GA from
2026-07-29.dahlia (facts §6, https://docs.stripe.com/changelog/dahlia/2026-07-29/financial-connections-advanced-session-config);
on preview versions from the relink preview (2026-01-28), whose guide (the source document) sends
`limits[accounts]=1`."""
PERMISSIONS = ("balances", "ownership", "payment_method", "transactions")
RELINK_DEFAULT_SUBCATEGORIES = ["checking", "savings"]  # what the source document shows for relink sessions (§3)
PRE_ENDIVE_ACCOUNT_LIMIT = 100
HOSTED_RELINK_TAN_WINDOW = 30 * 86400
"""Hosted relink takes accounts whose TAN is expected to expire within the next 30 days (facts §8)."""
HOSTED_RELINK_REQUEST_WINDOW = 48 * 3600
"""An account that received a Stripe-hosted relink request in the past 48 hours, not yet complete, is not sent
another (facts §8, https://docs.stripe.com/financial-connections/relink/hosted)."""

ACCOUNT_HOLDER = Hash(
    {
        "type": Field(Choice(("account", "customer")), required=True),
        "account": Field(String()),
        "customer": Field(String()),
        "customer_account": Field(String()),
    },
    unsettable=True,
)
FILTERS = Hash(
    {
        "account_subcategories": Field(
            Array(Choice(SUBCATEGORIES, gated={"credit_card": EXTENDED, "line_of_credit": EXTENDED,
                                               "mortgage": EXTENDED}))
        ),
        "country": Field(String(max_length=2), feature=Feature.ENDIVE_FILTERS),
        "countries": Field(Array(String(max_length=2)), until=Feature.ENDIVE_FILTERS),
        "require_payment_method_support": Field(Choice(("all", "at_least_one", "none")), feature=ADVANCED),
        "institution": Field(String(), feature=Feature.RELINK),
    }
)
CREATE = params(
    {
        "account_holder": Field(ACCOUNT_HOLDER, required=True, optional_from=Feature.RELINK),
        "permissions": Field(Array(Choice(PERMISSIONS)), required=True),
        "filters": Field(FILTERS),
        "limits": Field(Hash({"accounts": Field(Integer(minimum=1, maximum=100, unsettable=True), required=True)}),
                        feature=ADVANCED),
        "manual_entry": Field(
            Hash({"mode": Field(Choice(("automatic", "custom", "disabled"), gated={"custom": Feature.RELINK}))}),
            feature=ADVANCED,
        ),
        "prefetch": Field(
            Array(Choice(("balances", "inferred_balances", "ownership", "transactions"),
                         gated={"inferred_balances": Feature.RELINK}))
        ),
        "return_url": Field(Url()),
        "relink_options": Field(
            Hash({"authorization": Field(String(), required=True), "account": Field(String())}),
            feature=Feature.RELINK,
        ),
        "hosted": Field(
            Hash({"delivery_method": Field(Choice(("email", "url"))), "return_url": Field(Url())}),
            feature=Feature.HOSTED_RELINK,
        ),
        "ui_mode": Field(Choice(("hosted", "modal")), feature=Feature.HOSTED_RELINK),
    }
)
RETRIEVE = params({})


@saved
@dataclass
class Session:
    id: str
    created: int
    client_secret: str
    account_holder: dict[str, Any] | None
    permissions: list[str]
    account_subcategories: list[str] | None
    country: str | None
    require_payment_method_support: str | None
    institution_filter: str | None
    limit: int | None
    manual_entry: str
    prefetch: list[str]
    return_url: str | None
    relink_options: dict[str, Any] | None
    hosted: dict[str, Any] | None
    ui_mode: str
    hosted_url: str | None
    status: str = "pending"
    cancelled_reason: str | None = None
    relink_result: dict[str, Any] | None = None
    account_ids: list[str] = field(default_factory=list)
    hosted_relink_accounts: list[str] = field(default_factory=list)
    """The accounts a Stripe-hosted relink request (`hosted[delivery_method]` email or url) was made for."""
    bank_account_token: str | None = None
    """The bank-account token `collectBankAccountToken` made from the linked account (facts §9)."""

    @property
    def relink(self) -> bool:
        return self.relink_options is not None


def _institution_filter(given: str | None) -> str | None:
    """`filters[institution]` names an institution by id (or, in the emulator, by name or alias); kept as its id."""
    if given is None:
        return None
    found = catalogue().get(given)
    if found is None:
        raise ResourceMissingError("financial_connections.institution", given, param="filters[institution]")
    return found.id


def _filters(session: Session, version: ApiVersion) -> dict[str, Any]:
    subcategories = session.account_subcategories
    if subcategories is not None and not Feature.EXTENDED_ACCOUNT_SUBCATEGORIES.gate.enabled(version):
        subcategories = [s for s in subcategories if s in ("checking", "savings")]
    rendered: dict[str, Any] = {"account_subcategories": None if subcategories is None else list(subcategories)}
    if Feature.ENDIVE_FILTERS.gate.enabled(version):
        rendered["country"] = session.country
    else:
        rendered["countries"] = None if session.country is None else [session.country]
    if session.institution_filter is not None and Feature.RELINK.gate.enabled(version):
        rendered["institution"] = session.institution_filter
    if session.require_payment_method_support is not None and ADVANCED.gate.enabled(version):
        rendered["require_payment_method_support"] = session.require_payment_method_support
    return rendered


def render(backend: Backend, session: Session, version: ApiVersion) -> dict[str, Any]:
    linked = [accounts.get(backend, account_id).render(version) for account_id in session.account_ids]
    rendered: dict[str, Any] = {
        "id": session.id,
        "object": OBJECT,
        "account_holder": copy.deepcopy(session.account_holder),
        "accounts": {"object": "list", "data": linked, "has_more": False, "url": accounts.URL},
        "client_secret": session.client_secret,
        "filters": _filters(session, version),
    }
    advanced = ADVANCED.gate.enabled(version)
    if advanced and session.bank_account_token is not None:
        rendered["bank_account_token"] = tokens.get(backend, session.bank_account_token).render(backend)
    if Feature.HOSTED_RELINK.gate.enabled(version):
        rendered["hosted"] = copy.deepcopy(session.hosted)
    if advanced and session.limit is not None:
        rendered["limits"] = {"accounts": session.limit}
    rendered["livemode"] = False
    manual_entry = session.manual_entry
    if manual_entry == "custom" and not Feature.RELINK.gate.enabled(version):
        manual_entry = "automatic"
    if advanced:
        rendered["manual_entry"] = {"mode": manual_entry}
    rendered["permissions"] = list(session.permissions)
    prefetch = [p for p in session.prefetch if p != "inferred_balances" or Feature.RELINK.gate.enabled(version)]
    rendered["prefetch"] = prefetch
    if Feature.RELINK.gate.enabled(version):
        if session.relink_options is not None:
            rendered["relink_options"] = dict(session.relink_options)
        if session.relink_result is not None:
            rendered["relink_result"] = dict(session.relink_result)
    if session.return_url is not None:
        rendered["return_url"] = session.return_url
    if Feature.RELINK.gate.enabled(version):
        rendered["status"] = session.status
        rendered["status_details"] = (
            {"cancelled": {"reason": session.cancelled_reason}} if session.cancelled_reason is not None else {}
        )
    if Feature.HOSTED_RELINK.gate.enabled(version):
        rendered["ui_mode"] = session.ui_mode
        rendered["url"] = session.hosted_url if session.status == "pending" else None
    return rendered


def table(backend: Backend) -> Table[Session]:
    return backend.store.table(TABLE)


def get(backend: Backend, session_id: str, *, param: str | None = "session") -> Session:
    found = table(backend).get(session_id)
    if found is None:
        raise ResourceMissingError(NOUN, session_id, param=param)
    return found


def snapshot_renderer(backend: Backend, session: Session) -> Any:
    # a session's lists and dicts are replaced when they change, never changed in place: a shallow copy is frozen
    frozen = backend.frozen(session.id, session, shallow)
    members = tuple(backend.frozen(account_id, accounts.get(backend, account_id), accounts.Account.snapshot)
                    for account_id in session.account_ids)
    token = None if session.bank_account_token is None else tokens.get(backend, session.bank_account_token).render(
        backend)

    return functools.partial(_render_frozen, backend, frozen, members, token)


@saved
def _render_frozen(backend: Backend, frozen: Session,
                   members: tuple[accounts.Account, ...] | dict[str, accounts.Account],
                   token: dict[str, Any] | None, version: ApiVersion) -> dict[str, Any]:
    """`members`: the session's accounts as they were, in `account_ids` order (a dict by id in snapshots saved by
    earlier releases)."""
    rendered = render(backend, frozen, version)
    shown = [members[a] for a in frozen.account_ids] if isinstance(members, dict) else members
    rendered["accounts"]["data"] = [member.render(version) for member in shown]
    if "bank_account_token" in rendered and token is not None:
        rendered["bank_account_token"] = copy.deepcopy(token)
    return rendered


def _account_holder(backend: Backend, value: dict[str, Any]) -> dict[str, Any]:
    holder_type = value["type"]
    if holder_type == "customer":
        if "customer" not in value:
            raise missing("account_holder[customer]")
        customers.get(backend, value["customer"], param="account_holder[customer]")
        return {"customer": value["customer"], "type": "customer"}
    if "account" not in value:
        raise missing("account_holder[account]")
    if not str(value["account"]).startswith("acct_"):
        raise InvalidRequestError(f"No such account: '{value['account']}'", code="resource_missing",
                                  param="account_holder[account]", http_status=404)
    return {"account": value["account"], "type": "account"}


def _relink(backend: Backend, options: dict[str, Any], holder: Any) -> tuple[dict[str, Any], Any]:
    """Validate `relink_options` (reference §1.4 table); returns the options and the account holder to use."""
    authorization = authorizations.get(backend, options["authorization"], param="relink_options[authorization]")
    if authorizations.current_status(backend, authorization) == "disconnected":
        raise InvalidRequestError(
            f"The authorization {authorization.id} is disconnected and can no longer be relinked; start a new "
            f"session without relink_options to link the account again.",
            param="relink_options[authorization]",
        )
    account_id = options.get("account")
    if account_id is not None:
        account = accounts.get(backend, account_id, param="relink_options[account]")
        if account.authorization != authorization.id:
            raise InvalidRequestError(
                f"The account {account.id} does not belong to the authorization {authorization.id}.",
                param="relink_options[account]",
            )
        if account.disconnected:
            raise InvalidRequestError(f"The account {account.id} is disconnected and cannot be relinked.",
                                      param="relink_options[account]")
        if account.inactive is not None and account.inactive["action"] == "none":
            raise InvalidRequestError(
                f"The account {account.id} cannot be repaired by relinking: status_details.inactive.action is none "
                f"(cause: {account.inactive['cause']}).",
                param="relink_options[account]",
            )
    if holder is None:  # omitted: Stripe takes the authorization's
        return {"account": account_id, "authorization": authorization.id}, authorization.account_holder
    if holder is not UNSET and holder != authorization.account_holder:
        raise InvalidRequestError(
            "account_holder must match the account holder of the authorization being relinked (or be omitted).",
            param="account_holder",
        )
    return {"account": account_id, "authorization": authorization.id}, holder


def _needs_repair(account: accounts.Account, now: int) -> bool:
    """Eligible for hosted relink (facts §8): inactive and repairable, or a TAN that has expired or is expected to
    expire within the next 30 days. A TAN still `pending` at the bank is not something a relink repairs."""
    if account.disconnected:
        return False
    if account.inactive is not None:
        return account.inactive["action"] != "none"
    tan = account.tan
    if tan is None or tan.status == "pending":
        return False
    return tan.status != "transactable" or (tan.expected_expiry_date is not None
                                            and tan.expected_expiry_date <= now + HOSTED_RELINK_TAN_WINDOW)


def _open_hosted_requests(backend: Backend, now: int) -> dict[str, str]:
    """Account id → the session of its open Stripe-hosted relink request (pending, made in the past 48 hours)."""
    found: dict[str, str] = {}
    for other in table(backend).values():
        if other.status == "pending" and other.created > now - HOSTED_RELINK_REQUEST_WINDOW:
            for account_id in other.hosted_relink_accounts:
                found.setdefault(account_id, other.id)
    return found


def _email_of(backend: Backend, holder: dict[str, Any] | None) -> str | None:
    if holder is None:
        return None
    if holder.get("type") == "customer":
        found = customers.table(backend).get(holder["customer"])
        return None if found is None or found.deleted else found.email
    connected = connect.accounts(backend).get(str(holder.get("account")))
    return None if connected is None else connected.email


def _hosted_relink_accounts(backend: Backend, options: dict[str, Any], holder: dict[str, Any] | None,
                            delivery: str) -> list[str]:
    """The accounts a Stripe-hosted relink request goes to, or why none may (facts §8): each must be inactive or have
    a TAN expiring within 30 days, must not have an open request from the past 48 hours, and `email` delivery needs
    the account holder's email address."""
    now = backend.clock.timestamp()
    if options["account"] is not None:
        param = "relink_options[account]"
        candidates = [accounts.get(backend, options["account"], param=param)]
    else:
        param = "relink_options[authorization]"
        candidates = accounts.of_authorization(backend, options["authorization"])
    eligible = [a for a in candidates if _needs_repair(a, now)]
    if not eligible:
        named = candidates[0].id if len(candidates) == 1 else f"the accounts of {options['authorization']}"
        raise InvalidRequestError(
            f"{named} cannot be sent a Stripe-hosted relink request: only accounts that are inactive (and repairable), "
            f"or whose tokenized account number expires within the next 30 days, are eligible for hosted relink.",
            param=param,
        )
    open_requests = _open_hosted_requests(backend, now)
    fresh = [a for a in eligible if a.id not in open_requests]
    if not fresh:
        raise InvalidRequestError(
            f"{eligible[0].id} already received a Stripe-hosted relink request in the past 48 hours "
            f"({open_requests[eligible[0].id]}) that is not complete yet.",
            param=param,
        )
    if delivery == "email" and not _email_of(backend, holder):
        raise InvalidRequestError(
            "hosted[delivery_method]=email needs an email address: the account holder (a Customer, or a connected "
            "Account) has none. Set the email, or use hosted[delivery_method]=url.",
            param="hosted[delivery_method]",
        )
    return [a.id for a in fresh]


def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    version = call.version
    endive = Feature.ENDIVE_SESSION_DEFAULTS.gate.enabled(version)
    raw_holder = values.get("account_holder")  # None: omitted; UNSET: sent as "" (null, §3.1)
    given: Any = raw_holder if raw_holder is None or raw_holder is UNSET else _account_holder(backend, raw_holder)
    relink_options = None
    holder: dict[str, Any] | None
    if "relink_options" in values:
        relink_options, chosen = _relink(backend, values["relink_options"], given)
        holder = None if chosen is UNSET else chosen
    else:
        holder = None if given is UNSET else given
    hosted = values.get("hosted")
    ui_mode = values.get("ui_mode", "modal")
    if hosted is not None and hosted.get("delivery_method") in ("email", "url") and relink_options is None:
        raise InvalidRequestError("hosted[delivery_method] can only be used together with relink_options.",
                                  param="hosted[delivery_method]")
    if ui_mode == "hosted" and (hosted is None or "return_url" not in hosted):
        raise missing("hosted[return_url]")
    hosted_relink: list[str] = []
    if hosted is not None and relink_options is not None and hosted.get("delivery_method") in ("email", "url"):
        hosted_relink = _hosted_relink_accounts(backend, relink_options, holder, hosted["delivery_method"])
    filters = values.get("filters", {})
    subcategories = filters.get("account_subcategories")
    if subcategories is None:
        if relink_options is not None:
            subcategories = list(RELINK_DEFAULT_SUBCATEGORIES)
        elif endive:
            subcategories = list(SUBCATEGORIES)
    countries = filters.get("countries") or []
    limit = values.get("limits", {}).get("accounts")
    if limit is None or limit is UNSET:
        if relink_options is not None and limit is None:
            limit = 1
        elif limit is UNSET or endive:
            limit = None
        else:
            limit = PRE_ENDIVE_ACCOUNT_LIMIT
    session_id = backend.ids.new(PREFIX)
    session = Session(
        id=session_id,
        created=backend.clock.timestamp(),
        client_secret=f"fcsess_client_secret_{backend.ids.token()}",
        account_holder=holder,
        permissions=list(dict.fromkeys(values["permissions"])),
        account_subcategories=subcategories,
        country=filters.get("country") or (countries[0] if countries else None),
        require_payment_method_support=filters.get("require_payment_method_support", "none" if endive else None),
        institution_filter=_institution_filter(filters.get("institution")),
        limit=limit,
        manual_entry=values.get("manual_entry", {}).get("mode", "disabled" if endive else "automatic"),
        prefetch=list(values.get("prefetch", [])),
        return_url=values.get("return_url"),
        relink_options=relink_options,
        hosted=None if hosted is None else {"delivery_method": hosted.get("delivery_method"),
                                            "return_url": hosted.get("return_url")},
        ui_mode=ui_mode,
        hosted_url=(f"{call.base_url}/hosted/financial_connections/{session_id}?key=pk_test_{backend.namespace}"
                    if ui_mode == "hosted" else None),
        hosted_relink_accounts=hosted_relink,
    )
    if session.hosted is not None and session.hosted["delivery_method"] is None:
        del session.hosted["delivery_method"]
    table(backend).put(session.id, session)
    return render(backend, session, version)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return render(backend, get(backend, id), call.version)

declare(TABLE, Session)
