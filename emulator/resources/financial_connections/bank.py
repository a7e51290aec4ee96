"""The simulated bank: what real Stripe cannot be asked to do. Deactivating accounts (by cause), revoking or
expiring tokenized account numbers (TANs), scheduling a deactivation — and the clock-driven side: TANs announce
their expiry and expire, scheduled deactivations happen, when the namespace clock passes their moment.

Endpoints: `POST /v1/test_helpers/financial_connections/accounts/:account/{deactivate, account_numbers/deactivate,
schedule_deactivation}`.
"""

from __future__ import annotations

import functools
from typing import Any

from emulator.core import messages
from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, missing
from emulator.core.snapshot import saved
from emulator.core.spec import UNSET, Array, Choice, Field, Integer, params
from emulator.resources.financial_connections import accounts, authorizations
from emulator.resources.financial_connections.accounts import Account, AccountNumber
from emulator.resources.financial_connections.institutions import catalogue

DAY = 24 * 60 * 60
CAUSES = ("access_denied", "access_expired", "account_closed", "account_unavailable", "institution_requirement",
          "unspecified")
AUTHORIZATION_CAUSES = ("access_denied", "access_expired", "institution_requirement", "unspecified")
"""Causes that break the bank login itself: every active account of the authorization goes inactive."""
UPCOMING_CAUSES = ("access_expired", "institution_requirement", "unspecified")
UPCOMING_NOTICE_DAYS = 7
"""`upcoming_deactivation` is sent this long before a scheduled deactivation (or at once when it is closer)."""

DEACTIVATE = params(
    {
        "cause": Field(Choice(CAUSES)),
        "action": Field(Choice(("none", "relink_required"))),
    }
)
DEACTIVATE_NUMBERS = params({"reason": Field(Choice(("revoked", "expired")))})
SUPPORTED_TYPES = params(
    {"supported_payment_method_types": Field(Array(Choice(("link", "us_bank_account")), unsettable=True),
                                             required=True)}
)
SCHEDULE_DEACTIVATION = params(
    {
        "expected_deactivation_date": Field(Integer(minimum=0)),
        "after_seconds": Field(Integer(minimum=1)),
        "cause": Field(Choice(UPCOMING_CAUSES)),
        "action": Field(Choice(("none", "relink_required"))),
    }
)


def default_action(cause: str) -> str:
    return "none" if cause in ("account_closed", "account_unavailable") else "relink_required"


# -- state changes (each emits its events) ------------------------------------------------------------------------

def deactivate_accounts(backend: Backend, call: Call, targets: list[Account], cause: str, action: str) -> None:
    for account in targets:
        if account.status != "active":
            continue
        previous = account.status_attributes(call.version)
        account.inactive = {"action": action, "cause": cause}
        account.upcoming = None
        accounts.emit_account(backend, call, "financial_connections.account.deactivated", account, previous)
        tan = account.tan
        if tan is not None and tan.status == "transactable":
            tan.status = "deactivated"
            accounts.emit_account(backend, call, "financial_connections.account.account_numbers_updated", account)


def new_tan_last4(backend: Backend) -> str:
    return "".join(str(ord(ch) % 10) for ch in backend.ids.token(4))


def issue_tan(backend: Backend, call: Call, account: Account, *, announce: bool) -> None:
    """A new, transactable TAN (what every successful (re)authorization gives a TAN account)."""
    tan = account.tan
    if tan is None:
        return
    tan.status = "transactable"
    tan.expected_expiry_date = backend.clock.timestamp() + catalogue().tan_lifetime_days * DAY
    tan.last4 = new_tan_last4(backend)
    schedule_tan_expiry(backend, account.id, tan.expected_expiry_date)
    if announce:
        accounts.emit_account(backend, call, "financial_connections.account.account_numbers_updated", account)


def schedule_tan_expiry(backend: Backend, account_id: str, expiry: int) -> None:
    notice = expiry - catalogue().upcoming_expiry_notice_days * DAY
    backend.timers.at(max(notice, backend.clock.now()), functools.partial(_tan_notice, backend, account_id, expiry),
                      f"{account_id}: TAN expiry notice")
    backend.timers.at(expiry, functools.partial(_tan_expire, backend, account_id, expiry), f"{account_id}: TAN expires")


# Timer actions are module-level functions over plain arguments (ids, instants), never closures: a pending timer
# is part of a namespace's state and must survive a snapshot.

def _current_tan(account: Account, expiry: int) -> AccountNumber | None:
    tan = account.tan
    ok = tan is not None and tan.status == "transactable" and tan.expected_expiry_date == expiry
    return tan if ok else None


@saved
def _tan_notice(backend: Backend, account_id: str, expiry: int, _: float) -> None:
    account = accounts.table(backend).get(account_id)
    if account is not None and _current_tan(account, expiry) is not None and not account.disconnected:
        accounts.emit_account(backend, backend.automatic(),
                              "financial_connections.account.upcoming_account_number_expiry", account)


@saved
def _tan_expire(backend: Backend, account_id: str, expiry: int, _: float) -> None:
    account = accounts.table(backend).get(account_id)
    tan = None if account is None else _current_tan(account, expiry)
    if account is not None and tan is not None:
        tan.status = "expired"
        accounts.emit_account(backend, backend.automatic(),
                              "financial_connections.account.account_numbers_updated", account)


def reactivate_authorization(backend: Backend, call: Call, authorization_id: str, reauthorized: list[Account]) -> None:
    """A successful relink: every account of the authorization whose problem a relink repairs comes back (§6) and
    scheduled deactivations are cleared. TANs are re-issued for the accounts the customer shared again and, when
    existing accounts were shared again, for their siblings' dead TANs (the changelog: "previously deactivated TANs
    return to transactable"); a relink that only links a new account leaves the old accounts' TANs as they were
    (§4: existing payment methods are not updated)."""
    authorization = authorizations.get(backend, authorization_id)
    authorization.upcoming = None
    for account in accounts.of_authorization(backend, authorization_id):
        if account.disconnected:
            continue
        repaired = account.inactive is not None and account.inactive["action"] == "relink_required"
        if repaired:
            previous = account.status_attributes(call.version)
            account.inactive = None
            account.upcoming = None
            accounts.emit_account(backend, call, "financial_connections.account.reactivated", account, previous)
        elif account in reauthorized:
            account.upcoming = None
        tan = account.tan
        shared_again = account in reauthorized or (reauthorized and tan is not None and tan.status != "transactable")
        if tan is not None and account.inactive is None and shared_again:
            issue_tan(backend, call, account, announce=True)


# -- test-helper endpoints ----------------------------------------------------------------------------------------

def deactivate(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    target = accounts.get(backend, account)
    if target.status != "active":
        raise InvalidRequestError(f"The account {target.id} is already {target.status}.", param="account")
    cause = values.get("cause", "access_expired")
    action = values.get("action", default_action(cause))
    affected = [target]
    if cause in AUTHORIZATION_CAUSES:
        affected = [a for a in accounts.of_authorization(backend, target.authorization) if a.status == "active"]
    deactivate_accounts(backend, call, affected, cause, action)
    return target.render(call.version)


def deactivate_numbers(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    target = accounts.get(backend, account)
    tan = target.tan
    if tan is None:
        raise InvalidRequestError(f"The account {target.id} has no tokenized account number.", param="account")
    if tan.status != "transactable":
        raise InvalidRequestError(f"The tokenized account number of {target.id} is already {tan.status}.",
                                  param="account")
    tan.status = "expired" if values.get("reason") == "expired" else "deactivated"
    accounts.emit_account(backend, call, "financial_connections.account.account_numbers_updated", target)
    return target.render(call.version)


def schedule_deactivation(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    target = accounts.get(backend, account)
    if target.status != "active":
        raise InvalidRequestError(f"The account {target.id} is {target.status}; only an active account can be "
                                  f"scheduled for deactivation.", param="account")
    now = backend.clock.timestamp()
    if "expected_deactivation_date" in values and "after_seconds" in values:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params="after_seconds, expected_deactivation_date"),
            code="parameters_exclusive", param="after_seconds")
    if "expected_deactivation_date" not in values and "after_seconds" not in values:
        raise missing("expected_deactivation_date")
    when = values.get("expected_deactivation_date", now + values.get("after_seconds", 0))
    if when <= now:
        raise InvalidRequestError("expected_deactivation_date must be in the future (by the namespace clock).",
                                  param="expected_deactivation_date")
    cause = values.get("cause", "access_expired")
    action = values.get("action", "relink_required")
    authorization = authorizations.get(backend, target.authorization)
    members = [a for a in accounts.of_authorization(backend, authorization.id) if a.status == "active"]
    for member in members:
        member.upcoming = {"action": action, "cause": cause, "expected_deactivation_date": when}
        accounts.emit_account(backend, call, "financial_connections.account.expected_deactivation_date_updated",
                              member)
    authorization.upcoming = {"action": action, "expected_deactivation_date": when}
    emit(backend, call, "financial_connections.authorization.expected_deactivation_date_updated",
         authorizations.snapshot_renderer(backend, authorization))

    backend.timers.at(max(when - UPCOMING_NOTICE_DAYS * DAY, now),
                      functools.partial(_scheduled_notice, backend, authorization.id, when),
                      f"{target.id}: upcoming deactivation")
    backend.timers.at(when, functools.partial(_scheduled_deactivation, backend, authorization.id, when, cause, action),
                      f"{target.id}: scheduled deactivation")
    return target.render(call.version)


def _still_scheduled(backend: Backend, authorization_id: str, when: int) -> list[Account]:
    return [a for a in accounts.of_authorization(backend, authorization_id)
            if a.upcoming is not None and a.upcoming["expected_deactivation_date"] == when and a.status == "active"]


@saved
def _scheduled_notice(backend: Backend, authorization_id: str, when: int, _: float) -> None:
    due = _still_scheduled(backend, authorization_id, when)
    for member in due:
        accounts.emit_account(backend, backend.automatic(), "financial_connections.account.upcoming_deactivation",
                              member)
    if due:
        emit(backend, backend.automatic(), "financial_connections.authorization.upcoming_deactivation",
             authorizations.snapshot_renderer(backend, authorizations.get(backend, authorization_id)))


@saved
def _scheduled_deactivation(backend: Backend, authorization_id: str, when: int, cause: str, action: str,
                            _: float) -> None:
    due = _still_scheduled(backend, authorization_id, when)
    if due:
        authorizations.get(backend, authorization_id).upcoming = None
        deactivate_accounts(backend, backend.automatic(), due, cause, action)


def update_supported_types(backend: Backend, call: Call, values: dict[str, Any], account: str) -> dict[str, Any]:
    """The bank changes which payment method types the account supports (e.g. it stops allowing ACH)."""
    target = accounts.get(backend, account)
    given = values["supported_payment_method_types"]
    types = [] if given is UNSET else list(dict.fromkeys(given))
    if types != target.supported_payment_method_types:
        target.supported_payment_method_types = types
        accounts.emit_account(backend, call, "financial_connections.account.supported_payment_method_types_updated",
                              target)
    return target.render(call.version)
