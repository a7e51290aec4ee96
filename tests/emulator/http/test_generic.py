"""Every other Stripe endpoint, generically (issue 21, `serve --surface all`, the default): objects from Stripe's
example objects with the request's parameters applied, kept per namespace, validated against the SDK's parameter
types, under their parents, with their events; the hand-written surface unchanged, and `--surface emulated` still a
404 outside it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from emulator.__main__ import cli
from emulator.http.app import create_app
from emulator.resources import generic
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from harness.contract.recorder import ContractRecorder
from tests.conftest import Api, api_on, restore_after_reset


@pytest.fixture
def everything(stripe_contract: ContractRecorder | None) -> Iterator[Api]:
    with api_on(Settings(seed=21, surface="all"), stripe_contract, "sk_test_generic") as api:
        yield api


def body(response: Any) -> dict[str, Any]:
    assert response.status == 200, response.body
    found: dict[str, Any] = response.json()
    return found


def test_a_generic_object_round_trips_create_retrieve_update_list_delete(everything: Api) -> None:
    api = everything
    made = api.post("/v1/coupons", {"percent_off": "25", "duration": "once", "name": "Spring",
                                    "metadata[campaign]": "spring"})
    assert made.headers["emulator-fidelity"] == "generic"
    coupon = body(made)
    assert coupon["object"] == "coupon" and coupon["name"] == "Spring" and coupon["percent_off"] == 25
    assert coupon["duration"] == "once" and coupon["metadata"] == {"campaign": "spring"}
    assert coupon["livemode"] is False and coupon["created"] == body(api.get("/_emulator/clock"))["now"]
    assert body(api.get(f"/v1/coupons/{coupon['id']}")) == coupon
    renamed = body(api.post(f"/v1/coupons/{coupon['id']}", {"name": "Autumn", "metadata[campaign]": ""}))
    assert renamed["name"] == "Autumn" and renamed["metadata"] == {}
    second = body(api.post("/v1/coupons", {"amount_off": "500", "currency": "usd", "duration": "forever"}))
    listed = body(api.get("/v1/coupons?limit=1"))
    assert [c["id"] for c in listed["data"]] == [second["id"]] and listed["has_more"] is True
    assert body(api.delete(f"/v1/coupons/{coupon['id']}")) == {"id": coupon["id"], "object": "coupon",
                                                               "deleted": True}
    gone = api.get(f"/v1/coupons/{coupon['id']}")
    assert gone.status == 404 and gone.json()["error"]["code"] == "resource_missing"
    kinds = [e["type"] for e in body(api.get("/v1/events?limit=10"))["data"]]
    assert kinds[:4] == ["coupon.deleted", "coupon.created", "coupon.updated", "coupon.created"]


def test_ids_take_the_prefix_of_stripes_example_object(everything: Api) -> None:
    product = body(everything.post("/v1/products", {"name": "Rides"}))
    assert product["id"].startswith("prod_") and product["name"] == "Rides"
    price = body(everything.post("/v1/prices", {"product": product["id"], "unit_amount": "1200",
                                                "currency": "usd"}))
    assert price["id"].startswith("price_") and price["unit_amount"] == 1200


def test_parameters_are_checked_against_the_sdks_types(everything: Api) -> None:
    missing = everything.post("/v1/products", {}).json()["error"]
    assert (missing["code"], missing["param"]) == ("parameter_missing", "name")
    unknown = everything.post("/v1/products", {"name": "Rides", "colour": "red"}).json()["error"]
    assert (unknown["code"], unknown["param"]) == ("parameter_unknown", "colour")
    enum = everything.post("/v1/coupons", {"duration": "sometimes"}).json()["error"]
    assert enum["param"] == "duration" and enum["type"] == "invalid_request_error"
    assert body(everything.get("/v1/products"))["data"] == []  # nothing was made


def test_a_nested_object_lives_under_a_parent_that_exists(everything: Api) -> None:
    customer = body(everything.post("/v1/customers", {"name": "Jenny"}))
    assert "emulator-fidelity" in everything.post("/v1/customers", {"name": "x"}).headers
    tax_id = body(everything.post(f"/v1/customers/{customer['id']}/tax_ids", {"type": "us_ein",
                                                                              "value": "12-3456789"}))
    assert tax_id["object"] == "tax_id" and tax_id["customer"] == customer["id"] and tax_id["value"] == "12-3456789"
    listed = body(everything.get(f"/v1/customers/{customer['id']}/tax_ids"))
    assert [t["id"] for t in listed["data"]] == [tax_id["id"]]
    other = body(everything.post("/v1/customers", {"name": "John"}))
    assert body(everything.get(f"/v1/customers/{other['id']}/tax_ids"))["data"] == []
    orphan = everything.post("/v1/customers/cus_nobody/tax_ids", {"type": "us_ein", "value": "1"})
    assert orphan.status == 404 and orphan.json()["error"]["param"] == "customer"


def test_hand_written_endpoints_are_unchanged_and_marked_full(everything: Api) -> None:
    made = everything.post("/v1/customers", {"name": "Jenny"})
    assert made.headers["emulator-fidelity"] == "full"
    assert body(made)["object"] == "customer"
    unknown = everything.get("/v1/not_a_stripe_resource")
    assert unknown.status == 404 and unknown.json()["error"]["type"] == "invalid_request_error"


def test_the_default_surface_is_all_and_the_emulated_one_is_strict(api: Api) -> None:
    assert Settings().surface == "all"
    assert api.post("/v1/coupons", {"percent_off": "25", "duration": "once"}).headers["emulator-fidelity"] == \
        "generic"
    strict = AsgiCaller(create_app(Settings(seed=21, surface="emulated")))
    try:
        refused = strict.request("POST", "/v1/coupons", headers={"Authorization": "Bearer sk_test_strict"},
                                 data={"percent_off": "25", "duration": "once"})
        assert refused.status == 404 and "Unrecognized request URL" in refused.json()["error"]["message"]
        kept = strict.request("POST", "/v1/customers", headers={"Authorization": "Bearer sk_test_strict"},
                              data={"name": "Jenny"})
        assert kept.status == 200 and kept.headers["emulator-fidelity"] == "full"
    finally:
        strict.close()


def test_serve_takes_the_surface_option() -> None:
    result = CliRunner().invoke(cli, ["serve", "--surface", "everything"])
    assert result.exit_code == 2 and "--surface" in result.output


def test_generic_objects_and_their_events_survive_a_snapshot(everything: Api) -> None:
    coupon = body(everything.post("/v1/coupons", {"percent_off": "10", "duration": "once"}))
    restore_after_reset(everything, f"/v1/coupons/{coupon['id']}")
    assert body(everything.get(f"/v1/coupons/{coupon['id']}")) == coupon
    (event,) = body(everything.get("/v1/events?type=coupon.created"))["data"]
    assert event["data"]["object"] == coupon


def test_every_generic_endpoint_answers_stripe_shaped_with_its_required_parameters(everything: Api) -> None:
    """Every endpoint of the generic surface, called as the SDK would with only its required parameters (ids in the
    path name nothing): no 5xx, every error Stripe-shaped, every object checked by the contract recorder."""
    from harness.contract.sdk_params import endpoints, sample
    from tests.contract.sdk_probe import encode

    catalogue = generic.catalogue()
    called = [e for e in endpoints() if f"{e.method} {e.shape}" in catalogue]
    if not called:
        pytest.skip("the installed stripe SDK names none of the generic endpoints (an SDK older than the data)")
    outcomes: Counter[str] = Counter()
    for endpoint in called:
        required = sample(endpoint.params, "") if endpoint.params is not None else {}
        pairs = list(encode(required if isinstance(required, dict) else {}))
        path = re.sub(r"\{[^}]*\}", "x_nothing", endpoint.template)
        if endpoint.method == "POST":
            answer = everything.post(path, pairs)
        else:
            query = urlencode(pairs)
            answer = everything.caller.request(endpoint.method, path + (f"?{query}" if query else ""),
                                               headers=everything.headers())
        assert answer.status < 500, (endpoint.method, endpoint.template, answer.body)
        if answer.status >= 400:
            error = answer.json()["error"]
            assert error["type"] == "invalid_request_error" and error["message"], (endpoint.template, error)
            outcomes[str(error.get("code"))] += 1
        else:
            outcomes["2xx"] += 1
    assert outcomes["2xx"] > 100 and outcomes["resource_missing"] > 100, outcomes


def test_an_action_answers_its_object_and_hash_parameters_apply(everything: Api) -> None:
    customer = body(everything.post("/v1/customers", {"name": "Jenny"}))
    invoice = body(everything.post("/v1/invoices", {"customer": customer["id"], "description": "March"}))
    assert invoice["customer"] == customer["id"] and invoice["description"] == "March"
    finalized = body(everything.post(f"/v1/invoices/{invoice['id']}/finalize", {}))
    assert finalized["id"] == invoice["id"]  # the object acted on, unchanged (no status is simulated)
    assert everything.post("/v1/invoices/in_nothing/finalize", {}).status == 404
    product = body(everything.post("/v1/products", {"name": "Rides"}))
    price = body(everything.post("/v1/prices", {"product": product["id"], "unit_amount": "1000", "currency": "usd",
                                                "recurring[interval]": "week", "recurring[interval_count]": "2"}))
    assert (price["recurring"]["interval"], price["recurring"]["interval_count"]) == ("week", 2)
    assert price["product"] == product["id"]


def test_expand_reaches_generic_objects_and_the_ones_kept_by_hand(everything: Api) -> None:
    customer = body(everything.post("/v1/customers", {"name": "Jenny"}))
    product = body(everything.post("/v1/products", {"name": "Rides"}))
    price = body(everything.post("/v1/prices", {"product": product["id"], "unit_amount": "900", "currency": "usd"}))
    expanded = body(everything.get(f"/v1/prices/{price['id']}?expand[]=product"))
    assert expanded["product"] == product
    listed = body(everything.get("/v1/prices?expand[]=data.product"))
    assert listed["data"][0]["product"]["id"] == product["id"]
    invoice = body(everything.post("/v1/invoices", {"customer": customer["id"], "expand[]": "customer"}))
    assert invoice["customer"]["id"] == customer["id"] and invoice["customer"]["object"] == "customer"
    refused = everything.get(f"/v1/prices/{price['id']}?expand[]=currency")
    assert refused.status == 400 and refused.json()["error"]["param"] == "expand"


def test_the_dashboard_lists_generic_objects(everything: Api) -> None:
    coupon = body(everything.post("/v1/coupons", {"percent_off": "5", "duration": "once"}))
    page = everything.caller.request("GET", "/_emulator/dashboard?key=sk_test_generic")
    assert page.status == 200
    html = page.body.decode()
    assert "Other objects (generic)" in html and coupon["id"] in html


def test_an_endpoint_only_the_preview_sdk_has_answers_preview_versions_only(everything: Api) -> None:
    preview = {"Stripe-Version": "2026-09-30.preview"}
    listed = everything.get("/v1/fx_quotes", headers=preview)
    assert listed.status == 200, listed.body
    assert listed.json()["object"] == "list" and listed.headers["emulator-fidelity"] == "generic"
    ga = everything.get("/v1/fx_quotes")
    assert ga.status == 404 and "preview" in ga.json()["error"]["message"]


def test_a_nested_object_names_its_parent_wherever_the_example_named_one(everything: Api) -> None:
    customer = body(everything.post("/v1/customers", {"name": "Jenny"}))
    tax_id = body(everything.post(f"/v1/customers/{customer['id']}/tax_ids", {"type": "us_ein",
                                                                              "value": "12-3456789"}))
    assert tax_id["owner"]["customer"] == customer["id"]  # the example object's own customer id is replaced


def test_a_namespace_started_again_never_answers_an_earlier_objects_rendering(everything: Api) -> None:
    first = body(everything.post("/v1/coupons", {"percent_off": "5", "duration": "once", "name": "First"}))
    assert body(everything.get(f"/v1/coupons/{first['id']}"))["name"] == "First"
    assert everything.post("/_emulator/reset").status == 200
    again = body(everything.post("/v1/coupons", {"percent_off": "5", "duration": "once", "name": "Again"}))
    assert body(everything.get(f"/v1/coupons/{again['id']}"))["name"] == "Again"
    renamed = body(everything.post(f"/v1/coupons/{again['id']}", {"name": "Renamed"}))
    assert renamed["name"] == "Renamed" and body(everything.get(f"/v1/coupons/{again['id']}"))["name"] == "Renamed"
    preview = everything.get(f"/v1/coupons/{again['id']}", headers={"Stripe-Version": "2026-09-30.preview"})
    assert preview.json()["name"] == "Renamed"


def events_of(api: Api) -> list[dict[str, Any]]:
    return list(reversed(body(api.get("/v1/events?limit=100"))["data"]))


def test_an_action_with_one_obvious_end_state_sets_it_and_sends_stripes_event(everything: Api) -> None:
    api = everything
    cus = body(api.post("/v1/customers", {}))["id"]
    invoice = body(api.post("/v1/invoices", {"customer": cus}))
    path = f"/v1/invoices/{invoice['id']}"
    assert body(api.post(f"{path}/send", {}))["status"] == invoice["status"]  # sending changes no state
    assert body(api.post(f"{path}/finalize", {}))["status"] == "open"
    assert body(api.get(path))["status"] == "open"  # kept
    assert body(api.post(f"{path}/pay", {}))["status"] == "paid"
    other = body(api.post("/v1/invoices", {"customer": cus}))["id"]
    assert body(api.post(f"/v1/invoices/{other}/void", {}))["status"] == "void"
    third = body(api.post("/v1/invoices", {"customer": cus}))["id"]
    assert body(api.post(f"/v1/invoices/{third}/mark_uncollectible", {}))["status"] == "uncollectible"
    sent = [(e["type"], e["data"]["object"].get("status")) for e in events_of(api) if e["type"].startswith("invoice.")]
    assert ("invoice.sent", invoice["status"]) in sent
    assert [pair for pair in sent if pair[0] != "invoice.created" and pair[0] != "invoice.sent"] == [
        ("invoice.finalized", "open"), ("invoice.paid", "paid"), ("invoice.voided", "void"),
        ("invoice.marked_uncollectible", "uncollectible")]
    finalized = next(e for e in events_of(api) if e["type"] == "invoice.finalized")
    assert finalized["data"]["previous_attributes"]["status"] == invoice["status"]


def test_a_subscription_is_cancelled_by_delete_and_its_events_are_customer_subscription_ones(everything: Api) -> None:
    api = everything
    cus = body(api.post("/v1/customers", {}))["id"]
    product = body(api.post("/v1/products", {"name": "Plan"}))["id"]
    price = body(api.post("/v1/prices", {"product": product, "unit_amount": "1500", "currency": "usd",
                                         "recurring[interval]": "month"}))["id"]
    sub = body(api.post("/v1/subscriptions", {"customer": cus, "items[0][price]": price}))
    trial = body(api.post(f"/v1/subscriptions/{sub['id']}", {"trial_end": "now"}))
    assert trial["trial_end"] == body(api.get("/_emulator/clock"))["now"]  # `now`: the namespace's clock
    canceled = body(api.delete(f"/v1/subscriptions/{sub['id']}"))
    assert canceled["id"] == sub["id"] and canceled["status"] == "canceled"
    assert body(api.get(f"/v1/subscriptions/{sub['id']}"))["status"] == "canceled"
    types = [e["type"] for e in events_of(api)]
    assert [t for t in types if "subscription" in t] == [
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"]
    tax_id = body(api.post(f"/v1/customers/{cus}/tax_ids", {"type": "us_ein", "value": "000000000"}))
    assert tax_id["customer"] == cus and "customer.tax_id.created" in [e["type"] for e in events_of(api)]


def test_a_subscriptions_items_are_the_prices_it_was_given_and_updates_change_them(everything: Api) -> None:
    api = everything
    cus = body(api.post("/v1/customers", {}))["id"]
    product = body(api.post("/v1/products", {"name": "Plan"}))["id"]
    monthly = body(api.post("/v1/prices", {"product": product, "unit_amount": "1500", "currency": "usd",
                                           "recurring[interval]": "month"}))
    yearly = body(api.post("/v1/prices", {"product": product, "unit_amount": "15000", "currency": "usd",
                                          "recurring[interval]": "year"}))
    sub = body(api.post("/v1/subscriptions", {"customer": cus, "items[0][price]": monthly["id"],
                                              "items[0][quantity]": "3", "items[1][price]": yearly["id"]}))
    items = sub["items"]["data"]
    assert [(i["price"]["id"], i["price"]["unit_amount"], i["quantity"]) for i in items] == [
        (monthly["id"], 1500, 3), (yearly["id"], 15000, 1)]
    assert all(i["subscription"] == sub["id"] and i["id"].startswith("si_") for i in items)
    assert items[0]["id"] != items[1]["id"] and items[0]["price"]["recurring"]["interval"] == "month"
    first, second = items[0]["id"], items[1]["id"]
    changed = body(api.post(f"/v1/subscriptions/{sub['id']}", {
        "items[0][id]": first, "items[0][price]": yearly["id"], "items[1][id]": second, "items[1][deleted]": "true",
        "items[2][price]": monthly["id"]}))
    assert [(i["id"] == first, i["price"]["id"], i["quantity"]) for i in changed["items"]["data"]] == [
        (True, yearly["id"], 3), (False, monthly["id"], 1)]
    assert body(api.get(f"/v1/subscriptions/{sub['id']}"))["items"] == changed["items"]
    updated = [e for e in events_of(api) if e["type"] == "customer.subscription.updated"]
    assert updated[-1]["data"]["previous_attributes"]["items"]["data"][1]["id"] == second
    missing = api.post(f"/v1/subscriptions/{sub['id']}", {"items[0][id]": "si_missing", "items[0][quantity]": "9",
                                                          "metadata[order]": "7"})
    assert missing.status == 404
    error = missing.json()["error"]
    assert (error["code"], error["param"]) == ("resource_missing", "items[0][id]")
    after = body(api.get(f"/v1/subscriptions/{sub['id']}"))
    assert after["items"] == changed["items"] and after["metadata"] == {}  # the refused update changed nothing


def test_a_refused_reference_or_expansion_changes_nothing(everything: Api) -> None:
    api = everything
    cus = body(api.post("/v1/customers", {}))["id"]
    missing = api.post("/v1/subscriptions", {"customer": cus, "items[0][price]": "price_missing"})
    assert missing.status == 404
    error = missing.json()["error"]
    assert (error["code"], error["param"]) == ("resource_missing", "items[0][price]")
    assert "price_missing" in error["message"]
    bad_expand = api.post("/v1/subscriptions", {"customer": cus, "expand[0]": "status"})
    assert bad_expand.status == 400 and bad_expand.json()["error"]["param"] == "expand"
    assert ids(api, "/v1/subscriptions?status=all") == []  # neither made a subscription
    assert [e["type"] for e in events_of(api) if "subscription" in e["type"]] == []
    product = body(api.post("/v1/products", {"name": "Plan"}))["id"]
    price = body(api.post("/v1/prices", {"product": product, "unit_amount": "500", "currency": "usd",
                                         "recurring[interval]": "month"}))["id"]
    made = body(api.post("/v1/subscriptions", {"customer": cus, "items[0][price]": price,
                                               "expand[0]": "customer", "expand[1]": "latest_invoice",
                                               "expand[2]": "default_payment_method"}))
    assert made["customer"]["id"] == cus  # kept by hand, expanded
    assert made["default_payment_method"] is None and made["latest_invoice"] is None  # null expands to null


def ids(api: Api, path: str) -> list[str]:
    return [o["id"] for o in body(api.get(path))["data"]]


def test_a_generic_list_takes_its_filters(everything: Api) -> None:
    api = everything
    gold, silver = (body(api.post("/v1/products", {"name": name}))["id"] for name in ("Gold", "Silver"))
    monthly = body(api.post("/v1/prices", {"product": gold, "unit_amount": "1500", "currency": "usd",
                                           "recurring[interval]": "month", "lookup_key": "gold_monthly"}))["id"]
    once = body(api.post("/v1/prices", {"product": silver, "unit_amount": "900", "currency": "usd",
                                        "active": "false"}))["id"]
    assert ids(api, f"/v1/prices?product={gold}") == [monthly]
    assert ids(api, "/v1/prices?active=false") == [once] and ids(api, "/v1/prices?active=true") == [monthly]
    assert ids(api, "/v1/prices?lookup_keys[]=gold_monthly") == [monthly]
    assert ids(api, f"/v1/products?ids[]={silver}") == [silver]
    first, second = (body(api.post("/v1/customers", {}))["id"] for _ in range(2))
    mine = body(api.post("/v1/subscriptions", {"customer": first, "items[0][price]": monthly}))["id"]
    api.post("/_emulator/clock", {"advance": "60"})
    theirs = body(api.post("/v1/subscriptions", {"customer": second, "items[0][price]": monthly}))["id"]
    assert ids(api, f"/v1/subscriptions?customer={first}") == [mine]
    assert ids(api, f"/v1/subscriptions?price={monthly}") == [theirs, mine]  # newest first
    assert ids(api, f"/v1/subscriptions?price={once}") == []
    api.delete(f"/v1/subscriptions/{theirs}")
    assert ids(api, "/v1/subscriptions") == [mine]  # Stripe's default: no canceled subscriptions
    assert ids(api, "/v1/subscriptions?status=all") == [theirs, mine]
    assert ids(api, "/v1/subscriptions?status=canceled") == [theirs]
    created = body(api.get(f"/v1/subscriptions/{mine}"))["created"]
    assert ids(api, f"/v1/subscriptions?status=all&created[gt]={created}") == [theirs]
    assert ids(api, f"/v1/subscriptions?status=all&created[lte]={created}") == [mine]


def test_advancing_a_test_clock_moves_its_frozen_time(everything: Api) -> None:
    api = everything
    clock = body(api.post("/v1/test_helpers/test_clocks", {"frozen_time": "1577836800"}))
    assert clock["frozen_time"] == 1577836800
    advanced = body(api.post(f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": "1580515200"}))
    assert (advanced["frozen_time"], advanced["status"]) == (1580515200, "ready")
    assert "test_helpers.test_clock.ready" in [e["type"] for e in events_of(api)]


def test_a_customers_coupon_before_basil_is_its_discount(everything: Api) -> None:
    api = everything
    acacia = {"Stripe-Version": "2025-02-24.acacia"}
    coupon = body(api.post("/v1/coupons", {"percent_off": "20", "duration": "forever"}))
    made = body(api.post("/v1/customers", {"coupon": coupon["id"]}, headers=acacia))
    discount = made["discount"]
    assert discount["object"] == "discount" and discount["customer"] == made["id"]
    assert discount["coupon"]["id"] == coupon["id"] and discount["coupon"]["percent_off"] == 20
    removed = body(api.post(f"/v1/customers/{made['id']}", {"coupon": ""}, headers=acacia))
    assert removed["discount"] is None
    again = body(api.post(f"/v1/customers/{made['id']}", {"coupon": coupon["id"]}, headers=acacia))
    clover = body(api.get(f"/v1/customers/{made['id']}"))["discount"]  # from 2025-09-30.clover: its source
    assert "coupon" not in clover and clover["source"] == {"coupon": coupon["id"], "type": "coupon"}
    deleted = body(api.delete(f"/v1/customers/{made['id']}/discount"))
    assert deleted["deleted"] is True and deleted["id"] == again["discount"]["id"]
    assert body(api.get(f"/v1/customers/{made['id']}"))["discount"] is None
    nothing = api.delete(f"/v1/customers/{made['id']}/discount")
    assert nothing.status == 404 and nothing.json()["error"]["code"] == "resource_missing"
    types = [e["type"] for e in events_of(api) if e["type"].startswith("customer.discount")]
    assert types == ["customer.discount.created", "customer.discount.deleted", "customer.discount.created",
                     "customer.discount.deleted"]
    missing = api.post("/v1/customers", {"coupon": "nosuchcoupon"}, headers=acacia)
    assert missing.status == 404 and missing.json()["error"]["param"] == "coupon"
    removed_in_basil = api.post("/v1/customers", {"coupon": coupon["id"]})  # the default version: no `coupon`
    assert removed_in_basil.status == 400 and removed_in_basil.json()["error"]["code"] == "parameter_unknown"
