"""The price sources a command can name, and where their keys come from: words the command
line needs before any source (and its HTTP client) is imported."""

from __future__ import annotations

from enum import StrEnum


class PriceSourceName(StrEnum):
    DEFILLAMA = "defillama"
    COINGECKO = "coingecko"
    POOL = "pool"


DEFILLAMA_KEY_ENV = "DEFILLAMA_API_KEY"
COINGECKO_KEY_ENV = "COINGECKO_API_KEY"
COINGECKO_PRO_KEY_ENV = "COINGECKO_PRO_API_KEY"
