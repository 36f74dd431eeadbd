"""When waiting pays: each open lot that is short-term now turns long-term on the day after
the first anniversary of its acquisition (IRC 1222; Germany: tax-free, EStG s.23(1) no. 2).
What selling it alone saves (the tax its gain or loss takes off the year's, against the
year's realized gains) now, and from that day at the same price: in this tax year when the
day comes before its end, else in the next, against no gains of its own yet, with what this
year carries into it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from scanner.tax.holding import anniversary
from scanner.tax.netting import Carryover
from scanner.tax.plan.law import Law
from scanner.tax.plan.records import Candidate, Timing, Totals
from scanner.tax.records import Term


def long_term_on(candidate: Candidate) -> date:
    """The first day a sale of the lot is long-term (the lot engine's rule, on UTC dates)."""
    return anniversary(candidate.lot.acquired.date()) + timedelta(days=1)


@dataclass(frozen=True)
class Year:
    """The year the plan is for: its realized gains, the loss carried in, its last day."""

    year: int
    realized: Totals
    carried: Carryover
    last_day: date  # in the jurisdiction's time zone


def as_long_term(law: Law, candidate: Candidate) -> Candidate:
    return replace(candidate, term=Term.LONG, free=law.long_free)


def saving(law: Law, year: int, realized: Totals, carried: Carryover,
           candidate: Candidate) -> Decimal:
    """The tax a sale of the candidate alone takes off the year's (negative: adds)."""
    return law.year_tax(year, realized, carried).tax \
        - law.year_tax(year, realized + candidate.totals(), carried).tax


def timing(law: Law, plan_year: Year, found: Iterable[Candidate]) -> list[Timing]:
    """The short-term lots with a gain or loss, soonest long-term first."""
    if not law.terms:
        return []
    rows = []
    after_year = plan_year.year + 1
    carried_on = law.year_tax(plan_year.year, plan_year.realized,
                              plan_year.carried).carryover_out
    for c in found:
        if c.term is not Term.SHORT or not c.gain:
            continue
        on = long_term_on(c)
        now = saving(law, plan_year.year, plan_year.realized, plan_year.carried, c)
        later = as_long_term(law, c)
        after: Decimal | None
        if on <= plan_year.last_day:
            after = saving(law, plan_year.year, plan_year.realized, plan_year.carried, later)
        elif law.priced(after_year):
            after = saving(law, after_year, Totals(), carried_on, later)
        else:
            after = None
        rows.append(Timing(c, on, now, after))
    rows.sort(key=lambda t: (t.long_term_on, t.candidate.lot.lot_id))
    return rows
