"""Use cases that write files for accountants and other tools: `taxscan export` and
`taxscan report`. Each file is written whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from types import MappingProxyType

from chains.errors import UserInputError
from chains.registry import chain_by_id, is_known
from scanner.app.harvest import harvestable
from scanner.app.plan import plan_part
from scanner.app.queries import missing_prices, review
from scanner.app.readmodel import Books
from scanner.app.summary import law_lines, netting_of
from scanner.formats.coinledger import coinledger_csv
from scanner.formats.cointracker import cointracker_csv
from scanner.formats.koinly import koinly_csv
from scanner.formats.ledger_export import (
    EXPORT_FIELDS,
    PARQUET_COLUMNS,
    ledger_export_lines,
    ledger_export_rows,
    parquet_rows,
)
from scanner.formats.rows import gains_rows, harvest_rows, income_rows, lot_rows, missing_rows
from scanner.formats.transactions import Carries
from scanner.formats.us.form8949 import (
    NO_1099,
    Form8949Line,
    form8949_csv,
    form8949_lines,
    form8949_totals,
)
from scanner.formats.us.schedule_d import schedule_d_csv, schedule_d_lines
from scanner.formats.us.turbotax import turbotax_csv
from scanner.formats.us.txf import txf_text
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.store.parquet import write_parquet
from scanner.tax.jurisdictions.lotwise import LotMatcher
from scanner.tax.records import Disposal
from scanner.tax.taxpayer import Taxpayer
from scanner.writing import text_csv_lines, write_bytes, write_streamed, write_text


@dataclass(frozen=True)
class Exported:
    path: Path
    rows: int


@dataclass(frozen=True)
class _Job:
    fmt: str
    books: Books
    path: Path
    year: int | None
    reported: str
    today: date
    taxpayer: Taxpayer

    def entries(self) -> list[LedgerEntry]:
        in_year = self.books.policy.jurisdiction.in_tax_year
        return [e for e in self.books.entries
                if self.year is None or in_year(e.timestamp, self.year)]


def tx_url(chain_id: int, tx_hash: str) -> str | None:
    """The transaction's page on its chain's explorer, when taxscan knows one."""
    return chain_by_id(chain_id).tx_url(tx_hash) if is_known(chain_id) else None


def _ledger(job: _Job) -> int:
    entries = job.entries()
    if job.path.suffix.lower() == ".parquet":
        rows = ledger_export_rows(entries, job.books.lots, tx_url, every_leg=job.year is None)
        write_parquet(job.path, PARQUET_COLUMNS, parquet_rows(rows, entries))
    else:
        lines = ledger_export_lines(entries, job.books.lots, tx_url, every_leg=job.year is None)
        write_streamed(job.path, lambda file: file.writelines(
            chain(text_csv_lines([EXPORT_FIELDS]), lines)))
    return len(entries)


def _transactions(write: Callable[[Sequence[LedgerEntry], Carries], str]) -> \
        Callable[[_Job], int]:
    """Another tool's transaction CSV, of the year's legs; an exchange whose basis taxscan
    carries over under the rules in force (never in the UK and Canadian pools, which take
    every exchange as a trade) is labelled as the tool's non-taxable one."""
    def run(job: _Job) -> int:
        entries = job.entries()
        policy = job.books.policy
        lot_by_lot = isinstance(policy.jurisdiction.matcher(policy), LotMatcher)

        def carries(kind: Kind, protocol: str) -> bool:
            return lot_by_lot and policy.carries(kind, protocol)
        write_text(job.path, write(entries, carries))
        return len(entries)
    return run


@dataclass(frozen=True)
class _Form:
    """What a form of a year is written from."""

    year: int
    lines: Sequence[Form8949Line]
    disposals: Sequence[Disposal]
    path: Path
    today: date
    books: Books
    taxpayer: Taxpayer


def _form(text: Callable[[_Form], str | bytes]) -> Callable[[_Job], int]:
    """A tax form of a year, in a jurisdiction that files it."""
    def run(job: _Job) -> int:
        if job.year is None:
            raise UserInputError(f"--year is needed for {job.fmt}: forms are per tax year")
        jurisdiction = job.books.policy.jurisdiction
        if job.fmt not in jurisdiction.forms:
            raise UserInputError(f"{job.fmt} is a US form; the rules in force are "
                                 f"{jurisdiction.code.upper()}'s")
        disposals = [d for d in job.books.lots.disposals if d.disposed.year == job.year]
        lines = form8949_lines(disposals, job.year, reported=job.reported)
        written = text(_Form(job.year, lines, disposals, job.path, job.today, job.books,
                             job.taxpayer))
        write_bytes(job.path, written if isinstance(written, bytes) else written.encode())
        return len(lines)
    return run


def _form8949(form: _Form) -> str | bytes:
    if form.path.suffix.lower() == ".pdf":
        from scanner.formats.us.form8949_pdf import form8949_pdf  # fpdf: only for a PDF

        return form8949_pdf(form.lines, form.year, generated=form.today)
    return form8949_csv(form.lines)


def _schedule_d(form: _Form) -> str:
    netting = netting_of(form.books, form.year, form.taxpayer)
    if netting is None:
        raise UserInputError("the rules in force net no Schedule D")
    return schedule_d_csv(schedule_d_lines(form8949_totals(form.lines), netting))


def _turbotax(form: _Form) -> str:
    return turbotax_csv(form.disposals, form.year)


def _txf(form: _Form) -> str:
    return txf_text(form.lines, today=form.today)


# Every export format, by the name the command line and the README give it: a new format is
# its module in scanner/formats and one line here.
EXPORTS: Mapping[str, Callable[[_Job], int]] = MappingProxyType({
    "ledger": _ledger,
    "form8949": _form(_form8949),
    "schedule-d": _form(_schedule_d),
    "turbotax": _form(_turbotax),
    "txf": _form(_txf),
    "koinly": _transactions(koinly_csv),
    "cointracker": _transactions(cointracker_csv),
    "coinledger": _transactions(coinledger_csv),
})
EXPORT_FORMATS = tuple(EXPORTS)


def export(books: Books, fmt: str, path: Path, *, year: int | None = None,
           reported: str = NO_1099, today: date | None = None,
           taxpayer: Taxpayer | None = None) -> Exported:
    """Write one export file (all or nothing): the ledger with its lineage (CSV, or Parquet
    for a .parquet path), US tax forms for a year (Form 8949 as CSV, or PDF for a .pdf
    path; Schedule D netted with the `taxpayer`'s loss carried over), or another tool's
    transaction CSV."""
    writer = EXPORTS.get(fmt)
    if writer is None:
        raise UserInputError(f"unknown export format {fmt!r} (available: "
                             f"{', '.join(EXPORT_FORMATS)})")
    rows = writer(_Job(fmt, books, path, year, reported, today or datetime.now(UTC).date(),
                       taxpayer or Taxpayer()))
    return Exported(path, rows)


def report(store: Store, books: Books, path: Path, *, year: int | None = None,
           as_of: datetime | None = None, now: datetime | None = None,
           taxpayer: Taxpayer | None = None) -> Exported:
    """The HTML report of a tax year (or of every year): its gains, income, the losses that
    could be harvested and the positions open at `as_of` (by default the end of the year, or
    now for the current year), what needs review, and the lineage of its first disposals
    (`html_report.lineage_shown`)."""
    now = now or datetime.now(UTC)
    jurisdiction = books.policy.jurisdiction
    if as_of is None:
        as_of = min(jurisdiction.tax_year_end(year), now) if year else now
    book, held = books.lots_and_held(as_of)
    disposals = [d for d in book.disposals
                 if year is None or jurisdiction.in_tax_year(d.disposed, year)]
    from scanner.formats.html_report import (  # jinja2: only here
        ReportPage,
        lineage_shown,
        render_report,
    )

    gains = gains_rows(disposals)
    shown = lineage_shown(gains)  # the page is bounded: only their lots and links are needed
    wanted = {r["lot_id"] for r in shown if r["lot_id"]}
    acquired = [lot for lot in book.acquisitions
                if lot.lot_id in wanted or lot.origin_kind is Kind.TRANSFER_IN]
    linked = {r["tx_hash"] for r in shown} | {lot.origin_tx for lot in acquired}
    urls: dict[str, str] = {}
    for entry in books.entries:
        if entry.tx_hash in linked and entry.tx_hash not in urls:
            url = tx_url(entry.chain_id, entry.tx_hash)
            if url is not None:
                urls[entry.tx_hash] = url
    page = ReportPage(
        year=year, generated=now, rules=books.computed_by, gains=gains,
        income=income_rows(i for i in book.income
                           if year is None or jurisdiction.in_tax_year(i.timestamp, year)),
        harvest_as_of=as_of, harvest=harvest_rows(harvestable(books, as_of)),
        open_lots=lot_rows(held.open_lots),
        acquisitions=dict(zip((lot.lot_id for lot in acquired), lot_rows(acquired),
                              strict=True)),
        missing=missing_rows(missing_prices(books)),
        spam=store.spam(),
        review=review(store, books.entries).lines(), tx_urls=urls,
        notes=tuple(dict.fromkeys(books.notes() + books.notes(as_of))),
        netting=None if year is None else netting_of(books, year, taxpayer or Taxpayer()),
        currency=books.currency, year_name=None if year is None else books.year_name(year),
        summary=() if year is None else law_lines(books, year),
        plan=plan_part(store, books, as_of, taxpayer or Taxpayer(), year))
    write_text(path, render_report(page))
    return Exported(path, len(disposals))
