"""`stripe-fc-emulator serve` as a user runs it: a real process, a ready line, signals."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from emulator.__main__ import cli, is_loopback

READY = re.compile(r"ready on (http://127\.0\.0\.1:(\d+))")
BOUND = 30.0
ROOT = Path(__file__).resolve().parent.parent


class Served:
    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: [self.lines.put(line) for line in stdout], daemon=True).start()

    def ready_line(self) -> str:
        """Wait for the ready line itself (bounded); uvicorn's own log lines may come first."""
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            self.output.append(line)
            if READY.search(line):
                return line
        raise AssertionError(f"no ready line within {BOUND}s: {self.output}")  # pragma: no cover

    def stop(self, sig: int) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=BOUND)


@pytest.fixture
def serve() -> Iterator[type[Served]]:
    started: list[Served] = []

    class Tracked(Served):
        def __init__(self, args: list[str]) -> None:
            super().__init__(args)
            started.append(self)

    yield Tracked
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=BOUND)
        if served.process.stdout is not None:
            served.process.stdout.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_serve_port_zero_prints_ready_line_and_exits_cleanly(serve: type[Served], sig: int) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--seed", "7"])
    line = served.ready_line()
    match = READY.search(line)
    assert match is not None and int(match.group(2)) > 0
    assert "seed: 7" in line and "default Stripe-Version: 2026-10-28.endive" in line
    health = httpx.get(f"{match.group(1)}/_emulator/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert served.stop(sig) == 0


def test_cli_console_script_is_installed_and_seed_makes_ids_deterministic(serve: type[Served]) -> None:
    script = Path(sys.executable).with_name("stripe-fc-emulator")
    assert script.exists(), "pip install puts the console script next to the interpreter"
    ids = []
    for _ in range(2):
        served = serve([str(script), "serve", "--port", "0", "--seed", "42", "--log-level", "warning"])
        match = READY.search(served.ready_line())
        assert match is not None
        response = httpx.post(f"{match.group(1)}/v1/customers", headers={"Authorization": "Bearer sk_test_seeded"},
                              timeout=10)
        ids.append(response.json()["id"])
        assert served.stop(signal.SIGINT) == 0
    assert ids[0] == ids[1]


def test_cli_refuses_a_non_loopback_host_without_allow_remote() -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--allow-remote" in result.output


def test_cli_refuses_a_malformed_default_version() -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--api-version", "someday"])
    assert result.exit_code == 2 and "Invalid Stripe API version" in result.output


def test_cli_reports_a_port_in_use(serve: type[Served]) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0"])
    match = READY.search(served.ready_line())
    assert match is not None
    result = CliRunner().invoke(cli, ["serve", "--port", match.group(2)])
    assert result.exit_code == 1 and "cannot listen on 127.0.0.1" in result.output


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("192.168.1.4", False),
                                                ("example.com", False)])
def test_cli_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_cli_help_and_version() -> None:
    runner = CliRunner()
    assert "serve" in runner.invoke(cli, ["--help"]).output
    assert "stripe-fc-emulator, version" in runner.invoke(cli, ["--version"]).output


def test_cli_forward_to_and_trigger_end_to_end(serve: type[Served]) -> None:
    import json as jsonlib

    import stripe

    from tests.receiver import Receiver

    with Receiver() as receiver:
        served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--seed", "5",
                        "--forward-to", receiver.url, "--events", "financial_connections.account.deactivated"])
        match = READY.search(served.ready_line())
        assert match is not None
        secret_line = served.lines.get(timeout=BOUND)
        secret = re.search(r"(whsec_[0-9a-f]+) \(derived from --seed\)", secret_line)
        assert secret is not None, secret_line
        result = subprocess.run(
            [sys.executable, "-m", "emulator", "trigger", "financial_connections.account.deactivated",
             "--url", match.group(1), "--api-key", "sk_test_cli_trigger"],
            capture_output=True, text=True, timeout=BOUND,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Setting up fixture for: deactivated" in result.stdout
        assert "Trigger succeeded! financial_connections.account.deactivated event evt_" in result.stdout
        (delivery,) = receiver.wait_for(1, timeout=BOUND)
        event = stripe.Webhook.construct_event(delivery.body, delivery.headers["Stripe-Signature"], secret.group(1))
        assert event.type == "financial_connections.account.deactivated"
        assert jsonlib.loads(delivery.body)["data"]["object"]["status_details"]["inactive"]["action"] == \
            "relink_required"
        assert served.stop(signal.SIGINT) == 0
    again = subprocess.run([sys.executable, "-c", "from emulator.settings import Settings; "
                            "print(Settings(seed=5, forward_to='http://x').forward_secret())"],
                           capture_output=True, text=True, timeout=BOUND)
    assert again.stdout.strip() == secret.group(1)  # stable across restarts


def test_cli_trigger_list_and_errors() -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["trigger", "--list"])
    assert listed.exit_code == 0 and "financial_connections.account.reactivated" in listed.output
    unknown = runner.invoke(cli, ["trigger", "invoice.paid"])  # not an event the emulator sends
    assert unknown.exit_code == 2 and "cannot be triggered" in unknown.output
    unreachable = runner.invoke(cli, ["trigger", "customer.created", "--url", "http://127.0.0.1:9"])
    assert unreachable.exit_code == 1 and "cannot reach the emulator" in unreachable.output
    bad_secret = runner.invoke(cli, ["serve", "--port", "0", "--forward-to", "http://127.0.0.1:9",
                                     "--webhook-secret", "nope"])
    assert bad_secret.exit_code == 2 and "whsec_" in bad_secret.output


def test_cli_fixtures_runs_a_user_file(serve: type[Served], tmp_path: Path) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0"])
    match = READY.search(served.ready_line())
    assert match is not None
    fixture = tmp_path / "signup.json"
    fixture.write_text(
        '{"_meta": {"template_version": 0}, "fixtures": ['
        '{"name": "customer", "path": "/v1/customers", "method": "post", "params": {"name": "From a file"}},'
        '{"name": "renamed", "path": "/v1/customers/${customer:id}", "method": "post", '
        '"params": {"metadata": {"source": "${customer:id}"}}}]}'
    )
    result = subprocess.run([sys.executable, "-m", "emulator", "fixtures", str(fixture), "--url", match.group(1),
                             "--api-key", "sk_test_fixture_file"], capture_output=True, text=True, timeout=BOUND)
    assert result.returncode == 0 and "Fixtures ran." in result.stdout, result.stdout + result.stderr
    listed = httpx.get(f"{match.group(1)}/v1/customers", auth=("sk_test_fixture_file", ""), timeout=10).json()
    assert listed["data"][0]["metadata"]["source"] == listed["data"][0]["id"]
    assert served.stop(signal.SIGTERM) == 0


def test_cli_scenario_run_builtin_and_a_failing_file(serve: type[Served], tmp_path: Path) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0"])
    match = READY.search(served.ready_line())
    assert match is not None
    result = subprocess.run([sys.executable, "-m", "emulator", "scenario", "run", "builtin", "--url", match.group(1)],
                            capture_output=True, text=True, timeout=BOUND)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("PASSED  ") for line in lines) == len(list(Path("scenarios").glob("*.scenario.yaml")))
    assert re.search(r"^\d+ passed in [\d.]+s$", lines[-1])
    failing = tmp_path / "bad.scenario.yaml"
    failing.write_text("name: bad\nsource: ['§2']\nsteps:\n  - request: nope\n    path: /v1/customers/cus_nope\n"
                       "    method: get\n")
    bad = subprocess.run([sys.executable, "-m", "emulator", "scenario", "run", str(failing), "--url", match.group(1)],
                         capture_output=True, text=True, timeout=BOUND)
    assert bad.returncode == 1 and "FAILED  bad" in bad.stdout and "answered 404" in bad.stdout
    assert bad.stdout.splitlines()[-1].startswith("1 failed")


def test_cli_served_requests_do_not_wait_for_delayed_acks(serve: type[Served]) -> None:
    """Keep-alive requests answer in well under the 40 ms a missing TCP_NODELAY costs (a regression test)."""
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "warning"])
    match = READY.search(served.ready_line())
    assert match is not None
    with httpx.Client(base_url=match.group(1)) as client:
        client.get("/_emulator/health")
        times = []
        for _ in range(21):
            started = time.perf_counter()
            client.get("/_emulator/health")
            times.append(time.perf_counter() - started)
    # a missing TCP_NODELAY adds ~40 ms to *every* request, so even the median would be past 30 ms; a loaded machine
    # slows some requests, not the median of 21
    median = sorted(times)[10]
    assert median < 0.03, f"median {median * 1000:.1f} ms per keep-alive request"
    assert served.stop(signal.SIGINT) == 0


def test_cli_rate_limit_answers_429_rate_limit_beyond_the_limit_per_key(serve: type[Served]) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--rate-limit", "5",
                    "--log-level", "warning"])
    match = READY.search(served.ready_line())
    assert match is not None
    with httpx.Client(base_url=match.group(1), timeout=10) as client:
        started = time.monotonic()
        responses = [client.get("/v1/customers", auth=("sk_test_limited", "")) for _ in range(20)]
        elapsed = time.monotonic() - started
        other = client.get("/v1/customers", auth=("sk_test_other", ""))  # the limit is per API key
    statuses = [response.status_code for response in responses]
    assert statuses[:5] == [200] * 5 and 429 in statuses
    assert statuses.count(200) <= 5 + int(elapsed * 5) + 1  # never more than the bucket plus its refill
    assert other.status_code == 200
    error = responses[statuses.index(429)].json()["error"]
    assert error["code"] == "rate_limit" and error["type"] == "invalid_request_error"
    assert served.stop(signal.SIGTERM) == 0


def test_cli_control_token_from_the_environment_guards_helpers_and_scenarios_send_it(
        serve: type[Served], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_FC_EMULATOR_CONTROL_TOKEN", "env-token-1")  # read by serve and by the harness
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "warning"])
    match = READY.search(served.ready_line())
    assert match is not None
    refused = httpx.get(f"{match.group(1)}/_emulator/clock", auth=("sk_test_env", ""), timeout=10)
    assert refused.status_code == 401
    result = subprocess.run([sys.executable, "-m", "emulator", "scenario", "run", "builtin", "--url", match.group(1)],
                            capture_output=True, text=True, timeout=BOUND)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert served.stop(signal.SIGTERM) == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_scenario_run_against_a_dead_url_says_so_in_one_line() -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    result = subprocess.run([sys.executable, "-m", "emulator", "scenario", "run", "builtin", "--url", url],
                            capture_output=True, text=True, timeout=BOUND)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"error: cannot reach the emulator at {url} (")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr + result.stdout
    assert "stripe-fc-emulator serve" in result.stderr and result.stdout == ""


def test_cli_scenario_run_drives_a_python_client_named_module_factory(serve: type[Served], tmp_path: Path) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "warning"])
    match = READY.search(served.ready_line())
    assert match is not None
    (tmp_path / "my_relink.py").write_text(
        "from harness.client import RelinkOutcome\n"
        "from harness.reference_client import ReferenceClient\n\n\n"
        "class Inverted(ReferenceClient):  # the source document's sample bug: the new-account check inverted\n"
        "    def finish_relink(self, session):\n"
        "        outcome = super().finish_relink(session)\n"
        "        if outcome.is_new is None:\n"
        "            return outcome\n"
        "        return RelinkOutcome(outcome.status, outcome.account, not outcome.is_new,\n"
        "                             outcome.failure_reason)\n\n\n"
        "def make_good():\n"
        "    return ReferenceClient()\n\n\n"
        "class factories:\n"
        "    inverted = Inverted\n")
    command = [sys.executable, "-m", "emulator", "scenario", "run", "builtin:any-account-new",
               "builtin:any-account-existing", "--url", match.group(1), "--client"]
    good = subprocess.run([*command, "my_relink:make_good"], capture_output=True, text=True, timeout=BOUND,
                          cwd=tmp_path)
    assert good.returncode == 0 and good.stdout.splitlines()[-1].startswith("2 passed"), good.stdout + good.stderr
    bad = subprocess.run([*command, "my_relink:factories.inverted"], capture_output=True, text=True, timeout=BOUND,
                         cwd=tmp_path)
    assert bad.returncode == 1 and bad.stdout.splitlines()[-1].startswith("2 failed"), bad.stdout + bad.stderr
    assert "at $.is_new: expected true, got false" in bad.stdout
    for wrong, said in (("my_relink", "is not `module:factory`"), ("no_such_module:make", "cannot import"),
                        ("my_relink:nothing", "has no 'nothing'")):
        refused = subprocess.run([*command, wrong], capture_output=True, text=True, timeout=BOUND, cwd=tmp_path)
        assert refused.returncode == 2 and said in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    assert served.stop(signal.SIGTERM) == 0


def test_cli_scenario_run_drives_an_http_server_through_the_http_adapter(serve: type[Served]) -> None:
    from harness.server import AppServer

    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "warning"])
    match = READY.search(served.ready_line())
    assert match is not None
    sys.path.insert(0, str(ROOT / "examples" / "consumer"))
    try:
        from relink_shop.app import create_app as shop_app
    finally:
        sys.path.remove(str(ROOT / "examples" / "consumer"))
    with AppServer(shop_app()) as shop:
        result = subprocess.run([sys.executable, "-m", "emulator", "scenario", "run", "builtin", "--url",
                                 match.group(1), "--client-url", shop.url], capture_output=True, text=True,
                                timeout=BOUND)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    scenarios = len(list((ROOT / "scenarios").glob("*.scenario.yaml")))
    assert sum(line.startswith(("PASSED  ", "SKIPPED ")) for line in lines) == scenarios
    assert sum(line.startswith("PASSED  ") for line in lines) >= scenarios - 3  # the shop implements nearly all
    both = subprocess.run([sys.executable, "-m", "emulator", "scenario", "run", "builtin", "--client", "a:b",
                           "--client-url", "http://127.0.0.1:1"], capture_output=True, text=True, timeout=BOUND)
    assert both.returncode == 2 and "not both" in both.stderr
    assert served.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("origin", ["shop.example.com", "ftp://shop.example.com", "https://shop.example.com/app",
                                    "https://shop.example.com?x=1", "https://user@shop.example.com",
                                    "https://shop.example.com:99999", "https://"])
def test_cli_serve_refuses_a_cors_origin_that_is_not_an_origin(origin: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--cors-origin", origin])
    assert result.exit_code == 2 and "--cors-origin" in result.output and repr(origin) in result.output, result.output


def test_cli_cors_origins_accepted_are_browser_origins() -> None:
    from emulator.__main__ import origin_problem

    for origin in ("https://shop.example.com", "http://localhost:3000", "https://shop.example.com:8443/",
                   "http://[::1]:5173"):
        assert origin_problem(origin) is None, origin


@pytest.mark.parametrize(("events", "said"), [
    ("customer created", "is not an event type"), ("Customer.Created", "is not an event type"),
    ("customer.*.created", "is not an event type"), ("**", "is not an event type"), (".customer", "is not"),
    ("customer.created,bad type", "is not an event type"),
    ("customer.creatd", "not an event type Stripe has (did you mean 'customer.created'?)"),
    ("financial_connections.account.relinked", "not an event type Stripe has"),
    ("nothing.*", "matches no event type Stripe has"),
])
def test_cli_serve_refuses_events_stripe_does_not_have(events: str, said: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--forward-to", "http://127.0.0.1:9/hook",
                                      "--events", events])
    assert result.exit_code == 2 and "--events" in result.output and said in result.output, result.output


def test_cli_events_accepted_are_stripes_types_and_wildcards() -> None:
    from emulator.__main__ import event_pattern_problem

    for pattern in ("*", "customer.created", "financial_connections.account.deactivated", "financial_connections.*",
                    "payment_intent.payment_failed", "account.external_account.*",
                    "financial_connections.account.upcoming_account_number_expiry"):
        assert event_pattern_problem(pattern) is None, pattern


def test_cli_known_event_types_are_the_specifications_and_include_every_trigger() -> None:
    from emulator.__main__ import known_event_types

    spec: set[str] = set()
    for flavor in ("ga", "preview"):
        document = json.loads((ROOT / "fixtures" / "openapi" / f"{flavor}.components.json").read_text())
        spec |= set(document["schemas"]["event"]["properties"]["type"]["enum"])
    assert known_event_types() == spec
    triggers = json.loads((ROOT / "emulator" / "triggers" / "triggers.json").read_text())
    names = set(triggers) if isinstance(triggers, dict) else {t["name"] for t in triggers}
    assert {name for name in names if "." in name} <= spec


def test_cli_every_option_says_what_it_does() -> None:
    from emulator.__main__ import fixtures, serve, trigger

    for command in (serve, trigger, fixtures):
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"{command.name} {param.opts[0]} has no help text"


def test_serve_freezes_what_start_up_made_and_collects_young_and_old_objects_less_often(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from emulator import __main__ as main

    seen: dict[str, object] = {}

    def run(self: object, sockets: object = None) -> None:  # instead of serving: what the process runs with
        seen.update(threshold=gc.get_threshold(), frozen=gc.get_freeze_count())
        for sock in sockets or []:  # type: ignore[attr-defined]
            sock.close()

    before = gc.get_threshold()
    monkeypatch.setattr(main._Server, "run", run)
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert result.exit_code == 0, result.output
    # the young generation: every 10,000 new containers; full collections after 100 middle-generation ones
    assert seen["threshold"] == (10_000, before[1], 100)
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 10_000  # the app, its specs and catalogues
