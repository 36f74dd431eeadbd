"""Stakes a contract keeps as a balance, against real transactions: an old Curve gauge that
emits Deposit(provider, value) and no Transfer, Convex's cvxCRV reward pool beside an
extra reward pool that only counts the stake, and a Gnosis Curve gauge whose token is
burned on the way out. The stake is held as the contract's own asset (its receipt).

These are read as the StakingRewards shape reads a farm no decoder names: without the
Curve gauge and Convex decoders, which name these (test_decoder_curve.py,
test_decoder_convex.py).

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand: the comments say where.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.ledger.decode.registry import DECODERS
from tests.unit.recordings import ledger, recording

ETH = "eip155:1/slip44:60"

Leg = tuple[str, str, int, str, str]  # leg_key, asset, raw amount, kind, protocol
FARMS = tuple(d for d in DECODERS if d.name not in ("convex", "curve-gauge"))


def recorded(realdata: Path, name: str) -> list[tuple[Leg, str | None]]:
    record = recording(realdata, name)
    raw = record.raw()
    return sorted(((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol), e.symbol)
                  for e in ledger(record, raw, [raw.from_address], decoders=FARMS).entries)


CASES: dict[str, list[tuple[Leg, str | None]]] = {
    # tx 0x5ae70d68...: 0xd289986c calls the sUSD pool's gauge 0xa9099689 deposit (0xb6b55f25)
    "test_curve__test_gauge_deposit.json": [
        (("gas", ETH, -0x77F49 * 0x3799444C6, "fee", "gas"), "ETH"),  # gasUsed x price
        # crvPlain3andSUSD Transfer log 199, wallet -> gauge, 0x1b0e1c36925609f6477
        (("log:199", "eip155:1/erc20:0xc25a3a3b969415c80451098fa907ec722572917f",
          -0x1B0E1C36925609F6477, "stake", "staking-rewards"), "crvPlain3andSUSD"),
        # the gauge's Deposit log 202 (topic 0xe1fffcc4, provider = the wallet, the same
        # value): the gauge keeps the balance, no Transfer: the receipt is the gauge's asset
        (("log:202", "eip155:1/erc20:0xa90996896660decc6e997655e065b23788857849",
          0x1B0E1C36925609F6477, "stake", "staking-rewards"), "crvPlain3andSUSD-farm"),
    ],
    # tx 0x3cc0b258...: 0x2acecbf2 calls Convex's cvxCRV reward pool 0x3fe65692 stake
    # (0xa694fc3a); the extra reward pool 0x7091dbb7 also emits Staked for the wallet (log
    # 424) but nothing of the wallet's moves to it: it says nothing
    "test_cvxcrv_stake.json": [
        (("gas", ETH, -0x271E0 * 0x4D057B6E9, "fee", "gas"), "ETH"),
        # cvxCRV Transfer log 425, wallet -> pool, 0x9057b68d9eaa306ba
        (("log:425", "eip155:1/erc20:0x62b9c7356a2dc64a1969e19c23e4f579f9810aa7",
          -0x9057B68D9EAA306BA, "stake", "staking-rewards"), "cvxCRV"),
        # the pool's Staked log 427 (user = the wallet, the same amount)
        (("log:427", "eip155:1/erc20:0x3fe65692bfcd0e6cf84cb1e7d24108e434a7587e",
          0x9057B68D9EAA306BA, "stake", "staking-rewards"), "cvxCRV-farm"),
    ],
    # tx 0x29d1b4a2... on Gnosis: 0xd4f9fe00 calls a crvUSD/sDAI gauge 0x05cd911e withdraw
    # (0x2e1a7d4d): Withdraw log 1104 (topic 0x884edad9, provider = the wallet)
    "test_gauge_withdraw_gnosis.json": [
        (("gas", "eip155:100/slip44:700", -0x2FE0A * 0x3B9ACA09, "fee", "gas"), "xDAI"),
        # the LP token back, Transfer log 1103, gauge -> wallet, 0x4253b01bf55377237bb
        (("log:1103", "eip155:100/erc20:0x0c8fa74c7b2de5a92b39217dc98d2d609439a2e5",
          0x4253B01BF55377237BB, "unstake", "staking-rewards"), "crvUSDsDAI"),
        # the gauge's own token burned, Transfer log 1105, wallet -> 0x0: it is the receipt
        (("log:1105", "eip155:100/erc20:0x05cd911ee9b60c28fcee4ea03cc5670637d955b1",
          -0x4253B01BF55377237BB, "unstake", "staking-rewards"), "crvUSDsDAI-gauge"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_leg_of_a_stake_the_contract_keeps(realdata: Path, name: str) -> None:
    assert recorded(realdata, name) == sorted(CASES[name])
