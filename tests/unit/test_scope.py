"""Lot scope per year (universal or per wallet), the allocation at the switch, specific
identification, and Germany's FIFO with tax-free long-term gains."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chains.errors import UserInputError
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.jurisdictions import jurisdiction_of
from scanner.tax.lots import compute_lots
from scanner.tax.policy import Policy, assignments_from
from scanner.tax.records import Allocation
from scanner.tax.scope import Scope, ScopePlan, allocate_by_rule
from tests.unit.builders import OTHER, TKN, WALLET, day, leg

A, B = WALLET, OTHER


def buy(when, quantity: str, usd: str, wallet: str = A, n: int = 0) -> LedgerEntry:  # type: ignore[no-untyped-def]
    tx = "0x" + format(int(when.timestamp()) + n, "064x")
    return leg(when, Kind.TRADE, TKN, quantity, usd, tx=tx, wallet=wallet)


def sell(when, quantity: str, usd: str, wallet: str = A) -> LedgerEntry:  # type: ignore[no-untyped-def]
    tx = "0x" + format(int(when.timestamp()), "064x")
    return leg(when, Kind.TRADE, TKN, f"-{quantity}", usd, tx=tx, wallet=wallet)


def received(when, quantity: str, usd: str, wallet: str) -> LedgerEntry:  # type: ignore[no-untyped-def]
    return leg(when, Kind.TRANSFER_IN, TKN, quantity, usd, wallet=wallet,
               tx="0x" + format(int(when.timestamp()) + 7, "064x"))


def lot_id(entry: LedgerEntry) -> str:
    return f"{entry.tx_hash}:{entry.leg_key}"


def test_the_us_default_is_universal_before_2025_and_per_wallet_from_2025() -> None:
    plan = ScopePlan()
    assert plan.of(2024) is Scope.UNIVERSAL and plan.of(2025) is Scope.PER_WALLET
    custom = ScopePlan.from_mapping({"default": "per-wallet", "2023": "universal"})
    assert custom.of(2023) is Scope.UNIVERSAL and custom.of(2022) is Scope.PER_WALLET
    with pytest.raises(UserInputError, match="neither a year"):
        ScopePlan.from_mapping({"next": "universal"})
    with pytest.raises(UserInputError, match="unknown lot scope"):
        ScopePlan.from_mapping({"2024": "pooled"})


def test_a_universal_year_sells_the_oldest_lot_of_any_wallet() -> None:
    entries = [buy(day(2024, 1, 2), "1", "100", A), received(day(2024, 2, 1), "1", "300", B),
               sell(day(2024, 6, 1), "1", "250", B)]
    (sale,) = compute_lots(entries).disposals
    assert (sale.wallet, sale.cost_basis_usd, sale.lot_id) == (B, 100, lot_id(entries[0]))
    per_wallet = Policy(scopes=ScopePlan.everywhere(Scope.PER_WALLET))
    (own,) = compute_lots(entries, policy=per_wallet).disposals
    assert (own.cost_basis_usd, own.lot_id) == (300, lot_id(entries[1]))


def test_at_the_switch_each_wallet_gets_its_own_lots_first_then_the_rest() -> None:
    # A bought 3 and 1 units, B received 2; A sent 2 away in 2024 (universal: from the pool)
    a_old, b_in, a_new = (buy(day(2024, 1, 2), "3", "30", A),
                          received(day(2024, 2, 1), "2", "40", B),
                          buy(day(2024, 3, 1), "1", "50", A))
    sent = leg(day(2024, 4, 1), Kind.TRANSFER_OUT, TKN, "-2", "60", wallet=B,
               tx="0x" + "ee" * 32)
    book = compute_lots([a_old, b_in, a_new, sent], through_year=2025)
    # universal FIFO removed A's oldest 2 units; B still holds 0, A holds 4 by the ledger
    given = {(a.wallet, a.lot_id, a.quantity) for a in book.allocations}
    assert given == {(A, lot_id(a_old), Decimal(1)), (A, lot_id(b_in), Decimal(2)),
                     (A, lot_id(a_new), Decimal(1))}
    assert all(a.how == "rule" and a.as_of == day(2025, 1, 1, 0) for a in book.allocations)
    sale = sell(day(2025, 3, 1), "4", "400", A)
    after = compute_lots([a_old, b_in, a_new, sent, sale]).disposals
    assert sum((d.cost_basis_usd or 0 for d in after if d.tx_hash == sale.tx_hash),
               Decimal(0)) == Decimal(10) + 40 + 50


def test_the_rule_fills_own_lots_first_and_leaves_unneeded_lots_with_their_owner() -> None:
    shares = allocate_by_rule([(A, Decimal(2)), (B, Decimal(3)), (A, Decimal(5))],
                              {A: Decimal(1), B: Decimal(6)})
    assert [(s.lot_index, s.wallet, s.quantity) for s in shares] == [
        (0, A, 1), (1, B, 3), (0, B, 1), (2, B, 2), (2, A, 3)]


def test_a_recorded_allocation_is_followed_at_the_switch() -> None:
    a_lot, b_lot = buy(day(2024, 1, 2), "1", "100", A), buy(day(2024, 2, 2), "1", "900", B)
    recorded = (Allocation(day(2025, 1, 1, 0), A, TKN, None, lot_id(b_lot), b_lot.timestamp,
                           Decimal(1), Decimal(900), "recorded"),)
    sale = sell(day(2025, 3, 1), "1", "500", A)
    book = compute_lots([a_lot, b_lot, sale], policy=Policy(allocation=recorded))
    (disposal,) = book.disposals
    assert (disposal.lot_id, disposal.cost_basis_usd) == (lot_id(b_lot), 900)
    assert {(a.wallet, a.lot_id, a.how) for a in book.allocations} == {
        (A, lot_id(b_lot), "recorded"), (B, lot_id(a_lot), "rule")}


def test_a_recorded_allocation_naming_a_lot_that_is_gone_says_so() -> None:
    a_lot = buy(day(2024, 1, 2), "1", "100", A)
    recorded = (Allocation(day(2025, 1, 1, 0), A, TKN, None, "0xgone:log:0", day(2024, 1, 1),
                           Decimal(1), Decimal(1), "recorded"),)
    book = compute_lots([a_lot, sell(day(2025, 3, 1), "1", "50", A)],
                        policy=Policy(allocation=recorded))
    assert any("0xgone:log:0" in note and "record it again" in note for note in book.notes)
    assert book.disposals[0].cost_basis_usd == 100  # the rule gave A its own lot


def test_specific_identification_draws_on_the_named_lots_first() -> None:
    first, second = buy(day(2023, 1, 2), "1", "100"), buy(day(2023, 2, 2), "2", "600")
    sale = sell(day(2023, 6, 1), "2", "500")
    named = Policy(method="specific", assignments={sale.tx_hash: (lot_id(second),)})
    (disposal,) = compute_lots([first, second, sale], policy=named).disposals
    assert (disposal.lot_id, disposal.cost_basis_usd, disposal.rule) == \
        (lot_id(second), 600, "specific")
    partial = Policy(method="specific", assignments={sale.tx_hash: (lot_id(first),)})
    one, two = compute_lots([first, second, sale], policy=partial).disposals
    assert (one.lot_id, one.rule, two.lot_id, two.rule, two.quantity) == \
        (lot_id(first), "specific", lot_id(second), "fifo", 1)
    assert one.proceeds_usd + two.proceeds_usd == 500


def test_a_named_lot_that_is_not_open_stops_with_a_clear_error() -> None:
    first, sale = buy(day(2023, 1, 2), "1", "100"), sell(day(2023, 6, 1), "1", "50")
    later = buy(day(2023, 7, 1), "1", "70")
    policy = Policy(method="specific", assignments={sale.tx_hash: (lot_id(later),)})
    with pytest.raises(UserInputError, match="was not open"):
        compute_lots([first, sale, later], policy=policy)
    with pytest.raises(UserInputError, match="use --method specific"):
        Policy(method="fifo", assignments={sale.tx_hash: (lot_id(first),)})
    with pytest.raises(UserInputError, match="TX_HASH=LOT_ID"):
        assignments_from(["0xabc"])


def test_germany_is_fifo_per_wallet_and_tax_free_after_a_year() -> None:
    entries = [buy(day(2022, 1, 2), "1", "100"), buy(day(2023, 3, 1), "1", "200"),
               sell(day(2023, 6, 1), "2", "700")]
    germany = Policy(jurisdiction=jurisdiction_of("de"))
    old, recent = compute_lots(entries, policy=germany).disposals
    assert (old.rule, old.gain_usd, recent.rule, recent.gain_usd) == \
        ("tax-free-after-1y", 250, "fifo", 150)
    with pytest.raises(UserInputError, match="first in, first out"):
        Policy(jurisdiction=jurisdiction_of("de"), method="hifo")
