"""The summary of a tax year's gains: its rows per term (and those the law leaves tax-free),
the disposals no lot covers, and, where the law nets the year's gains and losses as the US
Schedule D does, that netting with the loss carried over from the years before."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scanner.app import queries
from scanner.app.readmodel import Books
from scanner.formats.rows import gains_rows, total
from scanner.tax.netting import Netting
from scanner.tax.records import TAX_FREE_AFTER_A_YEAR, Term
from scanner.tax.taxpayer import Taxpayer

ALL_TERMS = "all"  # the one group when no row has a holding period (pooled rules)


@dataclass(frozen=True)
class TermTotal:
    term: str  # "short", "long", or ALL_TERMS
    rows: int  # rows with a lot or pool
    gain: Decimal | None  # the sum of their gain_usd as the report prints it; None: unknown


@dataclass(frozen=True)
class GainsSummary:
    year: int
    currency: str
    terms: tuple[TermTotal, ...]  # short and long when some row has a term, else ALL_TERMS
    tax_free: TermTotal | None  # sales the law leaves tax-free (Germany: after a year)
    no_lot: int  # disposals no lot covers: their basis is unknown
    netting: Netting | None  # the US netting of the year (Schedule D)
    law: tuple[str, ...] = ()  # what the law does with the totals: Germany's limits


def first_year(books: Books) -> int | None:
    """The first tax year of the books: that of their earliest leg."""
    earliest = min((entry.timestamp for entry in books.entries), default=None)
    return None if earliest is None else books.policy.jurisdiction.tax_year_of(earliest)


def netting_of(books: Books, year: int, taxpayer: Taxpayer) -> Netting | None:
    """The year's netting where the law nets (the US Schedule D), its carryover chained
    from the books' first year (into which the taxpayer's carryover goes); else None."""
    first = first_year(books)
    return books.policy.jurisdiction.netting(
        books.lots.disposals, year, first_year=year if first is None else first,
        taxpayer=taxpayer)


def law_lines(books: Books, year: int) -> tuple[str, ...]:
    """What the jurisdiction's law does with the year's totals (Germany's exemption
    limits), in lines for the reader."""
    return books.policy.jurisdiction.summary(year, queries.gains(books, year),
                                             queries.income(books, year))


def gains_summary(books: Books, year: int, taxpayer: Taxpayer) -> GainsSummary:
    rows = gains_rows(queries.gains(books, year))
    terms = [t.value for t in Term if any(r["term"] == t.value for r in rows)]
    totals = []
    for term in terms or [ALL_TERMS]:
        part = [r for r in rows if r["lot_id"] is not None and term in (ALL_TERMS, r["term"])]
        totals.append(TermTotal(term, len(part), total(part, "gain_usd")))
    free = [r for r in rows if r["rule"] == TAX_FREE_AFTER_A_YEAR]
    return GainsSummary(
        year=year, currency=books.currency, terms=tuple(totals),
        tax_free=TermTotal(ALL_TERMS, len(free), total(free, "gain_usd")) if free else None,
        no_lot=sum(1 for r in rows if r["lot_id"] is None),
        netting=netting_of(books, year, taxpayer), law=law_lines(books, year))
