"""Check one HTTP exchange with the emulator against both oracles, and keep fidelity statistics.

Objects are checked by their `object` value (`deleted: true` objects against `deleted_<type>`), lists item by item,
error bodies against `error` (plus the `doc_url` rule), and an event's `data.object` against its resource in the
event's own `api_version`. Responses to a preview `Stripe-Version` use the preview schemas, others GA; versions
older than the schemas (or than the installed SDK) are checked leniently: types of the fields present, no
unknown/missing-field checks, since fields are added and renamed across versions.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.core.errors import StripeError
from emulator.core.versions import NEWEST_GA, ApiVersion, parse
from harness.contract.openapi import SchemaSet, load
from harness.contract.sdk_models import ModelChecker, declared_fields, error_class, judges, model_class

DOC_URL = "https://docs.stripe.com/error-codes/"
_NOT_EXTRACTED = frozenset({"financial_connections.transaction", "deleted_bank_account", "webhook_endpoint",
                            "deleted_webhook_endpoint", "charge", "dispute", "refund", "payout", "balance",
                            "deleted_account"})
SDK_ONLY = {
    "ga": _NOT_EXTRACTED,
    "preview": _NOT_EXTRACTED | {"financial_connections.account_inferred_balance"},
}
"""Object types the extracted OpenAPI data lacks: the SDK oracle alone checks them."""
CHANGELOG_ERROR_CODES = frozenset({"payment_method_types_no_longer_supported"})
"""Error codes Stripe's changelog documents (2026-08-26.preview / 2026-09-30.endive) that the extracted schemas'
`api_errors.code` enum predates; any other code must be in the enum."""
SEARCH_KEYS = {"object", "data", "has_more", "next_page", "url"}
LIST_KEYS = {"object", "data", "has_more", "url"}
ERROR_OBJECTS = ("payment_intent", "payment_method", "setup_intent", "source")
"""Fields of Stripe's error object that hold whole objects."""


@dataclass(frozen=True)
class Violation:
    oracle: str
    request: str
    stripe_version: str
    object_type: str
    path: str
    message: str
    expected: Any
    value: Any

    def render(self) -> str:
        expected = json.dumps(self.expected, sort_keys=True, default=str)
        if len(expected) > 600:
            expected = expected[:600] + "…"
        message = self.message if len(self.message) <= 300 else self.message[:300] + "…"
        value = json.dumps(self.value, sort_keys=True, default=str)
        if len(value) > 400:
            value = value[:400] + "…"
        return (
            f"[{self.oracle}] {self.request} (Stripe-Version {self.stripe_version}) {self.object_type} at {self.path}: "
            f"{message}\n    expected: {expected}\n    value:    {value}"
        )


@dataclass
class TypeStats:
    checked: int = 0
    sdk_checked: int = 0
    violations: int = 0
    populated: set[str] = field(default_factory=set)
    defined: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {"checked": self.checked, "sdk_checked": self.sdk_checked, "violations": self.violations,
                "populated": sorted(self.populated),
                "defined": sorted(self.defined)}


def _schema_date(flavor: str) -> datetime.date:
    return parse(str(load(flavor)["info"]["version"])).date


class ContractChecker:
    def __init__(self) -> None:
        self.models = ModelChecker()
        self.lenient_models = ModelChecker(lenient=True)
        self.stats: dict[tuple[str, str], TypeStats] = {}
        self.responses = 0
        self._lock = threading.Lock()

    # -- entry point --------------------------------------------------------------------------------------
    def check_exchange(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> list[Violation]:
        if path.startswith("/_emulator/") or not headers.get("content-type", "").startswith("application/json"):
            return []
        request = f"{method} {path}"
        version = _version(headers.get("stripe-version"))
        try:
            payload = json.loads(body)
        except ValueError as exc:
            return [Violation("json", request, str(version), "-", "$", f"not JSON: {exc}", "JSON", body[:200])]
        with self._lock:
            self.responses += 1
            if status >= 400:
                return self._check_error(payload, request, version)
            return self.check_object(payload, request, version, "$")

    # -- objects ------------------------------------------------------------------------------------------
    def check_object(self, obj: Any, request: str, version: ApiVersion, path: str) -> list[Violation]:
        if not isinstance(obj, dict):
            return [Violation("openapi", request, str(version), "-", path, "expected an object", "object", obj)]
        object_type = str(obj.get("object"))
        if object_type == "list":
            return self._check_list(obj, request, version, path)
        if object_type == "search_result":
            return self._check_search_result(obj, request, version, path)
        flavor = "preview" if version.is_preview else "ga"
        deleted = obj.get("deleted") is True
        component = f"deleted_{object_type}" if deleted else object_type
        schemas = SchemaSet(flavor, current=version.date >= _schema_date(flavor))
        found: list[Violation] = []
        if not schemas.has(component) and (component in SDK_ONLY[flavor] or model_class(object_type) is not None):
            pass  # the SDK oracle alone checks it: not in the extraction (generic objects: `--surface all`)
        elif not schemas.has(component):
            found.append(Violation("openapi", request, str(version), object_type, path,
                                   f"Stripe's {flavor} schemas have no object type {component!r}", "a known object",
                                   object_type))
        else:
            for error in schemas.errors(component, obj):
                found.append(Violation("openapi", request, str(version), object_type, _join(path, error.path),
                                       error.message, error.schema, error.value))
        cls = model_class(object_type)
        mode = judges(version.date.isoformat(), version.is_preview) if cls is not None else None
        sdk_applies = mode is not None
        if cls is not None and mode is not None:
            models = self.models if mode == "strict" else self.lenient_models
            for model_error in models.check(cls, obj, path, deleted=deleted):
                found.append(Violation("sdk", request, str(version), object_type, model_error.path,
                                       model_error.message, model_error.declared, model_error.value))
        if object_type == "event" and isinstance(obj.get("data"), dict):
            event_version = _version(obj.get("api_version"))
            found += self.check_object(obj["data"].get("object"), request, event_version, f"{path}.data.object")
        if not deleted:
            self._count(object_type, flavor, obj, schemas, cls, len(found), sdk_applies)
        return found

    def _check_list(self, obj: dict[str, Any], request: str, version: ApiVersion, path: str) -> list[Violation]:
        found: list[Violation] = []
        keys = set(obj)
        if keys != LIST_KEYS or not isinstance(obj.get("data"), list) or not isinstance(obj.get("has_more"), bool) \
                or not str(obj.get("url", "")).startswith("/v1/"):
            found.append(Violation("openapi", request, str(version), "list", path,
                                   "a list is exactly {object, data, has_more, url}", sorted(LIST_KEYS), sorted(keys)))
        for index, item in enumerate(obj.get("data") or []):
            found += self.check_object(item, request, version, f"{path}.data[{index}]")
        return found

    def _check_search_result(self, obj: dict[str, Any], request: str, version: ApiVersion,
                             path: str) -> list[Violation]:
        """A search's page: Stripe's envelope (`object: search_result`, `data`, `has_more`, `next_page` — a cursor
        or null on the last page —, `url`, and `total_count` when expanded), its items checked as objects."""
        found: list[Violation] = []
        keys = set(obj)
        next_page = obj.get("next_page")
        if not SEARCH_KEYS <= keys <= SEARCH_KEYS | {"total_count"} or not isinstance(obj.get("data"), list) \
                or not isinstance(obj.get("has_more"), bool) or not (next_page is None or isinstance(next_page, str)) \
                or (next_page is None) == obj.get("has_more") or not str(obj.get("url", "")).endswith("/search"):
            found.append(Violation("openapi", request, str(version), "search_result", path,
                                   "a search result is {object, data, has_more, next_page (null exactly when there is "
                                   "no more), url}", sorted(SEARCH_KEYS), sorted(keys)))
        for index, item in enumerate(obj.get("data") or []):
            found += self.check_object(item, request, version, f"{path}.data[{index}]")
        return found

    def _check_error(self, payload: Any, request: str, version: ApiVersion) -> list[Violation]:
        flavor = "preview" if version.is_preview else "ga"
        nested: dict[str, Any] = {}
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            # the objects an error carries (the intent a confirmation left) are checked as objects, in this version
            nested = {k: v for k, v in payload["error"].items() if k in ERROR_OBJECTS and isinstance(v, dict)}
            payload = {**payload, "error": {k: v for k, v in payload["error"].items() if k not in nested}}
        checked = payload
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict) \
                and payload["error"].get("code") in CHANGELOG_ERROR_CODES:
            checked = {**payload, "error": {**payload["error"], "code": "parameter_unknown"}}
        found = [
            Violation("openapi", request, str(version), "error", _join("$", e.path), e.message, e.schema, e.value)
            for e in SchemaSet(flavor).errors("error", checked)
        ]
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            code = error.get("code")
            expected = None if code is None else DOC_URL + str(code).replace("_", "-")
            if error.get("doc_url") != expected:
                found.append(Violation("openapi", request, str(version), "error", "$.error.doc_url",
                                       "doc_url must be the code's page (or absent without a code)", expected,
                                       error.get("doc_url")))
            for model_error in self.models.check(error_class(), error, "$.error"):
                found.append(Violation("sdk", request, str(version), "error", model_error.path, model_error.message,
                                       model_error.declared, model_error.value))
        self._bump("error", flavor, len(found))
        for key, obj in nested.items():
            found += self.check_object(obj, request, version, f"$.error.{key}")
        return found

    # -- statistics ---------------------------------------------------------------------------------------
    def _count(self, object_type: str, flavor: str, obj: dict[str, Any], schemas: SchemaSet, cls: type | None,
               violations: int, sdk_applies: bool) -> None:
        stats = self.stats.setdefault((object_type, flavor), TypeStats())
        stats.checked += 1
        stats.sdk_checked += int(sdk_applies)
        stats.violations += violations
        stats.populated.update(key for key, value in obj.items() if value is not None)
        if not stats.defined:
            if schemas.has(object_type) and not schemas.is_stub(object_type):
                stats.defined = set(schemas.properties(object_type))
            elif cls is not None:
                stats.defined = set(declared_fields(cls))

    def _bump(self, object_type: str, flavor: str, violations: int) -> None:
        stats = self.stats.setdefault((object_type, flavor), TypeStats())
        stats.checked += 1
        stats.sdk_checked += 1  # error bodies are always checked against the SDK's ErrorObject
        stats.violations += violations

    def stats_json(self) -> dict[str, Any]:
        with self._lock:
            return {"responses": self.responses,
                    "types": {f"{t}|{f}": s.to_json() for (t, f), s in sorted(self.stats.items())}}


def _version(raw: object) -> ApiVersion:
    try:
        return parse(str(raw)) if raw else parse(NEWEST_GA)
    except StripeError:
        return parse(NEWEST_GA)


def _join(base: str, json_path: str) -> str:
    return base + json_path[1:] if json_path.startswith("$") else f"{base}.{json_path}"
