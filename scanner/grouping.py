"""Grouping a million items by a key in one pass."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def places_by(keys: Iterable[K]) -> dict[K, list[int]]:
    """The places of each key in `keys`, in order of first place (a dict of lists, without a
    defaultdict's call for each new key)."""
    places: dict[K, list[int]] = {}
    for n, key in enumerate(keys):
        found = places.get(key)
        if found is None:
            places[key] = [n]
        else:
            found.append(n)
    return places
