"""US capital gain netting, as Schedule D (Form 1040) does it, and the loss carried over.

A year (Schedule D, and IRC 1211(b) and 1212(b) behind it):

    line 6  = the short-term loss carried in     line 14 = the long-term loss carried in
    line 7  = net short-term: Form 8949 part I totals less line 6
    line 15 = net long-term: part II totals less line 14
    line 16 = line 7 + line 15
    line 21 = if line 16 is a loss, the smaller of that loss and 3,000 (1,500 married filing
              separately): deducted from ordinary income (IRC 1211(b))

What line 21 does not absorb carries over to the next year keeping its character, figured
by the Capital Loss Carryover Worksheet of the next year's Schedule D instructions (IRC
1212(b): a short-term loss first meets the long-term gain and the deduction; the long-term
loss meets the short-term gain and what the deduction left):

    1 taxable income (Form 1040 line 15)   2 the loss on line 21, positive
    3 line 1 + line 2, at least 0          4 the smaller of lines 2 and 3
    5 the loss on line 7, positive (else 0, and lines 6-8 skipped)
    6 the gain on line 15 (0 if a loss)    7 line 4 + line 6
    8 short-term carryover: line 5 - line 7, at least 0
    9 the loss on line 15, positive (else lines 9-13 skipped)
    10 the gain on line 7 (0 if a loss)    11 line 4 - line 5, at least 0
    12 line 10 + line 11                   13 long-term carryover: line 9 - line 12, at least 0

taxscan does not know the taxable income: unless given, it is taken as zero or more, so the
whole of line 21 counts as used (line 4 = line 2). The carryover chains through the years
of the books, from the taxpayer's carryover into their first year. Losses and carryovers
are positive amounts here, as the worksheet writes them; Schedule D shows them in
parentheses. Lines 4, 5, 11-13 (other forms, K-1s, capital gain distributions) are outside
taxscan's books and are not included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType

from scanner.tax.records import Disposal, Term
from scanner.tax.sales import is_known, term_gains, utc
from scanner.tax.taxpayer import FilingStatus, Taxpayer

ZERO = Decimal(0)
# IRC 1211(b)(1): the loss deductible from ordinary income in a year
LOSS_LIMITS: Mapping[FilingStatus, Decimal] = MappingProxyType({
    FilingStatus.SINGLE: Decimal(3000), FilingStatus.JOINT: Decimal(3000),
    FilingStatus.HEAD: Decimal(3000), FilingStatus.SEPARATE: Decimal(1500),
})


@dataclass(frozen=True)
class Carryover:
    """A capital loss carried from one year into the next: positive amounts."""

    short: Decimal = ZERO
    long: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.short < 0 or self.long < 0:
            raise ValueError(f"a carryover is a loss written as a positive amount, not {self}")


@dataclass(frozen=True)
class Netting:
    """One year's Schedule D netting."""

    year: int
    filing_status: FilingStatus
    short: Decimal  # the year's short-term gain or loss: Form 8949 part I (lines 1b-3)
    long: Decimal  # the long-term one: part II (lines 8b-10)
    carryover_in: Carryover  # lines 6 and 14
    net_short: Decimal  # line 7
    net_long: Decimal  # line 15
    net: Decimal  # line 16
    ordinary_offset: Decimal  # line 21, positive: the net loss deducted from ordinary income
    carryover_out: Carryover  # into the next year: its worksheet's lines 8 and 13
    # years netted (this one, or one before it through the carryover) that have disposals of
    # unknown proceeds or basis: these figures leave them out, so the true ones are unknown
    unknown_years: tuple[int, ...] = ()

    @property
    def loss_limit(self) -> Decimal:
        return LOSS_LIMITS[self.filing_status]


def net_year(year: int, short: Decimal, long: Decimal, carryover_in: Carryover = Carryover(),
             filing_status: FilingStatus = FilingStatus.SINGLE, *,
             taxable_income: Decimal | None = None) -> Netting:
    """Schedule D's netting of a year's short- and long-term totals with the loss carried in,
    and the Capital Loss Carryover Worksheet's carryover out (`taxable_income`: worksheet
    line 1; None: zero or more)."""
    net_short = short - carryover_in.short
    net_long = long - carryover_in.long
    net = net_short + net_long
    offset = min(-net, LOSS_LIMITS[filing_status]) if net < 0 else ZERO
    used = offset if taxable_income is None else min(offset, max(ZERO, taxable_income + offset))
    short_loss = max(ZERO, -net_short)  # line 5
    carry_short = max(ZERO, short_loss - (used + max(ZERO, net_long)))  # line 8
    carry_long = ZERO
    if net_long < 0:  # lines 9-13
        carry_long = max(ZERO, -net_long - (max(ZERO, net_short) + max(ZERO, used - short_loss)))
    return Netting(year=year, filing_status=filing_status, short=short, long=long,
                   carryover_in=carryover_in, net_short=net_short, net_long=net_long, net=net,
                   ordinary_offset=offset, carryover_out=Carryover(carry_short, carry_long))


@dataclass(frozen=True)
class TermTotals:
    """A year's Form 8949 totals by term, and how many disposals they leave out."""

    short: Decimal = ZERO
    long: Decimal = ZERO
    unknown: int = 0  # disposals of unknown proceeds, basis or holding period


def term_totals(disposals: Iterable[Disposal], through: int | None = None) -> \
        dict[int, TermTotals]:
    """The gains per year (UTC date sold) and term, in cents as the forms have them
    (`sales.term_gains`: the sums of `sales.sale_lines`' figures, without sorting them into
    the form's order, which a sum does not need); of the years up to `through` alone, if
    given."""
    known: dict[int, list[Disposal]] = {}
    unknown: dict[int, int] = {}
    for disposal in disposals:
        year = utc(disposal.disposed).year
        if through is not None and year > through:
            continue
        if is_known(disposal):
            known.setdefault(year, []).append(disposal)
        else:
            unknown[year] = unknown.get(year, 0) + 1
    totals = {}
    for year in known.keys() | unknown.keys():
        gains = term_gains(known.get(year, []))
        totals[year] = TermTotals(short=gains.get(Term.SHORT, ZERO),
                                  long=gains.get(Term.LONG, ZERO), unknown=unknown.get(year, 0))
    return totals


def net_years(totals: Mapping[int, TermTotals], first: int, last: int,
              taxpayer: Taxpayer) -> list[Netting]:
    """The netting of every year from `first` to `last`, each carrying into the next,
    starting from the taxpayer's carryover into `first`."""
    carried = Carryover(taxpayer.carryover_short, taxpayer.carryover_long)
    unknown: tuple[int, ...] = ()
    nettings = []
    for year in range(first, last + 1):
        total = totals.get(year, TermTotals())
        if total.unknown:
            unknown += (year,)
        netting = net_year(year, total.short, total.long, carried, taxpayer.filing_status)
        nettings.append(replace(netting, unknown_years=unknown))
        carried = netting.carryover_out
    return nettings


def capital_netting(disposals: Iterable[Disposal], year: int, *, first_year: int,
                    taxpayer: Taxpayer) -> Netting:
    """The netting of `year`, its carryover chained from the first year of the books
    (`first_year`; `year` itself when earlier), into which the taxpayer's carryover goes."""
    return net_years(term_totals(disposals, through=year), min(first_year, year), year,
                     taxpayer)[-1]
