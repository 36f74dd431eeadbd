"""Canada's adjusted cost base and superficial losses (scanner.jurisdictions.ca_acb.CanadaAcb),
driven step by step with hand-computed figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from scanner.ledger.records import Kind
from scanner.tax.jurisdictions.ca_acb import CanadaAcb
from scanner.tax.matching import OpenLot
from tests.unit.builders import OTHER, TKN, WALLET, day, leg

POOL = f"pool:{TKN}"
D = Decimal


def lot(n: int, when: datetime, quantity: str, cost: str | None, *,
        wallet: str = WALLET) -> OpenLot:
    return OpenLot(f"lot{n}", n, wallet, TKN, "TKN", when, D(quantity),
                   None if cost is None else D(cost), f"0xbuy{n}", "log:0", Kind.TRADE)


def sell(matcher: CanadaAcb, when: datetime, quantity: str, proceeds: str | None, *,
         wallet: str = WALLET) -> None:
    entry = leg(when, Kind.TRADE, TKN, f"-{quantity}", proceeds, wallet=wallet)
    matcher.dispose(entry, D(quantity), None if proceeds is None else D(proceeds), Kind.TRADE)


def rows(matcher: CanadaAcb) -> list[tuple[str, Decimal, Decimal | None, Decimal | None,
                                           Decimal, Decimal | None]]:
    """(rule, quantity, proceeds, cost, disallowed loss, gain) of each row, in order."""
    return [(d.rule, d.quantity, d.proceeds_usd, d.cost_basis_usd, d.disallowed_loss_usd,
             d.gain_usd) for d in matcher.result().disposals]


def held(matcher: CanadaAcb) -> tuple[Decimal, Decimal | None, datetime] | None:
    lots = matcher.result().open_lots
    if not lots:
        return None
    (pool,) = lots
    assert (pool.lot_id, pool.wallet, pool.origin_leg) == (POOL, "", "pool")
    return pool.quantity, pool.cost_basis_usd, pool.acquired


def test_a_plain_acb_sequence() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "10", "1000"))
    m.acquire(lot(2, day(2023, 2, 1), "10", "3000"))
    sell(m, day(2023, 3, 15), "5", "1500")  # ACB 4,000 for 20: 1,000 for 5
    m.acquire(lot(3, day(2023, 5, 1), "5", "1001"))  # 15 for 3,000 + 5 for 1,001
    sell(m, day(2023, 6, 20), "3", "900")  # 4,001 x 3 / 20
    assert rows(m) == [("acb", 5, 1500, 1000, 0, 500), ("acb", 3, 900, D("600.15"), 0,
                                                          D("299.85"))]
    assert held(m) == (17, D("3400.85"), day(2023, 1, 1))
    assert all(d.lot_id == POOL and d.acquired is None and d.term is None
               for d in m.result().disposals)


def test_a_superficial_loss_with_a_rebuy_after_joins_the_rebuys_acb() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    sell(m, day(2023, 6, 1), "100", "600")
    m.acquire(lot(2, day(2023, 6, 15), "100", "700"))
    assert held(m) == (100, 1100, day(2023, 6, 15))
    sell(m, day(2023, 9, 1), "100", "1200")
    assert rows(m) == [("superficial-loss", 100, 600, 1000, 400, 0),
                       ("acb", 100, 1200, 1100, 0, 100)]


def test_a_superficial_loss_with_a_rebuy_before_raises_the_next_disposals_basis() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    m.acquire(lot(2, day(2023, 5, 20), "100", "800"))
    sell(m, day(2023, 6, 1), "100", "500")  # ACB 1,800 for 200: basis 900, loss 400
    assert held(m) == (100, 1300, day(2023, 1, 1))  # 900 + 400 denied
    sell(m, day(2023, 9, 1), "100", "1400")
    assert rows(m) == [("superficial-loss", 100, 500, 900, 400, 0),
                       ("acb", 100, 1400, 1300, 0, 100)]


def test_rebuying_fewer_units_denies_part_of_the_loss() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    sell(m, day(2023, 6, 1), "100", "600")
    m.acquire(lot(2, day(2023, 6, 10), "25", "200"))  # 25 of 100: a quarter of 400
    assert rows(m) == [("superficial-loss", 100, 600, 1000, 100, -300)]
    assert held(m) == (25, 300, day(2023, 6, 10))


def test_only_what_is_still_held_at_the_end_of_the_period_counts() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    m.acquire(lot(2, day(2023, 5, 25), "60", "480"))
    sell(m, day(2023, 6, 1), "100", "500")
    sell(m, day(2023, 6, 10), "40", "320")
    # 1: ACB 1,480 for 160, basis 925, loss 425; 60 bought in the period, 20 held on July 1:
    #    20/100 of it denied (85), added now: 60 for 555 + 85 = 640
    # 2: basis 640 x 40/60 = 426.6666666667, loss 106.6666666667; 20 held on July 10:
    #    20/40 of it denied: 53.33333333335, to even 53.3333333334
    assert rows(m) == [
        ("superficial-loss", 100, 500, 925, 85, -340),
        ("superficial-loss", 40, 320, D("426.6666666667"), D("53.3333333334"),
         D("-53.3333333333"))]
    assert held(m) == (20, D("266.6666666667"), day(2023, 1, 1))


def test_a_loss_without_a_rebuy_is_allowed() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    sell(m, day(2023, 6, 1), "50", "300")
    assert rows(m) == [("acb", 50, 300, 500, 0, -200)]


def test_a_rebuy_sold_again_within_the_period_leaves_the_loss_allowed() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    sell(m, day(2023, 6, 1), "100", "600")
    m.acquire(lot(2, day(2023, 6, 10), "100", "700"))
    sell(m, day(2023, 6, 20), "100", "750")  # nothing held on July 1
    assert rows(m) == [("acb", 100, 600, 1000, 0, -400), ("acb", 100, 750, 700, 0, 50)]
    assert held(m) is None


def test_a_transfer_out_within_the_period_leaves_nothing_held() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    sell(m, day(2023, 6, 1), "50", "300")
    m.acquire(lot(2, day(2023, 6, 5), "50", "250"))
    m.remove(leg(day(2023, 6, 20), Kind.TRANSFER_OUT, TKN, "-100", None), D(100))
    assert rows(m) == [("acb", 50, 300, 500, 0, -200)]
    assert held(m) is None


def test_the_period_runs_30_days_each_way_both_ends_included() -> None:
    # ITA s.54 "superficial loss": the period begins 30 days before the disposition and
    # ends 30 days after it, in calendar days: a sale any time on the 30th day after the
    # purchase is within it, one on the 31st is not
    bought = day(2023, 5, 2)
    for gap, denied in ((timedelta(days=30), D(200)), (timedelta(days=30, hours=11), D(200)),
                        (timedelta(days=31), D(0))):
        m = CanadaAcb()
        m.acquire(lot(1, bought, "100", "1000"))
        sell(m, bought + gap, "50", "300")
        ((_, _, _, _, disallowed, _),) = rows(m)
        assert disallowed == denied
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "100", "1000"))
    sell(m, day(2023, 6, 1), "100", "600")
    m.acquire(lot(2, day(2023, 7, 1), "10", "70"))  # 30 days after, to the second
    assert rows(m) == [("superficial-loss", 100, 600, 1000, 40, -360)]
    assert held(m) == (10, 110, day(2023, 7, 1))


def test_unknown_basis_makes_the_acb_unknown_until_the_pool_is_empty() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "10", None))
    m.acquire(lot(2, day(2023, 1, 2), "10", "100"))
    sell(m, day(2023, 6, 1), "5", "10")  # a loss? unknown: nothing denied
    sell(m, day(2023, 7, 1), "15", "30")
    m.acquire(lot(3, day(2023, 8, 1), "10", "200"))
    sell(m, day(2023, 12, 1), "5", "150")
    assert rows(m) == [("acb", 5, 10, None, 0, None), ("acb", 15, 30, None, 0, None),
                       ("acb", 5, 150, 100, 0, 50)]
    assert held(m) == (5, 100, day(2023, 8, 1))


def test_what_the_pool_does_not_cover_has_no_lot_and_unknown_basis() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100"))
    sell(m, day(2023, 2, 1), "15", "300")
    covered, uncovered = m.result().disposals
    assert (covered.rule, covered.lot_id, covered.quantity, covered.proceeds_usd,
            covered.cost_basis_usd) == ("acb", POOL, 10, 200, 100)
    assert (uncovered.lot_id, uncovered.quantity, uncovered.proceeds_usd,
            uncovered.cost_basis_usd, uncovered.gain_usd) == (None, 5, 100, None, None)


def test_a_transfer_out_and_own_transfers() -> None:
    m = CanadaAcb()
    m.acquire(lot(1, day(2023, 1, 1), "10", "100"))
    m.remove(leg(day(2023, 1, 15), Kind.TRANSFER_OUT, TKN, "-4", None), D(4))
    tx = "0x" + "cd" * 32
    m.send_own(leg(day(2023, 1, 20), Kind.SELF_TRANSFER, TKN, "-6", None, tx=tx), D(6))
    assert m.receive_own(leg(day(2023, 1, 20), Kind.SELF_TRANSFER, TKN, "6", None, tx=tx,
                             wallet=OTHER))
    m.start_year(2024)
    sell(m, day(2024, 2, 1), "3", "90", wallet=OTHER)
    assert rows(m) == [("acb", 3, 90, 30, 0, 60)]
    assert m.result().disposals[0].wallet == OTHER
    assert held(m) == (3, 30, day(2023, 1, 1))
