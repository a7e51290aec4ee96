"""The browser side: the Stripe.js shim (`/v3/`), the hosted auth flow (`/hosted/financial_connections/:id`), the
client-side endpoints the shim calls with a publishable key, and the dashboard (`/_emulator/dashboard`).

The auth flow only drives `flow.complete` — the same state transitions as the test helper."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from emulator.core.backend import Backend, Call
from emulator.core.errors import InvalidRequestError, ResourceMissingError, StripeError, UnrecognizedUrlError
from emulator.core.form import decode
from emulator.core.versions import NEWEST_PREVIEW, parse
from emulator.http.auth import authenticate, parse_key
from emulator.http.pipeline import read_body, state_of
from emulator.http.responses import error_response, json_response
from emulator.resources.financial_connections import accounts, credentials, flow, sessions
from emulator.resources.financial_connections.institutions import catalogue
from emulator.resources.payments import payment_methods, setup_intents, tokens
from emulator.web import pages

FLOW_VERSION = parse(NEWEST_PREVIEW)
"""The auth flow speaks for Stripe.js, which is not version-pinned: it renders and records in the newest preview."""


def _shim() -> str:
    return resources.files("emulator.web").joinpath("static/stripe.js").read_text(encoding="utf-8")


RELEASE_TRAIN = re.compile(r"[a-z]+")
"""A Stripe.js release train's path segment (`/endive/stripe.js`, what @stripe/stripe-js 10.x loads)."""


async def stripe_js(request: Request) -> Response:
    train = request.path_params.get("train")
    if train is not None and not RELEASE_TRAIN.fullmatch(train):
        return error_response(UnrecognizedUrlError(request.method, request.url.path))
    return Response(_shim(), media_type="application/javascript",
                    headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"})


# -- the hosted auth flow ------------------------------------------------------------------------------------------

def _flow_context(request: Request, session_id: str) -> tuple[Backend, sessions.Session, dict[str, str]]:
    params = dict(request.query_params)
    key = parse_key(params.get("key", ""))
    backend = state_of(request).backends.get(key.namespace)
    found = sessions.get(backend, session_id)
    secret = params.get("client_secret")
    if secret is not None and secret != found.client_secret:
        raise InvalidRequestError("The client_secret does not match this session.", param="client_secret")
    state = {"key": params["key"]}
    if secret is not None:
        state["client_secret"] = secret
    return backend, found, state


async def auth_flow(request: Request) -> Response:
    session_id = request.path_params["session"]
    try:
        backend, found, state = _flow_context(request, session_id)
    except StripeError as error:
        return HTMLResponse(pages.problem(error.message), status_code=error.http_status)
    base = f"/hosted/financial_connections/{session_id}"
    with backend.lock:
        rendered = sessions.render(backend, found, FLOW_VERSION)
        if found.status != "pending":
            return HTMLResponse(pages.result(rendered, None, found.return_url))
        step = request.query_params.get("step", "consent")
        if step == "consent":
            return HTMLResponse(pages.consent(rendered, pages.link(base, step="institution", **state), base, state))
        preselected = _relinked_institution(backend, found)
        if step == "institution":
            found_institutions = catalogue().search(request.query_params.get("q", ""))  # names and aliases
            if found.institution_filter is not None:
                found_institutions = [i for i in found_institutions if i.id == found.institution_filter]
            items = [i.render() | {"oauth": i.oauth} for i in found_institutions]
            items.sort(key=lambda item: item["id"] != preselected)
            return HTMLResponse(pages.institutions(items, request.query_params.get("q", ""), base, state,
                                                   preselected))
        institution = catalogue().get(request.query_params.get("institution", ""))
        if institution is None:
            return HTMLResponse(pages.problem("Choose a bank first."), status_code=400)
        shown = {"id": institution.id, "name": institution.name, "oauth": institution.oauth}
        if step == "login" or not institution.oauth:  # a form bank's accounts come only after its login form
            next_fields = {**state, "step": "accounts", "institution": institution.id}
            return HTMLResponse(pages.login(shown, base, next_fields, base, state))
        return HTMLResponse(_accounts_page(backend, found, institution, shown, base, state))


def _relinked_institution(backend: Backend, found: sessions.Session) -> str | None:
    if found.relink_options is None:
        return None
    members = accounts.of_authorization(backend, found.relink_options["authorization"])
    return members[0].institution if members else None


def _accounts_page(backend: Backend, found: sessions.Session, institution: Any, shown: dict[str, Any], base: str,
                   state: dict[str, str], entered: dict[str, Any] | None = None) -> str:
    existing: dict[str, accounts.Account] = {}
    target = None
    if found.relink_options is not None:
        members = accounts.of_authorization(backend, found.relink_options["authorization"])
        existing = {member.catalogue_key: member for member in members}
        target = found.relink_options.get("account")
    choices = []
    for entry in institution.accounts:
        current = existing.get(entry.key)
        allowed = found.account_subcategories is None or entry.subcategory in found.account_subcategories
        choices.append({
            "value": current.id if current is not None else entry.display_name,
            "name": entry.display_name, "last4": entry.last4, "allowed": allowed,
            "why": f"{entry.subcategory} accounts are not accepted here",
            "checked": current is not None and current.id == target,
        })
    notice = "This site asks you to relink the account marked below." if target else ""
    return pages.accounts(shown, choices, found.limit == 1, base, state, notice, entered)


async def auth_flow_submit(request: Request) -> Response:
    session_id = request.path_params["session"]
    try:
        form = decode(await read_body(request, state_of(request).settings.max_body_bytes))
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        key = parse_key(fields.get("key", ""))
        backend = state_of(request).backends.get(key.namespace)
        found = sessions.get(backend, session_id)
        if fields.get("client_secret") not in (None, found.client_secret):
            raise InvalidRequestError("The client_secret does not match this session.", param="client_secret")
    except StripeError as error:
        return HTMLResponse(pages.problem(error.message), status_code=error.http_status)
    state = {"key": fields["key"]} | ({"client_secret": fields["client_secret"]} if "client_secret" in fields else {})
    entered = _entered(form)
    if fields.get("step") == "login":
        return _login_step(request, backend, found, fields.get("institution", ""), entered, state)
    chosen = form.get("accounts")
    values: dict[str, Any] = {"outcome": fields.get("outcome", "success")}
    if "institution" in fields:
        values["institution"] = fields["institution"]
    if values["outcome"] == "success":
        values["accounts"] = [chosen] if isinstance(chosen, str) else list(chosen or [])
        if not values["accounts"]:
            values["outcome"] = "no_accounts_available"
            del values["accounts"]
    if values["outcome"] == "success" and entered is not None:
        values["credentials"] = entered  # the bank reads the login again: a skipped step cannot skip it
    refused: str | None = None
    with backend.lock:
        try:
            flow.complete(backend, Call(version=FLOW_VERSION), values, session=session_id)
        except StripeError as problem:
            refused = problem.message
        rendered = sessions.render(backend, found, FLOW_VERSION)
    state_of(request).dispatcher.kick(backend)
    if refused is not None:
        back = f"/hosted/financial_connections/{session_id}?{urlencode({'step': 'consent', 'key': fields['key']})}"
        return HTMLResponse(pages.page("Try again", f"<h1>Try again</h1><p class=error>{pages.e(refused)}</p>"
                                       f"<a class=button href='{pages.e(back)}'>Back</a>"), status_code=400)
    return HTMLResponse(pages.result(rendered, None, found.return_url))


def _entered(form: dict[str, Any]) -> dict[str, Any] | None:
    """The login form's entries, when the customer used it (OAuth banks have none)."""
    if not isinstance(form.get("username"), str) or not isinstance(form.get("password"), str):
        return None
    answers = form.get("answers")
    listed = [answers] if isinstance(answers, str) else list(answers or []) if isinstance(answers, list) else []
    return {"username": form["username"], "password": form["password"],
            "answers": [a for a in listed if isinstance(a, str)][:20]}


def _login_step(request: Request, backend: Backend, found: sessions.Session, institution_ref: str,
                entered: dict[str, Any] | None, state: dict[str, str]) -> Response:
    """The customer submitted the bank's login form or answered one of its questions (`credentials`)."""
    institution = catalogue().get(institution_ref)
    if institution is None or institution.oauth or entered is None:
        return HTMLResponse(pages.problem("Log in through the bank's form first."), status_code=400)
    base = f"/hosted/financial_connections/{found.id}"
    shown = {"id": institution.id, "name": institution.name, "oauth": institution.oauth}
    typed = credentials.Credentials(entered["username"], entered["password"], tuple(entered["answers"]))
    with backend.lock:
        if found.status != "pending":
            return HTMLResponse(pages.result(sessions.render(backend, found, FLOW_VERSION), None, found.return_url))
        try:
            login = credentials.evaluate(typed, institution.name, keywords=institution.credential_keywords)
        except StripeError as error:
            return HTMLResponse(pages.problem(error.message), status_code=error.http_status)
        if login.status == "question" and not institution.down:
            assert login.question is not None
            asked = login.question
            return HTMLResponse(pages.question(shown, asked.label, asked.choices, asked.secret, entered, base, state))
        if login.status == "incorrect" and not institution.down:
            return HTMLResponse(pages.login(shown, base, {}, base, state,
                                            problem=f"{institution.name} says what you entered is incorrect. "
                                                    "Try again."))
        if login.status == "success" and not institution.down:
            return HTMLResponse(_accounts_page(backend, found, institution, shown, base, state, entered))
        # `error`, or a bank that is down: the login session ends here
        try:
            values = {"institution": institution.id, "credentials": entered}
            flow.complete(backend, Call(version=FLOW_VERSION), values, session=found.id)
        except StripeError as error:
            return HTMLResponse(pages.problem(error.message), status_code=error.http_status)
        rendered = sessions.render(backend, found, FLOW_VERSION)
    state_of(request).dispatcher.kick(backend)
    return HTMLResponse(pages.result(rendered, None, found.return_url))


# -- what the shim calls (publishable key + client secret) ----------------------------------------------------------

def _client_backend(request: Request) -> Backend:
    key = authenticate(request.headers, allow_publishable=True)
    return state_of(request).backends.get(key.namespace)


def _by_secret(backend: Backend, secret: str) -> sessions.Session:
    for found in sessions.table(backend).values():
        if found.client_secret == secret:
            return found
    raise ResourceMissingError("financial_connections.session", "client_secret", param="client_secret")


def client_session_shape(backend: Backend, found: sessions.Session) -> dict[str, Any]:
    """What Stripe.js resolves with: a reduced session whose `accounts` is a plain array (reference §10)."""
    rendered = sessions.render(backend, found, FLOW_VERSION)
    shaped = {"id": rendered["id"], "object": rendered["object"], "accounts": rendered["accounts"]["data"],
              "filters": rendered.get("filters"), "livemode": False, "permissions": rendered["permissions"],
              "status": rendered["status"]}
    if "relink_result" in rendered:
        shaped["relink_result"] = rendered["relink_result"]
    if "return_url" in rendered:
        shaped["return_url"] = rendered["return_url"]
    return shaped


async def _client(request: Request, handler: Any) -> Response:
    try:
        backend = _client_backend(request)
        form = decode(await read_body(request, state_of(request).settings.max_body_bytes)) \
            if request.method == "POST" else dict(request.query_params)
        with backend.lock:
            body = handler(backend, {k: v for k, v in form.items() if isinstance(v, str)})
        state_of(request).dispatcher.kick(backend)
        return json_response(body, headers={"Access-Control-Allow-Origin": "*"})
    except StripeError as error:
        return error_response(error, {"Access-Control-Allow-Origin": "*"})


def _secret(values: dict[str, str]) -> str:
    if not values.get("client_secret"):
        raise InvalidRequestError("Missing required param: client_secret.", code="parameter_missing",
                                  param="client_secret")
    return values["client_secret"]


def _intent(backend: Backend, secret: str) -> setup_intents.SetupIntent:
    intent = setup_intents.table(backend).get(secret.split("_secret_")[0])
    if intent is None or intent.client_secret != secret:
        raise ResourceMissingError("setupintent", secret.split("_secret_")[0], param="client_secret")
    return intent


async def client_session(request: Request) -> Response:
    return await _client(request, lambda b, v: client_session_shape(b, _by_secret(b, _secret(v))))


async def client_token(request: Request) -> Response:
    def make(backend: Backend, values: dict[str, str]) -> dict[str, Any]:
        found = _by_secret(backend, _secret(values))
        if not found.account_ids:
            raise InvalidRequestError("No account was linked in this session.", param="client_secret")
        if found.bank_account_token is not None:  # one token per session, however often Stripe.js asks
            return tokens.get(backend, found.bank_account_token).render(backend)
        account = found.account_ids[0]
        data = {"type": "us_bank_account", "us_bank_account": {"financial_connections_account": account}}
        pm = payment_methods.create_from_data(backend, data, None, FLOW_VERSION)
        made = tokens.create(backend, Call(version=FLOW_VERSION), {"bank_account": {"payment_method": pm.id}})
        found.bank_account_token = str(made["id"])  # the session's bank_account_token (facts §9)
        return made

    return await _client(request, make)


async def client_setup_intent(request: Request) -> Response:
    return await _client(request, lambda b, v: setup_intents.render(_intent(b, _secret(v)), FLOW_VERSION))


async def client_setup_intent_session(request: Request) -> Response:
    def make(backend: Backend, values: dict[str, str]) -> dict[str, Any]:
        intent = _intent(backend, _secret(values))
        options = intent.payment_method_options["us_bank_account"]["financial_connections"]
        params: dict[str, Any] = {"permissions": options["permissions"], "prefetch": options.get("prefetch", []),
                                  "account_holder": {"type": "customer", "customer": intent.customer}
                                  if intent.customer else None}
        if params["account_holder"] is None:
            del params["account_holder"]
        return sessions.create(backend, Call(version=FLOW_VERSION), params)

    return await _client(request, make)


async def client_setup_intent_attach(request: Request) -> Response:
    def attach(backend: Backend, values: dict[str, str]) -> dict[str, Any]:
        intent = _intent(backend, _secret(values))
        linked = [s for s in sessions.table(backend).values() if s.account_ids]
        if not linked:
            raise InvalidRequestError("No account was linked for this SetupIntent.", param="client_secret")
        data = {"type": "us_bank_account",
                "us_bank_account": {"financial_connections_account": linked[-1].account_ids[0]}}
        return setup_intents.update(backend, Call(version=FLOW_VERSION), {"payment_method_data": data}, id=intent.id)

    return await _client(request, attach)


async def client_confirm(request: Request) -> Response:
    def confirm(backend: Backend, values: dict[str, str]) -> dict[str, Any]:
        intent = _intent(backend, _secret(values))
        agent = request.headers.get("user-agent", "browser")
        mandate = {"customer_acceptance": {"type": "online", "online": {
            "ip_address": request.client.host if request.client else "127.0.0.1", "user_agent": agent}}}
        params: dict[str, Any] = {"mandate_data": mandate}
        if values.get("payment_method"):
            params["payment_method"] = values["payment_method"]
        return setup_intents.confirm(backend, Call(version=FLOW_VERSION), params, id=intent.id)

    return await _client(request, confirm)


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/v3/", stripe_js),
    ("GET", "/v3/stripe.js", stripe_js),
    ("GET", "/{train}/stripe.js", stripe_js),
    ("GET", "/hosted/financial_connections/{session}", auth_flow),
    ("POST", "/hosted/financial_connections/{session}", auth_flow_submit),
    ("GET", "/_emulator/client/financial_connections/session", client_session),
    ("POST", "/_emulator/client/financial_connections/token", client_token),
    ("GET", "/_emulator/client/setup_intent", client_setup_intent),
    ("POST", "/_emulator/client/setup_intent/session", client_setup_intent_session),
    ("POST", "/_emulator/client/setup_intent/attach", client_setup_intent_attach),
    ("POST", "/_emulator/client/setup_intent/confirm", client_confirm),
]
