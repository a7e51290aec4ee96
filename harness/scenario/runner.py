"""Replay a scenario against an emulator and the integrator's adapter.

`given` builds the world (customers, linked accounts, a webhook endpoint delivering to the adapter's handler, a
frozen clock); `steps` run in order — `request` (an API call, `stripe fixtures` style), `simulate` (the emulator's
test helpers), `call` (the adapter), `expect` (subset matches, events, deliveries, the requests the adapter made).
A failure names the step and shows expected vs actual as a diff, with the last requests and events.
"""

from __future__ import annotations

import dataclasses
import json
import time
import traceback
from typing import Any
from urllib.parse import urlencode

from emulator.triggers.runner import FixtureError, Run, encode, resolve
from emulator.webhooks.signing import header as signing_header
from harness.client import CALLS, EmulatorContext
from harness.control import ControlClient
from harness.net import http_client
from harness.portal import Portal
from harness.scenario.loader import Scenario
from harness.scenario.matchers import diff, match, normalise
from harness.webhooks import WebhookSink

HELPERS = "/v1/test_helpers/financial_connections"
RUNNER_KEY = "scenario-runner-"
"""Idempotency-key prefix of the runner's own POSTs, so `expect: requests` sees only the adapter's."""
DEFAULT_VERSION = "2026-09-30.preview"


class ScenarioFailure(AssertionError):
    """A scenario did not go as written; the message is the report."""


class ScenarioSkipped(Exception):
    """The scenario needs something this run cannot give (an adapter method, simulation in live mode)."""


class ScenarioRunner:
    def __init__(self, scenario: Scenario, *, base_url: str, api_key: str, client: Any = None,
                 api_version: str | None = None) -> None:
        self.scenario = scenario
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.client = client
        self.version = scenario.api_version or api_version or DEFAULT_VERSION
        self.refs = Run()
        self.http = http_client(30)
        self.control = ControlClient(self.base_url, api_key, client=self.http)
        self.sink: WebhookSink | None = None
        self.portal = Portal()
        """Where the adapter's `async def` methods run (one loop for the whole scenario)."""
        self.step_label = "given"
        self._counter = 0
        self._last_error: dict[str, Any] | None = None

    # -- running ---------------------------------------------------------------------------------------------------
    def run(self) -> None:
        self._check_capabilities()
        try:
            self._given()
            for index, step in enumerate(self.scenario.steps, start=1):
                kind = next(k for k in ("request", "simulate", "call", "expect") if k in step)
                self.step_label = f"step {index} ({kind}{': ' + str(step[kind]) if kind != 'expect' else ''})"
                getattr(self, f"_{kind}")(step)
            if self.scenario.expect:
                self.step_label = "final expect"
                self._check(self.scenario.expect)
            self._check_acknowledged()
        except FixtureError as exc:
            self._fail(str(exc))
        finally:
            if self.sink is not None:
                self.sink.stop()
            aclose = getattr(self.client, "aclose", None)  # an async adapter's clients, closed on their own loop
            if callable(aclose):
                self.portal.resolve(aclose())
            self.portal.close()
            self.http.close()
            self.control.close()

    def _check_capabilities(self) -> None:
        for step in self.scenario.steps:
            if "call" in step:
                method = CALLS[step["call"]]
                if self.client is None or not callable(getattr(self.client, method, None)):
                    raise ScenarioSkipped(f"scenario {self.scenario.name!r} calls {method}(), which the relink "
                                          f"client {type(self.client).__name__} does not implement")

    # -- the API -------------------------------------------------------------------------------------------------
    def api(self, method: str, path: str, params: dict[str, Any] | None = None,
            stripe_account: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}", "Stripe-Version": self.version}
        if stripe_account:  # a connected account's resources (its payouts, balance)
            headers["Stripe-Account"] = stripe_account
        if self.control.control_token:  # the test helpers of an emulator served with --control-token
            headers["Emulator-Control-Token"] = self.control.control_token
        pairs = encode(params or {})
        if method.upper() in ("GET", "DELETE"):
            response = self.http.request(method.upper(), self.base_url + path, params=urlencode(pairs),
                                         headers=headers)
        else:
            self._counter += 1
            headers["Idempotency-Key"] = f"{RUNNER_KEY}{self.scenario.name}-{self._counter}"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            response = self.http.request("POST", self.base_url + path, headers=headers,
                                         content=urlencode(pairs).encode())
        return response.status_code, response.json()

    def _ok(self, method: str, path: str, params: dict[str, Any] | None = None,
            stripe_account: str | None = None) -> Any:
        status, body = self.api(method, path, params, stripe_account)
        if status >= 400:
            self._fail(f"{method.upper()} {path} answered {status}: {json.dumps(body.get('error', body))}")
        return body

    # -- given -----------------------------------------------------------------------------------------------------
    def _given(self) -> None:
        given = self.scenario.given
        if given.get("clock", {}).get("frozen"):
            self.control.freeze()
        for name, params in given.get("customers", {}).items():
            self.refs.responses[name] = self._ok("post", "/v1/customers", resolve(params, self.refs))
        for name, params in given.get("connected_accounts", {}).items():
            self.refs.responses[name] = self._ok("post", "/v1/accounts", resolve(params, self.refs))
        endpoint = given.get("webhook_endpoint")
        secret = None
        if endpoint is not None:
            handler = getattr(self.client, "handle_webhook", None)
            self.sink = WebhookSink(self.portal.synchronous(handler)).start()
            params = {"url": self.sink.url, "enabled_events": endpoint.get("events", ["*"])}
            if "api_version" in endpoint:
                params["api_version"] = endpoint["api_version"]
            created = self._ok("post", "/v1/webhook_endpoints", params)
            secret = created["secret"]
            self.refs.responses["webhook_endpoint"] = created
        if self.client is not None:
            self.portal.resolve(self.client.configure(EmulatorContext(self.base_url, self.api_key, self.version,
                                                                      secret)))
        for name, link in given.get("linked", {}).items():
            customer, owner = link.get("customer"), link.get("account")
            params = {"permissions": link.get("permissions", ["payment_method"])}
            if customer is not None:
                params["account_holder"] = {"type": "customer", "customer": self.refs.responses[customer]["id"]}
            elif owner is not None:  # a connected account's own bank account (payouts)
                params["account_holder"] = {"type": "account", "account": self.refs.responses[owner]["id"]}
            else:
                params["account_holder"] = ""
            if link.get("prefetch"):
                params["prefetch"] = link["prefetch"]
            session = self._ok("post", "/v1/financial_connections/sessions", params)
            done = self._ok("post", f"{HELPERS}/sessions/{session['id']}/complete",
                            {"institution": link["institution"], "accounts": link["accounts"]})
            self.refs.responses[name] = done["accounts"]["data"][0]
            self.refs.responses[f"{name}_session"] = done
        self.refs.last_event = self._latest_event()

    def _latest_event(self) -> str | None:
        data = self._ok("get", "/v1/events", {"limit": 1})["data"]
        return str(data[0]["id"]) if data else None

    # -- steps -----------------------------------------------------------------------------------------------------
    def _request(self, step: dict[str, Any]) -> None:
        path = resolve(step["path"], self.refs)
        status, body = self.api(step.get("method", "post"), path, resolve(step.get("params", {}), self.refs),
                                resolve(step.get("stripe_account"), self.refs))
        expected_error = step.get("expect_error")
        if status >= 400:
            if not expected_error:
                self._fail(f"{step.get('method', 'post').upper()} {path} answered {status}: "
                           f"{json.dumps(body.get('error', body))}")
            if isinstance(expected_error, str) and body.get("error", {}).get("code") != expected_error:
                self._fail(f"expected error code {expected_error!r}", expected={"code": expected_error},
                           actual=body.get("error"))
            self._last_error = body.get("error")
        elif expected_error:
            self._fail(f"{path} was expected to fail but answered {status}", expected={"error": expected_error},
                       actual=body)
        self.refs.responses[step["request"]] = body

    def _simulate(self, step: dict[str, Any]) -> None:
        action = step["simulate"]
        args = resolve(step.get("args", {}), self.refs)
        account = args.pop("account", None)
        if action == "complete":
            session = args.pop("session")
            result = self._ok("post", f"{HELPERS}/sessions/{session}/complete", args)
        elif action == "deactivate":
            result = self._ok("post", f"{HELPERS}/accounts/{account}/deactivate", args)
        elif action in ("revoke_tan", "expire_tan"):
            result = self._ok("post", f"{HELPERS}/accounts/{account}/account_numbers/deactivate",
                              {"reason": "revoked" if action == "revoke_tan" else "expired"})
        elif action == "schedule_deactivation":
            result = self._ok("post", f"{HELPERS}/accounts/{account}/schedule_deactivation", args)
        elif action == "fail_next_debit":
            method = args.pop("payment_method")
            result = self._ok("post", f"/v1/test_helpers/payment_methods/{method}/next_debit", args)
        elif action == "disconnect":
            result = self._ok("post", f"/v1/financial_connections/accounts/{account}/disconnect")
        elif action == "advance_clock":
            result = dataclasses.asdict(self.control.advance(int(args.get("seconds", 0))))
        else:  # deliver_webhooks
            result = self.control.flush_webhooks()
        if "save" in step:
            self.refs.responses[step["save"]] = result

    def _call(self, step: dict[str, Any]) -> None:
        name = step["call"]
        args = resolve(step.get("args", {}), self.refs)
        result: Any
        if name == "handle_forged_webhook":
            result = self._forged_webhook()
        elif name == "handle_webhooks":
            self.control.flush_webhooks()
            delivered = self.sink.outcomes() if self.sink is not None else []
            result = [{"event_type": d.event_type, "status": d.status, **_plain(d.outcome)} for d in delivered]
        else:
            try:
                outcome = self.portal.resolve(getattr(self.client, CALLS[name])(**args))
            except NotImplementedError as exc:  # the adapter's way to say "not built yet"
                raise ScenarioSkipped(f"scenario {self.scenario.name!r} calls {CALLS[name]}(), which the relink "
                                      f"client {type(self.client).__name__} does not implement: {exc}") from None
            except Exception as exc:  # the integrator's code failed: report it as the step's failure, with its frames
                self._fail(f"{type(self.client).__name__}.{CALLS[name]}() raised {type(exc).__name__}: {exc}\n"
                           + _their_frames(exc))
            result = _plain(outcome) if dataclasses.is_dataclass(outcome) else outcome
        if "save" in step:
            self.refs.responses[step["save"]] = result

    def _forged_webhook(self) -> dict[str, Any]:
        """The latest event, signed with a secret that is not the endpoint's: a handler must refuse it."""
        events = self._ok("get", "/v1/events", {"limit": 1})["data"]
        if not events:
            self._fail("handle_forged_webhook needs an event to forge; none exists yet")
        payload = json.dumps(events[0], indent=2)
        signature = signing_header(payload, "whsec_forged_by_the_scenario_runner", int(time.time()))
        outcome = self.portal.resolve(getattr(self.client, CALLS["handle_forged_webhook"])(payload, signature))
        return {"event_type": events[0]["type"], **_plain(outcome)}

    def _expect(self, step: dict[str, Any]) -> None:
        self._check(step["expect"])

    # -- expectations ----------------------------------------------------------------------------------------------
    def _check(self, expectation: dict[str, Any]) -> None:
        if "that" in expectation:
            target = expectation["that"]
            if target.startswith("/"):
                actual = self._ok("get", resolve(target, self.refs),
                                  stripe_account=resolve(expectation.get("stripe_account"), self.refs))
            else:
                name = target.strip("${}")
                if name not in self.refs.responses:
                    self._fail(f"nothing was saved as {name!r}")
                actual = self.refs.responses[name]
            self._compare(resolve(expectation.get("matches", {}), self.refs), actual, f"`{target}`")
        if "error" in expectation:
            self._compare(resolve(expectation["error"], self.refs), self._last_error, "the last error")
        if "events" in expectation:
            self._check_events(expectation["events"])
        if "deliveries" in expectation:
            self.control.flush_webhooks()
            for event_type in expectation["deliveries"].get("acknowledged", []):
                attempts = self.control.deliveries(type=event_type)
                if not attempts or not all(a["succeeded"] for a in attempts):
                    self._fail(f"deliveries of {event_type} were not all acknowledged with a 2xx",
                               expected={"acknowledged": event_type},
                               actual=[{k: a[k] for k in ("attempt", "status_code", "error", "response_excerpt")}
                                       for a in attempts])
        for wanted in expectation.get("requests", []):
            self._check_request(resolve(wanted, self.refs))

    def _check_acknowledged(self) -> None:
        """Every delivery to the integrator's handler was answered with a 2xx, whatever its type: an integration
        that fails on events it does not handle makes Stripe retry them for days, then disable the endpoint. A
        scenario about failures says `acknowledge: any` on its webhook endpoint."""
        given = self.scenario.given.get("webhook_endpoint")
        if self.sink is None or given is None or given.get("acknowledge", "all") == "any":
            return
        self.step_label = "the end (every delivery acknowledged)"
        self.control.flush_webhooks()
        refused = [d for d in self.sink.outcomes() if not 200 <= d.status < 300]
        if refused:
            self._fail(f"{len(refused)} webhook deliveries to {type(self.client).__name__}.handle_webhook were not "
                       "answered with a 2xx (answer 2xx to every event, handled or not: Stripe retries the others)",
                       expected="2xx for every delivery",
                       actual=[{"event_type": d.event_type, "event": d.event_id, "status": d.status,
                                "outcome": d.outcome if isinstance(d.outcome, (str, int, type(None)))
                                else _plain(d.outcome)} for d in refused])

    def _compare(self, expected: Any, actual: Any, what: str) -> None:
        mismatches = match(expected, normalise(actual))
        if mismatches:
            self._fail(f"{what} does not match:\n  " + "\n  ".join(m.render() for m in mismatches),
                       expected=expected, actual=actual)

    def _events_since_start(self) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 100}
        if self.refs.last_event:
            params["ending_before"] = self.refs.last_event
        found = self._ok("get", "/v1/events", params)["data"]
        return list(reversed(found))

    def _check_events(self, wanted: dict[str, Any]) -> None:
        self.control.flush_webhooks()  # runs timers that are due, too
        types = [e["type"] for e in self._events_since_start()]
        problems = []
        problems += [f"missing {t}" for t in wanted.get("include", []) if t not in types]
        problems += [f"unexpected {t}" for t in wanted.get("exclude", []) if t in types]
        problems += [f"{t}: {types.count(t)} instead of {n}" for t, n in wanted.get("count", {}).items()
                     if types.count(t) != n]
        ordered = wanted.get("ordered", [])
        position = 0
        for event_type in types:
            if position < len(ordered) and event_type == ordered[position]:
                position += 1
        if position < len(ordered):
            problems.append(f"not in this order: {ordered}")
        if problems:
            self._fail("events since the scenario began do not match: " + "; ".join(problems),
                       expected=wanted, actual=types)

    def _check_request(self, wanted: dict[str, Any]) -> None:
        made = [r for r in self.control.requests(limit=1000)
                if not (r.idempotency_key or "").startswith(RUNNER_KEY)
                and r.method == wanted["method"].upper() and r.path == wanted["path"]]
        matching = [r for r in made if not match(wanted.get("params", {}), normalise(r.params))]
        count = wanted.get("count")
        if (count is None and not matching) or (count is not None and len(matching) != count):
            closest = normalise(made[0].params) if made else None
            self._fail(
                f"the relink client made {len(matching)} matching {wanted['method'].upper()} {wanted['path']} "
                f"request(s){'' if count is None else f', expected {count}'} ({len(made)} to that path in all)",
                expected=wanted.get("params", {}), actual=closest)

    # -- reporting -------------------------------------------------------------------------------------------------
    def _fail(self, message: str, *, expected: Any = None, actual: Any = None) -> None:
        lines = [f"scenario {self.scenario.name!r} ({self.scenario.path.name}) failed at {self.step_label}:",
                 f"  {message}"]
        if expected is not None:
            lines += ["", diff(expected, actual)]
        try:
            requests = self.control.requests(limit=8)
            events = self._events_since_start()[-8:]
        except Exception:  # the report must not hide the failure
            requests, events = [], []
        if requests:
            lines += ["", "last requests (newest first):"]
            lines += [f"  {r.method} {r.path} -> {r.status}" for r in requests]
        if events:
            lines += ["", "events since the scenario began (last 8):"]
            lines += [f"  {e['type']} {e['data']['object'].get('id', '')}" for e in events]
        raise ScenarioFailure("\n".join(lines))


def _their_frames(exc: BaseException, limit: int = 8) -> str:
    """Where the adapter's code raised: its frames (the runner's own call site left out), innermost last."""
    frames = traceback.extract_tb(exc.__traceback__)[1:][-limit:]
    if not frames:
        return ""
    return "  raised at (innermost last):\n" + "".join(
        f"    {frame.filename}:{frame.lineno} in {frame.name}\n      {(frame.line or '').strip()}\n"
        for frame in frames)


def _plain(value: Any) -> dict[str, Any]:
    """A dataclass instance (what adapters return) as a dict; anything else as an empty one."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return {}


def run_scenario(scenario: Scenario, *, base_url: str, api_key: str, client: Any = None,
                 api_version: str | None = None) -> None:
    """Replay one scenario; raises `ScenarioFailure` (an AssertionError) or `ScenarioSkipped`."""
    ScenarioRunner(scenario, base_url=base_url, api_key=api_key, client=client, api_version=api_version).run()
