"""A price: an asset's USD value at a moment, and where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class PricePoint:
    asset: str
    timestamp: datetime
    usd: Decimal
    source: str
