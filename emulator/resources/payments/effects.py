"""How money-moving objects follow a Financial Connections account's numbers.

The state is derived (a PaymentMethod is blocked while its account's TAN is not transactable); this listener only
tells the world, as Stripe does: when an account's numbers change, every PaymentMethod made from it gets
`payment_method.automatically_updated` and every external bank account made from it
`account.external_account.updated`. A PaymentMethod detached from its customer deactivates its mandates
(`mandate.updated`).
"""

from __future__ import annotations

from emulator.core.backend import Backend, Call
from emulator.core.events import Event
from emulator.resources.payments import connect, payment_methods, setup_intents

NUMBERS_UPDATED = "financial_connections.account.account_numbers_updated"
DETACHED = "payment_method.detached"


def on_event(backend: Backend, event: Event) -> None:
    """A namespace's reaction to its own events (a listener every namespace of a server shares)."""
    if event.type not in (NUMBERS_UPDATED, DETACHED):
        return
    object_id = str(event.render_object(event.api_version)["id"])
    call = Call(version=event.api_version, request_id=event.request_id, idempotency_key=event.idempotency_key)
    if event.type == DETACHED:
        setup_intents.deactivate_mandates(backend, call, object_id)
        return
    account_id = object_id
    for pm in payment_methods.made_from(backend, account_id):
        payment_methods.emit_pm(backend, call, "payment_method.automatically_updated", pm)
    for bank_account in connect.made_from(backend, account_id):
        connect.emit_external(backend, call, "account.external_account.updated", bank_account)
