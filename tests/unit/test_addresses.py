from __future__ import annotations

import pytest

from scanner.addresses import asset_contract, parse_address, parse_asset_id
from scanner.errors import AddressError

CHECKSUMMED = "0x6e15887E2CEC81434C16D587709f64603b39b545"


def test_checksummed_lower_and_upper_addresses_are_accepted() -> None:
    lower = CHECKSUMMED.lower()
    assert parse_address(CHECKSUMMED) == lower
    assert parse_address(lower) == lower
    assert parse_address("0x" + CHECKSUMMED[2:].upper()) == lower
    assert parse_address(f"  {CHECKSUMMED} ") == lower


def test_a_wrong_checksum_is_refused_with_the_right_one() -> None:
    wrong = CHECKSUMMED[:-1] + CHECKSUMMED[-1].upper() if CHECKSUMMED[-1].isalpha() \
        else CHECKSUMMED.replace("E", "e", 1)
    with pytest.raises(AddressError, match="checksum") as raised:
        parse_address(wrong)
    assert CHECKSUMMED in str(raised.value)


@pytest.mark.parametrize("text", ["", "0x123", "6e15887e2cec81434c16d587709f64603b39b545",
                                  "0x6e15887e2cec81434c16d587709f64603b39b54z",
                                  "0x6e15887e2cec81434c16d587709f64603b39b5450"])
def test_malformed_addresses_are_refused(text: str) -> None:
    with pytest.raises(AddressError, match="not an EVM address"):
        parse_address(text)


def test_asset_ids() -> None:
    assert parse_asset_id("EIP155:1/ERC20:0xDAC17F958D2EE523A2206206994597C13D831EC7") == \
        "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
    assert parse_asset_id("eip155:10/slip44:60") == "eip155:10/slip44:60"
    assert asset_contract("eip155:1/erc721:0x" + "ab" * 20 + "/7") == "0x" + "ab" * 20
    assert asset_contract("eip155:1/slip44:60") is None
    with pytest.raises(AddressError):
        parse_asset_id("ETH")
