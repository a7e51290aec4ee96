"""A non-OAuth bank's login form: what the customer types, and what the bank answers.

Stripe's Bank (Non-OAuth) test institution (https://docs.stripe.com/financial-connections/testing) lets any
username and password log in, and reads keywords typed into the password or any later field: `options` (pick from a
list), `mfa` (a one-time passcode), `confirm_mfa` (confirm the passcode), `security_question` (a secret answer) each
ask one more question; `error` in any field ends the login session; `incorrect` lets the customer try again.

The customer's entries are `username`, `password`, then `answers` in order — one per question asked. The answer to a
question may itself be a keyword (an `mfa` answered with `security_question` asks that next). Keywords are read
case-insensitively, ignoring surrounding spaces, and only where the catalogue marks the institution
`credential_keywords`; at other form-login institutions any entries log in. The hosted login form and the `complete`
test helper's `credentials` param both go through `evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from emulator.core.errors import InvalidRequestError

ERROR = "error"
INCORRECT = "incorrect"


@dataclass(frozen=True)
class Question:
    keyword: str
    label: str
    choices: tuple[str, ...] = ()
    secret: bool = False


QUESTIONS: dict[str, Question] = {
    "options": Question("options", "Where should we send your one-time passcode?",
                        ("Text message to •••-•••-0123", "Email to j•••@example.com", "Phone call to •••-•••-0123")),
    "mfa": Question("mfa", "Enter the one-time passcode we sent you", secret=True),
    "confirm_mfa": Question("confirm_mfa", "Confirm the one-time passcode", secret=True),
    "security_question": Question("security_question", "Security question: what was the name of your first pet?",
                                  secret=True),
}
"""The questions the keywords ask (the wording is the emulator's; Stripe documents only what each one exercises)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    answers: tuple[str, ...] = ()

    def entries(self) -> list[tuple[str, str]]:
        """Each entry with the param that carries it in `complete`."""
        return [("credentials[username]", self.username), ("credentials[password]", self.password),
                *((f"credentials[answers][{index}]", answer) for index, answer in enumerate(self.answers))]


@dataclass(frozen=True)
class Login:
    """The bank's answer: `success`, `question` (answer `question` in `param`), `incorrect` or `error`."""

    status: Literal["success", "question", "incorrect", "error"]
    param: str | None = None
    """The entry that decided it (`incorrect`/`error`), or the param the next answer goes in (`question`)."""
    question: Question | None = None


def _word(value: str) -> str:
    return value.strip().casefold()


def evaluate(credentials: Credentials, institution: str, *, keywords: bool) -> Login:
    """What the bank says to these entries. An answer no question asked for is a caller error (400)."""
    entries = credentials.entries()
    asked: Question | None = None
    for index, (param, value) in enumerate(entries):
        if index >= 2 and asked is None:
            previous = entries[index - 1][0]
            raise InvalidRequestError(
                f"{institution} asked no question after {previous}; {param} answers nothing."
                + ("" if keywords else f" {institution} logs in with any username and password."), param=param)
        word = _word(value) if keywords else ""
        if word == ERROR:
            return Login("error", param)
        if word == INCORRECT:
            return Login("incorrect", param)
        asked = QUESTIONS.get(word) if index >= 1 else None
    if asked is not None:
        return Login("question", f"credentials[answers][{len(entries) - 2}]", asked)
    return Login("success")
