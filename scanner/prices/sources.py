"""What every price source offers: USD prices for (asset, moment) requests.

Sources are tried in a configured order; the first that answers a request wins, and
every answer is kept in the price cache with its source and confidence, so a request is
sent to the network once and everything works offline afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class PriceRequest:
    asset: str  # CAIP-19, lowercase
    timestamp: datetime  # UTC
    block: int | None = None  # the block of that moment on the asset's chain, when known


@dataclass(frozen=True)
class Quote:
    asset: str
    requested: datetime  # the moment asked for
    timestamp: datetime  # the moment the source's price is for
    usd: Decimal
    source: str  # "defillama", "coingecko", "uniswap-v2", ...
    # how far to trust it, in the source's own terms: DefiLlama's 0..1, a pool's
    # liquidity in USD
    confidence: Decimal | None = None


class PriceSource(Protocol):
    name: str

    def quotes(self, requests: Sequence[PriceRequest]) -> list[Quote]:
        """Prices for as many of `requests` as the source knows; silence for the rest."""
        ...
