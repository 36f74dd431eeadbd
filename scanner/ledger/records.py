"""The ledger's records: movements decoded from raw records, and the classified legs."""

from __future__ import annotations

from dataclasses import dataclass
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
    # assets into a contract for its receipt (vault shares, an LP or gauge token minted to
    # the wallet), or into an open position with it, held as the position's own asset
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"  # a receipt (or an open position) back into its assets
    BORROW = "borrow"  # a loan received: not income
    REPAY = "repay"  # a loan paid back: not a sale
    DEBT = "debt"  # a debt token minted or burned: the loan's record, a liability, not a lot


# kinds kept in the ledger (balances reconcile with them) but out of every tax figure
NOT_HOLDINGS = frozenset({Kind.SPAM, Kind.DEBT})


# kinds where something is given for something else: valued like a trade, and taxed as one
# unless the treatment table says the basis carries over
EXCHANGES = frozenset({Kind.TRADE, Kind.WRAP, Kind.UNWRAP, Kind.LP_DEPOSIT, Kind.LP_WITHDRAW,
                       Kind.STAKE, Kind.UNSTAKE, Kind.SUPPLY, Kind.DEPOSIT, Kind.WITHDRAW})


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
    # a move between own accounts paired when the ledger is read (scanner.ledger.pairing):
    # both legs name the leg that left, so the lots find their way; never stored
    transit: str | None = None

    @property
    def quantity(self) -> Decimal:
        return Decimal(self.raw_amount).scaleb(-self.decimals)


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
