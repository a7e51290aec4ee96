from __future__ import annotations

from tests.conftest import Api


def test_idempotency_replays_the_stored_response(api: Api) -> None:
    first = api.post("/v1/customers", {"email": "a@example.com"}, headers={"Idempotency-Key": "k1"})
    again = api.post("/v1/customers", {"email": "a@example.com"}, headers={"Idempotency-Key": "k1"})
    assert again.status == 200 and again.body == first.body
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["original-request"] == first.headers["request-id"]
    assert again.headers["request-id"] != first.headers["request-id"]
    assert "idempotent-replayed" not in first.headers
    assert len(api.get("/v1/customers").json()["data"]) == 1
    assert len(api.get("/v1/events?type=customer.created").json()["data"]) == 1


def test_idempotency_different_params_are_an_idempotency_error(api: Api) -> None:
    api.post("/v1/customers", {"email": "a@example.com"}, headers={"Idempotency-Key": "k2"})
    response = api.post("/v1/customers", {"email": "b@example.com"}, headers={"Idempotency-Key": "k2"})
    assert response.status == 400
    error = response.json()["error"]
    assert error["type"] == "idempotency_error"
    assert error["message"] == (
        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try "
        "using a key other than 'k2' if you meant to execute a different request."
    )


def test_idempotency_key_order_of_params_does_not_matter(api: Api) -> None:
    api.post("/v1/customers", [("email", "a@example.com"), ("name", "A")], headers={"Idempotency-Key": "k3"})
    again = api.post("/v1/customers", [("name", "A"), ("email", "a@example.com")], headers={"Idempotency-Key": "k3"})
    assert again.headers.get("idempotent-replayed") == "true"


def test_idempotency_validation_errors_are_not_stored(api: Api) -> None:
    bad = api.post("/v1/customers", {"balance": "x"}, headers={"Idempotency-Key": "k4"})
    assert bad.status == 400
    good = api.post("/v1/customers", {"balance": "5"}, headers={"Idempotency-Key": "k4"})
    assert good.status == 200 and "idempotent-replayed" not in good.headers


def test_idempotency_errors_after_validation_are_replayed(api: Api) -> None:
    first = api.post("/v1/customers/cus_missing", {"name": "x"}, headers={"Idempotency-Key": "k5"})
    assert first.status == 404
    again = api.post("/v1/customers/cus_missing", {"name": "x"}, headers={"Idempotency-Key": "k5"})
    assert again.status == 404 and again.headers["idempotent-replayed"] == "true"


def test_idempotency_keys_are_per_namespace(api: Api) -> None:
    api.post("/v1/customers", {"email": "a@example.com"}, headers={"Idempotency-Key": "shared"})
    other = api.as_key("sk_test_other").post("/v1/customers", {"email": "b@example.com"},
                                             headers={"Idempotency-Key": "shared"})
    assert other.status == 200 and "idempotent-replayed" not in other.headers


def test_idempotency_keys_expire_after_24_hours_of_emulator_time(api: Api) -> None:
    api.post("/v1/customers", {"email": "a@example.com"}, headers={"Idempotency-Key": "k6"})
    assert api.post("/_emulator/clock", {"advance": str(24 * 3600)}).status == 200
    reused = api.post("/v1/customers", {"email": "b@example.com"}, headers={"Idempotency-Key": "k6"})
    assert reused.status == 200 and reused.json()["email"] == "b@example.com"


def test_idempotency_get_ignores_the_header(api: Api) -> None:
    api.get("/v1/customers", headers={"Idempotency-Key": "k7"})
    created = api.post("/v1/customers", {"name": "x"}, headers={"Idempotency-Key": "k7"})
    assert created.status == 200 and "idempotent-replayed" not in created.headers
