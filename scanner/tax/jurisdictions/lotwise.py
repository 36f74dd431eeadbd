"""Lot-by-lot matching (the US, and Germany's FIFO): a disposal draws on open lots in the
order of a method's sort key, from the disposing wallet's lots or, in a universal year,
from every wallet's. Specific identification names lots by id for a transaction."""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from chains.errors import UserInputError
from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import split_usd, usd
from scanner.tax.checkpoint import EngineState, HeldLot, StateChange, StateTooShort
from scanner.tax.holding import anniversary
from scanner.tax.matching import Matched, OpenLot, transit_of
from scanner.tax.records import NO_LOT, TAX_FREE_AFTER_A_YEAR, Disposal, Term
from scanner.tax.scope import Allocation, Scope, ScopePlan, allocate_by_rule

ZERO = Decimal(0)
_LONG, _SHORT = Term.LONG, Term.SHORT
SortKey = Callable[[OpenLot], tuple[object, ...]]
Draw = tuple[OpenLot, Decimal, Decimal | None]  # a lot, the quantity drawn, its basis
UNIVERSAL = ""  # the pool key's wallet part in a universal year
_new_disposal = fast_constructor(Disposal)  # a disposal or more per sale
_new_allocation = fast_constructor(Allocation)  # a lot per wallet, where lots become so


_new_held = fast_constructor(HeldLot)


def _held(pool: str | None, transit: tuple[str, str] | None, arrival: int,
          lot: OpenLot) -> HeldLot:
    return _new_held(pool, transit, arrival, lot.seq, lot.lot_id, lot.wallet, lot.asset,
                     lot.symbol, lot.acquired, lot.quantity, lot.basis, lot.origin_tx,
                     lot.origin_leg, lot.origin_kind)


def _microseconds(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _highest_cost(lot: OpenLot) -> tuple[object, ...]:
    # unit cost never changes when a lot is drawn on pro rata; unknown costs go last
    if lot.basis is None or lot.quantity == 0:
        return (1, ZERO, lot.acquired, lot.seq)
    return (0, -(lot.basis / lot.quantity), lot.acquired, lot.seq)


# A method is the order in which a disposal draws on open lots: a sort key. Specific
# identification draws on the lots named for a transaction first, then as FIFO does.
METHODS: dict[str, SortKey] = {
    "fifo": lambda lot: (lot.acquired, lot.seq),
    "lifo": lambda lot: (-_microseconds(lot.acquired), -lot.seq),
    "hifo": _highest_cost,
    "specific": lambda lot: (lot.acquired, lot.seq),
}


# the methods whose order is that of acquisition, the earliest first (False) or the latest
# (True), where a tie goes to the earlier arrival: a database can list their lots in order
ACQUISITION_ORDER = {"fifo": False, "specific": False, "lifo": True}


def sort_key(method: str) -> SortKey:
    try:
        return METHODS[method]
    except KeyError:
        raise UserInputError(
            f"unknown cost-basis method {method!r} (available: {', '.join(METHODS)})"
        ) from None


class _Pool:
    """Open lots ordered by the method's key, then by arrival (which breaks ties between
    parts of one lot that meet again); lots drawn on by id are emptied in place and leave
    the heap when they reach its top. A pool restored from a partial state holds its first
    lots alone: `_cold` is the place of the last (nothing comes before it that it does not
    hold), and a draw beyond it is void (StateTooShort)."""

    __slots__ = ("_arrival", "_cold", "_heap", "_key")

    def __init__(self, key: SortKey, arrival: Iterator[int]) -> None:
        self._key = key
        self._arrival = arrival
        self._heap: list[tuple[tuple[object, ...], int, OpenLot]] = []
        self._cold: tuple[object, ...] | None = None

    def add(self, lot: OpenLot, arrival: int | None = None) -> None:
        heapq.heappush(self._heap, (self._key(lot),
                                    next(self._arrival) if arrival is None else arrival, lot))

    def entries(self) -> list[tuple[tuple[object, ...], int, OpenLot]]:
        """The heap: each lot (some emptied) with its key and arrival."""
        return self._heap

    def restore(self, entries: list[tuple[tuple[object, ...], int, OpenLot]],
                partial: bool) -> None:
        """Hold `entries` (keys and arrivals as `add` gave them), the first lots of the
        pool alone when `partial`."""
        self._heap = entries
        heapq.heapify(entries)
        if partial:
            self._cold = max((key, arrival) for key, arrival, _ in entries) if entries else ()

    def _whole(self) -> None:
        if self._cold is not None:
            raise StateTooShort

    def take(self, quantity: Decimal) -> tuple[list[Draw], Decimal]:
        """What was drawn from which lot (quantity, basis) and the quantity no lot
        covered."""
        draws: list[Draw] = []
        heap = self._heap
        cold = self._cold
        while quantity > ZERO and heap:
            top = heap[0]
            if cold is not None and (top[0], top[1]) > cold:
                raise StateTooShort
            lot = top[2]
            have = lot.quantity
            if have > quantity:
                draws.append((lot, quantity, lot.draw(quantity)))
                return draws, ZERO
            if have:
                draws.append((lot, have, lot.draw(have)))
                quantity -= have
            heapq.heappop(heap)
        if quantity > ZERO and cold is not None:
            raise StateTooShort
        return draws, quantity

    def take_from_wallet(self, wallet: str, quantity: Decimal) -> list[OpenLot]:
        """Parts of the lots that `wallet` acquired, in the method's order, up to
        `quantity` (they stay in the pool's books until added back)."""
        self._whole()
        parts = []
        for _, _, lot in sorted(entry for entry in self._heap if entry[2].wallet == wallet):
            if quantity <= 0:
                break
            if lot.quantity > 0:
                amount = min(quantity, lot.quantity)
                parts.append(lot.part(amount, lot.draw(amount)))
                quantity -= amount
        return parts

    def find(self, lot_id: str) -> OpenLot | None:
        self._whole()
        for _, _, lot in self._heap:
            if lot.lot_id == lot_id and lot.quantity > 0:
                return lot
        return None

    def lots(self) -> list[OpenLot]:
        self._whole()
        return [lot for _, _, lot in self._heap if lot.quantity > 0]

    def drain(self) -> list[OpenLot]:
        lots = self.lots()
        self._heap = []
        return lots


def _pools(key: SortKey, arrival: Iterator[int]) -> defaultdict[tuple[str, str], _Pool]:
    """Pools made as needed, sharing one order of arrival (no reference to the matcher:
    a cycle would keep every lot alive until the collector's next full pass)."""
    return defaultdict(lambda: _Pool(key, arrival))


class LotMatcher:
    """Matches disposals to lots by `method`, per wallet or universally as `scopes` says
    for each year. `assignments` (specific identification) names, per transaction hash,
    the lots to draw on first; `recorded` is a basis allocation the user recorded for a
    switch from universal to per-wallet lots."""

    def __init__(self, method: str, scopes: ScopePlan, *,
                 assignments: Mapping[str, Sequence[str]] | None = None,
                 recorded: Sequence[Allocation] = (), tax_free_after_a_year: bool = False) -> None:
        key = self.key = sort_key(method)
        self.method = method
        self.rule = "fifo" if method == "specific" else method  # of a draw not named by id
        self.arrival = itertools.count()
        self.pools = _pools(key, self.arrival)
        self.scopes = scopes
        self.universal = False
        self.started = False
        self.year = 0
        self.held: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.in_transit: dict[tuple[str, str], list[OpenLot]] = {}
        self.assignments = {tx.lower(): tuple(ids) for tx, ids in (assignments or {}).items()}
        self.assigned_found: set[tuple[str, str]] = set()
        self.recorded = recorded
        self.tax_free = tax_free_after_a_year
        self.disposals: list[Disposal] = []
        self.allocations: list[Allocation] = []
        self.notes: list[str] = []
        self._restored: dict[int, HeldLot] = {}  # id of a lot restored from a state: its row

    # ---- state -------------------------------------------------------------------------

    def restore(self, state: EngineState) -> None:
        """Hold what `state` holds (this matcher new), as if the steps before its moment
        had been taken."""
        self.universal, self.started, self.year = state.universal, True, state.year
        self.arrival = itertools.count(state.arrival)
        self.pools = _pools(self.key, self.arrival)
        for wallet, asset, quantity in state.held:
            self.held[(wallet, asset)] = quantity
        key, restored = self.key, self._restored
        heaps: dict[tuple[str, str], list[tuple[tuple[object, ...], int, OpenLot]]] = {
            place: [] for place in state.partial}
        moving: list[tuple[int, tuple[str, str], OpenLot]] = []
        for held in state.lots:
            lot = OpenLot(held.lot_id, held.seq, held.wallet, held.asset, held.symbol,
                          held.acquired, held.quantity, held.basis, held.origin_tx,
                          held.origin_leg, held.origin_kind)
            if held.transit is not None:
                moving.append((held.arrival, held.transit, lot))
            else:
                heaps.setdefault((held.pool or UNIVERSAL, held.asset), []).append(
                    (key(lot), held.arrival, lot))
                restored[id(lot)] = held
        for place, entries in heaps.items():
            self.pools[place].restore(entries, place in state.partial)
        for _, transit, lot in sorted(moving, key=lambda m: m[0]):
            self.in_transit.setdefault(transit, []).append(lot)

    def state(self, moment: datetime, seq: int) -> StateChange:
        """What the matcher holds now, as a state at `moment` (`seq`: the engine's next):
        of a matcher restored from a state, what changed of it."""
        kept: set[int] = set()
        lots: list[HeldLot] = []
        restored = self._restored
        for (pool_wallet, _), pool in self.pools.items():
            for _, arrival, lot in pool.entries():
                if not lot.quantity:
                    continue
                was = restored.get(id(lot))
                if was is not None and was.arrival == arrival and \
                        was.quantity == lot.quantity and was.basis == lot.basis and \
                        was.wallet == lot.wallet and was.pool == pool_wallet:
                    kept.add(id(lot))
                else:
                    lots.append(_held(pool_wallet, None, arrival, lot))
        gone = [held for place, held in restored.items() if place not in kept]
        lots += [_held(None, transit, n, lot) for transit, moving in self.in_transit.items()
                 for n, lot in enumerate(moving)]
        held = tuple((wallet, asset, quantity) for (wallet, asset), quantity in self.held.items())
        return StateChange(
            EngineState(moment, seq, next(self.arrival), self.year, self.universal,
                        tuple(lots), held),
            tuple((h.asset, h.arrival) for h in gone),
            frozenset(h.lot_id for h in (*lots, *gone)))

    # ---- scope -------------------------------------------------------------------------

    def start_year(self, year: int) -> None:
        universal = self.scopes.of(year) is Scope.UNIVERSAL
        if self.started and universal != self.universal:
            if universal:
                self._merge()
            else:  # lots became per-wallet at the start of the first such year since
                first = next(y for y in range(self.year + 1, year + 1)
                             if self.scopes.of(y) is Scope.PER_WALLET)
                self._allocate(datetime(first, 1, 1, tzinfo=UTC))
        self.universal, self.started, self.year = universal, True, year

    def _pool_of(self, wallet: str, asset: str) -> _Pool:
        return self.pools[(UNIVERSAL if self.universal else wallet, asset)]

    def _merge(self) -> None:
        for (wallet, asset), pool in list(self.pools.items()):
            if wallet != UNIVERSAL:
                for lot in pool.drain():
                    self.pools[(UNIVERSAL, asset)].add(lot)

    def _allocate(self, as_of: datetime) -> None:
        for (wallet, asset), pool in list(self.pools.items()):
            if wallet != UNIVERSAL:
                continue
            lots = pool.drain()
            needs = {w: q for (w, a), q in self.held.items() if a == asset and q > 0}
            for lot, owner, how in self._recorded_first(as_of, asset, lots, needs):
                self._give(as_of, lot, owner, how)

    def _recorded_first(self, as_of: datetime, asset: str, lots: list[OpenLot],
                        needs: dict[str, Decimal]) -> list[tuple[OpenLot, str, str]]:
        out: list[tuple[OpenLot, str, str]] = []
        by_id = {lot.lot_id: lot for lot in lots}
        for row in self.recorded:
            if row.asset != asset or row.as_of != as_of:
                continue
            lot = by_id.get(row.lot_id)
            if lot is None or lot.quantity == 0:
                self.notes.append(f"the recorded allocation names lot {row.lot_id}, which is "
                                  f"not open at {as_of:%Y-%m-%d}: the ledger changed since it "
                                  "was recorded; record it again")
                continue
            amount = min(row.quantity, lot.quantity)
            _, part = lot.take(amount)
            out.append((part, row.wallet, "recorded"))
            needs[row.wallet] = needs.get(row.wallet, ZERO) - amount
        left = [lot for lot in lots if lot.quantity > 0]
        for share in allocate_by_rule([(lot.wallet, lot.quantity) for lot in left], needs):
            _, part = left[share.lot_index].take(share.quantity)
            out.append((part, share.wallet, "rule"))
        return out

    def _give(self, as_of: datetime, lot: OpenLot, wallet: str, how: str) -> None:
        lot.wallet = wallet
        self.pools[(wallet, lot.asset)].add(lot)
        self.allocations.append(_new_allocation(as_of, wallet, lot.asset, lot.symbol,
                                                lot.lot_id, lot.acquired, lot.quantity,
                                                lot.basis, how))

    # ---- steps -------------------------------------------------------------------------

    def acquire(self, lot: OpenLot) -> None:
        wallet, asset = lot.wallet, lot.asset
        self.pools[(UNIVERSAL if self.universal else wallet, asset)].add(lot)
        self.held[(wallet, asset)] += lot.quantity

    def dispose(self, leg: LedgerEntry, quantity: Decimal, proceeds: Decimal | None,
                kind: Kind) -> None:
        wallet, asset = leg.wallet, leg.asset
        self.held[(wallet, asset)] -= quantity
        pool = self.pools[(UNIVERSAL if self.universal else wallet, asset)]
        named: list[Draw] = []
        if self.assignments and leg.tx_hash in self.assignments:
            named, quantity = self._take_named(pool, leg, quantity)
        draws, uncovered = pool.take(quantity)
        append = self.disposals.append
        if not named and len(draws) == 1 and not uncovered:  # the common case
            lot, amount, basis = draws[0]
            append(self._disposal(leg, lot, amount, basis,
                                  None if proceeds is None else usd(proceeds), kind, self.rule))
            return
        sizes = [amount for _, amount, _ in named] + [amount for _, amount, _ in draws]
        if uncovered:
            sizes.append(uncovered)
        shares = iter(split_usd(proceeds, sizes))  # in the order of the sizes
        for lot, amount, basis in named:
            append(self._disposal(leg, lot, amount, basis, next(shares), kind, "specific"))
        for lot, amount, basis in draws:
            append(self._disposal(leg, lot, amount, basis, next(shares), kind, self.rule))
        if uncovered > 0:
            append(_new_disposal(wallet, asset, leg.symbol, uncovered, None, leg.timestamp,
                                 next(shares), None, None, leg.tx_hash, None, kind, NO_LOT))

    def _disposal(self, leg: LedgerEntry, lot: OpenLot, amount: Decimal,
                  basis: Decimal | None, proceeds: Decimal | None, kind: Kind,
                  rule: str) -> Disposal:
        when = leg.timestamp
        if lot.acquired > when:  # a group's legs at two moments: the later one's lot
            raise UserInputError(
                f"transaction {leg.tx_hash} sells {leg.asset} at {when:%Y-%m-%d %H:%M:%S} "
                f"from lot {lot.lot_id}, acquired later ({lot.acquired:%Y-%m-%d %H:%M:%S}): "
                "the ledger gives one transaction's legs different moments (two imported "
                "files?); correct the file and import it again")
        long = when.date() > anniversary(lot.acquired.date())
        if long and self.tax_free:
            rule = TAX_FREE_AFTER_A_YEAR
        return _new_disposal(leg.wallet, leg.asset, leg.symbol, amount, lot.acquired, when,
                             proceeds, basis, _LONG if long else _SHORT, leg.tx_hash,
                             lot.lot_id, kind, rule)

    def _take_named(self, pool: _Pool, leg: LedgerEntry, quantity: Decimal) -> \
            tuple[list[Draw], Decimal]:
        draws: list[Draw] = []
        for lot_id in self.assignments[leg.tx_hash]:
            if quantity <= 0:
                break
            lot = pool.find(lot_id)
            if lot is None or lot.acquired > leg.timestamp:
                continue
            self.assigned_found.add((leg.tx_hash, lot_id))
            amount = min(quantity, lot.quantity)
            draws.append((lot, amount, lot.draw(amount)))
            quantity -= amount
        return draws, quantity

    def remove(self, leg: LedgerEntry, quantity: Decimal) -> None:
        self.held[(leg.wallet, leg.asset)] -= quantity
        self._pool_of(leg.wallet, leg.asset).take(quantity)

    def take(self, leg: LedgerEntry, quantity: Decimal) -> list[OpenLot]:
        """`quantity` of `leg.asset` leaves `leg.wallet`'s lots without a gain or loss, as
        the parts of the lots it drew on (in the method's order), for the engine to carry
        over into another asset; a part no lot covered has an unknown basis."""
        self.held[(leg.wallet, leg.asset)] -= quantity
        draws, uncovered = self._pool_of(leg.wallet, leg.asset).take(quantity)
        parts = [lot.part(amount, basis) for lot, amount, basis in draws]
        if uncovered > 0:
            parts.append(OpenLot(f"{leg.tx_hash}:{leg.leg_key}", -1, leg.wallet, leg.asset,
                                 leg.symbol, leg.timestamp, uncovered, None, leg.tx_hash,
                                 leg.leg_key, leg.kind))
        return parts

    def send_own(self, leg: LedgerEntry, quantity: Decimal) -> None:
        self.held[(leg.wallet, leg.asset)] -= quantity
        if self.universal:  # one pool for all: only which wallet holds the lots changes
            self.in_transit[transit_of(leg)] = self._pool_of(
                leg.wallet, leg.asset).take_from_wallet(leg.wallet, quantity)
            return
        draws, uncovered = self._pool_of(leg.wallet, leg.asset).take(quantity)
        moving = self.in_transit.setdefault(transit_of(leg), [])
        moving.extend(lot.part(amount, basis) for lot, amount, basis in draws)
        if uncovered > 0:  # more left than the books hold: its basis is unknown
            moving.append(OpenLot(f"{leg.tx_hash}:{leg.leg_key}", -1, leg.wallet, leg.asset,
                                  leg.symbol, leg.timestamp, uncovered, None, leg.tx_hash,
                                  leg.leg_key, leg.kind))

    def receive_own(self, leg: LedgerEntry) -> bool:
        arriving = self.in_transit.pop(transit_of(leg), None)
        if arriving is None:
            return False
        self.held[(leg.wallet, leg.asset)] += leg.quantity
        for part in arriving:
            part.wallet = leg.wallet
            if part.asset != leg.asset:  # across a bridge: the same coin on another chain
                part.asset, part.symbol = leg.asset, leg.symbol
            self._pool_of(leg.wallet, leg.asset).add(part)
        return True

    def result(self) -> Matched:
        missing = [(tx, lot_id) for tx, ids in self.assignments.items() for lot_id in ids
                   if (tx, lot_id) not in self.assigned_found]
        if missing and self.method == "specific":
            tx, lot_id = missing[0]
            raise UserInputError(
                f"specific identification: lot {lot_id} was not open for transaction {tx} "
                f"(wrong lot id, another wallet or asset, used up, or acquired later); "
                f"{len(missing)} such assignment(s)")
        open_lots = sorted((lot.frozen() for pool in self.pools.values() for lot in pool.lots()),
                           key=lambda lot: (lot.acquired, lot.lot_id))
        return Matched(tuple(open_lots), tuple(self.disposals), tuple(self.notes),
                       tuple(self.allocations))
