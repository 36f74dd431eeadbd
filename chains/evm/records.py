"""Raw EVM records as sources give them: transactions, receipt logs, internal transfers
and token metadata. `chains` produces them; the ledger is built from them. An EVM source
is the chain-source contract over these records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chains.source import ChainSource, Discovery


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
    # the L1 data fee a rollup's receipt shows beside the L2 gas (`l1Fee`: OP-stack chains,
    # Scroll); Arbitrum's gasUsed already holds its L1 part
    l1_fee: int = 0

    @property
    def fee_wei(self) -> int:
        """The whole fee the sender paid: gasUsed x effectiveGasPrice + the L1 data fee."""
        return self.gas_used * self.effective_gas_price + self.l1_fee


@dataclass(frozen=True)
class TokenInfo:
    chain_id: int
    address: str
    symbol: str | None
    name: str | None
    decimals: int | None


EvmDiscovery = Discovery[InternalTransfer]
EvmSource = ChainSource[RawTx, InternalTransfer, TokenInfo]
