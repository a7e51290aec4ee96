"""Async Python: the SDK's `*_async` methods in process and over HTTP, adapters whose methods are `async def`, and a
small async Starlette consumer (its handlers await the SDK's async methods) driven by the built-in scenarios."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.http.app import create_app
from emulator.settings import Settings
from harness.client import EmulatorContext, WebhookOutcome
from harness.http_adapter import HttpRelinkClient
from harness.pytest_plugin import RunningEmulator
from harness.reference_client import ReferenceClient, plain
from harness.scenario.loader import builtin
from harness.scenario.runner import run_scenario
from harness.sdk import AsgiHTTPClient
from harness.server import AppServer

PREVIEW = "2026-09-30.preview"


def test_the_sdks_async_methods_run_in_process() -> None:
    http = AsgiHTTPClient(create_app(Settings(seed=21)))
    client = stripe.StripeClient("sk_test_async_inprocess", http_client=http, max_network_retries=0,
                                 base_addresses={"api": "http://emulator.invalid"})

    async def main() -> tuple[str, str | None, int, str | None]:
        created = await client.v1.customers.create_async(params={"name": "Async Jenny"})
        fetched = await client.v1.customers.retrieve_async(created.id)
        listed = await client.v1.customers.list_async(params={"limit": 3})
        try:
            await client.v1.customers.retrieve_async("cus_nope")
        except stripe.InvalidRequestError as missing:
            return created.id, fetched.name, len(listed.data), missing.code
        raise AssertionError("a missing customer was found")

    try:
        customer, name, count, code = asyncio.run(main())
        assert customer.startswith("cus_") and name == "Async Jenny" and count == 1 and code == "resource_missing"
        # the same client's synchronous methods see what the async ones made: one emulator, one namespace
        assert client.v1.customers.retrieve(customer).name == "Async Jenny"
    finally:
        http.close()


class AsyncAdapter:
    """An adapter written with `async def` and the SDK's async methods (the reference client's decisions)."""

    def __init__(self) -> None:
        self.reference = ReferenceClient()
        self.client: stripe.StripeClient | None = None
        self.http = stripe.HTTPXClient()
        self.loops: set[int] = set()

    async def configure(self, context: EmulatorContext) -> None:
        self.reference.configure(context)
        self.client = stripe.StripeClient(context.api_key, base_addresses={"api": context.base_url},
                                          stripe_version=context.api_version, max_network_retries=0,
                                          http_client=self.http)
        self.loops.add(id(asyncio.get_running_loop()))

    async def aclose(self) -> None:  # the runner awaits it at the end, on the adapter's loop
        await self.http.close_async()

    async def handle_webhook(self, payload: str, signature: str) -> WebhookOutcome:
        self.loops.add(id(asyncio.get_running_loop()))
        return self.reference.handle_webhook(payload, signature)

    async def needs_relink(self, account: str) -> bool:
        assert self.client is not None
        self.loops.add(id(asyncio.get_running_loop()))
        found = plain(await self.client.v1.financial_connections.accounts.retrieve_async(account))
        inactive = (found.get("status_details") or {}).get("inactive") if found["status"] == "inactive" else None
        if inactive is None or inactive["action"] != "relink_required":
            return False
        authorization = json.loads((await self.client.raw_request_async(
            "get", f"/v1/financial_connections/authorizations/{found['authorization']}")).body)
        return bool(authorization["status"] == "inactive")


@pytest.mark.parametrize("name", ["closed-account-no-prompt", "sibling-reactivation",
                                  "specific-relink-no-authorization"])
def test_an_adapter_with_async_methods_plays_the_builtin_scenarios(stripe_emulator: RunningEmulator,
                                                                   name: str) -> None:
    adapter = AsyncAdapter()
    if name != "closed-account-no-prompt":  # these call start_relink too: the reference client's, synchronous
        adapter.start_relink = adapter.reference.start_relink  # type: ignore[attr-defined]
        adapter.finish_relink = adapter.reference.finish_relink  # type: ignore[attr-defined]
    run_scenario(builtin(name), base_url=stripe_emulator.url, api_key=f"sk_test_async_{name.replace('-', '_')}",
                 client=adapter)
    assert len(adapter.loops) == 1  # configure, the webhook handler and the checks all ran on one loop


def async_shop() -> Starlette:
    """An integrator's async app: its handlers await the stripe SDK's async methods (a client per request, closed
    when the request is done, so nothing is left open on the server's loop)."""
    state: dict[str, Any] = {}

    async def account(account_id: str) -> dict[str, Any]:
        http = stripe.HTTPXClient()
        try:
            client = stripe.StripeClient(state["api_key"], base_addresses={"api": state["base_url"]},
                                         stripe_version=state["api_version"], max_network_retries=0,
                                         http_client=http)
            return plain(await client.v1.financial_connections.accounts.retrieve_async(account_id))
        finally:
            await http.close_async()

    async def configure(request: Request) -> JSONResponse:
        state.update(await request.json())
        return JSONResponse({})

    async def webhook(request: Request) -> JSONResponse:
        try:
            event = stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature", ""),
                                                   state["webhook_secret"])
        except (ValueError, stripe.SignatureVerificationError):
            return JSONResponse({"action": "rejected"}, status_code=400)
        if event.type != "financial_connections.account.deactivated":
            return JSONResponse({"action": "ignored"})
        found = await account(event.data.object.id)
        inactive = (found.get("status_details") or {}).get("inactive") or {}
        action = "prompt_relink" if inactive.get("action") == "relink_required" else "no_action"
        return JSONResponse({"action": action, "account": found["id"]})

    async def needed(request: Request) -> JSONResponse:
        found = await account((await request.json())["account"])
        inactive = (found.get("status_details") or {}).get("inactive") if found["status"] == "inactive" else None
        return JSONResponse(inactive is not None and inactive["action"] == "relink_required")

    return Starlette(routes=[Route("/_stripe_test/configure", configure, methods=["POST"]),
                             Route("/webhooks/stripe", webhook, methods=["POST"]),
                             Route("/relink/needed", needed, methods=["POST"])])


def test_an_async_starlette_consumer_is_driven_through_the_http_adapter(stripe_emulator: RunningEmulator) -> None:
    routes = {"start_relink": None, "finish_relink": None, "create_payment_method": None,
              "create_payout_token": None, "charge": None, "payout": None}
    with AppServer(async_shop()) as shop:
        adapter = HttpRelinkClient(shop.url, routes=routes)
        try:
            run_scenario(builtin("closed-account-no-prompt"), base_url=stripe_emulator.url,
                         api_key="sk_test_async_shop", client=adapter)
        finally:
            adapter.close()


ASYNC_PLUGIN_TEST = """
import asyncio
import json

import pytest
from harness.client import WebhookOutcome


class AsyncHandler:
    def __init__(self):
        self.context = None
        self.seen = []

    async def configure(self, context):
        await asyncio.sleep(0)
        self.context = context

    async def handle_webhook(self, payload, signature):
        await asyncio.sleep(0)
        assert self.context is not None
        self.seen.append(json.loads(payload)["type"])
        return WebhookOutcome(200, "ignored")


@pytest.fixture
def relink_client():
    return AsyncHandler()


def test_async_handler_and_async_client(stripe_webhooks, stripe_async_client, stripe_control, relink_client):
    async def create():
        return await stripe_async_client.v1.customers.create_async(params={"name": "async"})

    customer = asyncio.run(create())
    assert customer.id.startswith("cus_")
    flushed = stripe_control.flush_webhooks()
    assert flushed["succeeded"] == 1, flushed
    assert relink_client.seen == ["customer.created"]
    assert [(o.status, o.outcome.action) for o in stripe_webhooks.sink.outcomes()] == [(200, "ignored")]
"""


def test_the_plugin_runs_async_adapters_and_gives_an_async_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(ASYNC_PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
