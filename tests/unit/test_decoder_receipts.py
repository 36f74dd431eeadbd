"""The protocol decoders against single real mainnet transactions, through build_ledger.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ holds a
transaction, its receipt and its internal transactions as Etherscan's proxy and account
modules answered them. They become a RawTx the way the explorer source does it
(raw_tx_from_json, internal_from_row); the wallet is the transaction's sender, the only own
wallet. Every expected leg below was read from the JSON by hand: the comments say where.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chains.evm.explorer import internal_from_row
from chains.evm.mappers import raw_tx_from_json
from chains.registry import chain_by_id
from scanner.prices.book import PriceBook
from scanner.rebuild import build_ledger
from scanner.service import asset_ranks
from scanner.types import RawTx

ETH = "eip155:1/slip44:60"
WETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
DAI = "eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f"
FRAX = "eip155:1/erc20:0x853d955acef822db058eb8505911ed77f175b99e"
USDC_DAI_LP = "eip155:1/erc20:0xae461ca67b15dc8dc81ce7615e0320da1a9ab8d5"  # the pair itself
USDC_WETH_LP = "eip155:1/erc20:0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc"

Leg = tuple[str, str, int, str, str]  # leg_key, asset, raw amount, kind, protocol


def recorded_tx(path: Path) -> RawTx:
    """The recording's transaction as the explorer source would build it."""
    data = json.loads(path.read_text())
    answers: dict[str, Any] = {}
    for interaction in data["interactions"]:
        action = parse_qs(urlparse(interaction["uri"]).query)["action"][0]
        if "response" in interaction:
            answers.setdefault(action, interaction["response"]["result"])
    receipt = answers["eth_getTransactionReceipt"]
    block = int(receipt["blockNumber"], 16)
    stamp = datetime.fromtimestamp(data["block_timestamps"][str(block)], tz=UTC)
    rows = answers.get("txlistinternal") or []
    internal = [t for t in (internal_from_row(r, i) for i, r in enumerate(rows)) if t]
    return raw_tx_from_json(1, answers["eth_getTransactionByHash"], receipt, stamp, internal)


def ledger_legs(raw: RawTx) -> list[Leg]:
    chain = chain_by_id(1)
    ranks = asset_ranks([chain], frozenset())
    built = build_ledger(chain, [raw], [raw.from_address], {}, PriceBook([]), ranks)
    assert {e.wallet for e in built.entries} == {raw.from_address}
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in built.entries)


CASES: dict[str, tuple[str, list[Leg]]] = {
    "test_weth_deposit.json": (
        # tx 0x5bb623b3...: 0x4b078a6a... calls WETH9.deposit() (input 0xd0e30db0)
        "0x5bb623b365def9650816dcbaf1babde8fd0ebed737db36d3a033d7cf63792daf",
        [
            # receipt gasUsed 0x6d22 x effectiveGasPrice 0x4c6c2fe78
            ("gas", ETH, -27938 * 20514537080, "fee", "gas"),
            # Deposit log 0x65 (101), dst = the wallet, wad 0xd529ae9e860000: no Transfer
            ("log:101", WETH, 60000000000000000, "wrap", "weth"),
            # transaction value 0xd529ae9e860000 sent to WETH9
            ("native", ETH, -60000000000000000, "wrap", "weth"),
        ],
    ),
    "test_weth_withdrawal.json": (
        # tx 0x1f3aa6f7...: 0x4b2975af... calls WETH9.withdraw(0.5 ETH) (input 0x2e1a7d4d)
        "0x1f3aa6f7d33bfaaaf9cdd92b16fecdf911341601c02ad89b4ec0b80c66c28a07",
        [
            ("gas", ETH, -30404 * 20514537080, "fee", "gas"),  # gasUsed 0x76c4 x 0x4c6c2fe78
            # Withdrawal log 0x45 (69), src = the wallet, wad 0x6f05b59d3b20000
            ("log:69", WETH, -500000000000000000, "unwrap", "weth"),
            # txlistinternal row 0 (no traceId, so position p0): WETH9 -> wallet, 5e17 wei
            ("trace:p0", ETH, 500000000000000000, "unwrap", "weth"),
        ],
    ),
    "test_uniswap_v2_swap.json": (
        # tx 0x67cf6c4c...: Router02.swapExactETHForTokens (0x7ff36ab5), path
        # WETH -> USDC -> FEI -> FRAX over pairs 0xb4e16d01, 0x9bac32d4, 0xe1573b9d, each of
        # which emits Swap (logs 511, 516, 519); the router wraps for itself (Deposit log 507,
        # dst = the router: not the wallet's wrap)
        "0x67cf6c4ce5078f9750a14afd2f5070c327caf8c5180bdee2be59644ac59974e1",
        [
            ("gas", ETH, -220160 * 38500000000, "fee", "gas"),  # gasUsed 0x35c00 x 0x8f6c76100
            # FRAX Transfer log 0x205 (517), pair 0xe1573b9d -> the wallet, 0x1918f7e61d476779dd
            ("log:517", FRAX, 462967761432322996701, "trade", "uniswap-v2"),
            # transaction value 0x214e8348c4f0000 sent to the router
            ("native", ETH, -150000000000000000, "trade", "uniswap-v2"),
        ],
    ),
    "test_uniswap_v2_add_liquidity.json": (
        # tx 0x1bab8a89...: Router02.addLiquidity (0xe8e33700) USDC + DAI into pair 0xae461ca6,
        # which emits Mint (log 121) and mints its LP token to the wallet (log 119)
        "0x1bab8a89a6a3f8cb127cfaf7cd58809201a4e230d0a05f9e067674749605959e",
        [
            ("gas", ETH, -158459 * 18501979762, "fee", "gas"),  # gasUsed 0x26afb x 0x44ecdce72
            # USDC Transfer log 0x75 (117), wallet -> pair, 0x17d7840
            ("log:117", USDC, -25000000, "lp_deposit", "uniswap-v2"),
            # DAI Transfer log 0x76 (118), wallet -> pair, 0x15adf749283d89f75
            ("log:118", DAI, -24994824629555601269, "lp_deposit", "uniswap-v2"),
            # LP Transfer log 0x77 (119), 0x0 -> wallet, 0x142e06b0b866
            ("log:119", USDC_DAI_LP, 22187913295974, "lp_deposit", "uniswap-v2"),
        ],
    ),
    "test_uniswap_v2_remove_liquidity.json": (
        # tx 0x0936a16e...: Router02.removeLiquidityETHWithPermit (0xded9382a) from the
        # USDC/WETH pair 0xb4e16d01, which emits Burn (log 37) to the router; the router
        # unwraps (Withdrawal log 39, src = the router) and pays the wallet ETH internally
        "0x0936a16e1d3655e832c60bed52040fd5ac0d99d03865d11225b3183dba318f43",
        [
            ("gas", ETH, -234471 * 20000000000, "fee", "gas"),  # gasUsed 0x393e7 x 0x4a817c800
            # LP Transfer log 0x20 (32), wallet -> pair, 0x16648cc933
            ("log:32", USDC_WETH_LP, -96176228659, "lp_withdraw", "uniswap-v2"),
            # USDC Transfer log 0x26 (38), router -> wallet, 0x6beed5
            ("log:38", USDC, 7073493, "lp_withdraw", "uniswap-v2"),
            # txlistinternal row 1 (p1): router -> wallet 5839327781368506 wei (row 0 is
            # WETH9 -> router)
            ("trace:p1", ETH, 5839327781368506, "lp_withdraw", "uniswap-v2"),
        ],
    ),
    "test_swap_eth_to_tokens.json": (
        # tx 0xaf8755f0...: Uniswap V3 SwapRouter02 multicall (0x5ae401dc), 262 ETH for USDC
        # through three V3 pools (Swap topic 0xc42079f9, not V2's); the router wraps for
        # itself three times (Deposit logs 171, 175, 182, dst = the router). Neither decoder
        # claims it: the generic rule's trade
        "0xaf8755f0ab8a0cfa8901fe2a9250a8727cca54825210061aab90f34b7a3ed9ba",
        [
            # gasUsed 0x71699 x effectiveGasPrice 0x2995b8fc27
            ("gas", ETH, -464537 * 178605587495, "fee", "gas"),
            # USDC Transfer log 0xb9 (185), router -> wallet, 0xc3d2583ef2
            ("log:185", USDC, 841047621362, "trade", "transfer"),
            # transaction value 0xe33fafbdd50580000 (262 ETH) sent to the router
            ("native", ETH, -262000000000000000000, "trade", "transfer"),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_ledger_leg_of_a_real_transaction(realdata: Path, name: str) -> None:
    tx_hash, expected = CASES[name]
    raw = recorded_tx(realdata / "explorer-recordings" / "decoder_receipts" / name)
    assert raw.tx_hash == tx_hash
    assert ledger_legs(raw) == sorted(expected)


def test_the_added_weth_leg_is_where_the_deposit_log_is(realdata: Path) -> None:
    raw = recorded_tx(realdata / "explorer-recordings" / "decoder_receipts"
                      / "test_weth_deposit.json")
    chain = chain_by_id(1)
    built = build_ledger(chain, [raw], [raw.from_address], {}, PriceBook([]),
                         asset_ranks([chain], frozenset()))
    (weth,) = [e for e in built.entries if e.asset == WETH]
    assert (weth.log_index, weth.decimals, str(weth.quantity)) == (101, 18, "0.060000000000000000")
    assert weth.counterparty == "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
