"""Stripe's search query language (the `…/search` endpoints), for the fields a resource indexes.

A query is clauses joined by `AND` or by `OR` (not both; at most 10). A clause is `field:value` (exact; strings
compare case-insensitively), `field~value` (a string contains the value, at least 3 characters), or for numeric
fields `field>value`, `<`, `>=`, `<=`, `=`; a leading `-` negates it. String values are quoted (`'…'` or `"…"`,
backslash escapes the quote), numbers are not; `null` matches a field without a value. Metadata is addressed as
`metadata['key']` (exact values). Anything else is a Stripe-shaped 400 naming `query`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from emulator.core.errors import InvalidRequestError

T = TypeVar("T")
MAX_CLAUSES = 10
STRING, NUMERIC, METADATA = "string", "numeric", "metadata"
_CLAUSE = re.compile(
    r"""(?P<neg>-)?(?:metadata\[(?:'(?P<mk1>[^']*)'|"(?P<mk2>[^"]*)")\]|(?P<field>[a-z_]+(?:\.[a-z_0-9]+)*))"""
    r"""(?P<op>>=|<=|:|~|>|<|=)"""
    r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|null)"""
)
_JOINER = re.compile(r"\s+(AND|OR)\s+")


@dataclass(frozen=True)
class Clause:
    field: str
    key: str | None  # metadata's key
    op: str
    value: str | float | None
    negated: bool


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    any_of: bool  # joined with OR (else AND)

    def matches(self, value_of: Callable[[str, str | None], Any]) -> bool:
        results = (_holds(clause, value_of(clause.field, clause.key)) != clause.negated for clause in self.clauses)
        return any(results) if self.any_of else all(results)


def _invalid(resource: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(f"The search query is invalid: {why}. See https://docs.stripe.com/search#search-query-"
                               f"language and the query fields for {resource}.", param="query")


def parse(text: str, fields: Mapping[str, str], resource: str) -> Query:
    """`text` as a query over `fields` (name -> STRING, NUMERIC or METADATA) of `resource` (e.g. "customers")."""
    text = text.strip()
    if not text:
        raise _invalid(resource, "it is empty")
    clauses: list[Clause] = []
    joiners: set[str] = set()
    position = 0
    while True:
        found = _CLAUSE.match(text, position)
        if found is None:
            raise _invalid(resource, f"it cannot be read from {text[position:position + 40]!r} on")
        clauses.append(_clause(found, fields, resource))
        position = found.end()
        if position == len(text):
            break
        joined = _JOINER.match(text, position)
        if joined is None:
            raise _invalid(resource, f"clauses are joined with AND or OR (found {text[position:position + 20]!r})")
        joiners.add(joined.group(1))
        position = joined.end()
    if len(joiners) > 1:
        raise _invalid(resource, "AND and OR cannot be combined in one query")
    if len(clauses) > MAX_CLAUSES:
        raise _invalid(resource, f"it has {len(clauses)} clauses, more than {MAX_CLAUSES}")
    return Query(tuple(clauses), joiners == {"OR"})


def _clause(found: re.Match[str], fields: Mapping[str, str], resource: str) -> Clause:
    key = found.group("mk1") if found.group("mk1") is not None else found.group("mk2")
    field = "metadata" if key is not None else found.group("field")
    kind = fields.get(field)
    if kind is None or (kind == METADATA) != (key is not None):
        raise InvalidRequestError(
            f"Field `{field}` is an unsupported search field for resource `{resource}`. See "
            f"https://docs.stripe.com/search#query-fields-for-{resource} for a list of supported fields.",
            param="query")
    op, raw = found.group("op"), found.group("value")
    value: str | float | None
    if raw == "null":
        value = None
        if op != ":":
            raise _invalid(resource, f"null is compared with `:` only ({field}{op}null)")
    elif raw[0] in "'\"":
        value = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if kind == NUMERIC:
            raise _invalid(resource, f"`{field}` is numeric: compare it with a number, unquoted")
    else:
        if kind != NUMERIC:
            raise _invalid(resource, f"`{field}` takes a quoted string")
        value = float(raw)
    if op in (">", "<", ">=", "<=", "=") and kind != NUMERIC:
        raise _invalid(resource, f"`{op}` compares numeric fields; `{field}` is not one")
    if op == "~":
        if kind != STRING:
            raise _invalid(resource, f"`~` (substring) applies to string fields; `{field}` is not one")
        if not isinstance(value, str) or len(value) < 3:
            raise _invalid(resource, "a substring search (`~`) needs at least 3 characters")
    return Clause(field, key, op, value, found.group("neg") is not None)


def _holds(clause: Clause, actual: Any) -> bool:
    if clause.value is None:
        return actual is None or actual == ""
    if actual is None:
        return False
    if isinstance(clause.value, float):
        number = float(actual)
        return {":": number == clause.value, "=": number == clause.value, ">": number > clause.value,
                "<": number < clause.value, ">=": number >= clause.value, "<=": number <= clause.value}[clause.op]
    if clause.key is not None:  # metadata values match exactly
        return str(actual) == clause.value
    if clause.op == "~":
        return clause.value.casefold() in str(actual).casefold()
    return str(actual).casefold() == clause.value.casefold()


def results(rows: Iterable[T], query: Query, page: str | None, limit: int, *,
            value_of: Callable[[T, str, str | None], Any],
            render: Callable[[T], dict[str, Any]], url: str) -> dict[str, Any]:
    """A search's answer: the `rows` (newest first) the query matches, `limit` of them from the cursor `page` on,
    `next_page` the cursor after them. Unlike Stripe's index, the emulator's is never behind."""
    offset = page_offset(page)
    found: list[dict[str, Any]] = []
    seen = 0
    has_more = False
    for row in rows:
        if not query.matches(lambda field, key: value_of(row, field, key)):  # noqa: B023 - used at once
            continue
        if seen >= offset + limit:
            has_more = True
            break
        if seen >= offset:
            found.append(render(row))
        seen += 1
    return {"object": "search_result", "data": found, "has_more": has_more,
            "next_page": page_token(offset + limit) if has_more else None, "url": url}


def page_token(offset: int) -> str:
    """`next_page`: an opaque cursor (the offset into the results, newest first)."""
    return base64.urlsafe_b64encode(f"search:{offset}".encode()).decode().rstrip("=")


def page_offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    kind, _, number = decoded.partition(":")
    if kind != "search" or not number.isdigit():
        raise InvalidRequestError(f"Invalid page: {token[:40]!r} is not a next_page value this search returned.",
                                  param="page")
    return int(number)
