"""The receipt shape against real transactions of protocols no decoder knows by address: a
Yearn v2 vault redeemed (Balancer v2's joins and exits, Curve's liquidity and Convex's
deposit token, which the shape read before their decoders named them:
tests/unit/test_decoder_balancer.py, test_decoder_curve.py, test_decoder_convex.py). Then
what the shape leaves alone, on hand-built transactions.

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


def test_a_migration_that_burns_one_token_and_mints_another_is_no_receipt(
        realdata: Path) -> None:
    # tx of test_migrate_dai_usds.json: DAI to the migrator 0xf86141a5, which burns it (log
    # 61); USDS minted to the wallet (log 64): not one deposit; the Sky decoder reads it
    # (tests/unit/test_decoder_maker.py)
    kinds = {leg[3:] for leg in recorded(realdata, "test_migrate_dai_usds.json")}
    assert kinds == {("fee", "gas"), ("wrap", "sky")}


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
