"""`scan --config`: several wallets, labels, and lots that move between own wallets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from scanner.store import Store
from tests.devnet.conftest import Played
from tests.helpers import assert_as_rebuilt, cli_json, run_cli

pytestmark = pytest.mark.devnet
SECOND = "0x00000000000000000000000000000000c0ffee01"


def test_a_config_scan_moves_lots_between_own_wallets_with_dates_and_basis(
    fresh_chain: Played, tmp_path: Path
) -> None:
    scenario = fresh_chain.scenario
    before = {r["lot_id"]: r for r in cli_json("harvest", "--as-of", "2025-06-30", "--all",
                                                 db=fresh_chain.db_path)}
    moving = next(r for r in before.values()
                  if r["symbol"] == "TKN" and r["acquired"].startswith("2024-06-15"))
    assert Decimal(moving["quantity"]) == 300

    w3 = Web3(HTTPProvider(fresh_chain.node.url))
    token = w3.eth.contract(address=Web3.to_checksum_address(scenario.tkn), abi=[{
        "name": "transfer", "type": "function", "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}]}])
    w3.provider.make_request("evm_setNextBlockTimestamp",  # type: ignore[arg-type]
                             [int(datetime(2025, 7, 1, tzinfo=UTC).timestamp())])
    sent = token.functions.transfer(Web3.to_checksum_address(SECOND), 300 * 10**18).transact(
        {"from": scenario.wallet})
    w3.eth.wait_for_transaction_receipt(sent)

    config = tmp_path / "taxscan.toml"
    config.write_text(f"""
[chains.devnet]
rpc = "{fresh_chain.node.url}"

[[wallets]]
address = "{scenario.wallet}"
label = "hot"
chains = ["devnet"]

[[wallets]]
address = "{SECOND}"
label = "cold"
chains = ["anvil"]
""")
    result = run_cli("scan", "--config", str(config), db=fresh_chain.db_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Local devnet (anvil)") == 2
    assert "reconciled: all" in result.stderr  # both wallets' balances match the chain

    tx_hash = "0x" + bytes(sent).hex().removeprefix("0x")
    legs = [r for r in cli_json("ledger", db=fresh_chain.db_path) if r["tx_hash"] == tx_hash]
    moves = sorted((r["wallet"], r["kind"], r["quantity"]) for r in legs if r["kind"] != "fee")
    assert moves == sorted([(scenario.wallet.lower(), "self_transfer", "-300"),
                            (SECOND, "self_transfer", "300")])
    gains = cli_json("gains", "--year", "2025", db=fresh_chain.db_path)
    assert not [g for g in gains if g["tx_hash"] == tx_hash and g["kind"] != "fee"]

    after = cli_json("harvest", "--as-of", "2025-07-02", "--all", db=fresh_chain.db_path)
    (arrived,) = [r for r in after if r["wallet"] == SECOND]
    assert arrived["lot_id"] == moving["lot_id"]
    assert arrived["acquired"] == moving["acquired"]
    assert arrived["cost_basis_usd"] == moving["cost_basis_usd"]
    assert Decimal(arrived["quantity"]) == 300
    assert not [r for r in after if r["lot_id"] == moving["lot_id"]
                and r["wallet"] == scenario.wallet.lower()]
    with Store(fresh_chain.db_path) as store:
        assert sorted(store.wallets(31337)) == sorted([scenario.wallet.lower(), SECOND])
    assert_as_rebuilt(fresh_chain.db_path)

    # a later scan of the same wallets adds its transaction to the ledger built before
    w3.provider.make_request("evm_setNextBlockTimestamp",  # type: ignore[arg-type]
                             [int(datetime(2025, 7, 5, tzinfo=UTC).timestamp())])
    w3.eth.wait_for_transaction_receipt(token.functions.transfer(
        Web3.to_checksum_address(SECOND), 10**18).transact({"from": scenario.wallet}))
    result = run_cli("scan", "--config", str(config), db=fresh_chain.db_path)
    assert result.returncode == 0, result.stderr
    assert_as_rebuilt(fresh_chain.db_path)
