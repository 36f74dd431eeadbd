"""`taxscan demo`: a local chain, the dated scenario played on it, scanned and reported."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scanner.cli.console import (
    err,
    out,
    print_review,
    scan_summary,
    totals,
    verdict,
    wash_sale_warning,
)
from scanner.cli.options import DbOption
from scanner.cli.plan import show_plan
from scanner.cli.progress import RichProgress
from scanner.formats.render import Format, emit

if TYPE_CHECKING:
    from scanner.app.readmodel import Books

commands = typer.Typer()


@commands.command()
def demo(
    db: DbOption = None,
) -> None:
    """Start a local chain, play the dated scenario, scan it, and print the reports."""
    import tempfile

    from scanner.app import demo as demoing
    from scanner.app import queries
    from scanner.app import reconcile as reconciling
    from scanner.app.readmodel import load
    from scanner.formats import rows as reports
    from scanner.store import Store

    with tempfile.TemporaryDirectory(prefix="taxscan-demo-") as tmp:
        path = db if db is not None else Path(tmp) / "demo.duckdb"
        err.print("starting anvil and playing the scenario (2024-2025)...")
        with demoing.demo_chain(Path(tmp)) as chain:
            err.print(f"wallets {', '.join(chain.wallets)} on {chain.url}")
            with Store(path) as store:
                with RichProgress(err) as progress:
                    results = demoing.scan_demo(store, chain, progress)
                scan_summary(results)
                print_review(queries.review(store))
                _reports(load(store), chain.as_of)
                rows = reports.reconcile_rows(reconciling.reconcile_chain(store, chain.url))
                emit(out, rows, reports.RECONCILE, Format.TABLE, "Reconciliation")
                verdict(rows)


def _reports(books: Books, as_of: datetime) -> None:
    from scanner.app import demo as demoing
    from scanner.app import harvest as harvesting
    from scanner.app import plan as planning
    from scanner.app import queries
    from scanner.app.summary import gains_summary
    from scanner.formats import rows as reports
    from scanner.tax.taxpayer import Taxpayer

    emit(out, reports.ledger_rows(queries.ledger(books)), reports.LEDGER, Format.TABLE,
         "Ledger")
    for year in (2024, 2025):
        rows = reports.gains_rows(queries.gains(books, year))
        emit(out, rows, reports.GAINS, Format.TABLE, f"Realized gains {year} (fifo)")
        totals(gains_summary(books, year, Taxpayer()))
        emit(out, reports.income_rows(queries.income(books, year)), reports.INCOME,
             Format.TABLE, f"Income {year}")
    rows = reports.harvest_rows(harvesting.harvestable(books, as_of))
    emit(out, rows, reports.HARVEST, Format.TABLE, f"Harvest as of {as_of.date()}")
    wash_sale_warning(rows)
    show_plan(planning.make_plan(books, demoing.DEMO_TAXPAYER, as_of), Format.TABLE)
