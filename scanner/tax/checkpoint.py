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
    may be those of some assets only (the state of the others is theirs alone)."""

    moment: datetime
    seq: int  # the next lot's place in the order of arrival
    arrival: int  # the next arrival in a pool
    year: int
    universal: bool
    lots: tuple[HeldLot, ...]
    held: tuple[tuple[str, str, Decimal], ...]  # (wallet, asset, quantity held)


@dataclass(frozen=True)
class StateChange:
    """What a run from a state changed of it: the lots of `touched` ids (gone, changed or
    new) are replaced by `lots`; the rest are as they were."""

    state: EngineState  # its lots: those of the touched ids alone
    touched: frozenset[str]
