"""Reading the ledger with its texts of few values once per combination (Store.ledger,
rows.shapes_of): the legs are those every cell read as it is gives, scanned legs shadowing
imported ones; and two combinations of one hash fall back to reading every cell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import scanner.store.changes
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.store.rows import shapes_of

USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
ETH = "eip155:1/slip44:60"
START = datetime(2024, 1, 1, tzinfo=UTC)
WALLETS = ["0x" + "a1" * 20, "0x" + "b2" * 20]


def leg(n: int, key: str, kind: Kind, asset: str, symbol: str | None, raw: int,
        value: Decimal | None, source: str | None, counterparty: str | None = None) -> \
        LedgerEntry:
    tx = f"0x{n:064x}"
    wallet = WALLETS[n % 2]
    return LedgerEntry(1, tx, key, None if key in ("gas", "native") else n % 3, n, 0,
                       START + timedelta(hours=n // 2, microseconds=n % 5), wallet, kind,
                       "uniswap-v2" if kind is Kind.TRADE else "", asset, symbol, raw,
                       18 if asset == ETH else 6, counterparty, f"1:{tx}:{wallet}", value,
                       source)


def legs(first: int, count: int) -> list[LedgerEntry]:
    out = []
    for n in range(first, first + count):
        out += [leg(n, "log:1", Kind.TRADE, USDC, "USDC", -(n + 1) * 10**6,
                    Decimal(n) / 8 if n % 3 else None, "bench" if n % 3 else None),
                leg(n, "log:2", Kind.TRADE, ETH, None if n % 4 == 0 else "ETH",
                    (n + 1) * 10**15, None, None, "0x" + "cd" * 20 if n % 5 == 0 else None),
                leg(n, "gas", Kind.FEE, ETH, "ETH", -(10**14), Decimal("0.25"), "coingecko")]
    return out


def fields(entry: LedgerEntry) -> tuple[object, ...]:
    return (entry.chain_id, entry.tx_hash, entry.leg_key, entry.log_index,
            entry.block_number, entry.tx_index, entry.timestamp, entry.wallet, entry.kind,
            entry.protocol, entry.asset, entry.symbol, entry.raw_amount, entry.decimals,
            entry.counterparty, entry.group_id, entry.usd_value, entry.price_source)


def order(entry: LedgerEntry) -> tuple[object, ...]:
    return (entry.timestamp, entry.chain_id, entry.block_number, entry.tx_index,
            entry.group_id, entry.log_index is not None, entry.log_index or 0, entry.leg_key)


@pytest.mark.parametrize("collide", [False, True])
def test_the_ledger_reads_every_leg_as_stored(tmp_path: Path, collide: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if collide:
        monkeypatch.setattr(scanner.store.changes, "shapes_of", lambda rows: None)
    scanned, imported = legs(0, 40), legs(30, 40)  # 30 to 39 in both: the scanned ones count
    with Store(tmp_path / "s.duckdb") as store:
        store.replace_ledger(1, scanned)
        store.save_imported("ledger:file.csv", imported)
        read = store.ledger()
    shadowed = {(e.tx_hash, e.leg_key, e.wallet) for e in scanned}
    expected = scanned + [e for e in imported
                          if (e.tx_hash, e.leg_key, e.wallet) not in shadowed]
    assert len(read) == 210
    assert [fields(e) for e in read] == [fields(e) for e in sorted(expected, key=order)]
    assert all(e.timestamp.tzinfo is UTC for e in read)


def test_two_shapes_of_one_hash_are_no_shapes() -> None:
    row = ["log:1", WALLETS[0], "trade", "uniswap-v2", USDC, "USDC", None, "bench"]
    assert shapes_of([(7, *row), (8, *row[:-1], None)]) == {
        7: ("log:1", WALLETS[0], Kind.TRADE, "uniswap-v2", USDC, "USDC", None, "bench"),
        8: ("log:1", WALLETS[0], Kind.TRADE, "uniswap-v2", USDC, "USDC", None, None)}
    assert shapes_of([(7, *row), (7, *row[:-1], None)]) is None
