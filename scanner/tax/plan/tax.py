"""The US federal tax a year's netted capital gains add to the taxpayer's other taxable
income: ordinary rates on the ordinary part, the 0/15/20% rates on net capital gain stacked
on top of it, and the net investment income tax, as Form 1040's worksheets figure them, with
exact bracket arithmetic (not the Tax Table's 50-dollar rows).

    the gains' parts (Schedule D): line 16 a gain: net capital gain = the smaller of lines 15
    and 16 (0 if either is a loss), the rest of line 16 ordinary; line 16 a loss: line 21,
    the deduction, lowers ordinary income

    Qualified Dividends and Capital Gain Tax Worksheet (Form 1040 instructions, line 16),
    with no qualified dividends:
    1 taxable income                      4 net capital gain (line 3), at most line 1 (10)
    5 line 1 - line 4, at least 0          6 the 0% top; 7 smaller of lines 1 and 6
    8 smaller of lines 5 and 7             9 line 7 - line 8: taxed at 0%
    12 line 10 - line 9                    13 the 15% top; 14 smaller of lines 1 and 13
    15 line 5 + line 9                     16 line 14 - line 15, at least 0
    17 smaller of lines 12 and 16: at 15%  20 line 10 - (line 9 + line 17): at 20%
    22 the tax on line 5 (brackets)        23 line 18 + line 21 + line 22
    24 the tax on line 1 (brackets)        25 the smaller of lines 23 and 24

    Net investment income tax (IRC 1411, Form 8960): 3.8% of the smaller of the net
    investment income and the modified AGI above the threshold. taxscan counts these gains
    as the only investment income (a net loss makes it 0) and takes modified AGI as the
    taxable income with them: deductions and other investment income are not known to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from scanner.tax.netting import Netting
from scanner.tax.plan.brackets import (
    MIDDLE_RATE,
    NIIT_RATE,
    NIIT_THRESHOLDS,
    TOP_RATE,
    Schedule,
)
from scanner.tax.taxpayer import FilingStatus

ZERO = Decimal(0)


def gain_parts(netting: Netting) -> tuple[Decimal, Decimal]:
    """What the year's netting adds to taxable income: (ordinary part, net capital gain).
    A net loss adds minus the deduction of line 21, and no capital gain."""
    if netting.net <= 0:
        return -netting.ordinary_offset, ZERO
    preferential = max(ZERO, min(netting.net_long, netting.net))
    return netting.net - preferential, preferential


def bracket_tax(brackets: Sequence[tuple[Decimal | None, Decimal]], income: Decimal) -> Decimal:
    """The tax on `income` by the brackets, (top, rate) from the lowest (Tax Computation
    Worksheet arithmetic, unrounded)."""
    tax, bottom = ZERO, ZERO
    for top, rate in brackets:
        if income <= bottom:
            break
        upper = income if top is None else min(income, top)
        tax += (upper - bottom) * rate
        if top is None:
            break
        bottom = top
    return tax


def income_tax(schedule: Schedule, status: FilingStatus, taxable: Decimal,
               capital_gain: Decimal) -> Decimal:
    """The Qualified Dividends and Capital Gain Tax Worksheet, line 25."""
    brackets = schedule.brackets(status)
    line1 = max(ZERO, taxable)
    line4 = min(line1, max(ZERO, capital_gain))
    line5 = max(ZERO, line1 - line4)
    line7 = min(line1, schedule.zero_top[status])
    line9 = line7 - min(line5, line7)
    line12 = line4 - line9
    line16 = max(ZERO, min(line1, schedule.middle_top[status]) - (line5 + line9))
    line17 = min(line12, line16)
    line20 = line4 - (line9 + line17)
    line23 = line17 * MIDDLE_RATE + line20 * TOP_RATE + bracket_tax(brackets, line5)
    return min(line23, bracket_tax(brackets, line1))


def niit(status: FilingStatus, magi: Decimal, investment_income: Decimal) -> Decimal:
    """IRC 1411(a)(1): 3.8% of the smaller of the net investment income and the modified
    AGI above the threshold."""
    over = magi - NIIT_THRESHOLDS[status]
    return NIIT_RATE * max(ZERO, min(max(ZERO, investment_income), over))


def federal_tax(schedule: Schedule, status: FilingStatus, ordinary_income: Decimal,
                netting: Netting) -> Decimal:
    """What the netted gains add to the federal tax on `ordinary_income` (taxable income
    without them): income tax and net investment income tax, unrounded."""
    ordinary, capital_gain = gain_parts(netting)
    gained = ordinary_income + ordinary + capital_gain
    with_gains = income_tax(schedule, status, gained, capital_gain) \
        + niit(status, gained, ordinary + capital_gain)
    return with_gains - income_tax(schedule, status, ordinary_income, ZERO)
