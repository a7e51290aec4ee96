"""Stateful fuzzing of the relink world (hypothesis `RuleBasedStateMachine`, in process): link (plain and TAN
institutions), deactivate with every cause and action, schedule a deactivation, revoke or expire TANs, set up
payment methods and confirm them, debit them (PaymentIntents, with the bank deciding the next debit's outcome —
succeeded, every return, disputed, stays processing) and cancel debits, make a payout bank account (token, external
account), pay out to it and cancel payouts, add webhook endpoints (one
answering 200, one 500) and flush them, disconnect, relink in both modes with every outcome, advance the clock, and
restart from a snapshot (the world is saved through `/_emulator/snapshot`, restored into a new emulator, must look
the same there, and the run goes on in the restored one — so pending timers, event renderers and deliveries must
survive). After every step the invariants hold: no 5xx, each account's status agrees with its own cause, each
authorization's status agrees with its accounts, a payment method and an external account are blocked exactly when
their account's number is not transactable (or, for a payment method, exactly when a return blocked its bank
account), a blocked payment method's debit never succeeds, a debit ends as the bank said, a connected account's
balance is what it started with less what is paid out or on its way, `relink_result` names what a relink repaired,
every account, PaymentIntent and payout status change has exactly one event of the right type, and every event's
`pending_webhooks` is the number of its deliveries not yet successful.

Bounded for CI (`STRIPE_FC_FUZZ_EXAMPLES`, default 25 programs of up to 30 steps), drawn with a new seed each
run; a longer run: `STRIPE_FC_FUZZ_EXAMPLES=2000 pytest tests/reliability/test_state_machine.py`, one seed again:
`pytest tests/reliability/test_state_machine.py --hypothesis-seed=N`."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, multiple, rule

import tests.hypothesis_profiles  # noqa: F401  (the suite's hypothesis profile, before any settings are made)
from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller, AsgiResponse

PREVIEW = "2026-09-30.preview"
# The documented values, stated here rather than imported from the emulator (a wrong table there must fail here):
CAUSES = ["access_denied", "access_expired", "account_closed", "account_unavailable", "institution_requirement",
          "unspecified"]
"""`status_details.inactive.cause` (reference: Financial Connections account deactivation causes)."""
NO_RELINK = {"account_closed", "account_unavailable"}
"""Causes whose default action is `none`: a relink cannot repair them; every other cause's is `relink_required`."""
FAILURES = {"cancel": ("cancelled", "other"), "authentication_failed": ("failed", "no_authorization"),
            "different_login": ("failed", "no_authorization"), "error": ("failed", "other")}
"""README, `…/complete`: outcomes that always fail a relink, with the session status and failure_reason of each."""
OUTCOMES = ["success", "no_accounts_available", *FAILURES]
SCHEDULABLE = {"access_expired", "institution_requirement", "unspecified"}
"""The causes `status_details.active` (an upcoming deactivation) can carry (reference, upcoming deactivations)."""
HELPERS = "/v1/test_helpers/financial_connections"
FC = "/v1/financial_connections"
ACCOUNT_NAMES = ["Sample Checking Account", "Sample Savings Account"]
INSTITUTIONS = {"Test (Non-OAuth)": ACCOUNT_NAMES,
                "Emulator: TAN States": ["TAN Checking", "TAN Savings (expiring soon)"]}
STATUS_EVENTS = {("active", "inactive"): "financial_connections.account.deactivated",
                 ("inactive", "active"): "financial_connections.account.reactivated",
                 ("active", "disconnected"): "financial_connections.account.disconnected",
                 ("inactive", "disconnected"): "financial_connections.account.disconnected"}
EXAMPLES = int(os.environ.get("STRIPE_FC_FUZZ_EXAMPLES", "25"))
STEPS = int(os.environ.get("STRIPE_FC_FUZZ_STEPS", "30"))
YEAR = 400 * 86400
MANDATE = {"mandate_data[customer_acceptance][type]": "online",
           "mandate_data[customer_acceptance][online][ip_address]": "203.0.113.7",
           "mandate_data[customer_acceptance][online][user_agent]": "Mozilla/5.0 (fuzz)"}
DEBIT_OUTCOMES = {"succeeded": None, "disputed": None, "stays_processing": None, "account_closed": "R02",
                  "no_account": "R03", "insufficient_funds": None, "debit_not_authorized": "R10",
                  "invalid_currency": None}
"""README, the next-debit helper: each outcome, and the ACH return code of those that block the bank account (Stripe:
closed, missing and unauthorized accounts are blocked; insufficient funds and currency are not)."""
SUCCEEDS = {"succeeded", "disputed"}
RETURN_CODES = {code for code in DEBIT_OUTCOMES.values() if code is not None}
PI_EVENTS = {("processing", "succeeded"): ["payment_intent.succeeded"],
             ("processing", "requires_payment_method"): ["payment_intent.payment_failed"]}
"""What settling a debit sends (README, Debits); a cancel sends payment_intent.canceled from any earlier status."""
PAYOUT_PATH = ["pending", "in_transit"]
"""A payout's statuses before it ends (README, payouts): each step, and the end, send payout.updated."""
STATS: Counter[str] = Counter()
"""Steps and programs run in this process (the README's figures come from `python -m tests.reliability.figures`)."""


def _same(restored: dict[str, Any], original: dict[str, Any], when: str) -> None:
    for view, body in original.items():
        if view == "/_emulator/clock":  # an unfrozen clock flows between the two reads: by as much as real time did
            assert restored[view]["frozen"] == body["frozen"], f"{when}: {view} differs"
            if body["frozen"]:
                assert restored[view]["now"] == body["now"], f"{when}: frozen clocks differ"
                continue
            # each clock was read some time within its request: the same offset from real time means the two
            # readings differ from their read times by the same amount, give or take the requests' own durations
            offsets = [clock["now"] - (clock["sent"] + clock["answered"]) / 2 for clock in (restored[view], body)]
            slack = sum((clock["answered"] - clock["sent"]) / 2 for clock in (restored[view], body)) + 0.001
            assert abs(offsets[0] - offsets[1]) <= slack, f"{when}: clocks {abs(offsets[0] - offsets[1]):.3f}s apart"
            continue
        if restored[view] != body:  # say how: the first item that differs, both ways
            mine, theirs = restored[view].get("data", [restored[view]]), body.get("data", [body])
            first = next((pair for pair in zip(mine, theirs, strict=False) if pair[0] != pair[1]), (mine, theirs))
            raise AssertionError(f"{when}: {view} differs:\n restored {json.dumps(first[0], sort_keys=True)[:1500]}"
                                 f"\n original {json.dumps(first[1], sort_keys=True)[:1500]}")


class _Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook endpoint on loopback: `/ok` answers 200, anything else 500."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200 if self.path == "/ok" else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


_receiver: http.server.ThreadingHTTPServer | None = None


def receiver_url(path: str) -> str:
    global _receiver
    if _receiver is None:
        _receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        threading.Thread(target=_receiver.serve_forever, daemon=True, name="fuzz webhook receiver").start()
    return f"http://127.0.0.1:{_receiver.server_address[1]}{path}"


class RelinkWorld(RuleBasedStateMachine):
    accounts = Bundle("accounts")

    def __init__(self) -> None:
        super().__init__()
        self.caller = AsgiCaller(create_app(Settings(seed=5)))
        self.headers = {"Authorization": "Bearer sk_test_fuzz", "Stripe-Version": PREVIEW}
        self.known: dict[str, str] = {}  # account id -> status last seen
        self.expected_events: Counter[str] = Counter()
        self.server_errors: list[str] = []
        self.payment_methods: dict[str, str] = {}  # pm id -> fc account id
        self.setup_intents: dict[str, str] = {}  # unconfirmed setup intent id -> fc account id
        self.externals: dict[str, tuple[str, str]] = {}  # external bank account id -> (connected account, fc account)
        self.connected: str | None = None
        self.starting_balance = 0
        self.debitable: dict[str, str] = {}  # pm id -> customer (payment methods set up for debits)
        self.next_debit: dict[str, str] = {}  # pm id -> the outcome the bank was told for its next debit
        self.debits: dict[str, str] = {}  # pi id -> status last seen
        self.debit_outcome: dict[str, str] = {}  # pi id -> what its debit must do
        self.debit_method: dict[str, str] = {}  # pi id -> pm id
        self.returned: set[str] = set()  # fingerprints of bank accounts a return blocked
        self.payouts: dict[str, tuple[str, int]] = {}  # payout id -> (status last seen, amount)
        self.events_seen: dict[str, Any] = {}  # event id -> its `data` as first rendered
        STATS["programs"] += 1

    def teardown(self) -> None:
        self._close(self.caller)

    def _close(self, caller: AsgiCaller) -> None:
        """Let webhook attempts in flight finish first: cancelled in the middle of connecting, httpx/anyio leave an
        un-awaited coroutine behind (a warning, which this suite treats as an error)."""
        flushed = caller.request("POST", "/_emulator/webhooks/flush", headers=self.headers, data={"timeout": "10"})
        assert flushed.status == 200, flushed.body
        caller.close()

    def call(self, method: str, path: str, data: Any = None, expect: int | None = 200,
             account: str | None = None) -> AsgiResponse:
        """The response, which must have status `expect` (None: any below 500, for reads whose answer is checked
        by the caller); `account`: as that connected account (`Stripe-Account`)."""
        STATS["requests"] += 1
        headers = self.headers if account is None else {**self.headers, "Stripe-Account": account}
        response = self.caller.request(method, path, headers=headers, data=data)
        if response.status >= 500:
            STATS["server_errors"] += 1
            self.server_errors.append(f"{method} {path} {data} -> {response.status} {response.body[:300]!r}")
        assert response.status < 500, self.server_errors[-1]
        if response.status >= 400:
            error = response.json()["error"]
            assert error["type"] and error["message"], error  # Stripe-shaped
        assert expect is None or response.status == expect, (method, path, data, response.status, response.body[:300])
        return response

    def _observe(self) -> None:
        """Fetch every account, debit and payout; a status change must be explained by exactly one new event."""
        for account_id, before in list(self.known.items()):
            after = self.call("GET", f"{FC}/accounts/{account_id}").json()["status"]
            if after != before:
                assert (before, after) in STATUS_EVENTS, f"{account_id}: {before} -> {after} is not a known transition"
                self.expected_events[STATUS_EVENTS[(before, after)]] += 1
                self.known[account_id] = after
        for pi_id, before in list(self.debits.items()):
            intent = self.call("GET", f"/v1/payment_intents/{pi_id}").json()
            after = intent["status"]
            if after == before:
                continue
            assert (before, after) in PI_EVENTS, f"{pi_id}: {before} -> {after} is not a debit settling"
            self.expected_events.update(PI_EVENTS[(before, after)])
            STATS["debits_settled"] += 1
            self.debits[pi_id] = after
            outcome = self.debit_outcome[pi_id]
            assert outcome != "stays_processing", (pi_id, intent)  # it never settles (only a cancel ends it)
            assert (after == "succeeded") == (outcome in SUCCEEDS), (pi_id, outcome, intent)
            if after == "requires_payment_method":
                assert intent["last_payment_error"]["code"] == outcome, (pi_id, outcome, intent)
                if DEBIT_OUTCOMES[outcome] is not None:  # a return that blocks: every method of that bank account
                    self.returned.add(intent["last_payment_error"]["payment_method"]["us_bank_account"]["fingerprint"])
            if outcome == "disputed":
                self.expected_events["charge.dispute.created"] += 1
        for payout_id, (before, amount) in list(self.payouts.items()):
            after = self.call("GET", f"/v1/payouts/{payout_id}", account=self.connected).json()["status"]
            if after == before:
                continue
            assert before in PAYOUT_PATH, (payout_id, before, after)  # ended payouts do not change again
            if after == "canceled":  # only while pending: one update, and its own event
                assert before == "pending", (payout_id, before)
                steps = 1
            elif after in PAYOUT_PATH:  # pending -> in_transit
                assert PAYOUT_PATH.index(after) > PAYOUT_PATH.index(before), (payout_id, before, after)
                steps = PAYOUT_PATH.index(after) - PAYOUT_PATH.index(before)
            else:  # it arrived: the steps it passed, then its end (paid or failed, with its own event)
                assert after in ("paid", "failed"), (payout_id, after)
                steps = len(PAYOUT_PATH) - PAYOUT_PATH.index(before)
            if after not in PAYOUT_PATH:
                self.expected_events[f"payout.{after}"] += 1
                STATS["payouts_ended"] += 1
            self.expected_events["payout.updated"] += steps
            self.payouts[payout_id] = (after, amount)

    @rule(target=accounts, institution=st.sampled_from(sorted(INSTITUTIONS)),
          picks=st.lists(st.integers(0, 1), min_size=1, max_size=2, unique=True))
    def link(self, institution: str, picks: list[int]) -> Any:
        customer = self.call("POST", "/v1/customers", {"name": "Fuzz"}).json()["id"]
        session = self.call("POST", f"{FC}/sessions", [("permissions[]", "payment_method"),
                                                       ("account_holder[type]", "customer"),
                                                       ("account_holder[customer]", customer)]).json()
        done = self.call("POST", f"{HELPERS}/sessions/{session['id']}/complete",
                         [("institution", institution)] + [("accounts[]", INSTITUTIONS[institution][i])
                                                            for i in picks]).json()
        assert done["status"] == "succeeded", done
        linked = done["accounts"]["data"]
        for account in linked:
            self.known[account["id"]] = account["status"]
        self._observe()
        return multiple(*[(a["id"], customer, institution) for a in linked])

    @rule(pick=accounts, cause=st.sampled_from(CAUSES), action=st.sampled_from(["none", "relink_required", None]))
    def deactivate(self, pick: Any, cause: str, action: str | None) -> None:
        account_id, _, _ = pick
        data = {"cause": cause, **({"action": action} if action else {})}
        was_active = self.known[account_id] == "active"
        numbers_before = self.call("GET", f"{FC}/accounts/{account_id}").json().get("account_numbers") or []
        # only an active account can be deactivated (an inactive or disconnected one: a 400 that changes nothing)
        self.call("POST", f"{HELPERS}/accounts/{account_id}/deactivate", data, expect=200 if was_active else 400)
        self._observe()
        if was_active:  # it is now inactive with exactly this cause, and the action given or the cause's default
            inactive = self.call("GET", f"{FC}/accounts/{account_id}").json()["status_details"]["inactive"]
            default = "none" if cause in NO_RELINK else "relink_required"
            assert inactive == {"cause": cause, "action": action or default}
            # a TAN dies with the account only when access was revoked or the account closed (facts §3)
            numbers = self.call("GET", f"{FC}/accounts/{account_id}").json().get("account_numbers") or []
            revoking = cause in ("access_denied", "account_closed")
            for before, after in zip(numbers_before, numbers, strict=True):
                dies = revoking and before["identifier_type"] == "tokenized_account_number"
                expected = "deactivated" if dies and before["status"] == "transactable" else before["status"]
                assert after["status"] == expected, (cause, numbers_before, numbers)

    @rule(pick=consumes(accounts))
    def disconnect(self, pick: Any) -> None:
        account_id, _, _ = pick
        self.call("POST", f"{FC}/accounts/{account_id}/disconnect")
        self._observe()

    @rule(pick=accounts, specific=st.booleans(), outcome=st.one_of(st.just("success"), st.sampled_from(OUTCOMES)),
          other_account=st.booleans())
    def relink(self, pick: Any, specific: bool, outcome: str, other_account: bool) -> None:
        account_id, customer, institution = pick
        account = self.call("GET", f"{FC}/accounts/{account_id}").json()
        authorization = self.call("GET", f"{FC}/authorizations/{account['authorization']}").json()
        data = [("permissions[]", "payment_method"), ("account_holder[type]", "customer"),
                ("account_holder[customer]", customer), ("relink_options[authorization]", account["authorization"])]
        if specific:
            data.append(("relink_options[account]", account_id))
        inactive = (account.get("status_details") or {}).get("inactive")
        # refused: a disconnected authorization; for a specific relink, a disconnected account or one a relink
        # cannot repair (action none)
        refused = authorization["status"] == "disconnected" or (specific and (
            account["status"] == "disconnected" or (inactive is not None and inactive["action"] == "none")))
        created = self.call("POST", f"{FC}/sessions", data, expect=400 if refused else 200)
        if refused:
            return
        session = created.json()
        complete = [("outcome", outcome)]
        if other_account:
            complete.append(("accounts[]", INSTITUTIONS[institution][1]))
        before = {a["id"]: a for a in self._all_accounts() if a["authorization"] == account["authorization"]}
        done = self.call("POST", f"{HELPERS}/sessions/{session['id']}/complete", complete).json()
        for linked in done.get("accounts", {}).get("data", []):
            self.known.setdefault(linked["id"], "active")
        result = done["relink_result"]
        if outcome in FAILURES:  # these always fail, each with its own reason
            assert (done["status"], result["failure_reason"]) == FAILURES[outcome], (outcome, done)
        elif done["status"] == "failed":  # success or no_accounts_available that found nothing to relink
            assert result["failure_reason"] == "no_account", (outcome, done)
        if done["status"] == "succeeded":
            assert result["failure_reason"] is None and result["authorization"] == account["authorization"]
            assert result["account"] == (account_id if specific else None)  # named for a specific relink only
            after = {a["id"]: a for a in self._all_accounts() if a["authorization"] == account["authorization"]}
            for member_id, member in before.items():  # what a relink repairs comes back; nothing else changes
                was = (member.get("status_details") or {}).get("inactive")
                if was is not None and was["action"] == "relink_required":
                    assert after[member_id]["status"] == "active", (member_id, after[member_id])
                elif member["status"] != "active":
                    assert after[member_id]["status"] == member["status"], (member_id, after[member_id])
        else:
            assert result["account"] is None and result["authorization"] is None, done
        self._observe()

    def _payment_method_refusal(self, account_id: str) -> str | None:
        """The error code a payment method made from this account gets (None: it is made): the account must be
        active and its account number (the TAN, at a TAN bank) transactable."""
        account = self.call("GET", f"{FC}/accounts/{account_id}").json()
        if account["status"] != "active":
            return "financial_connections_account_inactive"
        if any(number["status"] != "transactable" for number in account.get("account_numbers") or []):
            return "financial_connections_account_unavailable_account_numbers"
        return None

    def _all_events(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = self.call("GET", "/v1/events?limit=100").json()
        found += page["data"]
        while page["has_more"]:
            page = self.call("GET", f"/v1/events?limit=100&starting_after={found[-1]['id']}").json()
            found += page["data"]
        return found

    def _all_accounts(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = self.call("GET", f"{FC}/accounts?limit=100").json()["data"]
        return listed

    @rule(pick=accounts, reason=st.sampled_from(["revoked", "expired"]))
    def deactivate_numbers(self, pick: Any, reason: str) -> None:
        account_id, _, institution = pick
        account = self.call("GET", f"{FC}/accounts/{account_id}").json()
        live = any(number["status"] == "transactable" for number in account.get("account_numbers") or [])
        usable = institution == "Emulator: TAN States" and account["status"] != "disconnected" and live
        self.call("POST", f"{HELPERS}/accounts/{account_id}/account_numbers/deactivate", {"reason": reason},
                  expect=200 if usable else 400)  # a TAN that is still transactable, on an account still linked
        self._observe()

    @rule(pick=accounts)
    def setup_payment_method(self, pick: Any) -> None:
        account_id, customer, _ = pick
        refusal = self._payment_method_refusal(account_id)
        created = self.call("POST", "/v1/setup_intents", [
            ("customer", customer), ("payment_method_data[type]", "us_bank_account"),
            ("payment_method_data[us_bank_account][financial_connections_account]", account_id),
            ("payment_method_data[billing_details][name]", "Jenny Rosen")], expect=200 if refusal is None else 400)
        if refusal is not None:
            assert created.json()["error"]["code"] == refusal, created.body
        elif created.json().get("payment_method"):
            self.payment_methods[created.json()["payment_method"]] = account_id
            self.setup_intents[created.json()["id"]] = account_id
            self.debitable[created.json()["payment_method"]] = customer
        self._observe()

    @rule(data=st.data())
    def confirm_setup_intent(self, data: st.DataObject) -> None:
        """Confirming succeeds exactly when the account's number is transactable and no return blocked its bank
        account (§5; facts §3: an inactive or disconnected data connection alone does not block); otherwise it fails
        with
        `payment_method_bank_account_blocked` and the intent goes back to requires_payment_method."""
        if not self.setup_intents:
            return
        si_id = data.draw(st.sampled_from(sorted(self.setup_intents)))
        account = self.call("GET", f"{FC}/accounts/{self.setup_intents[si_id]}").json()
        intent = self.call("GET", f"/v1/setup_intents/{si_id}").json()
        before = intent["status"]
        confirmed = self.call("POST", f"/v1/setup_intents/{si_id}/confirm", MANDATE, expect=None)  # checked below
        del self.setup_intents[si_id]
        if before != "requires_confirmation":
            assert confirmed.status == 400, confirmed.body  # only a confirmable intent confirms
            return
        method = self.call("GET", f"/v1/payment_methods/{intent['payment_method']}").json()
        returned = method["us_bank_account"]["fingerprint"] in self.returned  # a return blocked its bank account
        usable = not returned and all(number["status"] == "transactable"
                                      for number in account.get("account_numbers") or [])
        after = self.call("GET", f"/v1/setup_intents/{si_id}").json()
        if usable:
            assert confirmed.status == 200 and confirmed.json()["status"] == "succeeded", confirmed.body
            assert after["status"] == "succeeded" and after["last_setup_error"] is None, after
        else:
            assert confirmed.status == 400, confirmed.body
            assert confirmed.json()["error"]["code"] == "payment_method_bank_account_blocked"
            # a failed confirmation returns the intent to requires_payment_method, saying why
            assert after["status"] == "requires_payment_method" and after["payment_method"] is None, after
            assert after["last_setup_error"]["code"] == "payment_method_bank_account_blocked", after
        self._observe()

    @rule(pick=accounts, data=st.data(), outcome=st.one_of(st.none(), st.sampled_from(sorted(DEBIT_OUTCOMES))),
          amount=st.integers(min_value=50, max_value=100_000), again=st.booleans())
    def debit(self, pick: Any, data: st.DataObject, outcome: str | None, amount: int, again: bool) -> None:
        """A debit of a payment method of the account (made first when it has none; the customer's acceptance
        given), the bank told its outcome first or not: refused at once exactly when the method is blocked (a TAN not
        transactable, or a return), else processing — and it settles as the bank said (checked in `_observe`).
        `again`: once it has settled, the same method is debited once more (after a return that blocks: refused)."""
        account_id, customer, _ = pick
        methods = sorted(pm for pm in self.debitable if self.payment_methods[pm] == account_id)
        if not methods:
            if self._payment_method_refusal(account_id) is not None:
                return  # no payment method can be made from it (setup_payment_method checks that refusal)
            made_pm = self.call("POST", "/v1/payment_methods", {
                "type": "us_bank_account", "us_bank_account[financial_connections_account]": account_id}).json()
            self.payment_methods[made_pm["id"]] = account_id
            self.debitable[made_pm["id"]] = customer
            methods = [made_pm["id"]]
        pm_id = data.draw(st.sampled_from(methods))
        self._debit(pm_id, outcome, amount)
        if again:
            self.advance_clock(3 * 60)
            self._debit(pm_id, None, amount)

    def _debit(self, pm_id: str, outcome: str | None, amount: int) -> None:
        if outcome is not None:
            told = self.call("POST", f"/v1/test_helpers/payment_methods/{pm_id}/next_debit", {"outcome": outcome})
            assert told.json()["id"] == pm_id
            self.next_debit[pm_id] = outcome
        method = self.call("GET", f"/v1/payment_methods/{pm_id}").json()
        blocked = (method["us_bank_account"]["status_details"] or {}).get("blocked")
        made = self.call("POST", "/v1/payment_intents", {
            "amount": str(amount), "currency": "usd", "customer": self.debitable[pm_id], "payment_method": pm_id,
            "confirm": "true", **MANDATE}, expect=200 if blocked is None else 400)
        self.expected_events["payment_intent.created"] += 1
        if blocked is not None:  # never sent: the intent is left needing another payment method, saying why
            error = made.json()["error"]
            assert error["code"] == "payment_method_bank_account_blocked", error
            assert error["payment_intent"]["status"] == "requires_payment_method", error
            self.expected_events["payment_intent.payment_failed"] += 1
            self.debits[error["payment_intent"]["id"]] = "requires_payment_method"
            return
        intent = made.json()
        STATS["debits"] += 1
        assert intent["status"] == "processing", intent
        self.expected_events["payment_intent.processing"] += 1
        self.debits[intent["id"]] = "processing"
        self.debit_outcome[intent["id"]] = self.next_debit.pop(pm_id, "succeeded")  # the bank's word is used once
        self.debit_method[intent["id"]] = pm_id
        self._observe()

    @rule(data=st.data())
    def cancel_debit(self, data: st.DataObject) -> None:
        """Cancelable until it succeeded (processing included); a canceled or succeeded debit refuses."""
        if not self.debits:
            return
        pi_id = data.draw(st.sampled_from(sorted(self.debits)))
        self._observe()  # its status now
        cancellable = self.debits[pi_id] in ("requires_payment_method", "requires_confirmation", "requires_action",
                                             "processing")
        canceled = self.call("POST", f"/v1/payment_intents/{pi_id}/cancel", {}, expect=200 if cancellable else 400)
        if cancellable:
            assert canceled.json()["status"] == "canceled"
            self.expected_events["payment_intent.canceled"] += 1
            self.debits[pi_id] = "canceled"
        self._observe()

    @rule(pick=accounts, data=st.data(), amount=st.integers(min_value=1, max_value=5_000))
    def payout(self, pick: Any, data: st.DataObject, amount: int) -> None:
        """A payout of the connected account to a bank account made from the account (made first when there is
        none): pending — it is paid or fails later."""
        banks = sorted(ext for ext, (_, account_id) in self.externals.items() if account_id == pick[0])
        if not banks:
            self.payout_bank_account(pick)
            banks = sorted(ext for ext, (_, account_id) in self.externals.items() if account_id == pick[0])
            if not banks:
                return  # the account cannot give a payout bank account now (inactive, TAN not transactable)
        external = data.draw(st.sampled_from(banks))
        connected, _ = self.externals[external]
        made = self.call("POST", "/v1/payouts", {"amount": str(amount), "currency": "usd", "destination": external},
                         account=connected).json()
        assert (made["status"], made["destination"]) == ("pending", external), made
        STATS["payouts"] += 1
        self.expected_events["payout.created"] += 1
        self.payouts[made["id"]] = ("pending", amount)
        self._observe()

    @rule(data=st.data())
    def cancel_payout(self, data: st.DataObject) -> None:
        if not self.payouts:
            return
        payout_id = data.draw(st.sampled_from(sorted(self.payouts)))
        self._observe()  # its status now
        self.call("POST", f"/v1/payouts/{payout_id}/cancel", {}, account=self.connected,
                  expect=200 if self.payouts[payout_id][0] == "pending" else 400)
        self._observe()

    @rule(pick=accounts, days=st.integers(min_value=1, max_value=30), cause=st.sampled_from(CAUSES),
          action=st.sampled_from(["none", "relink_required"]))
    def schedule_deactivation(self, pick: Any, days: int, cause: str, action: str) -> None:
        account_id, _, _ = pick
        # only an active account can be scheduled to go inactive, and only for a cause an upcoming one can have
        allowed = self.known[account_id] == "active" and cause in SCHEDULABLE
        self.call("POST", f"{HELPERS}/accounts/{account_id}/schedule_deactivation",
                  {"after_seconds": str(days * 86400), "cause": cause, "action": action},
                  expect=200 if allowed else 400)
        self._observe()

    @rule(pick=accounts)
    def payout_bank_account(self, pick: Any) -> None:
        """A payout account (§5): payment method from the FC account, token from it, external account."""
        account_id, customer, _ = pick
        refusal = self._payment_method_refusal(account_id)
        created = self.call("POST", "/v1/setup_intents", [
            ("flow_directions[]", "outbound"), ("payment_method_data[type]", "us_bank_account"),
            ("payment_method_data[us_bank_account][financial_connections_account]", account_id),
            ("payment_method_data[billing_details][name]", "Jenny Rosen")], expect=200 if refusal is None else 400)
        if refusal is not None:
            assert created.json()["error"]["code"] == refusal, created.body
        pm_id = created.json().get("payment_method") if refusal is None else None
        if pm_id is None:
            return
        self.payment_methods[pm_id] = account_id
        token = self.call("POST", "/v1/tokens", {"bank_account[payment_method]": pm_id}, expect=None)
        if token.status != 200:
            return
        if self.connected is None:
            self.connected = self.call("POST", "/v1/accounts", {"type": "custom", "country": "US"}).json()["id"]
            self.starting_balance = self._available()
        external = self.call("POST", f"/v1/accounts/{self.connected}/external_accounts",
                             {"external_account": token.json()["id"]})
        assert external.status == 200, external.body
        self.externals[external.json()["id"]] = (self.connected, account_id)
        self._observe()

    @rule(answer=st.sampled_from(["ok", "fail"]), events=st.sampled_from(["*", "financial_connections.account.*",
                                                                          "payment_method.automatically_updated"]))
    def add_webhook_endpoint(self, answer: str, events: str) -> None:
        response = self.call("POST", "/v1/webhook_endpoints", {"url": receiver_url(f"/{answer}"),
                                                               "enabled_events[]": events})
        assert response.status == 200, response.body

    @rule()
    def flush_webhooks(self) -> None:
        response = self.caller.request("POST", "/_emulator/webhooks/flush", headers=self.headers,
                                       data={"timeout": "10"})
        assert response.status == 200, response.body

    @rule()
    def restart_from_snapshot(self) -> None:
        """Save the world and restore it twice: the restored world must look the same now, and — probed in the
        second copy — must also behave the same when a year passes (timers, renderers, deliveries survived). The run
        goes on in the first copy."""
        saved = self.call("GET", "/_emulator/snapshot")
        assert saved.status == 200, saved.body
        fresh, probe = (self._restored(saved.body) for _ in range(2))
        _same(self._views(fresh), self._views(self.caller), "restored")
        for caller in (self.caller, probe):
            moved = caller.request("POST", "/_emulator/clock", headers=self.headers, data={"advance": str(YEAR)})
            assert moved.status == 200
        _same(self._views(probe), self._views(self.caller), "a year after restoring")
        self._close(probe)
        self._close(self.caller)
        self.caller = fresh
        self.known = {account_id: self.call("GET", f"{FC}/accounts/{account_id}").json()["status"]
                      for account_id in self.known}
        STATS["restarts"] += 1

    def _restored(self, document: bytes) -> AsgiCaller:
        caller = AsgiCaller(create_app(Settings(seed=5)))
        restored = caller.request("POST", "/_emulator/restore", body=document,
                                  headers={**self.headers, "Content-Type": "application/json"})
        assert restored.status == 200, restored.body
        return caller

    def _views(self, caller: AsgiCaller) -> dict[str, Any]:
        views = [f"{FC}/accounts?limit=100", "/v1/events?limit=100", "/v1/customers?limit=100",
                 "/v1/webhook_endpoints?limit=100", "/_emulator/clock",
                 *[f"/v1/payment_methods/{pm}" for pm in self.payment_methods],
                 *[f"/v1/accounts/{acct}/external_accounts/{ext}" for ext, (acct, _) in self.externals.items()]]
        seen: dict[str, Any] = {}
        for view in views:
            sent = time.time()
            body = caller.request("GET", view, headers=self.headers).json()
            if view == "/_emulator/clock":  # the clock flows (unfrozen) between two reads: note when it was read
                body = {"frozen": body["frozen"], "now": body["now_float"], "sent": sent, "answered": time.time()}
            if view.startswith("/v1/events"):  # deliveries go on in the old world while we compare; the
                for event in body["data"]:  # restored world's counts are checked by the invariant
                    event.pop("pending_webhooks")
            seen[view] = body
        return seen

    @rule(seconds=st.integers(min_value=1, max_value=400 * 86400))
    def advance_clock(self, seconds: int) -> None:
        response = self.caller.request("POST", "/_emulator/clock", headers=self.headers,
                                       data={"advance": str(seconds)})
        assert response.status == 200
        self._observe()

    @rule(seconds=st.sampled_from([3 * 60, 86400]))
    def let_money_move(self, seconds: int) -> None:
        """The steps money takes (README: a debit settles and a payout goes in transit 3 minutes later, a payout
        arrives a day later), so that debits and payouts do settle in a short program."""
        self.advance_clock(seconds)

    @invariant()
    def accounts_agree_with_their_causes_and_authorizations(self) -> None:
        by_authorization: dict[str, list[dict[str, Any]]] = {}
        for account in self._all_accounts():
            inactive = (account.get("status_details") or {}).get("inactive")
            if account["status"] == "inactive":
                assert inactive is not None and inactive["cause"] in CAUSES, account
                assert inactive["action"] in {"none", "relink_required"}
            else:
                assert inactive is None, account
            by_authorization.setdefault(account["authorization"], []).append(account)
        for authorization_id, members in by_authorization.items():
            status = self.call("GET", f"{FC}/authorizations/{authorization_id}").json()["status"]
            # every account of the authorization is known here, so the rule is exact: disconnected when all are;
            # inactive when one needs a relink; active otherwise (with active accounts it is never disconnected)
            if all(m["status"] == "disconnected" for m in members):
                assert status == "disconnected", (authorization_id, members)
            elif any(m["status"] == "inactive" and m["status_details"]["inactive"]["action"] == "relink_required"
                     for m in members):
                assert status == "inactive", (authorization_id, members)
            else:
                assert status == "active", (authorization_id, status, members)

    @invariant()
    def a_payment_method_is_blocked_exactly_when_its_number_is_not_transactable_or_a_return_blocked_it(self) -> None:
        for pm_id, account_id in self.payment_methods.items():
            pm = self.call("GET", f"/v1/payment_methods/{pm_id}").json()
            blocked = (pm.get("us_bank_account", {}).get("status_details") or {}).get("blocked")
            if pm["us_bank_account"]["fingerprint"] in self.returned:  # a return's block lasts, whatever the TAN
                assert blocked is not None and blocked["network_code"] in RETURN_CODES, (pm_id, blocked)
                continue
            numbers = self.call("GET", f"{FC}/accounts/{account_id}").json().get("account_numbers") or []
            transactable = all(number["status"] == "transactable" for number in numbers)
            assert (blocked is None) == transactable, (pm_id, numbers, blocked)

    def _available(self) -> int:
        balance = self.call("GET", "/v1/balance", account=self.connected).json()
        amount: int = balance["available"][0]["amount"]
        return amount

    @invariant()
    def a_connected_accounts_balance_is_what_it_had_less_what_is_paid_out_or_on_its_way(self) -> None:
        if self.connected is None:
            return
        self._observe()  # the statuses as of now (a read may have run the clock's due work)
        out = sum(amount for status, amount in self.payouts.values() if status in ("pending", "in_transit", "paid"))
        assert self._available() == self.starting_balance - out, (self.payouts, self.starting_balance)

    @invariant()
    def a_debit_that_succeeded_was_sent_with_a_method_not_blocked_then(self) -> None:
        for pi_id, status in self.debits.items():
            if status == "succeeded":
                intent = self.call("GET", f"/v1/payment_intents/{pi_id}?expand[]=latest_charge").json()
                assert intent["latest_charge"]["status"] == "succeeded", intent
                assert self.debit_outcome[pi_id] in SUCCEEDS, (pi_id, self.debit_outcome[pi_id])

    @invariant()
    def an_external_account_is_blocked_exactly_when_its_number_is_not_transactable(self) -> None:
        for external_id, (connected, account_id) in self.externals.items():
            external = self.call("GET", f"/v1/accounts/{connected}/external_accounts/{external_id}").json()
            numbers = self.call("GET", f"{FC}/accounts/{account_id}").json().get("account_numbers") or []
            transactable = all(number["status"] == "transactable" for number in numbers)
            assert (external["status"] == "new") == transactable, (external_id, numbers, external["status"])

    @invariant()
    def pending_webhooks_counts_the_deliveries_not_yet_successful(self) -> None:
        state = self.caller.app.state.emulator
        backend = state.backends.get("fuzz")
        outbox = state.dispatcher.outbox(backend)

        def open_deliveries() -> Counter[str]:  # the deliveries themselves, from the outbox, under the lock
            with backend.lock:
                return Counter(d.event for d in outbox.deliveries.values() if d.status != "succeeded")

        for _ in range(50):  # attempts go on in the background: compare with a moment in which none finished
            before = open_deliveries()
            events = self._all_events()  # what the API renders
            if open_deliveries() == before:
                break
        else:
            raise AssertionError("deliveries kept finishing while the events were read")
        for event in events:
            assert event["pending_webhooks"] == before[event["id"]], (event["id"], event["pending_webhooks"])
        STATS["checks"] += 1  # invariants run once at the start of a program and after each step

    @invariant()
    def an_event_shows_its_object_as_it_was_then_however_the_object_changes_later(self) -> None:
        # events share frozen copies, and frozen copies share what the live object replaces rather than changes in
        # place: a change in place anywhere would show here as an event changing after the fact (a snapshot and its
        # restore, among the rules, must keep them too)
        for event in self._all_events():
            first = self.events_seen.setdefault(event["id"], event["data"])
            assert event["data"] == first, (event["id"], event["type"])

    @invariant()
    def every_status_change_has_exactly_one_event(self) -> None:
        for event_type, expected in self.expected_events.items():
            events = self.call("GET", f"/v1/events?type={event_type}&limit=100").json()["data"]
            assert len(events) == expected, (event_type, len(events), expected)


RelinkWorld.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow], derandomize=False,
                                         database=None, print_blob=True)
"""Unlike the rest of the suite, the programs are drawn anew each run (CI included), so run after run explores
different worlds; a failure prints `--hypothesis-seed=…` and a `@reproduce_failure` blob that replay it."""
TestRelinkWorld = RelinkWorld.TestCase


def test_found_by_the_fuzzer_a_disconnected_accounts_old_inactivity_does_not_keep_the_authorization_inactive() -> None:
    caller = AsgiCaller(create_app(Settings(seed=5)))
    headers = {"Authorization": "Bearer sk_test_regress", "Stripe-Version": PREVIEW}
    try:
        customer = caller.request("POST", "/v1/customers", headers=headers, data={"name": "x"}).json()["id"]
        session = caller.request("POST", f"{FC}/sessions", headers=headers, data=[
            ("permissions[]", "payment_method"), ("account_holder[type]", "customer"),
            ("account_holder[customer]", customer)]).json()
        done = caller.request("POST", f"{HELPERS}/sessions/{session['id']}/complete", headers=headers,
                              data=[("accounts[]", name) for name in ACCOUNT_NAMES]).json()
        closed, denied = (a["id"] for a in done["accounts"]["data"])
        authorization = done["accounts"]["data"][0]["authorization"]
        caller.request("POST", f"{HELPERS}/accounts/{closed}/deactivate", headers=headers,
                       data={"cause": "account_closed"})
        caller.request("POST", f"{HELPERS}/accounts/{denied}/deactivate", headers=headers,
                       data={"cause": "access_denied"})
        assert caller.request("GET", f"{FC}/authorizations/{authorization}", headers=headers).json()[
            "status"] == "inactive"
        caller.request("POST", f"{FC}/accounts/{denied}/disconnect", headers=headers)
        # left: one closed account (action none), nothing a relink could repair
        assert caller.request("GET", f"{FC}/authorizations/{authorization}", headers=headers).json()[
            "status"] == "active"
    finally:
        caller.close()
