"""Convex against real transactions: a Booster withdrawal burning its deposit token, and
cvxCRV staked in its reward pool beside an extra reward pool that only counts the stake; then,
on hand-built transactions, the shapes the recordings lack: a Booster deposit staked at once
(no token comes back to the wallet: the pool's receipt carries the basis), the rewards of
getReward with CVX minted beside them, and a withdrawal through the reward pool.

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
from chains.evm.records import TokenInfo
from scanner.ledger.decode.protocols.convex import BOOSTER_WITHDRAWN, DEPOSITED
from scanner.ledger.decode.protocols.staking_rewards import REWARD_PAID, STAKED, WITHDRAWN
from scanner.tax.lots import compute_lots
from tests.unit.rawtx import ME, STRANGER, ZERO, built, event, legs, transfer, tx
from tests.unit.recordings import Leg, recorded

ETH = "eip155:1/slip44:60"
CVXCRV_POOL = "0x3fe65692bfcd0e6cf84cb1e7d24108e434a7587e"


def on(address: str) -> str:
    return erc20_asset(1, address)


CASES: dict[str, list[Leg]] = {
    # tx 0x79fcbafa...: 0x53913a03 calls the Booster 0xf403c135 withdraw(pid, amount)
    # (0x441a3e70): Withdrawn log 229 (user = the wallet, pid 0x48, 0x13c034ea5da775d341);
    # rotki: Return 364.338089842514973505 cvxcvxFXSFXS-f, Withdraw the same cvxFXSFXS-f
    "test_booster_withdraw.json": [
        ("gas", ETH, -0x6B952 * 0x447C2BD79, "fee", "gas"),  # gasUsed x effectiveGasPrice
        # the deposit token burned, Transfer log 222, wallet -> 0x0
        ("log:222", on("0xcb6d873f7bbe57584a9b08380901dc200be7ce74"),
         -0x13C034EA5DA775D341, "withdraw", "convex"),
        # the Curve LP token back, Transfer log 228, Booster -> wallet
        ("log:228", on("0xf3a43307dcafa93275993862aae628fcb50dc768"),
         0x13C034EA5DA775D341, "withdraw", "convex"),
    ],
    # tx 0x3cc0b258...: 0x2acecbf2 calls the cvxCRV reward pool 0x3fe65692 stake
    # (0xa694fc3a): Staked log 427 (user = the wallet, 0x9057b68d9eaa306ba); the extra
    # reward pool 0x7091dbb7 emits Staked too (log 424) but nothing moves to it; rotki:
    # Deposit 166.415721340864759482 cvxCRV into convex
    "test_cvxcrv_stake.json": [
        ("gas", ETH, -0x271E0 * 0x4D057B6E9, "fee", "gas"),
        # cvxCRV Transfer log 425, wallet -> pool
        ("log:425", on("0x62b9c7356a2dc64a1969e19c23e4f579f9810aa7"), -0x9057B68D9EAA306BA,
         "deposit", "convex"),
        # the pool keeps the balance: its own asset, keyed by the Staked log
        ("log:427", on(CVXCRV_POOL), 0x9057B68D9EAA306BA, "deposit", "convex"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_leg_of_a_convex_transaction(realdata: Path, name: str) -> None:
    assert recorded(realdata, name) == sorted(CASES[name])


BOOSTER = "0xf403c135812408bfbe8713b5a23a04b3d48aae31"  # the registry's, on Ethereum
CVX_TOKEN = "0x4e3fbd56cd56c3e72c1403e103b45db9da5b9d2b"
PROXY, POOL, EXTRA = "0x" + "b1" * 20, "0x" + "b2" * 20, "0x" + "b3" * 20
LP_TOKEN, DEPOSIT_TOKEN, CRV_TOKEN = "0x" + "a1" * 20, "0x" + "a2" * 20, "0x" + "a3" * 20
TOKENS = {LP_TOKEN: TokenInfo(1, LP_TOKEN, "steCRV", "Curve stETH", 18)}


def test_a_booster_deposit_staked_at_once_is_a_deposit_into_the_pool() -> None:
    # deposit(pid, amount, stake=true): the LP token goes to Convex's proxy, the deposit
    # token is minted to the Booster and staked for the wallet in the pool (and counted by
    # an extra pool, which receives nothing)
    raw = tx(transfer(0, LP_TOKEN, ME, PROXY, 900),
             transfer(1, DEPOSIT_TOKEN, ZERO, BOOSTER, 900),
             transfer(2, DEPOSIT_TOKEN, BOOSTER, POOL, 900),
             event(3, EXTRA, STAKED, (ME,), 900), event(4, POOL, STAKED, (ME,), 900),
             event(5, BOOSTER, DEPOSITED, (ME, "0x" + "00" * 19 + "07"), 900), to=BOOSTER)
    assert legs([raw], TOKENS) == [("log:0", on(LP_TOKEN), -900, "deposit", "convex"),
                                   ("log:4", on(POOL), 900, "deposit", "convex")]
    assert {e.symbol for e in built([raw], TOKENS).entries if e.asset == on(POOL)} == \
        {"steCRV-farm"}


def test_rewards_and_the_cvx_minted_beside_them_are_income() -> None:
    # getReward: CRV from the pool (RewardPaid), an extra token from the extra pool
    # (RewardPaid), CVX minted to the wallet
    raw = tx(transfer(0, CRV_TOKEN, POOL, ME, 50), event(1, POOL, REWARD_PAID, (ME,), 50),
             transfer(2, CVX_TOKEN, ZERO, ME, 7),
             transfer(3, LP_TOKEN, EXTRA, ME, 3), event(4, EXTRA, REWARD_PAID, (ME,), 3),
             to=POOL)
    assert legs([raw]) == [("log:0", on(CRV_TOKEN), 50, "income", "convex"),
                           ("log:2", on(CVX_TOKEN), 7, "income", "convex"),
                           ("log:3", on(LP_TOKEN), 3, "income", "convex")]
    # in the income report, staking rewards, as a farm's (no decimals known: base units)
    assert sorted((i.asset, i.quantity, i.kind)
                  for i in compute_lots(built([raw]).entries).income) == sorted([
        (on(CRV_TOKEN), Decimal(50), "reward"), (on(CVX_TOKEN), Decimal(7), "reward"),
        (on(LP_TOKEN), Decimal(3), "reward")])


def test_a_withdrawal_through_the_pool_gives_the_receipt_back() -> None:
    # withdrawAndUnwrap: the pool's stake withdrawn, the deposit token burned from the pool,
    # the LP token back from the Booster
    raw = tx(event(0, POOL, WITHDRAWN, (ME,), 900),
             transfer(1, DEPOSIT_TOKEN, POOL, ZERO, 900),
             transfer(2, LP_TOKEN, BOOSTER, ME, 900),
             event(3, BOOSTER, BOOSTER_WITHDRAWN, (ME, "0x" + "00" * 19 + "07"), 900),
             to=POOL)
    assert legs([raw], TOKENS) == [("log:2", on(LP_TOKEN), 900, "withdraw", "convex"),
                                   ("log:0", on(POOL), -900, "withdraw", "convex")]


def test_a_reward_pool_with_nothing_of_convex_beside_it_is_left_to_the_farms() -> None:
    # a RewardPaid with no CVX minted, at a pool the registry does not list
    raw = tx(transfer(0, CRV_TOKEN, STRANGER, ME, 50),
             event(1, STRANGER, REWARD_PAID, (ME,), 50), to=STRANGER)
    assert [leg[3:] for leg in legs([raw])] == [("income", "staking-rewards")]
