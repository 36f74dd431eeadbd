"""The contract between the lot engine and a jurisdiction's matching rules.

The engine (scanner.lots) turns each transaction into primitive steps: a lot acquired, a
quantity disposed for proceeds, lots sent to or received from an own wallet, a quantity
that left the books without a gain (a transfer out). A `Matcher` decides which
acquisitions each disposal is matched with: lots by a method's sort key (US, Germany), or
pools at average cost with the UK's and Canada's rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import usd
from scanner.tax.records import Allocation, Disposal, Lot

ZERO = Decimal(0)
_new_lot = fast_constructor(Lot)  # a lot open at the end of a million-leg ledger


@dataclass(slots=True)
class OpenLot:
    """A lot while the engine runs: its quantity and basis shrink as disposals draw on it."""

    lot_id: str
    seq: int  # order of arrival: breaks ties between lots acquired at the same moment
    wallet: str
    asset: str
    symbol: str | None
    acquired: datetime
    quantity: Decimal
    basis: Decimal | None  # None: unknown, never zero by default
    origin_tx: str
    origin_leg: str
    origin_kind: Kind

    def draw(self, quantity: Decimal) -> Decimal | None:
        """Remove `quantity` (at most what is left) and return its basis, pro rata."""
        basis = self.basis
        if quantity >= self.quantity:
            self.quantity = ZERO
            if basis is not None:
                self.basis = ZERO
            return basis
        taken = None if basis is None else usd(basis * quantity / self.quantity)
        self.quantity -= quantity
        if basis is not None and taken is not None:
            self.basis = basis - taken
        return taken

    def part(self, quantity: Decimal, basis: Decimal | None) -> OpenLot:
        """A lot of its own for `quantity` drawn from this one, with its lineage."""
        return OpenLot(self.lot_id, self.seq, self.wallet, self.asset, self.symbol,
                       self.acquired, quantity, basis, self.origin_tx, self.origin_leg,
                       self.origin_kind)

    def take(self, quantity: Decimal) -> tuple[Decimal | None, OpenLot]:
        """Remove `quantity`; return its basis and the taken part as a lot of its own."""
        basis = self.draw(quantity)
        return basis, self.part(quantity, basis)

    def frozen(self) -> Lot:
        return _new_lot(self.lot_id, self.wallet, self.asset, self.symbol, self.acquired,
                   self.quantity, self.basis, self.origin_tx, self.origin_leg,
                   self.origin_kind)


@dataclass(frozen=True)
class Matched:
    """A matcher's answer: what is still held, every disposal with its basis, and notes
    for the reader (an allocation made by rule, a lot that was not open...)."""

    open_lots: tuple[Lot, ...]
    disposals: tuple[Disposal, ...]
    notes: tuple[str, ...] = field(default=())
    allocations: tuple[Allocation, ...] = field(default=())  # lots given to wallets at a switch


def transit_of(leg: LedgerEntry) -> tuple[str, str]:
    """What ties the two legs of a self transfer: the pairing's `transit` (it may join two
    transactions, or two chains), else the transaction and the asset."""
    return (leg.transit, "") if leg.transit is not None else (leg.tx_hash, leg.asset)


class Matcher(Protocol):
    """Called by the engine in time order; `result` is called once, at the end."""

    def start_year(self, year: int) -> None:
        """The next step falls in `year` (called once per year, before its first step)."""

    def acquire(self, lot: OpenLot) -> None:
        """A new lot: bought, received as income, or received from outside."""

    def dispose(self, leg: LedgerEntry, quantity: Decimal, proceeds: Decimal | None,
                kind: Kind) -> None:
        """`quantity` of `leg.asset` left `leg.wallet` for `proceeds` (None: unknown)."""

    def remove(self, leg: LedgerEntry, quantity: Decimal) -> None:
        """`quantity` left the books without a gain or loss (a transfer out)."""

    def send_own(self, leg: LedgerEntry, quantity: Decimal) -> None:
        """`quantity` left for another own wallet (`transit_of(leg)` says which move)."""

    def receive_own(self, leg: LedgerEntry) -> bool:
        """What `send_own` sent in the same move arrives at `leg.wallet`, as `leg.asset`
        (the same coin on another chain); False when nothing was sent (the engine then
        books the arrival as a new lot)."""

    def result(self) -> Matched: ...
