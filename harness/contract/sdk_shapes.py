"""The response shapes of the sub-objects the emulator renders from what was sent, read from the stripe SDK's
model classes: `emulator/resources/response_shapes.json`.

A connected account's `company`, `individual`, `settings`, `controller`, `groups` and `business_profile` are built
from the account's create and update parameters; the SDK's model classes say which fields each has, of which type,
and which are never null. The emulator (which imports no SDK) renders from this data (`emulator/resources/shapes.py`).

    python -m harness.contract.sdk_shapes --export > GA.json            # with the GA SDK installed
    python -m harness.contract.sdk_shapes --export > PREVIEW.json       # with the preview SDK installed
    python -m harness.contract.sdk_shapes GA.json PREVIEW.json emulator/resources/response_shapes.json
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, ForwardRef, Literal, Union

import stripe

from harness.contract.sdk_models import _resolve, declared_fields
from harness.contract.sdk_params import SCALARS, merge_fields, write_json

ROOTS = {
    "account.business_profile": ("stripe._account", "Account.BusinessProfile"),
    "account.company": ("stripe._account", "Account.Company"),
    "account.controller": ("stripe._account", "Account.Controller"),
    "account.groups": ("stripe._account", "Account.Groups"),
    "account.settings": ("stripe._account", "Account.Settings"),
    "payment_intent.amount_details": ("stripe._payment_intent", "PaymentIntent.AmountDetails"),
    "person": ("stripe._person", "Person"),
}


def _class(module: str, path: str) -> type:
    found: Any = __import__(module, fromlist=["_"])
    for part in path.split("."):
        found = getattr(found, part)
    assert isinstance(found, type)
    return found


def shape(cls: type, depth: int = 0, classes: dict[str, Any] | None = None) -> dict[str, Any]:
    """`{"t": "o", "f": {name: node}}`; a node is `"s"` string, `"i"` integer, `"n"` number, `"b"` boolean, `"e"`
    enum (`"v"`), `"a"` list (`"i"`), `"l"` list object, `"m"` map, `"o"` object, `"x"` anything else (an id or
    its object); `"r": 1` where the SDK declares the field never null. With `classes`, an embedded object of
    another class is `{"t": "o", "ref": "<module>.<qualname>"}` and its shape is put in `classes` once."""
    fields: dict[str, Any] = {}
    for name, hint in sorted(declared_fields(cls).items()):
        node = _node(hint, cls, depth, classes)
        if not _optional(hint):
            node["r"] = 1
        fields[name] = node
    return {"t": "o", "f": fields}


def _embedded(cls: type, depth: int, classes: dict[str, Any] | None) -> dict[str, Any]:
    if classes is None:
        return shape(cls, depth + 1)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name not in classes:
        classes[name] = {}  # being made: a class that embeds itself refers to it
        classes[name] = shape(cls, depth + 1, classes)
    return {"t": "o", "ref": name}


def _optional(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType) and type(None) in typing.get_args(hint)


def _node(hint: Any, owner: type, depth: int, classes: dict[str, Any] | None = None) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        literals = [arg for arg in options if typing.get_origin(arg) is Literal]
        if literals and all(arg is str or typing.get_origin(arg) is Literal for arg in options):
            return {"t": "e", "v": sorted({str(v) for lit in literals for v in typing.get_args(lit)})}
        if len(options) == 1:
            return _node(options[0], owner, depth, classes)
        return {"t": "x"}
    if isinstance(hint, (str, ForwardRef)):
        resolved = _resolve(hint, owner)  # an embedded object named by a forward reference (`"Cardholder"`)
        if isinstance(resolved, type) and issubclass(resolved, stripe.StripeObject) and depth < 8:
            return _embedded(resolved, depth, classes)
        return {"t": "x"}
    if hint is Any:
        return {"t": "x"}
    if isinstance(origin, type) and origin.__name__ == "ListObject":
        return {"t": "l"}
    if origin is Literal:
        return {"t": "e", "v": sorted(str(v) for v in args)}
    if origin in (list, typing.List):  # noqa: UP006
        return {"t": "a", "i": _node(args[0], owner, depth + 1, classes) if args else {"t": "x"}}
    if origin in (dict, typing.Dict) or (isinstance(origin, type) and origin.__name__ == "UntypedStripeObject"):  # noqa: UP006
        return {"t": "m"}
    if hint in SCALARS:
        return dict(SCALARS[hint])
    if isinstance(hint, type) and issubclass(hint, stripe.StripeObject) and depth < 8:
        return _embedded(hint, depth, classes)
    return {"t": "x"}


def merge(ga: dict[str, Any], preview: dict[str, Any]) -> dict[str, Any]:
    """One shape from a GA SDK's and a preview SDK's: a field only one of them declares is marked `"g": "ga"` or
    `"g": "p"` (the emulator shows it only in versions of that kind)."""
    if "ref" in ga or "ref" in preview:
        return ga  # an embedded class by name: `classes` merges its fields
    if ga.get("t") == preview.get("t") == "o":
        merged: dict[str, Any] = {"t": "o", "f": merge_fields(ga["f"], preview["f"], merge)}
        if ga.get("r") and preview.get("r"):
            merged["r"] = 1
        return merged
    if ga.get("t") == preview.get("t") == "e":
        return {**ga, "v": sorted(set(ga["v"]) | set(preview["v"]))}
    return ga


def _merged(ga: dict[str, Any], preview: dict[str, Any]) -> dict[str, Any]:
    """Shapes by name from both SDKs: one both have merged field by field (each gated by the SDK that has it)."""
    return {name: merge(ga[name], preview[name]) if name in ga and name in preview and ga[name] and preview[name]
            else ga.get(name) or preview[name] for name in sorted(set(ga) | set(preview))}


def main() -> None:  # pragma: no cover - a developer's tool
    if sys.argv[1:2] == ["--merge-generic"]:  # GA.json PREVIEW.json OUT.json: GA's shapes, preview's for the rest
        ga_doc = json.loads(Path(sys.argv[2]).read_text())
        preview_doc = json.loads(Path(sys.argv[3]).read_text())
        document = {"generated_by": "python -m harness.contract.sdk_shapes --merge-generic GA.json PREVIEW.json OUT",
                    "sdk": ga_doc["sdk"], "preview_sdk": preview_doc["sdk"],
                    "shapes": _merged(ga_doc["shapes"], preview_doc["shapes"]),
                    "classes": _merged(ga_doc["classes"], preview_doc["classes"])}
        write_json(Path(sys.argv[4]), document)
        return
    if sys.argv[1:2] == ["--export-generic"]:  # the shapes of the objects the generic surface answers with
        from emulator.resources import generic
        from harness.contract.sdk_models import model_class

        names = sorted({e.object for e in generic.catalogue().values() if e.object})
        classes: dict[str, Any] = {}
        shapes = {name: shape(cls, 0, classes) for name in names if (cls := model_class(name)) is not None}
        document = {"generated_by": "python -m harness.contract.sdk_shapes --export-generic OUT.json",
                    "sdk": stripe.VERSION, "shapes": shapes, "classes": classes}
        write_json(Path(sys.argv[2]), document)
        return
    if sys.argv[1:2] == ["--export"]:
        json.dump({"sdk": stripe.VERSION, "shapes": {name: shape(_class(*where)) for name, where in ROOTS.items()}},
                  sys.stdout, sort_keys=True)
        return
    ga_path, preview_path, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    ga, preview = json.loads(ga_path.read_text()), json.loads(preview_path.read_text())
    document = {"generated_by": "python -m harness.contract.sdk_shapes GA.json PREVIEW.json OUT.json (each of the "
                                "first two from --export under that SDK)",
                "ga_sdk": ga["sdk"], "preview_sdk": preview["sdk"],
                "shapes": {name: merge(ga["shapes"][name], preview["shapes"][name]) for name in ROOTS}}
    write_json(out, document)


if __name__ == "__main__":  # pragma: no cover
    main()
