from __future__ import annotations

import re

import pytest

from chains.deployments import DEVNET_ADAI
from chains.errors import UnknownChainError
from chains.registry import (
    CHAINS,
    DEVNET_DAI,
    DEVNET_WETH,
    Chain,
    chain_by_id,
    chain_by_name,
    is_known,
)

PUBLIC_CHAIN_IDS = {1, 10, 56, 100, 137, 324, 8453, 42161, 43114, 59144, 534352}
PUBLIC = [chain for chain in CHAINS if chain.chain_id != 31337]
LOWER_HEX_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")


def _names(chain: Chain) -> list[str]:
    return [chain.key, *chain.aliases]


def test_the_registry_covers_the_public_chains_and_the_devnet() -> None:
    assert {chain.chain_id for chain in CHAINS} == PUBLIC_CHAIN_IDS | {31337}


def test_chain_ids_are_unique() -> None:
    ids = [chain.chain_id for chain in CHAINS]
    assert len(ids) == len(set(ids))


def test_keys_and_aliases_are_unique_across_chains() -> None:
    names = [name for chain in CHAINS for name in _names(chain)]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_keys_and_aliases_are_lowercase_and_not_numeric() -> None:
    for chain in CHAINS:
        for name in _names(chain):
            assert name == name.strip().lower(), name
            assert not name.isdigit(), name  # a number would shadow a chain id


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: chain.key)
def test_every_name_and_the_chain_id_resolve_to_the_chain(chain: Chain) -> None:
    for name in _names(chain):
        assert chain_by_name(name) is chain
        assert chain_by_name(f" {name.upper()} ") is chain
    assert chain_by_name(str(chain.chain_id)) is chain
    assert chain_by_id(chain.chain_id) is chain
    assert is_known(chain.chain_id)


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: chain.key)
def test_addresses_are_lowercase_hex(chain: Chain) -> None:
    addresses = [*chain.stablecoins]
    if chain.wrapped_native is not None:
        addresses.append(chain.wrapped_native)
    for address in addresses:
        assert LOWER_HEX_ADDRESS.match(address), address


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: chain.key)
def test_stablecoins_are_distinct_and_not_the_wrapped_native(chain: Chain) -> None:
    assert len(chain.stablecoins) == len(set(chain.stablecoins))
    assert chain.wrapped_native not in chain.stablecoins


@pytest.mark.parametrize("chain", PUBLIC, ids=lambda chain: chain.key)
def test_public_chains_are_fully_described(chain: Chain) -> None:
    assert chain.wrapped_native is not None
    assert chain.stablecoins
    assert chain.explorer_url is not None and chain.explorer_url.startswith("https://")
    assert not chain.explorer_url.endswith("/")
    assert chain.default_rpc is not None and chain.default_rpc.startswith("https://")
    assert chain.confirmations >= 1
    assert chain.etherscan_v2
    if chain.blockscout_api is not None:
        assert chain.blockscout_api.startswith("https://")
        assert chain.blockscout_api.endswith("/api")
    assert chain.tx_url("0xabc") == f"{chain.explorer_url}/tx/0xabc"


@pytest.mark.parametrize("chain", PUBLIC, ids=lambda chain: chain.key)
def test_rollups_do_not_trust_the_sequencer_head(chain: Chain) -> None:
    if chain.native_symbol == "ETH" and chain.chain_id != 1:
        assert chain.confirmations >= 10


def test_native_coins() -> None:
    natives = {chain.key: (chain.native_symbol, chain.slip44) for chain in CHAINS}
    for key in ("ethereum", "optimism", "zksync", "base", "arbitrum", "linea", "scroll"):
        assert natives[key] == ("ETH", 60)
    assert natives["bnb"] == ("BNB", 714)
    assert natives["gnosis"][1] == 700
    assert natives["polygon"][1] == 966
    assert natives["avalanche"] == ("AVAX", 9000)
    assert chain_by_name("base").native_asset == "eip155:8453/slip44:60"


def test_the_devnet_entry_is_unchanged() -> None:
    devnet = chain_by_name("devnet")
    assert devnet.chain_id == 31337
    assert devnet.confirmations == 16
    assert devnet.wrapped_native == DEVNET_WETH
    assert devnet.stablecoins == (DEVNET_DAI, DEVNET_ADAI)  # aDAI: lent DAI, one for one
    assert devnet.explorer_url is None and devnet.default_rpc is None
    assert devnet.tx_url("0xabc") is None
    assert not devnet.etherscan_v2
    assert devnet.blockscout_api is None
    assert chain_by_name("anvil") is devnet and chain_by_name("local") is devnet


@pytest.mark.parametrize("name", ["", "ethereum-classic", "0", "999999", "eth mainnet"])
def test_unknown_names_raise_and_list_the_known_keys(name: str) -> None:
    with pytest.raises(UnknownChainError) as raised:
        chain_by_name(name)
    for chain in CHAINS:
        assert chain.key in str(raised.value)


def test_unknown_chain_ids_get_a_bare_placeholder() -> None:
    assert not is_known(999999)
    unknown = chain_by_id(999999)
    assert unknown.chain_id == 999999
    assert unknown.wrapped_native is None and unknown.stablecoins == ()


@pytest.mark.parametrize(("key", "wrapped", "stablecoin"), [
    ("ethereum", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
     "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
    ("optimism", "0x4200000000000000000000000000000000000006",
     "0x0b2c639c533813f4aa9d7837caf62653d097ff85"),
    ("base", "0x4200000000000000000000000000000000000006",
     "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"),
    ("arbitrum", "0x82af49447d8a07e3bd95bd0d56f35241523fbab1",
     "0xaf88d065e77c8cc2239327c5edb3a432268e5831"),
    ("polygon", "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270",
     "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359"),
    ("avalanche", "0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7",
     "0xb97ef9ef8734c71904d8002f8b6bc66dd9c48a6e"),
])
def test_well_known_addresses(key: str, wrapped: str, stablecoin: str) -> None:
    chain = chain_by_name(key)
    assert chain.wrapped_native == wrapped
    assert stablecoin in chain.stablecoins
    assert f"eip155:{chain.chain_id}/erc20:{stablecoin}" in chain.stablecoin_assets


def test_ethereum_stablecoins() -> None:
    assert set(chain_by_name("eth").stablecoins) == {
        "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",  # USDC
        "0xdac17f958d2ee523a2206206994597c13d831ec7",  # USDT
        "0x6b175474e89094c44da98b954eedeac495271d0f",  # DAI
    }
