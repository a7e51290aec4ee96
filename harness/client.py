"""What scenarios call in the integrator's code: a small typed Protocol. Implement the methods your code has; a
scenario that needs a missing one is skipped with that reason. `harness.reference_client.ReferenceClient` is the
source document's integration, the default adapter and an example to copy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class EmulatorContext:
    """Where the integrator's code should send its Stripe calls during a scenario."""

    base_url: str
    api_key: str
    api_version: str
    webhook_secret: str | None = None


@dataclass(frozen=True)
class WebhookOutcome:
    status: int
    """The HTTP status the handler answers (2xx acknowledges the delivery)."""
    action: str
    """What the integrator decided: `prompt_relink`, `no_action`, `check_api_version`, `rejected`, `ignored`."""
    account: str | None = None


@dataclass(frozen=True)
class RelinkStart:
    session: str
    client_secret: str


@dataclass(frozen=True)
class RelinkOutcome:
    status: str
    """`relinked`, `failed` or `cancelled` (from the session's status and relink_result)."""
    account: str | None
    is_new: bool | None
    """Whether the linked account is a new one rather than one the integrator already knew (§4)."""
    failure_reason: str | None = None


@dataclass(frozen=True)
class PaymentSetup:
    setup_intent: str
    payment_method: str | None
    status: str
    token: str | None = None


@dataclass(frozen=True)
class Payment:
    """A debit the integrator made (`charge`): the PaymentIntent and what its confirmation left."""

    payment_intent: str
    status: str
    """The PaymentIntent's status after the call: `processing` once the debit is sent (it settles later, on the
    emulator's clock), `requires_payment_method` when the confirmation was refused."""
    payment_method: str | None = None
    """The PaymentMethod the integrator chose to debit."""
    failure_code: str | None = None
    """Stripe's error code when the confirmation was refused (e.g. `payment_method_bank_account_blocked`)."""


@dataclass(frozen=True)
class Payout:
    """A payout the integrator made (`payout`) from a connected account's balance."""

    payout: str
    status: str
    """`pending` once created (it is paid or fails later, on the emulator's clock)."""
    destination: str | None = None
    """The external bank account the integrator chose to pay out to."""
    failure_code: str | None = None


@runtime_checkable
class RelinkClient(Protocol):
    """The integrator's relink code, as scenarios drive it. Only `configure` is required."""

    def configure(self, context: EmulatorContext) -> None: ...


class HandlesWebhooks(Protocol):
    def handle_webhook(self, payload: str, signature: str) -> WebhookOutcome: ...


class DecidesRelink(Protocol):
    def needs_relink(self, account: str) -> bool: ...


class StartsRelink(Protocol):
    def start_relink(self, account: str, *, any_account: bool = False,
                     permissions: list[str] | None = None) -> RelinkStart: ...


class FinishesRelink(Protocol):
    def finish_relink(self, session: str) -> RelinkOutcome: ...


class CreatesPaymentMethods(Protocol):
    def create_payment_method(self, account: str) -> PaymentSetup: ...


class CreatesPayoutTokens(Protocol):
    def create_payout_token(self, account: str) -> PaymentSetup: ...


class Charges(Protocol):
    def charge(self, customer: str, amount: int) -> Payment:
        """Debit `amount` (cents, usd) from the customer (`cus_…`) with the PaymentMethod your code keeps for them;
        return what Stripe answered, also when it refused the debit (do not raise for a Stripe error)."""
        ...


class PaysOut(Protocol):
    def payout(self, account: str, amount: int) -> Payout:
        """Pay `amount` (cents, usd) out of the connected account (`acct_…`) to the bank account your code chose
        for it."""
        ...


CALLS = {
    "handle_webhooks": "handle_webhook",
    "handle_forged_webhook": "handle_webhook",
    "needs_relink": "needs_relink",
    "start_relink": "start_relink",
    "finish_relink": "finish_relink",
    "create_payment_method": "create_payment_method",
    "create_payout_token": "create_payout_token",
    "charge": "charge",
    "payout": "payout",
}
"""Scenario `call:` names -> adapter methods."""
