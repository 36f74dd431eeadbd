"""Uniswap V2 pool state at a past block, read with eth_call at that block height."""

from __future__ import annotations

from dataclasses import dataclass

from chains.evm.abi import (
    SEL_DECIMALS,
    SEL_GET_PAIR,
    SEL_GET_RESERVES,
    SEL_TOKEN0,
    ZERO_ADDRESS,
    word,
)
from chains.evm.rpc import RpcCallError, RpcClient


@dataclass(frozen=True)
class PoolState:
    pair: str
    block: int
    reserves: dict[str, int]  # token address -> reserve in base units


class UniswapV2Reader:
    def __init__(self, client: RpcClient, factory: str) -> None:
        self.client = client
        self.factory = factory
        self._pairs: dict[tuple[str, str], str | None] = {}
        self._decimals: dict[str, int | None] = {}

    def decimals(self, token: str) -> int | None:
        if token not in self._decimals:
            try:
                answer = self.client.call("eth_call", [{"to": token, "data": SEL_DECIMALS},
                                                       "latest"])
                value = int(answer, 16) if isinstance(answer, str) and len(answer) > 2 else None
            except (RpcCallError, ValueError):
                value = None
            self._decimals[token] = value if value is not None and value <= 77 else None
        return self._decimals[token]

    def pair(self, a: str, b: str) -> str | None:
        """The pair of two tokens, or None; pairs never move, so the answer is kept."""
        key = (min(a, b), max(a, b))
        if key not in self._pairs:
            data = SEL_GET_PAIR + word(a) + word(b)
            answer = self.client.call("eth_call", [{"to": self.factory, "data": data},
                                                   "latest"])
            found = "0x" + str(answer)[-40:] if isinstance(answer, str) and len(answer) >= 42 \
                else ZERO_ADDRESS
            self._pairs[key] = None if found == ZERO_ADDRESS else found.lower()
        return self._pairs[key]

    def state(self, pair: str, a: str, b: str, block: int) -> PoolState | None:
        """Reserves of tokens a and b at the end of `block`; None before the pair existed."""
        tag = hex(block)
        token0, reserves = self.client.batch_lenient([
            ("eth_call", [{"to": pair, "data": SEL_TOKEN0}, tag]),
            ("eth_call", [{"to": pair, "data": SEL_GET_RESERVES}, tag]),
        ])
        if isinstance(token0, RpcCallError) or isinstance(reserves, RpcCallError):
            return None
        if not isinstance(token0, str) or not isinstance(reserves, str) or len(reserves) < 130:
            return None  # no code at that block yet: an empty answer
        body = reserves.removeprefix("0x")
        reserve0, reserve1 = int(body[:64], 16), int(body[64:128], 16)
        first, second = (a, b) if "0x" + token0[-40:].lower() == a.lower() else (b, a)
        return PoolState(pair, block, {first.lower(): reserve0, second.lower(): reserve1})
