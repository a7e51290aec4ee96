"""`GET /v1/customers/search`: Stripe's search query language over the fields Stripe indexes for customers (created,
email, metadata, name, phone), `limit`/`page`/`next_page`, and Stripe-shaped 400s naming `query` for bad queries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import stripe

from harness.pytest_plugin import RunningEmulator
from tests.conftest import Api


def search(api: Api, query: str, **more: Any) -> Any:
    return api.get("/v1/customers/search?" + urlencode({"query": query, **more}))


@pytest.fixture
def shop(api: Api) -> Api:
    for data in ({"name": "Jane Doe", "email": "Jane@Example.com", "metadata[plan]": "gold"},
                 {"name": "John Roe", "email": "john@example.org", "metadata[plan]": "silver"},
                 {"name": "Janet", "phone": "+15555550100"}):
        assert api.post("/v1/customers", data=data).status == 200
    return api


@pytest.mark.parametrize(("query", "names"), [
    ("name:'Jane Doe'", ["Jane Doe"]),
    ('name:"jane doe"', ["Jane Doe"]),  # strings compare case-insensitively
    ("email:'jane@example.com'", ["Jane Doe"]),
    ("email~'example'", ["John Roe", "Jane Doe"]),  # substring, newest first
    ("name~'jan' AND -name:'Janet'", ["Jane Doe"]),
    ("metadata['plan']:'gold'", ["Jane Doe"]),
    ("metadata['plan']:'Gold'", []),  # metadata values match exactly
    ("name:'Janet' OR metadata['plan']:'silver'", ["Janet", "John Roe"]),
    ("email:null", ["Janet"]),
    ("-email:null", ["John Roe", "Jane Doe"]),
    ("phone:'+15555550100'", ["Janet"]),
    ("created>0 AND created<=99999999999", ["Janet", "John Roe", "Jane Doe"]),
    ("created<0", []),
])
def test_a_query_finds_the_customers_it_describes(shop: Api, query: str, names: list[str]) -> None:
    answer = search(shop, query)
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["object"] == "search_result" and body["url"] == "/v1/customers/search"
    assert [customer["name"] for customer in body["data"]] == names
    assert body["has_more"] is False and body["next_page"] is None


def test_pages_follow_next_page_to_the_end(shop: Api) -> None:
    first = search(shop, "created>0", limit=2).json()
    assert [c["name"] for c in first["data"]] == ["Janet", "John Roe"] and first["has_more"] is True
    second = search(shop, "created>0", limit=2, page=first["next_page"]).json()
    assert [c["name"] for c in second["data"]] == ["Jane Doe"]
    assert second["has_more"] is False and second["next_page"] is None


def test_a_deleted_customer_is_not_found(shop: Api) -> None:
    jane = search(shop, "name:'Jane Doe'").json()["data"][0]["id"]
    assert shop.delete(f"/v1/customers/{jane}").status == 200
    assert search(shop, "name:'Jane Doe'").json()["data"] == []


@pytest.mark.parametrize(("query", "said"), [
    ("", "You passed an empty string for 'query'"),
    ("   ", "it is empty"),
    ("name", "cannot be read"),
    ("nickname:'x'", "Field `nickname` is an unsupported search field for resource `customers`"),
    ("metadata:'x'", "unsupported search field"),
    ("name:'a' AND email:'b' OR phone:'c'", "AND and OR cannot be combined"),
    ("name~'ja'", "at least 3 characters"),
    ("created:'yesterday'", "numeric"),
    ("name>3", "takes a quoted string"),
    ("name:'Jane' name:'Doe'", "joined with AND or OR"),
    (" OR ".join(f"name:'n{i}'" for i in range(11)), "more than 10"),
])
def test_a_bad_query_is_a_400_naming_query_and_changes_nothing(shop: Api, query: str, said: str) -> None:
    answer = search(shop, query)
    assert answer.status == 400, answer.body
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "query" and said in error["message"]


def test_missing_query_bad_page_and_limit(shop: Api) -> None:
    missing = shop.get("/v1/customers/search").json()["error"]
    assert (missing["code"], missing["param"]) == ("parameter_missing", "query")
    assert search(shop, "created>0", page="not-a-page").json()["error"]["param"] == "page"
    assert search(shop, "created>0", limit=101).json()["error"]["param"] == "limit"


@pytest.mark.sdk
def test_the_sdks_search_and_its_auto_paging(stripe_emulator: RunningEmulator, stripe_api_key: str) -> None:
    client = stripe.StripeClient(stripe_api_key, base_addresses={"api": stripe_emulator.url}, max_network_retries=0)
    made = [client.v1.customers.create(params={"name": f"Searched {i}", "metadata": {"batch": "a"}}).id
            for i in range(5)]
    result = client.v1.customers.search(params={"query": "metadata['batch']:'a'", "limit": 2})
    assert len(result.data) == 2 and result.has_more
    assert [c.id for c in result.auto_paging_iter()] == list(reversed(made))
