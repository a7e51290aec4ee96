from __future__ import annotations

from harness.scenario.matchers import ABSENT, diff, match, normalise


def test_matchers_subset_and_special_forms() -> None:
    actual = {"id": "fca_1", "status": "active", "permissions": ["payment_method", "balances"], "x": None}
    assert match({"id": {"$prefix": "fca_"}, "status": {"$one_of": ["active", "inactive"]}}, actual) == []
    assert match({"permissions": {"$contains": "balances"}, "x": None, "nope": {"$absent": True}}, actual) == []
    assert match({"status": {"$not": "inactive"}, "id": {"$any": True}}, actual) == []
    found = match({"status": "inactive", "id": {"$prefix": "pm_"}, "x": {"$absent": True}}, actual)
    assert [m.path for m in found] == ["$.status", "$.id", "$.x"]
    assert match({"missing": 1}, actual)[0].actual is ABSENT


def test_matchers_form_strings_and_lists() -> None:
    assert match({"limits": {"accounts": 1}, "confirm": True}, {"limits": {"accounts": "1"}, "confirm": "true"}) == []
    assert normalise({"permissions": {"1": "b", "0": "a"}}) == {"permissions": ["a", "b"]}
    assert [m.path for m in match([1, 2], [1, 3])] == ["$[1]"]
    assert match([1], [1, 2])  # lengths differ


def test_matchers_readable_diff() -> None:
    text = diff({"status": "active", "relink_result": {"failure_reason": None}},
                {"status": "failed", "relink_result": {"failure_reason": "no_account", "account": None}, "id": "x"})
    assert '-  "status": "active"' in text and '+  "status": "failed"' in text and '"id"' not in text
