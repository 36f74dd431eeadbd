"""The explorer API dialects and Etherscan's multichain endpoint: words the command line and
the config name, kept apart from the explorer client (which imports requests and web3)."""

from __future__ import annotations

from enum import StrEnum

ETHERSCAN_V2 = "https://api.etherscan.io/v2/api"


class Flavor(StrEnum):
    ETHERSCAN = "etherscan"
    BLOCKSCOUT = "blockscout"
