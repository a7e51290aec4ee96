"""Stripe's OpenAPI 3.0 component schemas as JSON Schema (Draft 2020-12), validated through a `referencing`
registry.

Conversion: `nullable: true` becomes `anyOf [..., {"type": "null"}]`; `x-*` keys are dropped (a stub
`{"type": "object", "x-stub": true}` becomes "any object"); `#/components/schemas/X` refs point at registry
resources; the non-standard `unix-time` format is registered. The *strict* overlay adds
`additionalProperties: false` to every object schema that lists its properties (and does not already allow
extras), so a field Stripe does not have — or a preview field in a GA response — fails. The *lenient* variant
(no `required` lists, no strict overlay) is for API versions older than the schemas: they lack fields added
since and may carry fields renamed since (`filters.countries`), so only the types of what is there are checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

BASE_URI = "https://stripe-fc-emulator.invalid/openapi"
FLAVORS = ("ga", "preview")


def data_dir() -> Path:
    """The schemas: inside the installed wheel (`harness/_openapi`), or `fixtures/openapi` in a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "_openapi"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "fixtures" / "openapi"


@cache
def load(flavor: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((data_dir() / f"{flavor}.components.json").read_text(encoding="utf-8"))
    return document


def convert(node: Any, flavor: str, *, strict: bool, required: bool) -> Any:
    """One OpenAPI 3.0 schema node -> JSON Schema."""
    if isinstance(node, list):
        return [convert(item, flavor, strict=strict, required=required) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in {"nullable", "description", "title", "example"}:
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
            out[key] = f"{BASE_URI}/{flavor}/{value.rsplit('/', 1)[1]}"
        elif key == "required" and not required:
            continue
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: convert(sub, flavor, strict=strict, required=required) for name, sub in value.items()}
        else:
            out[key] = convert(value, flavor, strict=strict, required=required)
    if strict and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def registry(flavor: str, strict: bool, required: bool) -> Registry:
    resources = [
        (
            f"{BASE_URI}/{flavor}/{name}",
            DRAFT202012.create_resource(convert(schema, flavor, strict=strict, required=required)),
        )
        for name, schema in load(flavor)["schemas"].items()
    ]
    return Registry().with_resources(resources)


def _is_unix_time(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


FORMATS = FormatChecker()
FORMATS.checks("unix-time")(_is_unix_time)


@dataclass(frozen=True)
class SchemaError:
    path: str
    message: str
    schema: Any
    value: Any


@dataclass(frozen=True)
class SchemaSet:
    """The components of one flavor (`ga` or `preview`): strict for current versions, lenient for older ones."""

    flavor: str
    current: bool = True

    def has(self, component: str) -> bool:
        return component in load(self.flavor)["schemas"]

    def properties(self, component: str) -> list[str]:
        return sorted(load(self.flavor)["schemas"].get(component, {}).get("properties", {}))

    def is_stub(self, component: str) -> bool:
        return bool(load(self.flavor)["schemas"].get(component, {}).get("x-stub"))

    def validator(self, component: str) -> Draft202012Validator:
        return _validator(self.flavor, self.current, component)

    def errors(self, component: str, value: Any) -> list[SchemaError]:
        found = sorted(self.validator(component).iter_errors(value), key=lambda e: list(e.absolute_path))
        return [
            SchemaError(path=error.json_path, message=error.message, schema=_trim(error.schema), value=error.instance)
            for error in found
        ]


@cache
def _validator(flavor: str, current: bool, component: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{BASE_URI}/{flavor}/{component}"},
        registry=registry(flavor, current, current),
        format_checker=FORMATS,
    )


def _trim(schema: Any, limit: int = 600) -> Any:
    """A schema fragment short enough to read in a failure message."""
    text = json.dumps(schema, sort_keys=True)
    if len(text) <= limit:
        return schema
    if isinstance(schema, dict):
        shown = {k: v for k, v in schema.items() if k in {"type", "enum", "required", "anyOf", "$ref", "format"}}
        if "properties" in schema:
            shown["properties"] = sorted(schema["properties"])
        return shown
    return text[:limit] + "…"
