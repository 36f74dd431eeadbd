"""The options the commands share, declared once, and the parsing of their values."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, TypeVar, cast

import typer

from chains.errors import UserInputError
from chains.retry import is_http_url
from scanner.app.export import EXPORT_FORMATS
from scanner.app.imports import LEDGER_FORMATS
from scanner.app.settings import Rules
from scanner.cli.console import err
from scanner.formats.csvtext import YEARS
from scanner.formats.render import Format
from scanner.formats.us.form8949 import REPORTED_CHOICES
from scanner.prices.csvfile import parse_timestamp
from scanner.store import Store, default_db_path
from scanner.tax.jurisdictions import CODES
from scanner.tax.jurisdictions.lotwise import METHODS
from scanner.tax.scope import Scope

R = TypeVar("R")


def choice(name: str, words: Iterable[str]) -> type[StrEnum]:
    """The owner's words as an Enum, which typer shows in the help and checks."""
    return cast("type[StrEnum]", StrEnum(name, [(word, word) for word in words]))


if TYPE_CHECKING:  # what typer hands a command is one of the owner's words: a str
    Method: TypeAlias = str
    Jurisdiction: TypeAlias = str
    ExportFormat: TypeAlias = str
    LedgerFormat: TypeAlias = str
    Reported: TypeAlias = str
else:
    Method = choice("Method", METHODS)
    Jurisdiction = choice("Jurisdiction", CODES)
    ExportFormat = choice("ExportFormat", EXPORT_FORMATS)
    LedgerFormat = choice("LedgerFormat", LEDGER_FORMATS)
    Reported = choice("Reported", REPORTED_CHOICES)

DbOption = Annotated[Path | None, typer.Option(
    "--db", help="DuckDB file (default: $TAXSCAN_DB, else the user data dir).",
    show_default=False)]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
MethodOption = Annotated[Method | None, typer.Option(
    "--method", help="Cost-basis method (default: the config file's, else fifo); specific: "
    "the lots named by --assign or the config's assign blocks, else fifo.", show_default=False)]
JurisdictionOption = Annotated[Jurisdiction | None, typer.Option(
    "--jurisdiction", help="Tax rules (default: the config file's, else us).",
    show_default=False)]
ScopeOption = Annotated[Scope | None, typer.Option(
    "--scope", help="Lots per wallet or universal, for every year (default: the config "
    "file's, else universal before 2025 and per wallet from 2025).", show_default=False)]
AssignOption = Annotated[list[str] | None, typer.Option(
    "--assign", help="Specific identification: TX_HASH=LOT_ID[,LOT_ID...] (repeatable; "
    "lot ids from `taxscan lots`).", show_default=False)]

FROM_OPTIONS = Rules()  # the default of a command's `rules`: @tax_rules fills it in
_RULE_OPTIONS = {"method": MethodOption, "jurisdiction": JurisdictionOption,
                 "scope": ScopeOption, "assign": AssignOption}


def word(chosen: str) -> str:
    """The owner's word for a choice typer parsed (an Enum member)."""
    return str(chosen)


def rules_of(method: str | None, jurisdiction: str | None, scope: Scope | None,
             assign: list[str] | None) -> Rules:
    return Rules(word(method) if method else None, word(jurisdiction) if jurisdiction else None,
                 scope.value if scope else None, tuple(assign or ()))


def tax_rules(command: Callable[..., R]) -> Callable[..., R]:
    """The command's `rules` parameter becomes the options --method, --jurisdiction, --scope
    and --assign, in its place."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == "rules":
            parameters += [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                             default=None, annotation=option)
                           for name, option in _RULE_OPTIONS.items()]
        else:
            parameters.append(parameter)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> R:
        chosen = {name: kwargs.pop(name) for name in _RULE_OPTIONS}
        return command(*args, rules=rules_of(**chosen), **kwargs)

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


def open_store(db: Path | None) -> Store:
    """The database for a command that only reads it: it must exist (`taxscan scan` makes
    it), and is opened read-only, so other readers can share it."""
    path = db if db is not None else default_db_path()
    if not path.exists():
        raise UserInputError(f"no database at {path}: run `taxscan scan` first")
    return Store(path, read_only=True, on_wait=_waiting(path))


def writable_store(db: Path | None) -> Store:
    """The database for a command that writes it, made if missing."""
    path = db if db is not None else default_db_path()
    return Store(path, on_wait=_waiting(path))


def _waiting(path: Path) -> Callable[[], None]:
    return lambda: err.print(f"waiting for the database {path}: another taxscan is using it")


def _year(value: int | None) -> int | None:
    if value is not None and value not in YEARS:
        raise UserInputError(f"--year must be a year from {YEARS[0]} to {YEARS[-1]}, not "
                             f"{value}")
    return value


def year_option(help_text: str) -> Any:
    """--year, checked to be a year taxscan can hold before the command runs."""
    return typer.Option("--year", help=help_text, callback=_year)


def http_url(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """A URL option's value (from the command line or its environment variable), refused
    at once unless http or https; the value is never repeated (it may hold a key)."""
    if value is None or is_http_url(value):
        return value
    source = ctx.get_parameter_source(str(param.name))
    from_env = source is not None and source.name == "ENVIRONMENT"
    name = f"${param.envvar}" if from_env and param.envvar else param.opts[0]
    raise UserInputError(f"{name} must be a URL starting with http:// or https://")


def parse_as_of(text: str) -> datetime:
    """A date means the end of that day (UTC); a full ISO timestamp means itself."""
    try:
        if len(text.strip()) == 10:
            day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
            return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        return parse_timestamp(text)
    except ValueError:
        raise UserInputError(f"--as-of must be a date (YYYY-MM-DD) or ISO 8601 timestamp: "
                             f"{text!r}") from None


def parse_decimal(text: str, option: str, most: int | None = None) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UserInputError(f"{option} must be a decimal number: {text!r}") from None
    if not value.is_finite() or value < 0 or (most is not None and value > most):
        limit = f" and at most {most}" if most is not None else ""
        raise UserInputError(f"{option} must be at least 0{limit}: {text!r}")
    return value
