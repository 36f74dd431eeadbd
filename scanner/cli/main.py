"""The taxscan command line: the commands of each group, and the one way an error ends a
command (one line, exit 2, no secret repeated)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

import typer
from typer.core import TyperGroup

from chains.errors import TaxscanError
from chains.evm.sourcing import API_KEY_ENV
from scanner.cli import basis, demo, files, plan, prices, reports, scan, spam
from scanner.formats.render import terminal_text
from scanner.prices.names import COINGECKO_KEY_ENV, COINGECKO_PRO_KEY_ENV, DEFILLAMA_KEY_ENV


class Interrupted(Exception):
    """Ctrl-C during a command."""


class _Commands(TyperGroup):
    def invoke(self, ctx: Any) -> Any:  # a click Context (typer bundles its own click)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # typer would end the command silently with 130
            raise Interrupted from None


app = typer.Typer(cls=_Commands, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="Scan wallets, keep cost-basis lots, report gains, income and harvests.")


def _show_version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        sys.stdout.write(f"taxscan {version('taxscan')}\n")
        raise typer.Exit


@app.callback()
def _options(shown: Annotated[bool, typer.Option(
        "--version", help="Show taxscan's version and exit.", is_eager=True,
        callback=_show_version)] = False) -> None:
    pass


for group in (scan.commands, reports.commands, plan.commands, files.commands, demo.commands):
    app.registered_commands += group.registered_commands
app.add_typer(prices.group, name="prices")
app.add_typer(basis.group, name="basis")
app.add_typer(spam.group, name="spam")

INTERRUPTED = ("interrupted: nothing half-written (each step commits whole or not at all); a "
               "scan keeps the batches it stored, with their cursor, and the next scan goes "
               "on from there")
_URL_OPTIONS = ("--rpc", "--explorer-url", "--defillama-url", "--coingecko-url")
_KEY_ENVS = (API_KEY_ENV, DEFILLAMA_KEY_ENV, COINGECKO_KEY_ENV, COINGECKO_PRO_KEY_ENV)


def _secrets(argv: Sequence[str], environ: Mapping[str, str]) -> set[str]:
    """What an error must not repeat, whatever a server put in it: the API keys in the
    environment, and the parts of the node and API URLs given that may hold a key (user
    info, path segments, query values)."""
    from scanner.app.config import load_config

    keys = [environ.get(name, "") for name in _KEY_ENVS]
    urls = [environ.get("TAXSCAN_RPC", "")]
    for n, arg in enumerate(argv):
        option, equals, value = arg.partition("=")
        value = value if equals else (argv[n + 1] if n + 1 < len(argv) else "")
        if option in _URL_OPTIONS:
            urls.append(value)
        elif option == "--config":
            try:
                config = load_config(Path(value))
            except TaxscanError:
                continue
            urls += [url for c in config.chains.values() for url in (c.rpc, c.explorer_url)
                     if url]
            keys += [config.api_key(chain, environ) or "" for chain in config.chain_keys()]
    for url in urls:
        parts = urlsplit(url)
        keys += [parts.username or "", parts.password or "", *parts.path.split("/"),
                 *(v for _, v in parse_qsl(parts.query))]
    return {key for key in keys if len(key) >= 8}


def _redacted(message: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def main() -> None:
    try:
        app()
    except TaxscanError as exc:
        message = _redacted(" ".join(str(exc).split()), _secrets(sys.argv[1:], os.environ))
        sys.stderr.write(f"error: {terminal_text(message)}\n")
        sys.exit(2)
    except (Interrupted, KeyboardInterrupt):
        after_echo = "\n" if sys.stderr.isatty() else ""  # the terminal echoed ^C
        sys.stderr.write(f"{after_echo}{INTERRUPTED}\n")
        sys.exit(130)
