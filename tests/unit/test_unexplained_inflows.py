"""Inflows of the wallet's own transaction: income only when a contract that said it paid a
claim paid them; otherwise a transfer in at fair value, listed for review (DESIGN's generic
rules). Real transactions: two bridge arrivals the user finalized (the bridge task will
pair them with their departures), and airdrop and reward claims, which stay income.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.recordings import Leg, recorded

CASES: dict[str, list[Leg]] = {
    # tx 0x2698916b...: 0x5ea45c8e executes its own withdrawal from Arbitrum on Ethereum's
    # Outbox; the bridge pays it out (txlistinternal row 0, 0x8315177a -> wallet)
    "test_arbitrum_one_bridge__test_receive_eth_on_ethereum.json": [
        ("gas", "eip155:1/slip44:60", -0x16EA7 * 0x4302136AB, "fee", "gas"),
        ("trace:p0", "eip155:1/slip44:60", 98347591230481410000, "transfer_in",
         "bridge:arbitrum"),  # the bridge decoder's
    ],
    # tx 0x9da8beb8... on Arbitrum: 0xd0adc5d0 receives CCTP USDC it sent from Ethereum:
    # USDC Transfer log 1, 0x0 -> wallet, 0x6da80004, nothing out
    "test_receive_usdc_on_arbitrum_one_from_ethereum.json": [
        ("gas", "eip155:42161/slip44:60", -0x3005E * 0x989680, "fee", "gas"),
        ("log:1", "eip155:42161/erc20:0xaf88d065e77c8cc2239327c5edb3a432268e5831",
         0x6DA80004, "transfer_in", "bridge:cctp"),  # the bridge decoder's
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_own_inflow_no_claim_explains_is_no_income(realdata: Path, name: str) -> None:
    assert recorded(realdata, name) == sorted(CASES[name])


@pytest.mark.parametrize("name", [
    "test_uniswapv2__test_claim_airdrop.json",  # MerkleDistributor Claimed
    "test_optimism_airdrop_1_claim.json",  # the OP airdrop's Claimed
    "test_claim_scroll_airdop.json",  # Claimed(address indexed account, uint256 amount)
    "test_odos_v2__test_airdrop_claim.json",  # RewardClaimed
    "test_mint_crv_arb.json",  # Curve's Minter: Minted
])
def test_a_claim_is_income(realdata: Path, name: str) -> None:
    # of whichever protocol names the payer (airdrop:<name>, curve-gauge...); an unknown
    # distributor's: tests/unit/test_decoder_airdrops.py
    kinds = {leg[3] for leg in recorded(realdata, name) if leg[0] != "gas"}
    assert kinds == {"income"}
