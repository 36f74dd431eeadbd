"""The DuckDB file keeps every amount exactly and is private to its user."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices.records import PricePoint
from scanner.store import Store

WALLET = "0x" + "aa" * 20


def entry(raw: int, usd: Decimal | None) -> LedgerEntry:
    return LedgerEntry(1, "0x" + "01" * 32, "log:0", 0, 10, 0,
                       datetime(2024, 5, 1, 12, 30, tzinfo=UTC), WALLET, Kind.TRANSFER_IN,
                       "transfer", "eip155:1/erc20:0x" + "02" * 20, "X", raw, 18, None,
                       "g", usd, "csv")


def test_amounts_round_trip_exactly(tmp_path: Path) -> None:
    huge = 2**256 - 1  # a spam token's "balance": more than any SQL integer holds
    with Store(tmp_path / "t.duckdb") as store:
        store.add_wallet(1, WALLET)
        store.replace_ledger(1, [entry(huge, Decimal("123456789012345678.0123456789"))])
        store.save_prices([PricePoint("eip155:1/slip44:60", datetime(2024, 1, 1, tzinfo=UTC),
                                      Decimal("0.000000000000000001"), "csv"),
                           PricePoint("eip155:1/slip44:60", datetime(2024, 1, 2, tzinfo=UTC),
                                      Decimal("99999999999999999999.999999999999999999"),
                                      "csv")])
    with Store(tmp_path / "t.duckdb") as store:
        (back,) = store.ledger()
        prices = sorted(p.usd for p in store.prices())
    assert back.raw_amount == huge
    assert back.usd_value == Decimal("123456789012345678.0123456789")
    assert back.timestamp == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert prices == [Decimal("1E-18"), Decimal("99999999999999999999.999999999999999999")]


def test_the_database_file_is_readable_by_its_user_only(tmp_path: Path) -> None:
    path = tmp_path / "private.duckdb"
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "t.duckdb") as store:
        try:
            with store.transaction():
                store.add_wallet(1, WALLET)
                store.replace_ledger(1, [entry(5, None)])
                raise RuntimeError("crash in the middle")
        except RuntimeError:
            pass
        assert store.ledger() == [] and store.all_wallets() == []


def test_bulk_inserts_keep_every_row_and_the_last_of_a_replaced_key(tmp_path: Path) -> None:
    """Rows go in many a statement; INSERT OR REPLACE still keeps the last row of a key."""
    stamps = [datetime(2024, 1, 1, tzinfo=UTC).replace(minute=m % 60, hour=m // 60)
              for m in range(1200)]
    points = [PricePoint("eip155:1/slip44:60", t, Decimal(i), "csv")
              for i, t in enumerate(stamps)]
    twice = PricePoint("eip155:1/slip44:60", stamps[7], Decimal("7.5"), "csv")
    with Store(tmp_path / "t.duckdb") as store:
        store.save_prices([*points[:600], twice, *points[600:]])  # 7.5 comes after 7
        store.save_prices([PricePoint("eip155:1/slip44:60", stamps[8], Decimal("8.25"), "csv"),
                           PricePoint("eip155:1/slip44:60", stamps[8], Decimal("8.5"), "csv")])
        kept = {p.timestamp: p.usd for p in store.prices()}
    assert len(kept) == 1200
    assert kept[stamps[7]] == Decimal("7.5") and kept[stamps[8]] == Decimal("8.5")
    assert kept[stamps[1199]] == Decimal(1199)
