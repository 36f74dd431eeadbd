"""What the pooling jurisdictions share (the UK's share matching in uk_pools, Canada's ACB
in ca_acb): the `Matcher` steps recorded as they come, and one asset's pool at average cost.
Their rules look ahead (30 days after a disposal), so the steps are matched only in
`StepLog.result()`, by each jurisdiction's `match`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import usd
from scanner.tax.matching import Matched, OpenLot, transit_of
from scanner.tax.records import Disposal, Lot

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Acquired:
    order: int  # the order of the call: breaks ties between steps at the same moment
    lot: OpenLot

    @property
    def when(self) -> datetime:
        return self.lot.acquired


@dataclass(frozen=True, slots=True)
class Disposed:
    order: int
    leg: LedgerEntry
    quantity: Decimal
    proceeds: Decimal | None
    kind: Kind

    @property
    def when(self) -> datetime:
        return self.leg.timestamp


@dataclass(frozen=True, slots=True)
class Removed:
    order: int
    leg: LedgerEntry
    quantity: Decimal

    @property
    def when(self) -> datetime:
        return self.leg.timestamp


Step = Acquired | Disposed | Removed


def step_asset(step: Step) -> str:
    return step.lot.asset if isinstance(step, Acquired) else step.leg.asset


class StepLog:
    """The `Matcher` steps of a pooling jurisdiction, recorded for `result()`. Moving
    tokens between own wallets changes nothing in a pool (one per asset across wallets):
    `send_own` remembers what left, `receive_own` says whether something did. A move to
    the same coin on another chain is another asset's pool: it leaves the one pool and
    enters the other at fair value (a note says so)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.sent: dict[tuple[str, str], tuple[LedgerEntry, Decimal]] = {}
        self.across_chains = False

    def start_year(self, year: int) -> None:
        """Pools do not change at a year's start."""

    def acquire(self, lot: OpenLot) -> None:
        if lot.quantity > 0:
            self.steps.append(Acquired(len(self.steps), lot.part(lot.quantity, lot.basis)))

    def dispose(self, leg: LedgerEntry, quantity: Decimal, proceeds: Decimal | None,
                kind: Kind) -> None:
        if quantity > 0:
            self.steps.append(Disposed(len(self.steps), leg, quantity,
                                       None if proceeds is None else usd(proceeds), kind))

    def remove(self, leg: LedgerEntry, quantity: Decimal) -> None:
        if quantity > 0:
            self.steps.append(Removed(len(self.steps), leg, quantity))

    def send_own(self, leg: LedgerEntry, quantity: Decimal) -> None:
        key = transit_of(leg)
        _, before = self.sent.get(key, (leg, ZERO))
        self.sent[key] = (leg, before + quantity)

    def receive_own(self, leg: LedgerEntry) -> bool:
        key = transit_of(leg)
        departure, quantity = self.sent.get(key, (leg, ZERO))
        if quantity <= 0:
            return False
        if departure.asset == leg.asset:
            return True
        del self.sent[key]
        self.remove(departure, quantity)
        self.across_chains = True
        return False

    def by_asset(self) -> dict[str, list[Step]]:
        """Each asset's steps in time order (ties in the order of the calls), on fresh
        copies of the lots, so that `result()` may run more than once."""
        out: defaultdict[str, list[Step]] = defaultdict(list)
        for step in sorted(self.steps, key=lambda s: (s.when, s.order)):
            if isinstance(step, Acquired):
                step = Acquired(step.order, step.lot.part(step.lot.quantity, step.lot.basis))
            out[step_asset(step)].append(step)
        return dict(out)

    def result(self) -> Matched:
        """Every asset's steps through the jurisdiction's `match` (one pool per asset)."""
        rows: list[tuple[Disposed, Disposal]] = []
        pools: list[Pool] = []
        for asset, steps in self.by_asset().items():
            asset_rows, pool = self.match(asset, steps)
            rows.extend(asset_rows)
            pools.append(pool)
        notes = ("a move to the same coin on another chain leaves one pool and enters the "
                 "other at fair value: these rules pool cost per asset",) \
            if self.across_chains else ()
        return Matched(open_lots(pools), in_time_order(rows), notes)

    @staticmethod
    def match(asset: str, steps: Sequence[Step]) -> tuple[list[tuple[Disposed, Disposal]],
                                                          Pool]:
        """One asset's disposals matched, and its pool at the end."""
        raise NotImplementedError


class Pool:
    """One asset's tokens at average cost. Its cost is unknown (None) from the moment a
    token of unknown cost enters until it is empty again."""

    __slots__ = ("asset", "cost", "quantity", "since", "symbol")

    def __init__(self, asset: str) -> None:
        self.asset = asset
        self.symbol: str | None = None
        self.quantity = ZERO
        self.cost: Decimal | None = ZERO
        self.since: datetime | None = None  # the first addition since it was last empty

    @property
    def lot_id(self) -> str:
        return f"pool:{self.asset}"

    def add(self, quantity: Decimal, cost: Decimal | None, when: datetime,
            symbol: str | None = None) -> None:
        if quantity <= 0:
            return
        if self.quantity == 0:
            self.since = when
        self.symbol = self.symbol or symbol
        self.quantity += quantity
        self.cost = None if self.cost is None or cost is None else self.cost + cost

    def adjust(self, amount: Decimal) -> None:
        """Add `amount` to the cost (Canada's denied superficial loss)."""
        if self.cost is not None:
            self.cost += amount

    def take(self, quantity: Decimal) -> tuple[Decimal, Decimal | None]:
        """Draw up to `quantity` at average cost: the quantity drawn and its cost."""
        taken = min(quantity, self.quantity)
        if taken <= 0:
            return ZERO, ZERO
        if taken == self.quantity:
            cost = self.cost
            self.quantity, self.cost, self.since = ZERO, ZERO, None
            return taken, cost
        cost = None if self.cost is None else usd(self.cost * taken / self.quantity)
        self.quantity -= taken
        if self.cost is not None and cost is not None:
            self.cost -= cost
        return taken, cost

    def lot(self) -> Lot | None:
        """What the pool holds as one open lot, if anything."""
        if self.quantity <= 0 or self.since is None:
            return None
        return Lot(self.lot_id, "", self.asset, self.symbol, self.since, self.quantity,
                   self.cost, "", "pool", Kind.TRADE)


def in_time_order(rows: Iterable[tuple[Disposed, Disposal]]) -> tuple[Disposal, ...]:
    ordered = sorted(enumerate(rows), key=lambda r: (r[1][0].when, r[1][0].order, r[0]))
    return tuple(disposal for _, (_, disposal) in ordered)


def open_lots(pools: Iterable[Pool]) -> tuple[Lot, ...]:
    lots = [lot for pool in pools if (lot := pool.lot()) is not None]
    return tuple(sorted(lots, key=lambda lot: (lot.acquired, lot.lot_id)))
