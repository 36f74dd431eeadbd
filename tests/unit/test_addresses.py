from __future__ import annotations

import pytest

from chains.addresses import asset_contract, parse_address, parse_any_asset_id, parse_asset_id
from chains.errors import AddressError

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


def test_asset_ids_of_any_namespace() -> None:
    btc = "bip122:000000000019d6689c085ae165831e93/slip44:0"
    sol = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/slip44:501"
    usdc_sol = ("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/"
                "token:EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
    nft = "cosmos:cosmoshub_3/nft:0xABC.d%20-e/Token-1.x%2F"
    assert parse_any_asset_id(f" {btc} ") == btc
    assert parse_any_asset_id(sol) == sol
    assert parse_any_asset_id(usdc_sol) == usdc_sol  # a Solana reference keeps its case
    assert parse_any_asset_id(nft) == nft
    assert parse_any_asset_id("EIP155:1/ERC20:0xDAC17F958D2EE523A2206206994597C13D831EC7") == \
        "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
    assert parse_any_asset_id("eip155:1/erc721:0x" + "AB" * 20 + "/7") == \
        "eip155:1/erc721:0x" + "ab" * 20 + "/7"


@pytest.mark.parametrize("text", [
    "", "BTC", "bip122:000000000019d6689c085ae165831e93",  # a chain, not an asset
    "Solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/slip44:501",  # namespaces are lowercase
    "ab:1/slip44:0",  # a namespace has 3 to 8 characters
    "solana:" + "x" * 33 + "/slip44:501",  # a reference has at most 32
    "solana:abc/Token:x",  # an asset namespace is lowercase too
    "solana:abc/token:" + "x" * 129,
    "solana:abc/token:x/" + "1" * 79,
    "solana:abc/token:x y",
    "solana:abc/token:x/1/2",
    "eip155:1/erc20:0x123",  # eip155 ids are held to what taxscan writes
    "eip155:1/token:abc",
])
def test_malformed_asset_ids_of_any_namespace_are_refused(text: str) -> None:
    with pytest.raises(AddressError, match="not a CAIP-19 asset id"):
        parse_any_asset_id(text)
