"""`/_emulator/dashboard`: one namespace's world at a glance, with the simulation actions as plain forms.
Server-rendered from `emulator.web.pages`; every value is escaped."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from emulator.core.backend import Backend, Call
from emulator.core.errors import StripeError
from emulator.core.form import decode
from emulator.http.auth import ApiKey, parse_secret_key
from emulator.http.pipeline import read_body, state_of
from emulator.resources import customers, generic
from emulator.resources.financial_connections import accounts, authorizations, bank, sessions
from emulator.resources.payments import (
    ach_numbers,
    charges,
    payment_intents,
    payment_methods,
    payouts,
    setup_intents,
    tokens,
)
from emulator.web import pages

PATH = "/_emulator/dashboard"
ACTIONS = f"{PATH}/actions"


def _json(value: Any) -> str:
    return f"<code>{pages.e(json.dumps(value, sort_keys=True))}</code>"


def _sections(request: Request, backend: Backend, key: str, csrf: str) -> list[tuple[str, str]]:
    state = state_of(request)
    action_form = functools.partial(pages.action_form, csrf=csrf)
    version = state.policy.resolve("2026-09-30.preview")
    out: list[tuple[str, str]] = []
    rows = [[pages.e(c.id), pages.e(c.name), pages.e(c.email), _json(c.metadata)]
            for c in customers.table(backend).newest_first() if not c.deleted]
    out.append(("Customers", pages.table(["id", "name", "email", "metadata"], rows)))
    auth_rows = []
    for authorization in authorizations.table(backend).newest_first():
        members = accounts.of_authorization(backend, authorization.id)
        auth_rows.append([pages.e(authorization.id), pages.e(authorization.institution_name),
                          pages.e(authorizations.status(authorization, members)),
                          ", ".join(pages.e(m.id) for m in members)])
    out.append(("Authorizations", pages.table(["id", "institution", "status", "accounts"], auth_rows)))
    account_rows = []
    for account in accounts.table(backend).newest_first():
        tan = account.tan
        actions = action_form(ACTIONS, key, "deactivate", account.id, "Deactivate",
                              "<select name=cause aria-label=cause>" + "".join(
                                  f"<option>{c}</option>" for c in bank.CAUSES) + "</select>")
        if tan is not None and tan.status == "transactable":
            actions += action_form(ACTIONS, key, "revoke_tan", account.id, "Revoke TAN")
            actions += action_form(ACTIONS, key, "expire_tan", account.id, "Expire TAN")
        if account.status == "active":
            actions += action_form(ACTIONS, key, "schedule_deactivation", account.id, "Schedule deactivation",
                                   "<label> in <input name=days size=3 value=7> days</label>")
        account_rows.append([
            pages.e(account.id), pages.e(account.display_name), f"<span data-status>{pages.e(account.status)}</span>",
            _json(account.status_details(version)), pages.e("" if tan is None else tan.status), actions])
    out.append(("Accounts", pages.table(["id", "name", "status", "status_details", "TAN", "simulate"], account_rows)))
    session_rows = [[pages.e(s.id), pages.e(s.status), _json(s.relink_options), _json(s.relink_result)]
                    for s in sessions.table(backend).newest_first()]
    out.append(("Sessions", pages.table(["id", "status", "relink_options", "relink_result"], session_rows)))
    intents = [[pages.e(i.id), pages.e(i.status), pages.e(i.payment_method), pages.e(i.mandate)]
               for i in setup_intents.table(backend).newest_first()]
    out.append(("SetupIntents", pages.table(["id", "status", "payment method", "mandate"], intents)))
    outcomes = "<select name=outcome aria-label=outcome>" + "".join(
        f"<option>{pages.e(o)}</option>" for o in ach_numbers.OUTCOMES if o != "succeeded") + "</select>"
    methods = [[pages.e(pm.id), pages.e(pm.customer), pages.e(pm.financial_connections_account),
                pages.e(payment_methods.blocked_reason(backend, pm) or ""),
                pages.e(_outcome_name(pm.next_debit)),
                action_form(ACTIONS, key, "fail_next_debit", pm.id, "Fail the next debit", outcomes)
                if pm.card is None else "card: no debits"]  # the next-debit helper is for bank debits
               for pm in payment_methods.table(backend).newest_first()]
    out.append(("PaymentMethods", pages.table(["id", "customer", "FC account", "blocked", "next debit", "simulate"],
                                              methods)))
    debits = [[pages.e(pi.id), pages.e(pi.status), pages.e(pi.amount), pages.e(pi.customer),
               pages.e(pi.payment_method), pages.e(pi.latest_charge),
               pages.e((pi.last_payment_error or {}).get("code"))]
              for pi in payment_intents.table(backend).newest_first()]
    out.append(("PaymentIntents", pages.table(["id", "status", "amount", "customer", "payment method",
                                               "latest charge", "last error"], debits)))
    charge_rows = [[pages.e(c.id), pages.e(c.status), pages.e(c.amount), pages.e(c.amount_refunded),
                    pages.e(c.failure_code), pages.e(c.disputed), pages.e(c.bank.get("last4"))]
                   for c in charges.table(backend).newest_first()]
    out.append(("Charges", pages.table(["id", "status", "amount", "refunded", "failure", "disputed", "last4"],
                                       charge_rows)))
    payout_rows = [[pages.e(p.id), pages.e(p.account), pages.e(p.status), pages.e(p.amount), pages.e(p.destination),
                    pages.e(p.failure_code), pages.e(p.arrival_date)]
                   for p in payouts.table(backend).newest_first()]
    out.append(("Payouts", pages.table(["id", "connected account", "status", "amount", "destination", "failure",
                                        "arrival"], payout_rows)))
    token_rows = [[pages.e(t.id), pages.e(t.bank_account.id if t.bank_account else f"({t.type} token)"),
                   pages.e(t.bank_account.status(backend) if t.bank_account else ""),
                   pages.e(t.used)] for t in tokens.table(backend).newest_first()]
    out.append(("Tokens", pages.table(["id", "bank account", "status", "used"], token_rows)))
    generic_rows = [[pages.e(o.id), pages.e(o.object), pages.e(o.parent), pages.e(o.created)]
                    for o in generic.table(backend).newest_first() if not o.deleted]
    out.append(("Other objects (generic)", pages.table(["id", "object", "parent", "created"], generic_rows)))
    outbox = state.dispatcher.outbox(backend)
    attempts: dict[str, list[str]] = {}
    for attempt in outbox.attempts:
        attempts.setdefault(attempt.event, []).append(f"#{attempt.attempt} {attempt.status_code or attempt.error}")
    event_rows = []
    for event in list(backend.events.table.newest_first())[:100]:
        redeliver = action_form(ACTIONS, key, "redeliver", event.id, "Redeliver") if event.id in attempts \
            else ""
        event_rows.append([pages.e(event.id), pages.e(event.type), pages.e(event.created),
                           pages.e(", ".join(attempts.get(event.id, []))), redeliver])
    out.append(("Events", pages.table(["id", "type", "created", "deliveries", ""], event_rows)))
    request_rows = [[pages.e(r.method), pages.e(r.path), pages.e(r.status), pages.e(r.request_id)]
                    for r in backend.requests.newest_first(50)]
    out.append(("Requests", pages.table(["method", "path", "status", "request id"], request_rows)))
    return out


def _outcome_name(behaviour: str | None) -> str:
    return next((name for name, value in ach_numbers.OUTCOMES.items() if value == behaviour), "")


def csrf_token(request: Request, key: ApiKey) -> str:
    """The token every dashboard form carries: derived from this server's secret and the namespace, so a page
    elsewhere cannot forge a form that acts on the dashboard (cross-site request forgery)."""
    secret = state_of(request).page_secret
    return hmac.new(secret, key.namespace.encode(), hashlib.sha256).hexdigest()[:32]


def _same_origin(request: Request) -> bool:
    """A browser names where a form was posted from (`Origin`, else `Referer`): it must be this server."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")
    parts = urlsplit(source)
    return parts.netloc.lower() == (request.headers.get("host") or "").lower() and parts.scheme in ("http", "https")


async def dashboard(request: Request) -> Response:
    key_text = request.query_params.get("key")
    if not key_text:
        return HTMLResponse(pages.key_form(PATH))
    try:
        key = parse_secret_key(key_text)  # it shows and changes a whole namespace: never with a publishable key
    except StripeError as error:
        return HTMLResponse(pages.problem(error.message), status_code=401)
    backend = state_of(request).backends.get(key.namespace)
    csrf = csrf_token(request, key)
    with backend.lock:
        backend.tick()
        html = pages.dashboard(key.masked, _sections(request, backend, key_text, csrf), backend.clock.to_dict(),
                               key_text, ACTIONS, request.query_params.get("message", ""), csrf)
    return HTMLResponse(html)


def _choice(form: dict[str, str], name: str, allowed: Any) -> str:
    value = form.get(name, "")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    return value


async def action(request: Request) -> Response:
    try:
        raw = decode(await read_body(request, state_of(request).settings.max_body_bytes))
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        key = parse_secret_key(form.get("key", ""))
    except StripeError as error:
        return HTMLResponse(pages.problem(error.message), status_code=error.http_status)
    if not _same_origin(request) or not hmac.compare_digest(form.get("csrf", ""), csrf_token(request, key)):
        return HTMLResponse(pages.problem("This form did not come from this dashboard (its origin or token does "
                                          "not match): nothing was done."), status_code=403)
    state = state_of(request)
    backend = state.backends.get(key.namespace)
    call = Call(version=backend.default_version)
    target, kind = form.get("target", ""), form.get("action", "")
    try:
        with backend.lock:
            if kind == "deactivate":
                bank.deactivate(backend, call, {"cause": form.get("cause", "access_expired")}, account=target)
            elif kind in ("revoke_tan", "expire_tan"):
                bank.deactivate_numbers(backend, call, {"reason": "revoked" if kind == "revoke_tan" else "expired"},
                                        account=target)
            elif kind == "schedule_deactivation":
                seconds = int(form.get("days", "7") or 7) * 24 * 60 * 60
                bank.schedule_deactivation(backend, call, {"after_seconds": max(seconds, 1)}, account=target)
            elif kind == "fail_next_debit":
                payment_methods.next_debit(backend, call, {"outcome": _choice(form, "outcome", ach_numbers.OUTCOMES)},
                                           payment_method=target)
            elif kind == "advance_clock":
                backend.clock.advance(max(int(form.get("seconds", "0") or 0), 0))
                backend.tick()
            elif kind == "redeliver":
                state.dispatcher.redeliver(backend, target)
            else:
                raise ValueError(f"unknown action {kind!r}")
        message = f"{kind} {target}: done"
    except (StripeError, ValueError) as problem:
        message = f"{kind} {target}: {getattr(problem, 'message', str(problem))}"
    state.dispatcher.kick(backend)
    return RedirectResponse(f"{PATH}?{urlencode({'key': form.get('key', ''), 'message': message})}", status_code=303)


ROUTES: list[tuple[str, str, Any]] = [("GET", PATH, dashboard), ("POST", ACTIONS, action)]
