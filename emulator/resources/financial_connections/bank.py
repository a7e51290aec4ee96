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
from emulator.resources.financial_connections.institutions import CatalogueAccount, catalogue

DAY = 24 * 60 * 60
CAUSES = ("access_denied", "access_expired", "account_closed", "account_unavailable", "institution_requirement",
          "unspecified")
AUTHORIZATION_CAUSES = ("access_denied", "access_expired", "institution_requirement", "unspecified")
"""Causes that break the bank login itself: every active account of the authorization goes inactive."""
UPCOMING_CAUSES = ("access_expired", "institution_requirement", "unspecified")
TAN_REVOKING_CAUSES = ("access_denied", "account_closed")
"""Deactivations that also deactivate the account's TAN: the customer revoked access, or the account was closed.
Every other cause breaks the data connection only, and payments keep working (facts §3: an inactive data
connection alone does not block payments; TANs are deactivated by revocation or expiry)."""
UPCOMING_NOTICE_DAYS = 30
"""`upcoming_deactivation` is sent this long before a scheduled deactivation, or at once when it is closer
(https://docs.stripe.com/changelog/dahlia/2026-07-29/financial-connections-deactivation-event-notifications)."""
REAUTHENTICATION_CAUSE = "access_expired"
"""The cause of the deactivations the Requires Reauthentication institutions schedule (Stripe does not say)."""

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
        if tan is not None and tan.status == "transactable" and cause in TAN_REVOKING_CAUSES:
            account.change_tan(status="deactivated")
            accounts.emit_account(backend, call, "financial_connections.account.account_numbers_updated", account)


def new_tan_last4(backend: Backend) -> str:
    return "".join(str(ord(ch) % 10) for ch in backend.ids.token(4))


def new_tan_routing_number(backend: Backend) -> str:
    """A new TAN is a new tokenized account *and routing* number
    (https://docs.stripe.com/financial-connections/tokenized-account-numbers): nine digits from the namespace's id
    stream, a Federal Reserve prefix (01–12) and a valid ABA check digit."""
    digits = [ord(ch) % 10 for ch in backend.ids.token(7)]
    prefix = 1 + digits[0] % 12
    body = [prefix // 10, prefix % 10, *digits[1:7]]
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    check = -sum(w * d for w, d in zip(weights, body, strict=True)) % 10
    return "".join(str(d) for d in (*body, check))


def issue_tan(backend: Backend, call: Call, account: Account, *, announce: bool) -> None:
    """A new, transactable TAN (what every successful (re)authorization gives a TAN account)."""
    tan = account.tan
    if tan is None:
        return
    expiry = backend.clock.timestamp() + catalogue().tan_lifetime_days * DAY
    account.change_tan(status="transactable", expected_expiry_date=expiry, last4=new_tan_last4(backend),
                       routing_number=new_tan_routing_number(backend))
    schedule_tan_expiry(backend, account.id, expiry)
    if announce:
        accounts.emit_account(backend, call, "financial_connections.account.account_numbers_updated", account)


def schedule_tan_expiry(backend: Backend, account_id: str, expiry: int) -> None:
    """`upcoming_account_number_expiry` 30 days before the expiry, or at once when it is closer — except for a TAN
    that expires within a day (the Immediately Expiring account): there is nothing left to announce."""
    notice = max(expiry - catalogue().upcoming_expiry_notice_days * DAY, backend.clock.now())
    if expiry - notice >= DAY:
        backend.timers.at(notice, functools.partial(_tan_notice, backend, account_id, expiry),
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
        account.change_tan(status="expired")
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
    after_relink(backend, call, [a for a in accounts.of_authorization(backend, authorization_id)
                                 if not a.disconnected and a.inactive is None])


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
    target.change_tan(status="expired" if values.get("reason") == "expired" else "deactivated")
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
    schedule(backend, call, target.authorization, when, values.get("cause", "access_expired"),
             values.get("action", "relink_required"))
    return target.render(call.version)


def schedule(backend: Backend, call: Call, authorization_id: str, when: int, cause: str, action: str) -> None:
    """Announce that every active account of the authorization deactivates at `when`: `status_details.active` and
    the `…expected_deactivation_date_updated` events now, `upcoming_deactivation` (account and authorization)
    UPCOMING_NOTICE_DAYS before, the deactivation itself at `when`."""
    authorization = authorizations.get(backend, authorization_id)
    members = [a for a in accounts.of_authorization(backend, authorization.id) if a.status == "active"]
    for member in members:
        member.upcoming = {"action": action, "cause": cause, "expected_deactivation_date": when}
        accounts.emit_account(backend, call, "financial_connections.account.expected_deactivation_date_updated",
                              member)
    authorization.upcoming = {"action": action, "expected_deactivation_date": when}
    emit(backend, call, "financial_connections.authorization.expected_deactivation_date_updated",
         authorizations.snapshot_renderer(backend, authorization))
    label = members[0].id if members else authorization.id
    backend.timers.at(max(when - UPCOMING_NOTICE_DAYS * DAY, backend.clock.timestamp()),
                      functools.partial(_scheduled_notice, backend, authorization.id, when),
                      f"{label}: upcoming deactivation")
    backend.timers.at(when, functools.partial(_scheduled_deactivation, backend, authorization.id, when, cause, action),
                      f"{label}: scheduled deactivation")


def after_link(backend: Backend, call: Call, linked: list[tuple[Account, CatalogueAccount]]) -> None:
    """What the institution does once the flow has completed: Inactive Accounts (and the emulator's inactivity
    causes) go inactive shortly after; Eventually Requires Reauthentication announces its deactivation."""
    shortly = backend.clock.timestamp() + catalogue().shortly_after_seconds
    for account, entry in linked:
        if entry.inactive is not None:
            backend.timers.at(shortly, functools.partial(_deactivate_linked, backend, account.id,
                                                         entry.inactive["cause"], entry.inactive["action"]),
                              f"{account.id}: goes inactive after linking")
    _reauthentication(backend, call, [(a, e) for a, e in linked if e.inactive is None], "after_link_days")


def after_relink(backend: Backend, call: Call, repaired: list[Account]) -> None:
    """The Requires Reauthentication institutions after a successful relink: the next deactivation is announced
    again (1 day ahead for Immediately, 30 days for Eventually)."""
    pairs = []
    for account in repaired:
        entry = catalogue().entry(account.institution, account.catalogue_key)
        if entry is not None and account.status == "active":
            pairs.append((account, entry))
    _reauthentication(backend, call, pairs, "after_relink_days")


def _reauthentication(backend: Backend, call: Call, pairs: list[tuple[Account, CatalogueAccount]], when: str) -> None:
    days = [entry.reauthentication[when] for _, entry in pairs if entry.reauthentication is not None]
    if not days or days[0] is None:
        return
    authorization = pairs[0][0].authorization
    schedule(backend, call, authorization, backend.clock.timestamp() + int(days[0]) * DAY, REAUTHENTICATION_CAUSE,
             "relink_required")


@saved
def _deactivate_linked(backend: Backend, account_id: str, cause: str, action: str, _: float) -> None:
    account = accounts.table(backend).get(account_id)
    if account is not None and account.status == "active":
        deactivate_accounts(backend, backend.automatic(), [account], cause, action)


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
