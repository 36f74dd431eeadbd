"""A withdrawal from an exchange account to a scanned wallet moves lots, basis and dates."""

from __future__ import annotations

from dataclasses import replace

from scanner.ledger.pairing import pair_own_transfers
from scanner.ledger.records import Kind
from scanner.tax.lots import compute_lots
from scanner.tax.policy import Policy
from scanner.tax.scope import Scope, ScopePlan
from tests.unit.builders import ETH, WALLET, day, leg

TX = "0x" + "5a" * 32
PER_WALLET = Policy(scopes=ScopePlan.everywhere(Scope.PER_WALLET))


def history(withdrawal_minute: int):  # type: ignore[no-untyped-def]
    bought = leg(day(2023, 1, 2), Kind.TRADE, ETH, "2", "3000", wallet="coinbase",
                 tx="koinly:buy", key="received")
    sent = replace(leg(day(2023, 5, 1, 10), Kind.TRANSFER_OUT, ETH, "-2", "4000",
                       wallet="coinbase", tx=TX, key="sent"), block_number=0,
                   timestamp=day(2023, 5, 1, 10).replace(minute=withdrawal_minute))
    arrived = replace(leg(day(2023, 5, 1, 10), Kind.TRANSFER_IN, ETH, "2", "4000", tx=TX,
                          key="native"), block_number=17_000_000)
    sold = leg(day(2023, 8, 1), Kind.TRADE, ETH, "-2", "5000", tx="0x" + "77" * 32)
    return [bought, sent, arrived, sold]


def test_a_withdrawal_to_an_own_wallet_keeps_the_exchange_basis() -> None:
    for minute in (0, 59):  # the file's minute may fall before or after the block
        entries = pair_own_transfers(history(minute))
        assert [e.kind for e in entries[1:3]] == [Kind.SELF_TRANSFER] * 2
        assert entries[1].timestamp == entries[2].timestamp  # the chain's moment
        (sale,) = compute_lots(entries, policy=PER_WALLET).disposals
        assert (sale.wallet, sale.cost_basis_usd, sale.acquired) == (WALLET, 3000,
                                                                     day(2023, 1, 2))


def test_an_arrival_short_by_more_than_the_tolerance_stays_unpaired() -> None:
    entries = history(0)
    entries[2] = replace(entries[2], raw_amount=entries[2].raw_amount * 98 // 100)  # 2% short
    assert pair_own_transfers(entries) == entries
    sale, rest = compute_lots(entries, policy=PER_WALLET).disposals
    assert (sale.lot_id, sale.cost_basis_usd) == (f"{TX}:native", 4000)  # fair value on arrival
    assert rest.lot_id is None and rest.cost_basis_usd is None  # the ETH it never got


def test_an_arrival_a_wei_short_pairs_and_the_wei_is_a_fee() -> None:
    entries = history(0)
    entries[2] = replace(entries[2], raw_amount=entries[2].raw_amount - 1)
    paired = pair_own_transfers(entries)
    fee, sent = paired[1:3]
    assert (sent.kind, sent.raw_amount, fee.kind, fee.raw_amount) == \
        (Kind.SELF_TRANSFER, -(2 * 10**18 - 1), Kind.FEE, -1)
