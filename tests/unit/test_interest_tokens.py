"""Receipts that grow with interest and no Transfer (Aave v3 aTokens, Compound v3 Comets)
are found in the wallet's own supply, so their balances can be read as a rebasing token's;
a debt token, which mints the same Mint event in a borrow, is not one of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.deployments import contracts_on
from chains.evm.abi import TRANSFER, ZERO_ADDRESS, topic_address
from chains.evm.records import RawTx
from scanner.ledger.decode.protocols.aave_v3 import supplied_atokens
from scanner.ledger.decode.protocols.compound_v3 import supplied_comets
from tests.unit.recordings import FOLDER, recording

AAVE_POOL = contracts_on(1)["aave-v3:pool"]


def minted_to(raw: RawTx, wallet: str) -> set[str]:
    """Read from the receipt: the tokens a Transfer from the zero address gave `wallet`."""
    return {log.address for log in raw.logs
            if log.topics[:1] == (TRANSFER,) and len(log.topics) == 3
            and topic_address(log.topics[1]) == ZERO_ADDRESS
            and topic_address(log.topics[2]) == wallet}


def read(realdata: Path, name: str) -> RawTx:
    path = realdata.joinpath(*FOLDER, f"{name}.json")
    if not path.exists():
        pytest.skip(f"{name} is not recorded here")
    return recording(realdata, path.name).raw()


def test_an_aave_supply_names_the_atoken_it_minted(realdata: Path) -> None:
    raw = read(realdata, "test_aave_v3_deposit")
    found = supplied_atokens(raw, raw.from_address, [AAVE_POOL])
    assert found and found == minted_to(raw, raw.from_address)


def test_an_aave_borrow_names_no_token(realdata: Path) -> None:
    raw = read(realdata, "test_aave_v3_borrow")
    assert minted_to(raw, raw.from_address)  # its debt token was minted...
    assert supplied_atokens(raw, raw.from_address, [AAVE_POOL]) == set()  # ...and is no receipt


def test_a_comet_supply_names_the_comet(realdata: Path) -> None:
    raw = read(realdata, "test_optimism_supply_eth_with_wrapping")
    # Compound v3's cWETHv3 market on OP Mainnet (its deployments page)
    assert supplied_comets(raw, raw.from_address) == {
        "0xe36a30d249f7761327fd973001a32010b521b6fd"}
    other = read(realdata, "test_compound_v3_withdraw")
    assert supplied_comets(other, other.from_address) == set()
