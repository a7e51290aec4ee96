"""The source document (`shared/seed`, "Relink Financial Connections accounts used for payments or payouts"),
sentence by sentence, through the real stripe SDK against a real emulator server.

The typed SDK calls pass preview parameters as plain dicts (the GA SDK accepts them at run time); endpoints the
GA SDK has no method for (authorizations, test helpers) go through `StripeClient.raw_request`.

§1  one eligible account, two ways (a specific one / any at the institution)
      test_relink_specific_account_succeeds, test_relink_any_eligible_existing_account
§2  causes; the `deactivated` webhook; status_details.inactive.cause/action; retrieve with the preview version
      test_deactivation_event_and_status_details, test_inactive_accounts_institution_covers_every_cause
§2  a closed account cannot be repaired: action `none`
      test_closed_account_has_action_none_and_cannot_be_relinked
§2  the handler: relink_required -> prompt; no status_details -> check the destination's version
      test_webhook_handler_branches_preview_and_ga
§3  the session parameters and the response shown (limits 1, checking + savings)
      test_relink_session_shape_matches_the_document
§3.1 account_holder null when the account has none
      test_account_without_holder_relinks_with_null_holder
§3  success: relink_result.account set, accounts[0] is the account
      test_relink_specific_account_succeeds
§3  failure_reason no_account / no_authorization / other; authenticated but another account selected
      test_relink_failure_reasons
§3  permissions: the customer consents to what the session asks
      test_relink_updates_permissions
§4  any eligible account: filters checking + savings, limits 1; the existing account's status, permissions and
    account_numbers are updated
      test_relink_any_eligible_existing_account
§4  a new account: a new id, the old one not updated; the sample's inverted isNew check
      test_relink_any_eligible_new_account_and_is_new_detection
§4  no accounts detected: a specific relink fails, an any-account relink lets the customer pick another
      test_no_accounts_detected
§4  OAuth: a different account picked in the bank's modal
      test_oauth_different_account
§6  the authorization object; relinking one account reactivates the others
      test_authorization_and_sibling_reactivation
§7  the `Emulator: Inactivity Causes` and `Emulator: TAN States` institutions
      test_inactive_accounts_institution_covers_every_cause, test_tokenized_account_numbers_refreshed_by_relink
--  cancel: test_cancelled_relink; GA vs preview rendering of every object: test_ga_and_preview_rendering
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from harness.pytest_plugin import RunningEmulator
from harness.sdk import client_for

pytestmark = pytest.mark.sdk

PREVIEW = "2026-09-30.preview"
GA = "2026-10-28.endive"
HELPERS = "/v1/test_helpers/financial_connections"


class World:
    """One namespace, seen through a preview client and a GA client."""

    def __init__(self, url: str, key: str) -> None:
        self.preview = client_for(key, url, stripe_version=PREVIEW)
        self.ga = client_for(key, url, stripe_version=GA)

    def raw(self, method: str, path: str, client: stripe.StripeClient | None = None, **params: Any) -> Any:
        client = client or self.preview
        return client.deserialize(client.raw_request(method, path, **params), api_mode="V1")

    def customer(self) -> Any:
        return self.preview.v1.customers.create(params={"email": "jenny.rosen@example.com", "name": "Jenny Rosen"})

    def session(self, customer: Any | None, **params: Any) -> Any:
        body: dict[str, Any] = {"permissions": ["payment_method"], **params}
        if customer is not None:
            body.setdefault("account_holder", {"type": "customer", "customer": customer.id})
        return self.preview.v1.financial_connections.sessions.create(params=body)  # type: ignore[arg-type]

    def complete(self, session: Any, **params: Any) -> Any:
        return self.raw("post", f"{HELPERS}/sessions/{session.id}/complete", **params)

    def link(self, customer: Any | None, institution: str = "Test (Non-OAuth)", **params: Any) -> list[Any]:
        session = self.session(customer)
        done = self.complete(session, institution=institution, **params)
        assert done.status == "succeeded", done
        return list(done.accounts.data)

    def deactivate(self, account: Any, **params: Any) -> Any:
        return self.raw("post", f"{HELPERS}/accounts/{account.id}/deactivate", **params)

    def advance(self, seconds: int) -> Any:
        """Move the namespace clock (the control plane), running what comes due."""
        return self.raw("post", "/_emulator/clock", advance=seconds)

    def account(self, account_id: str, client: stripe.StripeClient | None = None) -> Any:
        return (client or self.preview).v1.financial_connections.accounts.retrieve(account_id)

    def authorization(self, authorization_id: str) -> Any:
        return self.raw("get", f"/v1/financial_connections/authorizations/{authorization_id}")

    def events(self, type: str) -> list[Any]:
        return list(self.preview.v1.events.list(params={"type": type, "limit": 100}).data)


def plain(obj: Any) -> Any:
    """A StripeObject as plain JSON data (`to_dict()` is deprecated in some SDK releases)."""
    return json.loads(str(obj))


@pytest.fixture
def world(stripe_emulator: RunningEmulator, stripe_api_key: str) -> World:
    return World(stripe_emulator.url, stripe_api_key)


def relink_session(world: World, account: Any, customer: Any | None, *, specific: bool = True, **params: Any) -> Any:
    options = {"authorization": account.authorization}
    if specific:
        options["account"] = account.id
    return world.session(customer, relink_options=options, **params)


# -- §2 ------------------------------------------------------------------------------------------------------------

def test_deactivation_event_and_status_details(world: World) -> None:
    customer = world.customer()
    checking = world.link(customer)[0]
    world.deactivate(checking, cause="access_expired")
    account = world.account(checking.id)
    assert account.status == "inactive"
    assert account.authorization.startswith("fcauth_")
    assert account.status_details.inactive.action == "relink_required"
    assert account.status_details.inactive.cause == "access_expired"
    deactivated = [e for e in world.events("financial_connections.account.deactivated")
                   if e.data.object.id == checking.id]
    assert len(deactivated) == 1
    assert deactivated[0].data.object.status_details.inactive.cause == "access_expired"
    assert deactivated[0].data.previous_attributes.status == "active"


def test_inactive_accounts_institution_covers_every_cause(world: World) -> None:
    linked = world.link(world.customer(), "Emulator: Inactivity Causes")
    assert {a.status for a in linked} == {"active"}  # inactive shortly after the flow, not inside it
    world.advance(5)
    details = {}
    for a in linked:
        a = world.account(a.id)
        details[a.display_name] = (a.status, a.status_details.inactive.cause, a.status_details.inactive.action)
    assert details == {
        "Expired Access Checking": ("inactive", "access_expired", "relink_required"),
        "Access Denied Savings": ("inactive", "access_denied", "relink_required"),
        "New MFA Required Checking": ("inactive", "institution_requirement", "relink_required"),
        "Unspecified Problem Savings": ("inactive", "unspecified", "relink_required"),
        "Closed Checking": ("inactive", "account_closed", "none"),
        "Unavailable Savings": ("inactive", "account_unavailable", "none"),
    }
    assert len(world.events("financial_connections.account.deactivated")) == 6


def test_closed_account_has_action_none_and_cannot_be_relinked(world: World) -> None:
    customer = world.customer()
    checking, savings = world.link(customer, accounts=["Sample Checking Account", "Sample Savings Account"])
    world.deactivate(checking, cause="account_closed")
    closed = world.account(checking.id)
    assert closed.status_details.inactive.action == "none"
    assert world.account(savings.id).status == "active"  # an account-level cause touches one account
    assert world.authorization(checking.authorization).status == "active"
    with pytest.raises(stripe.InvalidRequestError) as info:
        relink_session(world, checking, customer)
    assert info.value.param == "relink_options[account]" and "action is none" in str(info.value)


def handle_deactivated(event: Any) -> str:
    """The source document's webhook handler (§2), written defensively as an integrator would."""
    account = event["data"]["object"]
    details = account.get("status_details") or {}
    if account["status"] == "inactive" and "inactive" in details:
        return "prompt_user_to_relink" if details["inactive"]["action"] == "relink_required" else "no_action"
    if account["status"] == "inactive":
        return "check_event_destination_api_version"
    return "no_action"


def test_webhook_handler_branches_preview_and_ga(world: World) -> None:
    customer = world.customer()
    first = world.link(customer)[0]
    world.deactivate(first)  # caused by a preview-version request: the event is rendered in preview
    second = world.link(customer)[0]
    world.raw("post", f"{HELPERS}/accounts/{second.id}/deactivate", client=world.ga)  # a GA-version request
    events = {e.data.object.id: e for e in world.events("financial_connections.account.deactivated")}
    preview_event, ga_event = events[first.id], events[second.id]
    assert preview_event.api_version == PREVIEW and ga_event.api_version == GA
    assert handle_deactivated(plain(preview_event)) == "prompt_user_to_relink"
    assert "inactive" not in (plain(ga_event)["data"]["object"].get("status_details") or {})
    assert handle_deactivated(plain(ga_event)) == "check_event_destination_api_version"


# -- §3 ------------------------------------------------------------------------------------------------------------

def test_relink_session_shape_matches_the_document(world: World) -> None:
    customer = world.customer()
    account = world.link(customer)[0]
    world.deactivate(account)
    session = relink_session(world, account, customer, permissions=["payment_method", "balances"])
    assert session.id.startswith("fcsess_") and session.client_secret.startswith("fcsess_client_secret_")
    assert plain(session.account_holder) == {"customer": customer.id, "type": "customer"}
    assert session.accounts.data == []
    assert session.filters.account_subcategories == ["checking", "savings"]
    assert session.limits.accounts == 1
    assert session.permissions == ["payment_method", "balances"]
    assert plain(session.relink_options) == {"account": account.id, "authorization": account.authorization}
    assert session.status == "pending" and "relink_result" not in session


def test_relink_specific_account_succeeds(world: World) -> None:
    customer = world.customer()
    account = world.link(customer)[0]
    world.deactivate(account)
    done = world.complete(relink_session(world, account, customer))
    assert done.status == "succeeded"
    assert plain(done.relink_result) == {"account": account.id, "authorization": account.authorization,
                                            "failure_reason": None}
    assert done.accounts.data[0].id == account.id
    relinked = world.account(account.id)
    assert relinked.status == "active" and plain(relinked.status_details) == {}
    reactivated = world.events("financial_connections.account.reactivated")
    assert account.id in {e.data.object.id for e in reactivated}
    mine = next(e for e in reactivated if e.data.object.id == account.id)
    assert mine.data.previous_attributes.status == "inactive"
    assert mine.data.previous_attributes.status_details.inactive.cause == "access_expired"
    # one per session the customer finished: the link, then the relink (README: sent for preview versions)
    assert len(world.events("financial_connections.session.updated")) == 2


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"accounts": ["Sample Savings Account"]}, "no_account"),  # authenticated, picked another account
        ({"outcome": "authentication_failed"}, "no_authorization"),
        ({"outcome": "different_login"}, "no_authorization"),
        ({"institution": "Bank (Non-OAuth)"}, "no_authorization"),
        ({"outcome": "error"}, "other"),
    ],
)
def test_relink_failure_reasons(world: World, params: dict[str, Any], reason: str) -> None:
    customer = world.customer()
    checking, savings = world.link(customer, accounts=["Sample Checking Account", "Sample Savings Account"])
    world.deactivate(checking)
    done = world.complete(relink_session(world, checking, customer), **params)
    assert done.status == "failed"
    assert plain(done.relink_result) == {"account": None, "authorization": None, "failure_reason": reason}
    assert done.accounts.data == []
    assert world.account(checking.id).status == "inactive" and world.account(savings.id).status == "inactive"
    assert world.events("financial_connections.account.reactivated") == []


def test_account_without_holder_relinks_with_null_holder(world: World) -> None:
    account = world.link(None)[0]  # a two-step flow: the account has no account_holder
    assert account.account_holder is None
    world.deactivate(account)
    session = world.session(None, account_holder="", relink_options={"authorization": account.authorization,
                                                                      "account": account.id})
    assert session.account_holder is None
    assert world.complete(session).status == "succeeded"
    other = world.customer()
    with pytest.raises(stripe.InvalidRequestError) as info:
        world.session(other, relink_options={"authorization": account.authorization, "account": account.id})
    assert info.value.param == "account_holder"


def test_relink_updates_permissions(world: World) -> None:
    customer = world.customer()
    account = world.link(customer)[0]
    assert account.permissions == ["payment_method"]
    session = relink_session(world, account, customer, permissions=["payment_method", "balances", "transactions"])
    world.complete(session)
    assert world.account(account.id).permissions == ["payment_method", "balances", "transactions"]


# -- §4 ------------------------------------------------------------------------------------------------------------

def test_relink_any_eligible_existing_account(world: World) -> None:
    customer = world.customer()
    account = world.link(customer, "Emulator: TAN States", accounts=["TAN Checking"])[0]
    world.deactivate(account, cause="access_denied")  # access revoked at the bank: the TAN goes too
    assert world.account(account.id).account_numbers[0].status == "deactivated"
    session = relink_session(world, account, customer, specific=False, permissions=["payment_method", "balances"])
    assert session.filters.account_subcategories == ["checking", "savings"] and session.limits.accounts == 1
    done = world.complete(session, accounts=[account.id])
    assert plain(done.relink_result) == {"account": None, "authorization": account.authorization,
                                            "failure_reason": None}
    updated = world.account(account.id)
    assert updated.status == "active" and updated.permissions == ["payment_method", "balances"]
    assert updated.account_numbers[0].status == "transactable"


def test_relink_any_eligible_new_account_and_is_new_detection(world: World) -> None:
    customer = world.customer()
    account = world.link(customer, accounts=["Sample Checking Account"])[0]
    world.deactivate(account)
    existing_ids = [a.id for a in world.preview.v1.financial_connections.accounts.list(
        params={"account_holder": {"customer": customer.id}}).data]
    done = world.complete(relink_session(world, account, customer, specific=False),
                          accounts=["Sample Savings Account"])
    linked = done.accounts.data[0]
    assert linked.id != account.id and linked.authorization == account.authorization
    after = [a.id for a in world.preview.v1.financial_connections.accounts.list(
        params={"account_holder": {"customer": customer.id}}).data]
    # new: not among the accounts before, among them after (the document's sample sets isNew = includes(id),
    # which is inverted); nothing else was added or removed
    assert linked.id not in existing_ids and sorted(after) == sorted([*existing_ids, linked.id])
    assert done.relink_result.account is None
    assert [e.data.object.id for e in world.events("financial_connections.account.created")][0] == linked.id


def test_no_accounts_detected(world: World) -> None:
    customer = world.customer()
    account = world.link(customer, accounts=["Sample Checking Account"])[0]
    world.deactivate(account)
    specific = world.complete(relink_session(world, account, customer), outcome="no_accounts_available")
    assert specific.status == "failed" and specific.relink_result.failure_reason == "no_account"
    anywhere = world.complete(relink_session(world, account, customer, specific=False),
                              outcome="no_accounts_available", accounts=["Sample Savings Account"])
    assert anywhere.status == "succeeded" and anywhere.accounts.data[0].display_name == "Sample Savings Account"


def test_oauth_different_account(world: World) -> None:
    customer = world.customer()
    account = world.link(customer, "Test (OAuth)", accounts=["Sample Checking Account"])[0]
    world.deactivate(account)
    picked_other = world.complete(relink_session(world, account, customer), accounts=["Sample Savings Account"])
    assert picked_other.relink_result.failure_reason == "no_account"
    any_account = world.complete(relink_session(world, account, customer, specific=False),
                                 accounts=["Sample Savings Account"])
    assert any_account.status == "succeeded" and any_account.accounts.data[0].id != account.id


# -- §6 ------------------------------------------------------------------------------------------------------------

def test_authorization_and_sibling_reactivation(world: World) -> None:
    customer = world.customer()
    checking, savings = world.link(customer, accounts=["Sample Checking Account", "Sample Savings Account"])
    authorization = world.authorization(checking.authorization)
    assert plain(authorization) == {
        "id": checking.authorization, "object": "financial_connections.authorization",
        "account_holder": {"customer": customer.id, "type": "customer"},
        "institution": "fcinst_Qn1a7A4KhL42se", "institution_name": "Test (Non-OAuth)", "livemode": False,
        "status": "active", "status_details": {},
    }
    world.deactivate(checking)  # the bank login expired: both accounts go inactive
    assert world.account(savings.id).status == "inactive"
    assert world.authorization(checking.authorization).status_details.inactive.action == "relink_required"
    world.complete(relink_session(world, checking, customer))
    assert world.account(savings.id).status == "active"
    assert sorted(e.data.object.id for e in world.events("financial_connections.account.reactivated")) == sorted(
        [checking.id, savings.id])
    assert world.authorization(checking.authorization).status == "active"


# -- §7 ------------------------------------------------------------------------------------------------------------

def test_tokenized_account_numbers_refreshed_by_relink(world: World) -> None:
    customer = world.customer()
    linked = {a.display_name: a for a in world.link(customer, "Emulator: TAN States")}
    fresh = linked["TAN Checking"]
    assert fresh.account_numbers[0].identifier_type == "tokenized_account_number"
    assert fresh.account_numbers[0].status == "transactable"
    assert linked["TAN Checking (revoked)"].account_numbers[0].status == "deactivated"
    assert linked["TAN Savings (expired)"].account_numbers[0].status == "expired"
    expiry = fresh.account_numbers[0].expected_expiry_date
    world.raw("post", f"{HELPERS}/accounts/{fresh.id}/account_numbers/deactivate", reason="revoked")
    revoked = world.account(fresh.id)
    assert revoked.status == "active" and revoked.account_numbers[0].status == "deactivated"
    world.complete(relink_session(world, fresh, customer))
    renewed = world.account(fresh.id).account_numbers[0]
    assert renewed.status == "transactable" and renewed.expected_expiry_date >= expiry
    assert world.account(linked["TAN Checking (revoked)"].id).account_numbers[0].status == "transactable"
    assert len(world.events("financial_connections.account.account_numbers_updated")) >= 2


def test_cancelled_relink(world: World) -> None:
    customer = world.customer()
    account = world.link(customer)[0]
    world.deactivate(account)
    done = world.complete(relink_session(world, account, customer), outcome="cancel")
    assert done.status == "cancelled" and done.status_details.cancelled.reason == "other"
    assert done.relink_result.failure_reason == "other"
    with pytest.raises(stripe.InvalidRequestError) as info:
        world.complete(done)
    assert "already completed" in str(info.value)


def test_ga_and_preview_rendering(world: World) -> None:
    customer = world.customer()
    account = world.link(customer)[0]
    world.deactivate(account)
    ga_account = plain(world.account(account.id, world.ga))
    assert ga_account["status"] == "inactive"
    for preview_only in ("authorization", "institution", "inferred_balances_refresh"):
        assert preview_only not in ga_account
    assert "inactive" not in ga_account["status_details"]
    session = relink_session(world, account, customer)
    ga_session = plain(world.ga.v1.financial_connections.sessions.retrieve(session.id))
    for preview_only in ("status", "status_details", "relink_options", "relink_result", "ui_mode", "url", "hosted"):
        assert preview_only not in ga_session
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        world.ga.v1.financial_connections.sessions.create(params={  # type: ignore[typeddict-unknown-key]
            "account_holder": {"type": "customer", "customer": customer.id}, "permissions": ["payment_method"],
            "relink_options": {"authorization": account.authorization}})
    assert unknown.value.code == "parameter_unknown" and unknown.value.param == "relink_options"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        world.ga.v1.financial_connections.sessions.create(params={"permissions": ["payment_method"]})
    assert missing.value.code == "parameter_missing" and missing.value.param == "account_holder"
    with pytest.raises(stripe.InvalidRequestError) as preview_only_endpoint:
        world.raw("get", f"/v1/financial_connections/authorizations/{account.authorization}", client=world.ga)
    assert preview_only_endpoint.value.http_status == 404 and "preview" in str(preview_only_endpoint.value)
    institution = world.raw("get", "/v1/financial_connections/institutions/fcinst_Qn1a7A4KhL42se")
    assert institution.name == "Test (Non-OAuth)" and institution.features.payment_method.supported is True
