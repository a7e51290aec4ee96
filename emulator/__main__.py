"""Command line: `stripe-fc-emulator serve` (also `python -m emulator serve`)."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
from collections.abc import Iterator

import click
import uvicorn

from emulator import __version__
from emulator.core.versions import parse
from emulator.settings import DEFAULT_HOST, DEFAULT_PORT, Settings

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


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
    sock = socket.socket(family, socket.SOCK_STREAM)
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
@click.option("--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@click.option("--allow-remote", is_flag=True, help="Allow binding a non-loopback interface.")
def serve(host: str, port: int, seed: int | None, api_version: str, log_level: str, allow_remote: bool) -> None:
    """Start the emulator with embedded in-memory state."""
    from emulator.core.errors import StripeError
    from emulator.http.app import create_app

    if not is_loopback(host):
        if not allow_remote:
            raise click.UsageError(
                f"--host {host} is not a loopback address; pass --allow-remote to expose the emulator to the network."
            )
        click.echo(f"warning: listening on {host}: anyone who can reach it can read and change emulator state.",
                   err=True)
    try:
        parse(api_version)
    except StripeError as exc:
        raise click.BadParameter(exc.message, param_hint="--api-version") from exc
    settings = Settings(host=host, port=port, seed=seed, default_api_version=api_version, log_level=log_level)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        create_app(settings), log_level=log_level, access_log=log_level == "debug", lifespan="off"
    )
    server = _Server(config)
    server.ready_line = (
        f"stripe-fc-emulator {__version__} ready on http://{shown_host}:{bound_port} "
        f"(seed: {seed if seed is not None else 'random'}, default Stripe-Version: {api_version})"
    )
    server.run(sockets=[sock])


def main() -> None:
    cli(prog_name="stripe-fc-emulator")


if __name__ == "__main__":
    main()
