"""Reconciliation through the installed `taxscan`: coins the ledger never saw move are
checked, and balances the node cannot tell are not counted as differences."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from tests.devnet.conftest import Played

pytestmark = pytest.mark.devnet

TAXSCAN = Path(sys.executable).with_name("taxscan")
NATIVE = "eip155:31337/slip44:60"


def taxscan(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TAXSCAN_DB"}
    return subprocess.run([str(TAXSCAN), *args, "--db", str(db)], capture_output=True,
                          text=True, timeout=180, env=env, check=False)


def reconciled(url: str, db: Path, *more: str) -> list[dict[str, Any]]:
    ran = taxscan("reconcile", "--rpc", url, *more, "--format", "json", db=db)
    assert ran.returncode == 0, ran.stderr
    rows: list[dict[str, Any]] = json.loads(ran.stdout)
    return rows


def test_coins_held_since_genesis_that_the_ledger_never_saw_move_are_unexplained(
    fresh_chain: Played, tmp_path: Path
) -> None:
    w3 = Web3(HTTPProvider(fresh_chain.node.url))
    genesis_funded = list(w3.eth.accounts)[9]  # anvil's last default account: it never sends
    assert w3.eth.get_balance(genesis_funded, block_identifier=0) == 10_000 * 10**18
    token = w3.eth.contract(address=Web3.to_checksum_address(fresh_chain.scenario.tkn), abi=[{
        "name": "transfer", "type": "function", "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}]}])
    sent = token.functions.transfer(genesis_funded, 3 * 10**18).transact(
        {"from": Web3.to_checksum_address(fresh_chain.scenario.wallet)})
    assert w3.eth.wait_for_transaction_receipt(sent)["status"] == 1

    db = tmp_path / "genesis.duckdb"
    scanned = taxscan("scan", genesis_funded, "--rpc", fresh_chain.node.url, db=db)
    assert scanned.returncode == 0, scanned.stderr
    assert "reconcile: 1 of 2 balances differ from the chain" in scanned.stderr

    rows = {r["asset"]: r for r in reconciled(fresh_chain.node.url, db)}
    native = rows[NATIVE]
    assert native["symbol"] == "ETH"
    assert native["status"] == "unexplained_opening_balance"
    assert (native["ledger_balance"], native["chain_balance"], native["difference"]) == \
        ("0", "10000", "10000")
    assert native["explanation"] == ("held since genesis (a genesis allocation) and never "
                                     "moved in the ledger, so its basis is unknown")
    tkn = rows[f"eip155:31337/erc20:{fresh_chain.scenario.tkn.lower()}"]
    assert (tkn["status"], tkn["ledger_balance"], tkn["chain_balance"]) == ("ok", "3", "3")


def test_balances_the_node_cannot_tell_are_unknown_and_not_differences(
    played: Played, tmp_path: Path
) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(played.db_path.read_bytes())
    # at genesis no token contract exists yet: balanceOf answers nothing
    rows = {r["symbol"]: r for r in reconciled(played.node.url, db, "--at", "0")}
    assert {s: r["status"] for s, r in rows.items()} == {
        "ETH": "ok", "DAI": "unknown", "TKN": "unknown", "tkn-rewards.xyz": "spam"}
    assert rows["DAI"]["chain_balance"] is None and rows["DAI"]["difference"] is None
    assert rows["DAI"]["explanation"].startswith(
        "not checked: the node could not tell this balance at block 0")

    table = taxscan("reconcile", "--rpc", played.node.url, "--at", "0", db=db)
    assert table.returncode == 0, table.stderr
    assert table.stderr.splitlines() == [
        "reconciled: all 2 balances the node could tell match the chain at block 0",
        "reconcile: 2 of 4 balances could not be checked: the node could not tell them "
        "(see `taxscan reconcile --rpc URL`)"]
