"""The US federal income tax schedules per tax year: the ordinary brackets (IRC 1(j)), the
thresholds of the 0%, 15% and 20% rates on net capital gain (IRC 1(h), 1(j)(5)), and the
net investment income tax (IRC 1411), each year as the IRS published its inflation
adjustments.

Only the years below are known. Another year is refused with one line naming those that are
(a plan can still price it with explicit marginal rates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from chains.errors import UserInputError
from scanner.tax.taxpayer import FilingStatus

S, J, P, H = FilingStatus.SINGLE, FilingStatus.JOINT, FilingStatus.SEPARATE, FilingStatus.HEAD
# IRC 1(j)(2), made permanent by Pub. L. 119-21 (2025): the rate of each bracket, lowest first
RATES = tuple(Decimal(n) / 100 for n in (10, 12, 22, 24, 32, 35, 37))
# IRC 1(h)(1): net capital gain is taxed at 0%, 15% and 20%
ZERO_RATE, MIDDLE_RATE, TOP_RATE = Decimal(0), Decimal("0.15"), Decimal("0.20")
NIIT_RATE = Decimal("0.038")  # IRC 1411(a)(1)
# IRC 1411(b): not indexed for inflation
NIIT_THRESHOLDS: Mapping[FilingStatus, Decimal] = MappingProxyType({
    S: Decimal(200000), H: Decimal(200000), J: Decimal(250000), P: Decimal(125000)})


@dataclass(frozen=True)
class Schedule:
    """One tax year's schedule: per filing status the tops of the first six brackets (the
    seventh has none) and the tops of the 0% and 15% capital gain rates."""

    year: int
    source: str
    tops: Mapping[FilingStatus, tuple[Decimal, ...]]
    zero_top: Mapping[FilingStatus, Decimal]  # taxable income up to which the rate is 0%
    middle_top: Mapping[FilingStatus, Decimal]  # and up to which it is 15%

    def brackets(self, status: FilingStatus) -> tuple[tuple[Decimal | None, Decimal], ...]:
        """(top, rate) from the lowest bracket, the last one's top None."""
        return tuple(zip((*self.tops[status], None), RATES, strict=True))


def _schedule(year: int, source: str, tops: dict[FilingStatus, tuple[int, ...]],
              gains: dict[FilingStatus, tuple[int, int]]) -> Schedule:
    return Schedule(
        year, source,
        MappingProxyType({s: tuple(Decimal(t) for t in row) for s, row in tops.items()}),
        MappingProxyType({s: Decimal(zero) for s, (zero, _) in gains.items()}),
        MappingProxyType({s: Decimal(middle) for s, (_, middle) in gains.items()}))


SCHEDULES: Mapping[int, Schedule] = MappingProxyType({s.year: s for s in (
    _schedule(2023, "Rev. Proc. 2022-38", {
        S: (11000, 44725, 95375, 182100, 231250, 578125),
        J: (22000, 89450, 190750, 364200, 462500, 693750),
        P: (11000, 44725, 95375, 182100, 231250, 346875),
        H: (15700, 59850, 95350, 182100, 231250, 578100),
    }, {S: (44625, 492300), J: (89250, 553850), P: (44625, 276900), H: (59750, 523050)}),
    _schedule(2024, "Rev. Proc. 2023-34", {
        S: (11600, 47150, 100525, 191950, 243725, 609350),
        J: (23200, 94300, 201050, 383900, 487450, 731200),
        P: (11600, 47150, 100525, 191950, 243725, 365600),
        H: (16550, 63100, 100500, 191950, 243700, 609350),
    }, {S: (47025, 518900), J: (94050, 583750), P: (47025, 291850), H: (63000, 551350)}),
    _schedule(2025, "Rev. Proc. 2024-40", {
        S: (11925, 48475, 103350, 197300, 250525, 626350),
        J: (23850, 96950, 206700, 394600, 501050, 751600),
        P: (11925, 48475, 103350, 197300, 250525, 375800),
        H: (17000, 64850, 103350, 197300, 250500, 626350),
    }, {S: (48350, 533400), J: (96700, 600050), P: (48350, 300000), H: (64750, 566700)}),
    _schedule(2026, "Rev. Proc. 2025-32", {
        S: (12400, 50400, 105700, 201775, 256225, 640600),
        J: (24800, 100800, 211400, 403550, 512450, 768700),
        P: (12400, 50400, 105700, 201775, 256225, 384350),
        H: (17700, 67450, 105700, 201750, 256200, 640600),
    }, {S: (49450, 545500), J: (98900, 613700), P: (49450, 306850), H: (66200, 579600)}),
)})
KNOWN_YEARS = tuple(SCHEDULES)


def schedule_of(year: int) -> Schedule:
    """The year's schedule; a year taxscan does not know is refused, naming those it does."""
    try:
        return SCHEDULES[year]
    except KeyError:
        raise UserInputError(
            f"the US federal brackets of {year} are not known to taxscan (known: "
            f"{', '.join(map(str, KNOWN_YEARS))}): give --short-rate and --long-rate") from None
