"""The route table: one line per endpoint. Read it as the API's index."""

from __future__ import annotations

import re
from dataclasses import replace

from emulator.core.versions import Feature
from emulator.http.pipeline import Endpoint
from emulator.resources import customers, events, webhook_endpoints
from emulator.resources.financial_connections import (
    accounts,
    authorizations,
    bank,
    flow,
    institutions,
    refresh,
    sessions,
)
from emulator.resources.payments import (
    card_payments,
    charges,
    connect,
    payment_intents,
    payment_methods,
    payouts,
    setup_intents,
    sources,
    tokens,
)
from emulator.resources.request_params import complete

FC = "/v1/financial_connections"
HELPERS = "/v1/test_helpers/financial_connections"
PREVIEW = Feature.RELINK
PLACEHOLDER = re.compile(r"\{[^}]*\}")

API: list[Endpoint] = [
    Endpoint("POST", "/v1/customers", customers.create, customers.CREATE),
    Endpoint("GET", "/v1/customers", customers.list_, customers.LIST),
    Endpoint("GET", "/v1/customers/search", customers.search_, customers.SEARCH),
    Endpoint("GET", "/v1/customers/{id}", customers.retrieve, customers.RETRIEVE),
    Endpoint("POST", "/v1/customers/{id}", customers.update, customers.UPDATE),
    Endpoint("DELETE", "/v1/customers/{id}", customers.delete, customers.DELETE),
    # kept by hand for the generic surface only (`--surface all`): state the generic layer cannot keep
    Endpoint("DELETE", "/v1/customers/{customer}/discount", customers.delete_discount, customers.DELETE,
             generic_surface=True),
    Endpoint("POST", "/v1/customers/{customer}/sources", sources.create, sources.CREATE, generic_surface=True),
    Endpoint("GET", "/v1/customers/{customer}/sources", sources.list_, sources.LIST, generic_surface=True),
    Endpoint("GET", "/v1/customers/{customer}/sources/{id}", sources.retrieve, sources.RETRIEVE,
             generic_surface=True),
    Endpoint("POST", "/v1/customers/{customer}/sources/{id}", sources.update, sources.UPDATE,
             generic_surface=True),
    Endpoint("DELETE", "/v1/customers/{customer}/sources/{id}", sources.delete, sources.DELETE,
             generic_surface=True),
    Endpoint("POST", "/v1/customers/{customer}/sources/{id}/verify", sources.verify, sources.VERIFY,
             generic_surface=True),
    Endpoint("GET", "/v1/events", events.list_, events.LIST),
    Endpoint("GET", "/v1/events/{id}", events.retrieve, events.RETRIEVE),
    Endpoint("POST", "/v1/webhook_endpoints", webhook_endpoints.create, webhook_endpoints.CREATE),
    Endpoint("GET", "/v1/webhook_endpoints", webhook_endpoints.list_, webhook_endpoints.LIST),
    Endpoint("GET", "/v1/webhook_endpoints/{id}", webhook_endpoints.retrieve, webhook_endpoints.RETRIEVE),
    Endpoint("POST", "/v1/webhook_endpoints/{id}", webhook_endpoints.update, webhook_endpoints.UPDATE),
    Endpoint("DELETE", "/v1/webhook_endpoints/{id}", webhook_endpoints.delete, webhook_endpoints.DELETE),
    # Financial Connections
    Endpoint("POST", f"{FC}/sessions", sessions.create, sessions.CREATE),
    Endpoint("GET", f"{FC}/sessions/{{id}}", sessions.retrieve, sessions.RETRIEVE),
    Endpoint("GET", f"{FC}/accounts", accounts.list_, accounts.LIST),
    Endpoint("GET", f"{FC}/accounts/{{id}}", accounts.retrieve, accounts.RETRIEVE),
    Endpoint("POST", f"{FC}/accounts/{{id}}/disconnect", accounts.disconnect, accounts.DISCONNECT),
    Endpoint("POST", f"{FC}/accounts/{{id}}/refresh", refresh.refresh_account, refresh.REFRESH),
    Endpoint("POST", f"{FC}/accounts/{{id}}/subscribe", accounts.subscribe, accounts.SUBSCRIBE),
    Endpoint("POST", f"{FC}/accounts/{{id}}/unsubscribe", accounts.unsubscribe, accounts.UNSUBSCRIBE),
    Endpoint("GET", f"{FC}/accounts/{{account}}/owners", refresh.owners, refresh.OWNERS),
    Endpoint("GET", f"{FC}/accounts/{{account}}/inferred_balances", refresh.inferred_balances,
             refresh.INFERRED_BALANCES, feature=PREVIEW),
    Endpoint("GET", f"{FC}/transactions", refresh.list_transactions, refresh.TRANSACTIONS),
    Endpoint("GET", f"{FC}/transactions/{{id}}", refresh.retrieve_transaction, refresh.TRANSACTION),
    Endpoint("GET", f"{FC}/authorizations/{{id}}", authorizations.retrieve, authorizations.RETRIEVE, feature=PREVIEW),
    Endpoint("GET", f"{FC}/institutions", institutions.list_, institutions.LIST, feature=PREVIEW),
    Endpoint("GET", f"{FC}/institutions/{{id}}", institutions.retrieve, institutions.RETRIEVE, feature=PREVIEW),
    # the simulated customer and bank
    Endpoint("POST", f"{HELPERS}/sessions/{{session}}/complete", flow.complete, flow.COMPLETE),
    Endpoint("POST", f"{HELPERS}/accounts/{{account}}/deactivate", bank.deactivate, bank.DEACTIVATE),
    Endpoint("POST", f"{HELPERS}/accounts/{{account}}/account_numbers/deactivate", bank.deactivate_numbers,
             bank.DEACTIVATE_NUMBERS),
    Endpoint("POST", f"{HELPERS}/accounts/{{account}}/schedule_deactivation", bank.schedule_deactivation,
             bank.SCHEDULE_DEACTIVATION),
    Endpoint("POST", f"{HELPERS}/accounts/{{account}}/next_refresh", refresh.next_refresh, refresh.NEXT_REFRESH),
    Endpoint("POST", f"{HELPERS}/accounts/{{account}}/supported_payment_method_types", bank.update_supported_types,
             bank.SUPPORTED_TYPES),
    # payments and payouts
    Endpoint("POST", "/v1/setup_intents", setup_intents.create, setup_intents.CREATE),
    Endpoint("GET", "/v1/setup_intents", setup_intents.list_, setup_intents.LIST),
    Endpoint("GET", "/v1/setup_intents/{id}", setup_intents.retrieve, setup_intents.RETRIEVE),
    Endpoint("POST", "/v1/setup_intents/{id}", setup_intents.update, setup_intents.UPDATE),
    Endpoint("POST", "/v1/setup_intents/{id}/confirm", setup_intents.confirm, setup_intents.CONFIRM),
    Endpoint("POST", "/v1/setup_intents/{id}/cancel", setup_intents.cancel, setup_intents.CANCEL),
    Endpoint("POST", "/v1/setup_intents/{id}/verify_microdeposits", setup_intents.verify_microdeposits,
             setup_intents.VERIFY),
    Endpoint("GET", "/v1/mandates", setup_intents.list_mandates, setup_intents.LIST_MANDATES,
             feature=Feature.SDK_PREVIEW_PARAMS),
    Endpoint("GET", "/v1/mandates/{id}", setup_intents.retrieve_mandate, setup_intents.MANDATE),
    Endpoint("POST", "/v1/payment_intents", payment_intents.create, payment_intents.CREATE),
    Endpoint("GET", "/v1/payment_intents", payment_intents.list_, payment_intents.LIST),
    Endpoint("GET", "/v1/payment_intents/search", payment_intents.search_, payment_intents.SEARCH),
    Endpoint("GET", "/v1/payment_intents/{id}", payment_intents.retrieve, payment_intents.RETRIEVE),
    Endpoint("POST", "/v1/payment_intents/{id}", payment_intents.update, payment_intents.UPDATE),
    Endpoint("POST", "/v1/payment_intents/{id}/confirm", payment_intents.confirm, payment_intents.CONFIRM),
    Endpoint("POST", "/v1/payment_intents/{id}/cancel", payment_intents.cancel, payment_intents.CANCEL),
    Endpoint("POST", "/v1/payment_intents/{id}/capture", card_payments.capture, card_payments.CAPTURE,
             generic_surface=True),  # a held card payment (cards are generic: `cards.py`)
    Endpoint("POST", "/v1/payment_intents/{id}/verify_microdeposits", payment_intents.verify_microdeposits,
             payment_intents.VERIFY),
    Endpoint("GET", "/v1/charges", charges.list_, charges.LIST),
    Endpoint("GET", "/v1/charges/search", charges.search_, charges.SEARCH),
    Endpoint("GET", "/v1/charges/{id}", charges.retrieve, charges.RETRIEVE),
    Endpoint("POST", "/v1/refunds", charges.create_refund, charges.CREATE_REFUND),
    Endpoint("GET", "/v1/refunds", charges.list_refunds, charges.LIST_REFUNDS),
    Endpoint("GET", "/v1/refunds/{id}", charges.retrieve_refund, charges.RETRIEVE),
    Endpoint("POST", "/v1/refunds/{id}", charges.update_refund, charges.UPDATE_REFUND),
    Endpoint("GET", "/v1/disputes/{id}", charges.retrieve_dispute, charges.RETRIEVE),
    Endpoint("POST", "/v1/payment_methods", payment_methods.create, payment_methods.CREATE),
    Endpoint("GET", "/v1/payment_methods", payment_methods.list_, payment_methods.LIST),
    Endpoint("GET", "/v1/payment_methods/{id}", payment_methods.retrieve, payment_methods.RETRIEVE),
    Endpoint("POST", "/v1/payment_methods/{id}", payment_methods.update, payment_methods.UPDATE),
    Endpoint("POST", "/v1/payment_methods/{id}/attach", payment_methods.attach, payment_methods.ATTACH),
    Endpoint("POST", "/v1/payment_methods/{id}/detach", payment_methods.detach, payment_methods.DETACH),
    Endpoint("POST", "/v1/test_helpers/payment_methods/{payment_method}/next_debit", payment_methods.next_debit,
             payment_methods.NEXT_DEBIT),
    Endpoint("GET", "/v1/customers/{customer}/payment_methods", payment_methods.list_for_customer,
             payment_methods.CUSTOMER_LIST),
    Endpoint("GET", "/v1/customers/{customer}/payment_methods/{payment_method}",
             payment_methods.retrieve_for_customer, payment_methods.RETRIEVE),
    Endpoint("POST", "/v1/tokens", tokens.create, tokens.CREATE),
    Endpoint("GET", "/v1/tokens/{id}", tokens.retrieve, tokens.RETRIEVE),
    Endpoint("POST", "/v1/accounts", connect.create_account, connect.CREATE_ACCOUNT),
    Endpoint("GET", "/v1/accounts", connect.list_accounts, connect.LIST_ACCOUNTS),
    Endpoint("GET", "/v1/accounts/{account}", connect.retrieve_account, connect.RETRIEVE),
    Endpoint("POST", "/v1/accounts/{account}", connect.update_account, connect.UPDATE_ACCOUNT),
    Endpoint("DELETE", "/v1/accounts/{account}", connect.delete_account, connect.DELETE_ACCOUNT),
    Endpoint("POST", "/v1/accounts/{account}/external_accounts", connect.create_external, connect.CREATE_EXTERNAL),
    Endpoint("GET", "/v1/accounts/{account}/external_accounts", connect.list_external, connect.LIST_EXTERNAL),
    Endpoint("GET", "/v1/accounts/{account}/external_accounts/{id}", connect.retrieve_external, connect.RETRIEVE),
    Endpoint("POST", "/v1/accounts/{account}/external_accounts/{id}", connect.update_external,
             connect.UPDATE_EXTERNAL),
    Endpoint("DELETE", "/v1/accounts/{account}/external_accounts/{id}", connect.delete_external,
             connect.DELETE_EXTERNAL),
    Endpoint("POST", "/v1/payouts", payouts.create, payouts.CREATE),
    Endpoint("GET", "/v1/payouts", payouts.list_, payouts.LIST),
    Endpoint("GET", "/v1/payouts/{id}", payouts.retrieve, payouts.RETRIEVE),
    Endpoint("POST", "/v1/payouts/{id}", payouts.update, payouts.UPDATE),
    Endpoint("POST", "/v1/payouts/{id}/cancel", payouts.cancel, payouts.CANCEL),
    Endpoint("GET", "/v1/balance", payouts.balance, payouts.BALANCE),
]

API = [replace(e, spec=complete(e.spec, f"{e.method} {PLACEHOLDER.sub('{}', e.path)}")) for e in API]
"""Each endpoint's spec completed with every parameter the stripe SDKs type for it (request_params.py)."""
