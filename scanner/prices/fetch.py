"""Asking the price sources, in order, for the prices the ledger lacks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from chains.errors import SourceRefused, SourceUnavailable
from scanner.prices.sources import PriceRequest, PriceSource, Quote

Miss = tuple[str, datetime, str]  # (asset, requested moment, source name)


@dataclass(frozen=True)
class Failure:
    """A source that kept failing or refused: what it was asked went to the next one."""

    source: str
    reason: str  # the error's one-line message
    then: str | None  # the source asked next, None when it was the last


@dataclass(frozen=True)
class Fetched:
    quotes: tuple[Quote, ...]
    misses: tuple[Miss, ...]  # asked and not answered: not asked again
    unanswered: tuple[PriceRequest, ...]  # no source had these
    sent: int  # requests put to at least one source (the rest were known misses)
    failures: tuple[Failure, ...] = ()  # sources skipped: their requests are no misses


def ask(requests: Sequence[PriceRequest], sources: Sequence[PriceSource],
        known_misses: Collection[Miss]) -> Fetched:
    """Each source in order gets what the ones before it could not answer. A source that
    fails (unreachable after its retries, or refusing) is skipped: what it was asked goes
    to the next one and is asked of it again next time. When every source asked failed,
    that is raised."""
    quotes: list[Quote] = []
    misses: list[Miss] = []
    failures: list[Failure] = []
    errors: list[SourceUnavailable | SourceRefused] = []
    worked = False
    remaining = list(requests)
    sent: set[PriceRequest] = set()
    for n, source in enumerate(sources):
        asking = [r for r in remaining if (r.asset, r.timestamp, source.name) not in known_misses]
        if not asking:
            continue
        sent.update(asking)
        try:
            answers = source.quotes(asking)
        except (SourceUnavailable, SourceRefused) as error:
            errors.append(error)
            failures.append(Failure(source.name, str(error),
                                    sources[n + 1].name if n + 1 < len(sources) else None))
            continue
        worked = True
        answered = {(q.asset, q.requested) for q in answers}
        quotes.extend(answers)
        misses.extend((r.asset, r.timestamp, source.name) for r in asking
                      if (r.asset, r.timestamp) not in answered)
        remaining = [r for r in remaining if (r.asset, r.timestamp) not in answered]
    if errors and not worked:
        if len(errors) == 1:
            raise errors[0]
        raise SourceUnavailable("every price source failed: "
                                + "; ".join(f.reason for f in failures))
    return Fetched(tuple(quotes), tuple(misses), tuple(remaining), len(sent), tuple(failures))
