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


OUTCOMES: dict[str, str] = {
    "succeeded": SUCCESS,
    "account_closed": ACCOUNT_CLOSED,
    "no_account": NO_ACCOUNT,
    "insufficient_funds": INSUFFICIENT_FUNDS,
    "debit_not_authorized": DEBIT_NOT_AUTHORIZED,
    "invalid_currency": INVALID_CURRENCY,
    "disputed": DISPUTE,
    "stays_processing": PROCESSING,
}
"""The `outcome`s of the next-debit test helper (the emulator's names) -> what the debit then does: each is one of
the test numbers' behaviours, so any PaymentMethod (a Financial Connections account's too) can be made to fail,
be disputed or stay processing once."""


def behaviour(account_number: str) -> str:
    """What Stripe documents for this test number; `success` for any number it does not list."""
    return NUMBERS.get(account_number, SUCCESS)

ROUTING_NUMBER = "110000000"
TOKENS: dict[str, str] = {
    "pm_usBankAccount_success": "000123456789",
    "pm_usBankAccount_accountClosed": "000111111113",
    "pm_usBankAccount_noAccount": "000111111116",
    "pm_usBankAccount_insufficientFunds": "000222222227",
    "pm_usBankAccount_debitNotAuthorized": "000333333335",
    "pm_usBankAccount_invalidCurrency": "000444444440",
    "pm_usBankAccount_failMicrodeposits": "000666666661",
    "pm_usBankAccount_dispute": "000555555559",
    "pm_usBankAccount_processing": "000000000009",
}
"""Stripe's PaymentMethod test tokens for the same numbers: each use makes a new PaymentMethod with them."""

FAILURES: dict[str, tuple[str, str]] = {
    ACCOUNT_CLOSED: ("account_closed", "The customer's bank account has been closed."),
    NO_ACCOUNT: ("no_account", "The customer's bank account could not be located."),
    INSUFFICIENT_FUNDS: ("insufficient_funds", "The customer's account has insufficient funds to cover this payment."),
    DEBIT_NOT_AUTHORIZED: ("debit_not_authorized", "The customer has notified their bank that this payment was "
                                                   "unauthorized."),
    INVALID_CURRENCY: ("invalid_currency", "The bank was unable to process this payment because of its currency."),
}
"""The debit failures of the test numbers: Stripe's failure code (facts §5 names them) and a message."""

BLOCKS: dict[str, tuple[str, str]] = {
    ACCOUNT_CLOSED: ("R02", "bank_account_closed"),
    NO_ACCOUNT: ("R03", "bank_account_invalid_details"),
    DEBIT_NOT_AUTHORIZED: ("R10", "debit_not_authorized"),
}
"""Returns that block the bank account for later debits (https://docs.stripe.com/payments/ach-direct-debit/
blocked-bank-accounts): the ACH return code and `status_details.blocked.reason` (the pairing is the emulator's)."""
