"""The lot engine's state at a moment, to run on from there instead of from the first leg
(scanner.app.rebuild keeps the state at the end of the ledger): what a lot-by-lot matcher
holds (the open lots in their pools and on their way between own wallets, each wallet's
holding) and the counters that order what comes next. Quantities and bases are exact, as
the engine holds them (a basis is not yet rounded to the stored cent fraction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from scanner.ledger.records import Kind


@dataclass(frozen=True, slots=True)
class HeldLot:
    """An open lot (or part of one) in a pool, or on its way to an own wallet."""

    pool: str | None  # the pool's wallet ("" in a universal year); None: in transit
    transit: tuple[str, str] | None  # the move it is part of (scanner.tax.matching)
    arrival: int  # its place among equals in its pool, or in its move's list
    seq: int
    lot_id: str
    wallet: str
    asset: str
    symbol: str | None
    acquired: datetime
    quantity: Decimal
    basis: Decimal | None
    origin_tx: str
    origin_leg: str
    origin_kind: Kind


@dataclass(frozen=True)
class EngineState:
    """Every group of legs before `moment` applied, none at or after it. `lots` and `held`
    may be those of some assets only (the state of the others is theirs alone), and of the
    pools in `partial` the first lots in the method's order alone (those a run will draw
    on, as far as the state's reader could tell)."""

    moment: datetime
    seq: int  # the next lot's place in the order of arrival
    arrival: int  # the next arrival in a pool (an arrival names a lot of an asset's pools)
    year: int
    universal: bool
    lots: tuple[HeldLot, ...]
    held: tuple[tuple[str, str, Decimal], ...]  # (wallet, asset, quantity held)
    partial: frozenset[tuple[str, str]] = frozenset()  # (pool, asset)


@dataclass(frozen=True)
class StateChange:
    """What a run changed of the state it started from: `state.lots` are the lots in pools
    that are new or changed, and every lot in transit; `gone` the lots of the start that
    are no more as they were, by (asset, arrival); `touched` the ids of both. Without a
    start, every lot is new."""

    state: EngineState
    gone: tuple[tuple[str, int], ...]
    touched: frozenset[str]


class StateTooShort(Exception):
    """A run from a partial state was to draw on a lot the state left out (its reader
    misjudged what the run would draw): the run is void, and runs again from the whole
    state. Never leaves the lot engine."""
