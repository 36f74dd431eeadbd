"""Prices from the chain itself: the devnet's Uniswap V2 pools at past blocks."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from chains.registry import DEVNET_DAI, DEVNET_UNISWAP_V2_FACTORY, DEVNET_WETH
from tests.devnet.conftest import Played
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.devnet
PAIR_ABI = [
    {"name": "getReserves", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint112"}, {"name": "", "type": "uint112"},
                 {"name": "", "type": "uint32"}]},
    {"name": "token0", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "address"}]},
]
FACTORY_ABI = [{"name": "getPair", "type": "function", "stateMutability": "view",
                "inputs": [{"name": "", "type": "address"}, {"name": "", "type": "address"}],
                "outputs": [{"name": "", "type": "address"}]}]


def pool_price(w3: Web3, token: str, block: int) -> Decimal:
    """DAI per token from the pair's reserves at `block`, read here with web3."""
    factory = w3.eth.contract(address=Web3.to_checksum_address(DEVNET_UNISWAP_V2_FACTORY),
                              abi=FACTORY_ABI)
    pair = w3.eth.contract(address=factory.functions.getPair(
        Web3.to_checksum_address(token), Web3.to_checksum_address(DEVNET_DAI)).call(),
        abi=PAIR_ABI)
    reserve0, reserve1, _ = pair.functions.getReserves().call(block_identifier=block)
    token0 = pair.functions.token0().call(block_identifier=block).lower()
    dai, other = (reserve0, reserve1) if token0 == DEVNET_DAI else (reserve1, reserve0)
    return Decimal(dai) / Decimal(other)


def cents(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_without_a_price_file_the_pools_value_everything(played: Played, tmp_path: Path) -> None:
    db = tmp_path / "pools.duckdb"
    url = played.node.url
    assert run_cli("scan", played.scenario.wallet, "--rpc", url, db=db).returncode == 0
    fetched = run_cli("prices", "fetch", "--source", "pool", "--rpc", url, db=db)
    assert fetched.returncode == 0, fetched.stderr
    assert "from uniswap-v2" in fetched.stderr

    ledger = cli_json("ledger", db=db)
    assert [r for r in ledger if r["kind"] != "spam" and r["usd_value"] is None] == []
    assert cli_json("prices", "missing", db=db) == []

    w3 = Web3(HTTPProvider(url))
    claim = next(r for r in ledger if r["kind"] == "income")
    before_claim = claim["block_number"] - 1
    assert claim["price_source"] == "uniswap-v2"
    assert claim["usd_value"] == cents(500 * pool_price(w3, played.scenario.tkn, before_claim))

    fees = [r for r in ledger if r["kind"] == "fee"]
    assert fees and all(r["price_source"] == "uniswap-v2" for r in fees)
    for fee in fees:
        eth = pool_price(w3, DEVNET_WETH, fee["block_number"] - 1)
        assert fee["usd_value"] == cents(-Decimal(fee["quantity"]) * eth)

    (income,) = cli_json("income", "--year", "2024", db=db)
    assert income["usd_value"] == claim["usd_value"]
    again = run_cli("prices", "fetch", "--source", "pool", "--rpc", url, db=db)
    assert ", 0 asked:" in again.stderr  # answers and misses are cached
