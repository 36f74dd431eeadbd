"""HMRC's matching (scanner.jurisdictions.uk_pools.UkPools), driven step by step with
hand-computed figures in the style of HMRC's worked examples (CRYPTO22200 onwards)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.ledger.records import Kind
from scanner.money import split_usd
from scanner.tax.jurisdictions.uk_pools import UkPools, split_quantity
from scanner.tax.matching import OpenLot
from scanner.tax.records import Disposal
from tests.unit.builders import ETH, OTHER, TKN, WALLET, day, leg

POOL = f"pool:{TKN}"
D = Decimal


def lot(n: int, when: datetime, quantity: str, cost: str | None, *, asset: str = TKN,
        wallet: str = WALLET) -> OpenLot:
    return OpenLot(f"lot{n}", n, wallet, asset, "TKN", when, D(quantity),
                   None if cost is None else D(cost), f"0xbuy{n}", "log:0", Kind.TRADE)


def sell(matcher: UkPools, when: datetime, quantity: str, proceeds: str | None, *,
         asset: str = TKN, wallet: str = WALLET, kind: Kind = Kind.TRADE) -> None:
    entry = leg(when, kind, asset, f"-{quantity}", proceeds, wallet=wallet)
    matcher.dispose(entry, D(quantity), None if proceeds is None else D(proceeds), kind)


def rows(matcher: UkPools) -> list[tuple[str, str | None, Decimal, Decimal | None,
                                         Decimal | None]]:
    """(rule, lot, quantity, proceeds, cost) of each disposal row, in order."""
    return [(d.rule, d.lot_id, d.quantity, d.proceeds_usd, d.cost_basis_usd)
            for d in matcher.result().disposals]


def test_the_pool_averages_the_cost_of_several_buys() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    m.acquire(lot(2, day(2023, 6, 1), "50", "125000"))
    sell(m, day(2023, 9, 1), "50", "300000")
    m.acquire(lot(3, day(2023, 11, 1), "30", "9000"))  # more than 30 days later
    sell(m, day(2024, 1, 10), "65", "100000")
    # pool 150 for 126,000: 50 cost 42,000; then 100 for 84,000 + 30 for 9,000 = 130 for
    # 93,000: 65 cost 46,500
    assert rows(m) == [("section-104", POOL, 50, 300000, 42000),
                       ("section-104", POOL, 65, 100000, 46500)]
    (held,) = m.result().open_lots
    assert (held.lot_id, held.quantity, held.cost_basis_usd) == (POOL, 65, 46500)
    assert held.acquired == day(2023, 1, 1) and held.wallet == "" and held.origin_leg == "pool"
    assert [d.gain_usd for d in m.result().disposals] == [258000, 53500]
    assert all(d.acquired is None and d.term is None for d in m.result().disposals)


def test_same_day_acquisitions_are_matched_first_and_the_rest_joins_the_pool() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    m.acquire(lot(2, day(2023, 2, 1, 10), "50", "600"))
    sell(m, day(2023, 2, 1, 15), "30", "450")
    sell(m, day(2023, 3, 1), "60", "900")
    (same_day, pooled) = m.result().disposals
    assert (same_day.rule, same_day.lot_id, same_day.quantity) == ("same-day", "lot2", 30)
    assert (same_day.cost_basis_usd, same_day.proceeds_usd) == (360, 450)
    assert same_day.acquired == day(2023, 2, 1, 10)
    # the pool: 100 for 1,000 and the 20 left of the same-day buy for 240: 120 for 1,240
    assert (pooled.rule, pooled.quantity, pooled.cost_basis_usd) == ("section-104", 60, 620)


def test_a_partial_same_day_match_takes_the_rest_from_the_pool() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "120", "1240"))
    sell(m, day(2023, 3, 1, 9), "80", "1600")
    m.acquire(lot(2, day(2023, 3, 1, 18), "20", "500"))  # later the same day
    assert rows(m) == [("same-day", "lot2", 20, 400, 500),
                       ("section-104", POOL, 60, 1200, 620)]
    # the acquisition came after the sale, and the row says when
    assert m.result().disposals[0].acquired == day(2023, 3, 1, 18)
    (held,) = m.result().open_lots
    assert (held.quantity, held.cost_basis_usd) == (60, 620)


def test_a_days_disposals_and_acquisitions_are_shared_pro_rata() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 5, 2, 9), "10", "100"))
    m.acquire(lot(2, day(2023, 5, 2, 10), "30", "600"))
    sell(m, day(2023, 5, 2, 11), "8", "200")
    sell(m, day(2023, 5, 2, 12), "12", "240")
    # 20 sold against 40 bought: 5 of lot1 (cost 50) and 15 of lot2 (cost 300), each
    # shared 8:12 between the two sales
    assert rows(m) == [("same-day", "lot1", 2, 50, 20), ("same-day", "lot2", 6, 150, 120),
                       ("same-day", "lot1", 3, 60, 30), ("same-day", "lot2", 9, 180, 180)]
    (held,) = m.result().open_lots
    assert (held.quantity, held.cost_basis_usd, held.acquired) == (20, 350, day(2023, 5, 2, 9))


def test_bed_and_breakfast_matches_rebuys_within_30_days_earliest_first() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 5), "1000", "10000"))
    sell(m, day(2023, 3, 1), "500", "8000")
    m.acquire(lot(2, day(2023, 3, 20), "200", "3000"))
    m.acquire(lot(3, day(2023, 3, 31), "400", "8000"))  # day 30: still matched
    sell(m, day(2023, 6, 1), "550", "7000")
    first, second, later = m.result().disposals
    assert (first.rule, first.lot_id, first.quantity) == ("bed-and-breakfast", "lot2", 200)
    assert (first.proceeds_usd, first.cost_basis_usd) == (3200, 3000)
    assert (second.rule, second.lot_id, second.quantity) == ("bed-and-breakfast", "lot3", 300)
    assert (second.proceeds_usd, second.cost_basis_usd) == (4800, 6000)
    assert first.acquired == day(2023, 3, 20) and first.gain_usd == 200 and second.gain_usd == -1200
    # the pool: 1,000 for 10,000 and the 100 left of lot3 for 2,000: 1,100 for 12,000
    assert (later.rule, later.quantity, later.cost_basis_usd) == ("section-104", 550, 6000)


def test_a_rebuy_on_day_31_goes_to_the_pool() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 5), "1000", "10000"))
    sell(m, day(2023, 3, 1), "500", "8000")
    m.acquire(lot(2, day(2023, 3, 20), "200", "3000"))
    m.acquire(lot(3, day(2023, 4, 1), "400", "6000"))  # day 31
    sell(m, day(2023, 5, 1), "100", "1000")
    assert rows(m) == [("bed-and-breakfast", "lot2", 200, 3200, 3000),
                       ("section-104", POOL, 300, 4800, 3000),
                       # 700 for 7,000 and 400 for 6,000: 1,100 for 13,000
                       ("section-104", POOL, 100, 1000, D("1181.8181818182"))]
    (held,) = m.result().open_lots
    assert (held.quantity, held.cost_basis_usd) == (1000, D("11818.1818181818"))


def test_an_earlier_disposal_takes_a_rebuy_first_and_same_day_comes_before_it() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "1000", "1000"))
    sell(m, day(2023, 3, 1), "100", "500")
    sell(m, day(2023, 3, 6), "100", "600")
    m.acquire(lot(2, day(2023, 3, 10), "160", "1600"))
    sell(m, day(2023, 3, 10, 15), "20", "100")  # same day as lot2: matched with it first
    assert rows(m) == [("bed-and-breakfast", "lot2", 100, 500, 1000),
                       ("bed-and-breakfast", "lot2", 40, 240, 400),
                       ("section-104", POOL, 60, 360, 60),
                       ("same-day", "lot2", 20, 100, 200)]
    (held,) = m.result().open_lots
    assert (held.quantity, held.cost_basis_usd) == (940, 940)


def test_a_day_of_several_disposals_is_one_disposal_for_the_30_day_rule() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "100", "100"))
    sell(m, day(2023, 3, 1, 9), "30", "300")
    sell(m, day(2023, 3, 1, 16), "10", "200")
    m.acquire(lot(2, day(2023, 3, 5), "20", "400"))
    # 40 sold that day: 20 rebought (cost 400), 20 from the pool (cost 20), shared 3:1
    assert rows(m) == [("bed-and-breakfast", "lot2", 15, 150, 300),
                       ("section-104", POOL, 15, 150, 15),
                       ("bed-and-breakfast", "lot2", 5, 100, 100),
                       ("section-104", POOL, 5, 100, 5)]


def test_unknown_basis_makes_the_pool_unknown_until_it_is_empty() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100"))
    m.acquire(lot(2, day(2023, 1, 2), "10", None))
    sell(m, day(2023, 2, 1), "5", "80")
    sell(m, day(2023, 3, 1), "15", "240")  # empties the pool
    m.acquire(lot(3, day(2023, 4, 1), "10", "200"))
    sell(m, day(2023, 5, 1), "4", "100")
    sell(m, day(2023, 6, 1), "2", "50")
    m.acquire(lot(4, day(2023, 6, 10), "2", None))  # a 30-day match with unknown basis
    assert rows(m) == [("section-104", POOL, 5, 80, None), ("section-104", POOL, 15, 240, None),
                       ("section-104", POOL, 4, 100, 80), ("bed-and-breakfast", "lot4", 2, 50,
                                                           None)]
    assert [d.gain_usd for d in m.result().disposals] == [None, None, 20, None]
    (held,) = m.result().open_lots
    assert (held.quantity, held.cost_basis_usd, held.acquired) == (6, 120, day(2023, 4, 1))


def test_what_nothing_covers_has_no_lot_and_unknown_basis_not_zero() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100"))
    sell(m, day(2023, 2, 1), "15", "300")
    covered, uncovered = m.result().disposals
    assert (covered.rule, covered.quantity, covered.proceeds_usd, covered.cost_basis_usd) == \
        ("section-104", 10, 200, 100)
    assert (uncovered.lot_id, uncovered.acquired, uncovered.cost_basis_usd) == (None, None, None)
    assert (uncovered.quantity, uncovered.proceeds_usd, uncovered.gain_usd) == (5, 100, None)
    assert m.result().open_lots == ()


def test_a_transfer_out_leaves_the_pool_at_average_cost_without_a_row() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100"))
    m.remove(leg(day(2023, 1, 15), Kind.TRANSFER_OUT, TKN, "-4", None), D(4))
    sell(m, day(2023, 2, 1), "3", "90")
    assert rows(m) == [("section-104", POOL, 3, 90, 30)]
    (held,) = m.result().open_lots
    assert (held.quantity, held.cost_basis_usd) == (3, 30)


def test_wallets_share_one_pool_and_own_transfers_change_nothing() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100", wallet=WALLET))
    moving = leg(day(2023, 1, 5), Kind.SELF_TRANSFER, TKN, "-4", None, tx="0x" + "cd" * 32)
    m.send_own(moving, D(4))
    arriving = leg(day(2023, 1, 5), Kind.SELF_TRANSFER, TKN, "4", None, tx="0x" + "cd" * 32,
                   wallet=OTHER)
    assert m.receive_own(arriving)
    assert not m.receive_own(leg(day(2023, 1, 6), Kind.SELF_TRANSFER, TKN, "4", None,
                                 tx="0x" + "ef" * 32, wallet=OTHER))
    m.start_year(2024)
    sell(m, day(2024, 2, 1), "4", "80", wallet=OTHER, kind=Kind.FEE)
    (disposal,) = m.result().disposals
    assert (disposal.wallet, disposal.kind, disposal.cost_basis_usd) == (OTHER, Kind.FEE, 40)


def test_unknown_proceeds_stay_unknown_and_assets_are_matched_apart() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100"))
    m.acquire(lot(2, day(2023, 1, 1), "1", "1500", asset=ETH))
    sell(m, day(2023, 1, 1, 18), "2", None, asset=ETH)
    sell(m, day(2023, 2, 1), "5", None)
    same_day, uncovered, pooled = m.result().disposals
    assert (same_day.asset, same_day.rule, same_day.quantity, same_day.proceeds_usd) == \
        (ETH, "same-day", 1, None)
    assert (uncovered.asset, uncovered.lot_id, uncovered.quantity) == (ETH, None, 1)
    assert (pooled.asset, pooled.cost_basis_usd, pooled.proceeds_usd) == (TKN, 50, None)
    assert [lot.asset for lot in m.result().open_lots] == [TKN]


def test_a_same_day_match_costs_its_exact_fraction_of_the_days_cost() -> None:
    # one day: 108e-8 bought for 13,185.18 in ten lots (one of 1e-8 for 13,185.09), 1e-8
    # sold: the match is 1/108 of the day's cost, 122.085 exactly, and the pool the rest.
    # Each lot gives 1/108 of itself; its share of quantity is rounded to 1e-18, and
    # costing it from that share was 5.372e-7 off (the lot's token costs 1.3e12).
    m = UkPools()
    units = [1, 1, 99, 1, 1, 1, 1, 1, 1, 1]
    for n, unit in enumerate(units[:5], 1):
        m.acquire(lot(n, day(2021, 3, 1, n), f"{unit}E-8", "0.01"))
    sell(m, day(2021, 3, 1, 6), "1E-8", "0.01")
    for n, unit in enumerate(units[5:], 7):
        cost = "13185.09" if n == 11 else "0.01"
        m.acquire(lot(n, day(2021, 3, 1, n), f"{unit}E-8", cost))
    disposals = m.result().disposals
    assert [d.rule for d in disposals] == ["same-day"] * 10
    assert sum(d.quantity for d in disposals) == D("1E-8")
    assert sum(d.cost_basis_usd or 0 for d in disposals) == D("122.085")
    (expensive,) = [d.cost_basis_usd for d in disposals if d.lot_id == "lot11"]
    assert expensive is not None and abs(expensive - D("13185.09") / 108) <= D("1e-10")
    (held,) = m.result().open_lots
    assert (held.quantity, held.cost_basis_usd) == (D("107E-8"), D("13063.095"))


def test_a_days_disposals_take_exact_fractions_of_proceeds_and_cost() -> None:
    # 5e-8 sold for 0.06, then 1e-8 for 13,185.09; 1e-8 bought that day for 13,185.06, the
    # rest from a pool of 1e-6 for 100. Each sale takes 1/6 of its quantity from the
    # same-day buy and 5/6 from the pool, and so those fractions of its proceeds, and the
    # portions' costs go 5:1 between the sales. The parts of quantity are rounded to 1e-18
    # (1/6 of 1e-8 is 1.666666667e-9); proceeds and costs are not shared by them.
    m = UkPools()
    m.acquire(lot(1, day(2021, 1, 4), "1E-6", "100"))
    sell(m, day(2021, 3, 1, 9), "5E-8", "0.06")
    sell(m, day(2021, 3, 1, 10), "1E-8", "13185.09")
    m.acquire(lot(2, day(2021, 3, 1, 11), "1E-8", "13185.06"))
    assert rows(m) == [
        ("same-day", "lot2", D("8.333333333E-9"), D("0.01"), D("10987.55")),
        ("section-104", POOL, D("4.1666666667E-8"), D("0.05"), D("4.1666666667")),
        ("same-day", "lot2", D("1.666666667E-9"), D("2197.515"), D("2197.51")),
        ("section-104", POOL, D("8.333333333E-9"), D("10987.575"), D("0.8333333333"))]


def test_proceeds_shares_add_up_exactly() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "3", "10"))
    sell(m, day(2023, 1, 20), "3", "100")
    m.acquire(lot(2, day(2023, 1, 25), "1", "7"))
    disposals = m.result().disposals
    assert [d.quantity for d in disposals] == [1, 2]
    assert [d.proceeds_usd for d in disposals] == [D("33.3333333333"), D("66.6666666667")]
    assert [d.cost_basis_usd for d in disposals] == [7, D("6.6666666667")]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**27), st.lists(st.integers(1, 10**27), min_size=1, max_size=6),
       st.integers(0, 30), st.integers(0, 30))
def test_splits_add_up_and_never_exceed_a_weight(total: int, weights: list[int], places: int,
                                                 weight_places: int) -> None:
    parts = [D(w).scaleb(-weight_places) for w in weights]
    amount = min(D(total).scaleb(-places), sum(parts, D(0)))
    shares = split_quantity(amount, parts)
    assert sum(shares, D(0)) == amount
    assert all(D(0) <= share <= part for share, part in zip(shares, parts, strict=True))
    money = split_usd(D(total).scaleb(-places) / 7, parts)
    assert sum(s for s in money if s is not None) == \
        split_usd(D(total).scaleb(-places) / 7, [D(1)])[0]
    assert all(s is not None and s >= 0 for s in money)


def test_result_can_be_asked_for_twice() -> None:
    m = UkPools()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100"))
    sell(m, day(2023, 1, 1, 15), "4", "80")
    first = m.result()
    assert m.result() == first
    assert all(isinstance(d, Disposal) for d in first.disposals)
