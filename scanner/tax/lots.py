"""The lot engine: each transaction of a wallet becomes acquisitions and disposals, which a
jurisdiction's matcher (scanner.jurisdictions) matches to lots or pools.

Gas follows DESIGN.md: the native coin spent is itself a disposal; its USD value is added
to the basis of what a purchase bought (a trade paying only stablecoins or fiat, or a
claim), or subtracted from the proceeds of what a trade sold. A transaction that only
moves or approves pays gas and nothing else.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from scanner.collector import collector_paused
from scanner.ledger.records import EXCHANGES, NOT_HOLDINGS, Kind, LedgerEntry
from scanner.money import base_unit_shares, split_usd, sum_known
from scanner.tax.checkpoint import EngineState, StateChange, StateTooShort
from scanner.tax.holding import is_long_term, term_of
from scanner.tax.jurisdictions.lotwise import ACQUISITION_ORDER, METHODS, LotMatcher, sort_key
from scanner.tax.matching import Matcher, OpenLot
from scanner.tax.policy import Policy
from scanner.tax.records import IncomeEvent, Lot, LotBook
from scanner.tax.treatment import Treatment, income_kind

__all__ = ["METHODS", "acquisition_order", "compute_lots", "is_long_term", "lots_and_snapshot",
           "lots_with_state", "sort_key", "term_of"]

ZERO = Decimal(0)
_FEE, _SPAM, _TRADE, _INCOME, _SELF = Kind.FEE, Kind.SPAM, Kind.TRADE, Kind.INCOME, \
    Kind.SELF_TRANSFER


def compute_lots(
    entries: Iterable[LedgerEntry],
    *,
    method: str = "fifo",
    purchase_currencies: Collection[str] = (),
    policy: Policy | None = None,
    through_year: int | None = None,
) -> LotBook:
    """Run every taxable entry through the lots; `purchase_currencies` are USD stablecoins.
    `policy` (jurisdiction, scope per year, assignments) defaults to the US with `method`.
    `through_year`: the lots as they stand at the start of that year, after any change of
    scope it brings, even when the entries end before it."""
    book, _ = _run(entries, purchase_currencies, policy or Policy(method=method), through_year,
                   None)
    return book


def lots_and_snapshot(
    entries: Iterable[LedgerEntry],
    moment: datetime,
    *,
    purchase_currencies: Collection[str] = (),
    policy: Policy,
) -> tuple[LotBook, LotBook | None]:
    """`compute_lots` on every entry, and in the same run the book as `compute_lots` gives
    it on the entries up to `moment` (taken when the first later leg arrives); None where
    the matcher's state cannot be taken mid-run (the UK and Canadian pools)."""
    return _run(entries, purchase_currencies, policy, None, moment)


def acquisition_order(policy: Policy) -> bool | None:
    """Whether lots are drawn on in the order of acquisition, the latest first (True) or
    the earliest (False); None when in another order, or pooled. Only then is the state of
    the engine kept (`lots_with_state`): a lot's place in HIFO's order is its unit cost when
    it came, which its rounded basis after a draw no longer says exactly."""
    matcher = policy.jurisdiction.matcher(policy)
    return ACQUISITION_ORDER.get(matcher.method) if isinstance(matcher, LotMatcher) else None


def lots_with_state(
    entries: Iterable[LedgerEntry],
    end: datetime,
    *,
    purchase_currencies: Collection[str] = (),
    policy: Policy,
    through_year: int | None = None,
    start: EngineState | None = None,
    acquisitions: bool = True,
) -> tuple[LotBook, StateChange] | None:
    """`compute_lots`, and the engine's state at `end` (every entry is before it). From
    `start`, the run goes on from that state with the entries at or after its moment (all of
    them are), and gives the run's own disposals alone, no open lot (they are in the
    `StateChange`). Without `acquisitions`, the book holds none (the stored lots are the open
    lots and the disposals: a million-leg rebuild spares making each). None where the state
    cannot be kept (`acquisition_order`; a move between own wallets that carried no lot is
    on its way at `end`), an entry falls outside the run's span, or a partial `start` proved
    too short."""
    matcher = policy.jurisdiction.matcher(policy)
    if not isinstance(matcher, LotMatcher) or matcher.method not in ACQUISITION_ORDER:
        return None
    engine = _Engine(matcher, frozenset(purchase_currencies), policy, acquisitions)
    legs = entries if isinstance(entries, Sequence) else list(entries)
    since = start.moment if start is not None else None
    if any(leg.timestamp >= end or (since is not None and leg.timestamp < since)
           for leg in legs):
        return None
    if start is not None:
        matcher.restore(start)
        engine.seq = itertools.count(start.seq)
    try:
        _apply_all(engine, legs, through_year)
    except StateTooShort:
        return None
    if not all(matcher.in_transit.values()):  # a move that carried no lot: not kept
        return None
    with collector_paused():
        change = matcher.state(end, next(engine.seq))
        if start is None:
            return engine.book(), change
        return LotBook((), tuple(matcher.disposals), (), (), (), ()), change


def _run(entries: Iterable[LedgerEntry], purchase_currencies: Collection[str], policy: Policy,
         through_year: int | None, moment: datetime | None) -> tuple[LotBook, LotBook | None]:
    engine = _Engine(policy.jurisdiction.matcher(policy), frozenset(purchase_currencies), policy)
    if moment is not None and engine.carrier is None:
        moment = None
    snapshot = _apply_all(engine, entries, through_year, moment)
    book = engine.book()
    return book, snapshot if snapshot is not None or moment is None else book


def _apply_all(engine: _Engine, entries: Iterable[LedgerEntry], through_year: int | None,
               moment: datetime | None = None) -> LotBook | None:
    """Every entry through the engine, in order; the book as it stood at `moment` (taken
    when the first later leg arrives), if any later leg came."""
    snapshot = None
    year = None
    with collector_paused():
        for legs in _groups_in_order(entries):
            if moment is not None and legs[0].timestamp > moment:
                snapshot, moment = engine.book(), None
            if legs[0].timestamp.year != year:
                year = legs[0].timestamp.year
                engine.matcher.start_year(year)
            engine.apply(legs)
        if through_year is not None and (year is None or through_year > year):
            engine.matcher.start_year(through_year)
    return snapshot


def _groups_in_order(entries: Iterable[LedgerEntry]) -> Iterable[list[LedgerEntry]]:
    """Legs grouped by transaction and wallet, in chain order; of two groups of one
    transaction, the one sending to an own wallet comes first."""
    legs = entries if isinstance(entries, Sequence) else list(entries)
    return _runs(legs) if _in_chain_order(legs) else _sorted_groups(legs)


def _in_chain_order(legs: Sequence[LedgerEntry]) -> bool:
    """Whether the legs come as the store reads them: each group's legs together, the
    groups in chain order, no transfer between own wallets (see `_sorted_groups`)."""
    seen: set[str] = set()
    last: tuple[datetime, int, int] | None = None
    last_group = ""
    for leg in legs:
        if leg.kind is _SELF:
            return False
        gid = leg.group_id
        if last is not None and gid == last_group:
            continue
        if gid in seen:
            return False
        seen.add(gid)
        at = (leg.timestamp, leg.block_number, leg.tx_index)
        if last is not None and not (last < at or (last == at and last_group < gid)):
            return False
        last, last_group = at, gid
    return True


def _runs(legs: Sequence[LedgerEntry]) -> Iterator[list[LedgerEntry]]:
    """The groups of legs in chain order, one at a time."""
    run: list[LedgerEntry] = []
    gid = None
    for leg in legs:
        if leg.group_id == gid:
            run.append(leg)
        else:
            if run:
                yield run
            run, gid = [leg], leg.group_id
    if run:
        yield run


def _sorted_groups(legs: Sequence[LedgerEntry]) -> list[list[LedgerEntry]]:
    """Every group's legs together, the groups sorted in chain order; of two groups of one
    transaction, the one sending to an own wallet comes first."""
    groups: dict[str, list[LedgerEntry]] = {}
    senders: set[str] = set()
    for leg in legs:
        groups.setdefault(leg.group_id, []).append(leg)
        if leg.kind is _SELF and leg.raw_amount < 0:
            senders.add(leg.group_id)

    def order(legs: list[LedgerEntry]) -> tuple[datetime, int, int, bool, str]:
        first = legs[0]
        return (first.timestamp, first.block_number, first.tx_index,
                first.group_id not in senders, first.group_id)

    return sorted(groups.values(), key=order)


def _net(legs: list[LedgerEntry]) -> list[tuple[Decimal, Decimal | None, LedgerEntry]]:
    """Per asset: net quantity, the USD value of that net quantity, and a leg to cite."""
    if len(legs) == 1 or len({leg.asset for leg in legs}) == len(legs):
        return [(leg.quantity, leg.usd_value, leg) for leg in legs]
    totals: dict[str, list[LedgerEntry]] = {}
    for leg in legs:
        totals.setdefault(leg.asset, []).append(leg)
    out = []
    for asset_legs in totals.values():
        net = sum((leg.quantity for leg in asset_legs), ZERO)
        if net == 0:
            continue
        sign = 1 if net > 0 else -1
        same_way = [leg for leg in asset_legs if leg.quantity * sign > 0]
        gross = sum((abs(leg.quantity) for leg in same_way), ZERO)
        value = sum_known(leg.usd_value for leg in same_way)
        out.append((net, None if value is None else value * abs(net) / gross, same_way[0]))
    return out


class _Engine:
    """Turns each transaction into the matcher's steps and keeps what was acquired and
    earned."""

    def __init__(self, matcher: Matcher, purchase_currencies: frozenset[str],
                 policy: Policy, acquisitions: bool = True) -> None:
        self.matcher = matcher
        self.keeps_acquisitions = acquisitions
        self.purchase_currencies = purchase_currencies
        self.seq = itertools.count()
        self.income: list[IncomeEvent] = []
        self.acquisitions: list[Lot] = []
        self.notes: list[str] = []
        # lot by lot matchers carry basis over; the UK and Canadian pools take a trade
        self.carrier = matcher if isinstance(matcher, LotMatcher) else None
        self.policy = policy
        # the kinds some protocol may carry over: others never need the table
        self.carrying = frozenset(kind for (kind, _), treatment in policy.treatments.items()
                                  if treatment is Treatment.CARRY)
        self.pooled_carry_noted = False

    def book(self) -> LotBook:
        matched = self.matcher.result()
        return LotBook(matched.open_lots, matched.disposals, tuple(self.income),
                       tuple(self.acquisitions), matched.notes + tuple(self.notes),
                       matched.allocations)

    def acquire(self, leg: LedgerEntry, quantity: Decimal, basis: Decimal | None,
                value: Decimal | None) -> None:
        lot = OpenLot(f"{leg.tx_hash}:{leg.leg_key}", next(self.seq), leg.wallet, leg.asset,
                      leg.symbol, leg.timestamp, quantity, basis, leg.tx_hash, leg.leg_key,
                      leg.kind)
        if self.keeps_acquisitions:
            self.acquisitions.append(lot.frozen())
        self.matcher.acquire(lot)
        if leg.kind is _INCOME:
            self.income.append(IncomeEvent(leg.timestamp, leg.wallet, leg.asset, leg.symbol,
                                           quantity, value, income_kind(leg.protocol),
                                           leg.tx_hash))

    def apply(self, legs: list[LedgerEntry]) -> None:
        """One transaction of one wallet: gas, then what left, then what arrived."""
        if len(legs) == 1:  # the common case: one leg, often a trade
            leg = legs[0]
            kind = leg.kind
            if kind is _TRADE:
                quantity = leg.quantity
                if leg.raw_amount < 0:  # the sign of the quantity, without a Decimal compare
                    self.matcher.dispose(leg, -quantity, leg.usd_value, _TRADE)
                else:
                    self.acquire(leg, quantity, leg.usd_value, leg.usd_value)
                return
            if kind is not _FEE and kind not in self.carrying:
                if kind not in NOT_HOLDINGS:
                    self._move(leg, leg.quantity, leg.usd_value, ZERO, ZERO)
                return
        elif len(legs) == 2 and legs[0].kind is _TRADE and legs[1].kind is _TRADE and \
                legs[0].asset != legs[1].asset and _TRADE not in self.carrying:
            # a swap without gas, as `_settle` takes it: what left disposed of at its
            # value, then what arrived acquired at its own
            for leg in legs:
                if leg.raw_amount < 0:
                    self.matcher.dispose(leg, -leg.quantity, leg.usd_value, _TRADE)
            for leg in legs:
                if leg.raw_amount > 0:
                    self.acquire(leg, leg.quantity, leg.usd_value, leg.usd_value)
            return
        fees = [leg for leg in legs if leg.kind is _FEE]
        for fee in fees:
            self.matcher.dispose(fee, -fee.quantity, fee.usd_value, _FEE)
        moves = [leg for leg in legs if leg.kind is not _FEE and leg.kind not in NOT_HOLDINGS]
        if not moves:
            return
        if any(leg.kind is _INCOME for leg in moves) and \
                any(leg.kind in EXCHANGES for leg in moves):
            # income earned in an exchange (fees collected with a position's principal)
            # is its own lot at fair value, apart from the exchange
            for leg in moves:
                if leg.kind is _INCOME:
                    self.acquire(leg, leg.quantity, leg.usd_value, leg.usd_value)
            moves = [leg for leg in moves if leg.kind is not _INCOME]
        fee_usd = sum_known(fee.usd_value for fee in fees) if fees else ZERO
        if self.carrier is not None and len(moves) > 1:
            carried = [leg for leg in moves if self._carries(leg)]
            if carried and len(carried) < len(moves):
                # two parts (a supply that also repays a loan): each settled as its own,
                # the gas with the part of the first leg
                rest = [leg for leg in moves if not self._carries(leg)]
                first_carries = self._carries(moves[0])
                self._settle(carried, fee_usd if first_carries else ZERO)
                self._settle(rest, ZERO if first_carries else fee_usd)
                return
        self._settle(moves, fee_usd)

    def _carries(self, leg: LedgerEntry) -> bool:
        return leg.kind in self.carrying and self.policy.carries(leg.kind, leg.protocol)

    def _settle(self, moves: list[LedgerEntry], fee_usd: Decimal | None) -> None:
        """What a transaction's `moves` (all of one treatment) do to the lots, the gas
        worth `fee_usd` added to a purchase's basis or taken from a sale's proceeds."""
        net = _net(moves)
        outs = [n for n in net if n[0] < 0]
        ins = [n for n in net if n[0] > 0]
        kind = moves[0].kind
        if kind in self.carrying and self.policy.carries(kind, moves[0].protocol):
            if self.carrier is not None:
                self._carry(self.carrier, outs, ins, fee_usd)
                return
            self._note_pooled_carry()
        trade = kind in EXCHANGES
        buying = kind is _INCOME or (
            trade and all(leg.asset in self.purchase_currencies for _, _, leg in outs))
        proceeds_fee = fee_usd if trade and not buying else ZERO
        basis_fee = fee_usd if buying else ZERO
        total_out = sum_known(value for _, value, _ in outs) if proceeds_fee else ZERO
        for quantity, value, leg in outs:
            self._move(leg, quantity, value, proceeds_fee, total_out)
        total_in = sum_known(value for _, value, _ in ins) if basis_fee else ZERO
        for quantity, value, leg in ins:
            self._move(leg, quantity, value, basis_fee, total_in)

    def _carry(self, carrier: LotMatcher,
               outs: list[tuple[Decimal, Decimal | None, LedgerEntry]],
               ins: list[tuple[Decimal, Decimal | None, LedgerEntry]],
               fee_usd: Decimal | None) -> None:
        """What went out becomes what came in, basis and (one for one) dates carried over,
        the gas added to the basis (scanner.treatment)."""
        if not outs:  # nothing went out in the wallet's view: a receipt at fair value
            for quantity, value, leg in ins:
                self.acquire(leg, quantity, value, value)
            return
        taken = [carrier.take(leg, -quantity) for quantity, _, leg in outs]
        if not ins:
            return  # nothing came back in the wallet's view: the lots left the books
        fees = split_usd(fee_usd or None, [quantity for quantity, _, _ in ins])
        if len(ins) == 1 and len(outs) == 1:
            (quantity, _, leg), = ins
            self._carry_one(leg, quantity, taken[0], fees[0])
            return
        parts = [part for lots in taken for part in lots]
        basis = sum_known(part.basis for part in parts)
        values = [value for _, value, _ in ins]
        if len(ins) == 1:
            shares: list[Decimal | None] = [basis]
        elif basis is None or any(value is None for value in values):
            shares = [None] * len(ins)
        else:
            shares = list(split_usd(basis, [value or ZERO for value in values]))
        for (quantity, value, leg), share, fee in zip(ins, shares, fees, strict=True):
            self._carried_lot(leg, 0, leg.timestamp, quantity, _plus(share, fee), value)

    def _carry_one(self, leg: LedgerEntry, quantity: Decimal, parts: list[OpenLot],
                   fee: Decimal | None) -> None:
        """Each lot drawn on becomes a lot of `leg.asset`, the quantities scaled so that
        they add up to `quantity` exactly, in whole base units, the gas shared by
        quantity."""
        weights = [part.quantity for part in parts]
        fees = split_usd(fee, weights) if parts else []
        shares = base_unit_shares(quantity, weights, leg.decimals)
        for n, (part, share, part_fee) in enumerate(zip(parts, shares, fees, strict=True)):
            self._carried_lot(leg, n, part.acquired, share, _plus(part.basis, part_fee),
                              None)

    def _carried_lot(self, leg: LedgerEntry, n: int, acquired: datetime, quantity: Decimal,
                     basis: Decimal | None, value: Decimal | None) -> None:
        suffix = f":{n + 1}" if n else ""
        lot = OpenLot(f"{leg.tx_hash}:{leg.leg_key}{suffix}", next(self.seq), leg.wallet,
                      leg.asset, leg.symbol, acquired, quantity, basis, leg.tx_hash,
                      leg.leg_key, leg.kind)
        if self.keeps_acquisitions:
            self.acquisitions.append(lot.frozen())
        self.matcher.acquire(lot)

    def _note_pooled_carry(self) -> None:
        if not self.pooled_carry_noted:
            self.pooled_carry_noted = True
            self.notes.append("wraps and liquidity deposits are taken as trades under these "
                              "rules: pooled cost does not carry over from one asset to "
                              "another")

    def _move(self, leg: LedgerEntry, quantity: Decimal, value: Decimal | None,
              fee: Decimal | None, total: Decimal | None) -> None:
        """One asset's net flow: `fee` is the gas to take from its proceeds (out) or add to
        its basis (in), shared by value among the legs worth `total`."""
        kind = leg.kind
        if quantity < 0:
            if kind in EXCHANGES:
                self.matcher.dispose(leg, -quantity, _share(value, fee, total, -1), kind)
            elif kind is _SELF:
                self.matcher.send_own(leg, -quantity)
            else:  # transfer_out: the lots leave the books, nothing is realized
                self.matcher.remove(leg, -quantity)
        elif kind is not _SELF or not self.matcher.receive_own(leg):
            self.acquire(leg, quantity, _share(value, fee, total, 1), value)


def _share(value: Decimal | None, fee: Decimal | None, total: Decimal | None,
           sign: int) -> Decimal | None:
    """`value` plus (sign 1) or less (sign -1) its share of `fee` by value among `total`."""
    if value is None or not fee or not total:  # unknown gas leaves the value as it is
        return value
    return value + sign * fee * value / total


def _plus(basis: Decimal | None, fee: Decimal | None) -> Decimal | None:
    return basis if basis is None or fee is None else basis + fee
