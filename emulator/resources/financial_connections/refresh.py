"""Account data: balances, ownership (owners), transactions and inferred balances, fetched by `prefetch` at link
time or by `POST /v1/financial_connections/accounts/:account/refresh`. A refresh is `pending` until the namespace
clock has moved `REFRESH_SECONDS` on, then `succeeded` (or `failed` when the account went inactive or the bank is
down) with its `financial_connections.account.refreshed_*` event. The test helper
`POST /v1/test_helpers/financial_connections/accounts/:account/next_refresh` decides how the account's next refresh
request ends: `succeeded`, `failed`, or `deactivates` — the refresh finds the connection broken (facts §7,
https://docs.stripe.com/financial-connections/webhooks): it fails and the account (for a login-wide cause, every
account of the authorization) goes inactive with `financial_connections.account.deactivated`, sent before the
`refreshed_*` event. Listing transactions before any transaction refresh succeeded is
`financial_connections_no_successful_transaction_refresh` (https://docs.stripe.com/error-codes). Generated values
(owner names, transaction descriptions and amounts) come from Faker seeded with the emulator seed, the namespace and
the account id."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.core.backend import Backend, Call
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.snapshot import saved
from emulator.core.spec import Array, Choice, Field, Hash, Range, String, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature
from emulator.resources.financial_connections import accounts, bank
from emulator.resources.financial_connections.accounts import Account, Refresh
from emulator.resources.financial_connections.institutions import catalogue

if TYPE_CHECKING:
    from faker import Faker

REFRESH_SECONDS = 5
NEXT_REFRESH_SECONDS = 60
DAY = 24 * 60 * 60

FEATURE_PERMISSION = {"balance": "balances", "ownership": "ownership", "transactions": "transactions",
                      "inferred_balances": "balances"}
EVENTS = {"balance": "refreshed_balance", "ownership": "refreshed_ownership", "transactions": "refreshed_transactions",
          "inferred_balances": "refreshed_inferred_balances"}
PREFETCH_FEATURE = {"balances": "balance", "ownership": "ownership", "transactions": "transactions",
                    "inferred_balances": "inferred_balances"}

REFRESH = params(
    {"features": Field(Array(Choice(("balance", "inferred_balances", "ownership", "transactions"),
                                    gated={"inferred_balances": Feature.RELINK})), required=True)}
)
OWNERS = params({**LIST_FIELDS, "ownership": Field(String(), required=True)})
INFERRED_BALANCES = params(dict(LIST_FIELDS))
TRANSACTIONS = params(
    {
        **LIST_FIELDS,
        "account": Field(String(), required=True),
        "transacted_at": Field(Range()),
        "transaction_refresh": Field(Hash({"after": Field(String(), required=True)})),
    }
)
TRANSACTION = params({})
NEXT_REFRESH = params(
    {
        "outcome": Field(Choice(("succeeded", "failed", "deactivates")), required=True),
        "cause": Field(Choice(bank.CAUSES)),
        "action": Field(Choice(("none", "relink_required"))),
    }
)


@saved
@dataclass
class Ownership:
    id: str
    created: int
    account: str
    owners: list[dict[str, Any]] = field(default_factory=list)


@saved
@dataclass
class Transaction:
    id: str
    account: str
    amount: int
    description: str
    status: str
    transacted_at: int
    posted_at: int | None
    void_at: int | None
    transaction_refresh: str
    updated: int

    def render(self, version: ApiVersion | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "financial_connections.transaction",
            "account": self.account,
            "amount": self.amount,
            "currency": "usd",
            "description": self.description,
            "livemode": False,
            "status": self.status,
            "status_transitions": {"posted_at": self.posted_at, "void_at": self.void_at},
            "transacted_at": self.transacted_at,
            "transaction_refresh": self.transaction_refresh,
            "updated": self.updated,
        }


def _faker(backend: Backend, account: Account, purpose: str) -> Faker:
    from faker import Faker  # imported when first needed: Faker's import is a fifth of the emulator's start-up

    fake = Faker("en_US")
    fake.seed_instance(f"{backend.seed}:{backend.namespace}:{account.id}:{purpose}" if backend.seed is not None
                       else None)
    return fake


def ownerships(backend: Backend) -> Table[Ownership]:
    return backend.store.table("financial_connections.account_ownerships")


def transactions(backend: Backend) -> Table[Transaction]:
    return backend.store.table("financial_connections.transactions")


def refresh_ids(backend: Backend) -> Table[str]:
    """Transaction refresh ids in the order they happened (for `transaction_refresh[after]`)."""
    return backend.store.table("financial_connections.transaction_refreshes")


def _new_refresh_id(backend: Backend) -> str:
    refresh_id = backend.ids.new("fctxnref")
    refresh_ids(backend).put(refresh_id, refresh_id)
    return refresh_id


# -- fetching data -------------------------------------------------------------------------------------------------

def _fetch(backend: Backend, account: Account, feature: str, now: int) -> None:
    if feature == "balance":
        amount = account.balance_amount
        balance: dict[str, Any] = {"as_of": now, "current": {"usd": amount},
                                   "type": "cash" if account.category == "cash" else "credit"}
        if balance["type"] == "cash":
            balance["cash"] = {"available": {"usd": amount}}
        else:
            balance["credit"] = {"used": {"usd": -amount}}
        account.balance = balance
    elif feature == "ownership":
        ownership = Ownership(id=backend.ids.new("fcaowns"), created=now, account=account.id)
        entry = catalogue().entry(account.institution, account.catalogue_key)
        people = list(entry.owners) if entry is not None and entry.owners is not None else None
        if people is None:
            fake = _faker(backend, account, "owners")
            people = [{"name": fake.name(), "email": fake.email(), "phone": None, "raw_address": fake.address()
                       .replace("\n", ", ")}]
        ownership.owners = [{"id": backend.ids.new("fcaown"), **person} for person in people]
        ownerships(backend).put(ownership.id, ownership)
        account.ownership = ownership.id
    elif feature == "transactions":
        account.transactions_refreshed = True
        refresh_id = account.transaction_refresh.id if account.transaction_refresh else _new_refresh_id(backend)
        assert refresh_id is not None
        entry = catalogue().entry(account.institution, account.catalogue_key)
        count = entry.transactions if entry is not None else 0
        fake = _faker(backend, account, f"transactions:{refresh_id}")
        for index in range(count):
            when = now - (index + 1) * DAY
            status = "pending" if index == 0 else "posted"
            amount = -fake.random_int(100, 25000) if index % 4 else fake.random_int(50000, 300000)
            transaction = Transaction(
                id=backend.ids.new("fctxn"), account=account.id, amount=amount, description=fake.company(),
                status=status, transacted_at=when, posted_at=None if status == "pending" else when + 3600,
                void_at=None, transaction_refresh=refresh_id, updated=now,
            )
            transactions(backend).put(transaction.id, transaction)


def _refresh_slot(account: Account, feature: str) -> str:
    return {"balance": "balance_refresh", "ownership": "ownership_refresh", "transactions": "transaction_refresh",
            "inferred_balances": "inferred_balances_refresh"}[feature]


def prefetch(backend: Backend, account: Account, features: list[str]) -> None:
    """Data requested with the session's `prefetch` is there as soon as the account is linked."""
    now = backend.clock.timestamp()
    for name in features:
        feature = PREFETCH_FEATURE[name]
        refresh_id = _new_refresh_id(backend) if feature == "transactions" else None
        setattr(account, _refresh_slot(account, feature), Refresh("succeeded", now, now + NEXT_REFRESH_SECONDS,
                                                                  refresh_id))
        _fetch(backend, account, feature, now)


def refresh_account(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    account = accounts.get(backend, id)
    if account.status != "active":
        raise InvalidRequestError(
            f"The Financial Connections account {account.id} is {account.status}; relink it before refreshing.",
            code="financial_connections_account_inactive",
        )
    now = backend.clock.timestamp()
    for index, feature in enumerate(values["features"]):
        permission = FEATURE_PERMISSION[feature]
        if permission not in account.permissions:
            raise InvalidRequestError(
                f"The account {account.id} was not linked with the `{permission}` permission, which refreshing "
                f"{feature} needs; relink it with that permission.", param=f"features[{index}]")
    plan, account.next_refresh = account.next_refresh, None
    for feature in values["features"]:
        slot = _refresh_slot(account, feature)
        current: Refresh | None = getattr(account, slot)
        if current is not None and current.status == "pending":
            continue
        refresh_id = _new_refresh_id(backend) if feature == "transactions" else None
        setattr(account, slot, Refresh("pending", now, None, refresh_id, None if plan is None else dict(plan)))
        backend.timers.at(now + REFRESH_SECONDS, functools.partial(_finish, backend, account.id, feature),
                          f"{account.id}: {feature}")
    return account.render(call.version)


@saved
def _finish(backend: Backend, account_id: str, feature: str, due: float) -> None:
    """A refresh completes (a timer: module-level with plain arguments, so pending timers survive snapshots)."""
    account = accounts.get(backend, account_id)
    slot = _refresh_slot(account, feature)
    current: Refresh | None = getattr(account, slot)
    if current is None or current.status != "pending":
        return
    institution = catalogue().get(account.institution)
    planned = None if current.plan is None else current.plan["outcome"]
    failed = account.status != "active" or planned in ("failed", "deactivates") or (
        planned is None and institution is not None and institution.down)
    moment = int(due)
    setattr(account, slot, Refresh("failed" if failed else "succeeded", current.last_attempted_at,
                                   moment + NEXT_REFRESH_SECONDS, current.id))
    if planned == "deactivates" and account.status == "active":
        assert current.plan is not None
        cause = current.plan["cause"]
        affected = [account]
        if cause in bank.AUTHORIZATION_CAUSES:
            affected = [a for a in accounts.of_authorization(backend, account.authorization) if a.status == "active"]
        bank.deactivate_accounts(backend, backend.automatic(), affected, cause, current.plan["action"])
    if not failed:
        _fetch(backend, account, feature, moment)
    accounts.emit_account(backend, backend.automatic(), f"financial_connections.account.{EVENTS[feature]}",
                          account)


# -- reading data --------------------------------------------------------------------------------------------------

def owners(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    found = accounts.get(backend, account)
    ownership = ownerships(backend).get(values["ownership"])
    if ownership is None or ownership.account != found.id:
        raise ResourceMissingError("financial_connections.account_ownership", values["ownership"], param="ownership")
    table: Table[dict[str, Any]] = Table()
    for owner in reversed(ownership.owners):
        table.put(owner["id"], owner)

    def render(owner: dict[str, Any]) -> dict[str, Any]:
        return {"id": owner["id"], "object": "financial_connections.account_owner", "email": owner.get("email"),
                "name": owner["name"], "ownership": ownership.id, "phone": owner.get("phone"),
                "raw_address": owner.get("raw_address"), "refreshed_at": ownership.created}

    return page(table, values, url=f"{accounts.URL}/{found.id}/owners", noun="financial_connections.account_owner",
                render=render)


def inferred_balances(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    found = accounts.get(backend, account)
    table: Table[dict[str, Any]] = Table()
    refreshed = found.inferred_balances_refresh
    if refreshed is not None and refreshed.status == "succeeded":
        for days in range(29, -1, -1):
            as_of = refreshed.last_attempted_at - days * DAY
            table.put(f"{found.id}:{as_of}", {"as_of": as_of, "current": {"usd": found.balance_amount}})

    def render(item: dict[str, Any]) -> dict[str, Any]:
        return {"object": "financial_connections.account_inferred_balance", **copy.deepcopy(item)}

    return page(table, values, url=f"{accounts.URL}/{found.id}/inferred_balances",
                noun="financial_connections.account_inferred_balance", render=render)


def next_refresh(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    """Test helper: how the account's next refresh request ends (each feature it refreshes)."""
    target = accounts.get(backend, account)
    outcome = values["outcome"]
    for name in ("cause", "action"):
        if name in values and outcome != "deactivates":
            raise InvalidRequestError(f"{name} can only be given with outcome=deactivates.", param=name)
    plan = {"outcome": outcome}
    if outcome == "deactivates":
        cause = values.get("cause", "access_expired")
        plan.update(cause=cause, action=values.get("action", bank.default_action(cause)))
    target.next_refresh = plan
    return target.render(call.version)


def list_transactions(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    account = accounts.get(backend, values["account"])
    if not account.transactions_refreshed:
        raise InvalidRequestError(
            f"The Financial Connections account {account.id} has no successful transaction refresh yet. Refresh its "
            f"transactions (POST /v1/financial_connections/accounts/{account.id}/refresh with "
            f"features[]=transactions) and list them once financial_connections.account.refreshed_transactions "
            f"reports success.", code="financial_connections_no_successful_transaction_refresh", param="account")
    after = (values.get("transaction_refresh") or {}).get("after")
    after_position = None
    if after is not None:
        after_position = refresh_ids(backend).position(after)
        if after_position is None:
            raise ResourceMissingError("financial_connections.transaction_refresh", after,
                                       param="transaction_refresh[after]")
    window = values.get("transacted_at")

    def where(transaction: Transaction) -> bool:
        if transaction.account != account.id:
            return False
        position = refresh_ids(backend).position(transaction.transaction_refresh)
        if after_position is not None and (position is None or position <= after_position):
            return False
        return window is None or created_filter(window)(transaction.transacted_at)

    return page(transactions(backend), values, url="/v1/financial_connections/transactions",
                noun="financial_connections.transaction", render=lambda t: t.render(call.version), where=where)


def retrieve_transaction(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    found = transactions(backend).get(id)
    if found is None:
        raise ResourceMissingError("financial_connections.transaction", id, param="transaction")
    return found.render(call.version)


def lookup_ownership(backend: Backend, ownership_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = ownerships(backend).get(ownership_id)
    if found is None:
        return None
    owners_list = owners(backend, Call(version=version), {"ownership": found.id, "limit": 100}, found.account)
    return {"id": found.id, "object": "financial_connections.account_ownership", "created": found.created,
            "owners": owners_list}

declare("financial_connections.account_ownerships", Ownership)
declare("financial_connections.transactions", Transaction)
declare("financial_connections.transaction_refreshes", str)
