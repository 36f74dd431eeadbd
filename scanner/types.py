"""Frozen records that flow between the stages: chain -> decode -> classify -> lots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Kind(StrEnum):
    TRADE = "trade"
    INCOME = "income"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    SELF_TRANSFER = "self_transfer"
    FEE = "fee"
    SPAM = "spam"
    # kinds protocol decoders give; the treatment table says what each does to the lots
    WRAP = "wrap"  # native coin into its wrapped token (WETH9 deposit), and the like
    UNWRAP = "unwrap"
    LP_DEPOSIT = "lp_deposit"  # tokens into a liquidity pool for its LP token
    LP_WITHDRAW = "lp_withdraw"  # an LP token back into the pool's tokens
    STAKE = "stake"  # the coin into a liquid staking token (Lido: ETH for stETH)
    UNSTAKE = "unstake"
    SUPPLY = "supply"  # a token lent to a pool for its receipt token (Aave: USDC for aUSDC)
    WITHDRAW = "withdraw"  # the receipt token back into the token
    BORROW = "borrow"  # a loan received: not income
    REPAY = "repay"  # a loan paid back: not a sale
    DEBT = "debt"  # a debt token minted or burned: the loan's record, a liability, not a lot


# kinds kept in the ledger (balances reconcile with them) but out of every tax figure
NOT_HOLDINGS = frozenset({Kind.SPAM, Kind.DEBT})


# kinds where something is given for something else: valued like a trade, and taxed as one
# unless the treatment table says the basis carries over
EXCHANGES = frozenset({Kind.TRADE, Kind.WRAP, Kind.UNWRAP, Kind.LP_DEPOSIT, Kind.LP_WITHDRAW,
                       Kind.STAKE, Kind.UNSTAKE, Kind.SUPPLY, Kind.WITHDRAW})


class Term(StrEnum):
    SHORT = "short"
    LONG = "long"


# ---- chain records (chains/ produces these) -------------------------------------------


@dataclass(frozen=True)
class RawLog:
    log_index: int
    address: str  # lowercase 0x address of the emitting contract
    topics: tuple[str, ...]  # lowercase 0x-prefixed 32-byte hex
    data: str  # lowercase 0x-prefixed hex


@dataclass(frozen=True)
class InternalTransfer:
    """Native value moved by a contract inside a transaction (a trace with value)."""

    trace_address: str  # "0_2_1": the position of the call in the trace tree
    from_address: str
    to_address: str
    value: int


@dataclass(frozen=True)
class RawTx:
    chain_id: int
    tx_hash: str
    block_number: int
    tx_index: int
    timestamp: datetime
    from_address: str
    to_address: str | None
    value: int
    gas_used: int
    effective_gas_price: int
    success: bool
    logs: tuple[RawLog, ...] = ()
    internal: tuple[InternalTransfer, ...] = ()
    block_hash: str | None = None  # as the receipt gave it; not stored, checked for reorgs

    @property
    def fee_wei(self) -> int:
        return self.gas_used * self.effective_gas_price


@dataclass(frozen=True)
class TokenInfo:
    chain_id: int
    address: str
    symbol: str | None
    name: str | None
    decimals: int | None


# ---- decoded and classified records ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Movement:
    """One leg of value crossing a wallet's boundary, before it is classified."""

    chain_id: int
    tx_hash: str
    leg_key: str  # unique within (tx, wallet): "log:12", "native", "trace:0_1", "gas"
    log_index: int | None
    block_number: int
    tx_index: int
    timestamp: datetime
    wallet: str
    asset: str  # CAIP-19
    raw_amount: int  # signed, base units: negative leaves the wallet
    decimals: int
    counterparty: str | None
    is_fee: bool = False

    def __post_init__(self) -> None:
        if self.raw_amount == 0:
            raise ValueError("a movement moves something")
        if self.decimals < 0:
            raise ValueError("decimals cannot be negative")

    @property
    def quantity(self) -> Decimal:
        return Decimal(self.raw_amount).scaleb(-self.decimals)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    chain_id: int
    tx_hash: str
    leg_key: str
    log_index: int | None
    block_number: int
    tx_index: int
    timestamp: datetime
    wallet: str
    kind: Kind
    protocol: str
    asset: str
    symbol: str | None
    raw_amount: int
    decimals: int
    counterparty: str | None
    group_id: str
    usd_value: Decimal | None = None  # unsigned fair value of the leg; None = unknown
    price_source: str | None = None

    @property
    def quantity(self) -> Decimal:
        return Decimal(self.raw_amount).scaleb(-self.decimals)


@dataclass(frozen=True)
class PricePoint:
    asset: str
    timestamp: datetime
    usd: Decimal
    source: str


# ---- tax results -----------------------------------------------------------------------


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


@dataclass(frozen=True)
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
class YearEndBalance:
    as_of: datetime
    chain_id: int
    wallet: str
    asset: str
    symbol: str | None
    quantity: Decimal
    price_usd: Decimal | None
    price_source: str | None


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
