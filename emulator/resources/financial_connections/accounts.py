"""Financial Connections accounts: the facts kept about each linked account, their rendering per API version,
and the account endpoints (retrieve, list, disconnect, subscribe, unsubscribe).

Status is derived, never stored: `disconnected` if disconnected, `inactive` if the account carries an inactivity
fact `{cause, action}`, else `active`. Refreshes live in `refresh.py`; the bank's side (deactivation, TANs) in
`bank.py`; the customer's side (linking, relinking) in `flow.py`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from emulator.core import messages
from emulator.core.backend import Backend, Call, emit, shallow
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.form import copy_data
from emulator.core.listing import LIST_FIELDS, page
from emulator.core.snapshot import saved
from emulator.core.spec import Array, Choice, Field, Hash, String, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature

OBJECT = "financial_connections.account"
NOUN = "financial_connections.account"
PREFIX = "fca"
TABLE = "financial_connections.accounts"
URL = "/v1/financial_connections/accounts"

GA_SUBSCRIPTIONS = ("transactions",)
PREVIEW_SUBSCRIPTIONS = ("balance", "inferred_balances", "transactions")

RETRIEVE = params({})
LIST = params(
    {
        **LIST_FIELDS,
        "account_holder": Field(
            Hash({"account": Field(String()), "customer": Field(String()), "customer_account": Field(String())})
        ),
        "session": Field(String()),
    }
)
DISCONNECT = params({})
_SUBSCRIPTION_FEATURES = Field(
    Array(Choice(PREVIEW_SUBSCRIPTIONS, gated={"balance": Feature.RELINK, "inferred_balances": Feature.RELINK})),
    required=True,
)
SUBSCRIBE = params({"features": _SUBSCRIPTION_FEATURES})
UNSUBSCRIBE = params({"features": _SUBSCRIPTION_FEATURES})


@saved
@dataclass(frozen=True)
class AccountNumber:
    """Immutable: a change is a new one in its account's `numbers` (`Account.change_tan`), so the frozen copies
    events keep share the numbers with the live account."""

    identifier_type: str  # account_number | tokenized_account_number
    status: str  # transactable | deactivated | pending | expired
    expected_expiry_date: int | None = None
    last4: str | None = None
    """A TAN's own last four digits (every new TAN has new ones); None for the real account number."""
    routing_number: str | None = None
    """A re-issued TAN's own routing number (a new TAN is a new account and routing number); None: the account's."""

    @property
    def tokenized(self) -> bool:
        return self.identifier_type == "tokenized_account_number"

    def render(self, version: ApiVersion) -> dict[str, Any]:
        status = self.status
        if status in ("pending", "expired") and not Feature.TAN_PENDING_EXPIRED.gate.enabled(version):
            status = "deactivated"  # before endive these were not told apart
        return {
            "expected_expiry_date": self.expected_expiry_date,
            "identifier_type": self.identifier_type,
            "status": status,
            "supported_networks": ["ach"],
        }


@saved
@dataclass
class Refresh:
    status: str  # pending | succeeded | failed
    last_attempted_at: int
    next_refresh_available_at: int | None
    id: str | None = None  # transaction refreshes carry an id
    plan: dict[str, str] | None = None
    """What the test helper `next_refresh` decided this refresh ends in (never rendered)."""

    def render(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "last_attempted_at": self.last_attempted_at,
            "next_refresh_available_at": self.next_refresh_available_at,
            "status": self.status,
        }
        if self.id is not None:
            rendered = {"id": self.id, **rendered}
        return rendered


@saved
@dataclass
class Account:
    id: str
    created: int
    authorization: str
    institution: str
    institution_name: str
    catalogue_key: str
    display_name: str
    category: str
    subcategory: str
    last4: str
    routing_number: str
    account_holder: dict[str, Any] | None
    permissions: list[str]
    supported_payment_method_types: list[str]
    numbers: list[AccountNumber] | None
    balance_amount: int
    sessions: list[str] = field(default_factory=list)
    balance: dict[str, Any] | None = None
    balance_refresh: Refresh | None = None
    ownership: str | None = None
    ownership_refresh: Refresh | None = None
    transaction_refresh: Refresh | None = None
    inferred_balances_refresh: Refresh | None = None
    transactions_refreshed: bool = False
    """A transaction refresh has succeeded at least once: before it, listing transactions is an error."""
    next_refresh: dict[str, str] | None = None
    """The outcome the next refresh request ends in, set by the `next_refresh` test helper."""
    subscriptions: list[str] = field(default_factory=list)
    disconnected: bool = False
    inactive: dict[str, str] | None = None
    """The inactivity fact: {cause, action}."""
    upcoming: dict[str, Any] | None = None
    """A scheduled deactivation: {action, cause, expected_deactivation_date}."""

    @property
    def status(self) -> str:
        if self.disconnected:
            return "disconnected"
        return "inactive" if self.inactive is not None else "active"

    @property
    def number_last4(self) -> str:
        """The last four digits of the number payments use: the TAN's, or the account's own."""
        tan = self.tan
        return tan.last4 if tan is not None and tan.last4 else self.last4

    @property
    def number_routing(self) -> str:
        """The routing number that goes with the number payments use."""
        tan = self.tan
        return tan.routing_number if tan is not None and tan.routing_number else self.routing_number

    @property
    def tan(self) -> AccountNumber | None:
        for number in self.numbers or []:
            if number.tokenized:
                return number
        return None

    def change_tan(self, **changes: Any) -> AccountNumber:
        """Put a TAN with `changes` in place of the account's TAN (which must exist) and return it."""
        tan = self.tan
        if tan is None:
            raise ValueError(f"{self.id} has no tokenized account number")
        changed = dataclasses.replace(tan, **changes)
        self.numbers = [changed if number is tan else number for number in self.numbers or []]
        return changed

    def status_details(self, version: ApiVersion) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.upcoming is not None and self.status == "active" and Feature.UPCOMING_DEACTIVATIONS.gate.enabled(
            version
        ):
            details["active"] = dict(self.upcoming)
        if self.inactive is not None and self.status == "inactive" and Feature.RELINK.gate.enabled(version):
            details["inactive"] = dict(self.inactive)
        return details

    @saved
    def render(self, version: ApiVersion) -> dict[str, Any]:
        relink = Feature.RELINK.gate.enabled(version)
        rendered: dict[str, Any] = {
            "id": self.id,
            "object": OBJECT,
            "account_holder": copy_data(self.account_holder),
        }
        if Feature.TOKENIZED_ACCOUNT_NUMBERS.gate.enabled(version):
            rendered["account_numbers"] = (
                None if self.numbers is None or "payment_method" not in self.permissions
                else [number.render(version) for number in self.numbers]
            )
        if relink:
            rendered["authorization"] = self.authorization
        rendered.update(
            {
                "balance": copy_data(self.balance),
                "balance_refresh": None if self.balance_refresh is None else self.balance_refresh.render(),
                "category": self.category,
                "created": self.created,
                "display_name": self.display_name,
            }
        )
        if relink:
            rendered["inferred_balances_refresh"] = (
                None if self.inferred_balances_refresh is None else self.inferred_balances_refresh.render()
            )
            rendered["institution"] = self.institution
        allowed_subscriptions = PREVIEW_SUBSCRIPTIONS if relink else GA_SUBSCRIPTIONS
        rendered.update(
            {
                "institution_name": self.institution_name,
                "last4": self.last4,
                "livemode": False,
                "ownership": self.ownership,
                "ownership_refresh": None if self.ownership_refresh is None else self.ownership_refresh.render(),
                "permissions": list(self.permissions),
                "status": self.status,
            }
        )
        if relink or Feature.UPCOMING_DEACTIVATIONS.gate.enabled(version):
            rendered["status_details"] = self.status_details(version)
        rendered.update(
            {
                "subcategory": self.subcategory,
                "subscriptions": [s for s in self.subscriptions if s in allowed_subscriptions],
                "supported_payment_method_types": list(self.supported_payment_method_types),
                "transaction_refresh": None if self.transaction_refresh is None else self.transaction_refresh.render(),
            }
        )
        return rendered

    def snapshot(self) -> Account:
        """A copy no later change reaches (what an event renders). An account's lists and dicts are replaced when
        they change, never changed in place, and its account numbers are immutable, so the copy shares them all. The
        state machine holds that no event ever changes."""
        return shallow(self)

    def status_attributes(self, version: ApiVersion) -> dict[str, Any]:
        """The attributes a (de/re)activation changes, as `previous_attributes` shows them."""
        rendered = self.render(version)
        return {key: rendered[key] for key in ("status", "status_details") if key in rendered}


def table(backend: Backend) -> Table[Account]:
    return backend.store.table(TABLE)


def get(backend: Backend, account_id: str, *, param: str | None = "account") -> Account:
    account = table(backend).get(account_id)
    if account is None:
        raise ResourceMissingError(NOUN, account_id, param=param)
    return account


def of_authorization(backend: Backend, authorization_id: str) -> list[Account]:
    return [account for account in table(backend).values() if account.authorization == authorization_id]


def emit_account(
    backend: Backend, call: Call, type: str, account: Account, previous: dict[str, Any] | None = None
) -> None:
    emit(backend, call, type, backend.frozen(account.id, account, Account.snapshot).render, previous)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return get(backend, id).render(call.version)


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    holder = values.get("account_holder") or {}
    if "account" in holder and "customer" in holder:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params="account_holder[account], account_holder[customer]"),
            code="parameters_exclusive",
            param="account_holder",
        )
    session = values.get("session")

    def where(account: Account) -> bool:
        mine = account.account_holder or {}
        for key in ("account", "customer", "customer_account"):
            if key in holder and mine.get(key) != holder[key]:
                return False
        return session is None or session in account.sessions

    return page(table(backend), values, url=URL, noun=NOUN, render=lambda a: a.render(call.version), where=where)


def disconnect(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    account = get(backend, id)
    if not account.disconnected:
        account.disconnected = True
        account.subscriptions = []
        emit_account(backend, call, "financial_connections.account.disconnected", account)
    return account.render(call.version)


def _require_usable(account: Account) -> None:
    if account.status != "active":
        raise InvalidRequestError(
            f"The Financial Connections account {account.id} is {account.status}; it cannot be refreshed or "
            f"subscribed to until it is relinked.",
            code="financial_connections_account_inactive",
        )


def subscribe(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    account = get(backend, id)
    _require_usable(account)
    for feature in values["features"]:
        if feature not in account.subscriptions:
            account.subscriptions = [*account.subscriptions, feature]  # replaced, never changed in place
    return account.render(call.version)


def unsubscribe(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    account = get(backend, id)
    account.subscriptions = [s for s in account.subscriptions if s not in values["features"]]
    return account.render(call.version)

declare(TABLE, Account)
