"""The receipt shape against real transactions of protocols no decoder knows by address:
Curve (a pool's LP token minted for one coin; an LP token burned through a zap for four),
Balancer v2 (a join whose BPT goes straight into a gauge; an exit), a Convex deposit token
and a Yearn v2 vault redeemed. Then what the shape leaves alone, on hand-built transactions.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand: the comments say where.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.addresses import erc20_asset
from tests.unit.rawtx import ME, STRANGER, ZERO, legs, nft_mint, transfer, tx
from tests.unit.recordings import Leg, recorded

ETH = "eip155:1/slip44:60"



def on(chain: int, address: str) -> str:
    return erc20_asset(chain, address)


CASES: dict[str, list[Leg]] = {
    # tx 0xa221cd73...: 0x326962d3 calls the tricrypto pool 0x7f86bf17 add_liquidity
    # (0x2b6e993a) with WBTC alone; the pool is its own LP token
    "test_tricrypto_deposit.json": [
        ("gas", ETH, -0x34B0D * 0x1FD38550, "fee", "gas"),  # gasUsed x effectiveGasPrice
        # WBTC Transfer log 163, wallet -> pool, 0xde16
        ("log:163", on(1, "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"), -0xDE16, "deposit",
         "receipt"),
        # crvUSDCWBTCWETH Transfer log 164, 0x0 -> wallet, 0x59d24eb110b6bc: minted
        ("log:164", on(1, "0x7f86bf177dd4f3494b841a37e810a34dd56c829b"), 0x59D24EB110B6BC,
         "deposit", "receipt"),
    ],
    # tx 0xbf4a445d...: 0xc7bfb2ed calls a zap 0xa79828df (remove_liquidity 0xad5cc918): the
    # wallet's LP token goes to the zap (log 38), which burns it (log 41, zap -> 0x0, the
    # same 0x1423074329d324805bab) and pays out four coins (logs 48-51, zap -> wallet)
    "test_3pool_remove_liquidity.json": [
        ("gas", ETH, -0x57F5B * 0x4DA3DA52D, "fee", "gas"),
        ("log:38", on(1, "0xe9123cbc5d1ea65301d417193c40a72ac8d53501"),
         -0x1423074329D324805BAB, "withdraw", "receipt"),
        ("log:48", on(1, "0x94a18d9fe00bab617fad8b49b11e9f1f64db6b36"),
         0xC02B0858189AFB4CFA0, "withdraw", "receipt"),  # lvUSD
        ("log:49", on(1, "0x6b175474e89094c44da98b954eedeac495271d0f"),
         0x2FD66CC085086C1B587, "withdraw", "receipt"),  # DAI
        ("log:50", on(1, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"), 0x3BE0309FD,
         "withdraw", "receipt"),  # USDC
        ("log:51", on(1, "0xdac17f958d2ee523a2206206994597c13d831ec7"), 0x1F0493F6D,
         "withdraw", "receipt"),  # USDT
    ],
    # tx 0xcc163648...: 0x2e1336f7 calls Balancer's Vault exitPool (0x8bdb3913): the BPT
    # Transfer log 132 burns 0xcf94db7e123d215b of the wallet's (wallet -> 0x0), the Vault
    # pays rswETH (log 133)
    "test_balancer_v2_exit_ethereum.json": [
        ("gas", ETH, -0x40F41 * 0x371818AB1, "fee", "gas"),
        ("log:132", on(1, "0x848a5564158d84b8a8fb68ab5d004fae11619a54"),
         -0xCF94DB7E123D215B, "withdraw", "receipt"),
        ("log:133", on(1, "0xfae103dc9cf190ed75350761e95403b7b8afa6c0"),
         0xCF853F3A16A69D84, "withdraw", "receipt"),
    ],
    # tx 0x1e8d94f4... on OP Mainnet: 0x3ba6eb0e multicalls a Balancer relayer 0x03f1ab8b:
    # USDC.e and USDT into the Vault, BPT minted to the wallet and passed on to a gauge,
    # whose own token is minted to the wallet
    "test_balancer_v2_join_with_gauge_deposit.json": [
        # gasUsed 0x91411 x effectiveGasPrice 0x46c468 + l1Fee 0xf5dedc46133d
        ("gas", "eip155:10/slip44:60", -(0x91411 * 0x46C468 + 0xF5DEDC46133D), "fee", "gas"),
        # BPT Transfer log 54, 0x0 -> wallet, 0x5f153bd493ac0236e0, and log 59 the same
        # amount from the wallet to the relayer: it nets to nothing
        ("log:54", on(10, "0x9da11ff60bfc5af527f58fd61679c3ac98d040d9"),
         0x5F153BD493AC0236E0, "deposit", "receipt"),
        ("log:55", on(10, "0x7f5c764cbc14f9669b88837ca1490cca17c31607"), -0x30479DE3,
         "deposit", "receipt"),  # USDC.e Transfer, wallet -> Vault 0xba122222
        ("log:57", on(10, "0x94b008aa00579c1307b0ef2c499ad98a8ce58e58"), -0x3918449B,
         "deposit", "receipt"),  # USDT Transfer, wallet -> Vault
        ("log:59", on(10, "0x9da11ff60bfc5af527f58fd61679c3ac98d040d9"),
         -0x5F153BD493AC0236E0, "deposit", "receipt"),
        # the gauge's Transfer log 66, 0x0 -> wallet, 0x5f153bd493ac0236e0: the receipt
        ("log:66", on(10, "0xcc2e1cb5d8dea77f08d19f875f381f34f997d96c"),
         0x5F153BD493AC0236E0, "deposit", "receipt"),
    ],
    # tx 0x79fcbafa...: 0x53913a03 calls Convex's Booster withdraw(pid, amount) (0x441a3e70):
    # its deposit token burned (log 222, wallet -> 0x0) and the Curve LP token back from the
    # Booster (log 228), both 0x13c034ea5da775d341
    "test_booster_withdraw.json": [
        ("gas", ETH, -0x6B952 * 0x447C2BD79, "fee", "gas"),
        ("log:222", on(1, "0xcb6d873f7bbe57584a9b08380901dc200be7ce74"),
         -0x13C034EA5DA775D341, "withdraw", "receipt"),
        ("log:228", on(1, "0xf3a43307dcafa93275993862aae628fcb50dc768"),
         0x13C034EA5DA775D341, "withdraw", "receipt"),
    ],
    # tx 0x4c06090b...: 0x9e406b2c calls the Yearn v2 vault 0x790a6002 withdraw (0x2e1a7d4d):
    # shares burned (log 165, 0x27287dd16a9a2003e), the LP token paid (log 166)
    "test_withdraw_yearn_v2.json": [
        ("gas", ETH, -0x98347 * 0x8FE5A7FB, "fee", "gas"),
        ("log:165", on(1, "0x790a60024bc3aea28385b60480f15a0771f26d09"),
         -0x27287DD16A9A2003E, "withdraw", "receipt"),
        ("log:166", on(1, "0x29059568bb40344487d62f7450e78b8e6c74e0e5"),
         0x29C813E44EA9EA61F, "withdraw", "receipt"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_leg_of_a_receipt_read_by_its_shape(realdata: Path, name: str) -> None:
    assert recorded(realdata, name) == sorted(CASES[name])


def test_a_migration_that_burns_one_token_and_mints_another_stays_a_trade(
        realdata: Path) -> None:
    # tx of test_migrate_dai_usds.json: DAI to the migrator 0xf86141a5, which burns it (log
    # 61); USDS minted to the wallet (log 64): not one deposit, left to the generic rules
    kinds = {leg[3:] for leg in recorded(realdata, "test_migrate_dai_usds.json")}
    assert kinds == {("fee", "gas"), ("trade", "transfer")}


TOKEN, POOL, NFT = "0x" + "a1" * 20, "0x" + "c1" * 20, "0x" + "e1" * 20
A, LP = erc20_asset(1, TOKEN), erc20_asset(1, POOL)


def test_a_token_minted_for_a_payment_to_the_minter_is_a_deposit() -> None:
    raw = tx(transfer(0, TOKEN, ME, POOL, 500), transfer(1, POOL, ZERO, ME, 7), to=POOL)
    assert legs([raw]) == [("log:0", A, -500, "deposit", "receipt"),
                           ("log:1", LP, 7, "deposit", "receipt")]
    # burned back for the token
    back = tx(transfer(0, POOL, ME, ZERO, 7), transfer(1, TOKEN, POOL, ME, 510), to=POOL, n=2)
    assert legs([back]) == [("log:0", LP, -7, "withdraw", "receipt"),
                            ("log:1", A, 510, "withdraw", "receipt")]


@pytest.mark.parametrize("case", [
    "an NFT minted for coins is a purchase", "paid to an address that took no part",
    "minted to someone else, passed on", "someone else's transaction",
    "something else came back",
])
def test_what_the_receipt_shape_leaves_alone(case: str) -> None:
    raw = {
        "an NFT minted for coins is a purchase": tx(nft_mint(0, NFT, ME, 5), to=NFT,
                                                     value=10**17),
        "paid to an address that took no part": tx(
            transfer(0, TOKEN, ME, STRANGER, 500), transfer(1, POOL, ZERO, ME, 7), to=POOL),
        "minted to someone else, passed on": tx(
            transfer(0, TOKEN, ME, POOL, 500), transfer(1, POOL, ZERO, STRANGER, 3),
            transfer(2, POOL, STRANGER, ME, 7), to=POOL),
        "someone else's transaction": tx(
            transfer(0, TOKEN, ME, POOL, 500), transfer(1, POOL, ZERO, ME, 7), to=POOL,
            sender=STRANGER),
        "something else came back": tx(
            transfer(0, TOKEN, ME, POOL, 500), transfer(1, POOL, ZERO, ME, 7),
            transfer(2, "0x" + "b2" * 20, POOL, ME, 9), to=POOL),
    }[case]
    assert all(protocol != "receipt" for *_, protocol in legs([raw]))
