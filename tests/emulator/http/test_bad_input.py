"""Random bodies, query strings, paths and headers: never a 5xx, always Stripe's error shape, and a 4xx never
changes a namespace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.hypothesis_profiles  # noqa: F401  (the suite's hypothesis profile, before any settings are made)
from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from harness.contract.recorder import ContractRecorder
from tests.conftest import Api, checked, digest

PATHS = ["/v1/customers", "/v1/customers/{id}", "/v1/events", "/v1/events/{id}", "/_emulator/clock",
         "/_emulator/reset", "/_emulator/requests", "/v1/customers/{id}/nope", "/v1/%ff", "/v1/customers/%00",
         "/v1/financial_connections/sessions", "/v1/financial_connections/accounts",
         "/v1/financial_connections/accounts/fca_x/refresh",
         "/v1/test_helpers/financial_connections/sessions/x/complete",
         "/v1/setup_intents", "/v1/setup_intents/seti_x/confirm", "/v1/tokens", "/v1/payment_methods",
         "/v1/accounts/acct_x/external_accounts"]
KEYS = ["name", "email", "balance", "metadata", "metadata[k]", "metadata[]", "address[city]", "address",
        "shipping[name]", "expand[]", "expand[0]", "limit", "starting_after", "created[gt]", "types[]", "type",
        "tax_exempt", "preferred_locales[0]", "advance", "freeze", "all", "a[b][c][d]", "[", "]", "x[]]", "",
        "permissions[]", "account_holder[type]", "relink_options[authorization]", "filters[country]", "features[]",
        "payment_method_data[type]", "confirm", "bank_account[payment_method]", "outcome", "accounts[]"]
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_value = st.one_of(_text, st.integers().map(str), st.sampled_from(["", "true", "false", "cus_x", "9" * 30]))
_pairs = st.lists(st.tuples(st.one_of(st.sampled_from(KEYS), _text), _value), max_size=8)
_raw = st.one_of(st.binary(max_size=60), _pairs.map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode()))


@pytest.fixture(scope="module")
def shared(stripe_contract: ContractRecorder | None) -> Iterator[Api]:
    app = checked(create_app(Settings(seed=5)), stripe_contract)
    caller = AsgiCaller(app)
    try:
        api = Api(caller, app, "sk_test_fuzz")
        api.post("/v1/customers", {"name": "existing", "metadata[a]": "1"})
        yield api
    finally:
        caller.close()


def _check_error_shape(status: int, body: dict[str, object]) -> None:
    error = body["error"]
    assert isinstance(error, dict)
    assert error["type"] in {"invalid_request_error", "idempotency_error"}
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"type", "code", "param", "message", "doc_url"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]),
    path=st.sampled_from(PATHS),
    raw=_raw,
    query=_raw,
    version=st.one_of(st.none(), st.sampled_from(["2026-09-30.preview", "bogus", "2026-10-28.endive; x"])),
    idem=st.one_of(st.none(), st.sampled_from(["k1", "k2", "x" * 300])),
)
def test_bad_input_never_5xx_and_4xx_change_nothing(
    shared: Api, method: str, path: str, raw: bytes, query: bytes, version: str | None, idem: str | None
) -> None:
    customer_id = shared.get("/v1/customers?limit=1").json()["data"][0]["id"]
    url = path.replace("{id}", customer_id)
    if query:
        url += "?" + query.decode("latin-1").replace("#", "%23")
    headers = shared.headers()
    if version is not None:
        headers["Stripe-Version"] = version
    if idem is not None:
        headers["Idempotency-Key"] = idem
    if method == "DELETE" or path == "/_emulator/reset":
        method = "GET" if method == "DELETE" else method  # keep the one customer alive for the next example
    if path == "/_emulator/reset":
        method = "GET"
    before = digest(shared.backend())
    response = shared.caller.request(method, url, headers=headers, body=raw)
    assert response.status < 500, response.body
    assert response.headers["request-id"].startswith("req_")
    if method == "HEAD":  # no body to check: the API answers 404, the control plane's GETs answer HEAD too
        assert response.status == 404 or url.startswith("/_emulator/")
        return
    body = response.json()
    if response.status >= 400:
        _check_error_shape(response.status, body)
        if response.status != 404 or "resource_missing" not in response.body.decode():
            assert digest(shared.backend()) == before


def test_integers_that_only_look_like_digits_are_a_400_not_a_500(api: Api) -> None:
    for raw in ("--5", "%C2%B2", "99999999999999999999"):  # "²" percent-encoded
        response = api.get(f"/v1/customers?limit={raw}")
        assert response.status == 400, raw
        assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
            "parameter_invalid_integer", "limit")
