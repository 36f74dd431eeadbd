"""Price lookups: the latest price at or before a moment."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from scanner.types import PricePoint

PEG_SOURCE = "usd_peg"
ONE = Decimal(1)


@dataclass(frozen=True)
class Quote:
    usd: Decimal
    source: str


class PriceBook:
    def __init__(self, points: Iterable[PricePoint], pegged: Collection[str] = ()) -> None:
        series: dict[str, list[PricePoint]] = defaultdict(list)
        for point in points:
            series[point.asset].append(point)
        self._times: dict[str, list[datetime]] = {}
        self._points: dict[str, list[PricePoint]] = {}
        for asset, rows in series.items():
            rows.sort(key=lambda p: p.timestamp)
            self._points[asset] = rows
            self._times[asset] = [p.timestamp for p in rows]
        self._pegged = frozenset(pegged)

    def at(self, asset: str, when: datetime) -> Quote | None:
        """The latest price at or before `when`; a pegged stablecoin falls back to $1."""
        times = self._times.get(asset)
        if times:
            position = bisect_right(times, when)
            if position:
                point = self._points[asset][position - 1]
                return Quote(point.usd, point.source)
        if asset in self._pegged:
            return Quote(ONE, PEG_SOURCE)
        return None

    def has_any(self, asset: str) -> bool:
        return asset in self._times or asset in self._pegged
