"""A namespace's state as JSON, and back: the codec behind `serve --state-file` and `/_emulator/snapshot`.

The state is made of the emulator's own objects (rows of the resource modules, events, timers, the outbox), so the
codec is generic over them rather than a hand-written schema per type, and it is *restricted*, unlike pickle:

- plain JSON values stay plain; tuples, sets, frozensets, deques, bytes, dates, `ApiVersion`s, dicts with
  non-string keys, locks and `random.Random` states get a tagged form (`{"$tuple": [...]}`, …);
- the only classes and functions a document may name are the ones in an explicit registry: state classes, event
  renderers and timer actions, each marked `@saved` where it is defined. A name is looked up in that registry,
  matched exactly — never imported or walked with `getattr` — so a document cannot name anything else;
- an object of a registered class is saved as its class name and attributes, and restored without calling
  `__init__`, after its attributes were checked against the class's annotations (`emulator.core.conform`);
- a callable is saved only as a registered function, a `functools.partial` of one (its arguments checked against
  the function's annotations), or a registered method bound to a saved object;
- the namespace's `Backend`, referred to by partials, is saved as `{"$backend": true}` and bound to the backend
  being restored;
- an object (or list, dict, set) referred to from two places is saved once (`"$id"`) and referred to after
  (`{"$ref": n}`), so identities the running emulator relies on survive too.

Loading refuses (`SnapshotError`, with the path) anything else: unknown names and tags, values of the wrong type,
integers beyond 64 bits, non-finite numbers, nesting deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime
import functools
import math
import random
import threading
import types
from collections.abc import Callable
from typing import Any, TypeVar

from emulator.core.conform import INT_BOUND, Mismatch, check_arguments, check_fields
from emulator.core.versions import ApiVersion, parse

PACKAGE = "emulator"
MAX_DEPTH = 48
"""Deepest nesting a document may have (the emulator's own state is far shallower)."""
_LOCK_TYPES = {type(threading.Lock()): "lock", type(threading.RLock()): "rlock"}
_CONTAINERS = (list, dict, set, collections.deque)


class SnapshotError(Exception):
    """The state cannot be saved or loaded: says what and where (a `$.store.…` path)."""


def _own(module: str | None) -> bool:
    return module is not None and (module == PACKAGE or module.startswith(PACKAGE + "."))


def _name(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


_REGISTRY: dict[str, Any] = {}
T = TypeVar("T")


def saved(obj: T) -> T:
    """Mark a state class, an event renderer, a timer action (or a method used as one) as something a snapshot may
    name. Only what is marked can be saved, and only what is marked can be loaded."""
    name = _name(obj)
    if "<" in name or not _own(getattr(obj, "__module__", None)):
        raise ValueError(f"{name} cannot be saved: only module-level emulator classes and functions")
    _REGISTRY[name] = obj
    return obj


def registered(name: str) -> Any:
    """What a snapshot's name stands for, or None: the registry is the only place names are looked up."""
    return _REGISTRY.get(name) if isinstance(name, str) else None


def _resolve(name: Any, kind: type, path: str) -> Any:
    found = registered(name)
    if kind is types.FunctionType and isinstance(name, str) and "." in name.partition(":")[2]:
        found = None  # a method is only ever saved bound to its object ($method)
    if found is None or not isinstance(found, kind):
        raise SnapshotError(f"{path}: {name!r} is not a {'class' if kind is type else 'function'} a snapshot may "
                            "name")
    return found


def _is_saved(obj: Any) -> bool:
    try:
        return registered(_name(obj)) is obj
    except AttributeError:
        return False


class Encoder:
    """One encoding pass. `backend` is the object to save as `{"$backend": true}`."""

    def __init__(self, backend: object | None = None) -> None:
        self._backend = backend
        self._seen: dict[int, int] = {}
        self._shared: set[int] = set()
        self._ids: dict[int, int] = {}
        self._keep: list[Any] = []

    def encode(self, value: Any) -> Any:
        self._count(value)
        return self._encode(value, "$")

    # -- pass 1: which containers are reachable more than once --------------------------------------------------
    def _count(self, value: Any) -> None:
        stack = [value]
        while stack:
            item = stack.pop()
            if item is None or isinstance(item, (bool, int, float, str, bytes)) or item is self._backend:
                continue
            key = id(item)
            if key in self._seen:
                self._shared.add(key)
                continue
            self._seen[key] = 1
            self._keep.append(item)  # ids stay unique while the pass runs
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, (list, tuple, set, frozenset, collections.deque)):
                stack.extend(item)
            elif isinstance(item, functools.partial):
                stack.append(item.func)
                stack.extend(item.args)
                stack.extend(item.keywords.values())
            elif isinstance(item, types.MethodType):
                stack.append(item.__self__)
            elif _own(type(item).__module__) and hasattr(item, "__dict__") and not isinstance(item, type):
                stack.extend(vars(item).values())

    # -- pass 2 ---------------------------------------------------------------------------------------------------
    def _encode(self, value: Any, path: str) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if value is self._backend:
            return {"$backend": True}
        key = id(value)
        if key in self._ids:
            return {"$ref": self._ids[key]}
        shared = key in self._shared
        if shared:
            self._ids[key] = len(self._ids) + 1
        encoded = self._encode_new(value, path)
        if shared:
            if not isinstance(encoded, dict) or "$id" in encoded:
                encoded = {"$wrap": encoded}
            encoded["$id"] = self._ids[key]
        return encoded

    def _encode_new(self, value: Any, path: str) -> Any:
        kind = type(value)
        if kind is list:
            return [self._encode(item, f"{path}[{index}]") for index, item in enumerate(value)]
        if kind is dict:
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: self._encode(v, f"{path}.{k}") for k, v in value.items()}
            return {"$dict": [[self._encode(k, f"{path}<key>"), self._encode(v, f"{path}[{k!r}]")]
                              for k, v in value.items()]}
        if kind is tuple:
            return {"$tuple": [self._encode(item, f"{path}[{i}]") for i, item in enumerate(value)]}
        if kind in (set, frozenset):
            items = [self._encode(item, f"{path}{{}}") for item in value]
            return {"$set" if kind is set else "$frozenset": sorted(items, key=repr)}
        if kind is collections.deque:
            return {"$deque": [self._encode(item, f"{path}[{i}]") for i, item in enumerate(value)],
                    "maxlen": value.maxlen}
        if kind is bytes:
            return {"$bytes": base64.b64encode(value).decode("ascii")}
        if kind is ApiVersion:
            return {"$version": value.raw}
        if kind is datetime.date:
            return {"$date": value.isoformat()}
        if kind in _LOCK_TYPES:
            return {"$lock": _LOCK_TYPES[kind]}
        if kind is random.Random:
            return {"$random": self._encode(value.getstate(), f"{path}<random>")}
        if kind is functools.partial:
            return {"$partial": self._encode(value.func, f"{path}.func"),
                    "args": [self._encode(arg, f"{path}.args[{i}]") for i, arg in enumerate(value.args)],
                    "keywords": {k: self._encode(v, f"{path}.keywords.{k}") for k, v in value.keywords.items()}}
        if kind is types.FunctionType:
            if not _is_saved(value):
                raise SnapshotError(f"{path}: {value.__qualname__} (in {value.__module__}) is not registered; keep "
                                    "only module-level functions marked @saved in state")
            return {"$function": _name(value)}
        if kind is types.MethodType:
            method_name: str = value.__func__.__name__
            if getattr(type(value.__self__), method_name, None) is not value.__func__ or not _is_saved(value.__func__):
                raise SnapshotError(f"{path}: a bound method that is not a registered {method_name} of its class")
            return {"$method": method_name, "self": self._encode(value.__self__, f"{path}.__self__")}
        if isinstance(value, type) or not _is_saved(kind) or not hasattr(value, "__dict__"):
            raise SnapshotError(f"{path}: cannot save a {kind.__module__}.{kind.__qualname__} (not a registered "
                                "state class)")
        return {"$object": _name(kind),
                "state": {k: self._encode(v, f"{path}.{k}") for k, v in vars(value).items()}}


class Decoder:
    """One decoding pass. `backend` replaces every `{"$backend": true}`."""

    def __init__(self, backend: object | None = None) -> None:
        self._backend = backend
        self._refs: dict[int, Any] = {}
        self._checks: list[Callable[[], None]] = []
        """Run once every object is whole (references resolved): objects' fields, partials' arguments."""

    def decode(self, value: Any) -> Any:
        try:
            decoded = self._decode(value, "$", 0)
            for check in self._checks:
                check()
        except Mismatch as problem:
            raise SnapshotError(str(problem)) from None
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as problem:
            raise SnapshotError(f"malformed value ({type(problem).__name__}: {problem})") from None
        return decoded

    def _decode(self, value: Any, path: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise SnapshotError(f"{path}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, list):
            return [self._decode(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
        if not isinstance(value, dict):
            return _scalar(value, path)
        if "$ref" in value:
            target = value["$ref"]
            if not isinstance(target, int) or target not in self._refs:
                raise SnapshotError(f"{path}: reference {target!r} before its object")
            return self._refs[target]
        ref = value.get("$id")
        if ref is not None and (not isinstance(ref, int) or isinstance(ref, bool) or ref in self._refs):
            raise SnapshotError(f"{path}: a bad or repeated $id {ref!r}")
        if "$wrap" in value:
            decoded = self._decode(value["$wrap"], path, depth + 1)
            if ref is not None:
                self._refs[ref] = decoded
            return decoded
        return self._decode_tagged(value, ref, path, depth)

    def _register(self, ref: Any, obj: Any) -> Any:
        if ref is not None:
            self._refs[ref] = obj
        return obj

    def _items(self, body: Any, path: str, depth: int) -> list[Any]:
        return [self._decode(item, f"{path}[{index}]", depth + 1)
                for index, item in enumerate(self._raw_list(body, path))]

    def _decode_tagged(self, value: dict[str, Any], ref: Any, path: str, depth: int) -> Any:
        tags = [k for k in value if k.startswith("$") and k != "$id"]
        if not tags:
            plain: dict[str, Any] = self._register(ref, {})
            for k, v in value.items():
                if k != "$id":
                    plain[k] = self._decode(v, f"{path}.{k}", depth + 1)
            return plain
        if len(tags) > 1:
            raise SnapshotError(f"{path}: more than one tag ({', '.join(sorted(tags))})")
        tag = tags[0]
        body = value[tag]
        if tag == "$backend":
            if self._backend is None or body is not True:
                raise SnapshotError(f"{path}: a backend reference outside a namespace")
            return self._backend
        if tag == "$dict":
            mapping: dict[Any, Any] = self._register(ref, {})
            for pair in self._raw_list(body, path):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise SnapshotError(f"{path}: a $dict entry is not a [key, value] pair")
                mapping[self._decode(pair[0], path, depth + 1)] = self._decode(pair[1], f"{path}[…]", depth + 1)
            return mapping
        if tag == "$tuple":
            return self._register(ref, tuple(self._items(body, path, depth)))
        if tag == "$set":
            target: set[Any] = self._register(ref, set())
            target.update(self._items(body, path, depth))
            return target
        if tag == "$frozenset":
            return self._register(ref, frozenset(self._items(body, path, depth)))
        if tag == "$deque":
            maxlen = value.get("maxlen")
            if maxlen is not None and (not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 0):
                raise SnapshotError(f"{path}: a deque's maxlen must be null or a non-negative integer")
            queue: collections.deque[Any] = self._register(ref, collections.deque(maxlen=maxlen))
            queue.extend(self._items(body, path, depth))
            return queue
        if tag in ("$bytes", "$version", "$date", "$lock") and not isinstance(body, str):
            raise SnapshotError(f"{path}: {tag} needs a string")
        if tag == "$bytes":
            return self._register(ref, base64.b64decode(body, validate=True))
        if tag == "$version":
            return self._register(ref, parse(body))
        if tag == "$date":
            return self._register(ref, datetime.date.fromisoformat(body))
        if tag == "$lock":
            if body not in ("lock", "rlock"):
                raise SnapshotError(f"{path}: unknown lock kind {body!r}")
            return self._register(ref, threading.RLock() if body == "rlock" else threading.Lock())
        if tag == "$random":
            generator = random.Random()
            generator.setstate(self._decode(body, path, depth + 1))
            return self._register(ref, generator)
        if tag == "$function":
            return self._register(ref, _resolve(body, types.FunctionType, path))
        if tag == "$partial":
            func = self._decode(body, f"{path}.func", depth + 1)
            if not isinstance(func, (types.FunctionType, types.MethodType)):
                raise SnapshotError(f"{path}: a partial of something that is not a registered function")
            args = self._items(value.get("args", []), f"{path}.args", depth)
            keywords = self._decode(value.get("keywords", {}), f"{path}.keywords", depth + 1)
            if not isinstance(keywords, dict) or not all(isinstance(k, str) for k in keywords):
                raise SnapshotError(f"{path}: a partial's keywords must be an object")
            self._checks.append(functools.partial(check_arguments, func, tuple(args), keywords, path))
            return self._register(ref, functools.partial(func, *args, **keywords))
        if tag == "$method":
            owner = self._decode(value.get("self"), f"{path}.__self__", depth + 1)
            method = getattr(type(owner), body, None) if isinstance(body, str) else None
            if method is None or not _is_saved(method):
                raise SnapshotError(f"{path}: method {body!r} is not a registered method of a "
                                    f"{type(owner).__name__}")
            return self._register(ref, getattr(owner, body))
        if tag == "$object":
            cls = _resolve(body, type, path)
            obj = self._register(ref, object.__new__(cls))
            state = value.get("state", {})
            if not isinstance(state, dict) or any(k.startswith("$") for k in state):
                raise SnapshotError(f"{path}: the state of a {body} is not a plain object")
            obj.__dict__.update({k: self._decode(v, f"{path}.{k}", depth + 1) for k, v in state.items()})
            _fill_defaults(obj)
            self._checks.append(functools.partial(check_fields, obj, path))
            return obj
        raise SnapshotError(f"{path}: unknown tag {tag!r}")

    @staticmethod
    def _raw_list(body: Any, path: str) -> list[Any]:
        if not isinstance(body, list):
            raise SnapshotError(f"{path}: expected a list, found {type(body).__name__}")
        return body


def _fill_defaults(obj: object) -> None:
    """A field a later release added to a dataclass, absent from a document an earlier one saved, takes its
    default (a field without a default is still refused as missing); so does an attribute a later release added to
    another state class with a plain default in the class (`_indexed: int = 0`)."""
    if isinstance(obj, type):
        return
    state: dict[str, Any] = vars(obj)
    if not dataclasses.is_dataclass(obj):
        for name in getattr(type(obj), "__annotations__", {}):
            default = getattr(type(obj), name, None)
            if name not in state and isinstance(default, (bool, int, float, str)):
                state[name] = default
        return
    for field in dataclasses.fields(obj):
        if field.name in state:
            continue
        if field.default is not dataclasses.MISSING:
            state[field.name] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            state[field.name] = field.default_factory()


def _scalar(value: Any, path: str) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if not -INT_BOUND <= value < INT_BOUND:
            raise SnapshotError(f"{path}: an integer beyond 64 bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SnapshotError(f"{path}: a number that is not finite")
        return value
    raise SnapshotError(f"{path}: a {type(value).__name__} is not a JSON value")


def encode(value: Any, backend: object | None = None) -> Any:
    return Encoder(backend).encode(value)


def decode(value: Any, backend: object | None = None) -> Any:
    return Decoder(backend).decode(value)

