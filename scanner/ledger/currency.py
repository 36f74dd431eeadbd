"""Legs in a reporting currency: each USD value converted at the rate of its own day, the
rate and its day added to the leg's lineage (its price source)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from scanner.ledger.records import LedgerEntry
from scanner.money import usd
from scanner.prices.fx import USD, Rates


@dataclass(frozen=True)
class Converted:
    entries: tuple[LedgerEntry, ...]
    without_rate: tuple[date, ...]  # days a valued leg had no rate for: its value is unknown


def in_currency(entries: Iterable[LedgerEntry], rates: Rates,
                day_of: Callable[[datetime], date]) -> Converted:
    """`entries` with their values in `rates.currency`, each at the rate of its day
    (`day_of` its timestamp); a leg whose day has no rate loses its value."""
    if rates.currency == USD:
        return Converted(tuple(entries), ())
    out: list[LedgerEntry] = []
    missing: set[date] = set()
    for entry in entries:
        if entry.usd_value is None:
            out.append(entry)
            continue
        day = day_of(entry.timestamp)
        rate = rates.at(day)
        if rate is None:
            missing.add(day)
            out.append(replace(entry, usd_value=None,
                               price_source=f"no {rates.currency} rate for {day.isoformat()}"))
            continue
        source = rate.describe() if entry.price_source is None \
            else f"{entry.price_source}; {rate.describe()}"
        out.append(replace(entry, usd_value=usd(rate.convert(entry.usd_value)),
                           price_source=source))
    return Converted(tuple(out), tuple(sorted(missing)))
