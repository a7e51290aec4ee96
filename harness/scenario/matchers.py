"""Subset matching for scenario expectations, with matchers written as one-key mappings:

`{$prefix: fca_}` a string starting so (e.g. any id of a type) · `{$absent: true}` the key is not there ·
`{$any: true}` present, any value · `{$one_of: [a, b]}` · `{$contains: x}` a list with an item matching x ·
`{$not: x}` anything not matching x · `null` means null. Mappings match as subsets, lists item by item (same
length). A number matches its string form too (request logs keep form values as strings)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

ABSENT = object()


@dataclass(frozen=True)
class Mismatch:
    path: str
    expected: Any
    actual: Any

    def render(self) -> str:
        actual = "<absent>" if self.actual is ABSENT else json.dumps(self.actual, default=str)
        return f"at {self.path}: expected {json.dumps(self.expected, default=str)}, got {actual}"


def _matcher(expected: Any) -> str | None:
    if isinstance(expected, dict) and len(expected) == 1:
        (key,) = expected
        if key.startswith("$"):
            return str(key)
    return None


def normalise(value: Any) -> Any:
    """Form-decoded arrays (`{"0": a, "1": b}`) as lists, recursively."""
    if isinstance(value, dict):
        if value and all(isinstance(k, str) and k.isdigit() for k in value):
            return [normalise(value[k]) for k in sorted(value, key=int)]
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def match(expected: Any, actual: Any, path: str = "$") -> list[Mismatch]:
    kind = _matcher(expected)
    if kind is not None:
        operand = expected[kind]
        if kind == "$absent":
            return [] if (actual is ABSENT) == bool(operand) else [Mismatch(path, expected, actual)]
        if actual is ABSENT:
            return [Mismatch(path, expected, actual)]
        if kind == "$any":
            return []
        if kind == "$prefix":
            ok = isinstance(actual, str) and actual.startswith(str(operand))
            return [] if ok else [Mismatch(path, expected, actual)]
        if kind == "$one_of":
            ok = any(not match(option, actual, path) for option in operand)
            return [] if ok else [Mismatch(path, expected, actual)]
        if kind == "$contains":
            ok = isinstance(actual, list) and any(not match(operand, item, path) for item in actual)
            return [] if ok else [Mismatch(path, expected, actual)]
        if kind == "$not":
            return [Mismatch(path, expected, actual)] if not match(operand, actual, path) else []
        return [Mismatch(path, f"a known matcher (not {kind})", expected)]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(path, expected, actual)]
        found: list[Mismatch] = []
        for key, inner in expected.items():
            found += match(inner, actual.get(key, ABSENT), f"{path}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Mismatch(path, expected, actual)]
        return [m for index, (e, a) in enumerate(zip(expected, actual, strict=True))
                for m in match(e, a, f"{path}[{index}]")]
    if actual is ABSENT:
        return [Mismatch(path, expected, actual)]
    if expected == actual or (isinstance(actual, str) and not isinstance(expected, (bool, type(None)))
                              and str(expected) == actual):
        return []
    if isinstance(expected, bool) and isinstance(actual, str) and actual == str(expected).lower():
        return []
    return [Mismatch(path, expected, actual)]


def project(expected: Any, actual: Any) -> Any:
    """The part of `actual` that `expected` talks about (for a readable diff)."""
    if isinstance(expected, dict) and _matcher(expected) is None and isinstance(actual, dict):
        return {k: project(v, actual[k]) if k in actual else "<absent>" for k, v in expected.items()}
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [project(e, a) for e, a in zip(expected, actual, strict=True)]
    return actual


def diff(expected: Any, actual: Any) -> str:
    left = json.dumps(expected, indent=2, sort_keys=True, default=str).splitlines()
    right = json.dumps(project(expected, actual), indent=2, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(left, right, "expected", "actual", lineterm="", n=2))
