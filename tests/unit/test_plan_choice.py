"""The choice of lots (pure): against answers worked out here by hand or by trying every
choice, and the plan's own figures through Schedule D at the 2025 single brackets (Rev.
Proc. 2024-40)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from scanner.ledger.records import Kind
from scanner.tax.harvest import Rates
from scanner.tax.jurisdictions import US
from scanner.tax.netting import Carryover
from scanner.tax.plan.candidates import Group, groups_of
from scanner.tax.plan.law import law_of
from scanner.tax.plan.optimizer import Chooser, Figures, Tally
from scanner.tax.plan.planner import Asked, Setting, make
from scanner.tax.plan.records import Candidate, Totals
from scanner.tax.records import Lot, Term
from scanner.tax.taxpayer import Taxpayer

WALLET = "0x" + "aa" * 20


def candidate(n: int, basis: str, value: str, *, asset: str = "", wallet: str = WALLET,
              acquired: datetime = datetime(2025, 2, 1, tzinfo=UTC),
              term: Term = Term.SHORT) -> Candidate:
    token = asset or f"eip155:1/erc20:0x{n:040x}"
    lot = Lot(f"lot{n:03d}", wallet, token, f"T{n}", acquired, D(1), D(basis), f"0x{n:064x}",
              "log:0", Kind.TRADE)
    return Candidate(lot, (wallet, token), 1, D(value), D(1), D(value), D(basis), term, False,
                     False)


def test_a_fifo_sale_takes_its_lots_in_order_and_the_search_finds_the_best_prefix() -> None:
    # 12 sales of 2 lots each: 3^12 choices, too many to try one by one. The net saving is
    # the sum of what each lot saves less 1 of gas a sale: the best choice takes, in each
    # sale, the prefix of largest net saving (nothing when none is positive).
    found: list[Candidate] = []
    for g in range(12):
        token = f"eip155:1/erc20:0x{g + 1:040x}"
        first, second = [(-5, 30), (20, -3), (-30, 10), (4, 4)][g % 4]
        acquired = datetime(2025, 1, 1 + g, tzinfo=UTC)
        found += [candidate(2 * g, "100", str(100 + first), asset=token, acquired=acquired),
                  candidate(2 * g + 1, "100", str(100 + second), asset=token,
                            acquired=acquired.replace(month=2))]
    groups = groups_of(found, "fifo")

    # the tally: the gains, and 1 of gas a sale
    figures = Figures((D(0), D(0)), lambda c: (c.gain, D(0)), lambda c: (D(0), D(1)),
                      lambda t: t[0] - t[1], lambda t: D(0))
    chooser = Chooser(found, groups, figures, D(0))
    assert chooser.count() > 1024
    best = {}
    for group in groups:
        gains = [found[n].gain for n in group.members]
        prefixes = [sum(gains[:k], D(0)) - (1 if k else 0) for k in range(3)]
        best[group.members] = max(range(3), key=lambda k: (prefixes[k], -k))
    expected = {n for members, k in best.items() for n in members[:k]}
    assert chooser.choose() == expected


def test_specific_identification_may_take_any_lots_and_drops_those_that_save_too_little(
        ) -> None:
    found = [candidate(1, "100", "130", asset="eip155:1/erc20:0x" + "11" * 20),
             candidate(2, "100", "90", asset="eip155:1/erc20:0x" + "11" * 20),
             candidate(3, "100", "99.50", asset="eip155:1/erc20:0x" + "11" * 20)]
    groups = [Group((0, 1, 2), True)]

    figures = Figures((D(0),), lambda c: (c.gain,), lambda c: (D(0),),
                      lambda t: -t[0] * D("0.2"), lambda t: D(0))  # a loss saves 20% of it

    # lot 1 (a gain) is left, lot 2 saves 2.00, lot 3 saves 0.10: below the 1.00 asked
    assert Chooser(found, groups, figures, D(1)).choose() == {1}
    # FIFO would have to sell lot 1 first: 6.00 of tax for 2.00 saved: nothing is sold
    fifo = [Group((0, 1, 2), False)]
    assert Chooser(found, fifo, figures, D(1)).choose() == frozenset()


def test_every_choice_tried_agrees_with_a_brute_force_under_schedule_d() -> None:
    # short-term gains of 10,000 realized; single, 150,000 besides (24%; long-term 15%)
    law = law_of(US, Taxpayer(ordinary_income=D(150000)))
    found = [candidate(1, "5000", "1000"), candidate(2, "3000", "3500"),
             candidate(3, "10000", "4000", term=Term.LONG), candidate(4, "2000", "2300"),
             candidate(5, "800", "100", term=Term.LONG)]
    groups = groups_of(found, "specific")

    def tax(chosen: Sequence[Candidate]) -> D:
        return law.year_tax(2025, Totals(D(10000)) + sum((c.totals() for c in chosen),
                                                         Totals()), Carryover()).tax

    def value(chosen: Sequence[Candidate]) -> D:
        return tax([]) - tax(chosen)

    def saved(t: Tally) -> D:
        return law.year_tax(2025, Totals(D(10000)), Carryover()).tax \
            - law.year_tax(2025, Totals(D(10000)) + Totals(*t), Carryover()).tax

    def totals(c: Candidate) -> Tally:
        return c.totals().short, c.totals().long, c.totals().free

    figures = Figures((D(0),) * 3, totals, lambda c: (D(0),) * 3, saved, lambda t: D(0))
    picked = Chooser(found, groups, figures, D(1)).choose()
    every = [frozenset(c) for k in range(6) for c in itertools.combinations(range(5), k)]
    best = max(value([found[n] for n in c]) for c in every)
    # the three losses (4,000 + 6,000 + 700 = 10,700) cover the 10,000 (2,400) and deduct
    # 700 more from other income (IRC 1211(b)) at 24%: 168; the gains are kept
    assert value([found[n] for n in sorted(picked)]) == best == D("2400") + D("168")
    assert picked == {0, 2, 4}


def test_split_sells_only_the_part_of_a_loss_that_saves_this_year() -> None:
    # single, 60,000 besides (22%), nothing realized: a 10,000 loss deducts 3,000 (660)
    # and carries 7,000; 3/10 of the lot deducts the same 3,000
    law = law_of(US, Taxpayer(ordinary_income=D(60000)))
    lot = candidate(1, "12000", "2000")
    setting = Setting(law, "fifo", 2025, "2025", "USD", UTC,
                      datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), date(2025, 12, 31),
                      date(2025, 11, 15), Totals(), Carryover(), (lot,), {}, lambda a: a)
    whole = make(setting, Asked())
    assert (whole.summary.tax_saved, whole.summary.carryover_out) == (D("660.00"), D(7000))
    part = make(setting, Asked(split=True))
    (sale,) = part.sales
    assert (sale.candidate.quantity, sale.candidate.gain) == (D("0.3"), D("-3000.00"))
    assert (part.summary.tax_saved, part.summary.carryover_out) == (D("660.00"), D(0))


def test_a_sale_of_20000_lots_takes_the_shortest_prefix_that_saves_most() -> None:
    # One asset's 20,000 lots, FIFO, all short-term at no gain but four: lot 4,999 a loss of
    # 1,500, lot 9,999 a gain of 1,000, lot 14,999 a loss of 4,000, lot 19,999 a gain of
    # 100. The year realized 2,000 of short-term gain; 37% on ordinary income, a net loss
    # deducts at most 3,000 (IRC 1211(b)); 5 of gas a sale. Taking the first k lots:
    #   k < 5,000: net 2,000, tax 740         k 5,000 to 9,999: net 500, tax 185
    #   k 10,000 to 14,999: net 1,500, 555    k 15,000 to 19,999: net -2,500, tax -925
    #   k = 20,000: net -2,400, tax -888
    # The most saved is 740 + 925 = 1,665 (less 5 of gas), first at k = 15,000.
    start = datetime(2025, 1, 2, tzinfo=UTC)
    moved = {4999: "-1500", 9999: "1000", 14999: "-4000", 19999: "100"}
    found = tuple(candidate(n, "10", str(10 + D(moved.get(n, "0"))), asset="eip155:1/erc20:0x"
                            + "cc" * 20, acquired=start + timedelta(minutes=n))
                  for n in range(20000))
    law = law_of(US, Taxpayer(), Rates(D("0.37"), D("0.2")))
    setting = Setting(law, "fifo", 2025, "2025", "USD", UTC,
                      datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), date(2025, 12, 31),
                      date(2025, 11, 15), Totals(D(2000)), Carryover(), found, {1: D(5)},
                      lambda a: a)
    plan = make(setting, Asked())
    assert [s.candidate.lot.lot_id for s in plan.sales] == [c.lot.lot_id for c in found[:15000]]
    assert (plan.summary.tax_before, plan.summary.tax_after) == (D("740.00"), D("-925.00"))
    assert (plan.summary.gas, plan.summary.net_saved) == (D(5), D("1660.00"))


def test_sales_of_equal_figures_go_to_the_lowest_candidates() -> None:
    # Three sales of 11 lots (12^3 choices: searched). Selling the first 7 lots of sale A
    # (its lots 10 down to 0 in the method's order) or of sale B (11 up to 21) realizes a
    # loss of 10; sale C has none. The saving stops at 10 and each sale costs 1: one of A
    # and B is sold, the same saving, lots and loss: A's lots 4 to 10 come before B's 11
    # to 17.
    found = [candidate(n, "100", "90" if n in (4, 17) else "100",
                       asset=f"eip155:1/erc20:0x{g:040x}")
             for g, ns in enumerate((range(11), range(11, 22), range(22, 33))) for n in ns]
    groups = [Group(tuple(range(10, -1, -1)), False), Group(tuple(range(11, 22)), False),
              Group(tuple(range(22, 33)), False)]
    figures = Figures((D(0), D(0)), lambda c: (c.gain, D(0)), lambda c: (D(0), D(1)),
                      lambda t: min(-t[0], D(10)) - t[1], lambda t: D(0))
    chooser = Chooser(found, groups, figures, D(1))
    assert chooser.count() > 1024
    assert chooser.choose() == frozenset(range(4, 11))
