"""Which URLs the emulator accepts from a client, and which hosts it answers to or sends to.

- `http_url`: a URL a browser is sent to (`return_url`): absolute http or https only (never `javascript:`).
- `HostPolicy`: where webhooks may be delivered. Loopback only by default (`localhost`, `*.localhost`,
  127.0.0.0/8, ::1); other hosts only when named (`serve --webhook-hosts`, `*` for any). Link-local addresses
  (169.254.0.0/16, fe80::/10) and cloud metadata endpoints are refused always, by name and by resolved address.
- `loopback_host`: the `Host` header names a loopback host (what the server answers to by default).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal", "metadata.azure.internal"})
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("169.254.170.2")})


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = _address(host)
    return address is not None and address.is_loopback


def host_name(header: str) -> str:
    """The host of a `Host` header (`name`, `name:port`, `[v6]:port`), lower-case, without the port."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    name, sep, port = header.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else header


def named(host: str, names: tuple[str, ...], *, wildcard: bool = False) -> bool:
    """`host` is one of `names`: exactly (an IPv6 address with or without brackets), or under a `.domain` entry (the
    domain and its subdomains); with `wildcard`, `*` names every host."""
    host = host.lower().rstrip(".")
    for name in names:
        name = name.lower().rstrip(".")
        if (wildcard and name == "*") or host in (name, f"[{name}]") or (
                name.startswith(".") and (host.endswith(name) or host == name[1:])):
            return True
    return False


def host_allowed(header: str, names: tuple[str, ...]) -> bool:
    """A `Host` header the server answers to: a loopback host, or one of `names`."""
    host = host_name(header).rstrip(".")
    return is_loopback_name(host) or named(host, names)


def forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Never a webhook target: link-local (where cloud metadata services live) and the metadata addresses."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_link_local or address in METADATA_ADDRESSES


def http_url(value: str) -> bool:
    """An absolute http(s) URL with a host: the only kind the emulator renders as a link or redirects a browser to."""
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(
            ch in value for ch in "\x00\r\n\t")
    except ValueError:
        return False


@dataclass(frozen=True)
class HostPolicy:
    """The hosts webhook deliveries may go to: loopback ones, plus `allowed` (exact names or addresses,
    `.example.com` for a domain and its subdomains, `*` for any host that is not always refused)."""

    allowed: tuple[str, ...] = ()

    def refusal(self, url: str) -> str | None:
        """Why `url` may not receive webhooks, or None."""
        if not http_url(url):
            return f"Invalid URL: {url[:200]}. URLs must be absolute http or https URLs."
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        address = _address(host)
        if host in METADATA_NAMES or (address is not None and forbidden_address(address)):
            return (f"Invalid URL: {url[:200]}. Webhooks are never delivered to link-local or cloud metadata "
                    "addresses.")
        if is_loopback_name(host) or named(host, self.allowed, wildcard=True):
            return None
        return (f"Invalid URL: {url[:200]}. This emulator delivers webhooks to loopback hosts only; start it with "
                f"--webhook-hosts {host} to allow this host.")

    def resolved_refusal(self, host: str, addresses: list[str]) -> str | None:
        """Checked again at delivery time, on what the name resolved to (a name pointed at a metadata service, or
        a loopback-only name that no longer resolves to loopback)."""
        for text in addresses:
            address = _address(text.split("%")[0])
            if address is None:
                continue
            if forbidden_address(address):
                return f"{host} resolves to {address}, a link-local or metadata address"
            if not address.is_loopback and not named(host, self.allowed, wildcard=True):
                return f"{host} resolves to {address}, which is not loopback (see --webhook-hosts)"
        return None
