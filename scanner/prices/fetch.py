"""Which prices the ledger lacks, and asking the sources for them in order."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from scanner.ledger.records import NOT_HOLDINGS, LedgerEntry
from scanner.prices.book import PEG_SOURCE, PriceBook
from scanner.prices.sources import PriceRequest, PriceSource, Quote

Miss = tuple[str, datetime, str]  # (asset, requested moment, source name)


def wanted(entries: Iterable[LedgerEntry], book: PriceBook) -> list[PriceRequest]:
    """One request per (asset, moment) of a leg that has no price of its own, or only the
    $1 fallback of a stablecoin (a source's price shows a depeg)."""
    found: dict[tuple[str, datetime], PriceRequest] = {}
    for entry in entries:
        if entry.kind in NOT_HOLDINGS:
            continue
        quote = book.at(entry.asset, entry.timestamp)
        if quote is None or quote.source == PEG_SOURCE:
            found.setdefault((entry.asset, entry.timestamp),
                             PriceRequest(entry.asset, entry.timestamp, entry.block_number))
    return sorted(found.values(), key=lambda r: (r.asset, r.timestamp))


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
