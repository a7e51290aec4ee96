"""The second oracle: the stripe SDK's generated model classes. Every field a class declares without `Optional`
must be present and non-null; every field present must be declared and have the declared type (`Literal` enums
included).
Forward references the SDK only imports for type checking are resolved by name in the SDK's packages; what cannot
be resolved is counted as unchecked rather than guessed."""

from __future__ import annotations

import importlib
import sys
import types
import typing
from dataclasses import dataclass
from typing import Any, ForwardRef, Literal, Union

import stripe
from stripe._api_version import _ApiVersion

SDK_VERSION: str = stripe.VERSION if hasattr(stripe, "VERSION") else "unknown"
SDK_API_VERSION: str = _ApiVersion.CURRENT
SDK_IS_PREVIEW: bool = SDK_API_VERSION.endswith(".preview")
SDK_API_DATE: str = SDK_API_VERSION.split(".")[0]


def judges(version_date: str, is_preview: bool) -> str | None:
    """How the installed SDK's classes can judge a response: `strict` for its own pinned version, `lenient`
    (types of the fields present only) for older versions of its kind, not at all for newer ones or the other
    kind (GA vs preview) — those may carry fields the SDK has never heard of."""
    if is_preview != SDK_IS_PREVIEW or version_date > SDK_API_DATE:
        return None
    return "strict" if version_date == SDK_API_DATE else "lenient"


@dataclass(frozen=True)
class ModelError:
    path: str
    message: str
    declared: str
    value: Any


def model_class(object_name: str) -> type | None:
    """The SDK class for an `object` value (`financial_connections.session` -> Session)."""
    try:
        from stripe._object_classes import OBJECT_CLASSES
    except ImportError:  # pragma: no cover - very old SDKs
        return None
    entry = OBJECT_CLASSES.get(object_name)
    if entry is None:
        return None
    if isinstance(entry, tuple):
        module = importlib.import_module(entry[0])
        found: type = getattr(module, entry[1])
        return found
    return entry  # type: ignore[no-any-return]


def error_class() -> type:
    module = importlib.import_module("stripe._error_object")
    found: type = module.ErrorObject
    return found


def declared_fields(cls: type) -> dict[str, Any]:
    """Declared fields of an SDK model class (own and inherited, minus class variables and private names)."""
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("stripe._stripe_object") or klass is object:
            continue
        for name, hint in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or name == "OBJECT_NAME" or typing.get_origin(hint) is typing.ClassVar:
                continue
            merged[name] = hint
    return merged


def _resolve(ref: ForwardRef | str, owner: type) -> Any:
    name = ref.__forward_arg__ if isinstance(ref, ForwardRef) else ref
    module = sys.modules.get(owner.__module__)
    candidates = [getattr(module, name, None)] if module is not None else []
    package = owner.__module__.rsplit(".", 1)[0]
    for space in (package, "stripe"):
        try:
            candidates.append(getattr(importlib.import_module(space), name, None))
        except ImportError:  # pragma: no cover
            continue
    for candidate in candidates:
        if isinstance(candidate, type):
            return candidate
    return None


def _optional(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (Union, types.UnionType) and type(None) in typing.get_args(hint)


def _describe(hint: Any) -> str:
    text = repr(hint).replace("typing.", "")
    return text if len(text) <= 200 else text[:200] + "…"


class ModelChecker:
    def __init__(self, *, lenient: bool = False) -> None:
        self.unchecked: set[str] = set()
        self.lenient = lenient
        """Only the types of declared fields that are present (for versions older than the SDK)."""

    def check(self, cls: type, value: Any, path: str = "$", *, deleted: bool = False) -> list[ModelError]:
        if not isinstance(value, dict):
            return [ModelError(path, "expected an object", cls.__name__, value)]
        errors: list[ModelError] = []
        fields = declared_fields(cls)
        for name in value:
            if name not in fields and not self.lenient:
                errors.append(ModelError(f"{path}.{name}", f"not a field of the SDK's {cls.__name__}",
                                         ", ".join(sorted(fields)), value[name]))
        for name, hint in fields.items():
            where = f"{path}.{name}"
            if name not in value:
                if not _optional(hint) and not deleted and not self.lenient:
                    errors.append(ModelError(where, "missing (the SDK declares it non-optional)", _describe(hint),
                                             None))
                continue
            errors += self.value(hint, value[name], where, cls)
        return errors

    def value(self, hint: Any, value: Any, path: str, owner: type) -> list[ModelError]:
        if isinstance(hint, (ForwardRef, str)):
            resolved = _resolve(hint, owner)
            if resolved is None:
                self.unchecked.add(str(hint))
                return []
            hint = resolved
        if hint is Any:
            return []
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (Union, types.UnionType):
            if value is None:
                return [] if type(None) in args else [self._error(path, "must not be null", hint, value)]
            attempts = [self.value(arg, value, path, owner) for arg in args if arg is not type(None)]
            if any(not attempt for attempt in attempts):
                return []
            best = min(attempts, key=len)
            return best if len(attempts) == 1 else [self._error(path, "matches none of the declared types", hint,
                                                                 value)]
        if value is None:
            return [self._error(path, "must not be null", hint, value)]
        if origin is Literal:
            return [] if value in args else [self._error(path, f"not one of {list(args)}", hint, value)]
        if origin in (list, typing.List):  # noqa: UP006
            if not isinstance(value, list):
                return [self._error(path, "expected a list", hint, value)]
            item = args[0] if args else Any
            return [e for index, v in enumerate(value) for e in self.value(item, v, f"{path}[{index}]", owner)]
        if origin in (dict, typing.Dict):  # noqa: UP006
            if not isinstance(value, dict):
                return [self._error(path, "expected an object", hint, value)]
            item = args[1] if len(args) == 2 else Any
            return [e for key, v in value.items() for e in self.value(item, v, f"{path}.{key}", owner)]
        if isinstance(origin, type) and origin.__name__ == "UntypedStripeObject":
            if not isinstance(value, dict):
                return [self._error(path, "expected an object", hint, value)]
            item = args[0] if args else Any
            return [e for key, v in value.items() for e in self.value(item, v, f"{path}.{key}", owner)]
        if isinstance(origin, type) and origin.__name__ == "ListObject":
            if not isinstance(value, dict) or value.get("object") != "list" or not isinstance(value.get("data"), list):
                return [self._error(path, "expected a list object", hint, value)]
            item = args[0] if args else Any
            return [e for i, v in enumerate(value["data"]) for e in self.value(item, v, f"{path}.data[{i}]", owner)]
        if hint is bool:
            return [] if isinstance(value, bool) else [self._error(path, "expected a boolean", hint, value)]
        if hint is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
            return [] if ok else [self._error(path, "expected an integer", hint, value)]
        if hint is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            return [] if ok else [self._error(path, "expected a number", hint, value)]
        if hint is str:
            return [] if isinstance(value, str) else [self._error(path, "expected a string", hint, value)]
        if isinstance(hint, type) and issubclass(hint, stripe.StripeObject):
            deleted = isinstance(value, dict) and value.get("deleted") is True
            return self.check(hint, value, path, deleted=deleted)
        if isinstance(hint, type) and hint is dict:
            return [] if isinstance(value, dict) else [self._error(path, "expected an object", hint, value)]
        self.unchecked.add(_describe(hint))
        return []

    @staticmethod
    def _error(path: str, message: str, hint: Any, value: Any) -> ModelError:
        return ModelError(path, message, _describe(hint), value)
