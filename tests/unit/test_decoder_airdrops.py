"""Airdrops claimed from their known distributors, on real claims: the UNI airdrop on
Ethereum, the OP airdrop on OP Mainnet, ODOS on Base and SCR on Scroll, each income named
after its airdrop; then, hand-built, what stays with the generic claim rule.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand (receipt logs, rotki's expected events):
the comments say where.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from chains.evm.records import RawLog
from scanner.tax.treatment import income_kind
from tests.unit.rawtx import ME, STRANGER, data, legs, transfer, tx
from tests.unit.recordings import Leg, recorded, recording

CASES: dict[str, list[Leg]] = {
    # tx 0x0e50e737...: 0x3163bb27 calls the MerkleDistributor 0x090d4613 claim (0x2e7ba6ef):
    # UNI Transfer log 162, distributor -> wallet, 0x1626fe133ee5c9a000; Claimed log 163
    "test_uniswapv2__test_claim_airdrop.json": [
        ("gas", "eip155:1/slip44:60", -0x13F7F * 0x4F652F16D3, "fee", "gas"),
        ("log:162", "eip155:1/erc20:0x1f9840a85d5af5bf1d1762f925bdaddc4201f984",
         0x1626FE133EE5C9A000, "income", "airdrop:uniswap"),
    ],
    # tx 0xda810d7e... on OP Mainnet: 0x2b888954 claims from 0xfedfaf1a (0x2e7ba6ef): OP
    # Transfer log 0, distributor -> wallet, 0x2cdf7994c054240000; Claimed log 2
    "test_optimism_airdrop_1_claim.json": [
        # gasUsed 0x1deb4 x effectiveGasPrice 0xf4240 + l1Fee 0xb952494ca518
        ("gas", "eip155:10/slip44:60", -(0x1DEB4 * 0xF4240 + 0xB952494CA518), "fee", "gas"),
        ("log:0", "eip155:10/erc20:0x4200000000000000000000000000000000000042",
         0x2CDF7994C054240000, "income", "airdrop:optimism"),
    ],
    # tx 0x7d78887e... on Base: 0xc37b40ab claims from 0x4c8f8055 (0xcf6c1c53): ODOS
    # Transfer log 350, distributor -> wallet, 0x5e4f940ee2b1d59be0; RewardClaimed log 351
    "test_odos_v2__test_airdrop_claim.json": [
        ("gas", "eip155:8453/slip44:60", -(0x43588 * 0x1A2E76E + 0xFFBFEFFDA9B), "fee",
         "gas"),
        ("log:350", "eip155:8453/erc20:0xca73ed1815e5915489570014e024b7ebe65de679",
         0x5E4F940EE2B1D59BE0, "income", "airdrop:odos"),
    ],
    # tx 0x7adb39ab... on Scroll: 0xe247d2f3 claims from 0xe8be8eb9 (0x3d13f874): SCR
    # Transfer log 63, distributor -> wallet, 0x5c1b1dced2f074000; Claimed log 64
    "test_claim_scroll_airdop.json": [
        ("gas", "eip155:534352/slip44:60", -(0x19B17 * 0x3938700 + 0x3ECEFB6ED8A), "fee",
         "gas"),
        ("log:63", "eip155:534352/erc20:0xd29687c813d741e2f938f4ac377128810e217b1b",
         0x5C1B1DCED2F074000, "income", "airdrop:scroll"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_claim_from_a_known_distributor_is_its_airdrops_income(realdata: Path,
                                                                  name: str) -> None:
    assert recorded(realdata, name) == sorted(CASES[name])
    # rotki's amounts (token units) and gas, for the same transaction
    chain = recording(realdata, name).chain_id
    expected = recording(realdata, name).data["rotki_expected"]
    (fee,) = [Decimal(e["amount"]) for e in expected if e["event_subtype"] == "FEE"]
    (drop,) = [Decimal(e["amount"]) for e in expected if e["event_subtype"] == "AIRDROP"]
    gas, paid = sorted(CASES[name])
    assert (Decimal(-gas[2]).scaleb(-18), Decimal(paid[2]).scaleb(-18)) == (fee, drop)
    assert paid[1].startswith(f"eip155:{chain}/")


# Claimed(uint256 index, address account, uint256 amount): Uniswap's MerkleDistributor
CLAIMED = "0x" + keccak(text="Claimed(uint256,address,uint256)").hex()
TOKEN, UNKNOWN = "0x" + "a1" * 20, "0x" + "c7" * 20


def claim(distributor: str, n: int = 1, sender: str = ME) -> list[Leg]:
    raw = tx(transfer(0, TOKEN, distributor, ME, 77),
             RawLog(1, distributor, (CLAIMED,), data(5, ME, 77)), to=distributor, n=n,
             sender=sender)
    return legs([raw])


def test_an_unknown_distributors_claim_keeps_the_generic_claim_rule() -> None:
    assert claim(UNKNOWN) == [("log:0", f"eip155:1/erc20:{TOKEN}", 77, "income", "transfer")]


def test_a_known_distributors_payout_in_someone_elses_transaction_is_no_claim() -> None:
    uni = "0x090d4613473dee047c3f2706764f49e0821d256e"  # the UNI airdrop's, on Ethereum
    assert claim(uni) == [("log:0", f"eip155:1/erc20:{TOKEN}", 77, "income",
                           "airdrop:uniswap")]
    assert claim(uni, n=2, sender=STRANGER) == [
        ("log:0", f"eip155:1/erc20:{TOKEN}", 77, "transfer_in", "transfer")]


def test_the_income_report_names_a_known_distributors_payout_an_airdrop() -> None:
    assert [income_kind(p) for p in ("airdrop:optimism", "airdrop:uniswap", "transfer")] == \
        ["airdrop", "airdrop", "claim"]
