from __future__ import annotations

from typing import Any

import pytest

from emulator.core.errors import InvalidRequestError
from emulator.core.expand import expand

OBJECTS: dict[tuple[str, str], dict[str, Any]] = {
    ("customer", "cus_1"): {"id": "cus_1", "object": "customer", "default_pm": "pm_1"},
    ("payment_method", "pm_1"): {"id": "pm_1", "object": "payment_method", "customer": "cus_1"},
}
EXPANDABLE = {
    "session": {"account_holder.customer": "customer"},
    "customer": {"default_pm": "payment_method"},
    "payment_method": {"customer": "customer"},
}


def resolve(object_type: str, object_id: str) -> dict[str, Any] | None:
    found = OBJECTS.get((object_type, object_id))
    return None if found is None else dict(found)


def session() -> dict[str, Any]:
    return {
        "id": "fcsess_1",
        "object": "session",
        "account_holder": {"type": "customer", "customer": "cus_1"},
        "accounts": {"object": "list", "data": [{"id": "pm_1", "object": "payment_method", "customer": "cus_1"}]},
    }


def test_expand_nested_declared_path() -> None:
    result = expand(session(), ["account_holder.customer"], EXPANDABLE, resolve)
    assert result["account_holder"]["customer"]["object"] == "customer"


def test_expand_chains_through_expanded_objects() -> None:
    result = expand(session(), ["account_holder.customer.default_pm.customer"], EXPANDABLE, resolve)
    assert result["account_holder"]["customer"]["default_pm"]["customer"]["id"] == "cus_1"


def test_expand_walks_lists_through_data() -> None:
    result = expand(session(), ["accounts.data.customer"], EXPANDABLE, resolve)
    assert result["accounts"]["data"][0]["customer"]["object"] == "customer"
    listing = {"object": "list", "data": [session()]}
    assert expand(listing, ["data.account_holder.customer"], EXPANDABLE, resolve)["data"][0]["account_holder"][
        "customer"
    ]["id"] == "cus_1"


def test_expand_more_than_four_levels_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as info:
        expand(session(), ["account_holder.customer.default_pm.customer.default_pm"], EXPANDABLE, resolve)
    assert "more than 4 levels" in info.value.message and info.value.param == "expand"


def test_expand_unexpandable_property_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as info:
        expand(session(), ["id"], EXPANDABLE, resolve)
    assert info.value.message == "This property cannot be expanded (id)."


def test_expand_null_or_missing_target_leaves_the_value() -> None:
    obj = {"id": "cus_2", "object": "customer", "default_pm": None}
    assert expand(obj, ["default_pm"], EXPANDABLE, resolve)["default_pm"] is None
    gone = {"id": "cus_3", "object": "customer", "default_pm": "pm_gone"}
    assert expand(gone, ["default_pm"], EXPANDABLE, resolve)["default_pm"] == "pm_gone"


def test_expand_refusals_name_the_parameter_and_the_property_exactly() -> None:
    too_deep = "account_holder.customer.default_pm.customer.default_pm"
    with pytest.raises(InvalidRequestError) as deep:
        expand(session(), [too_deep], EXPANDABLE, resolve)
    assert (deep.value.message, deep.value.param, deep.value.http_status) == (
        f"You cannot expand more than 4 levels of a property. Property: {too_deep}", "expand", 400)
    # four levels are allowed
    assert expand(session(), ["account_holder.customer.default_pm.customer"], EXPANDABLE, resolve) is not None
    # an object that leads somewhere, named as the last segment, is not itself expandable
    with pytest.raises(InvalidRequestError) as listed:
        expand(session(), ["accounts"], EXPANDABLE, resolve)
    assert (listed.value.message, listed.value.param) == ("This property cannot be expanded (accounts).", "expand")
    # a plain hash without an object type leads nowhere; the whole remaining path is named
    with pytest.raises(InvalidRequestError) as plain:
        expand({"id": "x", "object": "session", "account_holder": {"type": "customer"}, "extra": {"a": "b"}},
               ["extra.a.b"], EXPANDABLE, resolve)
    assert plain.value.message == "This property cannot be expanded (extra.a.b)."


def test_expand_walks_data_only_on_lists() -> None:
    # a list's other fields are not expandable
    with pytest.raises(InvalidRequestError) as info:
        expand({"object": "list", "data": [], "url": "/v1/x"}, ["url"], EXPANDABLE, resolve)
    assert info.value.message == "This property cannot be expanded (url)."
    # an object (not a list) with a `data` field is not walked as a list
    with pytest.raises(InvalidRequestError):
        expand({"object": "customer", "data": [{"object": "customer", "default_pm": "pm_1"}]}, ["data.default_pm"],
               EXPANDABLE, resolve)
    # items that are not objects are skipped, the others expanded
    mixed = {"object": "list", "data": ["cus_1", {"id": "cus_1", "object": "customer", "default_pm": "pm_1"}]}
    result = expand(mixed, ["data.default_pm"], EXPANDABLE, resolve)
    assert result["data"][0] == "cus_1" and result["data"][1]["default_pm"]["object"] == "payment_method"
    assert expand({"object": "list"}, ["data.default_pm"], EXPANDABLE, resolve) == {"object": "list"}


def test_expand_an_object_type_without_expandable_fields_may_still_lead_to_one() -> None:
    holder = {"object": "wrapper", "inner": {"id": "pm_1", "object": "payment_method", "customer": "cus_1"}}
    result = expand(holder, ["inner.customer"], EXPANDABLE, resolve)
    assert result["inner"]["customer"]["id"] == "cus_1"
    with pytest.raises(InvalidRequestError) as info:
        expand(holder, ["nothing"], EXPANDABLE, resolve)
    assert info.value.message == "This property cannot be expanded (nothing)."


def test_expand_stops_quietly_at_a_null_sub_object_and_an_empty_path() -> None:
    obj = {"id": "fcsess_2", "object": "session", "account_holder": None}
    assert expand(obj, ["account_holder.customer"], EXPANDABLE, resolve) == obj
    assert expand(session(), [], EXPANDABLE, resolve) == session()
