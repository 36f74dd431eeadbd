"""`taxscan prices`: import price files, fetch what the ledger lacks, list what is missing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner.cli.console import err, out, print_review
from scanner.cli.options import (
    FROM_OPTIONS,
    AllRowsOption,
    DbOption,
    FormatOption,
    http_url,
    open_store,
    shown_rows,
    tax_rules,
    writable_store,
)
from scanner.formats.render import Format, emit, plural

if TYPE_CHECKING:
    from scanner.app.settings import Rules
    from scanner.prices.names import PriceSourceName

group = typer.Typer(no_args_is_help=True, help="Price data.")


@group.command("import")
def prices_import(
    file: Annotated[Path, typer.Argument(help="CSV with header timestamp,asset,usd.")],
    db: DbOption = None,
) -> None:
    """Import prices; the price of an asset at t is the latest row at or before t."""
    from scanner.app import imports as importing
    from scanner.app import queries

    with writable_store(db) as store:
        count = importing.import_prices(store, file)
        err.print(f"imported {plural(count, 'price')} from {file}")
        print_review(queries.review(store))


@group.command("rates")
def prices_rates(
    file: Annotated[Path, typer.Argument(help="CSV with header date,currency,per_usd.")],
    db: DbOption = None,
) -> None:
    """Import exchange rates (units of a currency one USD buys, per day) for reports in
    GBP, CAD or EUR; they replace the ECB reference rates for the currencies they name."""
    from scanner.app.rates import import_rates

    with writable_store(db) as store:
        done = import_rates(store, file)
    if done is None:
        err.print(f"{file} holds no rate: nothing imported")
        return
    err.print(f"imported {plural(done.rates, 'rate')} for {', '.join(done.currencies)} from "
              f"{done.first.isoformat()} to {done.last.isoformat()}")


@group.command("fetch")
def prices_fetch(
    source: Annotated[list[PriceSourceName] | None, typer.Option(
        "--source", help="Price sources to ask, in order (repeat the option).")] = None,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", envvar="TAXSCAN_RPC", help="Node whose pools `pool` reads.",
        callback=http_url)] = None,
    defillama_url: Annotated[str | None, typer.Option(
        "--defillama-url", help="DefiLlama coins API base URL (a proxy, the pro API).",
        callback=http_url)] = None,
    coingecko_url: Annotated[str | None, typer.Option(
        "--coingecko-url", help="CoinGecko API base URL (a proxy).", callback=http_url)
    ] = None,
    db: DbOption = None,
) -> None:
    """Ask price sources for every price the ledger lacks; answers and misses are cached,
    so nothing is asked twice and reports work offline afterwards. Keys come from
    DEFILLAMA_API_KEY, COINGECKO_API_KEY (demo) or COINGECKO_PRO_API_KEY."""
    from scanner.app import imports as importing
    from scanner.app import queries
    from scanner.app.sources import price_sources
    from scanner.prices.names import PriceSourceName

    names = source or ([PriceSourceName.DEFILLAMA, PriceSourceName.COINGECKO]
                       + ([PriceSourceName.POOL] if rpc else []))
    sources = price_sources(names, rpc, os.environ, defillama_url=defillama_url,
                            coingecko_url=coingecko_url)
    with writable_store(db) as store:
        fetched = importing.fetch_prices(store, sources)
        for failure in fetched.failures:
            then = f"asked {failure.then} instead" if failure.then else "no source left to ask"
            err.print(f"price source {failure.source} failed, {then}: {failure.reason}")
        found = ", ".join(f"{n} from {s}" for s, n in sorted(fetched.by_source.items()))
        err.print(f"{plural(fetched.lacking, 'price')} lacking, {fetched.asked} asked: "
                  f"{fetched.found} found{' (' + found + ')' if found else ''}, "
                  f"{fetched.unanswered} without an answer (a source that had none is not "
                  "asked again)")
        print_review(queries.review(store))


@group.command("missing")
@tax_rules
def prices_missing(
    rules: Rules = FROM_OPTIONS,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Assets without a price, and the quantities whose basis, proceeds or income that
    leaves unknown (shown as unknown in every report, never as zero)."""
    from scanner.app import queries
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports

    with open_store(db) as store:
        rows = reports.missing_rows(queries.missing_prices(load(store, rules)))
    emit(out, rows, reports.MISSING, fmt, "Missing prices",
         shown=shown_rows(all_rows))
    if fmt is Format.TABLE and not rows:
        err.print("every leg has a USD value")
