from __future__ import annotations

from tests.conftest import Api


def _types(api: Api, query: str) -> list[str]:
    response = api.get(f"/v1/events{query}")
    assert response.status == 200, response.body
    return [event["type"] for event in response.json()["data"]]


def test_events_list_and_filters(api: Api) -> None:
    customer = api.post("/v1/customers", {"name": "A"}).json()
    api.post(f"/v1/customers/{customer['id']}", {"name": "B"})
    api.delete(f"/v1/customers/{customer['id']}")
    assert _types(api, "") == ["customer.deleted", "customer.updated", "customer.created"]
    assert _types(api, "?type=customer.updated") == ["customer.updated"]
    assert _types(api, "?type=customer.*") == ["customer.deleted", "customer.updated", "customer.created"]
    assert _types(api, "?types[]=customer.created&types[]=customer.deleted") == ["customer.deleted",
                                                                                  "customer.created"]
    assert _types(api, "?limit=1") == ["customer.deleted"]


def test_events_filter_by_created(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    api.post("/v1/customers", {"name": "old"})
    now = api.get("/_emulator/clock").json()["now"]
    api.post("/_emulator/clock", {"advance": "100"})
    api.post("/v1/customers", {"name": "new"})
    newer = api.get(f"/v1/events?created[gte]={now + 100}").json()["data"]
    assert [e["data"]["object"]["name"] for e in newer] == ["new"]


def test_events_retrieve_and_missing(api: Api) -> None:
    api.post("/v1/customers", {"name": "A"})
    event = api.get("/v1/events").json()["data"][0]
    assert api.get(f"/v1/events/{event['id']}").json() == event
    missing = api.get("/v1/events/evt_nope")
    assert missing.status == 404 and missing.json()["error"]["message"] == "No such event: 'evt_nope'"


def test_events_too_many_types_is_a_400(api: Api) -> None:
    query = "&".join(f"types[]=t{i}" for i in range(21))
    assert api.get(f"/v1/events?{query}").json()["error"]["param"] == "types"
