"""A database with something in every table a failed import or scan must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.app import imports as importing
from scanner.app.readmodel import load
from scanner.formats.rows import LEDGER
from scanner.store import Store

SEED_PRICES = """timestamp,asset,usd
2023-01-01T00:00:00Z,eip155:1/slip44:60,1200.50
2024-01-01T00:00:00Z,eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7,1
"""
SEED_WALLET = "0x" + "cc" * 20
SEED_LEGS = [
    ("2023-02-01T00:00:00Z", "0x" + "a1" * 32, "transfer_in", "2.5", "3000"),
    ("2023-03-01T00:00:00Z", "0x" + "a2" * 32, "trade", "-1", "1500.25"),
]


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed database file with prices, imported legs, the ledger, lots and disposals."""
    directory = tmp_path_factory.mktemp("seeded")
    prices = directory / "prices.csv"
    prices.write_text(SEED_PRICES, encoding="utf-8")
    legs = directory / "seed.csv"
    rows = [",".join(LEDGER.fields)]
    for stamp, tx_hash, kind, quantity, usd in SEED_LEGS:
        cells = {"timestamp": stamp, "chain_id": "1", "block_number": "100",
                 "tx_hash": tx_hash, "log_index": "", "wallet": SEED_WALLET, "kind": kind,
                 "protocol": "", "asset": "eip155:1/slip44:60", "symbol": "ETH",
                 "quantity": quantity, "usd_value": usd, "price_source": "seed",
                 "counterparty": "", "group_id": f"seed:{tx_hash}"}
        rows.append(",".join(cells[name] for name in LEDGER.fields))
    legs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = directory / "seeded.duckdb"
    with Store(path) as store:
        importing.import_prices(store, prices)
        importing.import_ledger(store, legs, "ledger")
        assert store.counts()["prices"] == 2 and len(store.ledger()) == 2
        assert load(store).lots.disposals
    return path
