"""The route table: one line per endpoint. Read it as the API's index."""

from __future__ import annotations

from emulator.http.pipeline import Endpoint
from emulator.resources import customers, events

API: list[Endpoint] = [
    Endpoint("POST", "/v1/customers", customers.create, customers.CREATE),
    Endpoint("GET", "/v1/customers", customers.list_, customers.LIST),
    Endpoint("GET", "/v1/customers/{id}", customers.retrieve, customers.RETRIEVE),
    Endpoint("POST", "/v1/customers/{id}", customers.update, customers.UPDATE),
    Endpoint("DELETE", "/v1/customers/{id}", customers.delete, customers.DELETE),
    Endpoint("GET", "/v1/events", events.list_, events.LIST),
    Endpoint("GET", "/v1/events/{id}", events.retrieve, events.RETRIEVE),
]
