"""Decode Stripe's form encoding (bodies and query strings) into nested dicts and lists.

Accepted, as Stripe accepts them: nested hashes `a[b][c]=v`; arrays as indexed keys `a[0]=v` (what the Python
SDK sends), as `a[]=v` (curl, stripe-node) and as a repeated bare key `a=v&a=w`; arrays of hashes
`a[0][k]=v` or `a[][k]=v`. Values stay strings; `""` is kept (it means "unset") and the parameter specs decide
types. Indexed keys decode to a dict of digit strings: only the spec knows whether `a[0]` is an array item or a
hash key named "0" (metadata may have such keys), so `spec.Array` turns such dicts into lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from emulator.core import messages
from emulator.core.errors import InvalidRequestError

FormValue = str | list["FormValue"] | dict[str, "FormValue"]
FormDict = dict[str, FormValue]

MAX_PAIRS = 10_000
MAX_DEPTH = 16
APPEND = ""  # the segment produced by `[]`
_T = TypeVar("_T")


def parse_key(key: str) -> list[str]:
    """`a[b][]` -> ['a', 'b', '']. A key that is not well-formed brackets is taken literally."""
    head, sep, rest = key.partition("[")
    if not sep or not head:
        return [key]
    segments = [head]
    rest = "[" + rest
    while rest:
        if not rest.startswith("["):
            return [key]
        close = rest.find("]")
        if close < 0:
            return [key]
        segments.append(rest[1:close])
        rest = rest[close + 1 :]
    return segments


def _render(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


def _conflict(path: list[str]) -> InvalidRequestError:
    param = _render(path)
    return InvalidRequestError(messages.CONFLICTING_PARAM_FORMS.format(param=param), param=param)


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> FormDict:
    result: FormDict = {}
    for count, (key, value) in enumerate(pairs, start=1):
        if count > MAX_PAIRS:
            raise InvalidRequestError(messages.TOO_MANY_PARAMS.format(maximum=MAX_PAIRS))
        if key and "[" not in key and key not in result:  # a plain key, first seen (most are): what `_put` does
            result[key] = value
            continue
        segments = parse_key(key)
        if len(segments) > MAX_DEPTH:
            raise InvalidRequestError(messages.PARAMETER_UNKNOWN.format(param=key), code="parameter_unknown", param=key)
        _put(result, segments, value, [])
    return result


def _put(node: FormDict, segments: list[str], value: str, path: list[str]) -> None:
    segment, rest = segments[0], segments[1:]
    path = [*path, segment]
    if segment == APPEND:
        raise _conflict(path)
    existing = node.get(segment)
    if not rest:
        if existing is None:
            node[segment] = value
        elif isinstance(existing, str):
            node[segment] = [existing, value]  # a bare key repeated: an array
        elif isinstance(existing, list) and all(isinstance(item, str) for item in existing):
            existing.append(value)
        else:
            raise _conflict(path)
        return
    if rest[0] == APPEND:
        if existing is None:
            existing = node[segment] = []
        if not isinstance(existing, list):
            raise _conflict(path)
        tail = rest[1:]
        if not tail:
            if existing and not isinstance(existing[-1], str):
                raise _conflict(path)
            existing.append(value)
            return
        element = existing[-1] if existing else None
        if not isinstance(element, dict) or _occupied(element, tail):
            if element is not None and not isinstance(element, dict):
                raise _conflict(path)
            element = {}
            existing.append(element)
        _put(element, tail, value, [*path, APPEND])
        return
    if existing is None:
        existing = node[segment] = {}
    if not isinstance(existing, dict):
        raise _conflict(path)
    _put(existing, rest, value, path)


def _occupied(element: FormDict, tail: list[str]) -> bool:
    """Whether `a[][k]...` must start a new array element because `k...` is already set in the last one."""
    head = tail[0]
    if head not in element:
        return False
    inner = element[head]
    if len(tail) == 1 or not isinstance(inner, dict) or tail[1] == APPEND:
        return True
    return _occupied(inner, tail[1:])


def pairs(text: str) -> list[tuple[str, str]]:
    """`urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")`, without its generic work (a test
    holds the two equal): fields split on `&`, empty ones skipped, a name without `=` has the value `""`, `+` is a
    space, percent-escapes are UTF-8 (UnicodeDecodeError otherwise)."""
    found: list[tuple[str, str]] = []
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        found.append((name, value))
    return found


_HEX = {f"{high}{low}": bytes([int(f"{high}{low}", 16)])
        for high in "0123456789abcdefABCDEF" for low in "0123456789abcdefABCDEF"}
"""Each two-digit escape, in either case, to its byte."""


def unquote(text: str) -> str:
    """`urllib.parse.unquote(text, errors="strict")` — `%XX` escapes are UTF-8 bytes, a `%` not followed by two hex
    digits stays as it is, UnicodeDecodeError otherwise — in half its time: the escapes looked up, not matched."""
    head, *rest = text.split("%")
    found = [head.encode()]
    for part in rest:
        byte = _HEX.get(part[:2])
        if byte is None:
            found += (b"%", part.encode())
        else:
            found += (byte, part[2:].encode())
    return b"".join(found).decode("utf-8")


def decode(raw: bytes | str) -> FormDict:
    """Decode a body or query string. Non-UTF-8 bytes are a 400, never a crash."""
    if not raw:
        return {}
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequestError(messages.NOT_UTF8) from exc
    else:
        text = raw
    try:
        found = pairs(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestError(messages.NOT_UTF8) from exc
    plain = _plain(found)
    return plain if plain is not None else decode_pairs(found)


def _plain(found: list[tuple[str, str]]) -> FormDict | None:
    """`decode_pairs(found)` for distinct plain keys (no brackets: most requests), made by the dict constructor;
    None for any other form (a test holds the two equal)."""
    result: FormDict = dict(found)
    if len(result) != len(found) or len(found) > MAX_PAIRS or "" in result or "[" in "".join(result):
        return None
    return result


def merge(first: FormDict, second: FormDict) -> FormDict:
    """Query-string params and body params together (the body wins on a clash, as a later key would)."""
    merged: FormDict = dict(first)
    merged.update(second)
    return merged


def canonical(form: FormValue) -> str:
    """A stable string of decoded params, used to compare idempotent requests."""
    if isinstance(form, str):
        return repr(form)
    if isinstance(form, list):
        return "[" + ",".join(canonical(v) for v in form) + "]"
    return "{" + ",".join(f"{k!r}:{canonical(form[k])}" for k in sorted(form)) + "}"


def copy_data(value: _T) -> _T:
    """A copy of request data as the resources keep it (dicts and lists of strings, numbers, booleans, None): what
    `copy.deepcopy` gives for such data, several times faster (no memo, no dispatch). Anything else is an immutable
    scalar here and is shared."""
    data: Any = value
    if type(data) is dict:
        return {key: copy_data(inner) for key, inner in data.items()}  # type: ignore[return-value]
    if type(data) is list:
        return [copy_data(inner) for inner in data]  # type: ignore[return-value]
    return value
