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
from scanner.app.config import load_config
from scanner.app.export import EXPORT_FORMATS
from scanner.app.imports import LEDGER_FORMATS
from scanner.app.settings import Rules
from scanner.app.taxpayer import TaxpayerAsked
from scanner.cli.console import err
from scanner.formats.csvtext import YEARS
from scanner.formats.render import SHOWN_ROWS, Format
from scanner.formats.us.form8949 import REPORTED_CHOICES
from scanner.prices.csvfile import parse_timestamp
from scanner.store import Store, default_db_path
from scanner.tax.jurisdictions import CODES
from scanner.tax.jurisdictions.lotwise import METHODS
from scanner.tax.scope import Scope
from scanner.tax.taxpayer import (
    FILING_STATUSES,
    FilingStatus,
    carried_loss,
    tax_rate,
)
from scanner.tax.taxpayer import ordinary_income as checked_income

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
    FilingStatusChoice: TypeAlias = str
else:
    Method = choice("Method", METHODS)
    Jurisdiction = choice("Jurisdiction", CODES)
    ExportFormat = choice("ExportFormat", EXPORT_FORMATS)
    LedgerFormat = choice("LedgerFormat", LEDGER_FORMATS)
    Reported = choice("Reported", REPORTED_CHOICES)
    FilingStatusChoice = choice("FilingStatus", FILING_STATUSES)

DbOption = Annotated[Path | None, typer.Option(
    "--db", help="DuckDB file (default: $TAXSCAN_DB, else the user data dir).",
    show_default=False)]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
AllRowsOption = Annotated[bool, typer.Option(
    "--all-rows", help=f"A table shows every row (default: the first {SHOWN_ROWS} and a count "
    "of the others; CSV and JSON always hold every row).")]


def shown_rows(all_rows: bool) -> int | None:
    """How many rows a table shows: None for every one."""
    return None if all_rows else SHOWN_ROWS
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
RulesConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="A config file whose tax rules ([identical], [taxpayer], method, "
    "jurisdiction...) this command follows, over those the last config scan kept; the "
    "options above win.", show_default=False)]

FilingStatusOption = Annotated[FilingStatusChoice | None, typer.Option(
    "--filing-status", help="US filing status: separate (married filing separately) deducts "
    "up to 1,500 USD of a net capital loss a year, the others 3,000 (default: the config's "
    "taxpayer table, else single).", show_default=False)]
CarryoverShortOption = Annotated[str | None, typer.Option(
    "--carryover-short", help="Short-term capital loss carried into the first tax year of "
    "the books, USD as a positive amount (default: the config's taxpayer table, else 0).",
    show_default=False)]
CarryoverLongOption = Annotated[str | None, typer.Option(
    "--carryover-long", help="Long-term capital loss carried into the first tax year of the "
    "books, USD as a positive amount (default: the config's taxpayer table, else 0).",
    show_default=False)]

OrdinaryIncomeOption = Annotated[str | None, typer.Option(
    "--ordinary-income", help="The year's taxable income besides these gains, in the "
    "jurisdiction's currency: it sets the bracket (default: the config's taxpayer table).",
    show_default=False)]
StateRateOption = Annotated[str | None, typer.Option(
    "--state-rate", help="A flat state (or provincial) rate on what the gains add to taxable "
    "income, 0.05 for 5% (default: the config's taxpayer table, else 0).",
    show_default=False)]

FROM_OPTIONS = Rules()  # the default of a command's `rules`: @tax_rules fills it in
_RULE_OPTIONS = {"method": MethodOption, "jurisdiction": JurisdictionOption,
                 "scope": ScopeOption, "assign": AssignOption, "config": RulesConfigOption}
FROM_TAXPAYER = TaxpayerAsked()  # the default of a command's `taxpayer`: @taxpayer_options
_TAXPAYER_OPTIONS = {"filing_status": FilingStatusOption,
                     "carryover_short": CarryoverShortOption,
                     "carryover_long": CarryoverLongOption}
_PROFILE_OPTIONS = {**_TAXPAYER_OPTIONS, "ordinary_income": OrdinaryIncomeOption,
                    "state_rate": StateRateOption}


def word(chosen: str) -> str:
    """The owner's word for a choice typer parsed (an Enum member)."""
    return str(chosen)


def rules_of(method: str | None, jurisdiction: str | None, scope: Scope | None,
             assign: list[str] | None, config: Path | None) -> Rules:
    return Rules(word(method) if method else None, word(jurisdiction) if jurisdiction else None,
                 scope.value if scope else None, tuple(assign or ()),
                 load_config(config) if config is not None else None)


def tax_rules(command: Callable[..., R]) -> Callable[..., R]:
    """The command's `rules` parameter becomes the options --method, --jurisdiction, --scope
    and --assign, in its place."""
    return _options_for(command, "rules", _RULE_OPTIONS, rules_of)


def taxpayer_asked(filing_status: str | None, carryover_short: str | None,
                   carryover_long: str | None, ordinary_income: str | None = None,
                   state_rate: str | None = None) -> TaxpayerAsked:
    def checked(text: str | None, option: str, check: Callable[[Decimal], Decimal]
                ) -> Decimal | None:
        if text is None:
            return None
        amount = parse_decimal(text, option)
        try:
            return check(amount)
        except ValueError as exc:
            raise UserInputError(f"{option}: {exc}") from None

    return TaxpayerAsked(
        FilingStatus(word(filing_status)) if filing_status else None,
        checked(carryover_short, "--carryover-short", carried_loss),
        checked(carryover_long, "--carryover-long", carried_loss),
        checked(ordinary_income, "--ordinary-income", checked_income),
        checked(state_rate, "--state-rate", tax_rate))


def taxpayer_options(command: Callable[..., R]) -> Callable[..., R]:
    """The command's `taxpayer` parameter becomes the options --filing-status,
    --carryover-short and --carryover-long, in its place."""
    return _options_for(command, "taxpayer", _TAXPAYER_OPTIONS, taxpayer_asked)


def profile_options(command: Callable[..., R]) -> Callable[..., R]:
    """As `taxpayer_options`, with the options a plan also needs: --ordinary-income and
    --state-rate."""
    return _options_for(command, "taxpayer", _PROFILE_OPTIONS, taxpayer_asked)


def _options_for(command: Callable[..., R], name: str, options: dict[str, Any],
                 build: Callable[..., Any]) -> Callable[..., R]:
    """The command's parameter `name` becomes `options` (parameter name -> annotation), in
    its place; the command gets `build(**their values)` for it."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == name:
            parameters += [inspect.Parameter(option, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                             default=None, annotation=annotation)
                           for option, annotation in options.items()]
        else:
            parameters.append(parameter)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> R:
        chosen = {option: kwargs.pop(option) for option in options}
        return command(*args, **{name: build(**chosen)}, **kwargs)

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
