"""Curve against real transactions: a swap of ETH in a pool, liquidity added to tricrypto
and removed from a metapool through a zap, LP tokens into an old gauge on Ethereum and out of
a child gauge on Gnosis, CRV minted on Arbitrum; then, on hand-built transactions, shapes
the recordings lack: one coin taken out, an underlying exchange through a router, CRV
minted on Ethereum (from 0x0), a zap that adds liquidity and stakes it, a reward a gauge
pays beside a withdrawal, and what is left to other rules.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand (receipt logs, rotki_expected): the
comments say where.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from chains.addresses import erc20_asset
from scanner.ledger.decode.protocols.curve import (
    GAUGE_DEPOSIT,
    GAUGE_WITHDRAW,
    MINTED,
    REMOVE_LIQUIDITY_ONE,
    TOKEN_EXCHANGE_UNDERLYING,
    UPDATE_LIQUIDITY_LIMIT,
)
from scanner.tax.lots import compute_lots
from tests.unit.rawtx import ME, STRANGER, ZERO, built, event, legs, transfer, tx
from tests.unit.recordings import Leg, recorded

ETH = "eip155:1/slip44:60"


def on(chain: int, address: str) -> str:
    return erc20_asset(chain, address)


CASES: dict[str, list[Leg]] = {
    # tx 0x34d6674d...: 0x8a1b73a8 calls the ankrETH pool 0xa96a65c0 exchange (0x3df02124)
    # with 0x48c273950000 wei; TokenExchange log 56 (buyer = the wallet, sold 0x48c273950000,
    # bought 0x42f729d5d034); rotki: Swap 0.00008 ETH, Receive 0.000073629326233652 ankrETH
    "test_curve_trade_eth_to_token.json": [
        ("gas", ETH, -0x1AD9D * 0x3A86D7335, "fee", "gas"),  # gasUsed x effectiveGasPrice
        ("native", ETH, -0x48C273950000, "trade", "curve"),
        # ankrETH Transfer log 55, pool -> wallet
        ("log:55", on(1, "0xe95a203b1a91a908f9b9ce46459d101078c2c3cb"), 0x42F729D5D034,
         "trade", "curve"),
    ],
    # tx 0xa221cd73...: 0x326962d3 calls the tricrypto-NG pool 0x7f86bf17 add_liquidity
    # (0x2b6e993a) with WBTC alone; AddLiquidity log 165 (provider = the wallet); the pool is
    # its own LP token; rotki: Deposit 0.00056854 WBTC, Receive 0.02528250834719302 LP
    "test_tricrypto_deposit.json": [
        ("gas", ETH, -0x34B0D * 0x1FD38550, "fee", "gas"),
        # WBTC Transfer log 163, wallet -> pool
        ("log:163", on(1, "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"), -0xDE16, "deposit",
         "curve"),
        # crvUSDCWBTCWETH Transfer log 164, 0x0 -> wallet: minted
        ("log:164", on(1, "0x7f86bf177dd4f3494b841a37e810a34dd56c829b"), 0x59D24EB110B6BC,
         "deposit", "curve"),
    ],
    # tx 0xbf4a445d...: 0xc7bfb2ed calls the metapool zap 0xa79828df remove_liquidity
    # (0xad5cc918); the metapool 0xe9123cbc and 3pool 0xbebc4478 emit RemoveLiquidity (logs
    # 42, 47) with the zap as provider; the wallet's LP token goes to the zap (log 38), which
    # burns it (log 41) and pays out four coins (logs 48-51); rotki: Return 95093.489... LP,
    # Remove 56718.01... lvUSD, 14119.17... DAI, 16072.772093 USDC, 8326.299501 USDT
    "test_3pool_remove_liquidity.json": [
        ("gas", ETH, -0x57F5B * 0x4DA3DA52D, "fee", "gas"),
        ("log:38", on(1, "0xe9123cbc5d1ea65301d417193c40a72ac8d53501"),
         -0x1423074329D324805BAB, "withdraw", "curve"),
        ("log:48", on(1, "0x94a18d9fe00bab617fad8b49b11e9f1f64db6b36"),
         0xC02B0858189AFB4CFA0, "withdraw", "curve"),  # lvUSD
        ("log:49", on(1, "0x6b175474e89094c44da98b954eedeac495271d0f"),
         0x2FD66CC085086C1B587, "withdraw", "curve"),  # DAI
        ("log:50", on(1, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"), 0x3BE0309FD,
         "withdraw", "curve"),  # USDC
        ("log:51", on(1, "0xdac17f958d2ee523a2206206994597c13d831ec7"), 0x1F0493F6D,
         "withdraw", "curve"),  # USDT
    ],
    # tx 0x5ae70d68...: 0xd289986c calls the sUSD pool's gauge 0xa9099689 deposit
    # (0xb6b55f25); the gauge emits UpdateLiquidityLimit (log 198, the wallet in its first
    # word) and Deposit (log 202, provider = the wallet, 0x1b0e1c36925609f6477) and mints no
    # token: the receipt is the gauge's own asset, keyed by the Deposit log
    "test_curve__test_gauge_deposit.json": [
        ("gas", ETH, -0x77F49 * 0x3799444C6, "fee", "gas"),
        # crvPlain3andSUSD Transfer log 199, wallet -> gauge
        ("log:199", on(1, "0xc25a3a3b969415c80451098fa907ec722572917f"),
         -0x1B0E1C36925609F6477, "deposit", "curve-gauge"),
        ("log:202", on(1, "0xa90996896660decc6e997655e065b23788857849"),
         0x1B0E1C36925609F6477, "deposit", "curve-gauge"),
    ],
    # tx 0x29d1b4a2... on Gnosis: 0xd4f9fe00 calls the crvUSD/sDAI gauge 0x05cd911e withdraw
    # (0x2e1a7d4d): UpdateLiquidityLimit log 1102 and Withdraw log 1104 name the wallet
    "test_gauge_withdraw_gnosis.json": [
        ("gas", "eip155:100/slip44:700", -0x2FE0A * 0x3B9ACA09, "fee", "gas"),
        # the LP token back, Transfer log 1103, gauge -> wallet
        ("log:1103", on(100, "0x0c8fa74c7b2de5a92b39217dc98d2d609439a2e5"),
         0x4253B01BF55377237BB, "withdraw", "curve-gauge"),
        # the gauge's token burned, Transfer log 1105, wallet -> 0x0
        ("log:1105", on(100, "0x05cd911ee9b60c28fcee4ea03cc5670637d955b1"),
         -0x4253B01BF55377237BB, "withdraw", "curve-gauge"),
    ],
    # tx 0xe2a426f5... on Arbitrum: 0xfa0bd4e9 calls the ChildGaugeFactory 0xabc000d8 mint
    # (0x6a627842): Minted log 3 (user = the wallet, gauge 0xae0f794b); rotki: Claim
    # 91.242298892444813033 CRV, a reward
    "test_mint_crv_arb.json": [
        ("gas", "eip155:42161/slip44:60", -0x5C1E7 * 0x989680, "fee", "gas"),
        # CRV Transfer log 2, the factory -> wallet
        ("log:2", on(42161, "0x11cdb42b0eb46d95f990bedd4695a6e3fa034978"),
         0x4F23DC36B9630C6E9, "income", "curve-gauge"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_leg_of_a_curve_transaction(realdata: Path, name: str) -> None:
    assert recorded(realdata, name) == sorted(CASES[name])


POOL, ROUTER, GAUGE = "0x" + "c1" * 20, "0x" + "c2" * 20, "0x" + "c3" * 20
DAI_TOKEN, USDC_TOKEN = "0x" + "a1" * 20, "0x" + "a2" * 20
DAI, USDC, LP = erc20_asset(1, DAI_TOKEN), erc20_asset(1, USDC_TOKEN), erc20_asset(1, POOL)
MINTER = "0xd061d61a4d941c39e5453435b6345dc261c2fce0"  # Curve's Minter on Ethereum
CRV_TOKEN = "0xd533a949740bb3306d119cc777fa900ba034cd52"


def test_one_coin_taken_out_is_a_withdrawal() -> None:
    # RemoveLiquidityOne(provider, token_amount, coin_amount, token_supply): the pool burns
    # 700 of its own LP token and pays 690 USDC
    raw = tx(transfer(0, POOL, ME, ZERO, 700), transfer(1, USDC_TOKEN, POOL, ME, 690),
             event(2, POOL, REMOVE_LIQUIDITY_ONE, (ME,), 700, 690, 10_000), to=POOL)
    assert legs([raw]) == [("log:0", LP, -700, "withdraw", "curve"),
                           ("log:1", USDC, 690, "withdraw", "curve")]


def test_an_underlying_exchange_through_a_router_is_a_trade() -> None:
    # the router the wallet called is the buyer: TokenExchangeUnderlying(buyer, sold_id,
    # tokens_sold, bought_id, tokens_bought)
    raw = tx(transfer(0, DAI_TOKEN, ME, ROUTER, 500), transfer(1, DAI_TOKEN, ROUTER, POOL, 500),
             event(2, POOL, TOKEN_EXCHANGE_UNDERLYING, (ROUTER,), 0, 500, 1, 499),
             transfer(3, USDC_TOKEN, POOL, ROUTER, 499),
             transfer(4, USDC_TOKEN, ROUTER, ME, 499), to=ROUTER)
    assert legs([raw]) == [("log:0", DAI, -500, "trade", "curve"),
                           ("log:4", USDC, 499, "trade", "curve")]


def test_crv_minted_on_ethereum_is_income_from_the_registry_minter() -> None:
    # the Minter mints CRV from 0x0: Minted(recipient indexed, gauge, minted so far)
    raw = tx(transfer(0, CRV_TOKEN, ZERO, ME, 321),
             event(1, MINTER, MINTED, (ME,), GAUGE, 4_321), to=MINTER)
    assert legs([raw]) == [("log:0", erc20_asset(1, CRV_TOKEN), 321, "income", "curve-gauge")]
    # in the income report, a staking reward, as a farm's
    (paid,) = compute_lots(built([raw]).entries).income
    assert (paid.asset, paid.quantity, paid.kind) == (erc20_asset(1, CRV_TOKEN),
                                                      Decimal(321), "reward")


def test_a_zap_that_adds_liquidity_and_stakes_it_is_one_gauge_deposit() -> None:
    # Curve's DepositAndStake zap: the coins to the zap, the LP token minted to it and
    # deposited in the gauge for the wallet (Deposit(provider = the wallet), and its
    # UpdateLiquidityLimit), the gauge's token minted to the wallet
    raw = tx(transfer(0, DAI_TOKEN, ME, ROUTER, 500), transfer(1, USDC_TOKEN, ME, ROUTER, 40),
             transfer(2, POOL, ZERO, ROUTER, 530), transfer(3, POOL, ROUTER, GAUGE, 530),
             event(4, GAUGE, UPDATE_LIQUIDITY_LIMIT, (ME,), 530, 9_000, 530, 9_000),
             event(5, GAUGE, GAUGE_DEPOSIT, (ME,), 530), transfer(6, GAUGE, ZERO, ME, 530),
             to=ROUTER)
    assert legs([raw]) == [("log:0", DAI, -500, "deposit", "curve-gauge"),
                           ("log:1", USDC, -40, "deposit", "curve-gauge"),
                           ("log:6", erc20_asset(1, GAUGE), 530, "deposit", "curve-gauge")]


def test_what_a_gauge_pays_beside_a_withdrawal_is_income() -> None:
    # withdraw(value, claim_rewards=True): the LP token back, the gauge's token burned, and a
    # reward token the gauge pays out with no event of its own
    raw = tx(event(0, GAUGE, UPDATE_LIQUIDITY_LIMIT, (ME,), 0, 9_000, 0, 9_000),
             transfer(1, POOL, GAUGE, ME, 530), event(2, GAUGE, GAUGE_WITHDRAW, (ME,), 530),
             transfer(3, GAUGE, ME, ZERO, 530), transfer(4, DAI_TOKEN, GAUGE, ME, 12),
             to=GAUGE)
    assert legs([raw]) == [("log:1", LP, 530, "withdraw", "curve-gauge"),
                           ("log:3", erc20_asset(1, GAUGE), -530, "withdraw", "curve-gauge"),
                           ("log:4", DAI, 12, "income", "curve-gauge")]


@pytest.mark.parametrize("case", ["a pool the wallet did not call", "a Minted by a stranger"])
def test_what_curve_leaves_to_other_rules(case: str) -> None:
    raw = {
        # an aggregator's executor swapped in the pool: the wallet called another contract
        "a pool the wallet did not call": tx(
            transfer(0, DAI_TOKEN, ME, ROUTER, 500),
            event(1, POOL, TOKEN_EXCHANGE_UNDERLYING, (STRANGER,), 0, 500, 1, 499),
            transfer(2, USDC_TOKEN, ROUTER, ME, 499), to=ROUTER),
        # no registry minter, and no gauge of the wallet checkpointed in the transaction
        "a Minted by a stranger": tx(
            transfer(0, CRV_TOKEN, STRANGER, ME, 321),
            event(1, STRANGER, MINTED, (ME,), GAUGE, 321), to=STRANGER),
    }[case]
    assert all(not protocol.startswith("curve") for *_, protocol in legs([raw]))
