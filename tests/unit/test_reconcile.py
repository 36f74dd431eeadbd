"""Reconciliation logic against a scripted chain: each explanation, and where it points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scanner.ledger.reconcile import Holding, Status, reconcile
from scanner.ledger.records import Kind
from tests.unit.builders import TKN, WALLET, day, leg

HOLDING = Holding(1, WALLET, TKN, "TKN", 18)
E18 = 10**18


def entries_at(*moves: tuple[int, str]) -> list:  # type: ignore[type-arg]
    out = []
    for number, (block, quantity) in enumerate(moves):
        entry = leg(day(2024, 1, 1 + number), Kind.TRANSFER_IN, TKN, quantity, None,
                    key=f"log:{number}")
        out.append(replace(entry, block_number=block))
    return out


def chain(history: dict[int, int]):  # type: ignore[no-untyped-def]
    """A balance that changes at the given blocks (block -> balance from then on)."""
    def probe(holdings: Sequence[Holding], block: int) -> list[int | None]:
        value = 0
        for start in sorted(history):
            if start <= block:
                value = history[start]
        return [value for _ in holdings]
    return probe


def test_a_gap_is_located_at_the_block_where_ledger_and_chain_part() -> None:
    entries = entries_at((10, "5"), (40, "2"))
    (check,) = reconcile(entries, [HOLDING], 100, chain({10: 5 * E18, 25: 8 * E18,
                                                         40: 10 * E18}),
                         announced=lambda h, b: 1)
    assert check.status is Status.MISMATCH
    assert "differ from block 25" in check.explanation and "missing" in check.explanation


def test_growth_without_a_transfer_event_is_rebasing() -> None:
    entries = entries_at((10, "5"))
    (check,) = reconcile(entries, [HOLDING], 100, chain({10: 5 * E18, 60: 6 * E18}),
                         announced=lambda h, b: 0)
    assert check.status is Status.REBASING and "block 60" in check.explanation


def test_less_than_announced_is_a_fee_on_transfer() -> None:
    entries = entries_at((10, "100"))
    (check,) = reconcile(entries, [HOLDING], 100, chain({10: 99 * E18}),
                         announced=lambda h, b: 1)
    assert check.status is Status.MISMATCH and "fee-on-transfer" in check.explanation


def test_a_balance_from_before_the_history_is_an_opening_balance() -> None:
    entries = entries_at((50, "1"))
    (check,) = reconcile(entries, [HOLDING], 100, chain({20: 3 * E18, 50: 4 * E18}))
    assert check.status is Status.OPENING and "since block 20" in check.explanation


def test_a_few_base_units_are_dust_and_spam_is_spam() -> None:
    entries = entries_at((10, "1"))
    (dust,) = reconcile(entries, [HOLDING], 100, chain({10: E18 + 3}))
    assert dust.status is Status.MISMATCH and dust.explanation.startswith("dust")
    (spam,) = reconcile(entries, [HOLDING], 100, chain({10: 7}), spam={TKN})
    assert spam.status is Status.SPAM
