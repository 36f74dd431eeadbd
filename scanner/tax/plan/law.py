"""What each jurisdiction's law makes of a tax year's gains: the netting, the loss carried in
and out, and the tax they add, from the taxpayer's profile. Explicit marginal rates (the
command line's `--short-rate`, `--long-rate`) replace the schedules taxscan ships.

- US: Schedule D netting (`netting.net_year`), then the federal tax of `tax` on the
  taxpayer's ordinary taxable income, plus a flat state rate on what the gains add to it.
- UK: the year's gains and losses net; losses brought forward only bring the net gain down
  to the annual exempt amount (TCGA 1992 s.2A, s.1K); the rest is taxed at the lower rate
  within the unused basic rate band and the higher rate above it (TCGA 1992 s.1H, 1I).
- Canada: half of the net capital gain is taxable (ITA s.38(a)), after net capital losses
  of other years (s.111(1)(b)), at the taxpayer's marginal rate; a net loss deducts nothing
  from other income.
- Germany: private sales gains (EStG s.23) net within the year; below the Freigrenze all of
  them are tax-free, at or above it all are taxed at the personal rate, after losses
  carried in (s.23(3) sentence 8 with s.10d); sales after a year are tax-free.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

from chains.errors import UserInputError
from scanner.money import cents
from scanner.tax.harvest import Rates
from scanner.tax.jurisdictions.base import Jurisdiction
from scanner.tax.jurisdictions.ca import Canada
from scanner.tax.jurisdictions.ca_acb import WINDOW_DAYS
from scanner.tax.jurisdictions.de import Germany, private_sales_limit
from scanner.tax.jurisdictions.uk import UnitedKingdom
from scanner.tax.jurisdictions.uk_pools import BED_AND_BREAKFAST_DAYS
from scanner.tax.jurisdictions.us import UnitedStates
from scanner.tax.netting import Carryover, net_year, term_totals
from scanner.tax.plan.brackets import SCHEDULES, schedule_of
from scanner.tax.plan.records import Totals, YearTax
from scanner.tax.plan.tax import federal_tax, gain_parts
from scanner.tax.records import TAX_FREE_AFTER_A_YEAR, Disposal
from scanner.tax.taxpayer import Taxpayer

ZERO = Decimal(0)
NO_INCOME = ("give --ordinary-income (the year's taxable income besides these gains; or "
             "ordinary_income in the config's [taxpayer])")


def taxed(net: Decimal, offset: Decimal, carried: Carryover, tax: Decimal) -> YearTax:
    return YearTax(net, offset, carried, cents(tax), tax)


class Law(ABC):
    """A jurisdiction's tax of a year's gains, for one taxpayer."""

    terms: ClassVar[bool] = True  # whether gains have a holding period
    # calendar days after a loss sale in which buying the same asset back is matched to it
    # (None: no such rule)
    rebuy_days: ClassVar[int | None] = None
    rule: ClassVar[str] = ""  # that rule, as the plan names it
    rebuy_risk: ClassVar[bool] = False  # buying back at once is a risk (a rule may come)
    # a loss sale the jurisdiction's repurchase flag marks would not realize the loss the
    # plan prices (UK: matched to the same day's buy; Canada: superficial)
    drops_flagged: ClassVar[bool] = False
    long_free: ClassVar[bool] = False  # a long-term gain or loss is tax-free (Germany)

    def __init__(self, jurisdiction: Jurisdiction, taxpayer: Taxpayer,
                 rates: Rates | None = None) -> None:
        self.jurisdiction = jurisdiction
        self.taxpayer = taxpayer
        self.rates = rates

    def totals(self, disposals: Iterable[Disposal]) -> tuple[dict[int, Totals], int]:
        """The gains per tax year, each row in cents as the gains report prints it, and
        how many disposals of unknown gain they leave out."""
        years: dict[int, Totals] = {}
        unknown = 0
        for d in disposals:
            if d.proceeds_usd is None or d.cost_basis_usd is None:
                unknown += 1
                continue
            gain = cents(d.proceeds_usd) - cents(d.cost_basis_usd) + cents(d.disallowed_loss_usd)
            part = Totals(free=gain) if d.rule == TAX_FREE_AFTER_A_YEAR else Totals(short=gain)
            year = self.jurisdiction.tax_year_of(d.disposed)
            years[year] = years.get(year, Totals()) + part
        return years, unknown

    def carried_in(self) -> Carryover:
        """The loss the taxpayer carried into the first year of the books."""
        return Carryover(self.taxpayer.carryover_short + self.taxpayer.carryover_long)

    def carried_into(self, years: Mapping[int, Totals], first: int, year: int) -> Carryover:
        carried = self.carried_in()
        for past in range(min(first, year), year):
            carried = self.carry(past, years.get(past, Totals()), carried)
        return carried

    def rate(self) -> Decimal:
        if self.rates is None:
            raise UserInputError(f"{self.jurisdiction.name}: give --short-rate, the marginal "
                                 "rate of tax on a taxable gain (taxscan has no income tax "
                                 "brackets for it)")
        return self.rates.short

    def priced(self, year: int) -> bool:
        """Whether `year_tax` can price that year."""
        return True

    def source(self, year: int) -> str:
        """Where the figures the year is taxed by come from ("" for the taxpayer's rate)."""
        return ""

    @abstractmethod
    def carry(self, year: int, totals: Totals, carried: Carryover) -> Carryover:
        """The loss a past year passes on to the next."""

    @abstractmethod
    def year_tax(self, year: int, totals: Totals, carried: Carryover) -> YearTax:
        """The year's netting and the tax its gains add."""


class UsLaw(Law):
    rebuy_risk = True  # IRC 1091 covers stock and securities, not (yet) digital assets

    def totals(self, disposals: Iterable[Disposal]) -> tuple[dict[int, Totals], int]:
        by_year = term_totals(disposals)  # Form 8949's cents
        return ({year: Totals(t.short, t.long) for year, t in by_year.items()},
                sum(t.unknown for t in by_year.values()))

    def carried_in(self) -> Carryover:
        return Carryover(self.taxpayer.carryover_short, self.taxpayer.carryover_long)

    def carry(self, year: int, totals: Totals, carried: Carryover) -> Carryover:
        status = self.taxpayer.filing_status
        return net_year(year, totals.short, totals.long, carried, status).carryover_out

    def priced(self, year: int) -> bool:
        return self.rates is not None or year in SCHEDULES

    def source(self, year: int) -> str:
        if self.rates is not None or year not in SCHEDULES:
            return ""
        return (f"the federal brackets and capital gain rate thresholds of {year}: "
                f"{SCHEDULES[year].source}")

    def year_tax(self, year: int, totals: Totals, carried: Carryover) -> YearTax:
        status, income = self.taxpayer.filing_status, self.taxpayer.ordinary_income
        netting = net_year(year, totals.short, totals.long, carried, status)
        if income is not None:  # the Capital Loss Carryover Worksheet's line 1
            netting = net_year(year, totals.short, totals.long, carried, status,
                               taxable_income=income - netting.ordinary_offset)
        ordinary, capital_gain = gain_parts(netting)
        if self.rates is not None:
            federal = self.rates.short * ordinary + self.rates.long * capital_gain
        elif income is None:
            raise UserInputError(f"{NO_INCOME}, or --short-rate and --long-rate")
        else:
            federal = federal_tax(schedule_of(year), status, income, netting)
        added = ordinary + capital_gain
        if income is not None:
            added = max(ZERO, income + added) - income
        return taxed(netting.net, netting.ordinary_offset, netting.carryover_out,
                     federal + self.taxpayer.state_rate * added)


# TCGA 1992 s.1K: the annual exempt amount of each tax year (named by the year it starts)
UK_EXEMPT: Mapping[int, Decimal] = MappingProxyType({year: Decimal(amount) for year, amount in (
    (2016, 11100), (2017, 11300), (2018, 11700), (2019, 12000), (2020, 12300), (2021, 12300),
    (2022, 12300), (2023, 6000), (2024, 3000), (2025, 3000), (2026, 3000))})
# TCGA 1992 s.1H, 1I: the lower and higher rates on gains other than carried interest and
# residential property; 2024 to 2025 changed them on 30 October 2024 (Finance Act 2025)
UK_RATES: Mapping[int, tuple[Decimal, Decimal]] = MappingProxyType({
    2023: (Decimal("0.10"), Decimal("0.20")), 2025: (Decimal("0.18"), Decimal("0.24")),
    2026: (Decimal("0.18"), Decimal("0.24"))})
UK_BASIC_BAND = Decimal(37700)  # ITA 2007 s.10(5), frozen from 2021 to 2022 on


class UkLaw(Law):
    terms = False
    rebuy_days = BED_AND_BREAKFAST_DAYS
    rule = "the UK's 30-day (bed and breakfast) rule"
    drops_flagged = True

    def exempt(self, year: int) -> Decimal:
        try:
            return UK_EXEMPT[year]
        except KeyError:
            raise UserInputError(f"the UK annual exempt amount of {year} to {year + 1} is not "
                                 "known to taxscan") from None

    def year(self, year: int, totals: Totals, carried: Carryover
             ) -> tuple[Decimal, Decimal, Carryover]:
        """The net gain after losses brought forward, the taxable gain, the loss on."""
        net = totals.taxable
        if net <= 0:
            return net, ZERO, Carryover(carried.short - net)
        used = min(carried.short, max(ZERO, net - self.exempt(year))) if carried.short else ZERO
        return net - used, max(ZERO, net - used - self.exempt(year)), \
            Carryover(carried.short - used)

    def carry(self, year: int, totals: Totals, carried: Carryover) -> Carryover:
        net = totals.taxable
        if net <= 0 or not carried.short:
            return Carryover(carried.short - min(net, ZERO))
        return self.year(year, totals, carried)[2]

    def priced(self, year: int) -> bool:
        return year in UK_EXEMPT and (self.rates is not None or year in UK_RATES)

    def source(self, year: int) -> str:
        rates = "" if self.rates is not None or year not in UK_RATES else \
            ", rates TCGA 1992 s.1H as amended by Finance Act 2025"
        return f"the annual exempt amount of {year} to {year + 1}: TCGA 1992 s.1K{rates}"

    def year_tax(self, year: int, totals: Totals, carried: Carryover) -> YearTax:
        net, taxable, out = self.year(year, totals, carried)
        if self.rates is not None:
            tax = self.rates.short * taxable
        elif year not in UK_RATES:
            known = ", ".join(f"{y} to {y + 1}" for y in UK_RATES)
            raise UserInputError(f"the UK rates of {year} to {year + 1} are not known to "
                                 f"taxscan (known: {known}): give --short-rate")
        elif self.taxpayer.ordinary_income is None:
            raise UserInputError(f"{NO_INCOME}: the unused basic rate band sets the rate")
        else:
            lower, higher = UK_RATES[year]
            band = max(ZERO, UK_BASIC_BAND - self.taxpayer.ordinary_income)
            tax = lower * min(taxable, band) + higher * max(ZERO, taxable - band)
        return taxed(net, ZERO, out, tax + self.taxpayer.state_rate * taxable)


INCLUSION = Decimal("0.5")  # ITA s.38(a)


class CanadaLaw(Law):
    terms = False
    rebuy_days = WINDOW_DAYS
    rule = "Canada's superficial loss rule"
    drops_flagged = True

    def carry(self, year: int, totals: Totals, carried: Carryover) -> Carryover:
        net = totals.taxable
        return Carryover(carried.short - min(net, carried.short))

    def year_tax(self, year: int, totals: Totals, carried: Carryover) -> YearTax:
        net = totals.taxable
        out = self.carry(year, totals, carried)
        after = net if net <= 0 else net - (carried.short - out.short)
        taxable = max(ZERO, after) * INCLUSION
        return taxed(after, ZERO, out, (self.rate() + self.taxpayer.state_rate) * taxable)


class GermanyLaw(Law):
    long_free = True  # EStG s.23(1) no. 2: sold more than a year after it was bought
    def carry(self, year: int, totals: Totals, carried: Carryover) -> Carryover:
        net = totals.taxable
        if net < 0:
            return Carryover(carried.short - net)
        if net < private_sales_limit(year):  # tax-free: nothing carried in is used
            return carried
        return Carryover(carried.short - min(carried.short, net))

    def year_tax(self, year: int, totals: Totals, carried: Carryover) -> YearTax:
        net = totals.taxable
        out = self.carry(year, totals, carried)
        after = net - (carried.short - out.short) if net > 0 else net
        taxable = after if net >= private_sales_limit(year) else ZERO
        return taxed(after, ZERO, out, (self.rate() + self.taxpayer.state_rate) * taxable)


LAWS: Mapping[type[Jurisdiction], type[Law]] = MappingProxyType({
    UnitedStates: UsLaw, UnitedKingdom: UkLaw, Canada: CanadaLaw, Germany: GermanyLaw})


def law_of(jurisdiction: Jurisdiction, taxpayer: Taxpayer, rates: Rates | None = None) -> Law:
    try:
        law = LAWS[type(jurisdiction)]
    except KeyError:
        raise UserInputError(f"taxscan cannot plan under the rules of {jurisdiction.name} "
                             "yet") from None
    return law(jurisdiction, taxpayer, rates)
