"""The lot engine's records: lots, disposals, income and what a report derives from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from scanner.ledger.records import Kind


class Term(StrEnum):
    SHORT = "short"
    LONG = "long"


@dataclass(frozen=True, slots=True)
class Lot:
    lot_id: str
    wallet: str
    asset: str
    symbol: str | None
    acquired: datetime
    quantity: Decimal  # remaining
    cost_basis_usd: Decimal | None  # remaining basis; None = unknown
    origin_tx: str
    origin_leg: str
    origin_kind: Kind

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise ValueError(f"lot {self.lot_id} has negative quantity")


# the rule of a disposal that no lot or pool covered: its basis is unknown
NO_LOT = "no lot"
# the rule of a sale of what was held over a year where that is tax-free (Germany)
TAX_FREE_AFTER_A_YEAR = "tax-free-after-1y"

# UK rules that match a disposal with an acquisition later that day or in the 30 days after
MATCHED_LATER = frozenset({"same-day", "bed-and-breakfast"})


@dataclass(frozen=True, slots=True)
class Disposal:
    wallet: str
    asset: str
    symbol: str | None
    quantity: Decimal
    acquired: datetime | None  # None when no lot covered it
    disposed: datetime
    proceeds_usd: Decimal | None
    cost_basis_usd: Decimal | None
    term: Term | None
    tx_hash: str
    lot_id: str | None  # a lot id, a pool ("pool:<asset>"), or None when nothing covered it
    kind: Kind
    rule: str = ""  # how the basis was matched: "fifo", "same-day", "section-104", "acb"...
    disallowed_loss_usd: Decimal = Decimal(0)  # a loss the rules deny (Canada's superficial loss)

    def __post_init__(self) -> None:
        if self.disallowed_loss_usd < 0:
            raise ValueError("a disallowed loss is a positive amount")
        if self.quantity <= 0:
            raise ValueError("a disposal disposes a positive quantity")
        if self.acquired is not None and self.acquired > self.disposed \
                and self.rule not in MATCHED_LATER:
            raise ValueError(f"lot {self.lot_id} used before it was acquired")

    @property
    def gain_usd(self) -> Decimal | None:
        """The gain as it counts: proceeds less basis, plus any loss the rules deny."""
        if self.proceeds_usd is None or self.cost_basis_usd is None:
            return None
        return self.proceeds_usd - self.cost_basis_usd + self.disallowed_loss_usd


@dataclass(frozen=True, slots=True)
class IncomeEvent:
    timestamp: datetime
    wallet: str
    asset: str
    symbol: str | None
    quantity: Decimal
    usd_value: Decimal | None
    kind: str
    tx_hash: str


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a universal lot given to a wallet when lots became per-wallet."""

    as_of: datetime
    wallet: str
    asset: str
    symbol: str | None
    lot_id: str
    acquired: datetime
    quantity: Decimal
    cost_basis_usd: Decimal | None
    how: str  # "recorded": as the user recorded it; "rule": by the allocation rule


@dataclass(frozen=True)
class LotBook:
    """The engine's result: what is still held, what was disposed, what was earned."""

    open_lots: tuple[Lot, ...]
    disposals: tuple[Disposal, ...]
    income: tuple[IncomeEvent, ...]
    acquisitions: tuple[Lot, ...] = field(default=())  # every lot as first acquired
    notes: tuple[str, ...] = field(default=())  # what the reader should know about them
    allocations: tuple[Allocation, ...] = field(default=())  # universal lots given to wallets


@dataclass(frozen=True)
class MissingPrice:
    """An asset some figures cannot be computed for, and how much of it that touches."""

    asset: str
    symbol: str | None
    legs: int  # ledger legs without a USD value
    first: datetime
    last: datetime
    disposed_unknown_proceeds: Decimal  # quantity sold whose proceeds are unknown
    disposed_unknown_basis: Decimal  # quantity sold whose basis is unknown
    held_unknown_basis: Decimal  # quantity still held whose basis is unknown
    income_unknown: Decimal  # quantity received as income of unknown value


@dataclass(frozen=True)
class TraceStep:
    """One link of lineage: a lot's acquisition leg, a disposal drawing on it, or what is
    still open."""

    step: str  # "acquired", "disposed", "open"
    lot_id: str | None
    timestamp: datetime
    wallet: str
    asset: str
    symbol: str | None
    quantity: Decimal
    usd: Decimal | None  # basis at acquisition, proceeds at disposal, basis still open
    gain_usd: Decimal | None
    tx_hash: str
    detail: str  # the leg and its kind and price source, or the disposal's term
