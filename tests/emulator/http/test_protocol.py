from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette

from emulator.core.backend import Backend, Call
from emulator.core.spec import params
from emulator.http.pipeline import Endpoint, run
from tests.conftest import Api


def test_protocol_request_id_on_every_response(api: Api) -> None:
    responses = [
        api.post("/v1/customers", {"email": "a@example.com"}),
        api.get("/v1/customers/cus_nope"),
        api.get("/v1/nope"),
        api.caller.request("GET", "/_emulator/health"),
        api.caller.request("GET", "/v1/customers"),
    ]
    request_ids = [r.headers["request-id"] for r in responses]
    assert all(rid.startswith("req_") for rid in request_ids) and len(set(request_ids)) == len(request_ids)


def test_protocol_unknown_route_and_wrong_method_are_stripe_404s(api: Api) -> None:
    unknown = api.get("/v1/nope")
    assert unknown.status == 404
    assert unknown.json()["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nope).")
    for method in ("PUT", "PATCH", "HEAD", "OPTIONS"):
        wrong = api.caller.request(method, "/v1/customers", headers=api.headers())
        assert wrong.status == 404
        assert wrong.json()["error"]["message"].startswith(f"Unrecognized request URL ({method}: /v1/customers).")


def test_protocol_resource_missing_names_the_param(api: Api) -> None:
    response = api.get("/v1/customers/cus_nope")
    assert response.status == 404
    assert response.json() == {
        "error": {
            "code": "resource_missing",
            "doc_url": "https://docs.stripe.com/error-codes/resource-missing",
            "message": "No such customer: 'cus_nope'",
            "param": "id",
            "type": "invalid_request_error",
        }
    }


def test_protocol_unknown_param_is_named(api: Api) -> None:
    response = api.post("/v1/customers", {"emial": "a@example.com"})
    assert response.status == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["message"]) == (
        "parameter_unknown", "emial", "Received unknown parameter: emial"
    )


def test_protocol_invalid_values_are_400s(api: Api) -> None:
    assert api.post("/v1/customers", {"balance": "ten"}).json()["error"]["code"] == "parameter_invalid_integer"
    assert api.post("/v1/customers", {"email": ""}).status == 200  # email can be unset
    empty = api.post("/v1/customers", {"balance": ""}).json()["error"]
    assert (empty["code"], empty["param"]) == ("parameter_invalid_empty", "balance")
    enum = api.post("/v1/customers", {"tax_exempt": "sometimes"}).json()["error"]
    assert enum["param"] == "tax_exempt" and "must be one of exempt, none, or reverse" in enum["message"]


def test_protocol_non_utf8_body_is_a_400(api: Api) -> None:
    response = api.post("/v1/customers", body=b"name=\xff\xfe")
    assert response.status == 400 and "UTF-8" in response.json()["error"]["message"]


def test_protocol_huge_body_is_a_413_and_creates_nothing(api: Api) -> None:
    response = api.post("/v1/customers", body=b"name=" + b"a" * 1_100_000)
    assert response.status == 413 and "too large" in response.json()["error"]["message"]
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert api.get("/v1/customers").json()["data"] == []


def test_protocol_declared_oversized_body_is_refused_before_reading(api: Api) -> None:
    response = api.post("/v1/customers", body=b"name=x", headers={"Content-Length": "5000000"})
    assert response.status == 413 and "at most 1000000 bytes" in response.json()["error"]["message"]


def test_protocol_query_string_params_on_post_are_read(api: Api) -> None:
    response = api.post("/v1/customers?name=Jenny", {"email": "j@example.com"})
    assert response.json()["name"] == "Jenny" and response.json()["email"] == "j@example.com"


def test_protocol_stripe_version_is_echoed_and_defaulted(api: Api) -> None:
    assert api.get("/v1/customers").headers["stripe-version"] == "2026-10-28.endive"
    preview = api.get("/v1/customers", headers={"Stripe-Version": "2026-09-30.preview"})
    assert preview.headers["stripe-version"] == "2026-09-30.preview"


def test_protocol_malformed_stripe_version_is_a_400(api: Api) -> None:
    response = api.get("/v1/customers", headers={"Stripe-Version": "yesterday"})
    assert response.status == 400 and "Invalid Stripe API version: yesterday" in response.json()["error"]["message"]


def test_protocol_responses_are_pretty_json(api: Api) -> None:
    response = api.post("/v1/customers", {"name": "Jenny"})
    assert response.headers["content-type"] == "application/json"
    assert response.body.startswith(b"{\n  ") and json.loads(response.body)["name"] == "Jenny"


def test_protocol_unexpected_exception_is_an_api_error_with_request_id(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(backend: Backend, call: Call, values: dict[str, object]) -> dict[str, object]:
        raise RuntimeError("boom")

    endpoint = Endpoint("GET", "/v1/broken", broken, params({}))

    async def handler(request):  # type: ignore[no-untyped-def]
        return await run(request, endpoint)

    from starlette.routing import Route

    app.router.routes.insert(0, Route("/v1/broken", handler, methods=["GET"]))
    app.router.reindex()  # type: ignore[attr-defined]  # the route index, after changing the routes
    from harness.asgi import AsgiCaller

    caller = AsgiCaller(app)
    try:
        with caplog.at_level("ERROR", logger="emulator"):
            response = caller.request("GET", "/v1/broken", headers={"Authorization": "Bearer sk_test_x"})
    finally:
        caller.close()
    assert response.status == 500
    error = response.json()["error"]
    assert error["type"] == "api_error" and response.headers["request-id"] in error["message"]
    assert "boom" in caplog.text  # the traceback is in the log, not in the response
    assert "boom" not in error["message"]


def test_protocol_lists_paginate_over_http(api: Api) -> None:
    created = [api.post("/v1/customers", {"name": f"c{i}"}).json()["id"] for i in range(5)]
    first = api.get("/v1/customers?limit=2").json()
    assert [c["id"] for c in first["data"]] == created[::-1][:2] and first["has_more"] is True
    assert first["url"] == "/v1/customers"
    second = api.get(f"/v1/customers?limit=2&starting_after={first['data'][-1]['id']}").json()
    assert [c["id"] for c in second["data"]] == created[::-1][2:4]
    back = api.get(f"/v1/customers?limit=2&ending_before={second['data'][0]['id']}").json()
    assert [c["id"] for c in back["data"]] == [c["id"] for c in first["data"]]
    for bad in ("limit=0", "limit=101", "limit=x"):
        error = api.get(f"/v1/customers?{bad}").json()["error"]
        assert error["param"] == "limit"
    missing = api.get("/v1/customers?starting_after=cus_nope")
    assert missing.status == 404 and missing.json()["error"]["param"] == "starting_after"


def test_protocol_expand_errors_over_http(api: Api) -> None:
    customer = api.post("/v1/customers", {"name": "x"}).json()
    response = api.get(f"/v1/customers/{customer['id']}?expand[]=name")
    assert response.status == 400 and response.json()["error"]["message"] == "This property cannot be expanded (name)."
    deep = api.get(f"/v1/customers/{customer['id']}?expand[]=a.b.c.d.e")
    assert "more than 4 levels" in deep.json()["error"]["message"]
    assert api.get("/v1/customers?expand[]=data.name").status == 400
