"""Balances at a block: native, ERC-20, ERC-721 ownership, ERC-1155, in JSON-RPC batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains.evm.abi import (
    SEL_BALANCE_OF,
    SEL_BALANCE_OF_1155,
    SEL_OWNER_OF,
    SEL_POSITIONS,
    TRANSFER,
    topic_for,
    word,
)
from chains.evm.rpc import RpcCallError, RpcClient

POSITION = "uniswap-v3-position"  # a position held in liquidity units, as taxscan keeps it


@dataclass(frozen=True)
class BalanceQuery:
    wallet: str
    standard: str  # "native", "erc20", "erc721", "erc1155", "uniswap-v3-position"
    token: str | None = None
    token_id: int | None = None


def balance_call(query: BalanceQuery, tag: str) -> tuple[str, list[object]]:
    """The JSON-RPC call that reads `query` at the block `tag`."""
    if query.standard == "native":
        return "eth_getBalance", [query.wallet, tag]
    if query.standard == "erc20":
        data = SEL_BALANCE_OF + word(query.wallet)
    elif query.standard == "erc721":
        data = SEL_OWNER_OF + word(query.token_id or 0)
    elif query.standard == POSITION:
        data = SEL_POSITIONS + word(query.token_id or 0)
    else:
        data = SEL_BALANCE_OF_1155 + word(query.wallet) + word(query.token_id or 0)
    return "eth_call", [{"to": query.token, "data": data}, tag]


def _value(query: BalanceQuery, answer: object) -> int | None:
    if isinstance(answer, RpcCallError) or not isinstance(answer, str) or len(answer) < 3:
        # a token that no longer exists: ownerOf and positions revert
        burnable = query.standard in ("erc721", POSITION)
        return 0 if burnable and isinstance(answer, RpcCallError) else None
    if query.standard == POSITION:  # the liquidity: word 7 of 12
        body = answer.removeprefix("0x")
        return int(body[7 * 64: 8 * 64], 16) if len(body) == 12 * 64 else None
    number = int(answer, 16)
    if query.standard == "erc721":  # ownerOf: 1 if the wallet owns it
        return 1 if format(number, "040x")[-40:] == query.wallet.lower()[2:] else 0
    return number


class BalanceReader:
    def __init__(self, client: RpcClient) -> None:
        self.client = client

    def transfer_events(self, token: str, wallet: str, block: int) -> int:
        """How many Transfer events of `token` to or from `wallet` are in `block`."""
        me = topic_for(wallet)
        window = {"fromBlock": hex(block), "toBlock": hex(block), "address": token}
        found = self.client.batch([("eth_getLogs", [{**window, "topics": [TRANSFER, me]}]),
                                   ("eth_getLogs", [{**window, "topics": [TRANSFER, None, me]}])])
        return sum(len(logs) for logs in found if isinstance(logs, list))

    def at(self, queries: Sequence[BalanceQuery], block: int) -> list[int | None]:
        """Each balance at the end of `block`; None where the node could not tell."""
        tag = hex(block)
        answers = self.client.batch_lenient([balance_call(q, tag) for q in queries])
        return [_value(q, a) for q, a in zip(queries, answers, strict=True)]
