"""Payouts from a connected account's balance to its external bank account (`Stripe-Account` header; source document
§5: the relinked bank account receives payouts again).

A standard payout is `pending`, `in_transit` `TRANSIT_SECONDS` later, then `paid` at its `arrival_date`
(`ARRIVAL_SECONDS` after creation, namespace clock) — or `failed` then: the destination's test account number
decides (Stripe's ACH test numbers: `account_closed`, `no_account`, `insufficient_funds`, `debit_not_authorized`,
`invalid_currency`; a closed or missing account makes the external account `errored`), and an external account made
from a Financial Connections TAN that is not transactable fails the payout with `could_not_process` (its status is
`tokenized_account_number_deactivated` meanwhile); after a relink re-issues the TAN, payouts are paid. A failed or
canceled payout gives its amount back to the balance. Instant payouts to bank accounts are refused
(`instant_payouts_unsupported`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.snapshot import saved
from emulator.core.spec import Choice, Field, Integer, Metadata, Range, String, apply_metadata, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion
from emulator.resources.payments import ach_numbers, connect
from emulator.resources.request_params import keep, sent

OBJECT = "payout"
TABLE = "payouts"
TRANSIT_SECONDS = 3 * 60
ARRIVAL_SECONDS = 24 * 60 * 60
"""Chosen: `in_transit` three minutes after creation, `paid` (or `failed`) one day after (Stripe: standard payouts
to US bank accounts arrive in about one to two business days)."""
NOT_TRANSACTABLE = ("could_not_process", "The bank could not process this payout: the tokenized account number of "
                                         "this bank account is no longer active. Relink the account.")
ERRORING = (ach_numbers.ACCOUNT_CLOSED, ach_numbers.NO_ACCOUNT)

CREATE = params(
    {
        "amount": Field(Integer(minimum=1), required=True),
        "currency": Field(String(max_length=3), required=True),
        "destination": Field(String()),
        "method": Field(Choice(("instant", "standard"))),
        "description": Field(String()),
        "statement_descriptor": Field(String(max_length=22)),
        "metadata": Field(Metadata()),
        "source_type": Field(Choice(("bank_account", "card", "fpx"))),
    }
)
RETRIEVE = params({})
UPDATE = params({"metadata": Field(Metadata())})
CANCEL = params({})
LIST = params({**LIST_FIELDS, "status": Field(Choice(("canceled", "failed", "in_transit", "paid", "pending"))),
               "destination": Field(String()), "created": Field(Range()), "arrival_date": Field(Range())})


@saved
@dataclass
class Payout:
    id: str
    created: int
    account: str
    amount: int
    currency: str
    destination: str
    arrival_date: int
    description: str | None
    statement_descriptor: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "pending"
    failure_code: str | None = None
    failure_message: str | None = None
    as_sent: dict[str, Any] = field(default_factory=dict)
    """`payout_method` as sent (a v2 payout method id: kept and shown; the payout still goes to `destination`)."""


@saved
def render(payout: Payout, version: ApiVersion | None = None) -> dict[str, Any]:
    return {
        "id": payout.id,
        "object": OBJECT,
        "amount": payout.amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": payout.arrival_date,
        "automatic": False,
        "balance_transaction": None,
        "created": payout.created,
        "currency": payout.currency,
        "description": payout.description,
        "destination": payout.destination,
        "failure_balance_transaction": None,
        "failure_code": payout.failure_code,
        "failure_message": payout.failure_message,
        "livemode": False,
        "metadata": dict(payout.metadata),
        "method": "standard",
        "original_payout": None,
        "payout_method": sent(payout.as_sent, "payout_method"),
        "reconciliation_status": "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": payout.statement_descriptor,
        "status": payout.status,
        "trace_id": None,
        "type": "bank_account",
    }


def table(backend: Backend) -> Table[Payout]:
    return backend.store.table(TABLE)


def _owner(backend: Backend, call: Call) -> connect.ConnectedAccount:
    if call.account is None:
        raise InvalidRequestError(
            "The emulator pays out connected accounts' balances: send the Stripe-Account header naming the connected "
            "account (the platform's own bank accounts are not emulated).", param=None)
    return connect.get_account(backend, call.account)


def _get(backend: Backend, call: Call, payout_id: str) -> Payout:
    found = table(backend).get(payout_id)
    if found is None or found.account != _owner(backend, call).id:
        raise ResourceMissingError(OBJECT, payout_id, param="id")
    return found


def _emit(backend: Backend, call: Call, type: str, payout: Payout, previous: dict[str, Any] | None = None) -> None:
    emit(backend, call, type, functools.partial(render, backend.frozen(payout.id, payout)), previous)


def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    owner = _owner(backend, call)
    if values["currency"].lower() != "usd":
        raise InvalidRequestError("The emulator's connected accounts pay out in usd.", param="currency")
    if "destination" in values:
        destination = connect.externals(backend).get(values["destination"])
        if destination is None or destination.deleted or destination.account != owner.id:
            raise ResourceMissingError("bank account", values["destination"], param="destination")
    else:
        found = connect.default_external(backend, owner)
        if found is None:
            raise InvalidRequestError(f"The account {owner.id} has no external account to pay out to.",
                                      code="payouts_not_allowed", param="destination")
        destination = found
    if values.get("method") == "instant":
        raise InvalidRequestError("Instant payouts are not available for this bank account.",
                                  code="instant_payouts_unsupported", param="method")
    if values["amount"] > owner.available:
        raise InvalidRequestError(
            f"You have insufficient funds in your Stripe account for this transfer. Your available balance is "
            f"{owner.available} usd.", code="balance_insufficient", param="amount")
    now = backend.clock.timestamp()
    payout = Payout(id=backend.ids.new("po"), created=now, account=owner.id, amount=values["amount"],
                    currency="usd", destination=destination.id, arrival_date=now + ARRIVAL_SECONDS,
                    description=values.get("description"), statement_descriptor=values.get("statement_descriptor"),
                    metadata=apply_metadata({}, values.get("metadata", {})))
    keep(payout.as_sent, values, ("payout_method",))
    owner.available -= payout.amount
    table(backend).put(payout.id, payout)
    _emit(backend, call, "payout.created", payout)
    backend.timers.at(now + TRANSIT_SECONDS, functools.partial(_in_transit, backend, payout.id),
                      f"{payout.id}: in transit")
    backend.timers.at(now + ARRIVAL_SECONDS, functools.partial(_arrive, backend, payout.id),
                      f"{payout.id}: arrives")
    return render(payout, call.version)


# Timer actions are module-level functions over plain arguments, never closures (a snapshot keeps them).

@saved
def _in_transit(backend: Backend, payout_id: str, _: float) -> None:
    payout = table(backend).get(payout_id)
    if payout is None or payout.status != "pending":
        return
    payout.status = "in_transit"
    _emit(backend, backend.automatic(), "payout.updated", payout, {"status": "pending"})


@saved
def _arrive(backend: Backend, payout_id: str, _: float) -> None:
    payout = table(backend).get(payout_id)
    if payout is None or payout.status not in ("pending", "in_transit"):
        return
    call = backend.automatic()
    previous = {"status": payout.status}
    destination = connect.externals(backend).get(payout.destination)
    failure: tuple[str, str] | None = None
    if destination is not None and destination.status(backend) == "tokenized_account_number_deactivated":
        failure = NOT_TRANSACTABLE
    elif destination is not None and destination.financial_connections_account is None:
        failure = ach_numbers.FAILURES.get(destination.test_behaviour)
    if failure is None:
        payout.status = "paid"
        _emit(backend, call, "payout.updated", payout, previous)
        _emit(backend, call, "payout.paid", payout)
        return
    payout.status, (payout.failure_code, payout.failure_message) = "failed", failure
    owner = connect.accounts(backend).get(payout.account)
    if owner is not None:
        owner.available += payout.amount
    _emit(backend, call, "payout.updated", payout, previous)
    _emit(backend, call, "payout.failed", payout)
    if destination is not None and destination.test_behaviour in ERRORING and not destination.errored:
        destination.errored = True
        connect.emit_external(backend, call, "account.external_account.updated", destination)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return render(_get(backend, call, id), call.version)


def update(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    payout = _get(backend, call, id)
    if "metadata" in values:
        payout.metadata = apply_metadata(payout.metadata, values["metadata"])
    return render(payout, call.version)


def cancel(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    payout = _get(backend, call, id)
    if payout.status != "pending":
        raise InvalidRequestError(f"Payouts can only be canceled while they are pending; this one is "
                                  f"{payout.status}.", param=None)
    payout.status = "canceled"
    owner = connect.get_account(backend, payout.account)
    owner.available += payout.amount
    _emit(backend, call, "payout.updated", payout, {"status": "pending"})
    _emit(backend, call, "payout.canceled", payout)
    return render(payout, call.version)


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    owner = _owner(backend, call)
    status = values.get("status")
    destination = values.get("destination")
    created = created_filter(values["created"]) if "created" in values else None
    arrival = created_filter(values["arrival_date"]) if "arrival_date" in values else None

    def where(payout: Payout) -> bool:
        if payout.account != owner.id or (status is not None and payout.status != status):
            return False
        if destination is not None and payout.destination != destination:
            return False
        return (created is None or created(payout.created)) and (arrival is None or arrival(payout.arrival_date))

    return page(table(backend), values, url="/v1/payouts", noun=OBJECT, render=lambda p: render(p, call.version),
                where=where)


BALANCE = params({})


def balance(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/balance` with `Stripe-Account`: the connected account's available balance (the emulator's rule)."""
    owner = _owner(backend, call)  # no incoming funds are emulated, so nothing is ever pending
    return {"object": "balance", "available": [{"amount": owner.available, "currency": "usd",
                                                "source_types": {"card": owner.available}}],
            "livemode": False, "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]}

declare(TABLE, Payout)
