"""Asking the price sources, in order, for the prices the ledger lacks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from scanner.prices.sources import PriceRequest, PriceSource, Quote

Miss = tuple[str, datetime, str]  # (asset, requested moment, source name)


@dataclass(frozen=True)
class Fetched:
    quotes: tuple[Quote, ...]
    misses: tuple[Miss, ...]  # asked and not answered: not asked again
    unanswered: tuple[PriceRequest, ...]  # no source had these
    sent: int  # requests put to at least one source (the rest were known misses)


def ask(requests: Sequence[PriceRequest], sources: Sequence[PriceSource],
        known_misses: Collection[Miss]) -> Fetched:
    """Each source in order gets what the ones before it could not answer."""
    quotes: list[Quote] = []
    misses: list[Miss] = []
    remaining = list(requests)
    sent: set[PriceRequest] = set()
    for source in sources:
        asking = [r for r in remaining if (r.asset, r.timestamp, source.name) not in known_misses]
        if not asking:
            continue
        sent.update(asking)
        answers = source.quotes(asking)
        answered = {(q.asset, q.requested) for q in answers}
        quotes.extend(answers)
        misses.extend((r.asset, r.timestamp, source.name) for r in asking
                      if (r.asset, r.timestamp) not in answered)
        remaining = [r for r in remaining if (r.asset, r.timestamp) not in answered]
    return Fetched(tuple(quotes), tuple(misses), tuple(remaining), len(sent))
