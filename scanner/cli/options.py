"""The options the commands share, declared once, and the parsing of their values.

A command is built (its options made, the modules its annotations name imported) only when
it runs or shows its help: `built` evaluates its annotations, taking a name its module does
not import from `_later`, and turns the parameters `tax_rules`, `taxpayer_options` and
`profile_options` marked into their options. `taxscan --help` builds none."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeAlias, TypeVar, cast

import typer

from chains.errors import UserInputError
from scanner.cli.console import err
from scanner.formats.render import SHOWN_ROWS, Format

if TYPE_CHECKING:
    from decimal import Decimal

    from scanner.app.settings import Rules
    from scanner.app.taxpayer import TaxpayerAsked
    from scanner.store import Store
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
    FilingStatusChoice: TypeAlias = str
    ScenarioChoice: TypeAlias = str


@functools.cache
def _later(name: str) -> Any:
    """A name the commands' annotations use whose value lives in a module a command imports
    only when it is built: the owners' words as choices, their Enums, a variable's name."""
    if name == "Method":
        from scanner.tax.jurisdictions.lotwise import METHODS
        return choice(name, METHODS)
    if name == "Jurisdiction":
        from scanner.tax.jurisdictions import CODES
        return choice(name, CODES)
    if name == "Scope":
        from scanner.tax.scope import Scope
        return Scope
    if name == "ExportFormat":
        from scanner.app.export import EXPORT_FORMATS
        return choice(name, EXPORT_FORMATS)
    if name == "LedgerFormat":
        from scanner.app.imports import LEDGER_FORMATS
        return choice(name, LEDGER_FORMATS)
    if name == "Reported":
        from scanner.formats.us.form8949 import REPORTED_CHOICES
        return choice(name, REPORTED_CHOICES)
    if name == "FilingStatusChoice":
        from scanner.tax.taxpayer import FILING_STATUSES
        return choice("FilingStatus", FILING_STATUSES)
    if name == "ScenarioChoice":
        from scanner.tax.plan.scenarios import SCENARIOS
        return choice("Scenario", SCENARIOS)
    if name == "SourceChoice":
        from chains.evm.sourcing import SourceChoice
        return SourceChoice
    if name == "API_KEY_ENV":
        from chains.evm.sourcing import API_KEY_ENV
        return API_KEY_ENV
    if name == "Flavor":
        from chains.evm.flavors import Flavor
        return Flavor
    if name == "PriceSourceName":
        from scanner.prices.names import PriceSourceName
        return PriceSourceName
    raise KeyError(name)


class _Names(Mapping[str, Any]):
    """The local names an annotation is evaluated with: those of `_later`."""

    def __getitem__(self, name: str) -> Any:
        return _later(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _Mark(NamedTuple):
    """A command's parameter that becomes options: their annotations, and what the command
    gets from their values."""

    options: Callable[[], dict[str, Any]]
    build: Callable[..., Any]


_MARKS: dict[Callable[..., Any], dict[str, _Mark]] = {}


def built(command: Callable[..., R]) -> Callable[..., R]:
    """The command as typer builds it: its annotations evaluated, each marked parameter
    replaced, in its place, by its options (the command gets what they build)."""
    marks: dict[str, _Mark] = {}
    layer: Any = command
    while layer is not None:
        marks.update(_MARKS.get(layer, {}))
        layer = getattr(layer, "__wrapped__", None)
    original = inspect.unwrap(command)
    names = _Names()
    parameters: list[inspect.Parameter] = []
    for parameter in inspect.signature(command).parameters.values():
        if parameter.name in marks:
            parameters += [inspect.Parameter(option, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                             default=None, annotation=annotation)
                           for option, annotation in marks[parameter.name].options().items()]
        elif isinstance(parameter.annotation, str):
            parameters.append(parameter.replace(annotation=eval(
                parameter.annotation, original.__globals__, names)))
        else:
            parameters.append(parameter)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> R:
        for name, mark in marks.items():
            chosen = {option: kwargs.pop(option) for option in mark.options()}
            kwargs[name] = mark.build(**chosen)
        return command(*args, **kwargs)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


def _marked(command: Callable[..., R], name: str, options: Callable[[], dict[str, Any]],
            build: Callable[..., Any]) -> Callable[..., R]:
    _MARKS.setdefault(command, {})[name] = _Mark(options, build)
    return command


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


@functools.cache
def _rule_options() -> dict[str, Any]:
    from scanner.tax.scope import Scope

    method, jurisdiction = _later("Method"), _later("Jurisdiction")
    return {
        "method": Annotated[method | None, typer.Option(
            "--method", help="Cost-basis method (default: the config file's, else fifo); "
            "specific: the lots named by --assign or the config's assign blocks, else fifo.",
            show_default=False)],
        "jurisdiction": Annotated[jurisdiction | None, typer.Option(
            "--jurisdiction", help="Tax rules (default: the config file's, else us).",
            show_default=False)],
        "scope": Annotated[Scope | None, typer.Option(
            "--scope", help="Lots per wallet or universal, for every year (default: the "
            "config file's, else universal before 2025 and per wallet from 2025).",
            show_default=False)],
        "assign": Annotated[list[str] | None, typer.Option(
            "--assign", help="Specific identification: TX_HASH=LOT_ID[,LOT_ID...] "
            "(repeatable; lot ids from `taxscan lots`).", metavar="TX_HASH=LOT_ID",
            show_default=False)],
        "config": Annotated[Path | None, typer.Option(
            "--config", help="A config file whose tax rules ([identical], [taxpayer], "
            "method, jurisdiction...) this command follows, over those the last config scan "
            "kept; the options above win.", show_default=False)],
    }


@functools.cache
def _taxpayer_options() -> dict[str, Any]:
    return {
        "filing_status": Annotated[_later("FilingStatusChoice") | None, typer.Option(
            "--filing-status", help="US filing status: separate (married filing separately) "
            "deducts up to 1,500 USD of a net capital loss a year, the others 3,000 "
            "(default: the config's taxpayer table, else single).", show_default=False)],
        "carryover_short": Annotated[str | None, typer.Option(
            "--carryover-short", help="Short-term capital loss carried into the first tax "
            "year of the books, USD as a positive amount (default: the config's taxpayer "
            "table, else 0).", show_default=False)],
        "carryover_long": Annotated[str | None, typer.Option(
            "--carryover-long", help="Long-term capital loss carried into the first tax year "
            "of the books, USD as a positive amount (default: the config's taxpayer table, "
            "else 0).", show_default=False)],
    }


@functools.cache
def _profile_options() -> dict[str, Any]:
    return {
        **_taxpayer_options(),
        "ordinary_income": Annotated[str | None, typer.Option(
            "--ordinary-income", help="The year's taxable income besides these gains, in the "
            "jurisdiction's currency: it sets the bracket (default: the config's taxpayer "
            "table).", show_default=False)],
        "state_rate": Annotated[str | None, typer.Option(
            "--state-rate", help="A flat state (or provincial) rate on what the gains add to "
            "taxable income, 0.05 for 5% (default: the config's taxpayer table, else 0).",
            show_default=False)],
    }


# The defaults of a command's `rules` and `taxpayer`: the command never sees them, `built`
# gives it what their options make.
FROM_OPTIONS = cast("Rules", None)
FROM_TAXPAYER = cast("TaxpayerAsked", None)


def word(chosen: str) -> str:
    """The owner's word for a choice typer parsed (an Enum member)."""
    return str(chosen)


def rules_of(method: str | None, jurisdiction: str | None, scope: Scope | None,
             assign: list[str] | None, config: Path | None) -> Rules:
    from scanner.app.config import load_config
    from scanner.app.settings import Rules

    return Rules(word(method) if method else None, word(jurisdiction) if jurisdiction else None,
                 scope.value if scope else None, tuple(assign or ()),
                 load_config(config) if config is not None else None)


def tax_rules(command: Callable[..., R]) -> Callable[..., R]:
    """The command's `rules` parameter becomes the options --method, --jurisdiction,
    --scope, --assign and --config, in its place."""
    return _marked(command, "rules", _rule_options, rules_of)


def taxpayer_asked(filing_status: str | None, carryover_short: str | None,
                   carryover_long: str | None, ordinary_income: str | None = None,
                   state_rate: str | None = None) -> TaxpayerAsked:
    from scanner.app.taxpayer import TaxpayerAsked
    from scanner.tax.taxpayer import FilingStatus, carried_loss, tax_rate
    from scanner.tax.taxpayer import ordinary_income as checked_income

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
    return _marked(command, "taxpayer", _taxpayer_options, taxpayer_asked)


def profile_options(command: Callable[..., R]) -> Callable[..., R]:
    """As `taxpayer_options`, with the options a plan also needs: --ordinary-income and
    --state-rate."""
    return _marked(command, "taxpayer", _profile_options, taxpayer_asked)


def open_store(db: Path | None) -> Store:
    """The database for a command that only reads it: it must exist (`taxscan scan` makes
    it), and is opened read-only, so other readers can share it."""
    from scanner.store import Store, default_db_path

    path = db if db is not None else default_db_path()
    if not path.exists():
        raise UserInputError(f"no database at {path}: run `taxscan scan` first")
    return Store(path, read_only=True, on_wait=_waiting(path))


def writable_store(db: Path | None) -> Store:
    """The database for a command that writes it, made if missing."""
    from scanner.store import Store, default_db_path

    path = db if db is not None else default_db_path()
    return Store(path, on_wait=_waiting(path))


def _waiting(path: Path) -> Callable[[], None]:
    return lambda: err.print(f"waiting for the database {path}: another taxscan is using it")


def _year(value: int | None) -> int | None:
    from scanner.formats.csvtext import YEARS

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
    from chains.retry import is_http_url

    if value is None or is_http_url(value):
        return value
    source = ctx.get_parameter_source(str(param.name))
    from_env = source is not None and source.name == "ENVIRONMENT"
    name = f"${param.envvar}" if from_env and param.envvar else param.opts[0]
    raise UserInputError(f"{name} must be a URL starting with http:// or https://")


def parse_as_of(text: str) -> datetime:
    """A date means the end of that day (UTC); a full ISO timestamp means itself."""
    from scanner.prices.csvfile import parse_timestamp

    try:
        if len(text.strip()) == 10:
            day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
            return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        return parse_timestamp(text)
    except ValueError:
        raise UserInputError(f"--as-of must be a date (YYYY-MM-DD) or ISO 8601 timestamp: "
                             f"{text!r}") from None


def parse_decimal(text: str, option: str, most: int | None = None) -> Decimal:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UserInputError(f"{option} must be a decimal number: {text!r}") from None
    if not value.is_finite() or value < 0 or (most is not None and value > most):
        limit = f" and at most {most}" if most is not None else ""
        raise UserInputError(f"{option} must be at least 0{limit}: {text!r}")
    return value
