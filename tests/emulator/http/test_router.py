"""The indexed router picks, for every path the route table knows, the route Starlette's own scan picks; what no
route takes gets Starlette's (the emulator's) answer unchanged."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Match, Route

from emulator.http.app import create_app
from emulator.http.router import MAX_MATCHES, MAX_SEGMENTS, IndexedRouter
from emulator.settings import Settings
from harness.asgi import AsgiCaller

APP = create_app()
ROUTER = APP.router
assert isinstance(ROUTER, IndexedRouter)


def concrete(template: str) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: f"{m.group(1)}_1", template)


def scanned(scope: dict[str, object]) -> Route | None:
    """What Starlette's router would choose: the first full match, else the first partial one."""
    partial = None
    for route in ROUTER.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route  # type: ignore[return-value]
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial  # type: ignore[return-value]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_router_index_chooses_what_the_scan_chooses_for_every_route(method: str) -> None:
    paths = [concrete(route.path) for route in ROUTER.routes if isinstance(route, Route)]
    assert len(paths) > 50
    for path in paths + ["/v1/customers/search", "/v1/payment_methods/pm_1/attach", "/v3/stripe.js"]:
        scope = {"type": "http", "path": path, "method": method, "root_path": ""}
        expected = scanned(scope)
        found = ROUTER.find(scope)
        chosen = None if found is None else found[0]
        assert chosen is expected, (method, path, getattr(chosen, "path", None), getattr(expected, "path", None))

def test_router_falls_back_for_paths_no_route_takes() -> None:
    caller = AsgiCaller(APP)
    headers = {"Authorization": "Bearer sk_test_router"}
    try:
        for path in ("/v1/customers/", "/v1/nothing/here", "/", "/v1"):
            found = caller.request("GET", path, headers=headers)
            assert found.status == 404 and found.json()["error"]["message"].startswith("Unrecognized request URL")
        assert caller.request("GET", "/v1/customers", headers=headers).status == 200
    finally:
        caller.close()


def test_the_candidates_kept_are_bounded_by_the_route_table_not_by_what_clients_ask() -> None:
    app = create_app(Settings(seed=1))
    router = app.router
    assert isinstance(router, IndexedRouter)
    for index in range(3000):  # paths no route has, of every depth, and ids under real routes
        router.candidates(f"/v1/nothing{index}/{index}" + "/x" * (index % 40))
        router.candidates(f"/v1/customers/cus_{index}")
    kept = len(router._ordered)
    assert kept <= len(router._index) * MAX_SEGMENTS + MAX_SEGMENTS
    # and what is kept is what a fresh computation gives
    fresh = IndexedRouter(routes=router.routes)
    for path in ("/v1/customers/cus_1", "/v1/financial_connections/accounts/fca_1", "/v1/zzz/1/2"):
        assert router.candidates(path) == fresh.candidates(path)


def test_a_remembered_match_is_the_scans_and_each_request_gets_its_own_path_params() -> None:
    router = ROUTER
    scope = {"type": "http", "path": "/v1/customers/cus_remembered", "method": "GET", "root_path": ""}
    first = router.find(dict(scope))
    assert first is not None and first[2] is Match.FULL
    first[1]["path_params"]["id"] = "changed by the first request"
    again = router.find(dict(scope))
    assert again is not None and again[0] is first[0] and again[1]["path_params"] != first[1]["path_params"]
    assert again[0] is scanned(scope)
    put = {**scope, "method": "PUT"}  # the same path, a method it does not have: the scan's partial match
    found = router.find(dict(put))
    assert found is not None and found[2] is Match.PARTIAL and found[0] is scanned(put)


def test_the_matches_remembered_are_bounded_whatever_clients_ask() -> None:
    app = create_app(Settings(seed=1))
    router = app.router
    assert isinstance(router, IndexedRouter)
    for index in range(MAX_MATCHES + 500):
        router.find({"type": "http", "path": f"/v1/customers/cus_{index}", "method": "GET", "root_path": ""})
        assert len(router._matched) <= MAX_MATCHES
    long_path = "/v1/customers/" + "c" * 2000
    router.find({"type": "http", "path": long_path, "method": "GET", "root_path": ""})
    assert ("GET", long_path) not in router._matched  # long paths are matched each time, never kept
