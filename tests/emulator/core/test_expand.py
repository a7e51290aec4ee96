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
