from __future__ import annotations

import base64

import pytest

from emulator.core.errors import AuthenticationError
from emulator.http.auth import authenticate
from tests.conftest import Api


def test_auth_bearer_and_basic_reach_the_same_namespace(api: Api) -> None:
    created = api.post("/v1/customers", {"email": "a@example.com"}).json()
    basic = base64.b64encode(f"{api.key}:".encode()).decode()
    response = api.caller.request("GET", f"/v1/customers/{created['id']}", headers={"Authorization": f"Basic {basic}"})
    assert response.status == 200 and response.json()["id"] == created["id"]


def test_auth_missing_key_is_a_401(api: Api) -> None:
    response = api.caller.request("GET", "/v1/customers")
    assert response.status == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "You did not provide an API key" in error["message"]
    assert response.headers["request-id"].startswith("req_")


@pytest.mark.parametrize("key", ["sk_test_", "sk_foo_abcd", "garbage-key-5678", "sk_test_has space"])
def test_auth_malformed_key_is_a_401_with_the_key_masked(api: Api, key: str) -> None:
    response = api.as_key(key).get("/v1/customers")
    assert response.status == 401
    message = response.json()["error"]["message"]
    assert message.startswith("Invalid API Key provided: ")
    assert key not in message or len(key) <= 8


def test_auth_invalid_key_message_matches_stripe(api: Api) -> None:
    response = api.caller.request("GET", "/v1/customers", headers={"Authorization": "Bearer sk_foo_abcd"})
    assert response.json()["error"]["message"] == "Invalid API Key provided: sk_foo_****abcd"


@pytest.mark.parametrize(
    "key", ["sk_live_" + "51Hxyzabcdefgh1234", "rk_live_" + "51Hxyzabcdefgh1234", "pk_live_" + "51Hxyzabcdefgh1234"]
)
def test_auth_live_keys_are_refused_and_never_stored(api: Api, key: str) -> None:
    response = api.as_key(key).post("/v1/customers", {"email": "a@example.com"})
    assert response.status == 401
    message = response.json()["error"]["message"]
    assert "never accepted" in message and key not in message and key[:8] + "****1234" in message
    assert all("live" not in namespace and "51Hxyz" not in namespace for namespace in api.state.backends.namespaces())


def test_auth_publishable_key_cannot_call_secret_endpoints(api: Api) -> None:
    response = api.as_key("pk_test_conftest").get("/v1/customers")
    assert response.status == 401 and response.json()["error"]["code"] == "secret_key_required"


def test_a_key_read_once_is_still_checked_for_every_endpoint() -> None:
    """`authenticate` remembers the keys `Authorization` headers carry; what each endpoint allows is checked every
    time: a publishable key let through where publishable keys are allowed is refused where they are not."""
    header = {"authorization": "Basic " + base64.b64encode(b"pk_test_remembered:").decode()}
    for _ in range(2):
        assert authenticate(header, allow_publishable=True).namespace == "remembered"
        with pytest.raises(AuthenticationError) as refused:
            authenticate(header)
        assert refused.value.code == "secret_key_required"
    for bad in ({"authorization": "Basic !!!"}, {"authorization": "Bearer sk_live_" + "x" * 10}, {}):
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                authenticate(bad)


def test_auth_restricted_and_secret_keys_share_a_namespace(api: Api) -> None:
    created = api.post("/v1/customers", {"name": "Jenny"}).json()
    assert api.as_key("rk_test_conftest").get(f"/v1/customers/{created['id']}").status == 200


def test_auth_two_keys_are_isolated(api: Api) -> None:
    created = api.post("/v1/customers", {"name": "Jenny"}).json()
    other = api.as_key("sk_test_someoneelse")
    assert other.get(f"/v1/customers/{created['id']}").status == 404
    assert other.get("/v1/customers").json()["data"] == []
    assert other.get("/v1/events").json()["data"] == []
