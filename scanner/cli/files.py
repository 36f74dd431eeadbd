"""Files in and out: `taxscan import`, `export`, `explain` and `report`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chains.errors import UserInputError
from scanner.cli.console import err, out, print_review
from scanner.cli.options import (
    FROM_OPTIONS,
    FROM_TAXPAYER,
    AllRowsOption,
    DbOption,
    FormatOption,
    open_store,
    parse_as_of,
    profile_options,
    shown_rows,
    tax_rules,
    taxpayer_options,
    word,
    writable_store,
    year_option,
)
from scanner.collector import without_collector
from scanner.formats.render import Format, emit, plural

if TYPE_CHECKING:
    from scanner.app.settings import Rules
    from scanner.app.taxpayer import TaxpayerAsked
    from scanner.cli.options import ExportFormat, LedgerFormat, Reported

commands = typer.Typer()


@commands.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="The file to import.")],
    fmt: Annotated[LedgerFormat, typer.Option(
        "--format", "-f", help="ledger: the CSV `taxscan export --format ledger` (exact; "
        "or its .parquet) or `taxscan ledger --format csv` (USD in cents) writes; "
        "koinly: Koinly's universal CSV.")],
    account: Annotated[str | None, typer.Option(
        "--account", help="Koinly: the off-chain account the rows belong to (its lots are "
        "kept apart per account; default koinly:FILE_NAME).")] = None,
    asset: Annotated[list[str] | None, typer.Option(
        "--asset", help="Koinly: SYMBOL=ASSET_ID for a currency the defaults do not know "
        "(repeatable), e.g. KAVA=cosmos:kava_2222-10/slip44:459; "
        "without one a symbol gets a local id, taxscan:koinly/symbol:SYMBOL.")] = None,
    db: DbOption = None,
) -> None:
    """Off-chain trades (or an exported ledger) join the same lots as the chain's."""
    from scanner.app import imports as importing
    from scanner.app import queries
    from scanner.cli.progress import RichProgress

    assets: dict[str, str] = {}
    for pair in asset or []:
        symbol, sep, ident = pair.partition("=")
        if not sep or not symbol.strip() or not ident.strip():
            raise UserInputError(f"--asset {pair!r}: expected SYMBOL=ASSET_ID")
        assets[symbol.strip()] = ident.strip()
    with writable_store(db) as store:
        with RichProgress(err) as progress:
            done = importing.import_ledger(store, path, word(fmt), account=account,
                                           assets=assets, progress=progress)
        err.print(f"{plural(done.legs, 'leg')} imported from {path} ({done.source}); importing the "
                  "file again replaces them")
        if done.local_symbols:
            named = ", ".join(done.local_symbols)
            count = plural(len(done.local_symbols), "symbol has", "symbols have")
            err.print(f"review: {count} no asset id: {named}: map them with --asset "
                      "SYMBOL=ID")
        print_review(queries.review(store))


@commands.command("export")
@without_collector
@tax_rules
@taxpayer_options
def export_file(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="What to write.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write (ledger: .parquet for "
                                                    "Parquet; form8949: .pdf for PDF; else "
                                                    "CSV, or TXF text).")],
    year: Annotated[int | None, year_option(
        "Tax year (needed for form8949, schedule-d, turbotax, txf).")] = None,
    reported: Annotated[Reported | None, typer.Option(
        "--reported", help="Form 8949 box: none (the default: no 1099-DA/1099-B: boxes I/L, "
        "C/F before 2025), basis (G/J, A/D) or no-basis (H/K, B/E).",
        show_default=False)] = None,
    rules: Rules = FROM_OPTIONS,
    taxpayer: TaxpayerAsked = FROM_TAXPAYER,
    db: DbOption = None,
) -> None:
    """Files for accountants and other tools: the ledger, Form 8949, Schedule D, TurboTax,
    TXF, and Koinly, CoinTracker or CoinLedger transaction CSVs."""
    from scanner.app import export as exporting
    from scanner.app.readmodel import load
    from scanner.app.taxpayer import taxpayer_of
    from scanner.formats.us.form8949 import NO_1099

    with open_store(db) as store:
        done = exporting.export(load(store, rules), word(fmt), out, year=year,
                                reported=word(reported) if reported else NO_1099,
                                taxpayer=taxpayer_of(store, taxpayer))
    err.print(f"{word(fmt)}: {plural(done.rows, 'row')} written to {done.path}")


@commands.command("explain")
@without_collector
@tax_rules
def explain_tx(
    tx_hash: Annotated[str, typer.Argument(help="The transaction hash.")],
    rules: Rules = FROM_OPTIONS,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """A transaction's legs: kind and treatment of each, the decoder or rule behind it, and
    the lots it opened or drew on."""
    from scanner.app import explain as explaining
    from scanner.app.readmodel import load

    with open_store(db) as store:
        done = explaining.explain(store, load(store, rules), tx_hash)
    emit(out, done.rows, explaining.EXPLAIN, fmt, f"Transaction {done.tx_hash}", done.currency,
         shown=shown_rows(all_rows))
    if fmt is Format.TABLE:
        gain = explaining.total_gain(done.rows)
        if done.url:
            err.print(f"explorer: {done.url}")
        if gain is not None:
            err.print(f"realized gain: {gain:,.2f} {done.currency}")


@commands.command("report")
@without_collector
@tax_rules
@profile_options
def report_page(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    year: Annotated[int | None, year_option("Tax year (default: every year).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date for the harvestable losses and open positions (default: the "
        "end of the year, or today).")] = None,
    rules: Rules = FROM_OPTIONS,
    taxpayer: TaxpayerAsked = FROM_TAXPAYER,
    db: DbOption = None,
) -> None:
    """One self-contained HTML page: gains by term, income by kind, harvestable losses per
    asset, open positions, what needs review, and the lineage behind each figure."""
    from scanner.app import export as exporting
    from scanner.app.readmodel import load
    from scanner.app.taxpayer import taxpayer_of

    moment = parse_as_of(as_of) if as_of else None
    with open_store(db) as store:
        done = exporting.report(store, load(store, rules), out, year=year, as_of=moment,
                                taxpayer=taxpayer_of(store, taxpayer))
    err.print(f"report: {plural(done.rows, 'disposal')}, written to {done.path}")
