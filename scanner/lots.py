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
            taken_basis = None if self.basis is None else self.basis * quantity / self.quantity
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


METHODS: dict[str, SortKey] = {
    "fifo": lambda lot: (lot.acquired, lot.seq),
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
    key = sort_key(method)
    pools: dict[tuple[str, str], _Pool] = defaultdict(lambda: _Pool(key))
    in_transit: dict[tuple[str, str], list[_OpenLot]] = defaultdict(list)
    seq = itertools.count()
    disposals: list[Disposal] = []
    income: list[IncomeEvent] = []
    acquisitions: list[Lot] = []

    def dispose(wallet: str, asset: str, symbol: str | None, quantity: Decimal,
                proceeds: Decimal | None, when: datetime, tx_hash: str, kind: Kind) -> None:
        parts, uncovered = pools[(wallet, asset)].take(quantity)
        for part, basis in parts:
            share = None if proceeds is None else proceeds * part.quantity / quantity
            disposals.append(Disposal(wallet, asset, symbol, part.quantity, part.acquired, when,
                                      share, basis, term_of(part.acquired, when), tx_hash,
                                      part.lot_id, kind))
        if uncovered > 0:
            share = None if proceeds is None else proceeds * uncovered / quantity
            disposals.append(Disposal(wallet, asset, symbol, uncovered, None, when, share, None,
                                      None, tx_hash, None, kind))

    def acquire(leg: LedgerEntry, quantity: Decimal, basis: Decimal | None) -> None:
        number = next(seq)
        lot = _OpenLot(f"{leg.tx_hash}:{leg.leg_key}", number,
                       leg.wallet, leg.asset, leg.symbol, leg.timestamp, quantity, basis,
                       leg.tx_hash, leg.leg_key, leg.kind)
        pools[(leg.wallet, leg.asset)].add(lot)
        acquisitions.append(lot.frozen())

    for legs in _groups_in_order(entries):
        _apply_group(legs, dispose, acquire, pools, in_transit, seq, income,
                     frozenset(purchase_currencies))

    open_lots = sorted((lot.frozen() for pool in pools.values() for lot in pool.lots()),
                       key=lambda lot: (lot.acquired, lot.lot_id))
    return LotBook(tuple(open_lots), tuple(disposals), tuple(income), tuple(acquisitions))


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
        values = [leg.usd_value for leg in same_way]
        value = None
        if all(v is not None for v in values):
            value = sum((v for v in values if v is not None), ZERO) * abs(net) / gross
        out[asset] = (net, value, same_way[0])
    return out


def _apply_group(
    legs: list[LedgerEntry],
    dispose: Callable[..., None],
    acquire: Callable[[LedgerEntry, Decimal, Decimal | None], None],
    pools: dict[tuple[str, str], _Pool],
    in_transit: dict[tuple[str, str], list[_OpenLot]],
    seq: itertools.count[int],
    income: list[IncomeEvent],
    purchase_currencies: frozenset[str],
) -> None:
    fees = [leg for leg in legs if leg.kind is Kind.FEE]
    moves = [leg for leg in legs if leg.kind not in (Kind.FEE, Kind.SPAM)]
    fee_usd: Decimal | None = ZERO
    for fee in fees:
        dispose(fee.wallet, fee.asset, fee.symbol, abs(fee.quantity), fee.usd_value,
                fee.timestamp, fee.tx_hash, Kind.FEE)
        fee_usd = None if fee_usd is None or fee.usd_value is None else fee_usd + fee.usd_value
    if not moves:
        return
    net = _net(moves)
    outs = {a: v for a, v in net.items() if v[0] < 0}
    ins = {a: v for a, v in net.items() if v[0] > 0}
    kind = moves[0].kind
    buying = kind is Kind.INCOME or (
        kind is Kind.TRADE and bool(outs) and set(outs) <= purchase_currencies)
    proceeds_fee = fee_usd if kind is Kind.TRADE and not buying else ZERO
    basis_fee = fee_usd if buying else ZERO

    total_out = _sum_known(v[1] for v in outs.values())
    for asset, (quantity, value, leg) in outs.items():
        if leg.kind is Kind.TRADE:
            proceeds = _less_share(value, proceeds_fee, total_out)
            dispose(leg.wallet, asset, leg.symbol, -quantity, proceeds, leg.timestamp,
                    leg.tx_hash, Kind.TRADE)
        elif leg.kind is Kind.SELF_TRANSFER:
            parts, uncovered = pools[(leg.wallet, asset)].take(-quantity)
            moving = in_transit[(leg.tx_hash, asset)]
            moving.extend(part for part, _ in parts)
            if uncovered > 0:  # more left than the books hold: its basis is unknown
                moving.append(_OpenLot(f"{leg.tx_hash}:{leg.leg_key}", next(seq),
                                       leg.wallet, asset, leg.symbol, leg.timestamp, uncovered,
                                       None, leg.tx_hash, leg.leg_key, leg.kind))
        else:  # transfer_out: the lots leave the books, nothing is realized
            pools[(leg.wallet, asset)].take(-quantity)

    total_in = _sum_known(v[1] for v in ins.values())
    for asset, (quantity, value, leg) in ins.items():
        if leg.kind is Kind.SELF_TRANSFER and in_transit.get((leg.tx_hash, asset)):
            for part in in_transit.pop((leg.tx_hash, asset)):
                part.wallet, part.seq = leg.wallet, next(seq)
                pools[(leg.wallet, asset)].add(part)
            continue
        basis = _plus_share(value, basis_fee, total_in)
        acquire(leg, quantity, basis)
        if leg.kind is Kind.INCOME:
            income.append(IncomeEvent(leg.timestamp, leg.wallet, asset, leg.symbol, quantity,
                                      value, "claim", leg.tx_hash))


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
