"""Hostile hosts and URLs: the server answers only to loopback `Host` names (and `--allowed-host`), never
redirects, delivers webhooks only to loopback hosts unless `--webhook-hosts` names others — never to link-local
or cloud metadata addresses — and takes only http(s) `return_url`s, which are the only links it renders."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from emulator.core.urls import HostPolicy, host_allowed, http_url
from emulator.http.app import create_app
from emulator.resources import webhook_endpoints
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from tests.conftest import Api
from tests.receiver import Receiver

PREVIEW = {"Stripe-Version": "2026-09-30.preview"}
METADATA_URLS = ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://metadata.google.internal/",
                 "http://[::ffff:169.254.169.254]/", "http://169.254.170.2/v2/credentials", "http://[fd00:ec2::254]/"]


@pytest.fixture
def remote_api() -> Iterator[Api]:
    """An emulator configured for a shared host: one more Host name, webhooks to one more domain."""
    caller = AsgiCaller(create_app(Settings(seed=5, allowed_hosts=("emulator.team.test",),
                                            webhook_hosts=(".hooks.test", "203.0.113.9"))))
    try:
        yield Api(caller, None, "sk_test_remote")
    finally:
        caller.close()


# -- Host ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:12111", "127.0.0.1.attacker.example",
                                  "localhost.attacker.example", "[2001:db8::1]:80", "10.0.0.8"])
def test_a_foreign_host_header_is_refused_stripe_shaped(api: Api, host: str) -> None:
    response = api.get("/v1/customers", headers={"Host": host})
    assert response.status == 400, response.body
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "--allowed-host" in error["message"]
    assert response.headers["request-id"].startswith("req_")
    assert api.backend().requests.newest_first() == []  # the request never reached the API


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:12111", "localhost:8000", "[::1]:12111", "127.5.6.7",
                                  "app.localhost"])
def test_loopback_host_headers_are_answered(api: Api, host: str) -> None:
    assert api.get("/v1/customers", headers={"Host": host}).status == 200


def test_allowed_host_names_are_answered_and_build_the_hosted_urls(remote_api: Api) -> None:
    assert remote_api.get("/v1/customers", headers={"Host": "attacker.example"}).status == 400
    customer = remote_api.post("/v1/customers", headers={"Host": "emulator.team.test:12111"}).json()["id"]
    session = remote_api.post("/v1/financial_connections/sessions", headers={**PREVIEW, "Host": "emulator.team.test"},
                              data={"permissions[]": "payment_method", "account_holder[type]": "customer",
                                    "account_holder[customer]": customer, "ui_mode": "hosted",
                                    "hosted[return_url]": "https://shop.example/back"})
    assert session.status == 200, session.body
    assert session.json()["url"].startswith("http://emulator.team.test/hosted/")


def test_hosted_urls_never_carry_a_foreign_host(api: Api) -> None:
    customer = api.post("/v1/customers").json()["id"]
    data = {"permissions[]": "payment_method", "account_holder[type]": "customer",
            "account_holder[customer]": customer, "ui_mode": "hosted", "hosted[return_url]": "https://shop.example/b"}
    assert api.post("/v1/financial_connections/sessions", headers={**PREVIEW, "Host": "attacker.example"},
                    data=data).status == 400
    made = api.post("/v1/financial_connections/sessions", headers={**PREVIEW, "Host": "localhost:4242"}, data=data)
    assert made.json()["url"].startswith("http://localhost:4242/hosted/financial_connections/")


@pytest.mark.parametrize("path", ["/v1/customers/", "/_emulator/health/", "/_emulator/dashboard/"])
def test_a_trailing_slash_is_a_404_not_a_redirect(api: Api, path: str) -> None:
    response = api.get(path, headers={"Host": "127.0.0.1:12111"})
    assert response.status == 404 and "location" not in response.headers
    assert "Unrecognized request URL" in response.json()["error"]["message"]


def test_host_names_are_matched_exactly_or_by_domain() -> None:
    assert host_allowed("a.team.test", (".team.test",)) and host_allowed("team.test:80", (".team.test",))
    assert not host_allowed("evilteam.test", (".team.test",)) and not host_allowed("team.test.evil", ("team.test",))
    assert not host_allowed("", ()) and not host_allowed("[::2]", ())


# -- webhook URLs ----------------------------------------------------------------------------------------------------

def create_endpoint(api: Api, url: str) -> tuple[int, dict[str, object]]:
    response = api.post("/v1/webhook_endpoints", data={"url": url, "enabled_events[]": "*"})
    return response.status, response.json()


@pytest.mark.parametrize("url", ["https://attacker.example/collect", "http://10.0.0.8:8080/", "http://192.168.1.1/",
                                 "https://hooks.test.attacker.example/", *METADATA_URLS])
def test_webhook_endpoints_to_other_hosts_are_refused_naming_url(api: Api, url: str) -> None:
    status, body = create_endpoint(api, url)
    assert status == 400, body
    error = body["error"]
    assert isinstance(error, dict) and (error["code"], error["param"]) == ("url_invalid", "url")
    assert webhook_endpoints.table(api.backend()).get("anything") is None and len(
        webhook_endpoints.table(api.backend())) == len([e for e in webhook_endpoints.table(api.backend()).values()
                                                        if e.hidden])


def test_webhook_endpoint_update_to_another_host_is_refused_and_changes_nothing(api: Api) -> None:
    status, body = create_endpoint(api, "http://localhost:9/hooks")
    assert status == 200, body
    moved = api.post(f"/v1/webhook_endpoints/{body['id']}", data={"url": "https://attacker.example/"})
    assert moved.status == 400 and moved.json()["error"]["param"] == "url"
    assert api.get(f"/v1/webhook_endpoints/{body['id']}").json()["url"] == "http://localhost:9/hooks"


def test_webhook_hosts_allow_named_hosts_but_never_metadata(remote_api: Api) -> None:
    assert create_endpoint(remote_api, "https://a.hooks.test/stripe")[0] == 200
    assert create_endpoint(remote_api, "https://203.0.113.9/stripe")[0] == 200
    assert create_endpoint(remote_api, "https://hooks.test.evil/stripe")[0] == 400
    for url in METADATA_URLS:
        assert create_endpoint(remote_api, url)[0] == 400, url


def test_the_host_policy_refuses_metadata_even_with_a_wildcard() -> None:
    anything = HostPolicy(("*",))
    assert anything.refusal("https://anywhere.example/") is None
    for url in METADATA_URLS:
        assert "link-local or cloud metadata" in (anything.refusal(url) or ""), url
    assert anything.resolved_refusal("rebound.example", ["169.254.169.254"]) is not None
    assert HostPolicy().resolved_refusal("localhost", ["127.0.0.1", "::1"]) is None
    assert HostPolicy().resolved_refusal("localhost", ["93.184.216.34"]) is not None  # no longer loopback


def test_a_saved_endpoint_to_a_refused_host_gets_no_request_at_delivery(api: Api) -> None:
    """Endpoints that predate the policy (a restored snapshot, a changed --webhook-hosts) are checked again when
    delivering: the attempt is logged as refused and nothing is sent."""
    with Receiver() as receiver:
        backend = api.backend()
        with backend.lock:
            webhook_endpoints.add(backend, "http://169.254.169.254/latest/meta-data/", ["*"])
            webhook_endpoints.add(backend, receiver.url, ["*"])
        api.post("/v1/customers", data={"name": "x"})
        flushed = api.post("/_emulator/webhooks/flush").json()
        assert flushed["succeeded"] == 1 and flushed["pending"] == 1  # the refused one waits for its retry
        attempts = api.get("/_emulator/webhooks/deliveries").json()["data"]
        refused = [a for a in attempts if a["url"].startswith("http://169.254")]
        assert len(refused) == 1 and refused[0]["error"].startswith("refused:") and refused[0]["status_code"] is None
        assert len(receiver.received) == 1


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "https://attacker.example/hook", "ftp://localhost/"])
def test_serve_refuses_a_forward_to_url_the_policy_refuses(url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--port", "0", "--forward-to", url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--forward-to" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_serve_on_every_interface_needs_allowed_host_names() -> None:
    done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--port", "0", "--host", "0.0.0.0",
                           "--allow-remote", "--control-token", "t"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--allowed-host" in done.stderr, done.stderr


# -- return_url ------------------------------------------------------------------------------------------------------

BAD_RETURN_URLS = ["javascript:alert(document.domain)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
                   "vbscript:msgbox", "//attacker.example/", "/relative", "https://", "http://exa mple.com\n/x"]


@pytest.mark.parametrize("url", BAD_RETURN_URLS)
def test_session_return_urls_must_be_http_or_https(api: Api, url: str) -> None:
    customer = api.post("/v1/customers").json()["id"]
    base = {"permissions[]": "payment_method", "account_holder[type]": "customer",
            "account_holder[customer]": customer}
    for param, extra in [("return_url", {"return_url": url}),
                         ("hosted[return_url]", {"ui_mode": "hosted", "hosted[return_url]": url})]:
        response = api.post("/v1/financial_connections/sessions", headers=PREVIEW, data={**base, **extra})
        assert response.status == 400, response.body
        error = response.json()["error"]
        assert (error["code"], error["param"], error["message"]) == ("url_invalid", param, "Not a valid URL")
    assert api.get("/v1/customers").status == 200


def test_setup_intent_return_url_must_be_http_or_https(api: Api) -> None:
    intent = api.post("/v1/setup_intents", data={"automatic_payment_methods[enabled]": "true"}).json()
    refused = api.post(f"/v1/setup_intents/{intent['id']}/confirm", data={"return_url": "javascript:alert(1)"})
    assert refused.status == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == ("url_invalid", "return_url")
    assert api.get(f"/v1/setup_intents/{intent['id']}").json()["status"] == intent["status"]


def test_only_http_urls_count_as_links() -> None:
    assert http_url("https://shop.example/back?x=1") and http_url("http://localhost:3000/")
    assert not any(http_url(url) for url in BAD_RETURN_URLS)
