"""A snapshot document is untrusted input: `POST /_emulator/restore` and `serve --state-file` resolve names only
from the emulator's registry of state classes, renderers and timer actions, check every field's type before
anything is replaced, and answer a bad document with a Stripe-shaped 400 (or a one-line refusal at start) that
changes nothing — never code execution, a 500, a traceback, or a namespace that fails afterwards."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, digest

PREVIEW = {"Stripe-Version": "2026-09-30.preview"}
HELPERS = "/v1/test_helpers/financial_connections"


def make_world(api: Api) -> dict[str, Any]:
    """A namespace with a customer (metadata), an account at the TAN bank (pending timers: notice and expiry) and
    a session (event renderers), saved as a snapshot document."""
    customer = api.post("/v1/customers", data={"name": "Jenny", "metadata[plan]": "gold"}).json()["id"]
    session = api.post("/v1/financial_connections/sessions", headers=PREVIEW, data={
        "permissions[]": "payment_method", "account_holder[type]": "customer",
        "account_holder[customer]": customer}).json()
    done = api.post(f"{HELPERS}/sessions/{session['id']}/complete", headers=PREVIEW,
                    data={"institution": "Emulator: TAN States", "accounts[]": "TAN Checking"})
    assert done.status == 200, done.body
    document = api.get("/_emulator/snapshot").json()
    assert list(document["namespaces"]) == [namespace(api)]
    return dict(document)


def namespace(api: Api) -> str:
    return api.key.split("_", 2)[2]


def state_of(document: dict[str, Any], api: Api) -> dict[str, Any]:
    found: dict[str, Any] = document["namespaces"][namespace(api)]["backend"]["state"] \
        if "state" in document["namespaces"][namespace(api)]["backend"] else \
        document["namespaces"][namespace(api)]["backend"]
    return found


def find(value: Any, predicate: Callable[[Any], bool]) -> list[Any]:
    """Every dict inside `value` for which `predicate` holds."""
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if predicate(item):
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def refused(api: Api, body: bytes | str, where: str = "") -> str:
    before = digest(api.backend())
    response = api.post("/_emulator/restore", body=body, headers={"Content-Type": "application/json"})
    assert response.status == 400, response.body
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert where in error["message"], error["message"]
    assert digest(api.backend()) == before  # nothing replaced
    return str(error["message"])


def still_works(api: Api) -> None:
    assert api.get("/v1/customers").status == 200
    assert api.post("/v1/customers", data={"name": "after"}).status == 200
    assert api.post("/_emulator/clock", data={"advance": str(400 * 86400)}).status == 200


# -- names: only the registry ----------------------------------------------------------------------------------------

def timer_actions(document: dict[str, Any]) -> list[dict[str, Any]]:
    return find(document, lambda d: "$partial" in d and "_tan_" in json.dumps(d["$partial"]))


@pytest.mark.parametrize("name", [
    "emulator.http.persistence:os.popen",  # walked through the module's own imports
    "emulator.http.persistence:os.system",
    "emulator.core.snapshot:importlib.import_module",
    "emulator.http.persistence:json.loads",
    "emulator.resources.customers:Customer.render",  # registered as a method: never a bare function
    "emulator.resources.financial_connections.bank:deactivate",  # the emulator's, but not a timer action
])
def test_restore_refuses_a_function_outside_the_registry_and_runs_nothing(api: Api, tmp_path: Path,
                                                                         name: str) -> None:
    document = make_world(api)
    marker = tmp_path / "ran"
    actions = timer_actions(document)
    assert actions, "the world has pending TAN timers"
    actions[0]["$partial"] = {"$function": name}
    actions[0]["args"] = [f"touch {marker}"]
    actions[0]["keywords"] = {}
    message = refused(api, json.dumps(document), name)
    assert "not a function a snapshot may name" in message
    still_works(api)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["subprocess:Popen", "emulator.http.persistence:os.PathLike",
                                  "emulator.core.backend:Backend", "emulator.http.state:EmulatorState"])
def test_restore_refuses_a_class_outside_the_registry(api: Api, name: str) -> None:
    document = make_world(api)
    customer = find(document, lambda d: d.get("$object") == "emulator.resources.customers:Customer")[0]
    customer["$object"] = name
    assert "not a class a snapshot may name" in refused(api, json.dumps(document), name)


def test_restore_checks_a_partials_arguments_against_the_function(api: Api) -> None:
    document = make_world(api)
    action = timer_actions(document)[0]
    action["args"] = [{"$backend": True}, {"$bytes": "AAAA"}, 1]  # account_id must be a string
    assert ".account_id: expected str, found bytes" in refused(api, json.dumps(document))
    action["args"] = [{"$backend": True}, "fca_1", 1, 2, 3, 4]
    assert "does not take" in refused(api, json.dumps(document))


def test_restore_refuses_a_renderer_that_cannot_render(api: Api) -> None:
    document = make_world(api)
    renderer = find(document, lambda d: "$partial" in d and "_render_frozen" in json.dumps(d["$partial"]))[0]
    renderer["args"] = renderer["args"][:1]  # one argument short: it could not be called with a version
    assert "render_object" in refused(api, json.dumps(document))


# -- structure: every field of its declared type ---------------------------------------------------------------------

def _timers(backend: dict[str, Any]) -> None:
    backend["timers"] = 5


def _metadata(backend: dict[str, Any]) -> None:
    find(backend, lambda d: d.get("$object") == "emulator.resources.customers:Customer")[0]["state"]["metadata"] = [1]


def _bytes_for_object(backend: dict[str, Any]) -> None:
    backend["idempotency"] = {"$bytes": "AAAA"}


def _bytes_for_store(backend: dict[str, Any]) -> None:
    # the store's rows hold what events share with them (an account's holder, its numbers): without the store,
    # the events refer to objects the document no longer defines
    backend["store"] = {"$bytes": "AAAA"}


def _clock(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(backend: dict[str, Any]) -> None:
        backend["clock"]["offset"] = value
    return change


def _ids(backend: dict[str, Any]) -> None:
    backend["ids"] = []


def _wrong_row(backend: dict[str, Any]) -> None:
    tables = backend["store"]["state"]["_tables"]
    customers = tables["customers"]["state"]["_rows"]
    first = next(iter(customers))
    logged = find(backend, lambda d: d.get("$object") == "emulator.core.requestlog:LoggedRequest")[0]
    customers[first] = {key: value for key, value in copy.deepcopy(logged).items() if key != "$id"}


def _torn_table(backend: dict[str, Any]) -> None:
    tables = backend["store"]["state"]["_tables"]
    tables["customers"]["state"]["_order"] = ["cus_not_there"]


def _unknown_attribute(backend: dict[str, Any]) -> None:
    find(backend, lambda d: d.get("$object") == "emulator.resources.customers:Customer")[0]["state"]["extra"] = 1


def _missing_attribute(backend: dict[str, Any]) -> None:
    # a field without a default (a field with one takes it: a document from an earlier release loads)
    del find(backend, lambda d: d.get("$object") == "emulator.resources.customers:Customer")[0]["state"]["created"]


def _unknown_table(backend: dict[str, Any]) -> None:
    tables = backend["store"]["state"]["_tables"]
    tables["anything"] = copy.deepcopy(tables["customers"])


def _namespace_field(backend: dict[str, Any]) -> None:
    backend["namespace"] = "someone_else"


@pytest.mark.parametrize(("change", "said"), [
    (_timers, "$.backend.timers: expected Timers, found int"),
    (_metadata, ".metadata: expected dict, found list"),
    (_bytes_for_object, "$.backend.idempotency: expected IdempotencyStore, found bytes"),
    (_bytes_for_store, "before its object"),
    (_clock(float("nan")), "NaN is not a number a snapshot may hold"),
    (_clock("soon"), "$.backend.clock.offset"),
    (_clock(2**70), "beyond 64 bits"),
    (_ids, "$.backend.ids: expected tuple, found list"),
    (_wrong_row, "is a LoggedRequest, not a Customer"),
    (_torn_table, "inconsistent Table"),
    (_unknown_attribute, "has no attribute 'extra'"),
    (_missing_attribute, "without 'created'"),
    (_unknown_table, "no table is named 'anything'"),
    (_namespace_field, "$.backend.namespace"),
], ids=lambda value: getattr(value, "__name__", None) if callable(value) else None)
def test_restore_refuses_a_field_of_the_wrong_type_and_the_namespace_keeps_working(
        api: Api, change: Callable[[dict[str, Any]], None], said: str) -> None:
    document = make_world(api)
    change(document["namespaces"][namespace(api)]["backend"])
    refused(api, json.dumps(document), said)
    still_works(api)


@pytest.mark.parametrize(("body", "said"), [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"format": "stripe-fc-emulator/state", "format_version": ' + "9" * 5000 + "}", "not JSON"),
    ('{"format": "stripe-fc-emulator/state", "format_version": 1, "namespaces": {}, "x": NaN}', "NaN"),
    ('{"format": "stripe-fc-emulator/state", "format_version": 1, "namespaces": {}, "x": -Infinity}', "Infinity"),
    (b"\xff\xfe{}", "not JSON"),
])
def test_restore_refuses_json_that_is_not_plain_data(api: Api, body: str | bytes, said: str) -> None:
    refused(api, body, said)


def test_restore_refuses_a_clock_offset_beyond_a_float(api: Api) -> None:
    document = make_world(api)
    document["namespaces"][namespace(api)]["backend"]["clock"]["offset"] = 12345.5
    text = json.dumps(document)
    assert text.count("12345.5") == 1
    refused(api, text.replace("12345.5", "1e400"), "$.backend.clock.offset: a number that is not finite")


def test_restore_refuses_deep_nesting_inside_a_valid_document(api: Api) -> None:
    document = make_world(api)
    nested: Any = "x"
    for _ in range(600):
        nested = {"a": nested}
    find(document, lambda d: d.get("$object") == "emulator.resources.customers:Customer")[0]["state"][
        "metadata"] = nested
    refused(api, json.dumps(document), "nested deeper than")


def test_restore_refuses_namespace_names_no_key_can_have(api: Api) -> None:
    document = make_world(api)
    document["namespaces"]["../other"] = document["namespaces"][namespace(api)]
    refused(api, json.dumps(document), "is not a namespace name")


def test_a_good_document_still_restores_after_all_the_checks(api: Api) -> None:
    document = make_world(api)
    api.post("/v1/customers", data={"name": "after the snapshot"})
    response = api.post("/_emulator/restore", body=json.dumps(document))
    assert response.status == 200, response.body
    names = [c["name"] for c in api.get("/v1/customers").json()["data"]]
    assert names == ["Jenny"]
    still_works(api)


# -- the state file at start ------------------------------------------------------------------------------------------

def test_serve_refuses_a_state_file_naming_code_in_one_line(api: Api, tmp_path: Path) -> None:
    document = make_world(api)
    marker = tmp_path / "ran"
    action = timer_actions(document)[0]
    action["$partial"] = {"$function": "emulator.http.persistence:os.system"}
    action["args"] = [f"touch {marker}"]
    action["keywords"] = {}
    path = tmp_path / "state.json"
    content = json.dumps(document)
    path.write_text(content)
    done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--port", "0", "--state-file", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "os.system" in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert path.read_text() == content and not marker.exists()


@pytest.mark.parametrize("content", ["[" * 100_000, '{"format": 1' + "0" * 6000 + "}"])
def test_serve_refuses_a_hostile_state_file_without_a_traceback(tmp_path: Path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--port", "0", "--state-file", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len([line for line in done.stderr.splitlines() if line.strip()]) == 1, done.stderr


def test_a_session_event_saved_with_its_accounts_by_id_still_restores_and_renders_alike(api: Api) -> None:
    """Earlier releases saved a session event's accounts as a dict by account id; now they are a tuple in the
    session's order. A document in the earlier form restores, and its events render as before."""
    document = make_world(api)
    events = api.get("/v1/events?limit=100", headers=PREVIEW).json()["data"]
    session_events = [e for e in events if e["type"] == "financial_connections.session.updated"]
    assert session_events, "the world has a session event"
    account_ids = [a["id"] for a in session_events[0]["data"]["object"]["accounts"]["data"]]
    renderer = find(document, lambda d: "$partial" in d and "_render_frozen" in json.dumps(d["$partial"]))[0]
    members = renderer["args"][2]
    assert set(members) <= {"$tuple", "$id"} and len(members["$tuple"]) == len(account_ids)
    renderer["args"][2] = dict(zip(account_ids, members["$tuple"], strict=True))  # the earlier form
    restored = api.post("/_emulator/restore", body=json.dumps(document), headers={"Content-Type": "application/json"})
    assert restored.status == 200, restored.body
    assert api.get("/v1/events?limit=100", headers=PREVIEW).json()["data"] == events


def test_a_document_without_a_field_a_later_release_added_loads_with_its_default(api: Api) -> None:
    document = make_world(api)
    customer = find(document, lambda d: d.get("$object") == "emulator.resources.customers:Customer")[0]["state"]
    for added in ("business_name", "individual_name", "next_invoice_sequence"):  # what an earlier release lacked
        customer.pop(added, None)
    restored = api.post("/_emulator/restore", body=json.dumps(document), headers={"Content-Type": "application/json"})
    assert restored.status == 200, restored.body
    listed = api.get("/v1/customers").json()["data"][0]
    assert (listed["business_name"], listed["individual_name"], listed["next_invoice_sequence"]) == (None, None, 1)
    still_works(api)
