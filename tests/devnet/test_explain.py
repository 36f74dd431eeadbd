"""`taxscan explain TXHASH` on the scanned scenario: every leg of the transaction with its
kind, treatment, the rule behind it, and the lots it touched."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.devnet.conftest import Played
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.devnet


def test_a_sale_is_explained_leg_by_leg_with_its_gain(played: Played) -> None:
    gains = cli_json("gains", "--year", "2025", db=played.db_path)
    sale = next(g for g in gains if g["kind"] == "trade")
    legs = cli_json("explain", sale["tx_hash"], db=played.db_path)
    ledger = [r for r in cli_json("ledger", db=played.db_path)
              if r["tx_hash"] == sale["tx_hash"]]
    assert [(r["kind"], r["asset"], r["quantity"]) for r in legs] == \
        [(r["kind"], r["asset"], r["quantity"]) for r in ledger]
    sold = next(r for r in legs if r["kind"] == "trade" and r["quantity"].startswith("-"))
    assert sold["decoder"] in ("generic", "uniswap-v2") and sold["rule"]
    assert sold["treatment"].startswith("taxable")
    mine = [g for g in gains if g["tx_hash"] == sale["tx_hash"] and g["kind"] == "trade"]
    assert Decimal(sold["gain_usd"]) == sum(Decimal(g["gain_usd"]) for g in mine)
    assert {lot for r in legs for lot in (r["draws_on"] or "").split("; ") if lot} == \
        {f"{g['lot_id']}={g['quantity']}" for g in gains if g["tx_hash"] == sale["tx_hash"]}


def test_an_unknown_transaction_is_one_line_and_exit_2(played: Played) -> None:
    result = run_cli("explain", "0x" + "00" * 32, db=played.db_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not in the ledger" in result.stderr
