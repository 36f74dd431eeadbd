"""The federal tax a year's netted gains add, against computations written out here from
Form 1040's worksheets and the IRS's published schedules (Rev. Proc. 2024-40 for 2025,
Rev. Proc. 2025-32 for 2026), and the other jurisdictions' tax of a year's gains."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from chains.errors import UserInputError
from scanner.tax.harvest import Rates
from scanner.tax.jurisdictions import JURISDICTIONS, US
from scanner.tax.netting import Carryover, net_year
from scanner.tax.plan.brackets import schedule_of
from scanner.tax.plan.law import law_of
from scanner.tax.plan.records import Totals
from scanner.tax.plan.tax import bracket_tax, federal_tax, income_tax
from scanner.tax.taxpayer import FilingStatus, Taxpayer

SINGLE, JOINT, SEPARATE = FilingStatus.SINGLE, FilingStatus.JOINT, FilingStatus.SEPARATE
NOTHING = Carryover()


def us_tax(year: int, short: str, long: str, income: str | None = None,
           status: FilingStatus = SINGLE, carried: Carryover = NOTHING,
           rates: Rates | None = None, state: str = "0") -> D:
    taxpayer = Taxpayer(status, ordinary_income=None if income is None else D(income),
                        state_rate=D(state))
    return law_of(US, taxpayer, rates).year_tax(year, Totals(D(short), D(long)), carried).tax


def test_the_brackets_top_out_where_rev_proc_2024_40_says() -> None:
    brackets = schedule_of(2025).brackets(SINGLE)
    # single 2025: 10% to 11,925, 12% to 48,475
    assert bracket_tax(brackets, D(48475)) == D("11925") * D("0.10") + D(36550) * D("0.12")
    assert bracket_tax(brackets, D(48475)) == D("5578.50")
    # one dollar more is taxed at 22%
    assert bracket_tax(brackets, D(48476)) - bracket_tax(brackets, D(48475)) == D("0.22")
    # 2026 (Rev. Proc. 2025-32): single 12,400 at 10%, to 50,400 at 12%
    assert bracket_tax(schedule_of(2026).brackets(SINGLE), D(50400)) == \
        D(12400) * D("0.10") + D(38000) * D("0.12")


def test_the_issue_example_saves_2400_not_1860() -> None:
    # 10,000 of short-term gain; harvesting 6,000 of long-term and 4,000 of short-term loss
    rates = Rates(D("0.24"), D("0.15"))
    before = us_tax(2025, "10000", "0", rates=rates)
    after = us_tax(2025, "6000", "-6000", rates=rates)
    # Schedule D: line 7 = 6,000, line 15 = -6,000, line 16 = 0: nothing is taxed
    assert (before, after) == (D("2400.00"), D("0.00"))
    # the same at a single filer's 24% bracket (103,350 to 197,300 in 2025)
    assert us_tax(2025, "10000", "0", "150000") == D("2400.00")
    assert us_tax(2025, "6000", "-6000", "150000") == D("0.00")


def test_a_long_term_gain_straddling_the_zero_rate_top() -> None:
    # single 2025, taxable income 40,000 besides a long-term gain of 10,000: the 0% rate
    # runs to 48,350 (Rev. Proc. 2024-40): 8,350 at 0%, 1,650 at 15%
    assert us_tax(2025, "0", "10000", "40000") == D("1650") * D("0.15") == D("247.50")
    # worksheet line by line: line 1 50,000, line 4 10,000, line 5 40,000, line 7 48,350,
    # line 9 8,350, line 17 1,650 at 15%; line 22 the tax on 40,000
    schedule = schedule_of(2025)
    line22 = bracket_tax(schedule.brackets(SINGLE), D(40000))
    assert income_tax(schedule, SINGLE, D(50000), D(10000)) == line22 + D("247.50")


def test_a_joint_filers_short_term_gain_crossing_into_24_percent() -> None:
    # married filing jointly 2025: 22% to 206,700, then 24% (Rev. Proc. 2024-40)
    expected = D(6700) * D("0.22") + D(13300) * D("0.24")
    assert us_tax(2025, "20000", "0", "200000", JOINT) == expected == D("4666.00")


def test_the_20_percent_rate_and_the_niit() -> None:
    # single 2025, 530,000 besides a 10,000 long-term gain: 15% to 533,400, then 20%;
    # NIIT (IRC 1411): 3.8% of the smaller of the gain and MAGI above 200,000
    capital = D(3400) * D("0.15") + D(6600) * D("0.20")
    niit = D("0.038") * min(D(10000), D(540000) - D(200000))
    assert us_tax(2025, "0", "10000", "530000") == capital + niit == D("2210.00")
    # below the NIIT threshold only the part above it is taxed: 190,000 + 30,000
    niit = D("0.038") * min(D(30000), D(220000) - D(200000))
    assert us_tax(2025, "0", "30000", "190000") == D(30000) * D("0.15") + niit == D("5260.00")


def test_a_net_loss_lowers_the_tax_on_other_income_by_the_deduction_only() -> None:
    # single 2025 at 22% (48,475 to 103,350): a 5,000 net loss deducts 3,000 (IRC 1211(b))
    assert us_tax(2025, "-5000", "0", "60000") == D(-3000) * D("0.22") == D("-660.00")
    # married filing separately: 1,500
    assert us_tax(2025, "-5000", "0", "60000", SEPARATE) == D(-1500) * D("0.22")


def test_no_income_deducts_nothing_and_carries_the_whole_loss() -> None:
    # the Capital Loss Carryover Worksheet: line 1 = 0 - 3,000, line 3 = 0: nothing used
    law = law_of(US, Taxpayer(ordinary_income=D(0)))
    year = law.year_tax(2025, Totals(D(-5000)), Carryover())
    assert year.tax == D("0.00")
    assert year.carryover_out == Carryover(D(5000), D(0))


def test_a_state_rate_applies_to_what_the_gains_add() -> None:
    assert us_tax(2025, "10000", "0", "150000", state="0.05") == D("2400.00") + D("500.00")
    assert us_tax(2025, "-5000", "0", "150000", state="0.05") == D("-720.00") - D("150.00")


def test_federal_tax_matches_the_netting() -> None:
    netting = net_year(2025, D(4000), D(-1000), Carryover(D(0), D(500)))
    # line 7 = 4,000, line 15 = -1,500, line 16 = 2,500: ordinary (no net capital gain)
    assert federal_tax(schedule_of(2025), SINGLE, D(60000), netting) == D(2500) * D("0.22")


def test_an_unknown_year_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(UserInputError, match=r"brackets of 2027 are not known to taxscan "
                                             r"\(known: 2023, 2024, 2025, 2026\)"):
        us_tax(2027, "100", "0", "50000")
    # explicit rates price any year
    assert us_tax(2027, "100", "0", rates=Rates(D("0.3"), D("0.2"))) == D("30.00")


def test_without_income_or_rates_the_us_plan_asks_for_them() -> None:
    with pytest.raises(UserInputError, match="--ordinary-income"):
        us_tax(2025, "100", "0")


def uk_tax(year: int, gain: str, income: str | None, carried: str = "0") -> tuple[D, D]:
    law = law_of(JURISDICTIONS["uk"], Taxpayer(
        ordinary_income=None if income is None else D(income)))
    result = law.year_tax(year, Totals(D(gain)), Carryover(D(carried)))
    return result.tax, result.carryover_out.short


def test_the_uk_taxes_above_the_exempt_amount_by_the_unused_band() -> None:
    # 2025 to 2026: exempt 3,000 (TCGA 1992 s.1K); 18% within the basic rate band of
    # 37,700 left unused by 30,000 of taxable income, 24% above (s.1H)
    assert uk_tax(2025, "16000", "30000") == (D(7700) * D("0.18") + D(5300) * D("0.24"), D(0))
    # losses brought forward bring the gain down to the exempt amount only (s.2A)
    assert uk_tax(2025, "5000", "30000", carried="4000") == (D(0), D(2000))
    # 2023 to 2024: 6,000 exempt, 10% and 20%
    assert uk_tax(2023, "16000", "30000")[0] == D(7700) * D("0.10") + D(2300) * D("0.20")
    with pytest.raises(UserInputError, match="2024 to 2025 are not known"):
        uk_tax(2024, "16000", "30000")


def test_canada_taxes_half_the_net_gain_at_the_marginal_rate() -> None:
    law = law_of(JURISDICTIONS["ca"], Taxpayer(), Rates(D("0.30"), D("0.30")))
    # ITA s.38(a): half of 10,000, at 30%; a net capital loss of other years first
    assert law.year_tax(2025, Totals(D(10000)), Carryover()).tax == D("1500.00")
    year = law.year_tax(2025, Totals(D(10000)), Carryover(D(4000)))
    assert (year.tax, year.carryover_out) == (D(3000) * D("0.30"), Carryover())
    with pytest.raises(UserInputError, match="--short-rate"):
        law_of(JURISDICTIONS["ca"], Taxpayer()).year_tax(2025, Totals(D(1)), Carryover())


def test_germany_taxes_nothing_below_the_freigrenze_and_all_of_it_at_it() -> None:
    law = law_of(JURISDICTIONS["de"], Taxpayer(), Rates(D("0.42"), D("0.42")))
    # EStG s.23(3) sentence 5: 1,000 EUR from 2024
    assert law.year_tax(2025, Totals(D("999.99")), Carryover()).tax == D(0)
    assert law.year_tax(2025, Totals(D(1000)), Carryover()).tax == D("420.00")
    # sales after a year are tax-free
    assert law.year_tax(2025, Totals(D(0), free=D(5000)), Carryover()).tax == D(0)
