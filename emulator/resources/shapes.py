"""Sub-objects rendered from what was sent, in the shape Stripe's SDK models declare for them.

`response_shapes.json` (generated from the stripe SDK's model classes: `python -m harness.contract.sdk_shapes`) lists,
for a connected account's `company`, `individual` (a person), `settings`, `controller`, `groups` and
`business_profile`, every field with its type and whether it is ever null. `build` renders one from the parameters
that were sent: a field sent with a value of its type is shown as sent; a parameter Stripe never shows back (an
`id_number`, a `tax_id`) is shown as its `<name>_provided: true`; a field not sent is the emulator's default where
it has one, else null (or, for a field that is never null, an empty value of its type).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

DATA: Final = Path(__file__).resolve().parent / "response_shapes.json"
_NOT_FITTING: Final = object()


@cache
def _shapes() -> Mapping[str, Any]:
    with DATA.open(encoding="utf-8") as handle:
        loaded: Mapping[str, Any] = json.load(handle)["shapes"]
    return loaded


def fit(shape: Mapping[str, Any], sent: Mapping[str, Any], classes: Mapping[str, Any],
        preview: bool | None = None) -> dict[str, Any]:
    """`sent` in the shape `shape` (a shape of `generic_shapes.json`, whose embedded objects are `classes`): its
    declared fields of the declared types, empty values for fields never null that it lacks, nothing undeclared;
    the fields of a preview version or of a GA one (`preview`), or of both (None)."""
    return _build(shape, sent, {}, "" if preview is None else ("ga" if preview else "p"), classes)


def build(name: str, sent: Mapping[str, Any] | None, defaults: Mapping[str, Any] | None = None, *,
          preview: bool = False) -> dict[str, Any]:
    """The sub-object `name` (`"account.company"`, `"person"` …) from the parameters `sent`, over `defaults`, with
    the fields of a preview version (`preview`) or of a GA one."""
    return _build(_shapes()[name], sent or {}, defaults or {}, "ga" if preview else "p")


def _build(node: Mapping[str, Any], sent: Mapping[str, Any], defaults: Mapping[str, Any],
           other: str, classes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`other`: the gate of the fields the version does not have (`"p"` on GA versions, `"ga"` on preview ones);
    `classes`: the shapes `{"ref": …}` nodes name."""
    if "ref" in node:
        node = (classes or {})[node["ref"]]
    out: dict[str, Any] = {}
    for field, child in node["f"].items():
        if child.get("g") == other:
            continue
        value = sent.get(field)
        default = defaults.get(field)
        if child["t"] == "o" and (isinstance(value, dict) or isinstance(default, dict) or child.get("r")):
            out[field] = _build(child, value if isinstance(value, dict) else {},
                                default if isinstance(default, dict) else {}, other, classes)
            continue
        fitted = _fit(child, value, other, classes) if value is not None else _NOT_FITTING
        if fitted is not _NOT_FITTING:
            out[field] = fitted
        elif field.endswith("_provided") and child["t"] == "b":
            out[field] = sent.get(field[: -len("_provided")]) is not None or bool(default)
        elif default is not None:
            out[field] = json.loads(json.dumps(default))
        elif child.get("r"):
            out[field] = _empty(child, other, classes)
        else:
            out[field] = None
    return out


def _fit(node: Mapping[str, Any], value: Any, other: str, classes: Mapping[str, Any] | None = None) -> Any:
    kind = node["t"]
    if kind == "o":
        return _build(node, value, {}, other, classes) if isinstance(value, dict) else _NOT_FITTING
    if kind == "a":
        if not isinstance(value, list):
            return _NOT_FITTING
        items = [_fit(node["i"], item, other, classes) for item in value]
        return [item for item in items if item is not _NOT_FITTING]
    if kind == "m":
        return dict(value) if isinstance(value, dict) else _NOT_FITTING
    if kind == "l":
        return value if isinstance(value, dict) and value.get("object") == "list" else _NOT_FITTING
    if kind == "s" or kind == "x":
        return value if isinstance(value, str) else _NOT_FITTING
    if kind == "e":
        return value if isinstance(value, str) and value in node["v"] else _NOT_FITTING
    if kind == "b":
        return value if isinstance(value, bool) else _NOT_FITTING
    if kind == "i":
        return value if isinstance(value, int) and not isinstance(value, bool) else _NOT_FITTING
    if kind == "n":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else _NOT_FITTING
    return _NOT_FITTING


def _empty(node: Mapping[str, Any], other: str, classes: Mapping[str, Any] | None = None) -> Any:
    kind = node["t"]
    if kind == "o":
        return _build(node, {}, {}, other, classes)
    if kind == "e":
        return node["v"][0]
    if kind == "l":
        return {"object": "list", "data": [], "has_more": False, "url": ""}
    return {"a": [], "m": {}, "b": False, "i": 0, "n": 0}.get(kind, "")


def merge(current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Stripe's update of a nested hash: keys merge, a key sent as `""` (None once stored) is cleared."""
    merged = dict(current)
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
