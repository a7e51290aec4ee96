"""The shop's relink code: what an integrator writes, following Stripe's relink guide."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MANDATE = {"customer_acceptance": {"type": "online", "online": {"ip_address": "198.51.100.1", "user_agent": "shop"}}}


@dataclass
class Store:
    stripe: stripe.StripeClient | None = None
    webhook_secret: str = ""
    prompts: list[str] = field(default_factory=list)
    known: dict[str, list[str]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    """customer -> the PaymentMethod the shop debits (the one set up last)."""
    destinations: dict[str, str] = field(default_factory=dict)
    """connected account -> the bank account the shop pays out to."""


def plain(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(str(obj))
    return data


def create_app() -> Starlette:
    store = Store()

    def client() -> stripe.StripeClient:
        assert store.stripe is not None, "configure first"
        return store.stripe

    async def configure(request: Request) -> JSONResponse:
        settings = await request.json()
        store.stripe = stripe.StripeClient(settings["api_key"], base_addresses={"api": settings["base_url"]},
                                           stripe_version=settings["api_version"], max_network_retries=0)
        store.webhook_secret = settings.get("webhook_secret") or ""
        return JSONResponse({"ok": True})

    async def webhook(request: Request) -> JSONResponse:
        payload = (await request.body()).decode()
        try:
            event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature", ""),
                                                   store.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError):
            return JSONResponse({"action": "rejected"}, status_code=400)
        if event.type != "financial_connections.account.deactivated":
            return JSONResponse({"action": "ignored"})
        account = plain(event)["data"]["object"]
        inactive = (account.get("status_details") or {}).get("inactive")
        if account["status"] == "inactive" and inactive is not None:
            if inactive["action"] == "relink_required":
                store.prompts.append(account["id"])
                return JSONResponse({"action": "prompt_relink", "account": account["id"]})
            return JSONResponse({"action": "no_action", "account": account["id"]})
        if account["status"] == "inactive":
            return JSONResponse({"action": "check_api_version", "account": account["id"]})
        return JSONResponse({"action": "no_action", "account": account["id"]})

    async def needed(request: Request) -> JSONResponse:
        account = plain(client().v1.financial_connections.accounts.retrieve((await request.json())["account"]))
        inactive = (account.get("status_details") or {}).get("inactive") or {}
        return JSONResponse({"needs_relink": account["status"] == "inactive"
                             and inactive.get("action") == "relink_required"})

    async def start(request: Request) -> JSONResponse:
        body = await request.json()
        account = plain(client().v1.financial_connections.accounts.retrieve(body["account"]))
        holder = account["account_holder"]
        params: dict[str, Any] = {
            "account_holder": holder if holder is not None else "",
            "permissions": ["payment_method", *[p for p in body.get("permissions") or [] if p != "payment_method"]],
            "relink_options": {"authorization": account["authorization"]},
        }
        if body.get("any_account"):
            params["filters"] = {"account_subcategories": ["checking", "savings"]}
            params["limits"] = {"accounts": 1}
        else:
            params["relink_options"]["account"] = account["id"]
        session = client().v1.financial_connections.sessions.create(params=params)  # type: ignore[arg-type]
        listing: dict[str, Any] = {"limit": 100}
        if holder and holder.get("customer"):
            listing["account_holder"] = {"customer": holder["customer"]}
        known = client().v1.financial_connections.accounts.list(params=listing)  # type: ignore[arg-type]
        store.known[session.id] = [a.id for a in known.data]
        return JSONResponse({"session": session.id, "client_secret": session.client_secret})

    async def finish(request: Request) -> JSONResponse:
        session_id = (await request.json())["session"]
        session = plain(client().v1.financial_connections.sessions.retrieve(session_id))
        result = session.get("relink_result") or {}
        if session.get("status") == "cancelled":
            return JSONResponse({"status": "cancelled", "account": None, "is_new": None,
                                 "failure_reason": result.get("failure_reason")})
        if session.get("status") != "succeeded" or not session["accounts"]["data"]:
            return JSONResponse({"status": "failed", "account": None, "is_new": None,
                                 "failure_reason": result.get("failure_reason")})
        account = session["accounts"]["data"][0]["id"]
        is_new = account not in store.known.get(session_id, [])
        return JSONResponse({"status": "relinked", "account": account, "is_new": is_new, "failure_reason": None})

    def setup_params(account_id: str) -> dict[str, Any]:
        account = plain(client().v1.financial_connections.accounts.retrieve(account_id))
        params: dict[str, Any] = {"allowed_payment_method_types": ["us_bank_account"], "payment_method_data": {
            "type": "us_bank_account", "us_bank_account": {"financial_connections_account": account_id},
            "billing_details": {"name": "Shop Customer"}}}
        if account["account_holder"] and account["account_holder"].get("customer"):
            params["customer"] = account["account_holder"]["customer"]
        return params

    async def payments(request: Request) -> JSONResponse:
        intent = client().v1.setup_intents.create(params=setup_params((await request.json())["account"]))  # type: ignore[arg-type]
        done = client().v1.setup_intents.confirm(intent.id, params={"mandate_data": MANDATE})  # type: ignore[typeddict-item]
        if done.customer and done.status == "succeeded":
            store.methods[done.customer] = done.payment_method
        return JSONResponse({"setup_intent": done.id, "payment_method": done.payment_method, "status": done.status})

    async def payouts(request: Request) -> JSONResponse:
        account_id = (await request.json())["account"]
        params = {**setup_params(account_id), "flow_directions": ["outbound"], "confirm": True}
        intent = client().v1.setup_intents.create(params=params)  # type: ignore[arg-type]
        token_params: dict[str, Any] = {"bank_account": {"payment_method": intent.payment_method}}
        if intent.customer:
            token_params["customer"] = intent.customer
        token = client().v1.tokens.create(params=token_params)  # type: ignore[arg-type]
        holder = plain(client().v1.financial_connections.accounts.retrieve(account_id))
        owner = (holder["account_holder"] or {}).get("account")
        if owner:  # the connected account's own bank account receives its payouts
            bank = client().v1.accounts.external_accounts.create(owner, params={
                "external_account": token.id, "default_for_currency": True})
            store.destinations[owner] = bank.id
        return JSONResponse({"setup_intent": intent.id, "payment_method": intent.payment_method,
                             "status": intent.status, "token": token.id})

    async def charge(request: Request) -> JSONResponse:
        asked = await request.json()
        method = store.methods[asked["customer"]]
        try:
            intent = plain(client().v1.payment_intents.create(params={
                "amount": asked["amount"], "currency": "usd", "customer": asked["customer"], "payment_method": method,
                "off_session": True, "confirm": True}))
            code = None
        except stripe.InvalidRequestError as refused:  # Stripe's error carries the PaymentIntent it left
            error = plain(refused.error)
            intent, code = error["payment_intent"], error.get("code")
        return JSONResponse({"payment_intent": intent["id"], "status": intent["status"], "payment_method": method,
                             "failure_code": code})

    async def payout(request: Request) -> JSONResponse:
        asked = await request.json()
        made = client().v1.payouts.create(
            params={"amount": asked["amount"], "currency": "usd", "destination": store.destinations[asked["account"]]},
            options={"stripe_account": asked["account"]})
        return JSONResponse({"payout": made.id, "status": made.status, "destination": made.destination})

    app = Starlette(routes=[
        Route("/_stripe_test/configure", configure, methods=["POST"]),
        Route("/webhooks/stripe", webhook, methods=["POST"]),
        Route("/relink/needed", needed, methods=["POST"]),
        Route("/relink/start", start, methods=["POST"]),
        Route("/relink/finish", finish, methods=["POST"]),
        Route("/payments/setup", payments, methods=["POST"]),
        Route("/payouts/setup", payouts, methods=["POST"]),
        Route("/payments/charge", charge, methods=["POST"]),
        Route("/payouts/pay", payout, methods=["POST"]),
    ])
    app.state.store = store
    return app
