"""Namespaces stay separate: nothing reaches every namespace without the control token; the dashboard needs a
secret or restricted key and refuses forms from elsewhere (CSRF); the control token in a URL or cookie counts on
the dashboard's pages only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from tests.conftest import Api, digest

PREVIEW = {"Stripe-Version": "2026-09-30.preview"}
HELPERS = "/v1/test_helpers/financial_connections"
ORIGIN = {"Origin": "http://127.0.0.1:12111", "Host": "127.0.0.1:12111"}


@pytest.mark.parametrize(("method", "path"), [("GET", "/_emulator/snapshot?all=true"),
                                              ("POST", "/_emulator/reset?all=true"),
                                              ("POST", "/_emulator/restore?all=true")])
def test_every_namespace_operations_need_a_configured_control_token(api: Api, method: str, path: str) -> None:
    other = api.as_key("sk_test_victim")
    other.post("/v1/webhook_endpoints", data={"url": "http://localhost:9/", "enabled_events[]": "*"})
    before = digest(other.backend())
    document = api.get("/_emulator/snapshot").json()
    body = json.dumps(document) if "restore" in path else None
    response = api.caller.request(method, path, headers=api.headers(), body=body)
    assert response.status == 403, response.body
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("control_token_required", "all")
    assert "whsec_" not in response.body.decode()  # no other namespace's secret
    assert digest(other.backend()) == before


def test_with_the_token_every_namespace_can_be_saved_and_restored() -> None:
    caller = AsgiCaller(create_app(Settings(control_token="tok")))
    try:
        token = {"Emulator-Control-Token": "tok"}
        mine, other = Api(caller, None, "sk_test_mine"), Api(caller, None, "sk_test_theirs")
        other.post("/v1/customers", data={"name": "theirs"})
        whole = mine.get("/_emulator/snapshot?all=true", headers=token).json()
        assert sorted(whole["namespaces"]) == ["mine", "theirs"]
        assert mine.post("/_emulator/restore?all=true", body=json.dumps(whole), headers=token).status == 200
        assert mine.get("/_emulator/snapshot?all=true").status == 401  # the token is still needed
    finally:
        caller.close()


def account(api: Api) -> str:
    customer = api.post("/v1/customers").json()["id"]
    session = api.post("/v1/financial_connections/sessions", headers=PREVIEW, data={
        "permissions[]": "payment_method", "account_holder[type]": "customer",
        "account_holder[customer]": customer}).json()
    done = api.post(f"{HELPERS}/sessions/{session['id']}/complete", headers=PREVIEW,
                    data={"accounts[]": "Sample Checking Account"}).json()
    return str(done["accounts"]["data"][0]["id"])


def dashboard_csrf(api: Api) -> str:
    page = api.caller.request("GET", f"/_emulator/dashboard?key={api.key}").body.decode()
    found = re.search(r"name='csrf' value='([0-9a-f]+)'", page)
    assert found is not None, "the dashboard's forms carry a token"
    return found.group(1)


def deactivate(api: Api, key: str, csrf: str | None, headers: dict[str, str]) -> int:
    fields = [("key", key), ("action", "deactivate"), ("target", account_id(api)), ("cause", "access_expired")]
    if csrf is not None:
        fields.append(("csrf", csrf))
    return api.caller.request("POST", "/_emulator/dashboard/actions", headers=headers, data=fields).status


def account_id(api: Api) -> str:
    return next(iter(a.id for a in api.backend().store.table("financial_connections.accounts").values()))


def status(api: Api) -> str:
    return str(api.get(f"/v1/financial_connections/accounts/{account_id(api)}", headers=PREVIEW).json()["status"])


def test_the_dashboard_refuses_publishable_keys(api: Api) -> None:
    publishable = api.key.replace("sk_test_", "pk_test_")
    page = api.caller.request("GET", f"/_emulator/dashboard?key={publishable}")
    assert page.status == 401 and "publishable api key" in page.body.decode().lower()
    account(api)
    assert deactivate(api, publishable, dashboard_csrf(api), ORIGIN) == 401
    assert status(api) == "active"


def test_dashboard_actions_from_another_origin_or_without_the_token_do_nothing(api: Api) -> None:
    account(api)
    csrf = dashboard_csrf(api)
    assert deactivate(api, api.key, csrf, {"Origin": "http://attacker.example", "Host": "127.0.0.1:12111"}) == 403
    assert deactivate(api, api.key, csrf, {"Origin": "http://127.0.0.1:3000", "Host": "127.0.0.1:12111"}) == 403
    assert deactivate(api, api.key, csrf, {"Referer": "http://attacker.example/x", "Host": "127.0.0.1:12111"}) == 403
    assert deactivate(api, api.key, csrf, {"Sec-Fetch-Site": "cross-site", "Host": "127.0.0.1:12111"}) == 403
    assert deactivate(api, api.key, None, ORIGIN) == 403
    assert deactivate(api, api.key, "0" * 32, ORIGIN) == 403
    other_namespace = api.as_key("sk_test_other")
    account(other_namespace)
    assert deactivate(api, api.key, dashboard_csrf(other_namespace), ORIGIN) == 403  # a token is per namespace
    assert status(api) == "active"
    assert deactivate(api, api.key, csrf, ORIGIN) == 303  # the dashboard's own form works
    assert status(api) == "inactive"


@pytest.fixture
def guarded() -> Iterator[AsgiCaller]:
    caller = AsgiCaller(create_app(Settings(control_token="tok")))
    try:
        yield caller
    finally:
        caller.close()


def test_the_control_token_in_a_query_counts_on_the_dashboard_only(guarded: AsgiCaller) -> None:
    key = {"Authorization": "Bearer sk_test_q"}
    assert guarded.request("GET", "/_emulator/requests?control_token=tok", headers=key).status == 401
    assert guarded.request("POST", f"{HELPERS}/accounts/fca_1/deactivate?control_token=tok", headers=key).status == 401
    entry = guarded.request("GET", "/_emulator/dashboard?key=sk_test_q&control_token=tok")
    assert entry.status == 200
    cookie = entry.headers["set-cookie"]
    assert "Path=/_emulator/dashboard;" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = {"Cookie": cookie.split(";")[0]}
    assert guarded.request("GET", "/_emulator/dashboard?key=sk_test_q", headers=jar).status == 200
    assert guarded.request("GET", "/_emulator/requests", headers={**key, **jar}).status == 401
    assert guarded.request("GET", "/_emulator/requests", headers={**key, "Emulator-Control-Token": "tok"}).status == 200
