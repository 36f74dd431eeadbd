"""Holding periods: long-term means disposed after the first anniversary of acquisition."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from scanner.tax.records import Term


@lru_cache(maxsize=65536)
def anniversary(start: date) -> date:
    """The first anniversary of `start` (Feb 28 for Feb 29)."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # acquired on Feb 29
        return date(start.year + 1, 2, 28)


def is_long_term(acquired: datetime, disposed: datetime) -> bool:
    """Held more than one year: disposed after the first anniversary of acquisition."""
    return disposed.date() > anniversary(acquired.date())


def term_of(acquired: datetime, disposed: datetime) -> Term:
    return Term.LONG if is_long_term(acquired, disposed) else Term.SHORT
