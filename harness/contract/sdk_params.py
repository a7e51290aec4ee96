"""Every request parameter the installed stripe SDK can send, read from its parameter TypedDicts.

The SDK's services (`stripe/_customer_service.py`, `stripe/financial_connections/_session_service.py`, …) name, for
each method, the HTTP method and path template it requests and the TypedDict its `params` take. Walking those
TypedDicts gives every form path the SDK can produce (`invoice_settings[custom_fields][0][name]`), each with a
value of the declared type (the first `Literal` choice, `us_bank_account` where it is one of them). The SDK's own
encoder turns a path's value into the form body the SDK would send.

Used by `tests/contract/test_sdk_params.py`; `python -m harness.contract.sdk_params` prints what it derives.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import inspect
import itertools
import json
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import stripe

_REQUEST = re.compile(r'_request(?:_async)?\(\s*"(get|post|delete)",\s*"(/v1/[^"]*)"', re.S)
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_UNTYPED = ("UntypedStripeObject",)


@dataclass(frozen=True)
class SdkEndpoint:
    method: str
    template: str  # /v1/customers/{customer}
    params: type | None  # the TypedDict, None when the method takes no params
    service: str  # CustomerService.retrieve
    returns: str = ""  # the return annotation: "Coupon", "ListObject[Coupon]", "SearchResultObject[Charge]"
    module: str = ""  # the service's module (its imports say which class a return annotation names)

    @property
    def shape(self) -> str:
        """The template with its placeholders anonymous: comparable with the emulator's route table."""
        return _PLACEHOLDER.sub("{}", self.template)


@dataclass(frozen=True)
class ParamPath:
    path: tuple[str | int, ...]  # ("invoice_settings", "custom_fields", 0, "name")
    value: Any  # the leaf's sample value, of the declared type
    context: Any = None
    """The required siblings of every hash on the way (as nested params): `invoice_settings[custom_fields][0]`
    needs its `value` as well as its `name`."""

    @property
    def name(self) -> str:
        head, *rest = self.path
        return str(head) + "".join(f"[{part}]" for part in rest)

    def nested(self) -> dict[str, Any]:
        """The path as the nested params dict the SDK takes (lists as lists), with its required siblings."""
        root: dict[str, Any] = copy.deepcopy(self.context) if self.context else {}
        put(root, self.path, self.value)
        return root


def put(root: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set `value` at `path` in nested params, making (or replacing by) the dicts and lists on the way."""
    node: Any = root
    for here, after in itertools.pairwise(path):
        kind: type = list if isinstance(after, int) else dict
        if isinstance(node, list):
            assert isinstance(here, int)
            while len(node) <= here:
                node.append(kind())
            if not isinstance(node[here], kind):
                node[here] = kind()
            node = node[here]
        else:
            if not isinstance(node.get(here), kind):
                node[here] = kind()
            node = node[here]
    last = path[-1]
    if isinstance(node, list):
        assert isinstance(last, int)
        while len(node) <= last:
            node.append(None)
        node[last] = value
    else:
        node[last] = value


def _service_modules() -> Iterator[types.ModuleType]:
    """The SDK's v1 service modules, found on disk (importing every package would import deprecated ones)."""
    root = Path(stripe.__file__).parent
    for file in sorted(root.rglob("_*_service.py")):
        parts = file.relative_to(root).with_suffix("").parts
        if parts[0] in ("v2", "api_resources"):
            continue
        yield importlib.import_module(".".join(("stripe", *parts)))


def endpoints() -> list[SdkEndpoint]:
    """Every (method, path) a service of the installed SDK requests, with its params TypedDict."""
    found: dict[tuple[str, str], SdkEndpoint] = {}
    for module in _service_modules():
        for cls_name, cls in vars(module).items():
            if not (inspect.isclass(cls) and cls.__module__ == module.__name__):
                continue
            for name, function in vars(cls).items():
                if name.startswith("_") or name.endswith("_async") or not inspect.isfunction(function):
                    continue
                try:
                    source = inspect.getsource(function)
                except (OSError, TypeError):  # pragma: no cover - source always ships with the SDK
                    continue
                match = _REQUEST.search(source)
                if match is None:
                    continue
                params = _params_class(module, function)
                key = (match.group(1).upper(), match.group(2))
                returns = inspect.signature(function).return_annotation
                shown = returns if isinstance(returns, str) else getattr(returns, "__name__", str(returns))
                found.setdefault(key, SdkEndpoint(key[0], key[1], params, f"{cls_name}.{name}", str(shown),
                                                  module.__name__))
    return sorted(found.values(), key=lambda e: (e.template, e.method))


def _params_class(module: types.ModuleType, function: Any) -> type | None:
    annotation = inspect.signature(function).parameters.get("params")
    if annotation is None:
        return None
    text = str(annotation.annotation)
    match = re.search(r"(\w+Params)\b", text)
    if match is None:
        return None
    params_name = match.group(1)
    for where in (module, stripe, _params_module(module)):
        if where is not None and hasattr(where, params_name):
            found: type = getattr(where, params_name)
            return found
    return None


def _params_module(module: types.ModuleType) -> types.ModuleType | None:
    package = module.__name__.rsplit(".", 1)[0]
    name = "stripe.params" if package == "stripe" else f"stripe.params.{package.split('.', 1)[1]}"
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _request_option_keys() -> frozenset[str]:
    from stripe._request_options import RequestOptions

    return frozenset(RequestOptions.__annotations__)


def _hints(cls: type, skip: frozenset[str]) -> dict[str, Any]:
    """A TypedDict's keys and their types, each evaluated in the namespace of the module that declares it."""
    namespace: dict[str, Any] = {"UntypedStripeObject": dict}
    for base in reversed(cls.__mro__):
        module = importlib.import_module(base.__module__)
        namespace.update(vars(module))
    hints: dict[str, Any] = {}
    for key, annotation in cls.__annotations__.items():
        if key in skip:
            continue
        hints[key] = _unwrap(_evaluate(annotation, namespace))
    return hints


def _evaluate(annotation: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        return eval(annotation, namespace)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if _is_required_marker(origin):
        return _evaluate(args[0], namespace)
    if origin in (Union, types.UnionType):
        return Union[tuple(_evaluate(arg, namespace) for arg in args)]  # noqa: UP007 - built at run time
    if origin in (list, typing.List) and args:  # noqa: UP006
        return list[_evaluate(args[0], namespace)]  # type: ignore[misc]
    return annotation


def _is_typeddict(tp: Any) -> bool:
    """A TypedDict class, whether typing's or typing_extensions' (the SDK uses the latter)."""
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__") and hasattr(
        tp, "__required_keys__")


def _is_required_marker(origin: Any) -> bool:
    """`NotRequired[...]` / `Required[...]`, from typing or typing_extensions."""
    return getattr(origin, "_name", None) in ("NotRequired", "Required") or repr(origin).endswith(
        (".NotRequired", ".Required"))


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if _is_required_marker(origin):
        return _unwrap(typing.get_args(tp)[0])
    return tp


def _alternatives(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return [alt for arg in typing.get_args(tp) for alt in _alternatives(arg)]
    if origin is Literal and typing.get_args(tp) == ("",):
        return []
    if tp is type(None):
        return []
    return [tp]


PREFERRED = ("us_bank_account", "bank_account")
"""Enum values chosen first: the payment method (and external account) type the emulator emulates."""


def _literal_choice(choices: tuple[Any, ...]) -> Any:
    return next((choice for choice in PREFERRED if choice in choices), choices[0])


def paths(params: type | None) -> list[ParamPath]:
    """Every leaf form path of a params TypedDict, each once, with a sample value and its required siblings."""
    if params is None:
        return []
    skip = _request_option_keys()
    found: dict[tuple[str | int, ...], ParamPath] = {}
    _walk(params, (), found, skip, 0, {})
    return list(found.values())


def choices(params: type | None) -> list[ParamPath]:
    """Every value of every enum leaf other than the one `paths` samples (`prefetch[0]=inferred_balances` as well
    as `=balances`), each with the same required siblings."""
    if params is None:
        return []
    found: list[ParamPath] = []
    for leaf in paths(params):
        values = _enum_values(params, leaf.path)
        found.extend(ParamPath(leaf.path, value, leaf.context) for value in values if value != leaf.value)
    return found


def _enum_values(params: type, path: tuple[str | int, ...]) -> tuple[Any, ...]:
    """The union of the Literal values the SDK allows at `path` (through every shape of every parameter)."""
    values: list[Any] = []

    def visit(tp: Any, rest: tuple[str | int, ...]) -> None:
        for alternative in _alternatives(tp):
            if not rest:
                if typing.get_origin(alternative) is Literal:
                    values.extend(v for v in typing.get_args(alternative) if v not in values)
                continue
            head, tail = rest[0], rest[1:]
            if isinstance(head, int) and typing.get_origin(alternative) in (list, typing.List):  # noqa: UP006
                visit((typing.get_args(alternative) or (str,))[0], tail)
            elif isinstance(head, str) and _is_typeddict(alternative):
                hints = _hints(alternative, _request_option_keys())
                if head in hints:
                    visit(hints[head], tail)

    visit(params, path)
    return tuple(values)


def sample(tp: Any, name: str, depth: int = 0) -> Any:
    """A minimal valid value of a type: a hash with only its required keys, a one-item array."""
    options = _alternatives(tp)
    if not options or depth > 12:
        return "probe"
    option = options[0]
    origin = typing.get_origin(option)
    if _is_typeddict(option):
        hints = _hints(option, _request_option_keys() if depth == 0 else frozenset())
        keys = sorted(_required(option) & set(hints)) or sorted(hints)[:1]  # an empty hash is not sent at all
        return {key: sample(hints[key], key, depth + 1) for key in keys}
    if origin in (list, typing.List):  # noqa: UP006
        (inner,) = typing.get_args(option) or (str,)
        return [sample(inner, name, depth + 1)]
    if origin in (dict, typing.Dict) or option is dict:  # noqa: UP006
        typed = _typed_values(option)
        return {"key": "value" if typed is None else sample(typed, name, depth + 1)}
    if origin is Literal:
        return _literal_choice(typing.get_args(option))
    if option is bool:
        return True
    if option is int:
        return 1
    if option is float:
        return 1.5
    return "probe"


def _typed_values(tp: Any) -> Any:
    """The TypedDict of a `Dict[str, SomeParams]`'s values (a map of hashes, such as `currency_options`), else None."""
    origin = typing.get_origin(tp)
    if origin not in (dict, typing.Dict) and getattr(origin, "__name__", "") not in _UNTYPED:  # noqa: UP006
        return None
    args = typing.get_args(tp)
    return args[-1] if args and _is_typeddict(args[-1]) else None


def _required(typed_dict: Any) -> frozenset[str]:
    keys: frozenset[str] = getattr(typed_dict, "__required_keys__", frozenset())
    return keys - _request_option_keys()


def _walk(tp: Any, prefix: tuple[str | int, ...], found: dict[tuple[str | int, ...], ParamPath],
          skip: frozenset[str], depth: int, context: dict[str, Any]) -> None:
    if depth > 12:  # pragma: no cover - the SDK's params are never this deep
        return
    for alternative in _alternatives(tp):
        origin = typing.get_origin(alternative)
        if _is_typeddict(alternative):
            hints = _hints(alternative, skip if depth == 0 else frozenset())
            here = copy.deepcopy(context)
            for key in sorted(_required(alternative)):
                if key in hints:
                    put(here, prefix + (key,), sample(hints[key], key))
            for key, inner in hints.items():
                _walk(inner, prefix + (key,), found, skip, depth + 1, here)
        elif origin in (list, typing.List):  # noqa: UP006
            (inner,) = typing.get_args(alternative) or (str,)
            _walk(inner, prefix + (0,), found, skip, depth + 1, context)
        elif _typed_values(alternative) is not None:  # `currency_options[eur][unit_amount]`
            _walk(_typed_values(alternative), prefix + ("key",), found, skip, depth + 1, context)
        elif origin in (dict, typing.Dict) or alternative is dict or getattr(alternative, "__name__", "") in _UNTYPED:  # noqa: UP006
            _keep(found, ParamPath(prefix + ("key",), "value", context))
        else:
            _keep(found, ParamPath(prefix, sample(alternative, str(prefix[-1])), context))


def _keep(found: dict[tuple[str | int, ...], ParamPath], leaf: ParamPath) -> None:
    """A path once; where several shapes of a parameter have it (`external_account` as a bank account or as a
    card), the one that chooses what the emulator emulates."""
    old = found.get(leaf.path)
    if old is None or (_prefers(leaf.value) or _prefers(leaf.context)) and not (
            _prefers(old.value) or _prefers(old.context)):
        found[leaf.path] = leaf


def _prefers(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_prefers(inner) for inner in value.values())
    if isinstance(value, list):
        return any(_prefers(inner) for inner in value)
    return isinstance(value, str) and value in PREFERRED


_WRAPPED = re.compile(r"^(?:ListObject|SearchResultObject)\[(.+)\]$")


def object_of(endpoint: SdkEndpoint) -> tuple[str | None, str]:
    """The Stripe object name an endpoint answers with (`"coupon"`), and how: `"object"`, `"list"` or `"search"`
    (None when the SDK does not say, e.g. a union)."""
    returns = endpoint.returns.strip("'\"")
    kind = "object"
    wrapped = _WRAPPED.match(returns)
    if wrapped:
        kind = "search" if returns.startswith("Search") else "list"
        returns = wrapped.group(1).strip("'\"")
    if not re.fullmatch(r"\w+", returns):
        return None, kind
    module_name = _imports(endpoint.module).get(returns)
    if module_name is None:
        return None, kind
    cls = getattr(importlib.import_module(module_name), returns, None)
    found = getattr(cls, "OBJECT_NAME", None)
    return (found if isinstance(found, str) else None), kind


@functools.cache
def _imports(module_name: str) -> dict[str, str]:
    """What a service module imports from the SDK, name -> module (parenthesized, multi-line imports too)."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    return {alias.asname or alias.name: node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stripe")
            for alias in node.names}


def tree(params: type | None) -> dict[str, Any]:
    """A params TypedDict as the emulator's parameter-tree data (`emulator/resources/request_params.json`):
    `{"t": "h", "f": {...}}` hash, `"a"` array (`"i"`: its item), `"m"` map of strings, `"d"` map of hashes (`"i"`:
    each value's; `currency_options`, keyed by currency), `"s"` string, `"i"`
    integer, `"n"` decimal number, `"b"` boolean, `"e"` enum (`"v"`: its values), `"u"` one of (`"o"`); `"z": 1`
    where `""` is accepted (unset)."""
    if params is None:
        return {"t": "h", "f": {}}
    return _node(params, _request_option_keys(), 0)


def _node(tp: Any, skip: frozenset[str], depth: int) -> dict[str, Any]:
    options = _alternatives(tp)
    emptyable = len(options) < len(_flat(tp))
    nodes = [_one(option, skip, depth) for option in options] or [{"t": "s"}]
    distinct: list[dict[str, Any]] = []
    for node in nodes:
        if node not in distinct:
            distinct.append(node)
    found = distinct[0] if len(distinct) == 1 else {"t": "u", "o": distinct}
    return {**found, "z": 1} if emptyable else found


def _flat(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return [alt for arg in typing.get_args(tp) for alt in _flat(arg)]
    return [tp]


def _one(tp: Any, skip: frozenset[str], depth: int) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if _is_typeddict(tp):
        fields = _hints(tp, skip if depth == 0 else frozenset())
        required = _required(tp)
        return {"t": "h", "f": {key: {**_node(inner, skip, depth + 1), **({"r": 1} if key in required else {})}
                                for key, inner in sorted(fields.items())}}
    if origin in (list, typing.List):  # noqa: UP006
        (inner,) = typing.get_args(tp) or (str,)
        return {"t": "a", "i": _node(inner, skip, depth + 1)}
    typed = _typed_values(tp)
    if typed is not None:
        return {"t": "d", "i": _node(typed, skip, depth + 1)}
    if origin in (dict, typing.Dict) or tp is dict or getattr(tp, "__name__", "") in _UNTYPED:  # noqa: UP006
        return {"t": "m"}
    if origin is Literal:
        return {"t": "e", "v": sorted(str(v) for v in typing.get_args(tp))}
    return dict(SCALARS.get(tp, SCALARS[str]))


def export_generic(routes: set[tuple[str, str]]) -> dict[str, Any]:
    """Every endpoint of the installed SDK that `routes` does not serve: its path template, the SDK method's name,
    the object it answers with and how (object, list, search), and its parameter tree (`"r": 1` marks what the
    SDK requires)."""
    found: dict[str, Any] = {}
    for endpoint in endpoints():
        if (endpoint.method, endpoint.shape) in routes:
            continue
        name, kind = object_of(endpoint)
        found[f"{endpoint.method} {endpoint.shape}"] = {
            "template": endpoint.template, "method": endpoint.service.split(".")[-1], "object": name,
            "kind": kind, "params": tree(endpoint.params)}
    return found


def export(routes: set[tuple[str, str]]) -> dict[str, Any]:
    """The trees of the endpoints in `routes` ({(method, shape)}), keyed `"POST /v1/customers/{}"`."""
    return {
        f"{e.method} {e.shape}": tree(e.params) for e in endpoints() if (e.method, e.shape) in routes
    }


def merge(ga: dict[str, Any], preview: dict[str, Any]) -> dict[str, Any]:
    """One tree from a GA SDK's and a preview SDK's: a hash field only one of them has is marked `"g": "ga"` or
    `"g": "p"` (the emulator gates it by the request's version); enums take both SDKs' values; a key is required
    (`"r"`) where both SDKs require it."""
    required = bool(ga.get("r") and preview.get("r"))
    ga = {k: v for k, v in ga.items() if k != "r"}
    preview = {k: v for k, v in preview.items() if k != "r"}
    merged = _merge_nodes(ga, preview)
    return {**merged, "r": 1} if required else merged


def merge_fields(ga: dict[str, Any], preview: dict[str, Any],
                 both: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """The fields of a GA and a preview node: one only GA has is marked `"g": "ga"`, one only preview has `"g": "p"`,
    one both have is `both(ga's, preview's)`."""
    fields: dict[str, Any] = {}
    for key in sorted(set(ga) | set(preview)):
        if key not in preview:
            fields[key] = {**ga[key], "g": "ga"}
        elif key not in ga:
            fields[key] = {**preview[key], "g": "p"}
        else:
            fields[key] = both(ga[key], preview[key])
    return fields


def _merge_nodes(ga: dict[str, Any], preview: dict[str, Any]) -> dict[str, Any]:
    if ga.get("t") == preview.get("t") == "h":
        merged: dict[str, Any] = {"t": "h", "f": merge_fields(ga["f"], preview["f"], merge)}
    elif ga.get("t") == preview.get("t") and ga.get("t") in ("a", "d"):
        merged = {"t": ga["t"], "i": merge(ga["i"], preview["i"])}
    elif ga.get("t") == preview.get("t") == "e":
        merged = {"t": "e", "v": sorted(set(ga["v"]) | set(preview["v"]))}
        if set(preview["v"]) - set(ga["v"]):
            merged["pv"] = sorted(set(preview["v"]) - set(ga["v"]))  # values only preview versions take
    elif ga.get("t") == preview.get("t") == "u" and len(ga["o"]) == len(preview["o"]):
        merged = {"t": "u", "o": [merge(a, b) for a, b in zip(ga["o"], preview["o"], strict=True)]}
    elif {k: v for k, v in ga.items() if k != "z"} == {k: v for k, v in preview.items() if k != "z"}:
        merged = {k: v for k, v in ga.items() if k != "z"}
    else:
        merged = {"t": "u", "o": [{k: v for k, v in n.items() if k != "z"} for n in (ga, preview)]}
    if ga.get("z") or preview.get("z"):
        merged["z"] = 1
    return merged


def write_json(out: Path, document: Any) -> None:
    """A generated data file, written whole and then moved into place (the emulator may be reading the old one)."""
    temporary = out.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    temporary.replace(out)


SCALARS: dict[Any, dict[str, str]] = {bool: {"t": "b"}, int: {"t": "i"}, float: {"t": "n"}, str: {"t": "s"}}
"""The data's kind of each scalar type (one table for parameter trees and response shapes)."""


def main() -> None:  # pragma: no cover - a developer's tool
    import sys

    from emulator.http.routes import API

    routes = {(e.method, _PLACEHOLDER.sub("{}", e.path)) for e in API}
    by_hand_always = {(e.method, _PLACEHOLDER.sub("{}", e.path)) for e in API if not e.generic_surface}
    """The generic data keeps the endpoints kept by hand for the generic surface only (a customer's sources): the
    routes above them win on that surface, and the catalogue stays the SDK's whole list."""
    if sys.argv[1:2] == ["--merge"]:
        with open(sys.argv[2]) as ga_file, open(sys.argv[3]) as preview_file:
            ga, preview = json.load(ga_file), json.load(preview_file)
        keys = sorted(set(ga["endpoints"]) | set(preview["endpoints"]))
        empty: dict[str, Any] = {"t": "h", "f": {}}
        joined = {key: merge(ga["endpoints"].get(key, empty), preview["endpoints"].get(key, empty)) for key in keys}
        document = {"generated_by": "python -m harness.contract.sdk_params --merge GA.json PREVIEW.json OUT.json",
                    "ga_sdk": ga["sdk"], "preview_sdk": preview["sdk"], "endpoints": joined}
        write_json(Path(sys.argv[4]), document)
        return
    if sys.argv[1:2] == ["--merge-generic"]:  # GA.json PREVIEW.json OUT.json, each from --export-generic
        with open(sys.argv[2]) as ga_file, open(sys.argv[3]) as preview_file:
            ga_doc, preview_doc = json.load(ga_file), json.load(preview_file)
        both: dict[str, Any] = {}
        for key in sorted(set(ga_doc["endpoints"]) | set(preview_doc["endpoints"])):
            ga_entry, preview_entry = ga_doc["endpoints"].get(key), preview_doc["endpoints"].get(key)
            if ga_entry is None:
                both[key] = {**preview_entry, "preview": True}  # only preview versions have it
            elif preview_entry is None:
                both[key] = {**ga_entry, "ga": True}  # only GA versions have it
            else:
                both[key] = {**ga_entry, "params": merge(ga_entry["params"], preview_entry["params"])}
        document = {"generated_by": "python -m harness.contract.sdk_params --merge-generic GA.json PREVIEW.json OUT",
                    "sdk": ga_doc["sdk"], "preview_sdk": preview_doc["sdk"], "endpoints": both}
        write_json(Path(sys.argv[4]), document)
        return
    if sys.argv[1:2] == ["--export-generic"]:
        document = {"generated_by": "python -m harness.contract.sdk_params --export-generic OUT.json",
                    "sdk": stripe.VERSION, "api_version": stripe.api_version,
                    "endpoints": export_generic(by_hand_always)}
        write_json(Path(sys.argv[2]), document)
        return
    if sys.argv[1:2] == ["--export"]:
        json.dump({"sdk": stripe.VERSION, "endpoints": export(routes)}, sys.stdout, sort_keys=True)
        return
    total = 0
    for endpoint in endpoints():
        if (endpoint.method, endpoint.shape) not in routes:
            continue
        leaves = paths(endpoint.params)
        total += len(leaves)
        print(f"{endpoint.method:6} {endpoint.template}  {len(leaves)}")
    print(f"{total} paths, stripe {stripe.VERSION}")


if __name__ == "__main__":  # pragma: no cover
    main()
