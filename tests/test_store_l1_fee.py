"""The L1 data fee through the database: kept with the raw transaction, in the ledger's fee
leg as `taxscan ledger` shows it, and read as none in rows an older taxscan stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from chains.evm.records import RawTx
from scanner.app import rebuild
from scanner.store import Store
from tests.helpers import cli_json
from tests.unit.recordings import recording

WALLET = "0x" + "aa" * 20


def test_a_recorded_base_swap_shows_its_whole_fee_in_the_ledger(realdata: Path,
                                                                 tmp_path: Path) -> None:
    record = recording(realdata, "test_uniswapv3__test_swap_on_base.json")
    raw = record.raw()
    db = tmp_path / "base.duckdb"
    with Store(db) as store:
        with store.transaction():
            store.add_wallet(8453, raw.from_address)
            store.save_raw(raw.from_address, [raw])
            store.save_tokens(record.tokens.values())
        rebuild.refresh(store)
    (gas,) = [r for r in cli_json("ledger", db=db) if r["kind"] == "fee"]
    # receipt gasUsed 0x1fdb2 x effectiveGasPrice 0x1012f7 + l1Fee 0xac6f6605dbb2 wei
    assert 0x1FDB2 * 0x1012F7 + 0xAC6F6605DBB2 == 189731906791024
    assert (gas["asset"], gas["quantity"]) == ("eip155:8453/slip44:60", "-0.000189731906791024")


def tx(n: int, l1_fee: int = 0) -> RawTx:
    return RawTx(10, "0x" + format(n, "064x"), 100 + n, 0, datetime(2024, 5, 1, tzinfo=UTC),
                 WALLET, "0x" + "bb" * 20, 0, 21_000, 10**6, True, l1_fee=l1_fee)


def test_rows_stored_before_the_l1_fee_was_kept_read_as_none(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        store.add_wallet(10, WALLET)
    with duckdb.connect(str(path)) as old:  # the raw_txs table of an older taxscan
        old.execute("ALTER TABLE raw_txs DROP COLUMN l1_fee")
        old.execute("INSERT INTO raw_txs VALUES (10, ?, 101, 0, '2024-05-01', ?, ?, '0', "
                    "'21000', '1000000', true)", [tx(1).tx_hash, WALLET, "0x" + "bb" * 20])
        old.execute("INSERT INTO wallet_txs VALUES (10, ?, ?)", [WALLET, tx(1).tx_hash])
    with Store(path) as store:
        store.save_raw(WALLET, [tx(2, l1_fee=2**200 + 7)])  # beyond any SQL integer
        found = {t.tx_hash: t for t in store.raw_txs(10)}
        lacking = store.raw_txs_without_l1_fee(10)
    assert lacking == [tx(1).tx_hash]  # stored before: to fetch again
    assert found == {tx(1).tx_hash: tx(1), tx(2).tx_hash: tx(2, l1_fee=2**200 + 7)}
    assert replace(found[tx(2).tx_hash], l1_fee=0).fee_wei == 21_000 * 10**6
    assert found[tx(2).tx_hash].fee_wei == 21_000 * 10**6 + 2**200 + 7
