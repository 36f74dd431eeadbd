"""Exchange rates in: a user's reference rates replace the ECB's for the currencies they
name. Reports convert at read time, so nothing is rebuilt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scanner.prices.fx import read_rates_file
from scanner.store import Store


@dataclass(frozen=True)
class RatesImported:
    rates: int
    currencies: tuple[str, ...]
    first: date
    last: date


def import_rates(store: Store, path: Path) -> RatesImported | None:
    """The file's rates kept (a day's rate given again replaces the old one); None when the
    file holds no row."""
    points = read_rates_file(path)
    if not points:
        return None
    with store.transaction():
        store.save_fx_rates(points)
    days = [p.day for p in points]
    return RatesImported(len(points), tuple(sorted({p.currency for p in points})),
                         min(days), max(days))
