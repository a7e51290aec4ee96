"""Command line: `stripe-fc-emulator serve` (also `python -m emulator serve`)."""

from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import ipaddress
import json
import logging
import re
import socket
import sys
from collections.abc import Iterator
from importlib import resources
from urllib.parse import urlsplit

import click
import uvicorn

from emulator import __version__
from emulator.core.versions import parse
from emulator.settings import DEFAULT_HOST, DEFAULT_PORT, Settings

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
EVENT_PATTERN = re.compile(r"\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?")
"""An event type as Stripe writes them (`financial_connections.account.deactivated`), a `prefix.*` wildcard, or `*`."""


@functools.cache
def known_event_types() -> frozenset[str]:
    """Every event type Stripe's specification names (`emulator/resources/event_types.json`)."""
    document = json.loads(resources.files("emulator.resources").joinpath("event_types.json").read_text("utf-8"))
    return frozenset(document["types"])


def event_pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not an event type Stripe has, a `prefix.*` wildcard matching one, or `*`; or None."""
    if not EVENT_PATTERN.fullmatch(pattern):
        return (f"{pattern!r} is not an event type: exact types look like `customer.created`, wildcards like "
                "`financial_connections.*`, or `*` for every event")
    known = known_event_types()
    if pattern == "*" or pattern in known:
        return None
    if pattern.endswith(".*"):
        if any(name.startswith(pattern[:-1]) for name in known):
            return None
        return f"{pattern!r} matches no event type Stripe has"
    close = difflib.get_close_matches(pattern, sorted(known), n=1)
    return f"{pattern!r} is not an event type Stripe has" + (f" (did you mean {close[0]!r}?)" if close else "")


def origin_problem(origin: str) -> str | None:
    """Why `origin` is not a browser origin (`scheme://host[:port]`, http or https, nothing after), or None."""
    parts = urlsplit(origin)
    try:
        parts.port  # noqa: B018 - read for its check: a port that is not a number is a ValueError
    except ValueError:
        return f"{origin!r} has a port that is not a number from 0 to 65535"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{origin!r} is not an origin: write it as a browser sends it, e.g. https://shop.example.com:8443"
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return f"{origin!r} is not an origin: only scheme, host and port (no path, query or user)"
    return None
EVERY_INTERFACE = ("0.0.0.0", "::")
"""`--host` values that bind every interface: they name no host a client could send in `Host`."""
KEEP_ALIVE_SECONDS = 5
"""An idle kept-alive connection is closed after this long (uvicorn's default, stated in the README)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """Bind before serving, so `--port 0` can report the port the OS chose."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only for sockets whose proto says
    # TCP; with proto 0 every keep-alive response waits ~40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    ready_line: str = ""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM shut the server down gracefully and the process exits 0 (uvicorn would re-raise the
        signal afterwards, which click reports as "Aborted!")."""
        with super().capture_signals():
            yield
            self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.ready_line:
            click.echo(self.ready_line)
            sys.stdout.flush()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stripe-fc-emulator")
def cli() -> None:
    """A local, stateful emulator of the Stripe API for Financial Connections relink."""


@cli.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free port and prints it.")
@click.option("--seed", type=int, default=None, help="Seed for ids and generated data (deterministic runs).")
@click.option("--api-version", "api_version", default=Settings.default_api_version, show_default=True,
              help="Stripe-Version used when a request sends none.")
@click.option("--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True,
              help="How much the server logs; `debug` also logs every request (API keys masked).")
@click.option("--allow-remote", is_flag=True, help="Allow binding a non-loopback interface.")
@click.option("--forward-to", "forward_to", default=None, metavar="URL",
              help="Also deliver every namespace's events to URL, like `stripe listen --forward-to`.")
@click.option("--events", default="*", show_default=True,
              help="Comma-separated event types to forward with --forward-to: exact types "
                   "(`financial_connections.account.deactivated`), `prefix.*` wildcards, or `*`.")
@click.option("--webhook-secret", default=None, metavar="whsec_…",
              help="Signing secret for --forward-to (default: derived from --seed, else random).")
@click.option("--webhook-timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 300),
              help="Seconds before a webhook delivery attempt times out.")
@click.option("--header-timeout", "header_timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 600),
              metavar="SECONDS", help="Seconds a client has to send a request's headers; then the connection closes.")
@click.option("--body-timeout", "body_timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
              metavar="SECONDS", help="Seconds a client has to send a request's body; then a 408.")
@click.option("--max-restore-bytes", "max_restore_bytes", default=64 * 1024 * 1024, show_default=True,
              type=click.IntRange(1024, 2**31), metavar="BYTES",
              help="Largest snapshot document POST /_emulator/restore reads (413 beyond).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A Host name (besides loopback ones) the server answers to, e.g. the name clients use with "
                   "--allow-remote; `.example.com` for a domain and its subdomains; repeatable.")
@click.option("--webhook-hosts", "webhook_hosts", default="", metavar="HOSTS",
              help="Comma-separated hosts (besides loopback ones) webhook endpoints may point to; `.example.com` for "
                   "a domain, `*` for any. Link-local and cloud metadata addresses are always refused.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="An origin (besides loopback ones) whose pages may call the emulator; repeatable.")
@click.option("--rate-limit", "rate_limit", default=None, type=click.IntRange(1, 100_000), metavar="N",
              help="Answer 429 rate_limit beyond N requests/s per API key (Stripe's sandbox allows 25).")
@click.option("--control-token", "control_token", default=None, metavar="TOKEN",
              envvar="STRIPE_FC_EMULATOR_CONTROL_TOKEN", show_envvar=True,
              help="Require this token (header Emulator-Control-Token) for /_emulator/ and /v1/test_helpers/; "
                   "needed with --allow-remote.")
@click.option("--state-file", "state_file", default=None, metavar="PATH", type=click.Path(dir_okay=False),
              help="Restore every namespace from PATH at start (when it exists); save them to it every "
                   "--state-interval seconds and at shutdown, atomically.")
@click.option("--state-interval", "state_interval", default=5.0, show_default=True, type=click.FloatRange(0.05, 3600),
              metavar="SECONDS", help="Seconds between saves of --state-file (skipped when nothing changed).")
@click.option("--surface", "surface", default="all", show_default=True,
              type=click.Choice(["emulated", "all"]),
              help="all: every endpoint of the stripe SDK that is not emulated by hand answers generically too "
                   "(Emulator-Fidelity: generic); emulated: only the endpoints emulated by hand answer (others are "
                   "Stripe's 404).")
def serve(host: str, port: int, seed: int | None, api_version: str, log_level: str, allow_remote: bool,
          forward_to: str | None, events: str, webhook_secret: str | None, webhook_timeout: float,
          header_timeout: float, body_timeout: float, max_restore_bytes: int, allowed_hosts: tuple[str, ...],
          webhook_hosts: str, cors_origins: tuple[str, ...], rate_limit: int | None,
          control_token: str | None, state_file: str | None, state_interval: float, surface: str) -> None:
    """Start the emulator with embedded in-memory state."""
    from emulator.core.errors import StripeError
    from emulator.core.snapshot import SnapshotError
    from emulator.core.urls import HostPolicy
    from emulator.http.app import create_app
    from emulator.http.persistence import StateFileError
    from emulator.http.protocol import protocol

    if not is_loopback(host):
        if not allow_remote:
            raise click.UsageError(
                f"--host {host} is not a loopback address; pass --allow-remote to expose the emulator to the network."
            )
        if not control_token:
            raise click.UsageError(
                "--allow-remote needs --control-token: on the network, the control plane and test helpers (which "
                "can read and change every namespace) must not be open to anyone who can reach the port."
            )
        if host in EVERY_INTERFACE and not allowed_hosts:
            raise click.UsageError(
                f"--host {host} answers on every interface: name the hosts clients reach it by with --allowed-host "
                "NAME (requests with any other Host header are refused).")
        click.echo(f"warning: listening on {host}: anyone who can reach it can read and change emulator state.",
                   err=True)
    try:
        parse(api_version)
    except StripeError as exc:
        raise click.BadParameter(exc.message, param_hint="--api-version") from exc
    if webhook_secret is not None and not webhook_secret.startswith("whsec_"):
        raise click.BadParameter("a webhook signing secret starts with whsec_", param_hint="--webhook-secret")
    for origin in cors_origins:
        problem = origin_problem(origin)
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--cors-origin")
    forwarded = tuple(e.strip() for e in events.split(",") if e.strip()) or ("*",)
    for pattern in forwarded:
        problem = event_pattern_problem(pattern)
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--events")
    hooks = tuple(name.strip() for name in webhook_hosts.split(",") if name.strip())
    if forward_to is not None:
        refusal = HostPolicy(hooks).refusal(forward_to)
        if refusal is not None:
            raise click.BadParameter(refusal, param_hint="--forward-to")
    named = (host,) if not is_loopback(host) and host not in EVERY_INTERFACE else ()
    settings = Settings(host=host, port=port, seed=seed, default_api_version=api_version, log_level=log_level,
                        forward_to=forward_to, webhook_secret=webhook_secret, webhook_timeout=webhook_timeout,
                        cors_origins=cors_origins, rate_limit=rate_limit, allowed_hosts=(*named, *allowed_hosts),
                        webhook_hosts=hooks, header_timeout=header_timeout, body_timeout=body_timeout,
                        max_restore_bytes=max_restore_bytes,
                        control_token=control_token or None,
                        state_file=state_file, state_interval=state_interval,
                        forward_events=forwarded, surface=surface)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    try:
        app = create_app(settings)
    except SnapshotError as exc:
        sock.close()
        raise click.ClickException(f"cannot restore the state from {state_file}: {exc}") from exc
    except StateFileError as exc:
        sock.close()
        raise click.ClickException(f"cannot use the state file {state_file}: {exc}") from exc
    if state_file is not None:
        restored = len(app.state.emulator.backends.namespaces())
        click.echo(f"state file {state_file}: {restored} namespace(s) restored; saving every {state_interval:g}s",
                   err=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=log_level == "debug", lifespan="on",
                            http=protocol(header_timeout, getattr(app, "fast", None)),
                            timeout_keep_alive=KEEP_ALIVE_SECONDS)
    logging.getLogger("uvicorn.access").addFilter(_MaskSecrets())
    server = _Server(config)
    server.ready_line = (
        f"stripe-fc-emulator {__version__} ready on http://{shown_host}:{bound_port} "
        f"(seed: {seed if seed is not None else 'random'}, default Stripe-Version: {api_version})"
    )
    if forward_to is not None:
        stable = "given" if webhook_secret else ("derived from --seed" if seed is not None else "random: pass --seed")
        server.ready_line += (
            f"\nForwarding {', '.join(settings.forward_events)} events of every namespace to {forward_to}. "
            f"Your webhook signing secret is {settings.forward_secret()} ({stable})"
        )
    _server_gc()
    server.run(sockets=[sock])
    saver = app.state.state_file
    if saver is not None and saver.final_save_error is not None:
        raise click.ClickException(f"the state was not saved at shutdown: {saver.final_save_error}")


GC_YOUNG = 10_000
"""`serve`'s threshold for the youngest generation of the cyclic garbage collector (CPython's default: 700)."""
GC_OLD = 100
"""`serve`'s threshold for full collections: after this many middle-generation ones (CPython's default: 10)."""


def _server_gc() -> None:
    """The garbage collector's settings for the `serve` process, which this command owns (an embedded emulator —
    the plugin's server, `create_app` — leaves the host process's alone). What start-up made (routes, parameter
    specs, catalogues, the SDK data) is frozen: never scanned again. Young collections run every 10,000 new
    container objects instead of 700: a customer create makes some fifty, and with the default a collection ran
    every fourteen requests, rescanning what the last ones made. Full collections, which scan everything the
    emulator holds (hundreds of milliseconds once it holds a few million objects: a few minutes of creates), run
    after 100 middle-generation collections instead of 10 — about every ten million new containers — and, as
    CPython always does, only once what survived since the last one is a quarter of what survived it. Objects in no
    cycle are freed when unreferenced either way (reference counting); only cyclic garbage waits longer — in the
    oldest generation, such as a reset namespace's (its events' renderers refer back to it), until the next full
    collection. README "Performance" has the figures."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, gc.get_threshold()[1], GC_OLD)


@cli.command()
@click.argument("event", required=False)
@click.option("--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}", show_default=True,
              envvar="STRIPE_EMULATOR_URL", help="The running emulator.")
@click.option("--api-key", default="sk_test_emulator", show_default=True, envvar="STRIPE_API_KEY",
              help="The key (namespace) to trigger in.")
@click.option("--stripe-version", "--api-version", "stripe_version", default=None,
              help="Stripe-Version for the requests (default: the fixture's). `--api-version` as in the Stripe CLI.")
@click.option("--list", "list_", is_flag=True, help="List the events that can be triggered.")
def trigger(event: str | None, url: str, api_key: str, stripe_version: str | None, list_: bool) -> None:
    """Create realistic preconditions in a running emulator and fire EVENT (like `stripe trigger`)."""
    from emulator.triggers.runner import load_triggers

    triggers = load_triggers()
    if list_ or event is None:
        for name in sorted(triggers):
            click.echo(f"{name:<70} {triggers[name]['_meta']['description']}")
        return
    if event not in triggers:
        raise click.BadParameter(f"{event} cannot be triggered; `trigger --list` shows what can.",
                                 param_hint="EVENT")
    _run(triggers[event], url, api_key, stripe_version, expect=event)


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}", show_default=True,
              envvar="STRIPE_EMULATOR_URL", help="The running emulator to send the fixture's requests to.")
@click.option("--api-key", default="sk_test_emulator", show_default=True, envvar="STRIPE_API_KEY",
              help="The test-mode key (namespace) the fixture's requests use.")
@click.option("--stripe-version", "--api-version", "stripe_version", default=None,
              help="Stripe-Version for the requests (default: the file's `_meta.api_version`, else the "
                   "emulator's default, `serve --api-version`). `--api-version` as in the Stripe CLI.")
def fixtures(path: str, url: str, api_key: str, stripe_version: str | None) -> None:
    """Run a fixture file (the `stripe fixtures` format) against a running emulator."""
    from emulator.triggers.runner import load_file

    _run(load_file(path), url, api_key, stripe_version, expect=None)


class _MaskSecrets(logging.Filter):
    """uvicorn's access log (`--log-level debug`) prints query strings: client secrets and the control token are
    masked there as in the request log."""

    def filter(self, record: logging.LogRecord) -> bool:
        from emulator.core.requestlog import mask_query

        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], mask_query(record.args[2]), *record.args[3:])
        return True


def _run(fixture: dict[str, object], url: str, api_key: str, stripe_version: str | None, expect: str | None) -> None:
    import httpx

    from emulator.http.auth import is_live_key
    from emulator.triggers.runner import FixtureError, run_fixture

    if is_live_key(api_key):  # STRIPE_API_KEY is often a real key: never send it anywhere
        raise click.UsageError("refusing a live-mode key (sk_live_/rk_live_): the emulator takes test keys only, "
                               "and this command does not send a live key anywhere. Pass --api-key sk_test_….")
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(timeout=30) as client:
        try:
            latest = client.get(f"{url}/v1/events?limit=1", headers=headers).json().get("data", [])
            run_fixture(fixture, base_url=url, api_key=api_key, stripe_version=stripe_version, progress=click.echo,
                        client=client)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot reach the emulator at {url}: {exc}") from exc
        except FixtureError as exc:
            raise click.ClickException(str(exc)) from exc
        if expect is None:
            click.echo("Fixtures ran.")
            return
        data = {"for": "event", "type": expect, "timeout": "10"}
        if latest:
            data["after"] = latest[0]["id"]
        found = client.post(f"{url}/_emulator/wait", data=data, headers=headers, timeout=20)
        if found.status_code != 200:
            raise click.ClickException(f"the fixtures ran but no {expect} event appeared")
        click.echo(f"Trigger succeeded! {expect} event {found.json()['id']}")


COMMANDS_GROUP = "stripe_fc_emulator.commands"


def add_plugin_commands() -> None:
    """Commands other installed packages contribute (the harness adds `scenario`), found by entry point, so the
    emulator never imports them itself."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=COMMANDS_GROUP):
        if entry.name not in cli.commands:
            try:
                cli.add_command(entry.load(), entry.name)
            except Exception as exc:  # a broken plugin must not break the emulator's own commands
                click.echo(f"warning: command {entry.name!r} from {entry.value} could not be loaded: {exc}", err=True)


def main() -> None:
    add_plugin_commands()
    cli(prog_name="stripe-fc-emulator")


if __name__ == "__main__":
    main()
