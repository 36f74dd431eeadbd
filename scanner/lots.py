"""Cost-basis lots: acquisitions become lots, disposals draw on them by a method's sort key.

Lots are kept per wallet (the US rule from 2025). Gas follows DESIGN.md: the native coin
spent is itself a disposal; its USD value is added to the basis of what a purchase
bought (a trade paying only stablecoins, or a claim), or subtracted from the proceeds of
what a trade sold. A transaction that only moves or approves pays gas and nothing else.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from scanner.errors import UserInputError
from scanner.money import usd
from scanner.types import Disposal, IncomeEvent, Kind, LedgerEntry, Lot, LotBook, Term

ZERO = Decimal(0)


@dataclass
class _OpenLot:
    lot_id: str
    seq: int
    wallet: str
    asset: str
    symbol: str | None
    acquired: datetime
    quantity: Decimal
    basis: Decimal | None
    origin_tx: str
    origin_leg: str
    origin_kind: Kind

    def take(self, quantity: Decimal) -> tuple[Decimal | None, _OpenLot]:
        """Remove `quantity`; return its basis and the taken part as a lot of its own."""
        if quantity >= self.quantity:
            taken_basis = self.basis
        else:
            taken_basis = None if self.basis is None else usd(self.basis * quantity / self.quantity)
        part = _OpenLot(self.lot_id, self.seq, self.wallet, self.asset, self.symbol,
                        self.acquired, quantity, taken_basis, self.origin_tx, self.origin_leg,
                        self.origin_kind)
        self.quantity -= quantity
        if self.basis is not None and taken_basis is not None:
            self.basis -= taken_basis
        return taken_basis, part

    def frozen(self) -> Lot:
        return Lot(self.lot_id, self.wallet, self.asset, self.symbol, self.acquired,
                   self.quantity, self.basis, self.origin_tx, self.origin_leg,
                   self.origin_kind)


SortKey = Callable[[_OpenLot], tuple[object, ...]]


def _microseconds(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _highest_cost(lot: _OpenLot) -> tuple[object, ...]:
    # unit cost never changes when a lot is drawn on pro rata; unknown costs go last
    if lot.basis is None or lot.quantity == 0:
        return (1, ZERO, lot.acquired, lot.seq)
    return (0, -(lot.basis / lot.quantity), lot.acquired, lot.seq)


# A method is the order in which a disposal draws on open lots: a sort key.
METHODS: dict[str, SortKey] = {
    "fifo": lambda lot: (lot.acquired, lot.seq),
    "lifo": lambda lot: (-_microseconds(lot.acquired), -lot.seq),
    "hifo": _highest_cost,
}


def sort_key(method: str) -> SortKey:
    try:
        return METHODS[method]
    except KeyError:
        raise UserInputError(
            f"unknown cost-basis method {method!r} (available: {', '.join(METHODS)})"
        ) from None


def is_long_term(acquired: datetime, disposed: datetime) -> bool:
    """Held more than one year: disposed after the first anniversary of acquisition."""
    start = acquired.date()
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:  # acquired on Feb 29
        anniversary = date(start.year + 1, 2, 28)
    return disposed.date() > anniversary


def term_of(acquired: datetime, disposed: datetime) -> Term:
    return Term.LONG if is_long_term(acquired, disposed) else Term.SHORT


class _Pool:
    """The open lots of one (wallet, asset), ordered by the method's key."""

    def __init__(self, key: SortKey) -> None:
        self._key = key
        self._heap: list[tuple[tuple[object, ...], int, _OpenLot]] = []

    def add(self, lot: _OpenLot) -> None:
        heapq.heappush(self._heap, (self._key(lot), lot.seq, lot))

    def take(self, quantity: Decimal) -> tuple[list[tuple[_OpenLot, Decimal | None]], Decimal]:
        """Parts taken (each with its basis) and the quantity no lot covered."""
        parts = []
        while quantity > 0 and self._heap:
            _, _, lot = self._heap[0]
            amount = min(quantity, lot.quantity)
            basis, part = lot.take(amount)
            parts.append((part, basis))
            quantity -= amount
            if lot.quantity == 0:
                heapq.heappop(self._heap)
        return parts, quantity

    def lots(self) -> list[_OpenLot]:
        return [lot for _, _, lot in self._heap if lot.quantity > 0]


def compute_lots(
    entries: Iterable[LedgerEntry],
    *,
    method: str = "fifo",
    purchase_currencies: Collection[str] = (),
) -> LotBook:
    """Run every taxable entry through the lots; `purchase_currencies` are USD stablecoins."""
    engine = _Engine(sort_key(method), frozenset(purchase_currencies))
    for legs in _groups_in_order(entries):
        engine.apply(legs)
    return engine.book()


def _groups_in_order(entries: Iterable[LedgerEntry]) -> list[list[LedgerEntry]]:
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in entries:
        groups[entry.group_id].append(entry)

    def order(legs: list[LedgerEntry]) -> tuple[object, ...]:
        first = legs[0]
        sends_own = any(leg.kind is Kind.SELF_TRANSFER and leg.raw_amount < 0 for leg in legs)
        return (first.timestamp, first.block_number, first.tx_index, not sends_own,
                first.group_id)

    return sorted(groups.values(), key=order)


def _net(legs: list[LedgerEntry]) -> dict[str, tuple[Decimal, Decimal | None, LedgerEntry]]:
    """Per asset: net quantity, the USD value of that net quantity, and a leg to cite."""
    totals: dict[str, list[LedgerEntry]] = defaultdict(list)
    for leg in legs:
        totals[leg.asset].append(leg)
    out = {}
    for asset, asset_legs in totals.items():
        net = sum((leg.quantity for leg in asset_legs), ZERO)
        if net == 0:
            continue
        sign = 1 if net > 0 else -1
        same_way = [leg for leg in asset_legs if leg.quantity * sign > 0]
        gross = sum((abs(leg.quantity) for leg in same_way), ZERO)
        value = _sum_known(leg.usd_value for leg in same_way)
        out[asset] = (net, None if value is None else value * abs(net) / gross, same_way[0])
    return out


class _Engine:
    """The state of one run: open lots per (wallet, asset) and what has been realized."""

    def __init__(self, key: SortKey, purchase_currencies: frozenset[str]) -> None:
        self.pools: dict[tuple[str, str], _Pool] = defaultdict(lambda: _Pool(key))
        self.in_transit: dict[tuple[str, str], list[_OpenLot]] = defaultdict(list)
        self.purchase_currencies = purchase_currencies
        self.seq = itertools.count()
        self.disposals: list[Disposal] = []
        self.income: list[IncomeEvent] = []
        self.acquisitions: list[Lot] = []

    def book(self) -> LotBook:
        open_lots = sorted((lot.frozen() for pool in self.pools.values() for lot in pool.lots()),
                           key=lambda lot: (lot.acquired, lot.lot_id))
        return LotBook(tuple(open_lots), tuple(self.disposals), tuple(self.income),
                       tuple(self.acquisitions))

    def dispose(self, leg: LedgerEntry, quantity: Decimal, proceeds: Decimal | None,
                kind: Kind) -> None:
        when = leg.timestamp
        parts, uncovered = self.pools[(leg.wallet, leg.asset)].take(quantity)
        sizes = [part.quantity for part, _ in parts] + ([uncovered] if uncovered > 0 else [])
        shares = _split(proceeds, sizes)
        for (part, basis), share in zip(parts, shares, strict=False):
            self.disposals.append(Disposal(
                leg.wallet, leg.asset, leg.symbol, part.quantity, part.acquired, when, share,
                basis, term_of(part.acquired, when), leg.tx_hash, part.lot_id, kind))
        if uncovered > 0:
            self.disposals.append(Disposal(leg.wallet, leg.asset, leg.symbol, uncovered, None,
                                           when, shares[-1], None, None, leg.tx_hash, None,
                                           kind))

    def _new_lot(self, leg: LedgerEntry, quantity: Decimal, basis: Decimal | None) -> _OpenLot:
        return _OpenLot(f"{leg.tx_hash}:{leg.leg_key}", next(self.seq), leg.wallet, leg.asset,
                        leg.symbol, leg.timestamp, quantity, basis, leg.tx_hash, leg.leg_key,
                        leg.kind)

    def acquire(self, leg: LedgerEntry, quantity: Decimal, basis: Decimal | None) -> None:
        lot = self._new_lot(leg, quantity, basis)
        self.pools[(leg.wallet, leg.asset)].add(lot)
        self.acquisitions.append(lot.frozen())

    def send_own(self, leg: LedgerEntry, quantity: Decimal) -> None:
        """Lots leave for another own wallet with their dates and basis."""
        parts, uncovered = self.pools[(leg.wallet, leg.asset)].take(quantity)
        moving = self.in_transit[(leg.tx_hash, leg.asset)]
        moving.extend(part for part, _ in parts)
        if uncovered > 0:  # more left than the books hold: its basis is unknown
            moving.append(self._new_lot(leg, uncovered, None))

    def receive_own(self, leg: LedgerEntry) -> bool:
        arriving = self.in_transit.pop((leg.tx_hash, leg.asset), None)
        if not arriving:
            return False
        for part in arriving:
            part.wallet, part.seq = leg.wallet, next(self.seq)
            self.pools[(leg.wallet, leg.asset)].add(part)
        return True

    def apply(self, legs: list[LedgerEntry]) -> None:
        """One transaction of one wallet: gas, then what left, then what arrived."""
        fees = [leg for leg in legs if leg.kind is Kind.FEE]
        for fee in fees:
            self.dispose(fee, abs(fee.quantity), fee.usd_value, Kind.FEE)
        moves = [leg for leg in legs if leg.kind not in (Kind.FEE, Kind.SPAM)]
        if not moves:
            return
        fee_usd = _sum_known(fee.usd_value for fee in fees)
        net = _net(moves)
        outs = {a: v for a, v in net.items() if v[0] < 0}
        ins = {a: v for a, v in net.items() if v[0] > 0}
        kind = moves[0].kind
        buying = kind is Kind.INCOME or (
            kind is Kind.TRADE and bool(outs) and set(outs) <= self.purchase_currencies)
        proceeds_fee = fee_usd if kind is Kind.TRADE and not buying else ZERO
        basis_fee = fee_usd if buying else ZERO

        total_out = _sum_known(value for _, value, _ in outs.values())
        for quantity, value, leg in outs.values():
            if leg.kind is Kind.TRADE:
                self.dispose(leg, -quantity, _less_share(value, proceeds_fee, total_out),
                             Kind.TRADE)
            elif leg.kind is Kind.SELF_TRANSFER:
                self.send_own(leg, -quantity)
            else:  # transfer_out: the lots leave the books, nothing is realized
                self.pools[(leg.wallet, leg.asset)].take(-quantity)

        total_in = _sum_known(value for _, value, _ in ins.values())
        for quantity, value, leg in ins.values():
            if leg.kind is Kind.SELF_TRANSFER and self.receive_own(leg):
                continue
            self.acquire(leg, quantity, _plus_share(value, basis_fee, total_in))
            if leg.kind is Kind.INCOME:
                self.income.append(IncomeEvent(leg.timestamp, leg.wallet, leg.asset,
                                               leg.symbol, quantity, value, "claim",
                                               leg.tx_hash))


def _split(total: Decimal | None, sizes: list[Decimal]) -> list[Decimal | None]:
    """`total` shared in proportion to `sizes`; the last share takes the remainder, so the
    shares always add up to the total exactly."""
    if total is None:
        return [None] * len(sizes)
    total = usd(total)
    whole = sum(sizes, ZERO)
    shares: list[Decimal | None] = [usd(total * size / whole) for size in sizes[:-1]]
    shares.append(total - sum((s for s in shares if s is not None), ZERO))
    return shares


def _sum_known(values: Iterable[Decimal | None]) -> Decimal | None:
    total = ZERO
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _less_share(value: Decimal | None, fee: Decimal | None, total: Decimal | None) -> \
        Decimal | None:
    if value is None or fee is None:
        return None if value is None else value
    if fee == 0 or not total:
        return value
    return value - fee * value / total


def _plus_share(value: Decimal | None, fee: Decimal | None, total: Decimal | None) -> \
        Decimal | None:
    if value is None:
        return None
    if not fee or not total:
        return value
    return value + fee * value / total
