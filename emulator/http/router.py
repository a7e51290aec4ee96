"""Starlette's router with an index in front: a request is matched against the routes that can match its path —
those with as many segments and the same first two literal segments — instead of every route in turn. The order of
the routes, and so which one wins, is Starlette's; a request none of them takes falls back to Starlette's own
matching (its 404 and 405 answers unchanged)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

try:
    from starlette._utils import get_route_path as _route_path
except ImportError:  # pragma: no cover - Starlette before 0.33 matched on the whole path
    _route_path = None  # type: ignore[assignment]


def route_path(scope: Scope) -> str:
    """The path routes match against (without the app's root path)."""
    return str(scope["path"]) if _route_path is None else _route_path(scope)

Key = tuple[int, str, str]
MAX_MATCHES = 4096
"""Requests' matches are remembered by (method, path), up to this many (then forgotten all at once): a retrieve
asked again — what a test suite and a polling client do — is not matched against the routes again."""
MAX_SEGMENTS = 16
"""Candidate lists are kept for paths of up to this many segments (deeper than any route): the number kept is then
bounded by the route table, not by what clients send."""


def _segments(path: str) -> list[str]:
    return path.split("/")


def _key(segments: list[str]) -> Key | None:
    """(segment count, first two segments after the leading `/`) when both are literal; None otherwise."""
    if len(segments) < 3 or "{" in segments[1] or "{" in segments[2]:
        return None
    return len(segments), segments[1], segments[2]


class IndexedRouter(Router):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: dict[Key, list[BaseRoute]] = {}
        self._by_count: dict[int, list[BaseRoute]] = {}
        self._everywhere: list[BaseRoute] = []
        self._positions: dict[int, int] = {}
        self._ordered: dict[tuple[Key | None, int], list[BaseRoute]] = {}
        self._matched: dict[tuple[str, str], tuple[BaseRoute, Scope, Match] | None] = {}
        self.reindex()

    def reindex(self) -> None:
        """Build the index from `routes` (call after changing them)."""
        self._index, self._by_count, self._everywhere, self._ordered = {}, {}, [], {}
        self._matched = {}
        self._positions = {id(route): position for position, route in enumerate(self.routes)}
        for route in self.routes:
            path = route.path if isinstance(route, Route) else None
            if path is None or ":path}" in path:  # mounts and catch-alls may match any path
                self._everywhere.append(route)
                continue
            segments = _segments(path)
            key = _key(segments)
            if key is None:
                self._by_count.setdefault(len(segments), []).append(route)
            else:
                self._index.setdefault(key, []).append(route)

    def candidates(self, path: str) -> list[BaseRoute]:
        """The routes that can match `path`, in the route table's order."""
        segments = _segments(path)
        key = _key(segments)
        if key not in self._index:
            key = None  # no route has these literal segments: only the segment count matters
        chosen = (key, len(segments))
        found = self._ordered.get(chosen)
        if found is None:  # kept per (index key, segment count): as many as the route table has, whatever is asked
            found = [*(self._index[key] if key is not None else ()), *self._by_count.get(len(segments), ()),
                     *self._everywhere]
            found.sort(key=lambda route: self._positions[id(route)])
            if len(segments) <= MAX_SEGMENTS:
                self._ordered[chosen] = found
        return found

    def find(self, scope: Scope) -> tuple[BaseRoute, Scope, Match] | None:
        """What Starlette's scan would choose for this request: the first full match, else the first partial one
        (a method the path does not have), with what the match adds to the scope; None when no route takes it."""
        path = route_path(scope)
        key = (scope["method"], path)
        if "path_params" not in scope:  # a top-level request: its match depends on its method and path only
            try:
                found = self._matched[key]
            except KeyError:
                pass
            else:
                return None if found is None else (found[0], _fresh(found[1]), found[2])
        partial: tuple[BaseRoute, Scope, Match] | None = None
        chosen: tuple[BaseRoute, Scope, Match] | None = None
        for route in self.candidates(path):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                chosen = (route, child_scope, match)
                break
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope, match)
        chosen = chosen or partial
        if "path_params" not in scope and len(path) <= 512:
            if len(self._matched) >= MAX_MATCHES:
                self._matched = {}
            self._matched[key] = None if chosen is None else (chosen[0], _fresh(chosen[1]), chosen[2])
        return chosen

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.find(scope) if scope["type"] == "http" else None
        if found is None:
            await super().app(scope, receive, send)  # Starlette's own answer (lifespan, and what no route takes)
            return
        route, child_scope, _ = found
        scope.setdefault("router", self)
        scope["route"] = route
        scope.update(child_scope)
        await route.handle(scope, receive, send)


def _fresh(child_scope: Scope) -> Scope:
    """A match's scope additions, copied: each request changes its own `path_params`."""
    fresh = dict(child_scope)
    if "path_params" in fresh:
        fresh["path_params"] = dict(fresh["path_params"])
    return fresh
