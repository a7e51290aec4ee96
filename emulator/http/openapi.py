"""The emulator's own OpenAPI 3.0 document, generated from the route table and the parameter specs the endpoints
validate with — one source of truth, so the document cannot drift from what the emulator accepts.

It describes one API version (the `version` asked for, default the server's): parameters that version does not
have are left out, its required parameters are required, version-gated enum values appear only where they exist,
and preview-only endpoints only in preview versions. Requests are form-encoded with Stripe's `deepObject` style,
as in Stripe's own OpenAPI document. Successful responses are declared as Stripe objects (`object`, and `id` where
the object has one); their fields are checked against Stripe's published schemas by the harness's contract
checker. Every error response is declared in full: Stripe's error shape.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import __version__
from emulator.core.spec import (
    Array,
    Boolean,
    Choice,
    Context,
    Decimal,
    Email,
    Hash,
    Integer,
    MapOf,
    Metadata,
    Range,
    Spec,
    String,
    StringOrHash,
)
from emulator.core.versions import ApiVersion
from emulator.http.pipeline import Endpoint
from emulator.http.routes import API
from emulator.resources.request_params import OneOf, Unemulated

ERROR_TYPES = ["api_error", "card_error", "idempotency_error", "invalid_request_error"]
PATH_PARAM = re.compile(r"{(\w+)}")


def schema_of(spec: Spec, ctx: Context) -> dict[str, Any]:
    """The JSON Schema (OpenAPI 3.0 dialect) of the values `spec` accepts for the version of `ctx`."""
    schema = _schema(spec, ctx)
    if getattr(spec, "unsettable", False):  # Stripe's `""` that clears a value
        # an empty hash or array is written as `""` too (form encoding has no other way to send one), so where
        # `""` is allowed an empty one is as well
        schema = {key: value for key, value in schema.items() if key not in ("minProperties", "minItems")}
        return {"anyOf": [schema, {"type": "string", "enum": [""]}]}
    return schema


def _schema(spec: Spec, ctx: Context) -> dict[str, Any]:
    # `""` means "unset" on the wire: refused unless the field is unsettable (then `schema_of` adds it back)
    if isinstance(spec, Email):
        return {"type": "string", "format": "email", "minLength": 1, "maxLength": spec.max_length}
    if isinstance(spec, String):
        return {"type": "string", "minLength": 1, "maxLength": spec.max_length}
    if isinstance(spec, Integer):
        schema: dict[str, Any] = {"type": "integer"}
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
        return schema
    if isinstance(spec, Decimal):
        return {"type": "string", "format": "decimal"}
    if isinstance(spec, Boolean):
        return {"type": "boolean"}
    if isinstance(spec, Choice):
        return {"type": "string", "enum": list(spec.allowed(ctx))}
    # an empty hash or array cannot be written in form encoding (it sends nothing), hence minProperties/minItems
    if isinstance(spec, Array):  # a single bare value counts as a one-item array (`expand=customer`, as Stripe)
        item = schema_of(spec.item, ctx)
        schema = {"type": "array", "items": item, "minItems": 1}
        if spec.max_items is not None:
            schema["maxItems"] = spec.max_items
        return schema if isinstance(spec.item, (Hash, Metadata, Array)) else {"anyOf": [schema, item]}
    if isinstance(spec, Hash):
        return {**hash_schema(spec, ctx), "minProperties": 1}
    if isinstance(spec, Metadata):
        # keys: 1-40 characters, no brackets (they would be read as nesting on the wire)
        return {"type": "object", "minProperties": 1, "maxProperties": spec.max_keys,
                "propertyNames": {"pattern": f"^[^\\[\\]]{{1,{spec.max_key_length}}}$"},
                "additionalProperties": {"type": "string", "maxLength": spec.max_value_length}}
    if isinstance(spec, MapOf):
        return {"type": "object", "minProperties": 1, "propertyNames": {"pattern": "^[^\\[\\]]+$"},
                "additionalProperties": schema_of(spec.value, ctx)}
    if isinstance(spec, StringOrHash):
        return {"anyOf": [schema_of(spec.string, ctx), schema_of(spec.hash, ctx)]}
    if isinstance(spec, Range):
        bounds = {op: {"type": "integer"} for op in ("gt", "gte", "lt", "lte")}
        return {"anyOf": [{"type": "integer"},
                          {"type": "object", "properties": bounds, "additionalProperties": False}]}
    if isinstance(spec, OneOf):
        return {"anyOf": [schema_of(option, ctx) for option in spec.options]}
    raise TypeError(f"no schema for {type(spec).__name__}")  # pragma: no cover - every spec class is above


def hash_schema(spec: Hash, ctx: Context) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in spec.fields.items():
        if not field.exists(ctx):
            continue
        rejected = field.rejected
        if rejected is not None and rejected.feature.gate.enabled(ctx.version):
            continue  # refused in this version with a dedicated error: not part of its API
        if isinstance(field.spec, Unemulated):
            continue  # a payment method type the emulator does not emulate: refused, not part of its API
        properties[name] = schema_of(field.spec, ctx)
        if field.is_required(ctx):
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _operation(endpoint: Endpoint, ctx: Context) -> dict[str, Any]:
    body = hash_schema(endpoint.spec, ctx)
    path_names = PATH_PARAM.findall(endpoint.path)
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 5000}}
        for name in path_names]
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.method}{endpoint.path}",
        "responses": {
            "200": {"description": "The object, or a list of objects.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/stripe_object"}}}},
            "default": {"description": "A Stripe error.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}},
        },
    }
    if endpoint.method == "POST":
        operation["requestBody"] = {"required": bool(body.get("required")), "content": {
            "application/x-www-form-urlencoded": {
                "schema": body,
                "encoding": {name: {"style": "deepObject", "explode": True} for name, prop in
                             body["properties"].items() if _structured(prop)},
            }}}
    else:
        for name, prop in body["properties"].items():
            parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in body.get("required", []),
                                         "schema": prop}
            if _structured(prop):
                parameter.update(style="deepObject", explode=True)
            parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    return operation


def _structured(schema: dict[str, Any]) -> bool:
    kinds = [schema.get("type")] + [option.get("type") for option in schema.get("anyOf", [])]
    return "object" in kinds or "array" in kinds


def document(version: ApiVersion) -> dict[str, Any]:
    ctx = Context(version)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in API:
        if endpoint.feature is not None and not endpoint.feature.gate.enabled(version):
            continue
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, ctx)
    return {
        "openapi": "3.0.3",
        "info": {"title": "stripe-fc-emulator", "version": __version__,
                 "description": f"The Stripe API as this emulator serves it for Stripe-Version {version}."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "stripe_object": {"type": "object", "required": ["object"],
                                  "properties": {"object": {"type": "string"}, "id": {"type": "string"}}},
                "error": {
                    "type": "object", "required": ["error"], "additionalProperties": False,
                    "properties": {"error": {
                        "type": "object", "required": ["type", "message"],
                        "properties": {
                            "type": {"type": "string", "enum": ERROR_TYPES},
                            "message": {"type": "string"},
                            "code": {"type": "string"},
                            "param": {"type": "string"},
                            "doc_url": {"type": "string"},
                            "request_log_url": {"type": "string"},
                            "decline_code": {"type": "string"},
                        },
                    }},
                },
            },
        },
        "x-stripe-version": str(version),
    }
