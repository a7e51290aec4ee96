"""Every other Stripe endpoint, generically (issue 21; `serve --surface all`, the default).

`generic_endpoints.json` (generated from the GA and preview stripe SDKs: `python -m harness.contract.sdk_params
--export-generic` under each, then `--merge-generic`) lists every endpoint the emulator does not emulate by hand (one
only the preview SDK has answers preview versions only): its path template, the SDK method's name, the object it
answers with, and its parameter tree (validated like every other endpoint's: unknown, missing, type and enum
errors, Stripe-shaped, naming `param`). Objects are Stripe's example objects (`fixtures3.json`, stripe/openapi's
`openapi/fixtures3.json`, unmodified; see fixtures/openapi/README.md) with the request's parameters applied where
the object has the field and the value has its type, kept per namespace:

- a parameter naming a kept object where the object embeds one of its type (`items[0][price]`) embeds it, and a list
  of hashes where the object has a list of objects (a subscription's `items`) makes that list's items (on update:
  by `id`, `deleted` removes one, no `id` adds one);
- `create` makes one (an id with the example's prefix, `created` from the namespace clock, `livemode: false`, the
  parent's id in the field named after it for nested paths such as `/v1/customers/:customer/tax_ids`);
- `retrieve`, `update` (metadata merges, `""` unsets), `delete` (`{id, object, deleted: true}`), `list` (newest
  first, paginated, filtered by parent and by its parameters: `_list_filter`) and `search` (every object of the
  type: the query is not interpreted);
- any other method on an object (`…/finalize`, `…/void`) answers the object. The rule for its state: an action
  with one obvious end state (ACTIONS: `finalize` makes an invoice `open`, `pay` makes it `paid`, `void` `void`,
  a subscription's `cancel` makes it `canceled`, a test clock's `advance` moves its `frozen_time`…) sets that
  state and emits Stripe's event for it (`invoice.finalized`, `customer.subscription.deleted`); every other action
  changes nothing. Nothing happens by itself later (no invoice is generated, no clock-driven billing);
- a method with no object in its path (`GET /v1/balance_settings`) answers the example object.

A parent that does not exist is `resource_missing`, whether it is emulated by hand (a customer) or generic.
Create, update and delete emit `<object>.created` / `.updated` / `.deleted` where Stripe has that event type (a
subscription's, a tax id's and a discount's are `customer.subscription.*`, `customer.tax_id.*`,
`customer.discount.*`, as Stripe names them).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import created_filter, page
from emulator.core.messages import EXPAND_UNEXPANDABLE
from emulator.core.snapshot import saved
from emulator.core.spec import UNSET, Field, Hash, Spec, apply_metadata, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion
from emulator.resources import shapes
from emulator.resources.request_params import build

HERE: Final = Path(__file__).resolve().parent
DATA: Final = HERE / "generic_endpoints.json"
EXAMPLES: Final = HERE / "fixtures3.json"
EVENT_TYPES: Final = HERE / "event_types.json"
SHAPES: Final = HERE / "generic_shapes.json"
TABLE: Final = "generic"
_PLACEHOLDER: Final = re.compile(r"^\{(\w+)\}$")
_PREFIXED: Final = re.compile(r"^([a-z][a-z0-9]*(?:_[a-z0-9]+)*?)_[A-Za-z0-9]{8,}$")

EVENT_PREFIXES: Final = {"subscription": "customer.subscription", "tax_id": "customer.tax_id",
                          "discount": "customer.discount"}
"""Objects whose events Stripe names otherwise than `<object>.<verb>`."""
PARAM: Final = "$"
"""An ACTIONS value starting with it takes the request's parameter of that name (`$frozen_time`)."""


@dataclass(frozen=True)
class Action:
    """What an action does to a generic object: the fields it sets (from the end state Stripe documents for it),
    and the event Stripe sends for it, if any."""

    sets: Mapping[str, Any]
    event: str | None = None


ACTIONS: Final[Mapping[tuple[str, str], Action]] = {
    ("invoice", "finalize_invoice"): Action({"status": "open"}, "invoice.finalized"),
    ("invoice", "pay"): Action({"status": "paid"}, "invoice.paid"),
    ("invoice", "void_invoice"): Action({"status": "void"}, "invoice.voided"),
    ("invoice", "mark_uncollectible"): Action({"status": "uncollectible"}, "invoice.marked_uncollectible"),
    ("invoice", "send_invoice"): Action({}, "invoice.sent"),
    ("subscription", "cancel"): Action({"status": "canceled"}, "customer.subscription.deleted"),
    ("subscription", "resume"): Action({"status": "active"}, "customer.subscription.resumed"),
    ("subscription", "pause"): Action({"status": "paused"}, "customer.subscription.paused"),
    ("subscription_schedule", "cancel"): Action({"status": "canceled"}, "subscription_schedule.canceled"),
    ("subscription_schedule", "release"): Action({"status": "released"}, "subscription_schedule.released"),
    ("quote", "accept"): Action({"status": "accepted"}, "quote.accepted"),
    ("quote", "cancel"): Action({"status": "canceled"}, "quote.canceled"),
    ("quote", "finalize_quote"): Action({"status": "open"}, "quote.finalized"),
    ("quote", "mark_draft"): Action({"status": "draft"}),
    ("quote", "mark_stale"): Action({"status": "stale"}),
    ("credit_note", "void_credit_note"): Action({"status": "void"}, "credit_note.voided"),
    ("checkout.session", "expire"): Action({"status": "expired"}, "checkout.session.expired"),
    ("billing.meter", "deactivate"): Action({"status": "inactive"}, "billing.meter.deactivated"),
    ("billing.meter", "reactivate"): Action({"status": "active"}, "billing.meter.reactivated"),
    ("billing.alert", "activate"): Action({"status": "active"}),
    ("billing.alert", "archive"): Action({"status": "archived"}),
    ("billing.alert", "deactivate"): Action({"status": "inactive"}),
    ("invoice_rendering_template", "archive"): Action({"status": "archived"}),
    ("invoice_rendering_template", "unarchive"): Action({"status": "active"}),
    ("identity.verification_session", "cancel"): Action({"status": "canceled"},
                                                        "identity.verification_session.canceled"),
    ("topup", "cancel"): Action({"status": "canceled"}, "topup.canceled"),
    ("climate.order", "cancel"): Action({"status": "canceled"}, "climate.order.canceled"),
    ("privacy.redaction_job", "cancel"): Action({"status": "canceled"}),
    ("test_helpers.test_clock", "advance"): Action({"frozen_time": "$frozen_time", "status": "ready"},
                                                   "test_helpers.test_clock.ready"),
}
"""The actions with one obvious end state (Stripe's API reference names it), by (object, SDK method)."""


def event_type(object_name: str, verb: str) -> str | None:
    """Stripe's event type for `verb` (`created`, `updated`, `deleted`) of a generic object, if it has one."""
    name = f"{EVENT_PREFIXES.get(object_name, object_name)}.{verb}"
    return name if name in _event_types() else None


Lookup = Callable[[Backend, str, str, ApiVersion], dict[str, Any] | None]
"""(backend, object type or placeholder name, id, version) -> the object the emulator keeps by hand, rendered in
that version, or None."""


@saved
@dataclass(eq=False)  # compared by identity: its renderings are kept per object (`_RENDERED`)
class GenericObject:
    id: str
    object: str
    body: dict[str, Any]
    created: int
    parent: str | None = None
    deleted: bool = False
    revision: int = 0
    """Counts the object's changes: what was rendered for an earlier revision is not used again."""


@dataclass(frozen=True)
class GenericEndpoint:
    key: str  # "POST /v1/coupons/{}"
    method: str
    template: str  # /v1/coupons/{coupon}
    name: str  # the SDK method: create, retrieve, update, delete, list, search, finalize_invoice …
    object: str | None
    kind: str  # object, list, search
    tree: Mapping[str, Any] = field(repr=False, hash=False, compare=False)
    preview: bool = False
    """Only the preview SDK has it: only preview versions are answered. (An endpoint only the GA SDK has is marked
    `"ga"` in the data; there is none with the SDKs the data comes from, and it is answered in every version.)"""

    @property
    def segments(self) -> list[str]:
        return self.template.strip("/").split("/")

    @property
    def placeholders(self) -> list[str]:
        return [m.group(1) for part in self.segments if (m := _PLACEHOLDER.match(part))]

    def spec(self) -> Hash:
        return _spec(self.key)


@cache
def catalogue() -> dict[str, GenericEndpoint]:
    with DATA.open(encoding="utf-8") as handle:
        document = json.load(handle)
    return {key: GenericEndpoint(key, key.split(" ", 1)[0], entry["template"], entry["method"], entry["object"],
                                 entry["kind"], entry["params"], bool(entry.get("preview")))
            for key, entry in document["endpoints"].items()}


Pattern = tuple[tuple[bool, str], ...]
"""A template's segments: (True, placeholder name) or (False, literal)."""


@cache
def _index() -> dict[tuple[str, int, str], list[tuple[GenericEndpoint, Pattern]]]:
    """By method, segment count and the first segment after `/v1` (`coupons`), templates with fewer placeholders
    first (`/v1/invoices/upcoming` before `/v1/invoices/{invoice}`)."""
    found: dict[tuple[str, int, str], list[tuple[GenericEndpoint, Pattern]]] = {}
    for endpoint in catalogue().values():
        segments = endpoint.segments
        pattern = tuple((m is not None, m.group(1) if m else part)
                        for part in segments for m in [_PLACEHOLDER.match(part)])
        key = (endpoint.method, len(segments), segments[1] if len(segments) > 1 else "")
        found.setdefault(key, []).append((endpoint, pattern))
    for endpoints in found.values():
        endpoints.sort(key=lambda pair: len(pair[0].placeholders))
    return found


def match(method: str, path: str) -> tuple[GenericEndpoint, dict[str, str]] | None:
    """The generic endpoint a request is for, with its path parameters."""
    parts = path.strip("/").split("/")
    for endpoint, pattern in _index().get((method, len(parts), parts[1] if len(parts) > 1 else ""), ()):
        values: dict[str, str] = {}
        for (is_placeholder, name), part in zip(pattern, parts, strict=True):
            if is_placeholder:
                if not part:
                    break
                values[name] = part
            elif name != part:
                break
        else:
            return endpoint, values
    return None


@cache
def _spec(key: str) -> Hash:
    endpoint = catalogue()[key]
    spec = build(endpoint.tree)
    assert isinstance(spec, Hash)
    return params(_required(spec, endpoint.tree))


def _required(spec: Hash, tree: Mapping[str, Any]) -> dict[str, Field]:
    """The spec's fields, required where the SDK requires them (hashes inside as well)."""
    fields: dict[str, Field] = {}
    for key, spec_field in spec.fields.items():
        node = tree.get("f", {}).get(key, {})
        inner: Spec = spec_field.spec
        if isinstance(inner, Hash) and node.get("t") == "h":
            inner = Hash(_required(inner, node), unsettable=inner.unsettable)
        fields[key] = Field(inner, required=bool(node.get("r")), feature=spec_field.feature,
                            until=spec_field.until)
    return fields


@cache
def _examples() -> Mapping[str, Any]:
    with EXAMPLES.open(encoding="utf-8") as handle:
        loaded: Mapping[str, Any] = json.load(handle)["resources"]
    return loaded


@cache
def _event_types() -> frozenset[str]:
    with EVENT_TYPES.open(encoding="utf-8") as handle:
        loaded = json.load(handle)
    return frozenset(loaded if isinstance(loaded, list) else loaded.get("types", loaded))


@cache
def _shape_data() -> Mapping[str, Any]:
    with SHAPES.open(encoding="utf-8") as handle:
        loaded: Mapping[str, Any] = json.load(handle)
    return loaded


def _shapes() -> Mapping[str, Any]:
    found: Mapping[str, Any] = _shape_data()["shapes"]
    return found


def _shaped(object_name: str, body: dict[str, Any], version: ApiVersion | None = None) -> dict[str, Any]:
    """The object in the shape the SDK's models declare for its type (where the data has one): for `version` (the
    fields of its kind, GA or preview), or, without one, with the fields of both (what is kept)."""
    shape = _shapes().get(object_name)
    if shape is None:
        return body
    fitted = shapes.fit(shape, body, _shape_data()["classes"], None if version is None else version.is_preview)
    if fitted.get("deleted") is None:
        fitted.pop("deleted", None)  # a field only deleted objects have
    for key, value in fitted.items():
        if _is_item_list(value):  # a list of objects (a subscription's items): each in its own type's shape
            fitted[key] = {**value, "data": [_shaped(str(item["object"]), item, version) for item in value["data"]]}
    return fitted


def table(backend: Backend) -> Table[GenericObject]:
    return backend.store.table(TABLE)


def example(object_name: str) -> dict[str, Any]:
    found = _examples().get(object_name)
    return copy.deepcopy(found) if isinstance(found, dict) else {"id": None, "object": object_name}


def _new_id(backend: Backend, object_name: str) -> str:
    known = _examples().get(object_name, {}).get("id") if isinstance(_examples().get(object_name), dict) else None
    prefixed = _PREFIXED.match(known) if isinstance(known, str) else None
    if prefixed is not None:
        return backend.ids.new(prefixed.group(1))
    return backend.ids.token(14)


@dataclass(frozen=True)
class Links:
    """What `_apply` needs of the namespace to apply a list of items or an id: the stored object an id names (as
    kept), and a new id with a prefix."""

    stored: Callable[[str], dict[str, Any] | None]
    new_id: Callable[[str], str]
    example: Mapping[str, Any] | None = None
    """Stripe's example of the object being changed: its lists' first items are the templates of new items."""


def _links(backend: Backend, example_body: Mapping[str, Any] | None) -> Links:
    def stored(object_id: str) -> dict[str, Any] | None:
        found = table(backend).get(object_id)
        return None if found is None or found.deleted else copy.deepcopy(found.body)

    return Links(stored, backend.ids.new, example_body)


def _apply(body: dict[str, Any], values: Mapping[str, Any], now: int | None = None, links: Links | None = None,
           merge: bool = False, prefix: str = "") -> None:
    """The parameters the object has a field for, where the value has the field's type (metadata merges; `now`
    for a timestamp field, as Stripe takes it for `trial_end` and `billing_cycle_anchor`, is the namespace's now).
    With `links`: an id where the object embeds an object of that type (`items[0][price]=price_…` in a
    subscription item's `price`) embeds the stored object, and a list of hashes where the object has a list of
    objects (a subscription's `items`) makes the list's items, one per entry, from the list's first as a template
    (`merge`, on update: an entry with an `id` changes that item, or removes it with `deleted`; one without is a
    new item). An id where the object embeds a type made here that names none is `resource_missing`."""
    for key, value in values.items():
        if key in ("expand", "id", "object") or key not in body:
            continue
        param = f"{prefix}[{key}]" if prefix else key
        current = body[key]
        if value == "now" and now is not None and isinstance(current, int) and not isinstance(current, bool):
            value = now
        if key == "metadata":
            body[key] = apply_metadata(current if isinstance(current, dict) else {}, value)
        elif value is UNSET:
            body[key] = None
        elif links is not None and _is_item_list(current) and isinstance(value, list) \
                and all(isinstance(entry, dict) for entry in value):
            body[key] = _items(param, current, value, now, links, merge)
        elif links is not None and isinstance(value, str) and isinstance(current, dict) and "object" in current:
            found = links.stored(value)
            if found is not None and found.get("object") == current["object"]:
                body[key] = found
            elif current["object"] in _made_here():
                raise ResourceMissingError(str(current["object"]), value, param=param)
        elif isinstance(value, dict) and (current is None or isinstance(current, dict)):
            merged = dict(current or {})
            _apply_all(merged, value)
            body[key] = merged  # the type's shape keeps what the object has a field for
        elif isinstance(value, (str, int, float, bool)) and (current is None or type(current) is type(value)
                                                             or (type(current), type(value)) == (float, int)):
            body[key] = value


@cache
def _made_here() -> frozenset[str]:
    """The types a generic `create` makes (a price, a plan, a coupon): an id of one names an object kept here."""
    return frozenset(e.object for e in catalogue().values()
                     if e.name == "create" and e.object is not None and not e.segments[-1].startswith("{"))


def _is_item_list(value: Any) -> bool:
    """A list object whose items are objects (`{"object": "list", "data": [{"id": …, "object": …}, …]}`)."""
    return (isinstance(value, dict) and value.get("object") == "list" and isinstance(value.get("data"), list)
            and bool(value["data"]) and all(isinstance(item, dict) and "object" in item for item in value["data"]))


def _items(param: str, current: dict[str, Any], entries: list[dict[str, Any]], now: int | None, links: Links,
           merge: bool) -> dict[str, Any]:
    kept: list[dict[str, Any]] = list(current["data"]) if merge else []
    given = (links.example or {}).get(param)
    template = given["data"][0] if isinstance(given, dict) and _is_item_list(given) else current["data"][0]
    inner = Links(links.stored, links.new_id)
    for index, entry in enumerate(entries):
        named = entry.get("id")
        if merge and isinstance(named, str):
            at = next((i for i, item in enumerate(kept) if item.get("id") == named), None)
            if at is None:
                raise ResourceMissingError(str(template["object"]), named, param=f"{param}[{index}][id]")
            if entry.get("deleted") is True:
                del kept[at]
                continue
            item = copy.deepcopy(kept[at])
            _apply(item, {k: v for k, v in entry.items() if k != "id"}, now, inner, prefix=f"{param}[{index}]")
            kept[at] = item
            continue
        item = copy.deepcopy(template)
        prefixed = _PREFIXED.match(str(item.get("id") or ""))
        if prefixed is not None:
            item["id"] = links.new_id(prefixed.group(1))
        if "created" in item and now is not None:
            item["created"] = now
        if "metadata" in item:
            item["metadata"] = {}
        _apply(item, {k: v for k, v in entry.items() if k != "id"}, now, inner, prefix=f"{param}[{index}]")
        kept.append(item)
    listed = dict(current)
    listed["data"] = kept
    if "total_count" in listed:
        listed["total_count"] = len(kept)
    return listed


@saved
def _as_sent(body: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    """An event's object: the generic object as it was, as the event's version sees it (kept as data for
    snapshots)."""
    return _shaped(str(body.get("object")), body, version)


def _apply_all(body: dict[str, Any], values: Mapping[str, Any]) -> None:
    """Inside a hash parameter: every key (the shape drops what the object's field does not declare)."""
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(body.get(key), dict):
            _apply_all(body[key], value)
        elif isinstance(value, (dict, str, int, float, bool)):
            body[key] = dict(value) if isinstance(value, dict) else value
        elif value is UNSET:
            body[key] = None


_RENDERED: weakref.WeakKeyDictionary[GenericObject, dict[tuple[int, bool], dict[str, Any]]] = (
    weakref.WeakKeyDictionary())
"""An object's renderings, by revision and kind of version (a retrieve of an unchanged object answers the one made
before); they go with the object."""


def _render(obj: GenericObject, version: ApiVersion | None = None) -> dict[str, Any]:
    """The object as a version sees it (the fields its kind of SDK declares). Callers must not change it."""
    if version is None:
        return copy.deepcopy(obj.body)
    kept = _RENDERED.setdefault(obj, {})
    key = (obj.revision, version.is_preview)
    found = kept.get(key)
    if found is None:
        for stale in [k for k in kept if k[0] != obj.revision]:  # an earlier revision's are of no more use
            del kept[stale]
        found = kept[key] = _shaped(obj.object, obj.body, version)
    return found


def _find(backend: Backend, object_name: str | None, object_id: str, param: str) -> GenericObject:
    found = table(backend).get(object_id)
    if found is None or found.deleted or (object_name is not None and found.object != object_name):
        raise ResourceMissingError(object_name or "object", object_id, param=param)
    return found


def find_rendered(backend: Backend, object_name: str, object_id: str, param: str,
                  version: ApiVersion) -> dict[str, Any]:
    """A generic object as `version` sees it (a copy), or `resource_missing` naming `param` (for a hand-written
    resource that refers to one: a customer's coupon)."""
    return copy.deepcopy(_render(_find(backend, object_name, object_id, param), version))


def handle(backend: Backend, call: Call, values: dict[str, Any], endpoint: GenericEndpoint,
           path_params: Mapping[str, str], lookup: Lookup) -> dict[str, Any]:
    """Answer one generic request (under the namespace lock, like every handler), `expand[]` included: a field that
    holds the id of an object kept here (generic, or by hand) is replaced by it."""
    paths = values.pop("expand", None) or []  # expanded here, not by the pipeline (which knows no generic types)
    for path in paths:  # refused before anything happens, as Stripe refuses it
        _check_expandable(endpoint, path)
    answer = _answer(backend, call, values, endpoint, path_params, lookup)
    if paths:
        answer = copy.deepcopy(answer)  # a rendering is shared: expand a copy
    for path in paths:
        _expand(backend, answer, path.split("."), lookup, path, call.version)
    return answer


EXPANDING: Final = frozenset({"x", "o", "l"})
"""Kinds of a shape's field an expansion can start at: an id or its object, an object, a list."""


def _check_expandable(endpoint: GenericEndpoint, path: str) -> None:
    """`expand[]=path` starts at a field of the answer's type that holds an id or an object (or, for a list, at
    `data`), else Stripe's 400 — told from the type, before anything happens."""
    segments = path.split(".")
    if endpoint.kind in ("list", "search"):
        if segments[0] != "data":
            raise InvalidRequestError(EXPAND_UNEXPANDABLE.format(field=path), param="expand")
        segments = segments[1:]
    shape = _shapes().get(endpoint.object or "")
    if shape is None or not segments:
        return
    node = shape["f"].get(segments[0])
    if node is None or node.get("t") not in EXPANDING:
        raise InvalidRequestError(EXPAND_UNEXPANDABLE.format(field=path), param="expand")


def _expand(backend: Backend, obj: Any, segments: list[str], lookup: Lookup, path: str,
            version: ApiVersion | None = None) -> None:
    """Expand `segments` in `obj`. An id that names no object kept here (one an example object of Stripe's names)
    stays an id, and a null field null: what the path goes on to name is not there to expand."""
    if not segments or not isinstance(obj, dict):
        return
    if obj.get("object") in ("list", "search_result") and segments[0] == "data":
        for item in obj.get("data", []):
            _expand(backend, item, segments[1:], lookup, path, version)
        return
    head, rest = segments[0], segments[1:]
    value = obj.get(head)
    if isinstance(value, str):
        found = table(backend).get(value)
        expanded = (_render(found, version) if found is not None and not found.deleted
                    else lookup(backend, head, value, version) if version is not None else None)
        if expanded is None:
            return
        obj[head] = value = expanded
    if value is None or isinstance(value, dict):  # a null field expands to null, as Stripe's
        if rest and value is not None:
            _expand(backend, value, rest, lookup, path, version)
        return
    raise InvalidRequestError(EXPAND_UNEXPANDABLE.format(field=path), param="expand")


def _answer(backend: Backend, call: Call, values: dict[str, Any], endpoint: GenericEndpoint,
            path_params: Mapping[str, str], lookup: Lookup) -> dict[str, Any]:
    names = endpoint.placeholders
    last_is_object = endpoint.segments[-1].startswith("{")
    parent_names = names[:-1] if last_is_object else names
    parent = _check_parents(backend, parent_names, path_params, lookup, call.version)
    object_name = endpoint.object
    url = "/" + "/".join(path_params.get(m.group(1), part) if (m := _PLACEHOLDER.match(part)) else part
                         for part in endpoint.segments)
    if endpoint.kind in ("list", "search"):
        wanted = _list_filter(object_name, values)
        found = page(table(backend), values, url=url, noun=object_name or "object",
                     render=lambda o: _render(o, call.version),
                     where=lambda o: not o.deleted and o.object == object_name
                     and (parent is None or o.parent == parent) and wanted(o.body))
        if endpoint.kind == "search":
            return {"object": "search_result", "data": found["data"], "has_more": found["has_more"],
                    "next_page": None, "url": url}
        return found
    if object_name is None:
        return {"object": "unknown"}
    if endpoint.name == "create" and not last_is_object:
        return _create(backend, call, values, object_name, parent, parent_names)
    if not last_is_object and names:  # an action on an object (`/v1/invoices/:invoice/finalize`): the object
        acted_on = table(backend).get(path_params[names[-1]])
        if acted_on is not None and not acted_on.deleted and acted_on.object == object_name:
            _act(backend, call, acted_on, ACTIONS.get((object_name, endpoint.name)), values)
            return _render(acted_on, call.version)
        by_hand = lookup(backend, names[-1], path_params[names[-1]], call.version)
        if by_hand is not None and by_hand.get("object") == object_name:
            return by_hand  # kept by hand (`/v1/payment_intents/:intent/capture`): as it is
    if not last_is_object:  # a singleton or an action with no object of its own: the example object
        body = example(object_name)
        if "livemode" in body:
            body["livemode"] = False
        _apply(body, values)
        return _shaped(object_name, body, call.version)
    object_id = path_params[names[-1]]
    obj = _find(backend, object_name, object_id, names[-1])
    if endpoint.method == "DELETE" and (object_name, endpoint.name) in ACTIONS:  # cancelling a subscription
        _act(backend, call, obj, ACTIONS[(object_name, endpoint.name)], values)
        return _render(obj, call.version)
    if endpoint.name in ("delete", "del") and endpoint.method == "DELETE":
        obj.deleted = True
        shape = _shapes().get(object_name)
        if shape is not None and "deleted" not in shape["f"]:
            return _render(obj, call.version)  # a type with no deleted form (an ephemeral key): itself, as Stripe
        deleted = event_type(object_name, "deleted")
        if deleted is not None:
            frozen = copy.deepcopy(obj.body)
            emit(backend, call, deleted, functools.partial(_as_sent, frozen))
        return {"id": obj.id, "object": object_name, "deleted": True}
    if endpoint.name == "update" and endpoint.method == "POST":
        before = copy.deepcopy(obj.body)
        changing = copy.deepcopy(obj.body)  # a refused parameter leaves the object as it was
        template = example(object_name)
        _apply(changing, values, backend.clock.timestamp(), _links(backend, template), merge=True)
        _relink(changing, template.get("id"), obj.id, obj.parent)  # new items made from the example's
        obj.body = _shaped(object_name, changing)
        obj.revision += 1
        changed = {key: before[key] for key in before if before[key] != obj.body.get(key)}
        updated = event_type(object_name, "updated")
        if changed and updated is not None:
            frozen = copy.deepcopy(obj.body)
            emit(backend, call, updated, functools.partial(_as_sent, frozen), previous_attributes=changed)
    return _render(obj, call.version)


def _act(backend: Backend, call: Call, obj: GenericObject, action: Action | None, values: Mapping[str, Any]) -> None:
    """An action's end state (ACTIONS) on the object, with Stripe's event for it; nothing for other actions."""
    if action is None:
        return
    before = copy.deepcopy(obj.body)
    for key, value in action.sets.items():
        if isinstance(value, str) and value.startswith(PARAM):
            if value[1:] not in values:
                continue
            value = values[value[1:]]
        if key in obj.body:
            obj.body[key] = value
    obj.revision += 1
    changed = {key: before[key] for key in before if before[key] != obj.body.get(key)}
    frozen = copy.deepcopy(obj.body)
    if action.event is not None and action.event in _event_types():
        emit(backend, call, action.event, functools.partial(_as_sent, frozen),
             previous_attributes=changed or None)


PAGING: Final = frozenset({"limit", "starting_after", "ending_before", "expand"})
RANGE: Final = frozenset({"gt", "gte", "lt", "lte"})
LIST_DEFAULTS: Final = {"subscription": ("status", "canceled")}
"""A list's documented default exclusion: subscriptions that have been canceled are listed only with a `status`
(`all` included) — https://docs.stripe.com/api/subscriptions/list."""


def _list_filter(object_name: str | None, values: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """A list's filters as a predicate on an object's body: a value equals the field of its name (an embedded or
    expanded object by its id; `status=all` is no filter), a range (`created[gte]=…`) bounds a timestamp field, a
    list (`ids[]`, `lookup_keys[]`) holds the object's `id` / `lookup_key`. A filter naming a field the object does
    not have looks in its lists of items (a subscription's `price`, `plan`); one it has nowhere filters nothing."""
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for key, value in values.items():
        if key in PAGING or (key == "status" and value == "all"):
            continue
        if isinstance(value, (str, int, bool)):
            checks.append(functools.partial(_has, key, value))
        elif isinstance(value, dict) and value and set(value) <= RANGE and all(
                isinstance(bound, int) for bound in value.values()):
            checks.append(functools.partial(_within, key, created_filter(value)))
        elif isinstance(value, list) and key in ("ids", "lookup_keys"):
            checks.append(functools.partial(_among, "id" if key == "ids" else "lookup_key", frozenset(value)))
    default = LIST_DEFAULTS.get(object_name or "")
    if default is not None and default[0] not in values:
        checks.append(functools.partial(_not, default[0], default[1]))
    return lambda body: all(check(body) for check in checks)


def _within(key: str, within: Callable[[int], bool], body: Mapping[str, Any]) -> bool:
    found = body.get(key)
    return not isinstance(found, int) or within(found)


def _among(key: str, allowed: frozenset[Any], body: Mapping[str, Any]) -> bool:
    return body.get(key) in allowed


def _not(key: str, excluded: Any, body: Mapping[str, Any]) -> bool:
    return bool(body.get(key) != excluded)


def _has(key: str, value: Any, body: Mapping[str, Any]) -> bool:
    if key in body:
        return bool(_id_of(body[key]) == value)
    lists = [field for field in body.values() if _is_item_list(field)]
    if not lists:
        return True  # a filter on what the object does not show (a checkout session's `payment_link`)
    return any(key in item and _id_of(item[key]) == value for field in lists for item in field["data"])


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _check_parents(backend: Backend, names: list[str], path_params: Mapping[str, str], lookup: Lookup,
                   version: ApiVersion) -> str | None:
    """Each parent in the path exists (by hand or generically); the innermost one's id."""
    parent: str | None = None
    for name in names:
        value = path_params[name]
        if lookup(backend, name, value, version) is None:
            found = table(backend).get(value)
            if found is None or found.deleted:
                raise ResourceMissingError(name, value, param=name)
        parent = value
    return parent


def _relink(value: Any, example_id: Any, new_id: str, parent: str | None) -> None:
    """The example's own id, and ids of the parent's type (`cus_…` inside a customer's tax id's `owner`), become the
    new object's and its parent's, wherever the example repeats them."""
    prefix = parent.split("_", 1)[0] + "_" if parent is not None and "_" in parent else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in list(items):
        if isinstance(inner, str) and inner == example_id:
            value[key] = new_id
        elif isinstance(inner, str) and prefix is not None and inner.startswith(prefix) and key != "id":
            value[key] = parent
        elif isinstance(inner, (dict, list)):
            _relink(inner, example_id, new_id, parent)


def _create(backend: Backend, call: Call, values: dict[str, Any], object_name: str, parent: str | None,
            parent_names: list[str]) -> dict[str, Any]:
    template = example(object_name)
    body = _shaped(object_name, template)
    if "id" in body or object_name not in _shapes():
        body["id"] = _new_id(backend, object_name)
    _relink(body, template.get("id"), str(body.get("id") or ""), parent)
    if "object" in body or object_name not in _shapes():
        body["object"] = object_name
    created = backend.clock.timestamp()
    if "created" in body:
        body["created"] = created
    if "livemode" in body:
        body["livemode"] = False
    if "metadata" in body:
        body["metadata"] = {}
    if parent is not None and parent_names and parent_names[-1] in body:
        body[parent_names[-1]] = parent
    _apply(body, values, created, _links(backend, template))
    _relink(body, template.get("id"), str(body.get("id") or ""), parent)  # in the items made from the example's
    body = _shaped(object_name, body)  # a parameter named like a field of another type does not change its type
    obj = GenericObject(id=body.get("id") or _new_id(backend, object_name), object=object_name, body=body,
                        created=created, parent=parent)
    table(backend).put(obj.id, obj)
    created_event = event_type(object_name, "created")
    if created_event is not None:
        frozen = copy.deepcopy(body)
        emit(backend, call, created_event, functools.partial(_as_sent, frozen))
    return _render(obj, call.version)


declare(TABLE, GenericObject)
