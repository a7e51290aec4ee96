"""The simulated customer: `POST /v1/test_helpers/financial_connections/sessions/:session/complete` finishes the
auth flow the way a customer would in Stripe.js (the browser flow drives this same function).

Outcomes: `success` (default), `cancel`, `authentication_failed`, `different_login`, `no_accounts_available`,
`error`. For relink sessions the result is in `relink_result` (§3): `no_authorization` when the login failed or
was another login, `no_account` when the expected account was not among those shared (or none was available),
`other` for errors; a cancel leaves the session `cancelled`. A Down Bank institution turns every login into an
error, as the bank would.

`credentials` is what the customer typed into a form bank's login (`credentials.evaluate`): at Bank (Non-OAuth) a
keyword asks a further question (400 `parameter_missing` for its answer), `incorrect` leaves the session pending, and
`error` ends the login as `authentication_failed` does.
"""

from __future__ import annotations

from typing import Any

from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.spec import Array, Choice, Field, Hash, String, params
from emulator.core.versions import Feature
from emulator.resources.financial_connections import accounts, authorizations, bank, credentials, refresh, sessions
from emulator.resources.financial_connections.accounts import Account, AccountNumber
from emulator.resources.financial_connections.institutions import CatalogueAccount, Institution, catalogue
from emulator.resources.financial_connections.sessions import Session

OUTCOMES = ("success", "cancel", "authentication_failed", "different_login", "no_accounts_available", "error")
DEFAULT_INSTITUTION = "Test (Non-OAuth)"

COMPLETE = params(
    {
        "institution": Field(String()),
        "accounts": Field(Array(String(), max_items=100)),
        "outcome": Field(Choice(OUTCOMES)),
        "credentials": Field(Hash({
            "username": Field(String(max_length=500), required=True),
            "password": Field(String(max_length=500), required=True),
            "answers": Field(Array(String(max_length=500), max_items=20)),
        })),
    }
)


def complete(backend: Backend, call: Call, values: dict[str, Any], session: str) -> dict[str, Any]:
    found = sessions.get(backend, session)
    if found.status != "pending":
        raise InvalidRequestError(
            f"The session {found.id} was already completed (status: {found.status}); create a new session.",
            param="session",
        )
    institution = _institution(backend, found, values.get("institution"))
    outcome = values.get("outcome", "success")
    if "credentials" in values:
        login = _log_in(institution, outcome, values["credentials"])
        if login is not None and login.status == "incorrect":
            return sessions.render(backend, found, call.version)  # the customer may try again: still pending
        if login is not None and login.status == "error":
            outcome = "authentication_failed"  # the bank ended the login session
    if outcome not in ("cancel",) and institution.down:
        outcome = "error"
    if found.relink and outcome == "success" and institution.id != _relink_institution(backend, found):
        outcome = "different_login"  # logged in at another bank: not the authorization being repaired
    selected = values.get("accounts")
    if outcome == "cancel":
        _finish(backend, call, found, "cancelled", failure="other" if found.relink else None)
    elif outcome in ("authentication_failed", "different_login"):
        _finish(backend, call, found, "failed", failure="no_authorization" if found.relink else None)
    elif outcome == "error":
        _finish(backend, call, found, "failed", failure="other" if found.relink else None)
    elif outcome == "no_accounts_available" and (not found.relink or _specific(found) or not selected):
        _finish(backend, call, found, "failed", failure="no_account" if found.relink else None)
    elif found.relink:
        _relink(backend, call, found, institution, selected, expected_missing=outcome == "no_accounts_available")
    else:
        _link(backend, call, found, institution, selected)
    return sessions.render(backend, found, call.version)


def _institution(backend: Backend, session: Session, given: str | None) -> Institution:
    if given is None:
        if session.relink:
            given = _relink_institution(backend, session)
        else:
            given = session.institution_filter or DEFAULT_INSTITUTION
    found = catalogue().get(given)
    if found is None:
        raise ResourceMissingError("financial_connections.institution", given, param="institution")
    if session.institution_filter is not None and found.id != session.institution_filter and not session.relink:
        raise InvalidRequestError(
            f"The session's filters[institution] is {session.institution_filter}; the customer cannot log in at "
            f"{found.name}.", param="institution")
    return found


def _log_in(institution: Institution, outcome: str, given: dict[str, Any]) -> credentials.Login | None:
    """The customer's login-form entries (`credentials`): None when the bank is down and no login happens."""
    if institution.oauth:
        raise InvalidRequestError(
            f"{institution.name} logs in through OAuth, in the bank's own window; it has no login form to take "
            "credentials.", param="credentials")
    if outcome != "success":
        raise InvalidRequestError(
            f"credentials are the customer's login entries; they go with outcome success (the default), not {outcome}.",
            param="credentials")
    if institution.down:
        return None
    entered = credentials.Credentials(given["username"], given["password"], tuple(given.get("answers", ())))
    login = credentials.evaluate(entered, institution.name, keywords=institution.credential_keywords)
    if login.status == "question":
        assert login.question is not None
        raise InvalidRequestError(
            f"{institution.name} asks: {login.question.label} (the {login.question.keyword!r} keyword); answer it "
            f"in {login.param}.", code="parameter_missing", param=login.param)
    return login


def _relink_institution(backend: Backend, session: Session) -> str:
    assert session.relink_options is not None
    return authorizations.get(backend, session.relink_options["authorization"]).institution


def _specific(session: Session) -> str | None:
    return None if session.relink_options is None else session.relink_options.get("account")


def _finish(backend: Backend, call: Call, session: Session, status: str, *, failure: str | None = None,
            authorization: str | None = None, account: str | None = None) -> None:
    session.status = status
    if status == "cancelled":
        session.cancelled_reason = "other"
    if session.relink:
        session.relink_result = {"account": account, "authorization": authorization, "failure_reason": failure}
    if Feature.RELINK.gate.enabled(call.version):
        emit(backend, call, "financial_connections.session.updated", sessions.snapshot_renderer(backend, session))


# -- choosing accounts ---------------------------------------------------------------------------------------------

def _allowed(session: Session, account: Account | CatalogueAccount) -> bool:
    subcategories = session.account_subcategories
    return subcategories is None or account.subcategory in subcategories


def _choose(backend: Backend, session: Session, institution: Institution, selected: list[str] | None,
            existing: list[Account]) -> list[Account | CatalogueAccount]:
    """Resolve `accounts[]` (fca_ ids or catalogue names/keys) into existing accounts and catalogue accounts."""
    chosen: list[Account | CatalogueAccount] = []
    by_key = {account.catalogue_key: account for account in existing if not account.disconnected}
    if selected is None:
        if session.relink:
            specific = _specific(session)
            pool: list[Account | CatalogueAccount] = [a for a in existing if a.id == specific] if specific else [
                a for a in existing if not a.disconnected and _allowed(session, a)]
            chosen = pool
        else:
            chosen = [a for a in institution.accounts if _allowed(session, a)]
        if session.limit is not None:
            chosen = chosen[: session.limit]
        return chosen
    for index, reference in enumerate(selected):
        param = f"accounts[{index}]"
        if reference.startswith(f"{accounts.PREFIX}_"):
            account = accounts.get(backend, reference, param=param)
            if account not in existing:
                raise InvalidRequestError(
                    f"The account {reference} was not linked through this session's institution login.", param=param)
            chosen.append(account)
            continue
        entry = institution.account(reference)
        if entry is None:
            names = ", ".join(repr(a.display_name) for a in institution.accounts)
            raise InvalidRequestError(f"{institution.name} has no account {reference!r}; it offers {names}.",
                                      param=param)
        chosen.append(by_key.get(entry.key, entry))
    for index, item in enumerate(chosen):
        subcategory = item.subcategory
        if session.account_subcategories is not None and subcategory not in session.account_subcategories:
            raise InvalidRequestError(
                f"The session's filters only allow {', '.join(session.account_subcategories)} accounts; "
                f"{item.display_name!r} is {subcategory}.", param=f"accounts[{index}]")
    if session.limit is not None and len(chosen) > session.limit:
        raise InvalidRequestError(f"The session's limits allow {session.limit} account(s); {len(chosen)} were chosen.",
                                  param="accounts")
    unique: list[Account | CatalogueAccount] = []
    for item in chosen:
        if not any(item is other for other in unique):
            unique.append(item)
    return unique


# -- a new link ----------------------------------------------------------------------------------------------------

def _link(backend: Backend, call: Call, session: Session, institution: Institution, selected: list[str] | None) -> None:
    chosen = _choose(backend, session, institution, selected, [])
    if not chosen:
        _finish(backend, call, session, "failed")
        return
    authorization = authorizations.Authorization(
        id=backend.ids.new(authorizations.PREFIX),
        created=backend.clock.timestamp(),
        institution=institution.id,
        institution_name=institution.name,
        account_holder=session.account_holder,
    )
    authorizations.table(backend).put(authorization.id, authorization)
    linked = [_create_account(backend, call, session, institution, authorization.id, entry)
              for entry in chosen if isinstance(entry, CatalogueAccount)]
    session.account_ids = [account.id for account in linked]
    _finish(backend, call, session, "succeeded")
    bank.after_link(backend, call, [(account, entry) for account, entry in zip(linked, chosen, strict=True)
                                    if isinstance(entry, CatalogueAccount)])


def _create_account(backend: Backend, call: Call, session: Session, institution: Institution,
                    authorization_id: str, entry: CatalogueAccount) -> Account:
    numbers: list[AccountNumber] | None
    if entry.numbers.get("type") == "none":
        numbers = None
    elif entry.tokenized:
        status = entry.numbers.get("status", "transactable")
        lifetime = (catalogue().shortly_after_seconds if entry.tan_expires_shortly
                    else int(entry.numbers.get("expires_in_days", catalogue().tan_lifetime_days)) * bank.DAY)
        numbers = [AccountNumber("tokenized_account_number", status, backend.clock.timestamp() + lifetime,
                                 bank.new_tan_last4(backend))]
    else:
        numbers = [AccountNumber("account_number", "transactable", None)]
    account = Account(
        id=backend.ids.new(accounts.PREFIX),
        created=backend.clock.timestamp(),
        authorization=authorization_id,
        institution=institution.id,
        institution_name=institution.name,
        catalogue_key=entry.key,
        display_name=entry.display_name,
        category=entry.category,
        subcategory=entry.subcategory,
        last4=entry.last4,
        routing_number=entry.routing_number,
        account_holder=session.account_holder,
        permissions=session.permissions,  # shared: both are replaced when they change, never changed in place
        supported_payment_method_types=list(entry.supported_payment_method_types),
        numbers=numbers,
        balance_amount=entry.balance,
        sessions=[session.id],
    )
    accounts.table(backend).put(account.id, account)
    tan = account.tan
    if tan is not None and tan.status == "transactable" and tan.expected_expiry_date is not None:
        bank.schedule_tan_expiry(backend, account.id, tan.expected_expiry_date)
    refresh.prefetch(backend, account, session.prefetch)
    accounts.emit_account(backend, call, "financial_connections.account.created", account)
    return account


# -- a relink ------------------------------------------------------------------------------------------------------

def _relink(backend: Backend, call: Call, session: Session, institution: Institution, selected: list[str] | None,
            *, expected_missing: bool) -> None:
    assert session.relink_options is not None
    authorization_id = session.relink_options["authorization"]
    existing = accounts.of_authorization(backend, authorization_id)
    specific = _specific(session)
    chosen = _choose(backend, session, institution, selected, existing)
    if expected_missing:  # the existing accounts were not detected: only new ones can be picked (§4)
        chosen = [item for item in chosen if isinstance(item, CatalogueAccount)]
    if specific is not None:
        target = accounts.get(backend, specific)
        if target not in chosen:
            _finish(backend, call, session, "failed", failure="no_account")
            return
        chosen = [target]
    if not chosen:
        _finish(backend, call, session, "failed", failure="no_account")
        return
    relinked = [item for item in chosen if isinstance(item, Account)]
    unrepairable = [a for a in relinked if a.inactive is not None and a.inactive["action"] == "none"]
    if unrepairable and len(unrepairable) == len(chosen):
        _finish(backend, call, session, "failed", failure="no_account")
        return
    # the login succeeded: the authorization is repaired, and with it every account a relink can repair (§6)
    for account in relinked:
        account.permissions = list(session.permissions)  # the customer consented to the session's permissions
        if session.id not in account.sessions:
            account.sessions = [*account.sessions, session.id]  # replaced, never changed in place (snapshot)
    bank.reactivate_authorization(backend, call, authorization_id, relinked)
    new = [_create_account(backend, call, session, institution, authorization_id, item)
           for item in chosen if isinstance(item, CatalogueAccount)]
    session.account_ids = [a.id for a in relinked if a not in unrepairable] + [a.id for a in new]
    _finish(backend, call, session, "succeeded", authorization=authorization_id, account=specific)
