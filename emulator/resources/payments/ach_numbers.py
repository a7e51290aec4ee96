"""Stripe's ACH Direct Debit test account numbers (routing number `110000000`) and what each one does
(https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment, "Test"; facts §5).

A manually entered bank account remembers which of these it is — never its full number — so a later step (sending
microdeposits, a debit) can behave as Stripe documents for it. Any other number behaves like `000123456789`.
"""

from __future__ import annotations

SUCCESS = "success"
ACCOUNT_CLOSED = "account_closed"
NO_ACCOUNT = "no_account"
INSUFFICIENT_FUNDS = "insufficient_funds"
DEBIT_NOT_AUTHORIZED = "debit_not_authorized"
INVALID_CURRENCY = "invalid_currency"
FAIL_MICRODEPOSITS = "fail_microdeposits"
DISPUTE = "dispute"
PROCESSING = "processing"

NUMBERS: dict[str, str] = {
    "000123456789": SUCCESS,
    "000111111113": ACCOUNT_CLOSED,
    "000111111116": NO_ACCOUNT,
    "000222222227": INSUFFICIENT_FUNDS,
    "000333333335": DEBIT_NOT_AUTHORIZED,
    "000444444440": INVALID_CURRENCY,
    "000666666661": FAIL_MICRODEPOSITS,
    "000555555559": DISPUTE,
    "000000000009": PROCESSING,
}


def behaviour(account_number: str) -> str:
    """What Stripe documents for this test number; `success` for any number it does not list."""
    return NUMBERS.get(account_number, SUCCESS)
