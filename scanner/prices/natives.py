"""Native coins of chains outside the EVM, by CAIP-19 id: the symbol files name them by and
the coin id the price sources know them by.

A CAIP-2 bip122 chain id is the first 32 hex digits of the chain's genesis block hash; the
asset is its SLIP-44 coin type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class NativeCoin:
    asset: str  # CAIP-19
    symbol: str
    coingecko: str  # CoinGecko's coin id; DefiLlama prices it as coingecko:<id>


NATIVE_COINS = (
    NativeCoin("bip122:000000000019d6689c085ae165831e93/slip44:0", "BTC", "bitcoin"),
    NativeCoin("bip122:12a765e31ffd4059bada1e25190f6e98/slip44:2", "LTC", "litecoin"),
    NativeCoin("bip122:1a91e3dace36e2be3bf030a65679fe82/slip44:3", "DOGE", "dogecoin"),
    NativeCoin("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/slip44:501", "SOL", "solana"),
    NativeCoin("cosmos:cosmoshub-4/slip44:118", "ATOM", "cosmos"),
)
BY_ASSET: Mapping[str, NativeCoin] = MappingProxyType({c.asset: c for c in NATIVE_COINS})
