"""Price lookups: which price an asset had at a moment, and where it came from.

Prices the user gave (a price file, the config) come first: the latest of them at or
before the moment. Prices fetched from a source count only when one is within `max_age`
of the moment, the nearest (sources answer with the sample closest to what was asked).
A USD stablecoin without either falls back to $1.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from scanner.prices.records import PricePoint

PEG_SOURCE = "usd_peg"
USER_SOURCES = frozenset({"csv", "config"})
FETCHED_MAX_AGE = timedelta(hours=24)
ONE = Decimal(1)


@dataclass(frozen=True)
class Quote:
    usd: Decimal
    source: str


class _Series:
    def __init__(self, points: list[PricePoint]) -> None:
        points.sort(key=lambda p: p.timestamp)
        self.points = points
        self.times = [p.timestamp for p in points]

    def latest(self, when: datetime) -> PricePoint | None:
        position = bisect_right(self.times, when)
        return self.points[position - 1] if position else None

    def nearest(self, when: datetime, window: timedelta) -> PricePoint | None:
        position = bisect_right(self.times, when)
        around = self.points[max(position - 1, 0): position + 1]
        close = [p for p in around if abs(p.timestamp - when) <= window]
        return min(close, key=lambda p: (abs(p.timestamp - when), p.timestamp), default=None)


class PriceBook:
    def __init__(self, points: Iterable[PricePoint], pegged: Collection[str] = (),
                 max_age: timedelta = FETCHED_MAX_AGE) -> None:
        given: dict[str, list[PricePoint]] = defaultdict(list)
        fetched: dict[str, list[PricePoint]] = defaultdict(list)
        for point in points:
            (given if point.source in USER_SOURCES else fetched)[point.asset].append(point)
        self._given = {asset: _Series(rows) for asset, rows in given.items()}
        self._fetched = {asset: _Series(rows) for asset, rows in fetched.items()}
        self._pegged = frozenset(pegged)
        self._max_age = max_age

    def at(self, asset: str, when: datetime) -> Quote | None:
        series = self._given.get(asset)
        point = series.latest(when) if series else None
        if point is None and asset in self._fetched:
            point = self._fetched[asset].nearest(when, self._max_age)
        if point is not None:
            return Quote(point.usd, point.source)
        if asset in self._pegged:
            return Quote(ONE, PEG_SOURCE)
        return None

    def has_any(self, asset: str) -> bool:
        return asset in self._given or asset in self._fetched or asset in self._pegged
