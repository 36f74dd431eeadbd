"""The reports: open lots, lineage, year-end balances, reconciliation, the ledger, gains,
income and harvest."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from chains.errors import UserInputError
from scanner.cli.console import err, out, print_notes, totals, verdict, wash_sale_warning
from scanner.cli.options import (
    FROM_OPTIONS,
    FROM_TAXPAYER,
    AllRowsOption,
    DbOption,
    FormatOption,
    http_url,
    open_store,
    parse_as_of,
    parse_decimal,
    shown_rows,
    tax_rules,
    taxpayer_options,
    year_option,
)
from scanner.collector import without_collector
from scanner.formats.render import Format, emit, plural

if TYPE_CHECKING:
    from scanner.app.settings import Rules
    from scanner.app.taxpayer import TaxpayerAsked
    from scanner.tax.records import Disposal

commands = typer.Typer()

WalletOption = Annotated[str | None, typer.Option("--wallet", help="Only this wallet.")]


@commands.command()
@without_collector
@tax_rules
def lots(
    wallet: WalletOption = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date (YYYY-MM-DD, end of day UTC); default: everything.")] = None,
    rules: Rules = FROM_OPTIONS,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Open lots with their ids (for `taxscan trace ID`), oldest first."""
    from chains.addresses import parse_address
    from scanner.app import queries
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports

    only = parse_address(wallet) if wallet else None
    moment = parse_as_of(as_of) if as_of else None
    with open_store(db) as store:
        books = load(store, rules)
        rows = reports.lot_rows(queries.open_lots(books, moment, only))
    emit(out, rows, reports.LOTS, fmt, "Open lots", books.currency,
         shown=shown_rows(all_rows))
    print_notes(books.notes(moment))


@commands.command()
@without_collector
@tax_rules
def trace(
    ident: Annotated[str, typer.Argument(help="A lot id, or the hash of a transaction that "
                                              "disposed of something.")],
    rules: Rules = FROM_OPTIONS,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """The lineage behind a figure: lot -> acquisition leg (transaction, price source) ->
    the disposals that drew on it -> what is still open."""
    from scanner.app import queries
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports

    with open_store(db) as store:
        books = load(store, rules)
        rows = reports.trace_rows(queries.trace(books, ident))
    emit(out, rows, reports.TRACE, fmt, f"Trace of {ident}", books.currency,
         shown=shown_rows(all_rows))


@commands.command()
@without_collector
@tax_rules
def balances(
    year: Annotated[int, year_option("Tax year: balances at its last second.")],
    rules: Rules = FROM_OPTIONS,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Year-end balances per wallet and asset at the last second of the tax year (US:
    December 31, 23:59:59 UTC; UK: 5 April, 23:59:59 UK time), at that USD price."""
    from scanner.app import queries
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports

    with open_store(db) as store:
        books = load(store, rules)
        rows = reports.balance_rows(queries.year_end_balances(books, year))
    emit(out, rows, reports.BALANCES, fmt, f"Balances at the end of {books.year_name(year)}",
         shown=shown_rows(all_rows))


@commands.command()
def reconcile(
    rpc: Annotated[str, typer.Option("--rpc", envvar="TAXSCAN_RPC", callback=http_url,
                                     help="Node of the chain to check against.")],
    wallet: WalletOption = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="A block number or a date (end of day UTC); default: the block the "
        "wallets are scanned to.")] = None,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Every balance the ledger implies against the chain's, at one block: mismatches are
    explained or located (the block where ledger and chain stop agreeing)."""
    from chains.addresses import parse_address
    from scanner.app import reconcile as reconciling
    from scanner.formats import rows as reports

    only = parse_address(wallet) if wallet else None
    moment: int | datetime | None = None
    if at is not None:
        moment = int(at) if at.strip().isdigit() else parse_as_of(at)
    with open_store(db) as store:
        rows = reports.reconcile_rows(reconciling.reconcile_chain(store, rpc, wallet=only,
                                                                  at=moment))
    emit(out, rows, reports.RECONCILE, fmt, "Reconciliation",
         shown=shown_rows(all_rows))
    if fmt is Format.TABLE:
        verdict(rows)


@commands.command()
@without_collector
def ledger(
    year: Annotated[int | None, year_option("Only this tax year.")] = None,
    wallet: WalletOption = None,
    chain: Annotated[str | None, typer.Option("--chain", help="Only this chain.")] = None,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Every leg, one row each: the normalized ledger."""
    from chains.addresses import parse_address
    from chains.registry import chain_by_name
    from scanner.app import queries
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports

    only = parse_address(wallet) if wallet else None
    chain_id = chain_by_name(chain).chain_id if chain else None
    with open_store(db) as store:
        rows = reports.ledger_rows(queries.ledger(load(store), year, only, chain_id))
    emit(out, rows, reports.LEDGER, fmt, "Ledger",
         shown=shown_rows(all_rows))


@commands.command()
@without_collector
@tax_rules
@taxpayer_options
def gains(
    year: Annotated[int, year_option("Tax year.")],
    rules: Rules = FROM_OPTIONS,
    taxpayer: TaxpayerAsked = FROM_TAXPAYER,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Realized gains and losses, one row per lot disposed; under the table, the totals per
    term and (US) the year's netting with the loss carried over."""
    from scanner.app import queries
    from scanner.app.readmodel import load
    from scanner.app.summary import gains_summary
    from scanner.app.taxpayer import taxpayer_of
    from scanner.formats import rows as reports
    from scanner.formats.render import write_gains_csv

    with open_store(db) as store:
        books = load(store, rules)
        disposals = queries.gains(books, year)
        filer = taxpayer_of(store, taxpayer)
    if fmt is Format.CSV:
        write_gains_csv(out.file, disposals, books.currency)
    else:
        shown = shown_rows(all_rows) if fmt is Format.TABLE else None
        rows = reports.gains_rows(_first_sales(disposals, shown))[:shown]
        emit(out, rows, reports.GAINS, fmt, f"Realized gains {books.year_name(year)} "
             f"({books.computed_by})", books.currency, shown=shown, count=len(disposals))
        if fmt is Format.TABLE:
            totals(gains_summary(books, year, filer))
    print_notes(books.notes())


def _first_sales(disposals: list[Disposal], shown: int | None) -> list[Disposal]:
    """The first `shown` disposals (every one for None), with the other lines of their sales:
    a sale's lines share its cents (`gains_rows`), so a row is the same made from these as
    from every disposal."""
    from scanner.tax.sales import sale_of

    if shown is None or len(disposals) <= shown:
        return disposals
    sales = {sale_of(d) for d in disposals[:shown]}
    return disposals[:shown] + [d for d in disposals[shown:] if sale_of(d) in sales]


@commands.command()
@without_collector
@tax_rules
def income(
    year: Annotated[int, year_option("Tax year.")],
    rules: Rules = FROM_OPTIONS,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Income (claims, rewards) at fair value on receipt."""
    from scanner.app import queries
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports

    with open_store(db) as store:
        books = load(store, rules)
        rows = reports.income_rows(queries.income(books, year))
    emit(out, rows, reports.INCOME, fmt, f"Income {books.year_name(year)}", books.currency,
         shown=shown_rows(all_rows))
    print_notes(books.notes())


@commands.command()
@without_collector
@tax_rules
def harvest(
    as_of: Annotated[str, typer.Option(
        "--as-of", help="Date (YYYY-MM-DD, end of day UTC).")],
    include_gains: Annotated[bool, typer.Option(
        "--all", help="List every open lot, not only those at a loss.")] = False,
    target_loss: Annotated[str | None, typer.Option(
        "--target-loss", help="Suggest loss lots to sell to realize this much loss (USD).")
    ] = None,
    offset_gains: Annotated[bool, typer.Option(
        "--offset-gains", help="Suggest loss lots to offset the as-of year's realized "
        "gains.")] = False,
    short_rate: Annotated[str, typer.Option(
        "--short-rate", help="Marginal rate a short-term loss saves.")] = "0.37",
    long_rate: Annotated[str, typer.Option(
        "--long-rate", help="Marginal rate a long-term loss saves.")] = "0.20",
    rules: Rules = FROM_OPTIONS,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Open lots at the as-of price: what can be sold to realize a loss, the tax it would
    save and the gas it may cost, and wash-sale risk; with a target, which lots to sell."""
    from scanner.app import harvest as harvesting
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports
    from scanner.tax.harvest import Rates

    moment = parse_as_of(as_of)
    rates = Rates(parse_decimal(short_rate, "--short-rate", 1),
                  parse_decimal(long_rate, "--long-rate", 1))
    if target_loss is not None and offset_gains:
        raise UserInputError("give --target-loss or --offset-gains, not both")
    target = parse_decimal(target_loss, "--target-loss") if target_loss is not None else None
    with open_store(db) as store:
        done = harvesting.plan(load(store, rules), moment, rates, include_gains=include_gains,
                               target_loss=target, offset_gains=offset_gains)
    plan = done.suggestion
    rows = reports.harvest_rows(done.rows, plan.lot_ids if plan else (), done.rates, done.gas)
    currency = done.jurisdiction.currency
    emit(out, rows, reports.HARVEST, fmt, f"Harvest as of {as_of}", currency,
         shown=shown_rows(all_rows))
    if fmt is Format.TABLE:
        if plan is not None:
            err.print(f"suggested: sell {plural(len(plan.lot_ids), 'lot')} to realize "
                      f"{plan.loss_usd:,.2f} {currency} of loss against a target of "
                      f"{plan.target_usd:,.2f}; estimated tax saved {plan.tax_saved_usd:,.2f} "
                      f"{currency} at {done.rates.short} short / {done.rates.long} long")
        wash_sale_warning(rows, done.jurisdiction)
    print_notes(done.notes)
