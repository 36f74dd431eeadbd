"""The taxscan command line: the commands of each group, and the one way an error ends a
command (one line, exit 2, no secret repeated)."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from copy import copy
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo

from chains.errors import TaxscanError
from scanner.cli import basis, demo, files, plan, prices, rebuild, reports, scan, spam
from scanner.cli.options import built
from scanner.formats.render import terminal_text

Declared = CommandInfo | typer.Typer  # a command, or a group of them


class Interrupted(Exception):
    """Ctrl-C during a command."""


def declared(*groups: typer.Typer, **named: typer.Typer) -> dict[str, Declared]:
    """The commands of `groups`, and the groups `named`, by the name each is called by."""
    found: dict[str, Declared] = {}
    for group in groups:
        for info in group.registered_commands:
            name = info.name or str(getattr(info.callback, "__name__", ""))
            found[name.lower().replace("_", "-")] = info  # as typer names a function's
    return found | named


def build(entry: Declared) -> Any:
    """The click command of a declared command or group, made now: its options, and the
    modules their annotations name, imported with it."""
    def with_options(info: Any) -> Any:
        made = copy(info)
        made.callback = built(info.callback)
        return made

    if isinstance(entry, CommandInfo):
        one = typer.Typer(add_completion=False, rich_markup_mode=None,
                          pretty_exceptions_enable=False)
        one.registered_commands = [with_options(entry)]
        return typer.main.get_command(one)
    group = typer.Typer(add_completion=False, rich_markup_mode=None,
                        pretty_exceptions_enable=False)
    group.info = entry.info
    group.registered_commands = [with_options(info) for info in entry.registered_commands]
    if entry.registered_callback is not None:
        group.registered_callback = with_options(entry.registered_callback)
    return typer.main.get_command(group)


def short_help(entry: Declared) -> str:
    if isinstance(entry, CommandInfo):
        return entry.help or inspect.getdoc(entry.callback) or ""
    told = entry.info.help
    if isinstance(told, str):
        return told
    callback = entry.registered_callback.callback if entry.registered_callback else None
    return inspect.getdoc(callback) or ""


class _Built(MutableMapping[str, Any]):
    """The commands by name, each built when first looked up."""

    def __init__(self, made: Mapping[str, Any], entries: Mapping[str, Declared]) -> None:
        self.made = dict(made)
        self.entries = {name: e for name, e in entries.items() if name not in self.made}

    def __getitem__(self, name: str) -> Any:
        if name not in self.made:
            self.made[name] = build(self.entries[name])
        return self.made[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.made[name] = command

    def __delitem__(self, name: str) -> None:
        self.made.pop(name, None)
        self.entries.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self.made or name in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter({**self.made, **self.entries})

    def __len__(self) -> int:
        return len({**self.made, **self.entries})


class _Commands(TyperGroup):
    """The commands, each built when it runs or shows its help: `taxscan --help` lists them
    from their docstrings and builds none."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.commands = _Built(self.commands, COMMANDS)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        stubs = {n: TyperCommand(name=n, help=short_help(COMMANDS[n]), rich_markup_mode=None)
                 if n in COMMANDS else self.commands[n] for n in self.list_commands(ctx)}
        if stubs:
            limit = formatter.width - 6 - max(len(n) for n in stubs)
            with formatter.section("Commands"):
                formatter.write_dl([(n, c.get_short_help_str(limit))
                                    for n, c in stubs.items() if not c.hidden])

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer bundles its own click)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # typer would end the command silently with 130
            raise Interrupted from None


COMMANDS = declared(scan.commands, reports.commands, plan.commands, files.commands,
                    demo.commands, rebuild.commands, prices=prices.group, basis=basis.group,
                    spam=spam.group)

app = typer.Typer(cls=_Commands, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
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


INTERRUPTED = ("interrupted: nothing half-written (each step commits whole or not at all); a "
               "scan keeps the batches it stored, with their cursor, and the next scan goes "
               "on from there")
_URL_OPTIONS = ("--rpc", "--explorer-url", "--defillama-url", "--coingecko-url")


def _secrets(argv: Sequence[str], environ: Mapping[str, str]) -> set[str]:
    """What an error must not repeat, whatever a server put in it: the API keys in the
    environment, and the parts of the node and API URLs given that may hold a key (user
    info, path segments, query values)."""
    from chains.evm.sourcing import API_KEY_ENV
    from scanner.app.config import load_config
    from scanner.prices.names import COINGECKO_KEY_ENV, COINGECKO_PRO_KEY_ENV, DEFILLAMA_KEY_ENV

    keys = [environ.get(name, "") for name in (API_KEY_ENV, DEFILLAMA_KEY_ENV, COINGECKO_KEY_ENV,
                                               COINGECKO_PRO_KEY_ENV)]
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
