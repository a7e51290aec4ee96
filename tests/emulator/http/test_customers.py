from __future__ import annotations

from tests.conftest import Api


def test_customers_create_renders_stripe_shape(api: Api) -> None:
    response = api.post(
        "/v1/customers",
        [("email", "jenny@example.com"), ("name", "Jenny Rosen"), ("metadata[plan]", "pro"),
         ("preferred_locales[]", "en"), ("address[city]", "Tokyo"), ("shipping[name]", "J"),
         ("shipping[address][line1]", "1 Main")],
    )
    assert response.status == 200
    customer = response.json()
    assert customer["id"].startswith("cus_") and customer["object"] == "customer"
    assert customer["email"] == "jenny@example.com" and customer["metadata"] == {"plan": "pro"}
    assert customer["preferred_locales"] == ["en"] and customer["livemode"] is False
    assert customer["address"] == {"city": "Tokyo", "country": None, "line1": None, "line2": None,
                                   "postal_code": None, "state": None}
    assert customer["shipping"]["address"]["line1"] == "1 Main" and customer["shipping"]["phone"] is None
    assert customer["tax_exempt"] == "none" and customer["balance"] == 0
    assert customer["invoice_settings"]["default_payment_method"] is None


def test_customers_created_uses_the_namespace_clock(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    now = api.get("/_emulator/clock").json()["now"]
    api.post("/_emulator/clock", {"advance": "3600"})
    assert api.post("/v1/customers", {}).json()["created"] == now + 3600


def test_customers_update_merges_metadata_and_unsets(api: Api) -> None:
    customer = api.post("/v1/customers", [("name", "A"), ("metadata[a]", "1"), ("metadata[b]", "2")]).json()
    updated = api.post(f"/v1/customers/{customer['id']}", [("metadata[b]", ""), ("metadata[c]", "3"), ("name", "")])
    assert updated.json()["metadata"] == {"a": "1", "c": "3"} and updated.json()["name"] is None
    cleared = api.post(f"/v1/customers/{customer['id']}", {"metadata": ""}).json()
    assert cleared["metadata"] == {}


def test_customers_update_emits_previous_attributes(api: Api) -> None:
    customer = api.post("/v1/customers", {"name": "A", "email": "a@example.com"}).json()
    api.post(f"/v1/customers/{customer['id']}", {"name": "B"})
    event = api.get("/v1/events?type=customer.updated").json()["data"][0]
    assert event["data"]["object"]["name"] == "B"
    assert event["data"]["previous_attributes"] == {"name": "A"}
    # an update that changes nothing emits nothing
    api.post(f"/v1/customers/{customer['id']}", {"name": "B"})
    assert len(api.get("/v1/events?type=customer.updated").json()["data"]) == 1


def test_customers_delete_and_retrieve_deleted(api: Api) -> None:
    customer = api.post("/v1/customers", {"name": "A"}).json()
    deleted = api.delete(f"/v1/customers/{customer['id']}")
    assert deleted.json() == {"id": customer["id"], "object": "customer", "deleted": True}
    assert api.get(f"/v1/customers/{customer['id']}").json() == {"id": customer["id"], "object": "customer",
                                                                 "deleted": True}
    assert api.post(f"/v1/customers/{customer['id']}", {"name": "B"}).status == 404
    assert api.delete(f"/v1/customers/{customer['id']}").status == 404
    assert api.get("/v1/customers").json()["data"] == []
    assert api.get("/v1/events?type=customer.deleted").json()["data"][0]["data"]["object"]["name"] == "A"


def test_customers_list_filters_by_email_and_created(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    a = api.post("/v1/customers", {"email": "a@example.com"}).json()
    api.post("/_emulator/clock", {"advance": "10"})
    b = api.post("/v1/customers", {"email": "b@example.com"}).json()
    assert [c["id"] for c in api.get("/v1/customers?email=a@example.com").json()["data"]] == [a["id"]]
    newer = api.get(f"/v1/customers?created[gt]={a['created']}").json()["data"]
    assert [c["id"] for c in newer] == [b["id"]]


def test_customers_unknown_id_on_every_verb(api: Api) -> None:
    for response in (api.get("/v1/customers/cus_x"), api.post("/v1/customers/cus_x", {}),
                     api.delete("/v1/customers/cus_x")):
        assert response.status == 404
        assert response.json()["error"]["code"] == "resource_missing"
        assert response.json()["error"]["param"] == "id"


def test_customers_events_carry_the_request(api: Api) -> None:
    created = api.post("/v1/customers", {"name": "A"}, headers={"Idempotency-Key": "ik",
                                                                 "Stripe-Version": "2026-09-30.preview"})
    event = api.get("/v1/events").json()["data"][0]
    assert event["type"] == "customer.created"
    assert event["request"] == {"id": created.headers["request-id"], "idempotency_key": "ik"}
    assert event["api_version"] == "2026-09-30.preview"


def test_customers_update_cannot_push_metadata_past_50_keys(api: Api) -> None:
    customer = api.post("/v1/customers", [(f"metadata[a{i}]", "v") for i in range(30)]).json()
    before = api.get(f"/v1/customers/{customer['id']}").json()
    response = api.post(f"/v1/customers/{customer['id']}", [(f"metadata[b{i}]", "v") for i in range(21)])
    assert response.status == 400 and response.json()["error"]["param"] == "metadata"
    assert api.get(f"/v1/customers/{customer['id']}").json() == before


def test_customers_failed_update_changes_no_field(api: Api) -> None:
    customer = api.post("/v1/customers", [("name", "A")] + [(f"metadata[a{i}]", "v") for i in range(50)]).json()
    response = api.post(f"/v1/customers/{customer['id']}", [("name", "B"), ("metadata[extra]", "v")])
    assert response.status == 400
    assert api.get(f"/v1/customers/{customer['id']}").json()["name"] == "A"
    assert api.get("/v1/events?type=customer.updated").json()["data"] == []


def test_customers_take_the_names_invoice_numbering_and_validate_the_sdks_send(api: Api) -> None:
    created = api.post("/v1/customers", data={"business_name": "Rocket Rides", "individual_name": "Jenny Rosen",
                                              "invoice_prefix": "ROCKET1", "next_invoice_sequence": "42",
                                              "validate": "true"})
    assert created.status == 200, created.body
    body = created.json()
    assert (body["business_name"], body["individual_name"], body["invoice_prefix"], body["next_invoice_sequence"]) \
        == ("Rocket Rides", "Jenny Rosen", "ROCKET1", 42)
    updated = api.post(f"/v1/customers/{body['id']}", data={"business_name": "", "next_invoice_sequence": "43"})
    assert (updated.json()["business_name"], updated.json()["next_invoice_sequence"]) == (None, 43)
    for params, param in (({"invoice_prefix": "ab"}, "invoice_prefix"),
                          ({"invoice_prefix": "lower1"}, "invoice_prefix"),
                          ({"next_invoice_sequence": "0"}, "next_invoice_sequence"),
                          ({"business_name": "x" * 151}, "business_name")):
        refused = api.post(f"/v1/customers/{body['id']}", data=params)
        assert refused.status == 400 and refused.json()["error"]["param"] == param, (params, refused.body)
    again = api.get(f"/v1/customers/{body['id']}").json()
    assert (again["invoice_prefix"], again["next_invoice_sequence"]) == ("ROCKET1", 43)  # the refusals changed nothing
