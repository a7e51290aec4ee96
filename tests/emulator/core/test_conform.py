"""`emulator.core.conform`: a value is checked against its type hint before a snapshot document replaces state, and a
refusal names the path of the first value that does not fit and why (the README's "Snapshots" promise: a bad document
is refused in one line that says where). Each message below is written out in full."""

from __future__ import annotations

import collections
import dataclasses
import functools
import threading
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any, ClassVar, Literal, TypedDict

import pytest

from emulator.core.conform import Mismatch, check, check_arguments, check_callable, check_fields, fields
from emulator.core.store import Table


class Point(TypedDict):
    x: int
    label: str | None


class Partly(TypedDict, total=False):
    note: str


def two(a: int, b: str) -> str:
    return f"{a}{b}"


def keyword_only(a: int, *rest: int, named: str = "", **extra: int) -> None:
    pass


class Holder:
    count: int
    names: list[str]
    kind: ClassVar[str] = "holder"

    def __init__(self) -> None:
        self.count = 1
        self.names = ["a"]

    def method(self, value: int) -> int:
        return value


@dataclasses.dataclass
class Row:
    id: str
    amount: int
    derived: ClassVar[int] = 0


class Checked:
    value: int

    def __init__(self, value: int) -> None:
        self.value = value

    def _check_state(self) -> None:
        if self.value < 0:
            raise ValueError("value must not be negative")


ACCEPTED: list[tuple[Any, Any]] = [
    (None, None),
    (None, type(None)),
    (None, int | None),
    (3, int | None),
    ("s", int | str),
    (True, bool),
    (2**63 - 1, int),
    (-(2**63), int),
    (1, float),
    (1.5, float),
    ("draft", Literal["draft", "open"]),
    (1, Literal[1, 2]),
    ([1, 2], list[int]),
    ([], list[int]),
    ([1, "x"], list),  # type: ignore[type-arg]
    ((1, "x"), tuple[int, str]),
    ((1, 2, 3), tuple[int, ...]),
    ((), tuple[int, ...]),
    ([1], Sequence[int]),
    ((1,), Sequence[int]),
    ({1}, Set[int]),
    (frozenset({1}), Set[int]),
    ({1}, set[int]),
    (collections.deque([1]), collections.deque[int]),
    ({"a": 1}, dict[str, int]),
    ({"a": 1}, Mapping[str, int]),
    ({"x": 1, "label": None}, Point),
    ({}, Partly),
    (threading.Lock(), threading.Lock),
    (two, Callable[[int, str], str]),
    (functools.partial(two, 1), Callable[[str], str]),
    (Holder().method, Callable[[int], int]),
    ("anything", Any),
    (object(), object),
]


@pytest.mark.parametrize(("value", "hint"), ACCEPTED)
def test_values_that_fit_their_hints_pass(value: Any, hint: Any) -> None:
    check(value, hint, "doc")


REFUSED: list[tuple[Any, Any, str]] = [
    (0, None, "doc: expected null, found int"),
    ("1", int, "doc: expected an integer, found str"),
    (True, int, "doc: expected an integer, found bool"),
    (2**63, int, "doc: an integer out of range"),
    (-(2**63) - 1, int, "doc: an integer out of range"),
    ("1", float, "doc: expected a number, found str"),
    (False, float, "doc: expected a number, found bool"),
    (float("inf"), float, "doc: a number out of range"),
    (float("nan"), float, "doc: a number out of range"),
    (2**63, float, "doc: a number out of range"),
    (1, bool, "doc: expected a boolean, found int"),
    (1, str, "doc: expected str, found int"),
    ("x", bytes, "doc: expected bytes, found str"),
    ("x", int | None, "doc: str fits none of ['int', 'NoneType']"),
    (["x"], list[int] | None, "doc: list fits none of ['list', 'NoneType']"),
    ([], int | str, "doc: list fits none of ['int', 'str']"),
    (None, int | str, "doc: NoneType fits none of ['int', 'str']"),
    ("closed", Literal["draft", "open"], "doc: 'closed' is not one of ['draft', 'open']"),
    (True, Literal[1, 2], "doc: True is not one of [1, 2]"),
    ((1,), list[int], "doc: expected list, found tuple"),
    ([1, "2"], list[int], "doc[1]: expected an integer, found str"),
    ({1: 2}, list[int], "doc: expected list, found dict"),
    (["1"], Sequence[int], "doc[0]: expected an integer, found str"),
    ("abc", Sequence[str], "doc: expected list, found str"),
    ([1], Set[int], "doc: expected set, found list"),
    ({"x"}, set[int], "doc[0]: expected an integer, found str"),
    ([1], collections.deque[int], "doc: expected deque, found list"),
    ([1], tuple[int, str], "doc: expected tuple, found list"),
    ((1,), tuple[int, str], "doc: expected a tuple of 2, found 1 items"),
    ((1, 2), tuple[int, str], "doc[1]: expected str, found int"),
    ((1, "x"), tuple[int, ...], "doc[1]: expected an integer, found str"),
    ([("a", 1)], dict[str, int], "doc: expected dict, found list"),
    ({1: 1}, dict[str, int], "doc<key>: expected str, found int"),
    ({"a": "1"}, dict[str, int], "doc['a']: expected an integer, found str"),
    ([], Point, "doc: expected an object, found list"),
    ({"label": None}, Point, "doc: missing 'x'"),
    ({"x": 1, "label": None, "y": 2}, Point, "doc: unexpected 'y'"),
    ({"x": "1", "label": None}, Point, "doc.x: expected an integer, found str"),
    ({"note": 1}, Partly, "doc.note: expected str, found int"),
    (threading.RLock(), threading.Lock, "doc: expected a lock, found RLock"),
    ("two", Callable[[int], str], "doc: expected a function, found str"),
    (print, Callable[[int], str], "doc: expected a function, found builtin_function_or_method"),
    (two, Callable[[int], str], "doc: a callable that cannot be called with 1 argument(s)"),
    (functools.partial(print, 1), Callable[[], None], "doc: a partial of a builtin_function_or_method"),
    (functools.partial(two, "1"), Callable[[str], str], "doc.a: expected an integer, found str"),
    ("x", Table[int], "doc: expected Table, found str"),
    (1, Holder, "doc: expected Holder, found int"),
]


@pytest.mark.parametrize(("value", "hint", "message"), REFUSED)
def test_a_value_that_does_not_fit_is_refused_naming_its_path_and_why(value: Any, hint: Any, message: str) -> None:
    with pytest.raises(Mismatch) as info:
        check(value, hint, "doc")
    assert str(info.value) == message


def test_a_hint_it_cannot_check_is_refused_not_accepted() -> None:
    with pytest.raises(Mismatch) as info:
        check(1, "int", "doc")
    assert str(info.value) == "doc: cannot check against 'int'"


def test_a_table_checks_its_rows_against_the_row_type() -> None:
    table: Table[int] = Table()
    table.put("a", 1)
    check(table, Table[int], "doc")
    check(table, Table, "doc")  # type: ignore[type-arg]
    table.put("b", "two")  # type: ignore[arg-type]
    with pytest.raises(Mismatch) as info:
        check(table, Table[int], "doc")
    assert str(info.value) == "doc['b']: expected an integer, found str"


def test_fields_are_the_instance_annotations_without_class_variables() -> None:
    assert fields(Holder) == {"count": int, "names": list[str]}
    assert fields(Row) == {"id": str, "amount": int}
    assert fields(Holder) is fields(Holder)  # resolved once


def test_an_object_has_exactly_its_declared_attributes_each_of_its_type() -> None:
    holder = Holder()
    check_fields(holder, "ns")
    del holder.count
    with pytest.raises(Mismatch) as missing:
        check_fields(holder, "ns")
    assert str(missing.value) == "ns: a Holder without 'count'"
    holder.count = 2
    holder.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(Mismatch) as extra:
        check_fields(holder, "ns")
    assert str(extra.value) == "ns: a Holder has no attribute 'extra'"
    del holder.extra  # type: ignore[attr-defined]
    holder.names = ["a", 2]  # type: ignore[list-item]
    with pytest.raises(Mismatch) as typed:
        check_fields(holder, "ns")
    assert str(typed.value) == "ns.names[1]: expected str, found int"


def test_an_objects_own_consistency_check_runs_after_its_types() -> None:
    check_fields(Checked(1), "ns.table")
    with pytest.raises(Mismatch) as info:
        check_fields(Checked(-1), "ns.table")
    assert str(info.value) == "ns.table: an inconsistent Checked (value must not be negative)"


def test_partial_arguments_must_bind_and_fit_the_annotations() -> None:
    check_arguments(two, (1,), {"b": "x"}, "p")
    check_arguments(keyword_only, (1, 2, 3), {"named": "n", "other": 4}, "p")  # *rest and **extra are not typed here
    with pytest.raises(Mismatch) as unbound:
        check_arguments(two, (1, "x", 3), {}, "p")
    assert str(unbound.value) == "p: arguments that two does not take (too many positional arguments)"
    with pytest.raises(Mismatch) as keyword:
        check_arguments(two, (), {"c": 1}, "p")
    assert str(keyword.value) == "p: arguments that two does not take (got an unexpected keyword argument 'c')"
    with pytest.raises(Mismatch) as typed:
        check_arguments(keyword_only, (1,), {"named": 5}, "p")
    assert str(typed.value) == "p.named: expected str, found int"
    with pytest.raises(Mismatch) as second:
        check_arguments(two, (1, 2), {}, "p")
    assert str(second.value) == "p.b: expected str, found int"
    check_callable(functools.partial(Holder().method, 3), "p")
    with pytest.raises(Mismatch):
        check_callable(functools.partial(Holder().method, "3"), "p")


def test_fields_of_classes_not_seen_before() -> None:
    # classes made here, so nothing is cached yet: the fields are found, not remembered
    class Fresh:
        count: int
        label: ClassVar[str] = "fresh"
        plain: ClassVar = 1  # type: ignore[type-arg]

    @dataclasses.dataclass
    class FreshRow:
        id: str
        total: int = 0
        note: ClassVar[str] = ""

    assert fields(Fresh) == {"count": int}
    assert fields(FreshRow) == {"id": str, "total": int}


def test_partial_arguments_past_a_star_parameter_and_without_annotations() -> None:
    def loose(a, b: int):  # type: ignore[no-untyped-def]
        return a

    check_arguments(loose, ("anything",), {}, "p")  # an unannotated parameter takes anything
    with pytest.raises(Mismatch) as typed:
        check_arguments(loose, ("anything", "2"), {}, "p")
    assert str(typed.value) == "p.b: expected an integer, found str"
    with pytest.raises(Mismatch) as after_star:
        check_arguments(keyword_only, (1, 2, 3), {"named": 5}, "p")
    assert str(after_star.value) == "p.named: expected str, found int"
