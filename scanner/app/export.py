"""Use cases that write files for accountants and other tools: `taxscan export` and
`taxscan report`. Each file is written whole or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from chains.errors import UserInputError
from chains.registry import chain_by_id, is_known
from scanner.app.harvest import harvestable
from scanner.app.queries import missing_prices, review
from scanner.app.readmodel import Books
from scanner.formats.coinledger import coinledger_csv
from scanner.formats.cointracker import cointracker_csv
from scanner.formats.files import write_atomically, write_bytes_atomically
from scanner.formats.html_report import ReportPage, render_report
from scanner.formats.koinly import koinly_csv
from scanner.formats.ledger_csv import (
    EXPORT_FIELDS,
    PARQUET_COLUMNS,
    ledger_export_rows,
    parquet_rows,
)
from scanner.formats.render import to_csv
from scanner.formats.rows import gains_rows, harvest_rows, income_rows, lot_rows, missing_rows
from scanner.formats.us.form8949 import form8949_csv, form8949_lines, form8949_totals
from scanner.formats.us.form8949_pdf import form8949_pdf
from scanner.formats.us.schedule_d import schedule_d_csv, schedule_d_lines
from scanner.formats.us.turbotax import turbotax_csv
from scanner.formats.us.txf import txf_text
from scanner.ledger.records import LedgerEntry
from scanner.store import Store
from scanner.store.parquet import write_parquet
from scanner.tax.records import Disposal, LotBook

EXPORT_FORMATS = ("ledger", "form8949", "schedule-d", "turbotax", "txf", "koinly",
                  "cointracker", "coinledger")
US_FORMS = ("form8949", "schedule-d", "turbotax", "txf")


@dataclass(frozen=True)
class Exported:
    path: Path
    rows: int


def tx_url(chain_id: int, tx_hash: str) -> str | None:
    """The transaction's page on its chain's explorer, when taxscan knows one."""
    return chain_by_id(chain_id).tx_url(tx_hash) if is_known(chain_id) else None


def export(books: Books, fmt: str, path: Path, *, year: int | None = None,
           reported: str = "none", today: date | None = None) -> Exported:
    """Write one export file (all or nothing): the ledger with its lineage (CSV, or Parquet
    for a .parquet path), US tax forms for a year (Form 8949 as CSV, or PDF for a .pdf
    path), or another tool's transaction CSV."""
    if fmt not in EXPORT_FORMATS:
        raise UserInputError(f"unknown export format {fmt!r} (available: "
                             f"{', '.join(EXPORT_FORMATS)})")
    if fmt in US_FORMS:
        return _us_form(books, fmt, path, year, reported, today or datetime.now(UTC).date())
    entries = _year_entries(books.entries, year)
    if fmt == "ledger":
        rows = ledger_export_rows(entries, books.lots, tx_url)
        if path.suffix.lower() == ".parquet":
            write_parquet(path, PARQUET_COLUMNS, parquet_rows(rows, entries))
        else:
            write_atomically(path, to_csv(rows, EXPORT_FIELDS))
        return Exported(path, len(rows))
    writers = {"koinly": koinly_csv, "cointracker": cointracker_csv,
               "coinledger": coinledger_csv}
    write_atomically(path, writers[fmt](entries))
    return Exported(path, len(entries))


def _us_form(books: Books, fmt: str, path: Path, year: int | None, reported: str,
             today: date) -> Exported:
    if year is None:
        raise UserInputError(f"--year is needed for {fmt}: forms are per tax year")
    jurisdiction = books.policy.jurisdiction
    if fmt not in jurisdiction.forms:
        raise UserInputError(f"{fmt} is a US form; the rules in force are "
                             f"{jurisdiction.code.upper()}'s")
    disposals = _disposals_of(books.lots, year)
    lines = form8949_lines(disposals, year, reported=reported)
    if fmt == "form8949" and path.suffix.lower() == ".pdf":
        write_bytes_atomically(path, form8949_pdf(lines, year, generated=today))
    elif fmt == "form8949":
        write_atomically(path, form8949_csv(lines))
    elif fmt == "schedule-d":
        write_atomically(path, schedule_d_csv(schedule_d_lines(form8949_totals(lines), year)))
    elif fmt == "turbotax":
        write_atomically(path, turbotax_csv(disposals, year))
    else:
        write_atomically(path, txf_text(lines, today=today))
    return Exported(path, len(lines))


def report(store: Store, books: Books, path: Path, *, year: int | None = None,
           as_of: datetime | None = None, now: datetime | None = None) -> Exported:
    """The HTML report of a tax year (or of every year): its gains, income, the losses that
    could be harvested and the positions open at `as_of` (by default the end of the year, or
    now for the current year), what needs review, and the lineage of every disposal."""
    now = now or datetime.now(UTC)
    if as_of is None:
        year_end = datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC) if year else now
        as_of = min(year_end, now)
    book = books.lots
    held = books.lots_until(as_of)
    disposals = [d for d in book.disposals if year is None or d.disposed.year == year]
    urls: dict[str, str] = {}
    for entry in books.entries:
        if entry.tx_hash not in urls:
            url = tx_url(entry.chain_id, entry.tx_hash)
            if url is not None:
                urls[entry.tx_hash] = url
    page = ReportPage(
        year=year, generated=now, rules=books.computed_by,
        gains=gains_rows(disposals),
        income=income_rows(i for i in book.income if year is None or i.timestamp.year == year),
        harvest_as_of=as_of, harvest=harvest_rows(harvestable(books, as_of)),
        open_lots=lot_rows(held.open_lots),
        acquisitions=dict(zip((lot.lot_id for lot in book.acquisitions),
                              lot_rows(book.acquisitions), strict=True)),
        missing=missing_rows(missing_prices(books)),
        spam=store.spam(),
        review=review(store).lines(), tx_urls=urls)
    write_atomically(path, render_report(page))
    return Exported(path, len(disposals))


def _disposals_of(book: LotBook, year: int) -> Sequence[Disposal]:
    return [d for d in book.disposals if d.disposed.year == year]


def _year_entries(entries: Sequence[LedgerEntry], year: int | None) -> list[LedgerEntry]:
    return [e for e in entries if year is None or e.timestamp.year == year]
