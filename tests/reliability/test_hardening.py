"""Hardening: live keys are refused everywhere — the API, the control plane, the browser's client endpoints, and the
CLI and harness clients, which refuse to send one at all; secrets are masked in uvicorn's access log too."""

from __future__ import annotations

import queue
import re
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from emulator.__main__ import cli
from emulator.core.requestlog import mask_query
from harness.control import ControlClient
from tests.conftest import Api
from tests.test_cli import READY, Served, serve

__all__ = ["serve"]

LIVE = {"sk": "sk_live_" + "51Hxyzabcdefgh1234", "rk": "rk_live_" + "51Hxyzabcdefgh1234",
        "pk": "pk_live_" + "51Hxyzabcdefgh1234"}


@pytest.mark.parametrize(("method", "path", "kind"), [
    ("GET", "/_emulator/requests", "sk"),
    ("POST", "/_emulator/reset", "rk"),
    ("GET", "/_emulator/snapshot", "sk"),
    ("POST", "/_emulator/faults", "sk"),
    ("POST", "/v1/test_helpers/financial_connections/accounts/fca_1/deactivate", "sk"),
    ("GET", "/_emulator/client/financial_connections/session?client_secret=fcsess_1_secret_x", "pk"),
    ("GET", "/_emulator/client/setup_intent?client_secret=seti_1_secret_x", "pk"),
])
def test_live_keys_are_refused_by_the_control_plane_helpers_and_client_endpoints(
        api: Api, method: str, path: str, kind: str) -> None:
    response = api.caller.request(method, path, headers={"Authorization": f"Bearer {LIVE[kind]}"})
    assert response.status == 401, response.body
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and LIVE[kind] not in error["message"]
    # refused *as a live key* (a generic "invalid key" 401 would hide a missing live-key rule)
    assert error["message"].startswith("Live-mode API keys are never accepted"), error["message"]
    assert f"{kind}_live_****1234" in error["message"]
    assert not [n for n in api.state.backends.namespaces() if "51Hxyz" in n]


def test_cli_trigger_refuses_to_send_a_live_key_from_the_environment() -> None:
    # the URL is a closed port: a refusal that came after trying to connect would say "cannot reach"
    result = CliRunner().invoke(cli, ["trigger", "customer.created", "--url", "http://127.0.0.1:9"],
                                env={"STRIPE_API_KEY": LIVE["sk"]})
    assert result.exit_code == 2, result.output
    assert "refusing a live-mode key" in result.output and "cannot reach" not in result.output


def test_cli_fixtures_refuses_a_live_key_before_sending(tmp_path: Path) -> None:
    fixture = tmp_path / "f.json"
    fixture.write_text('{"_meta": {"template_version": 0}, "fixtures": []}')
    result = CliRunner().invoke(cli, ["fixtures", str(fixture), "--url", "http://127.0.0.1:9",
                                      "--api-key", LIVE["rk"]])
    assert result.exit_code == 2 and "refusing a live-mode key" in result.output, result.output


def test_harness_control_client_refuses_a_live_key() -> None:
    with pytest.raises(ValueError, match="live-mode key"):
        ControlClient("http://127.0.0.1:9", LIVE["sk"])


def test_mask_query_masks_secret_values_and_keeps_the_rest() -> None:
    assert mask_query("/v1/x?client_secret=fcsess_1_secret_ABCDEFGH1234&expand[]=a") == \
        "/v1/x?client_secret=****1234&expand[]=a"
    assert mask_query("/dash?control_token=tok_supersecret9876") == "/dash?control_token=****9876"
    assert mask_query("/v1/x?key=pk_test_ns&secret=") == "/v1/x?key=pk_test_ns&secret="
    assert mask_query("/v1/customers") == "/v1/customers"


def test_debug_access_log_masks_client_secrets(serve: type[Served]) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "debug"])
    match = READY.search(served.ready_line())
    assert match is not None
    secret = "fcsess_1_secret_ABCDEFGHIJ" + "5678"
    httpx.get(f"{match.group(1)}/_emulator/client/financial_connections/session",
              params={"client_secret": secret}, headers={"Authorization": "Bearer pk_test_logs"})
    deadline = time.monotonic() + 30
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = served.lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if "/_emulator/client/financial_connections/session" in line:
            assert "client_secret=****5678" in line and "ABCDEFGHIJ" not in line, line
            return
    raise AssertionError(f"no access log line within 30s: {seen}")


def test_yaml_is_only_ever_read_with_a_safe_loader() -> None:
    root = Path(__file__).resolve().parents[2]
    uses = []
    for source in [*root.joinpath("emulator").rglob("*.py"), *root.joinpath("harness").rglob("*.py")]:
        text = source.read_text(encoding="utf-8")
        uses += [f"{source.name}: {call}" for call in ("yaml.unsafe_load", "yaml.full_load", "yaml.load_all(")
                 if call in text]
        uses += [f"{source.name}: {m.group(0)}"
                 for m in re.finditer(r"yaml\.load\((?![^)]*Loader=SAFE_LOADER\))", text)]
        uses += [f"{source.name}: {m.group(0)}"
                 for m in re.finditer(r"Loader=(?!yaml\.SafeLoader\b|SAFE_LOADER\b)\S+", text)]
    assert not uses, uses
    # the loader the scenarios are read with builds plain data only: no Python object from a tag
    from yaml.constructor import FullConstructor, SafeConstructor

    from harness.scenario.loader import SAFE_LOADER
    assert issubclass(SAFE_LOADER, SafeConstructor) and not issubclass(SAFE_LOADER, FullConstructor)


def test_a_scenario_naming_python_code_is_refused_without_running_it(tmp_path: Path) -> None:
    from harness.scenario.loader import ScenarioError, load

    marker = tmp_path / "ran"
    path = tmp_path / "evil.scenario.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\nsteps: []\n", encoding="utf-8")
    with pytest.raises(Exception) as raised:
        load(path)
    assert isinstance(raised.value, (ScenarioError, yaml.YAMLError)), raised.value
    assert not marker.exists()
