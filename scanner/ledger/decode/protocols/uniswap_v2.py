"""Uniswap V2 pairs (and the forks that share its pair contract): liquidity and swaps.

Scope: any address that emits the UniswapV2Pair events in the transaction is a pair; its LP
token is the pair contract itself. Events read (fixed layout, sliced from the log's bytes):

- Mint(address indexed sender, uint amount0, uint amount1)                   0x4c209b5f...1c4f
- Burn(address indexed sender, uint amount0, uint amount1, address indexed to) 0xdccd412f...6496
- Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out,
       uint amount1Out, address indexed to)                                   0xd78ad95f...d822

(Sync, 0x1c411e9a...bad1, only reports reserves: it decides nothing here.)

Kinds, for every non-fee leg of the wallet in the transaction:

- lp_deposit:  a pair emitted Mint and the wallet received that pair's LP token, having sent
  something for it (the tokens or the coin it put in, any refund of the coin, the LP token)
- lp_withdraw: a pair emitted Burn and the wallet sent that pair's LP token, receiving
  something back (the LP token, the tokens or the coin it took out)
- trade:       a pair emitted Swap and the wallet's net flows are one asset out and another
  in; the kind is the generic one, the protocol names the pool for `taxscan explain`

Anything else (a Mint whose LP token went elsewhere, liquidity added and removed at once, a
swap with more than two assets moving) is left to other rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.records import Kind, Movement

MINT = "0x4c209b5fc8ad50758f13e2e1088ba56a560dff690a1c6fef26394f4c03821c4f"
BURN = "0xdccd412f0b1252819cb1fd330b93224ca42612892bb3f4f789976e6d81936496"
SWAP = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
SYNC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
PROTOCOL = "uniswap-v2"

# topic0 -> (topics including topic0, data words) of a well-formed log
_SHAPES = {MINT: (2, 2), BURN: (3, 2), SWAP: (3, 4)}


@dataclass(frozen=True)
class PairEvent:
    log_index: int
    pair: str
    topic: str  # MINT, BURN or SWAP
    amounts: tuple[int, ...]  # Mint/Burn: amount0, amount1; Swap: 0In, 1In, 0Out, 1Out
    indexed: tuple[str, ...]  # sender, and the recipient for Burn and Swap


def pair_event(log: RawLog) -> PairEvent | None:
    """A Mint, Burn or Swap of a UniswapV2Pair, or None (another event, or malformed)."""
    if not log.topics or log.topics[0] not in _SHAPES:
        return None
    topic_count, word_count = _SHAPES[log.topics[0]]
    if len(log.topics) != topic_count:
        return None
    indexed = [topic_address(t) for t in log.topics[1:]]
    words = data_words(log.data)
    if words is None or len(words) != word_count:
        return None
    addresses = tuple(a for a in indexed if a is not None)
    if len(addresses) != len(indexed):
        return None
    return PairEvent(log.log_index, log.address, log.topics[0], tuple(words), addresses)


class UniswapV2Decoder:
    name = "uniswap-v2"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        events = [e for e in map(pair_event, tx.logs) if e is not None]
        if not events:
            return None
        received = {m.asset for m in moves if m.raw_amount > 0}
        sent = {m.asset for m in moves if m.raw_amount < 0}
        minted = _pairs(events, MINT, received, context.chain_id)
        burned = _pairs(events, BURN, sent, context.chain_id)
        if minted and burned:
            return None  # a migration or the like: not one deposit or one withdrawal
        if minted and _others(moves, minted, context.chain_id, outgoing=True):
            return self._all(moves, Kind.LP_DEPOSIT,
                             f"Mint on pair {', '.join(minted)}: liquidity added")
        if burned and _others(moves, burned, context.chain_id, outgoing=False):
            return self._all(moves, Kind.LP_WITHDRAW,
                             f"Burn on pair {', '.join(burned)}: liquidity removed")
        swapped = sorted({e.pair for e in events if e.topic == SWAP})
        if swapped and _one_out_one_in(moves):
            label = "pair" if len(swapped) == 1 else "pairs"
            return self._all(moves, Kind.TRADE,
                             f"Swap on {label} {', '.join(swapped)}: one token for another")
        return None

    def _all(self, moves: Sequence[Movement], kind: Kind, note: str) -> Refinement:
        return Refinement(decoder=self.name, kinds={m.leg_key: kind for m in moves},
                          protocol=PROTOCOL, note=note)


def _pairs(events: Sequence[PairEvent], topic: str, lp_assets: set[str],
           chain_id: int) -> list[str]:
    """Pairs that emitted `topic` and whose LP token is among `lp_assets`."""
    return sorted({e.pair for e in events
                   if e.topic == topic and erc20_asset(chain_id, e.pair) in lp_assets})


def _others(moves: Sequence[Movement], pairs: Sequence[str], chain_id: int,
            outgoing: bool) -> bool:
    """Whether the wallet moved something besides the LP tokens, the way a deposit (out) or a
    withdrawal (in) does: an LP token given or got for nothing is not liquidity."""
    lp = {erc20_asset(chain_id, p) for p in pairs}
    return any(m.asset not in lp and (m.raw_amount < 0) == outgoing for m in moves)


def _one_out_one_in(moves: Sequence[Movement]) -> bool:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    outs = [a for a, amount in net.items() if amount < 0]
    ins = [a for a, amount in net.items() if amount > 0]
    return len(outs) == 1 and len(ins) == 1
