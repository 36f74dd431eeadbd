"""Lido: staking ETH for stETH, and wrapping stETH into wstETH and back.

Scope: the chain's two contracts (roles `lido:steth` and `lido:wsteth` in chains.registry;
on Ethereum stETH 0xae7ab965...fe84 and wstETH 0x7f39c581...2ca0), and the events stETH emits
(fixed layout, sliced from the log's bytes):

- Submitted(address indexed sender, uint256 amount, address referral)       0x96a25c8c...1d1a
- TransferShares(address indexed from, address indexed to, uint256 shares)  0x9d9c9092...5dcb

(the stETH and wstETH legs themselves are the generic decoder's ERC-20 Transfers).

Kinds, for every non-fee leg of the wallet in the transaction:

- stake:  stETH emitted Submitted with sender = the wallet, and the wallet's legs are ETH out
  and stETH in, minted (from 0x0); or ETH sent straight to wstETH, whose receive() stakes it
  (Submitted with sender = wstETH) and mints wstETH to the wallet
- wrap:   stETH emitted TransferShares from the wallet to wstETH, and the wallet's legs are
  stETH out and wstETH in, minted
- unwrap: stETH emitted TransferShares from wstETH to the wallet, and the wallet's legs are
  wstETH out, burned (to 0x0), and stETH in

stETH moves shares: a transfer may land 1-2 wei short of what was asked, so amounts are never
compared, only the pattern (which assets, which ways, which contract, which events). Anything
else (a plain stETH transfer, a stake through a router, other assets moving) is left to other
rules. Withdrawals through Lido's queue (unstETH NFTs) are not read here: future work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.records import Kind, Movement

STETH_ROLE, WSTETH_ROLE = "lido:steth", "lido:wsteth"
SUBMITTED = "0x96a25c8ce0baabc1fdefd93e9ed25d8e092a3332f3aa9a41722b5697231d1d1a"
TRANSFER_SHARES = "0x9d9c909296d9c674451c0c24f02cb64981eb3b727f99865939192f880a755dcb"
PROTOCOL = "lido"

# topic0 -> (topics including topic0, data words) of a well-formed log
_SHAPES = {SUBMITTED: (2, 2), TRANSFER_SHARES: (3, 1)}


@dataclass(frozen=True)
class LidoEvent:
    log_index: int
    topic: str  # SUBMITTED or TRANSFER_SHARES
    parties: tuple[str, ...]  # Submitted: sender; TransferShares: from, to
    amount: int  # Submitted: the ETH staked; TransferShares: the shares moved


def lido_event(log: RawLog, steth: str) -> LidoEvent | None:
    """A Submitted or TransferShares of stETH (at `steth`), or None (another contract, event,
    or malformed)."""
    if log.address != steth or not log.topics or log.topics[0] not in _SHAPES:
        return None
    topic_count, word_count = _SHAPES[log.topics[0]]
    if len(log.topics) != topic_count:
        return None
    parties = [topic_address(t) for t in log.topics[1:]]
    words = data_words(log.data)
    if words is None or len(words) != word_count:
        return None
    addresses = tuple(p for p in parties if p is not None)
    if len(addresses) != len(parties):
        return None
    return LidoEvent(log.log_index, log.topics[0], addresses, words[0])


class LidoDecoder:
    name = "lido"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        steth_address = context.contracts.get(STETH_ROLE)
        wsteth_address = context.contracts.get(WSTETH_ROLE)
        if steth_address is None or wsteth_address is None or not tx.success or not moves:
            return None
        events = [e for e in (lido_event(log, steth_address) for log in tx.logs)
                  if e is not None and e.amount]
        if not events:
            return None
        native, steth, wsteth = context.native_asset, \
            erc20_asset(context.chain_id, steth_address), \
            erc20_asset(context.chain_id, wsteth_address)
        if _submitted(events, wallet) and _exchange(moves, native, steth) \
                and _minted(moves, steth):
            return _all(self.name, moves, Kind.STAKE, "Lido Submitted: ETH staked for stETH")
        if _submitted(events, wsteth_address) and _exchange(moves, native, wsteth) \
                and _minted(moves, wsteth):
            return _all(self.name, moves, Kind.STAKE,
                        "ETH sent to wstETH: staked with Lido and wrapped")
        if _shares_moved(events, wallet, wsteth_address) and _exchange(moves, steth, wsteth) \
                and _minted(moves, wsteth):
            return _all(self.name, moves, Kind.WRAP, "stETH wrapped into wstETH")
        if _shares_moved(events, wsteth_address, wallet) and _exchange(moves, wsteth, steth) \
                and _burned(moves, wsteth):
            return _all(self.name, moves, Kind.UNWRAP, "wstETH unwrapped into stETH")
        return None


def _all(decoder: str, moves: Sequence[Movement], kind: Kind, note: str) -> Refinement:
    return Refinement(decoder=decoder, kinds={m.leg_key: kind for m in moves},
                      protocol=PROTOCOL, note=note)


def _submitted(events: Sequence[LidoEvent], sender: str) -> bool:
    return any(e.topic == SUBMITTED and e.parties == (sender,) for e in events)


def _shares_moved(events: Sequence[LidoEvent], source: str, target: str) -> bool:
    return any(e.topic == TRANSFER_SHARES and e.parties == (source, target) for e in events)


def _exchange(moves: Sequence[Movement], given: str, got: str) -> bool:
    """Whether the wallet's legs are `given` out and `got` in, and nothing else."""
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    return set(net) == {given, got} and net[given] < 0 < net[got]


def _minted(moves: Sequence[Movement], asset: str) -> bool:
    return any(m.asset == asset and m.raw_amount > 0 and m.counterparty == ZERO_ADDRESS
               for m in moves)


def _burned(moves: Sequence[Movement], asset: str) -> bool:
    return any(m.asset == asset and m.raw_amount < 0 and m.counterparty == ZERO_ADDRESS
               for m in moves)
