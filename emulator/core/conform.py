"""Does a value have the type its annotation says? The check a snapshot document passes before it replaces state.

A restored object is made without calling `__init__`, so nothing else would notice a document that put a number
where a timer heap belongs, a list where metadata belongs, or an infinite clock offset: the namespace would then
fail on its next request. `check(value, hint, path)` walks the value against a type hint — builtins, unions,
`Literal`, `list`/`tuple`/`set`/`dict`/`deque` with their item types, `TypedDict`s, `Callable`s, generic classes
(`Table[Event]` checks its rows), and classes — and raises `Mismatch` with the path of the first value that does
not fit. Objects of state classes are checked against their own annotations (`check_fields`), and may add a
`_check_state()` of their own for what types cannot say (a table's order and its rows agreeing).

Numbers are bounded as the emulator uses them: integers fit 64 bits, floats are finite.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import inspect
import math
import threading
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeVar, Union

INT_BOUND = 2**63
_LOCKS: dict[Any, type] = {threading.Lock: type(threading.Lock()), threading.RLock: type(threading.RLock())}


class Mismatch(ValueError):
    """A value does not have its declared type; the message starts with its path."""


_HINTS: dict[type, dict[str, Any]] = {}


def fields(cls: type) -> dict[str, Any]:
    """The instance attributes `cls` declares (dataclass fields or class-level annotations), with resolved types."""
    found = _HINTS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = {name: hint for name, hint in hints.items()
                 if typing.get_origin(hint) is not ClassVar and hint is not ClassVar}
        if dataclasses.is_dataclass(cls):
            declared = {f.name for f in dataclasses.fields(cls)}
            found = {name: hint for name, hint in found.items() if name in declared}
        _HINTS[cls] = found
    return found


def check_fields(obj: object, path: str) -> None:
    """`obj`'s attributes are exactly the ones its class declares, each of its declared type."""
    declared = fields(type(obj))
    state = vars(obj)
    missing = sorted(set(declared) - set(state))
    if missing:
        raise Mismatch(f"{path}: a {type(obj).__name__} without {missing[0]!r}")
    extra = sorted(set(state) - set(declared))
    if extra:
        raise Mismatch(f"{path}: a {type(obj).__name__} has no attribute {extra[0]!r}")
    for name, hint in declared.items():
        check(state[name], hint, f"{path}.{name}")
    own_check = getattr(obj, "_check_state", None)
    if own_check is not None:
        try:
            own_check()
        except (ValueError, TypeError, KeyError, IndexError) as error:
            raise Mismatch(f"{path}: an inconsistent {type(obj).__name__} ({error})") from None


def _fail(value: Any, expected: str, path: str) -> Mismatch:
    shown = type(value).__name__
    return Mismatch(f"{path}: expected {expected}, found {shown}")


_SHAPES: dict[Any, tuple[Any, tuple[Any, ...]]] = {}
_PLAIN = {str: str, bool: bool, bytes: bytes}


def _shape(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    try:
        return _SHAPES[hint]
    except KeyError:
        found = _SHAPES[hint] = (typing.get_origin(hint), typing.get_args(hint))
        return found
    except TypeError:  # an unhashable hint
        return typing.get_origin(hint), typing.get_args(hint)


def check(value: Any, hint: Any, path: str) -> None:
    if hint is Any or hint is object or isinstance(hint, TypeVar):
        return
    if _PLAIN.get(hint) is type(value):  # the common case, decided at once
        return
    if hint is None or hint is type(None):
        if value is not None:
            raise _fail(value, "null", path)
        return
    origin, args = _shape(hint)
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return
        _check_union(value, args, path)
        return
    if origin is Literal:
        allowed = args
        if value not in allowed or type(value) not in {type(arm) for arm in allowed}:
            raise Mismatch(f"{path}: {value!r} is not one of {list(allowed)}")
        return
    if origin is not None:
        _check_generic(value, origin, args, path)
        return
    if typing.is_typeddict(hint):
        _check_typeddict(value, hint, path)
        return
    if hint in (int, float, bool, str, bytes):
        _check_scalar(value, hint, path)
        return
    if hint in _LOCKS:
        if type(value) is not _LOCKS[hint]:
            raise _fail(value, "a lock", path)
        return
    if isinstance(hint, type):
        if not isinstance(value, hint):
            raise _fail(value, hint.__name__, path)
        return
    raise Mismatch(f"{path}: cannot check against {hint!r}")  # a state class declared a type this module lacks


def _check_union(value: Any, arms: tuple[Any, ...], path: str) -> None:
    for arm in arms:
        try:
            check(value, arm, path)
            return
        except Mismatch:
            continue
    # a union has two arms or more (`Union[X]` is X), so the message names them all
    names = [getattr(arm, "__name__", str(arm)) for arm in arms]
    raise Mismatch(f"{path}: {type(value).__name__} fits none of {names}")


def _check_scalar(value: Any, hint: type, path: str) -> None:
    if hint is bool:
        if not isinstance(value, bool):
            raise _fail(value, "a boolean", path)
    elif hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(value, "an integer", path)
        if not -INT_BOUND <= value < INT_BOUND:
            raise Mismatch(f"{path}: an integer out of range")
    elif hint is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _fail(value, "a number", path)
        if not math.isfinite(value) or (isinstance(value, int) and not -INT_BOUND <= value < INT_BOUND):
            raise Mismatch(f"{path}: a number out of range")
    elif not isinstance(value, hint):
        raise _fail(value, hint.__name__, path)


_CONTAINERS: dict[Any, type] = {list: list, set: set, frozenset: frozenset, collections.deque: collections.deque,
                                 collections.abc.Sequence: list, collections.abc.Set: set,
                                 collections.abc.MutableSet: set}


def _check_generic(value: Any, origin: Any, args: tuple[Any, ...], path: str) -> None:
    if origin in _CONTAINERS:
        kinds: tuple[type, ...] = (list, tuple) if origin is collections.abc.Sequence else (_CONTAINERS[origin],)
        if origin in (collections.abc.Set, collections.abc.MutableSet):
            kinds = (set, frozenset)
        if not isinstance(value, kinds):
            raise _fail(value, _CONTAINERS[origin].__name__, path)
        items: Any = value
        for index, item in enumerate(items):
            check(item, args[0] if args else Any, f"{path}[{index}]")
        return
    if origin is tuple:
        if not isinstance(value, tuple):
            raise _fail(value, "tuple", path)
        if len(args) == 2 and args[1] is Ellipsis:
            for index, item in enumerate(value):
                check(item, args[0], f"{path}[{index}]")
            return
        if len(value) != len(args):
            raise Mismatch(f"{path}: expected a tuple of {len(args)}, found {len(value)} items")
        for index, (item, arm) in enumerate(zip(value, args, strict=True)):
            check(item, arm, f"{path}[{index}]")
        return
    if origin in (dict, collections.abc.Mapping, collections.abc.MutableMapping):
        if not isinstance(value, dict):
            raise _fail(value, "dict", path)
        key_hint, value_hint = args if args else (Any, Any)
        for key, item in value.items():
            check(key, key_hint, f"{path}<key>")
            check(item, value_hint, f"{path}[{key!r}]")
        return
    if origin is collections.abc.Callable:
        check_callable(value, path)
        if args and isinstance(args[0], list):
            _check_arity(value, len(args[0]), path)
        return
    if isinstance(origin, type):  # a generic class: Table[Event]
        if not isinstance(value, origin):
            raise _fail(value, origin.__name__, path)
        rows = getattr(value, "_check_rows", None)
        if rows is not None and args:
            row_hint = args[0]
            rows(lambda row, where: check(row, row_hint, where), path)
        return
    raise Mismatch(f"{path}: cannot check against {origin!r}")


def _check_typeddict(value: Any, hint: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise _fail(value, "an object", path)
    declared = typing.get_type_hints(hint)
    for name in sorted(hint.__required_keys__):
        if name not in value:
            raise Mismatch(f"{path}: missing {name!r}")
    for name, item in value.items():
        if name not in declared:
            raise Mismatch(f"{path}: unexpected {name!r}")
        check(item, declared[name], f"{path}.{name}")


def check_callable(value: Any, path: str) -> None:
    """A function, a bound method, or a partial whose arguments fit the function's annotations."""
    if isinstance(value, functools.partial):
        target = value.func
        if not isinstance(target, (types.FunctionType, types.MethodType)):
            raise Mismatch(f"{path}: a partial of a {type(target).__name__}")
        check_arguments(target, value.args, value.keywords, path)
        return
    if not isinstance(value, (types.FunctionType, types.MethodType)):
        raise _fail(value, "a function", path)


def _check_arity(value: Any, count: int, path: str) -> None:
    try:
        inspect.signature(value).bind(*([None] * count))
    except TypeError:
        raise Mismatch(f"{path}: a callable that cannot be called with {count} argument(s)") from None


def check_arguments(function: Callable[..., Any], args: tuple[Any, ...], keywords: dict[str, Any], path: str) -> None:
    """`function(*args, **keywords, …)` binds, and every argument has its parameter's annotated type."""
    signature = inspect.signature(function)
    try:
        bound = signature.bind_partial(*args, **keywords)
    except TypeError as error:
        raise Mismatch(f"{path}: arguments that {getattr(function, '__qualname__', 'it')} does not take "
                       f"({error})") from None
    hints = typing.get_type_hints(function)
    for name, argument in bound.arguments.items():
        parameter = signature.parameters[name]
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        check(argument, hints.get(name, Any), f"{path}.{name}")
