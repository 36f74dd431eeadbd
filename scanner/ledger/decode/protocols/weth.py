"""WETH9 and its clones (WBNB, WXDAI, WMATIC...): wrapping the native coin and unwrapping it.

Scope: the chain's wrapped native only (DecodeContext.wrapped_native), and two events:

- Deposit(address indexed dst, uint wad)     0xe1fffcc4...9109c
- Withdrawal(address indexed src, uint wad)  0x7fcf532c...81b65

WETH9 emits no Transfer for either, so the generic decoder sees the coin leave (or come back)
and never the wrapped token arrive (or leave). This decoder adds that missing leg, unless the
token also emitted a mint/burn Transfer for it, and marks the wallet's legs:

- wrap:   the native coin went into the wrapped token (Deposit with dst = the wallet)
- unwrap: the wrapped token went back into the native coin (Withdrawal with src = the wallet)

It claims a wallet's legs only when they are exactly that exchange: the native coin and the
wrapped token, in opposite directions and equal amounts (a refund of the coin nets out).
A router that wraps for itself (dst/src = the router) is not the wallet's wrap: other rules
read that transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.records import Kind, Movement

DEPOSIT = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"
WITHDRAWAL = "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65"
DEFAULT_DECIMALS = 18


@dataclass(frozen=True)
class WethEvent:
    log_index: int
    deposit: bool  # True: Deposit (wrap); False: Withdrawal (unwrap)
    holder: str  # dst of a Deposit, src of a Withdrawal
    wad: int


def weth_event(log: RawLog, token: str) -> WethEvent | None:
    """A Deposit or Withdrawal of `token`, or None (another contract, event, or malformed)."""
    if log.address != token or len(log.topics) != 2 or log.topics[0] not in (DEPOSIT,
                                                                           WITHDRAWAL):
        return None
    holder, words = topic_address(log.topics[1]), data_words(log.data)
    if holder is None or words is None or len(words) != 1:
        return None
    return WethEvent(log.log_index, log.topics[0] == DEPOSIT, holder, words[0])


class WethDecoder:
    name = "weth"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        token = context.wrapped_native
        if token is None or not tx.success:
            return None
        events = [e for e in (weth_event(log, token) for log in tx.logs)
                  if e is not None and e.holder == wallet and e.wad]
        if not events or len({e.deposit for e in events}) != 1:
            return None  # not the wallet's, or a wrap and an unwrap at once: not one exchange
        asset = erc20_asset(context.chain_id, token)
        extra = _missing_legs(tx, wallet, moves, events, asset, context)
        legs = [*moves, *extra]
        if not _is_exactly_the_exchange(legs, context.native_asset, asset, events[0].deposit):
            return None
        wrap = events[0].deposit
        kind = Kind.WRAP if wrap else Kind.UNWRAP
        symbol = _symbol(context, token)
        note = (f"WETH9 Deposit: native coin wrapped into {symbol}" if wrap
                else f"WETH9 Withdrawal: {symbol} unwrapped into the native coin")
        return Refinement(decoder=self.name, kinds={leg.leg_key: kind for leg in legs},
                          protocol="weth", extra=tuple(extra), note=note)


def _missing_legs(tx: RawTx, wallet: str, moves: Sequence[Movement],
                  events: Sequence[WethEvent], asset: str,
                  context: DecodeContext) -> list[Movement]:
    """A leg per event, unless the token also emitted the mint/burn Transfer for it."""
    token = context.wrapped_native or ""
    emitted = [m for m in moves if m.asset == asset and m.counterparty in (ZERO_ADDRESS, token)]
    info = context.tokens.get(token)
    decimals = info.decimals if info and info.decimals is not None else DEFAULT_DECIMALS
    extra = []
    for event in events:
        amount = event.wad if event.deposit else -event.wad
        twin = next((m for m in emitted if m.raw_amount == amount), None)
        if twin is not None:
            emitted.remove(twin)
            continue
        extra.append(event_leg(tx, wallet, event.log_index, asset, amount, decimals, token))
    return extra


def _is_exactly_the_exchange(legs: Sequence[Movement], native: str, wrapped: str,
                             wrap: bool) -> bool:
    net: dict[str, int] = defaultdict(int)
    for leg in legs:
        net[leg.asset] += leg.raw_amount
    if not set(net) <= {native, wrapped}:
        return False
    wrapped_net = net[wrapped]
    return (wrapped_net > 0 if wrap else wrapped_net < 0) and net[native] == -wrapped_net


def _symbol(context: DecodeContext, token: str) -> str:
    info = context.tokens.get(token)
    return info.symbol if info and info.symbol else "WETH"
