"""Financial Connections authorizations: the bank login a group of accounts was linked through.

Status is derived from facts: `disconnected` when every one of its accounts was disconnected; `inactive` (action
`relink_required`) when any of its accounts is inactive with action `relink_required` — a relink repairs exactly
those (§6); otherwise `active` (an account closed at the bank, action `none`, leaves its authorization active).
The resource is preview-only.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

from emulator.core.backend import Backend, Call
from emulator.core.errors import ResourceMissingError
from emulator.core.snapshot import saved
from emulator.core.spec import params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature
from emulator.resources.financial_connections import accounts

OBJECT = "financial_connections.authorization"
NOUN = "financial_connections.authorization"
PREFIX = "fcauth"
TABLE = "financial_connections.authorizations"

RETRIEVE = params({})


@saved
@dataclass
class Authorization:
    id: str
    created: int
    institution: str
    institution_name: str
    account_holder: dict[str, Any] | None
    upcoming: dict[str, Any] | None = None
    """A scheduled deactivation: {action, expected_deactivation_date}."""


def status(authorization: Authorization, members: list[accounts.Account]) -> str:
    if members and all(member.disconnected for member in members):
        return "disconnected"
    if any(not a.disconnected and a.inactive is not None and a.inactive["action"] == "relink_required"
           for a in members):  # a disconnected account's old inactivity no longer asks for a relink
        return "inactive"
    return "active"


@saved
def render(authorization: Authorization, members: list[accounts.Account], version: ApiVersion) -> dict[str, Any]:
    current = status(authorization, members)
    details: dict[str, Any] = {}
    if current == "inactive":
        details["inactive"] = {"action": "relink_required"}
    elif current == "active" and authorization.upcoming is not None:
        details["active"] = dict(authorization.upcoming)
    rendered: dict[str, Any] = {"id": authorization.id, "object": OBJECT}
    if Feature.RELINK.gate.enabled(version):
        rendered["account_holder"] = copy.deepcopy(authorization.account_holder)
        rendered["institution"] = authorization.institution
    elif current == "disconnected":
        current = "inactive"  # GA's enum has no `disconnected`
    rendered.update(
        {
            "institution_name": authorization.institution_name,
            "livemode": False,
            "status": current,
            "status_details": details,
        }
    )
    return rendered


def table(backend: Backend) -> Table[Authorization]:
    return backend.store.table(TABLE)


def get(backend: Backend, authorization_id: str, *, param: str | None = "authorization") -> Authorization:
    found = table(backend).get(authorization_id)
    if found is None:
        raise ResourceMissingError(NOUN, authorization_id, param=param)
    return found


def current_status(backend: Backend, authorization: Authorization) -> str:
    return status(authorization, accounts.of_authorization(backend, authorization.id))


def snapshot_renderer(backend: Backend, authorization: Authorization) -> Any:
    frozen = backend.frozen(authorization.id, authorization)
    members = [backend.frozen(member.id, member, accounts.Account.snapshot)
               for member in accounts.of_authorization(backend, authorization.id)]
    return functools.partial(render, frozen, members)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    authorization = table(backend).get(id)
    if authorization is None:
        raise ResourceMissingError(NOUN, id, param="authorization")
    return render(authorization, accounts.of_authorization(backend, authorization.id), call.version)

declare(TABLE, Authorization)
