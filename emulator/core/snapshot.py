"""A namespace's state as JSON, and back: the codec behind `serve --state-file` and `/_emulator/snapshot`.

The state is made of the emulator's own objects (rows of the resource modules, events, timers, the outbox), so the
codec is generic over them rather than a hand-written schema per type, and it is *restricted*, unlike pickle:

- plain JSON values stay plain; tuples, sets, frozensets, deques, bytes, dates, `ApiVersion`s, dicts with
  non-string keys, locks and `random.Random` states get a tagged form (`{"$tuple": [...]}`, …);
- an object of a class defined in an `emulator.*` module is saved as its class name and attributes, and restored
  without calling `__init__`; an object of any other class is refused (`SnapshotError`, with the path to it);
- a callable is saved only as a reference to a *module-level* `emulator.*` function, a `functools.partial` of one,
  or a bound method of a saved object — never code. Event renderers and timer actions are written that way, so
  pending timers and per-version event rendering survive a restart;
- the namespace's `Backend`, referred to by partials, is saved as `{"$backend": true}` and bound to the backend
  being restored;
- an object (or list, dict, set) referred to from two places is saved once (`"$id"`) and referred to after
  (`{"$ref": n}`), so identities the running emulator relies on survive too.

Loading resolves names only inside `emulator.*`, so a state file cannot make the emulator run anything else.
"""

from __future__ import annotations

import base64
import collections
import datetime
import functools
import importlib
import random
import threading
import types
from typing import Any

from emulator.core.versions import ApiVersion, parse

PACKAGE = "emulator"
_LOCK_TYPES = {type(threading.Lock()): "lock", type(threading.RLock()): "rlock"}
_CONTAINERS = (list, dict, set, collections.deque)


class SnapshotError(Exception):
    """The state cannot be saved or loaded: says what and where (a `$.store.…` path)."""


def _own(module: str | None) -> bool:
    return module is not None and (module == PACKAGE or module.startswith(PACKAGE + "."))


def _name(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


def _resolve(name: str, path: str) -> Any:
    module_name, _, qualname = name.partition(":")
    if not _own(module_name) or not qualname or "<" in qualname:
        raise SnapshotError(f"{path}: {name!r} is not a name in the emulator's own modules")
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise SnapshotError(f"{path}: {name!r} does not exist in this version of the emulator") from exc
    return found


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
            if not _own(value.__module__) or "<locals>" in value.__qualname__ or "<lambda>" in value.__qualname__:
                raise SnapshotError(f"{path}: {value.__qualname__} (in {value.__module__}) is a closure or not the "
                                    "emulator's; keep only module-level functions in state")
            return {"$function": _name(value)}
        if kind is types.MethodType:
            method_name: str = value.__func__.__name__
            if getattr(type(value.__self__), method_name, None) is not value.__func__:
                raise SnapshotError(f"{path}: a bound method that is not its class's own {method_name}")
            return {"$method": method_name, "self": self._encode(value.__self__, f"{path}.__self__")}
        if isinstance(value, type) or not _own(kind.__module__) or not hasattr(value, "__dict__"):
            raise SnapshotError(f"{path}: cannot save a {kind.__module__}.{kind.__qualname__}")
        return {"$object": _name(kind),
                "state": {k: self._encode(v, f"{path}.{k}") for k, v in vars(value).items()}}


class Decoder:
    """One decoding pass. `backend` replaces every `{"$backend": true}`."""

    def __init__(self, backend: object | None = None) -> None:
        self._backend = backend
        self._refs: dict[int, Any] = {}

    def decode(self, value: Any) -> Any:
        return self._decode(value, "$")

    def _decode(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            return [self._decode(item, f"{path}[{index}]") for index, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if "$ref" in value:
            try:
                return self._refs[value["$ref"]]
            except KeyError:
                raise SnapshotError(f"{path}: reference {value['$ref']} before its object") from None
        ref = value.get("$id")
        if "$wrap" in value:
            decoded = self._decode(value["$wrap"], path)
            if ref is not None:
                self._refs[ref] = decoded
            return decoded
        return self._decode_tagged(value, ref, path)

    def _register(self, ref: Any, obj: Any) -> Any:
        if ref is not None:
            self._refs[ref] = obj
        return obj

    def _decode_tagged(self, value: dict[str, Any], ref: Any, path: str) -> Any:
        tags = [k for k in value if k.startswith("$") and k != "$id"]
        if not tags:
            plain: dict[str, Any] = self._register(ref, {})
            for k, v in value.items():
                if k != "$id":
                    plain[k] = self._decode(v, f"{path}.{k}")
            return plain
        tag = tags[0]
        body = value[tag]
        if tag == "$backend":
            if self._backend is None:
                raise SnapshotError(f"{path}: a backend reference outside a namespace")
            return self._backend
        if tag == "$dict":
            mapping: dict[Any, Any] = self._register(ref, {})
            for k, v in body:
                mapping[self._decode(k, path)] = self._decode(v, f"{path}[{k!r}]")
            return mapping
        if tag == "$tuple":
            return self._register(ref, tuple(self._decode(body, path)))
        if tag == "$set":
            target: set[Any] = self._register(ref, set())
            target.update(self._decode(body, path))
            return target
        if tag == "$frozenset":
            return self._register(ref, frozenset(self._decode(body, path)))
        if tag == "$deque":
            queue: collections.deque[Any] = self._register(ref, collections.deque(maxlen=value.get("maxlen")))
            queue.extend(self._decode(body, path))
            return queue
        if tag == "$bytes":
            return self._register(ref, base64.b64decode(body))
        if tag == "$version":
            return self._register(ref, parse(body))
        if tag == "$date":
            return self._register(ref, datetime.date.fromisoformat(body))
        if tag == "$lock":
            return self._register(ref, threading.RLock() if body == "rlock" else threading.Lock())
        if tag == "$random":
            generator = random.Random()
            generator.setstate(self._decode(body, path))
            return self._register(ref, generator)
        if tag == "$function":
            found = _resolve(body, path)
            if not isinstance(found, types.FunctionType):
                raise SnapshotError(f"{path}: {body!r} is not a function")
            return self._register(ref, found)
        if tag == "$partial":
            func = self._decode(body, f"{path}.func")
            if not callable(func):
                raise SnapshotError(f"{path}: a partial of something that is not a function")
            args = self._decode(value.get("args", []), f"{path}.args")
            keywords = self._decode(value.get("keywords", {}), f"{path}.keywords")
            return self._register(ref, functools.partial(func, *args, **keywords))
        if tag == "$method":
            owner = self._decode(value["self"], f"{path}.__self__")
            if body.startswith("_") or not _own(type(owner).__module__):
                raise SnapshotError(f"{path}: method {body!r} is not allowed")
            return self._register(ref, getattr(owner, body))
        if tag == "$object":
            cls = _resolve(body, path)
            if not isinstance(cls, type):
                raise SnapshotError(f"{path}: {body!r} is not a class")
            obj = self._register(ref, object.__new__(cls))
            state = self._decode(value.get("state", {}), f"{path}.state")
            if not isinstance(state, dict):
                raise SnapshotError(f"{path}: the state of a {body} is not an object")
            obj.__dict__.update(state)
            return obj
        raise SnapshotError(f"{path}: unknown tag {tag!r}")


def encode(value: Any, backend: object | None = None) -> Any:
    return Encoder(backend).encode(value)


def decode(value: Any, backend: object | None = None) -> Any:
    return Decoder(backend).decode(value)

