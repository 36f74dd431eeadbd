"""Balancer v2: swaps, joins and exits at the Vault, the one contract that holds every pool's
tokens (role `balancer-v2:vault` in chains.deployments: one address on every chain it is on).
A pool's BPT is the pool contract itself, the first 20 bytes of its poolId.

Events read from the Vault (fixed words sliced from the log's bytes; the arrays by their
offsets):

- Swap(bytes32 indexed poolId, address indexed tokenIn, address indexed tokenOut,
       uint256 amountIn, uint256 amountOut)                                 0x2170c741...207b
- PoolBalanceChanged(bytes32 indexed poolId, address indexed liquidityProvider,
       address[] tokens, int256[] deltas, uint256[] protocolFeeAmounts)     0xe5ce2490...ae78

The Vault reports the wrapped native token where the wallet may send or get the native coin:
the coin stands for it. Kinds, for every non-fee leg of the wallet:

- deposit:  a PoolBalanceChanged for the wallet (its liquidityProvider) that put tokens into
  one pool; the wallet's assets out (net) are among that pool's tokens, and what came in is
  the pool's BPT, or a token minted to the wallet for the BPT it passed on in the same
  transaction (a relayer's join and gauge deposit: the gauge's token is the receipt). The
  assets into the BPT (or its gauge), basis carried (treatment `deposit`)
- withdraw: a PoolBalanceChanged for the wallet that took tokens out of one pool; the BPT
  out, only that pool's tokens in: the BPT back into its assets, basis carried
- trade:    a Swap at the Vault; the wallet's net flows one asset out and one in, among the
  swaps' tokens in and out, at least one leg with the Vault itself

Left to other rules: joins or exits of several pools at once, a gauge deposit or withdrawal
on its own (the receipt shape reads it), swaps routed through an aggregator (its router is
the wallet's counterparty, not the Vault).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chains.addresses import asset_contract, erc20_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address, word_address
from chains.evm.records import RawLog, RawTx, TokenInfo
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.records import Kind, Movement

VAULT_ROLE = "balancer-v2:vault"
SWAP = "0x2170c741c41531aec20e7c107c24eecfdd15e69c9bb0a8dd37b1840b9e0b207b"
POOL_BALANCE_CHANGED = "0xe5ce249087ce04f05a957192435400fd97868dba0e6a4b4c049abf8af80dae78"
PROTOCOL = "balancer-v2"
_SIGN_BIT = 1 << 255


@dataclass(frozen=True)
class PoolChange:
    log_index: int
    pool: str  # the pool contract: its BPT
    provider: str
    tokens: tuple[str, ...]
    deltas: tuple[int, ...]  # signed: into the pool (a join) positive


def pool_change(log: RawLog) -> PoolChange | None:
    """A Vault's PoolBalanceChanged, or None (another event, or malformed)."""
    if len(log.topics) != 3 or log.topics[0] != POOL_BALANCE_CHANGED:
        return None
    provider = topic_address(log.topics[2])
    words = data_words(log.data)
    if provider is None or words is None or len(words) < 3:
        return None
    tokens = _array(words, words[0])
    deltas = _array(words, words[1])
    if tokens is None or deltas is None or len(tokens) != len(deltas):
        return None
    addresses = [word_address(t) for t in tokens]
    if any(a is None for a in addresses):
        return None
    return PoolChange(log.log_index, "0x" + log.topics[1][2:42], provider,
                      tuple(a for a in addresses if a is not None),
                      tuple(d - (1 << 256) if d & _SIGN_BIT else d for d in deltas))


def _array(words: Sequence[int], offset: int) -> list[int] | None:
    """The words of a dynamic array whose head is at byte `offset` of the data."""
    if offset % 32 or offset // 32 >= len(words):
        return None
    at = offset // 32
    count = words[at]
    if at + 1 + count > len(words):
        return None
    return list(words[at + 1 : at + 1 + count])


def swap_tokens(log: RawLog) -> tuple[str, str] | None:
    """(tokenIn, tokenOut) of a Vault's Swap, or None."""
    if len(log.topics) != 4 or log.topics[0] != SWAP:
        return None
    token_in, token_out = topic_address(log.topics[2]), topic_address(log.topics[3])
    return (token_in, token_out) if token_in and token_out else None


class BalancerV2Decoder:
    name = "balancer-v2"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        vaults = context.addresses(VAULT_ROLE)
        if not tx.success or not moves or not vaults:
            return None
        logs = [log for log in tx.logs if log.address in vaults]
        changes = [c for c in map(pool_change, logs) if c is not None and c.provider == wallet]
        if changes:
            return self._liquidity(wallet, moves, changes, context)
        swaps = [s for s in map(swap_tokens, logs) if s is not None]
        if swaps and any(m.counterparty in vaults for m in moves):
            return self._swap(moves, swaps, context)
        return None

    def _liquidity(self, wallet: str, moves: Sequence[Movement],
                   changes: Sequence[PoolChange], context: DecodeContext) -> Refinement | None:
        if len({c.pool for c in changes}) != 1:
            return None  # several pools at once
        deltas = [d for c in changes for d in c.deltas if d]
        if not deltas or (min(deltas) < 0 < max(deltas)):
            return None  # nothing moved, or tokens in and out at once
        joined = deltas[0] > 0
        pool = changes[0].pool
        bpt = erc20_asset(context.chain_id, pool)
        tokens = {erc20_asset(context.chain_id, t) for c in changes for t in c.tokens}
        if context.wrapped_native and context.wrapped_native in changes[0].tokens:
            tokens.add(context.native_asset)
        net = _net(moves)
        ins = {a for a, amount in net.items() if amount > 0}
        outs = {a for a, amount in net.items() if amount < 0}
        paid, got = (outs, ins) if joined else (ins, outs)
        if not paid or not got or not paid <= tokens - {bpt}:
            return None
        if joined and not all(a == bpt or _staked(moves, a, bpt) for a in got):
            return None
        if not joined and got != {bpt}:
            return None
        kind = Kind.DEPOSIT if joined else Kind.WITHDRAW
        named = _named(context.tokens, pool)
        note = (f"Balancer v2 join of pool {named}: the tokens into its BPT, basis carried"
                if joined else
                f"Balancer v2 exit of pool {named}: the BPT back into the tokens, basis "
                f"carried")
        return Refinement(decoder=self.name, kinds={m.leg_key: kind for m in moves},
                          protocol=PROTOCOL, note=note)

    def _swap(self, moves: Sequence[Movement], swaps: Sequence[tuple[str, str]],
              context: DecodeContext) -> Refinement | None:
        net = _net(moves)
        outs = [a for a, amount in net.items() if amount < 0]
        ins = [a for a, amount in net.items() if amount > 0]
        if len(outs) != 1 or len(ins) != 1:
            return None
        sold, bought = _token(outs[0], context), _token(ins[0], context)
        if sold not in {s[0] for s in swaps} or bought not in {s[1] for s in swaps}:
            return None
        return Refinement(decoder=self.name, kinds={m.leg_key: Kind.TRADE for m in moves},
                          protocol=PROTOCOL,
                          note=f"Balancer v2 Swap at the Vault: {_named(context.tokens, sold)}"
                               f" for {_named(context.tokens, bought)}")


def _net(moves: Sequence[Movement]) -> dict[str, int]:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    return {asset: amount for asset, amount in net.items() if amount}


def _staked(moves: Sequence[Movement], asset: str, bpt: str) -> bool:
    """Whether `asset` was minted to the wallet while it passed the BPT on: a gauge's (or
    another staking contract's) receipt for the BPT."""
    minted = [m for m in moves if m.asset == asset and m.raw_amount > 0]
    return bool(minted) and all(m.counterparty == ZERO_ADDRESS for m in minted) and any(
        m.asset == bpt and m.raw_amount < 0 for m in moves)


def _token(asset: str, context: DecodeContext) -> str:
    """The token the Vault names for a leg's asset: the wrapped native for the coin."""
    if asset == context.native_asset:
        return context.wrapped_native or ""
    return asset_contract(asset) or ""


def _named(tokens: Mapping[str, TokenInfo], address: str) -> str:
    info = tokens.get(address)
    return f"{info.symbol} ({address})" if info and info.symbol else address
