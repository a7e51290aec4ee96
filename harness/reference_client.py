"""The source document's relink integration, written with the real stripe SDK: the default adapter for scenarios,
and an example to copy into your own code.

- §2: verify the webhook with `construct_event`; on `financial_connections.account.deactivated` prompt the customer
  when `status_details.inactive.action` is `relink_required`; when the account has no inactive details, the event
  destination is not on a preview API version (check it).
- §3-§4: create the relink session for a specific account or any eligible account at the institution, with the
  account's `account_holder` (null when it has none), `permissions` including `payment_method`.
- After the customer returns: read the outcome server-side from the session (`status`, `relink_result`) and decide
  whether the linked account is new by checking it is NOT among the accounts already known (the source sample's
  `existingAccountIds.includes(id)` is inverted).
- §5: a SetupIntent for payments (confirmed with a mandate) or payouts (outbound, then a bank-account token).
- Money: the newest payment method a customer set up is their default (`invoice_settings.default_payment_method`),
  and `charge` debits it off-session under its SetupIntent's mandate; a payout token of a connected account's bank
  account becomes that account's default external account, and `payout` pays out to it. A debit Stripe refuses is
  reported, not raised: the error carries the PaymentIntent it left.
- §6: the authorization tells whether a relink can repair the account.
- Proactively: `financial_connections.account.upcoming_deactivation` (action `relink_required`) and
  `…upcoming_account_number_expiry` prompt the customer before the account breaks (Stripe's notices come 30 days
  ahead).
"""

from __future__ import annotations

import json
from typing import Any

import stripe

from harness.client import (
    EmulatorContext,
    Payment,
    PaymentSetup,
    Payout,
    RelinkOutcome,
    RelinkStart,
    WebhookOutcome,
)
from harness.net import stripe_http_client

MANDATE = {"customer_acceptance": {"type": "online",
                                   "online": {"ip_address": "203.0.113.7", "user_agent": "reference-client"}}}


PROACTIVE = ("financial_connections.account.upcoming_deactivation",
             "financial_connections.account.upcoming_account_number_expiry")


def plain(obj: Any) -> dict[str, Any]:
    """A StripeObject as plain JSON data (its dict behaviour differs across SDK releases)."""
    found: dict[str, Any] = json.loads(str(obj))
    return found


class ReferenceClient:
    def __init__(self) -> None:
        self.context: EmulatorContext | None = None
        self.stripe: stripe.StripeClient | None = None
        self.prompted: list[str] = []
        """Accounts whose customer was asked to relink (what `prompt_user_to_relink` would do)."""
        self.known_accounts: dict[str, list[str]] = {}
        """Account ids known per relink session, to tell a new account from an existing one."""
        self.payout_destinations: dict[str, str] = {}
        """The external bank account chosen for each connected account's payouts."""

    def configure(self, context: EmulatorContext) -> None:
        self.context = context
        # One HTTP client shared by every ReferenceClient: the SDK's default makes a new one, TLS context and all
        # (~30 ms), for every StripeClient, and a scenario run configures a client per scenario.
        self.stripe = stripe.StripeClient(context.api_key, base_addresses={"api": context.base_url},
                                          stripe_version=context.api_version, max_network_retries=0,
                                          http_client=stripe_http_client())

    @property
    def client(self) -> stripe.StripeClient:
        if self.stripe is None:
            raise RuntimeError("ReferenceClient.configure() was not called")
        return self.stripe

    # -- §2 ----------------------------------------------------------------------------------------------------
    def handle_webhook(self, payload: str, signature: str) -> WebhookOutcome:
        secret = self.context.webhook_secret if self.context else None
        try:
            event = self.client.construct_event(payload, signature, secret or "")
        except ValueError:
            return WebhookOutcome(400, "rejected")  # invalid payload
        except stripe.SignatureVerificationError:
            return WebhookOutcome(400, "rejected")  # invalid signature
        if event.type in PROACTIVE:
            account = plain(event)["data"]["object"]
            active = (account.get("status_details") or {}).get("active") or {}
            if event.type.endswith("upcoming_account_number_expiry") or active.get("action") == "relink_required":
                self.prompted.append(account["id"])
                return WebhookOutcome(200, "prompt_relink", account["id"])
            return WebhookOutcome(200, "no_action", account["id"])
        if event.type != "financial_connections.account.deactivated":
            return WebhookOutcome(200, "ignored")
        account = plain(event)["data"]["object"]
        details = account.get("status_details") or {}
        if account.get("status") == "inactive" and "inactive" in details:
            if details["inactive"]["action"] == "relink_required":
                self.prompted.append(account["id"])
                return WebhookOutcome(200, "prompt_relink", account["id"])
            return WebhookOutcome(200, "no_action", account["id"])
        if account.get("status") == "inactive":
            # no status_details: check that the event destination uses the latest preview API version
            return WebhookOutcome(200, "check_api_version", account["id"])
        return WebhookOutcome(200, "no_action", account["id"])

    # -- §2 / §6: can a relink repair it? ---------------------------------------------------------------------
    def needs_relink(self, account: str) -> bool:
        found = plain(self.client.v1.financial_connections.accounts.retrieve(account))
        if found["status"] != "inactive":
            return False
        details = found.get("status_details") or {}
        if "inactive" not in details or details["inactive"]["action"] != "relink_required":
            return False
        response = self.client.raw_request("get", f"/v1/financial_connections/authorizations/{found['authorization']}")
        authorization: dict[str, Any] = json.loads(response.body)
        return bool(authorization["status"] == "inactive")

    # -- §3-§4 ---------------------------------------------------------------------------------------------------
    def start_relink(self, account: str, *, any_account: bool = False,
                     permissions: list[str] | None = None) -> RelinkStart:
        found = plain(self.client.v1.financial_connections.accounts.retrieve(account))
        holder = found["account_holder"]
        params: dict[str, Any] = {
            # the account's account_holder, or null when it has none (§3.1)
            "account_holder": holder if holder is not None else "",
            "permissions": sorted({"payment_method", *(permissions or [])},
                                  key=lambda p: (p != "payment_method", p)),
            "relink_options": {"authorization": found["authorization"]},
        }
        if any_account:
            params["filters"] = {"account_subcategories": ["checking", "savings"]}
            params["limits"] = {"accounts": 1}
        else:
            params["relink_options"]["account"] = found["id"]
        session = self.client.v1.financial_connections.sessions.create(params=params)
        query: dict[str, Any] = {"limit": 100}
        if holder is not None and holder.get("customer"):
            query["account_holder"] = {"customer": holder["customer"]}
        known = self.client.v1.financial_connections.accounts.list(params=query)
        self.known_accounts[session.id] = [a.id for a in known.data]
        return RelinkStart(session=session.id, client_secret=session.client_secret)

    def finish_relink(self, session: str) -> RelinkOutcome:
        found = plain(self.client.v1.financial_connections.sessions.retrieve(session))
        result = found.get("relink_result") or {}
        if found.get("status") == "cancelled":
            return RelinkOutcome("cancelled", None, None, result.get("failure_reason"))
        linked = found["accounts"]["data"]
        if found.get("status") != "succeeded" or not linked:
            return RelinkOutcome("failed", None, None, result.get("failure_reason"))
        account = linked[0]["id"]
        is_new = account not in self.known_accounts.get(session, [])  # NOT the sample's inverted includes()
        return RelinkOutcome("relinked", account, is_new, None)

    # -- §5 ----------------------------------------------------------------------------------------------------
    def _setup_params(self, account: str) -> dict[str, Any]:
        found = plain(self.client.v1.financial_connections.accounts.retrieve(account))
        params: dict[str, Any] = {
            "allowed_payment_method_types": ["us_bank_account"],
            "payment_method_data": {"type": "us_bank_account",
                                    "us_bank_account": {"financial_connections_account": account},
                                    "billing_details": {"name": "Jenny Rosen"}},
        }
        holder = found["account_holder"]
        if holder is not None and holder.get("customer"):
            params["customer"] = holder["customer"]  # omitted when the account has no account_holder
        return params

    def create_payment_method(self, account: str) -> PaymentSetup:
        intent = self.client.v1.setup_intents.create(params=self._setup_params(account))
        # the front end shows the ACH mandate and confirms (confirmUsBankAccountSetup); server-side stand-in:
        confirmed = self.client.v1.setup_intents.confirm(intent.id, params={"mandate_data": MANDATE})
        if confirmed.customer and confirmed.status == "succeeded":
            # the bank account the customer set up last is the one their debits use
            self.client.v1.customers.update(confirmed.customer, params={
                "invoice_settings": {"default_payment_method": confirmed.payment_method}})
        return PaymentSetup(confirmed.id, confirmed.payment_method, confirmed.status)

    def create_payout_token(self, account: str) -> PaymentSetup:
        params = {**self._setup_params(account), "flow_directions": ["outbound"], "confirm": True}
        intent = self.client.v1.setup_intents.create(params=params)
        token_params: dict[str, Any] = {"bank_account": {"payment_method": intent.payment_method}}
        if intent.customer:
            token_params["customer"] = intent.customer  # required when the payment method is attached
        token = self.client.v1.tokens.create(params=token_params)
        holder = plain(self.client.v1.financial_connections.accounts.retrieve(account))["account_holder"] or {}
        if holder.get("account"):  # a connected account's own bank account: it receives that account's payouts
            bank = self.client.v1.accounts.external_accounts.create(
                holder["account"], params={"external_account": token.id, "default_for_currency": True})
            self.payout_destinations[holder["account"]] = bank.id
        return PaymentSetup(intent.id, intent.payment_method, intent.status, token.id)

    # -- money -------------------------------------------------------------------------------------------------
    def charge(self, customer: str, amount: int) -> Payment:
        found = plain(self.client.v1.customers.retrieve(customer))
        method = (found.get("invoice_settings") or {}).get("default_payment_method")
        if not method:
            raise RuntimeError(f"customer {customer} has no payment method set up to debit")
        try:
            intent = self.client.v1.payment_intents.create(params={
                "amount": amount, "currency": "usd", "customer": customer, "payment_method": method,
                "off_session": True, "confirm": True})  # under the mandate of the SetupIntent that saved it
        except stripe.InvalidRequestError as exc:
            error = plain(exc.error) if exc.error is not None else {}
            left = error.get("payment_intent")
            if not isinstance(left, dict):
                raise
            return Payment(left["id"], left["status"], method, error.get("code"))
        return Payment(intent.id, intent.status, method)

    def payout(self, account: str, amount: int) -> Payout:
        params: dict[str, Any] = {"amount": amount, "currency": "usd"}
        if account in self.payout_destinations:
            params["destination"] = self.payout_destinations[account]
        made = self.client.v1.payouts.create(params=params, options={"stripe_account": account})
        return Payout(made.id, made.status, made.destination, made.failure_code)
