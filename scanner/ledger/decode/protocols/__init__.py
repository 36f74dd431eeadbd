"""Protocol decoders: they refine what the generic decoder (scanner.decode.transfers) and the
generic net-flow rules (scanner.classify) make of one wallet's legs in one transaction.

A decoder is scoped by contract address and event topic. It looks at a transaction and the
wallet's generic movements in it, and either passes (None) or returns a Refinement: the
kind and protocol of each of those legs (by leg_key), and any legs the generic decoder
cannot see because no Transfer event carries them (WETH9's Deposit mints WETH without one).
Gas legs are never refined: they stay fees.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chains.addresses import asset_contract
from chains.deployments import addresses_of
from chains.evm.records import RawTx, TokenInfo
from scanner.ledger.decode.executors import executors
from scanner.ledger.records import Kind, Movement


@dataclass(frozen=True)
class DecodeContext:
    """What a decoder may know of the chain besides the transaction."""

    chain_id: int
    native_asset: str
    wrapped_native: str | None  # lowercase address of the chain's WETH9-like token
    own_wallets: frozenset[str]
    tokens: Mapping[str, TokenInfo]  # lowercase token address -> what the chain said of it
    # the chain's known protocol contracts: role ("uniswap-v3:positions"...) -> address
    contracts: Mapping[str, str] = field(default_factory=dict)
    _roles: dict[str, frozenset[str]] = field(default_factory=dict, init=False, compare=False,
                                              repr=False)

    def addresses(self, role: str) -> frozenset[str]:
        """Every address of `role` among the contracts (`addresses_of`), found once."""
        found = self._roles.get(role)
        if found is None:
            found = self._roles[role] = addresses_of(self.contracts, role)
        return found


@dataclass(frozen=True)
class Refinement:
    """A decoder's reading of one wallet's legs in one transaction."""

    decoder: str  # the decoder's name, shown by `taxscan explain`
    kinds: Mapping[str, Kind]  # leg_key -> kind, for every non-fee leg of the wallet
    protocol: str  # the ledger's protocol for those legs ("weth", "uniswap-v2"...)
    extra: tuple[Movement, ...] = field(default=())  # legs no Transfer event carries
    # generic legs (by leg_key) the decoder replaces with its own extra legs: a position
    # NFT's mint stands for liquidity units; a collected amount is principal and fees
    drop: frozenset[str] = field(default=frozenset())
    note: str = ""  # why, in a few words, for `taxscan explain`
    # asset -> symbol, for an asset of the decoder's own that no token names (a receipt)
    symbols: Mapping[str, str] = field(default_factory=dict)


def receipt_symbol(contract: str, deposited: str, context: DecodeContext, suffix: str,
                   default: str) -> str:
    """A receipt's symbol: the contract's own, else the deposited token's with `-<suffix>`
    (`DAI-farm`, `3Crv-gauge`), else `default`."""
    own = context.tokens.get(contract)
    if own and own.symbol:
        return own.symbol
    info = context.tokens.get(asset_contract(deposited) or "")
    return f"{info.symbol}-{suffix}" if info and info.symbol else default


def event_leg(tx: RawTx, wallet: str, log_index: int, asset: str, amount: int, decimals: int,
              counterparty: str | None, key: str | None = None) -> Movement:
    """A leg a decoder reads from an event of `tx` (at `log_index`): keyed `log:<index>`
    unless `key` says otherwise."""
    return Movement(
        chain_id=tx.chain_id, tx_hash=tx.tx_hash, leg_key=key or f"log:{log_index}",
        log_index=log_index, block_number=tx.block_number, tx_index=tx.tx_index,
        timestamp=tx.timestamp, wallet=wallet, asset=asset, raw_amount=amount,
        decimals=decimals, counterparty=counterparty)


class ProtocolDecoder(Protocol):
    name: str

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        """The refinement of `wallet`'s legs `moves` (gas excluded) in `tx`, or None when
        the transaction is not this decoder's."""


def refine_all(tx: RawTx, moves: Collection[Movement], context: DecodeContext,
               decoders: Sequence[ProtocolDecoder]) -> dict[str, Refinement]:
    """wallet -> the first decoder's refinement of its legs in `tx`, for every own wallet
    that moved something (or that a decoder finds legs for) in it."""
    by_wallet: dict[str, list[Movement]] = {w: [] for w in _touched(tx, context.own_wallets)}
    for move in moves:
        if not move.is_fee:
            by_wallet.setdefault(move.wallet, []).append(move)
    out: dict[str, Refinement] = {}
    for wallet, legs in by_wallet.items():
        for decoder in decoders:
            found = decoder.refine(tx, wallet, legs, context)
            if found is not None:
                out[wallet] = found
                break
    return out


def _touched(tx: RawTx, wallets: frozenset[str]) -> list[str]:
    """Own wallets whose transaction it is (the sender, a contract wallet that executed it)
    or that appear in a topic of one of its logs: a decoder may find legs for them even
    when no generic movement exists."""
    found = sorted(executors(tx) & wallets)
    for log in tx.logs:
        for topic in log.topics[1:]:
            candidate = "0x" + topic[-40:]
            if candidate in wallets and candidate not in found:
                found.append(candidate)
    return found
