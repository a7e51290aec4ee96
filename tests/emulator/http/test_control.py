from __future__ import annotations

from emulator import __version__
from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from tests.conftest import Api


def test_control_health_needs_no_auth(api: Api) -> None:
    response = api.caller.request("GET", "/_emulator/health")
    assert response.status == 200
    assert response.json()["status"] == "ok" and response.json()["version"] == __version__
    assert response.json()["default_api_version"] == "2026-10-28.endive"


def test_control_reset_empties_only_this_namespace(api: Api) -> None:
    other = api.as_key("sk_test_other")
    mine = api.post("/v1/customers", {"name": "mine"}).json()
    theirs = other.post("/v1/customers", {"name": "theirs"}).json()
    assert api.post("/_emulator/reset").json()["namespaces_reset"] == 1
    assert api.get(f"/v1/customers/{mine['id']}").status == 404
    assert other.get(f"/v1/customers/{theirs['id']}").status == 200


def test_control_reset_all_needs_the_control_token() -> None:
    caller = AsgiCaller(create_app(Settings(control_token="tok")))
    try:
        api = Api(caller, None, "sk_test_mine")
        other = api.as_key("sk_test_other")
        theirs = other.post("/v1/customers", {"name": "theirs"}, headers={"Emulator-Control-Token": "tok"}).json()
        assert api.post("/_emulator/reset?all=true").status == 401  # without the token
        response = api.post("/_emulator/reset?all=true", headers={"Emulator-Control-Token": "tok"})
        assert response.json()["all"] is True and response.json()["namespaces_reset"] == 1
        assert other.get(f"/v1/customers/{theirs['id']}").status == 404
    finally:
        caller.close()


def test_control_reset_all_is_refused_when_no_control_token_is_configured(api: Api) -> None:
    other = api.as_key("sk_test_other")
    theirs = other.post("/v1/customers", {"name": "theirs"}).json()
    response = api.post("/_emulator/reset?all=true")
    assert response.status == 403, response.body
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "control_token_required", "all")
    assert "--control-token" in error["message"]
    assert other.get(f"/v1/customers/{theirs['id']}").status == 200  # nothing was reset


def test_control_needs_a_key(api: Api) -> None:
    response = api.caller.request("POST", "/_emulator/reset")
    assert response.status == 401 and "error" in response.json()


def test_control_clock_freeze_advance_unfreeze(api: Api) -> None:
    frozen = api.post("/_emulator/clock", {"freeze": "true"}).json()
    assert frozen["frozen"] is True
    advanced = api.post("/_emulator/clock", {"advance": "86400"}).json()
    assert advanced["now"] == frozen["now"] + 86400
    assert api.get("/_emulator/clock").json()["now"] == advanced["now"]
    assert api.post("/_emulator/clock", {"freeze": "false"}).json()["frozen"] is False
    # clocks are per namespace
    assert api.as_key("sk_test_other").get("/_emulator/clock").json()["now"] < advanced["now"]


def test_control_clock_refuses_bad_input(api: Api) -> None:
    negative = api.post("/_emulator/clock", {"advance": "-5"})
    assert negative.status == 400 and negative.json()["error"]["param"] == "advance"
    assert api.post("/_emulator/clock", {"speed": "2"}).json()["error"]["code"] == "parameter_unknown"


def test_control_requests_log_newest_first_with_secrets_masked(api: Api) -> None:
    api.post("/v1/customers", {"name": "A", "metadata[token]": "sk_test_abcdefgh1234"},
             headers={"Idempotency-Key": "ik-1"})
    api.get("/v1/customers/cus_nope")
    entries = api.get("/_emulator/requests").json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/v1/customers/cus_nope", 404),
        ("POST", "/v1/customers", 200),
    ]
    post = entries[1]
    assert post["params"] == {"name": "A", "metadata": {"token": "sk_test_****1234"}}
    assert post["idempotency_key"] == "ik-1" and post["id"].startswith("req_")
    assert post["stripe_version"] == "2026-10-28.endive" and post["duration_ms"] >= 0
    assert api.get("/_emulator/requests?limit=1").json()["data"][0]["path"] == "/v1/customers/cus_nope"
    # the control plane itself is not logged, and other namespaces see nothing
    assert api.as_key("sk_test_other").get("/_emulator/requests").json()["data"] == []


def test_the_openapi_document_marks_the_parameters_an_endpoint_requires(api: Api) -> None:
    """Generated from the same specs the endpoints validate with: what a create refuses without is `required`."""
    document = api.get("/_emulator/openapi.json").json()

    def required(path: str, method: str = "post") -> list[str]:
        operation = document["paths"][path][method]
        schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        return list(schema.get("required", []))

    assert sorted(required("/v1/webhook_endpoints")) == ["enabled_events", "url"]
    assert required("/v1/webhook_endpoints/{id}") == []  # an update changes what it names, nothing is required
    for param in ("url", "enabled_events"):  # and the endpoint refuses a create without either, naming it
        data = {"url": "http://127.0.0.1:9/hook", "enabled_events[]": "*"}
        del data[param if param == "url" else "enabled_events[]"]
        refused = api.post("/v1/webhook_endpoints", data=data).json()["error"]
        assert (refused["code"], refused["param"]) == ("parameter_missing", param)
    search = document["paths"]["/v1/customers/search"]["get"]
    assert any(p["name"] == "query" and p.get("required") for p in search["parameters"])
