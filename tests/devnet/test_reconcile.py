"""Every balance the ledger implies, against the chain: matched, explained, or located."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from web3 import HTTPProvider, Web3

from scanner.app import rebuild
from scanner.app import reconcile as reconciling
from scanner.app import scan as scanning
from scanner.store import Store
from tests.devnet.conftest import Played
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.devnet


def block_of(played: Played, label: str) -> int:
    w3 = Web3(HTTPProvider(played.node.url))
    receipt = w3.eth.get_transaction_receipt(played.scenario.txs[label])  # type: ignore[arg-type]
    return int(receipt["blockNumber"])


def test_the_scenario_reconciles_to_zero_for_every_token(played: Played) -> None:
    rows = cli_json("reconcile", "--rpc", played.node.url, db=played.db_path)
    by_symbol = {r["symbol"]: r for r in rows}
    assert set(by_symbol) == {"ETH", "DAI", "TKN", "tkn-rewards.xyz"}
    assert all(r["difference"] == "0" for r in rows)
    assert {r["status"] for r in rows if r["symbol"] != "tkn-rewards.xyz"} == {"ok"}
    assert by_symbol["tkn-rewards.xyz"]["status"] == "spam"
    w3 = Web3(HTTPProvider(played.node.url))
    on_chain = w3.eth.get_balance(Web3.to_checksum_address(played.scenario.wallet),
                                  block_identifier=rows[0]["block_number"])
    assert by_symbol["ETH"]["chain_balance"] == str(Web3.from_wei(on_chain, "ether"))


def test_history_hidden_from_the_scan_is_an_opening_balance_located_where_it_arrived(
    played: Played, tmp_path: Path
) -> None:
    db = tmp_path / "late.duckdb"
    deposit = block_of(played, "deposit_dai")
    scanned = run_cli("scan", played.scenario.wallet, "--rpc", played.node.url,
                      "--from-block", str(deposit + 1), db=db)
    assert scanned.returncode == 0, scanned.stderr
    assert "balances differ from the chain" in scanned.stderr
    rows = {r["symbol"]: r for r in cli_json("reconcile", "--rpc", played.node.url, db=db)}
    assert rows["DAI"]["status"] == "unexplained_opening_balance"
    assert rows["DAI"]["difference"] == "10000"
    assert f"since block {deposit}:" in rows["DAI"]["explanation"]
    assert rows["ETH"]["status"] == "unexplained_opening_balance"
    assert f"since block {block_of(played, 'fund_eth')}:" in rows["ETH"]["explanation"]


def test_a_missing_transaction_in_the_middle_is_located_by_bisection(
    played: Played, tmp_path: Path
) -> None:
    db = tmp_path / "holes.duckdb"
    db.write_bytes(played.db_path.read_bytes())
    missing = played.scenario.txs["buy_2"]
    with duckdb.connect(str(db)) as con:
        for table in ("raw_txs", "raw_logs", "raw_internal", "wallet_txs"):
            con.execute(f"DELETE FROM {table} WHERE tx_hash = ?", [missing])
    with Store(db) as store:
        rebuild.refresh(store)
        checks = {c.holding.symbol: c for c in reconciling.reconcile_chain(store, played.node.url)}
    block = block_of(played, "buy_2")
    for symbol in ("TKN", "DAI", "ETH"):  # the swap's two legs, and its gas
        assert checks[symbol].status.value == "mismatch"
        assert f"differ from block {block}:" in checks[symbol].explanation


def test_year_end_balances_are_what_the_chain_held_on_december_31(played: Played) -> None:
    w3 = Web3(HTTPProvider(played.node.url))
    last_2024 = max(block_of(played, label) for label in played.scenario.txs
                    if label in ("fund_eth", "deposit_dai", "approve_dai", "buy_1", "claim",
                                 "spam", "buy_2"))
    rows = {r["symbol"]: r for r in cli_json("balances", "--year", "2024", db=played.db_path)}
    assert set(rows) == {"ETH", "DAI", "TKN"}  # spam is left out
    wallet = Web3.to_checksum_address(played.scenario.wallet)
    eth = w3.eth.get_balance(wallet, block_identifier=last_2024)
    assert rows["ETH"]["quantity"] == str(Web3.from_wei(eth, "ether"))
    erc20 = [{"name": "balanceOf", "type": "function", "stateMutability": "view",
              "inputs": [{"name": "", "type": "address"}],
              "outputs": [{"name": "", "type": "uint256"}]}]
    for symbol, token in (("DAI", played.scenario.dai), ("TKN", played.scenario.tkn)):
        contract = w3.eth.contract(address=Web3.to_checksum_address(token), abi=erc20)
        held = contract.functions.balanceOf(wallet).call(block_identifier=last_2024)
        assert Decimal(rows[symbol]["quantity"]) == Decimal(held).scaleb(-18)
    assert rows["ETH"]["as_of"] == "2024-12-31T23:59:59Z"
    assert rows["ETH"]["price_usd"] == "3400"  # the price file's latest ETH row in 2024


def test_fee_on_transfer_and_rebasing_tokens_are_explained(fresh_chain: Played) -> None:
    from datetime import UTC, datetime

    from chains.addresses import parse_address
    from chains.devnet.anvil import devnet_dir
    from chains.devnet.solidity import compile_contracts
    from chains.evm.node import RpcSource
    from chains.evm.rpc import RpcClient

    compiled = compile_contracts(devnet_dir() / "contracts" / "OddTokens.sol")
    w3 = Web3(HTTPProvider(fresh_chain.node.url))
    deployer = w3.eth.accounts[0]
    wallet = Web3.to_checksum_address(fresh_chain.scenario.wallet)
    clock = [int(datetime(2025, 7, 1, tzinfo=UTC).timestamp())]

    def mined(call: object) -> object:
        clock[0] += 3600
        w3.provider.make_request("evm_setNextBlockTimestamp", [clock[0]])  # type: ignore[arg-type]
        receipt = w3.eth.wait_for_transaction_receipt(
            call.transact({"from": deployer}))  # type: ignore[attr-defined]
        assert receipt["status"] == 1
        return receipt

    tokens = {}
    for name in ("FeeToken", "RebaseToken"):
        abi, bytecode = compiled[name]
        receipt = mined(w3.eth.contract(abi=abi, bytecode=bytecode).constructor(10**24))
        tokens[name] = w3.eth.contract(address=receipt["contractAddress"], abi=abi)  # type: ignore[index]
        mined(tokens[name].functions.transfer(wallet, 1000 * 10**18))
    mined(tokens["RebaseToken"].functions.rebase(105 * 10**16))

    with Store(fresh_chain.db_path) as store:
        scanning.scan(store, RpcSource(RpcClient(fresh_chain.node.url)),
                     [parse_address(fresh_chain.scenario.wallet)])
        checks = {c.holding.symbol: c
                  for c in reconciling.reconcile_chain(store, fresh_chain.node.url)}
    fee, rebase = checks["FEE"], checks["REB"]
    assert fee.status.value == "mismatch" and "fee-on-transfer" in fee.explanation
    assert fee.chain_balance is not None and fee.chain_balance - fee.ledger_balance == -10
    assert rebase.status.value == "rebasing" and "no Transfer event" in rebase.explanation
    assert rebase.chain_balance is not None and rebase.chain_balance - rebase.ledger_balance == 50
    assert {checks[s].status.value for s in ("ETH", "DAI", "TKN")} == {"ok"}
