"""The open lots as they stood at a moment, taken in the engine's run over every leg, are
those of a second run on the legs up to that moment (the oracle: `compute_lots` on them)."""

from __future__ import annotations

from dataclasses import astuple
from datetime import timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.jurisdictions import JURISDICTIONS
from scanner.tax.lots import compute_lots, lots_and_snapshot
from scanner.tax.policy import Policy
from scanner.tax.records import LotBook
from tests.unit.builders import ETH, OTHER, TKN, USDC, WALLET, day, leg

START = day(2024, 12, 20)  # the US scope turns per wallet on 2025-01-01: a switch inside
KINDS = [Kind.TRADE, Kind.TRADE, Kind.FEE, Kind.INCOME, Kind.TRANSFER_IN, Kind.TRANSFER_OUT,
         Kind.SELF_TRANSFER]


def history(steps: list[tuple[int, Kind, str, int, str, bool]]) -> list[LedgerEntry]:
    """One leg a step: `hours` after the previous one, a self transfer paired with the
    other wallet's receipt in the same transaction."""
    entries, when = [], START
    for n, (hours, kind, asset, amount, wallet, out) in enumerate(steps):
        when += timedelta(hours=hours)
        tx = "0x" + format(n, "064x")
        quantity = f"{'-' if out or kind in (Kind.FEE, Kind.TRANSFER_OUT) else ''}{amount}"
        usd = None if amount == 7 else str(amount * 3)  # some legs without a price
        entries.append(leg(when, kind, ETH if kind is Kind.FEE else asset, quantity, usd,
                           tx=tx, key="log:0", wallet=wallet))
        if kind is Kind.SELF_TRANSFER and out:
            entries.append(leg(when, kind, asset, str(amount), usd, tx=tx, key="log:1",
                               wallet=OTHER if wallet == WALLET else WALLET))
    return entries


def fields(book: LotBook) -> list[tuple[object, ...]]:
    return [astuple(lot) for lot in book.open_lots]


steps = st.lists(st.tuples(st.integers(0, 60), st.sampled_from(KINDS),
                           st.sampled_from([ETH, TKN]), st.integers(1, 9),
                           st.sampled_from([WALLET, OTHER]), st.booleans()),
                 max_size=30)


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(-10, 900), st.sampled_from(["fifo", "lifo", "hifo"]),
       st.sampled_from(["us", "de"]))
@example([(1, Kind.TRADE, ETH, 2, WALLET, False), (400, Kind.TRADE, ETH, 1, WALLET, True)],
         10, "fifo", "us")  # the moment in 2024, the next leg after the switch of scope
def test_the_snapshot_is_the_run_on_the_legs_up_to_the_moment(
        legs: list[tuple[int, Kind, str, int, str, bool]], hours: int, method: str,
        code: str) -> None:
    entries = history(legs)
    moment = START + timedelta(hours=hours)
    jurisdiction = JURISDICTIONS[code]
    policy = Policy(jurisdiction=jurisdiction,
                    method=method if code == "us" else jurisdiction.methods[0])
    book, held = lots_and_snapshot(entries, moment, policy=policy, purchase_currencies=[USDC])
    assert held is not None
    expected = compute_lots([e for e in entries if e.timestamp <= moment], policy=policy,
                            purchase_currencies=[USDC])
    assert fields(held) == fields(expected)
    assert held == expected  # disposals, income, acquisitions, notes and allocations too
    assert book == compute_lots(entries, policy=policy, purchase_currencies=[USDC])


def test_the_pools_give_no_snapshot() -> None:
    entries = history([(1, Kind.TRADE, ETH, 2, WALLET, False), (30, Kind.TRADE, ETH, 1, WALLET,
                                                                  True)])
    for code in ("uk", "ca"):
        policy = Policy(jurisdiction=JURISDICTIONS[code],
                        method=JURISDICTIONS[code].methods[0])
        book, held = lots_and_snapshot(entries, START + timedelta(hours=2), policy=policy)
        assert held is None
        assert book == compute_lots(entries, policy=policy)
