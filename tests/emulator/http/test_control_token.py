"""`serve --control-token`: the control plane and the test helpers need the token; the API, health and the browser's
client endpoints do not; the dashboard takes it once in the query and remembers it in a cookie."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from emulator.__main__ import cli
from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller

TOKEN = "s3cret-control"
AUTH = {"Authorization": "Bearer sk_test_guarded"}


@pytest.fixture
def caller() -> Iterator[AsgiCaller]:
    running = AsgiCaller(create_app(Settings(seed=1, control_token=TOKEN)))
    yield running
    running.close()


@pytest.mark.parametrize(("method", "path", "with_token"), [
    ("GET", "/_emulator/requests", 200), ("POST", "/_emulator/reset", 200), ("GET", "/_emulator/clock", 200),
    ("GET", "/_emulator/faults", 200), ("GET", "/_emulator/dashboard", 200),
    ("GET", "/_emulator/webhooks/deliveries", 200),
    ("POST", "/v1/test_helpers/financial_connections/accounts/fca_x/deactivate", 404),  # past the token: no account
])
def test_control_plane_and_test_helpers_refuse_without_the_token(caller: AsgiCaller, method: str, path: str,
                                                                  with_token: int) -> None:
    missing = caller.request(method, path, headers=AUTH)
    assert missing.status == 401 and "Emulator-Control-Token" in missing.json()["error"]["message"]
    assert missing.json()["error"]["type"] == "invalid_request_error"
    wrong = caller.request(method, path, headers={**AUTH, "Emulator-Control-Token": "guess"})
    assert wrong.status == 401 and "does not match" in wrong.json()["error"]["message"]
    allowed = caller.request(method, path, headers={**AUTH, "Emulator-Control-Token": TOKEN})
    assert allowed.status == with_token, allowed.body


def test_the_api_health_and_client_endpoints_stay_open(caller: AsgiCaller) -> None:
    assert caller.request("POST", "/v1/customers", headers=AUTH, data={"name": "x"}).status == 200
    assert caller.request("GET", "/_emulator/health").status == 200
    client = caller.request("GET", "/_emulator/client/setup_intent?client_secret=seti_x_secret_y",
                            headers={"Authorization": "Bearer pk_test_guarded"})
    assert "Emulator-Control-Token" not in client.body.decode()  # answered by the endpoint itself


def test_refused_requests_change_nothing(caller: AsgiCaller) -> None:
    caller.request("POST", "/v1/customers", headers=AUTH, data={"name": "kept"})
    assert caller.request("POST", "/_emulator/reset", headers=AUTH).status == 401
    assert len(caller.request("GET", "/v1/customers", headers=AUTH).json()["data"]) == 1


def test_dashboard_takes_the_token_in_the_query_once_then_from_a_cookie(caller: AsgiCaller) -> None:
    first = caller.request("GET", f"/_emulator/dashboard?key=sk_test_guarded&control_token={TOKEN}")
    assert first.status == 200
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"emulator_control_token={TOKEN}") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    again = caller.request("GET", "/_emulator/dashboard?key=sk_test_guarded",
                           headers={"Cookie": f"emulator_control_token={TOKEN}"})
    assert again.status == 200 and "set-cookie" not in again.headers


def test_allow_remote_requires_a_control_token() -> None:
    refused = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--allow-remote"])
    assert refused.exit_code == 2 and "--control-token" in refused.output
