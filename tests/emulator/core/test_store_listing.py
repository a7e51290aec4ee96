from __future__ import annotations

from typing import Any

import pytest

from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import created_filter, page
from emulator.core.store import Store, Table


def filled(count: int) -> Table[dict[str, Any]]:
    table: Table[dict[str, Any]] = Table()
    for index in range(count):
        table.put(f"obj_{index}", {"id": f"obj_{index}", "n": index})
    return table


def ids(result: dict[str, Any]) -> list[str]:
    return [row["id"] for row in result["data"]]


def listing(table: Table[dict[str, Any]], **params: Any) -> dict[str, Any]:
    return page(table, params, url="/v1/things", noun="thing", render=dict)


def test_store_put_replace_remove() -> None:
    table = filled(3)
    table.put("obj_1", {"id": "obj_1", "n": 99})
    assert len(table) == 3 and table.get("obj_1") == {"id": "obj_1", "n": 99}
    assert table.remove("obj_1") is not None and "obj_1" not in table
    assert [row["id"] for row in table.newest_first()] == ["obj_2", "obj_0"]
    assert table.remove("nope") is None


def test_store_tables_are_created_lazily() -> None:
    store = Store()
    store.table("a").put("x", 1)
    assert store.counts() == {"a": 1}


def test_listing_newest_first_with_default_limit() -> None:
    result = listing(filled(15))
    assert result["object"] == "list" and result["url"] == "/v1/things"
    assert ids(result) == [f"obj_{i}" for i in range(14, 4, -1)] and result["has_more"] is True


def test_listing_starting_after_and_ending_before() -> None:
    table = filled(15)
    after = listing(table, limit=3, starting_after="obj_10")
    assert ids(after) == ["obj_9", "obj_8", "obj_7"] and after["has_more"] is True
    last = listing(table, limit=3, starting_after="obj_2")
    assert ids(last) == ["obj_1", "obj_0"] and last["has_more"] is False
    before = listing(table, limit=3, ending_before="obj_5")
    assert ids(before) == ["obj_8", "obj_7", "obj_6"] and before["has_more"] is True
    top = listing(table, limit=3, ending_before="obj_12")
    assert ids(top) == ["obj_14", "obj_13"] and top["has_more"] is False


def test_listing_skips_removed_rows_and_filters() -> None:
    table = filled(6)
    table.remove("obj_4")
    result = page(table, {"limit": 10}, url="/v1/t", noun="thing", render=dict, where=lambda r: r["n"] % 2 == 0)
    assert ids(result) == ["obj_2", "obj_0"]


def test_listing_unknown_cursor_is_resource_missing() -> None:
    with pytest.raises(ResourceMissingError) as info:
        listing(filled(2), starting_after="obj_9")
    assert (info.value.param, info.value.http_status) == ("starting_after", 404)


def test_listing_both_cursors_are_exclusive() -> None:
    with pytest.raises(InvalidRequestError) as info:
        listing(filled(2), starting_after="obj_0", ending_before="obj_1")
    assert (info.value.code, info.value.param, info.value.message) == (
        "parameters_exclusive", "ending_before",
        "You may only specify one of these parameters: ending_before, starting_after.")


def test_listing_unknown_cursors_name_their_parameter_and_the_object() -> None:
    for cursor in ("starting_after", "ending_before"):
        with pytest.raises(ResourceMissingError) as info:
            listing(filled(2), **{cursor: "obj_9"})
        assert (info.value.param, info.value.code, info.value.message) == (cursor, "resource_missing",
                                                                           "No such thing: 'obj_9'")


def test_listing_page_cost_does_not_depend_on_table_size() -> None:
    class Counting(Table[dict[str, Any]]):
        reads = 0

        def newest_first(self, before: int | None = None):  # type: ignore[no-untyped-def]
            for row in super().newest_first(before):
                Counting.reads += 1
                yield row

    table = Counting()
    for index in range(50_000):
        table.put(f"obj_{index}", {"id": f"obj_{index}"})
    listing(table, limit=10, starting_after="obj_25000")
    assert Counting.reads == 11  # the page plus one row to decide has_more


def test_listing_created_filter() -> None:
    assert created_filter(5)(5) and not created_filter(5)(6)
    window = created_filter({"gte": 5, "lt": 7})
    assert [c for c in range(10) if window(c)] == [5, 6]
    assert [c for c in range(10) if created_filter({"gt": 7, "lte": 8})(c)] == [8]
