"""Webhook endpoints: where a namespace's events are delivered (`/v1/webhook_endpoints`). The secret is shown on
create only. An endpoint pinned to an `api_version` gets every event rendered in that version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.core.backend import Backend, Call
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.listing import LIST_FIELDS, page
from emulator.core.snapshot import saved
from emulator.core.spec import UNSET, Array, Choice, Field, Metadata, String, apply_metadata, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, parse

OBJECT = "webhook_endpoint"
NOUN = "webhook_endpoint"
TABLE = "webhook_endpoints"

_WRITABLE = {
    "url": Field(String(max_length=2048)),
    "enabled_events": Field(Array(String(max_length=200), max_items=500)),
    "description": Field(String(max_length=5000, unsettable=True)),
    "metadata": Field(Metadata()),
}
CREATE = params({**_WRITABLE, "url": Field(String(max_length=2048), required=True),
                 "enabled_events": Field(Array(String(max_length=200), max_items=500), required=True),
                 "api_version": Field(String()), "connect": Field(Choice(("true", "false")))})
UPDATE = params({**_WRITABLE, "disabled": Field(Choice(("true", "false")))})
RETRIEVE = params({})
DELETE = params({}, expand=False)
LIST = params(dict(LIST_FIELDS))


@saved
@dataclass
class WebhookEndpoint:
    id: str
    created: int
    url: str
    enabled_events: list[str]
    secret: str
    api_version: str | None = None
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "enabled"
    hidden: bool = False
    """The `--forward-to` endpoint (like `stripe listen`): delivers, but is not listed by the API."""

    def render(self, version: ApiVersion | None = None, *, with_secret: bool = False) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": self.id,
            "object": OBJECT,
            "api_version": self.api_version,
            "application": None,
            "created": self.created,
            "description": self.description,
            "enabled_events": list(self.enabled_events),
            "livemode": False,
            "metadata": dict(self.metadata),
        }
        if with_secret:
            rendered["secret"] = self.secret
        rendered.update({"status": self.status, "url": self.url})
        return rendered

    def wants(self, event_type: str) -> bool:
        if self.status != "enabled":
            return False
        return any(pattern == "*" or pattern == event_type or (pattern.endswith(".*") and
                   event_type.startswith(pattern[:-1])) for pattern in self.enabled_events)

    def rendering_version(self, event_version: ApiVersion) -> ApiVersion:
        return event_version if self.api_version is None else parse(self.api_version)


def table(backend: Backend) -> Table[WebhookEndpoint]:
    return backend.store.table(TABLE)


def _url(backend: Backend, value: str) -> str:
    refusal = backend.webhook_hosts.refusal(value)
    if refusal is not None:
        raise InvalidRequestError(refusal, code="url_invalid", param="url")
    return value


def _events(value: list[str]) -> list[str]:
    if not value:
        raise InvalidRequestError("enabled_events must list at least one event type (or '*').",
                                  param="enabled_events")
    return value


def get(backend: Backend, endpoint_id: str) -> WebhookEndpoint:
    found = table(backend).get(endpoint_id)
    if found is None or found.hidden:
        raise ResourceMissingError(NOUN, endpoint_id, param="webhook_endpoint")
    return found


def add(backend: Backend, url: str, enabled_events: list[str], *, api_version: str | None = None,
        secret: str | None = None, hidden: bool = False, description: str | None = None) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        id=backend.ids.new("we"), created=backend.clock.timestamp(), url=url, enabled_events=list(enabled_events),
        secret=secret or f"whsec_{backend.ids.token(32)}", api_version=api_version, hidden=hidden,
        description=description,
    )
    table(backend).put(endpoint.id, endpoint)
    return endpoint


def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    api_version = values.get("api_version")
    if api_version is not None:
        try:
            parse(api_version)  # a malformed version is a 400 now, not at delivery time
        except InvalidRequestError as error:
            raise InvalidRequestError(error.message, param="api_version") from None
    endpoint = add(backend, _url(backend, values["url"]), _events(values["enabled_events"]), api_version=api_version,
                   description=None if values.get("description") is UNSET else values.get("description"))
    endpoint.metadata = apply_metadata({}, values.get("metadata", {}))
    return endpoint.render(call.version, with_secret=True)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return get(backend, id).render(call.version)


def update(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    endpoint = get(backend, id)
    url = _url(backend, values["url"]) if "url" in values else endpoint.url
    events = _events(values["enabled_events"]) if "enabled_events" in values else endpoint.enabled_events
    metadata = apply_metadata(endpoint.metadata, values["metadata"]) if "metadata" in values else endpoint.metadata
    endpoint.url, endpoint.enabled_events, endpoint.metadata = url, events, metadata
    if "description" in values:
        endpoint.description = None if values["description"] is UNSET else values["description"]
    if "disabled" in values:
        endpoint.status = "disabled" if values["disabled"] == "true" else "enabled"
    return endpoint.render(call.version)


def delete(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    endpoint = get(backend, id)
    table(backend).remove(endpoint.id)
    return {"id": endpoint.id, "object": OBJECT, "deleted": True}


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    return page(table(backend), values, url="/v1/webhook_endpoints", noun=NOUN,
                render=lambda e: e.render(call.version), where=lambda e: not e.hidden)

declare(TABLE, WebhookEndpoint)
