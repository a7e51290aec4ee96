"""The route table: one line per endpoint. Read it as the API's index."""

from __future__ import annotations

from emulator.core.versions import Feature
from emulator.http.pipeline import Endpoint
from emulator.resources import customers, events
from emulator.resources.financial_connections import (
    accounts,
    authorizations,
    bank,
    flow,
    institutions,
    refresh,
    sessions,
)

FC = "/v1/financial_connections"
HELPERS = "/v1/test_helpers/financial_connections"
PREVIEW = Feature.RELINK

API: list[Endpoint] = [
    Endpoint("POST", "/v1/customers", customers.create, customers.CREATE),
    Endpoint("GET", "/v1/customers", customers.list_, customers.LIST),
    Endpoint("GET", "/v1/customers/{id}", customers.retrieve, customers.RETRIEVE),
    Endpoint("POST", "/v1/customers/{id}", customers.update, customers.UPDATE),
    Endpoint("DELETE", "/v1/customers/{id}", customers.delete, customers.DELETE),
    Endpoint("GET", "/v1/events", events.list_, events.LIST),
    Endpoint("GET", "/v1/events/{id}", events.retrieve, events.RETRIEVE),
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
]
