"""`emulator.core.urls`, message by message: why a webhook URL is refused (at creation and again on the addresses
its host resolves to at delivery), which strings count as links, and the event-type wildcard."""

from __future__ import annotations

import pytest

from emulator.core.events import type_matcher
from emulator.core.urls import HostPolicy, host_name, http_url, is_loopback_name


def test_a_url_that_is_not_absolute_http_is_refused_showing_at_most_200_characters() -> None:
    policy = HostPolicy()
    assert policy.refusal("ftp://localhost/") == ("Invalid URL: ftp://localhost/. URLs must be absolute http or https "
                                                  "URLs.")
    long = "x" * 250
    assert policy.refusal(long) == f"Invalid URL: {'x' * 200}. URLs must be absolute http or https URLs."


def test_metadata_and_link_local_hosts_are_refused_whatever_is_allowed() -> None:
    anything = HostPolicy(("*",))
    for url in ("http://169.254.169.254/latest", "http://metadata.google.internal./x", "http://METADATA/",
                "http://[fe80::1]/hook", "http://[::ffff:169.254.169.254]/"):
        assert anything.refusal(url) == (f"Invalid URL: {url}. Webhooks are never delivered to link-local or cloud "
                                         "metadata addresses."), url
    long = "http://169.254.169.254/" + "p" * 300
    assert anything.refusal(long) == (f"Invalid URL: {long[:200]}. Webhooks are never delivered to link-local or "
                                      "cloud metadata addresses.")


def test_another_host_is_refused_naming_the_option_that_allows_it() -> None:
    policy = HostPolicy()
    assert policy.refusal("https://Hooks.Example.com./in") == (
        "Invalid URL: https://Hooks.Example.com./in. This emulator delivers webhooks to loopback hosts only; start it "
        "with --webhook-hosts hooks.example.com to allow this host.")
    url = "https://hooks.example.com/" + "q" * 300
    assert policy.refusal(url) == (
        f"Invalid URL: {url[:200]}. This emulator delivers webhooks to loopback hosts only; start it with "
        "--webhook-hosts hooks.example.com to allow this host.")
    assert HostPolicy(("hooks.example.com",)).refusal("https://HOOKS.example.com./in") is None
    assert HostPolicy(("*",)).refusal("https://hooks.example.com/in") is None  # `*` allows any other host
    for loopback in ("http://localhost:8000/", "http://app.localhost/", "http://127.0.0.2/", "http://[::1]:9/"):
        assert policy.refusal(loopback) is None, loopback


def test_resolved_addresses_are_checked_each_one() -> None:
    policy = HostPolicy(("hooks.example.com",))
    # entries that are not addresses are skipped, and the ones after them still count
    assert policy.resolved_refusal("hooks.example.com", ["not-an-address", "169.254.169.254"]) == (
        "hooks.example.com resolves to 169.254.169.254, a link-local or metadata address")
    # a scoped IPv6 address is judged without its zone
    assert policy.resolved_refusal("hooks.example.com", ["fe80::1%eth0"]) == (
        "hooks.example.com resolves to fe80::1, a link-local or metadata address")
    assert policy.resolved_refusal("hooks.example.com", ["93.184.216.34"]) is None  # an allowed name, anywhere
    assert HostPolicy().resolved_refusal("localhost", ["127.0.0.1", "93.184.216.34"]) == (
        "localhost resolves to 93.184.216.34, which is not loopback (see --webhook-hosts)")
    assert HostPolicy(("*",)).resolved_refusal("any.example", ["93.184.216.34"]) is None
    assert HostPolicy().resolved_refusal("localhost", []) is None


@pytest.mark.parametrize("value", ["http://a.example/\x00", "http://a.example/\r", "http://a.example/\n",
                                   "http://a.example/\t", "http://[::1", "https:///path", "mailto:a@b.example",
                                   "//a.example/", ""])
def test_strings_that_are_not_links(value: str) -> None:
    assert http_url(value) is False


def test_links_and_host_names() -> None:
    assert http_url("HTTPS://a.example") is True and http_url("http://127.0.0.1:1/x?y#z") is True
    assert host_name(" LOCALHOST:12111 ") == "localhost" and host_name("[::1]:80") == "[::1]"
    assert host_name("[::1") == "[::1" and host_name("a.example:port") == "a.example:port"
    assert host_name("::1") == "::1"  # a bare IPv6 address: its last group is not a port
    assert is_loopback_name("LOCALHOST.") and is_loopback_name("a.b.localhost") and is_loopback_name("[::1]")
    assert not is_loopback_name("localhost.example") and not is_loopback_name("10.0.0.1")


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("customer.created", "customer.created", True),
    ("customer.created", "customer.updated", False),
    ("customer.*", "customer.created", True),
    ("customer.*", "customer.", True),  # the wildcard may stand for nothing
    ("customer.*", "customers.created", False),
    ("*.created", "customer.created", True),
    ("*", "anything.at.all", True),
    ("a.*.a", "a.x.a", True),
    ("a.*.a", "a..a", True),
    ("a.*.a", "a.a", False),  # the prefix and the suffix may not overlap
])
def test_event_type_patterns(pattern: str, value: str, expected: bool) -> None:
    assert type_matcher(pattern)(value) is expected
