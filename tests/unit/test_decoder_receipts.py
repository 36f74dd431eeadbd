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
from chains.evm.records import RawTx
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.prices.book import PriceBook

ETH = "eip155:1/slip44:60"
WETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
DAI = "eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f"
FRAX = "eip155:1/erc20:0x853d955acef822db058eb8505911ed77f175b99e"
USDC_DAI_LP = "eip155:1/erc20:0xae461ca67b15dc8dc81ce7615e0320da1a9ab8d5"  # the pair itself
USDC_WETH_LP = "eip155:1/erc20:0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc"
LDO = "eip155:1/erc20:0x5a98fcbea516cf06857215779fd812ca3bef1b32"
# Uniswap V3 positions: the NonfungiblePositionManager's NFT, one asset per token id
POSITIONS = "0xc36442b4a4522e871399cd717abdd847ab11fe88"
DAI_USDC_POSITION = f"eip155:1/erc721:{POSITIONS}/401357"  # token id 0x61fcd
USDC_WETH_POSITION = f"eip155:1/erc721:{POSITIONS}/389043"  # token id 0x5efb3

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
        # tx 0xaf8755f0...: Uniswap V3 SwapRouter02 (0x68b34658) multicall (0x5ae401dc), 262
        # ETH for USDC split over three routes through four V3 pools: Swap logs (topic
        # 0xc42079f9, not V2's) 173 (pool 0x8ad599c3), 177 and 180 (0x4e68ccd3, 0x3416cf6c:
        # WETH -> USDT -> USDC) and 184 (0x88e6a0c2). The router wraps for itself three times
        # (Deposit logs 171, 175, 182, dst = the router; txlistinternal rows 0-2 are router ->
        # WETH9, none the wallet's). The wallet's legs are one asset out, another in, with a
        # V3 Swap in the transaction: the Uniswap V3 decoder's trade
        "0xaf8755f0ab8a0cfa8901fe2a9250a8727cca54825210061aab90f34b7a3ed9ba",
        [
            # gasUsed 0x71699 x effectiveGasPrice 0x2995b8fc27
            ("gas", ETH, -464537 * 178605587495, "fee", "gas"),
            # USDC Transfer log 0xb9 (185), router -> wallet, 0xc3d2583ef2
            ("log:185", USDC, 841047621362, "trade", "uniswap-v3"),
            # transaction value 0xe33fafbdd50580000 (262 ETH) sent to the router
            ("native", ETH, -262000000000000000000, "trade", "uniswap-v3"),
        ],
    ),
    "test_uniswap_v3_add_liquidity.json": (
        # tx 0x6bf3588f...: the wallet 0xa931b486 calls NonfungiblePositionManager 0xc36442b4
        # .mint (0x88316456), DAI + USDC into the 0.01% pool 0x5777d92f (the recording's
        # positions(0x61fcd) eth_call: token0 DAI 0x6b17..., token1 USDC 0xa0b8..., fee 0x64;
        # DAI sorts first by address). The pool emits Mint (log 309, owner = the manager);
        # txlistinternal is empty, transaction value 0
        "0x6bf3588f669a784adf5def3c0db149b0cdbcca775e472bb35f00acedee263c4c",
        [
            # receipt gasUsed 0x5f687 (390791) x effectiveGasPrice 0x35ef12a0f (14477765135)
            ("gas", ETH, -390791 * 14477765135, "fee", "gas"),
            # DAI Transfer log 0x133 (307), wallet -> pool 0x5777d92f, 0x2624c2297d3f3de90b6;
            # IncreaseLiquidity amount0 (data word 1) is the same
            ("log:307", DAI, -11257999999195502514358, "lp_deposit", "uniswap-v3"),
            # USDC Transfer log 0x134 (308), wallet -> pool, 0x3328323c6 = amount1 (word 2)
            ("log:308", USDC, -13732357062, "lp_deposit", "uniswap-v3"),
            # IncreaseLiquidity log 0x137 (311), topic 1 tokenId 0x61fcd (401357), data word
            # 0 (liquidity) 0x15aea6e37897e087c: the position's units, decimals 0. The NFT's
            # mint, Transfer log 310 (0x0 -> wallet, tokenId 0x61fcd), is dropped: the units
            # stand for it
            ("log:311", DAI_USDC_POSITION, 24997913866482354300, "lp_deposit", "uniswap-v3"),
        ],
    ),
    "test_uniswap_v3_remove_liquidity.json": (
        # tx 0x76c312fe...: the wallet 0x35430423 calls the manager's multicall (0xac9650d8):
        # decreaseLiquidity (0x0c49ccbe), collect (0xfc6f7865) with recipient 0x0, which the
        # manager reads as itself (Collect log 51, recipient word 0xc36442b4...), unwrapWETH9
        # (0x49404b7c; Withdrawal log 52, src = the manager) and sweepToken (0xdf2ab5bb, USDC)
        # to the wallet. Position 0x5efb3 in the USDC/WETH 0.3% pool 0x8ad599c3 (the
        # recording's positions(0x5efb3) eth_call: token0 USDC 0xa0b8..., token1 WETH
        # 0xc02a..., fee 0xbb8; USDC sorts first by address). The pool
        # emits Burn (log 46) and Collect (log 50, owner = the manager); it pays the manager
        # USDC 0x2e31a61842 (log 48) and WETH 0x363afba8a37452b43d (log 49). The wallet's
        # generic legs, USDC Transfer log 53 (manager -> wallet, 0x2e31a61842) and
        # txlistinternal row 1 (p1: manager -> wallet, 1000374356073654694973 wei; row 0 is
        # WETH9 -> manager), are replaced by the split below. No NFT Transfer: not burned
        "0x76c312fe1c8604de5175c37dcbbb99cc8699336f3e4840e9e29e3383970f6c6d",
        [
            # receipt gasUsed 0x3d09c (250012) x effectiveGasPrice 0x4323834d9 (18022413529)
            ("gas", ETH, -250012 * 18022413529, "fee", "gas"),
            # DecreaseLiquidity log 0x2f (47), topic 1 tokenId 0x5efb3 (389043), data word 0
            # (liquidity) 0x42895835c5ebcf9: the units out
            ("log:47", USDC_WETH_POSITION, -299653766643105017, "lp_withdraw", "uniswap-v3"),
            # side 0 = USDC: DecreaseLiquidity amount0 (word 1) 0x2d9adfdf06 is the principal;
            # Collect log 0x33 (51) amount0 (word 1) 0x2e31a61842 = 198401464386, so fees =
            # collect - principal = 198401464386 - 195871891206
            ("log:51:0:principal", USDC, 195871891206, "lp_withdraw", "uniswap-v3"),
            ("log:51:0:fees", USDC, 198401464386 - 195871891206, "income", "uniswap-v3"),
            # side 1 = WETH, unwrapped by the manager: the wallet got ETH (internal row p1,
            # 1000374356073654694973 wei = Collect amount1, word 2, 0x363afba8a37452b43d).
            # DecreaseLiquidity amount1 (word 2) 0x361a48c6e194a2cc2a is the principal
            ("log:51:1:principal", ETH, 998018162295788719146, "lp_withdraw", "uniswap-v3"),
            ("log:51:1:fees", ETH, 1000374356073654694973 - 998018162295788719146, "income",
             "uniswap-v3"),
        ],
    ),
    "test_uniswap_v3_swap.json": (
        # tx 0x1c50c336...: the wallet 0xb63e0c50 calls SwapRouter 0xe592427a multicall
        # (0xac9650d8): exactOutputSingle (0xdb3e2198: WETH in, LDO out, fee 0x2710, amountOut
        # 0x3635c9adc5dea00000, amountInMaximum = the value) through the LDO/WETH 1% pool
        # 0xf4ad61db, then refundETH (0x12210e8a). The router wraps 632989659350357136 wei for
        # itself (Deposit log 486, dst = the router; txlistinternal row 0, router -> WETH9) and pays
        # the pool (WETH Transfer log 487). Swap log 0x1e8 (488): amount0 (LDO, token0 since
        # 0x5a98 < 0xc02a) -0x3635c9adc5dea00000, amount1 (WETH) +0x8c8d4bdd012d490
        "0x1c50c336329a7ee41f722ce5d848ebd066b72bf44a1eaafcaa92e8c0282049d2",
        [
            # receipt gasUsed 0x396a6 (235174) x effectiveGasPrice 0x25e96f8a4a (162830191178)
            ("gas", ETH, -235174 * 162830191178, "fee", "gas"),
            # LDO Transfer log 0x1e5 (485), pool 0xf4ad61db -> wallet, 0x3635c9adc5dea00000
            ("log:485", LDO, 1000000000000000000000, "trade", "uniswap-v3"),
            # transaction value 0x8d4133ec308af39 (636154607647108921 wei) sent to the router
            ("native", ETH, -636154607647108921, "trade", "uniswap-v3"),
            # txlistinternal row 1 (p1): router -> wallet 3164948296751785 wei, the refund
            # (636154607647108921 sent - 632989659350357136 wrapped)
            ("trace:p1", ETH, 3164948296751785, "trade", "uniswap-v3"),
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
