"""`expand[]`: replace ids by the objects they name, along dotted paths, up to four levels deep.

Each object type declares which of its (possibly nested) fields hold expandable ids. Lists are walked through
`data` (`expand[]=data.customer` on a list, `accounts.data.ownership` inside a session).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.core import messages
from emulator.core.errors import InvalidRequestError

MAX_DEPTH = 4

Resolver = Callable[[str, str], dict[str, Any] | None]
"""(object type, id) -> the rendered object, or None when it does not exist."""

Expandable = Mapping[str, Mapping[str, str]]
"""object type -> {dotted field path -> object type of the id stored there}."""


def expand(obj: dict[str, Any], paths: list[str], expandable: Expandable, resolve: Resolver) -> dict[str, Any]:
    for path in paths:
        segments = path.split(".")
        if len(segments) > MAX_DEPTH:
            raise InvalidRequestError(messages.EXPAND_TOO_DEEP.format(maximum=MAX_DEPTH, path=path), param="expand")
        _expand(obj, segments, expandable, resolve)
    return obj


def _expand(obj: dict[str, Any], segments: list[str], expandable: Expandable, resolve: Resolver) -> None:
    if not segments:
        return
    if obj.get("object") == "list" and segments[0] == "data":
        for item in obj.get("data", []):
            if isinstance(item, dict):
                _expand(item, segments[1:], expandable, resolve)
        return
    fields = expandable.get(str(obj.get("object")), {})
    for field_path, target in fields.items():
        parts = field_path.split(".")
        if segments[: len(parts)] != parts:
            continue
        holder = obj
        for part in parts[:-1]:
            nested = holder.get(part)
            if not isinstance(nested, dict):
                return  # a null sub-object: nothing to expand
            holder = nested
        value = holder.get(parts[-1])
        if isinstance(value, str):
            expanded = resolve(target, value)
            if expanded is not None:
                holder[parts[-1]] = value = expanded
        if isinstance(value, dict):
            _expand(value, segments[len(parts) :], expandable, resolve)
        return
    # not an expandable id here: a plain sub-object may still lead to one (e.g. `account_holder.customer`)
    head = segments[0]
    nested = obj.get(head)
    if isinstance(nested, dict) and "object" in nested and len(segments) > 1:
        _expand(nested, segments[1:], expandable, resolve)
        return
    raise InvalidRequestError(messages.EXPAND_UNEXPANDABLE.format(field=".".join(segments)), param="expand")
