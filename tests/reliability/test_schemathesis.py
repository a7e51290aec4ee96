"""Schemathesis against the emulator's own OpenAPI document (`/_emulator/openapi.json`, generated from the same
parameter specs the endpoints validate with), for a GA and a preview version: whatever it sends, no 5xx, the status
and content type are declared, errors have Stripe's shape, and every successful response passes the contract check
against Stripe's published schemas (the `stripe_contract` recorder wraps the app).

Bounded for CI: `STRIPE_FC_SCHEMATHESIS_EXAMPLES` (default 8) examples per operation."""

from __future__ import annotations

import datetime
import os
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

import tests.hypothesis_profiles  # noqa: F401  (the suite's hypothesis profile, before any settings are made)
from emulator.core.versions import NEWEST_GA
from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.triggers.runner import encode
from harness.asgi import AsgiCaller
from harness.contract.recorder import ContractRecorder

pytest_plugins = ("schemathesis.pytest.plugin",)
"""Schemathesis's pytest plugin (what makes `@schema.parametrize()` tests), registered here: the project's `addopts`
keep its entry point from loading into every pytest process (`-p no:schemathesis`, a fifth of a second each)."""

EXAMPLES = int(os.environ.get("STRIPE_FC_SCHEMATHESIS_EXAMPLES", "8"))
PREVIEW = "2026-09-30.preview"
APP = create_app(Settings(seed=13, allowed_hosts=("testserver",)))  # the Host schemathesis loads with
GA_SCHEMA = schemathesis.openapi.from_asgi(f"/_emulator/openapi.json?version={NEWEST_GA}", APP)
PREVIEW_SCHEMA = schemathesis.openapi.from_asgi(f"/_emulator/openapi.json?version={PREVIEW}", APP)
STATS: dict[str, int] = {"cases": 0, "server_errors": 0}


def _blanks_unset(value: Any) -> Any:
    """Empty hashes and arrays, and nulls, as `""` (which the emulator's `encode` then sends) instead of nothing."""
    if isinstance(value, dict):
        return {key: _blanks_unset(inner) for key, inner in value.items()} if value else ""
    if isinstance(value, list):
        return [_blanks_unset(inner) for inner in value] if value else ""
    return "" if value is None else value


def stripe_form(value: Any) -> str:
    """Parameters written the way the Stripe SDKs write them (`a[b][0]=v`). Schemathesis's own form and
    `deepObject` serialization drops values that do not fit the declared style (a string where a hash is declared),
    so a negative case could reach the emulator as a valid request; written this way every generated value arrives.
    An empty hash or array is sent as `""` (Stripe's "unset") for the same reason."""
    if not isinstance(value, dict) or not value:
        return urlencode([("", "" if value is None or value == {} else str(value))])
    return urlencode(encode(_blanks_unset(value)))


_CALLERS: dict[int, AsgiCaller] = {}


def _caller(app: Any, recorder: ContractRecorder | None) -> AsgiCaller:
    """One in-process caller per recorder (a thread and an event loop each: too slow to make per case)."""
    key = id(recorder)
    if key not in _CALLERS:
        _CALLERS[key] = AsgiCaller(app)
    return _CALLERS[key]


@pytest.fixture(scope="module", autouse=True)
def _close_callers() -> Any:
    yield
    for caller in _CALLERS.values():
        caller.close()
    _CALLERS.clear()


def _run(case: Any, version: str, recorder: ContractRecorder | None) -> None:
    headers = {"Authorization": "Bearer sk_test_schemathesis", "Stripe-Version": version}
    app: Any = APP if recorder is None else recorder.wrap(APP)
    mark = recorder.mark() if recorder is not None else 0
    query = stripe_form(case.query) if case.query else ""
    sent = {k: str(v) for k, v in (case.headers or {}).items()}
    has_auth = any(k.lower() == "authorization" for k in sent)
    sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
    # the case's Authorization (a random token) is replaced by a real test key; a case without one stays without
    sent.update(headers if has_auth else {"Stripe-Version": version})
    content: bytes | None = None
    if case.body is not NOT_SET:
        content = stripe_form(case.body).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    url = case.formatted_path + (f"?{query}" if query else "")
    caller = _caller(app, recorder)
    started = time.perf_counter()
    answered = caller.request(case.method, url, headers=sent, body=content)
    answered_ms = (time.perf_counter() - started) * 1000
    shown = url if len(url) < 60_000 else case.operation.path  # httpx refuses longer URLs (this is for reports)
    response = httpx.Response(answered.status, headers=answered.headers, content=answered.body,
                              request=httpx.Request(case.method, f"http://testserver{shown}", headers=sent,
                                                    content=content))
    response.elapsed = datetime.timedelta(milliseconds=answered_ms)
    STATS["cases"] += 1
    if response.status_code >= 500:
        STATS["server_errors"] += 1
    # Left out, as Stripe's own API would fail them too: `unsupported_method` (Stripe answers a method a path does
    # not have with 404 "Unrecognized request URL", not 405) and `positive_data_acceptance` (rules between fields —
    # one of two parameters, paths that can be expanded, ids that must exist — are not expressible in OpenAPI 3.0,
    # so schema-valid requests may get a Stripe-shaped 400). The reverse direction, `negative_data_rejection`
    # (what the document says is invalid must be refused), is on.
    case.validate_response(response, headers=headers, excluded_checks=[unsupported_method, positive_data_acceptance])
    if recorder is not None:
        violations = recorder.since(mark)
        assert not violations, "\n".join(str(v) for v in violations)


BUDGET = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@GA_SCHEMA.parametrize()
@BUDGET
def test_schemathesis_ga_version(case: Any, stripe_contract: ContractRecorder | None) -> None:
    _run(case, NEWEST_GA, stripe_contract)


@PREVIEW_SCHEMA.parametrize()
@BUDGET
def test_schemathesis_preview_version(case: Any, stripe_contract: ContractRecorder | None) -> None:
    _run(case, PREVIEW, stripe_contract)


def test_openapi_document_follows_the_version() -> None:
    from harness.asgi import AsgiCaller

    caller = AsgiCaller(APP)
    try:
        ga = caller.request("GET", f"/_emulator/openapi.json?version={NEWEST_GA}").json()
        preview = caller.request("GET", f"/_emulator/openapi.json?version={PREVIEW}").json()
        bad = caller.request("GET", "/_emulator/openapi.json?version=yesterday")
    finally:
        caller.close()
    authorizations = "/v1/financial_connections/authorizations/{id}"
    assert authorizations in preview["paths"] and authorizations not in ga["paths"]  # preview-only resource
    ga_session = ga["paths"]["/v1/financial_connections/sessions"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["schema"]
    preview_session = preview["paths"]["/v1/financial_connections/sessions"]["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["schema"]
    assert "relink_options" in preview_session["properties"] and "relink_options" not in ga_session["properties"]
    assert "account_holder" in ga_session["required"] and "account_holder" not in preview_session.get("required", [])
    assert bad.status == 400 and bad.json()["error"]["param"] == "version"


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
