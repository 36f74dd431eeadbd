"""Discovery through a node and an explorer at once: the union of what each sees."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from chains.evm.explorer import ExplorerSource
from chains.evm.node import RpcSource
from chains.evm.records import EvmDiscovery, InternalTransfer, RawTx, TokenInfo
from chains.source import Discovery


class BothSource:
    def __init__(self, rpc: RpcSource, explorer: ExplorerSource) -> None:
        self.rpc = rpc
        self.explorer = explorer

    def chain_id(self) -> int:
        return self.explorer.chain_id()  # checks that the node serves the explorer's chain

    def head(self) -> int:
        return self.rpc.head()

    def discover(self, wallet: str, from_block: int, to_block: int) -> EvmDiscovery:
        by_node = self.rpc.discover(wallet, from_block, to_block)
        by_explorer = self.explorer.discover(wallet, from_block, to_block)
        internal = dict(by_explorer.internal)
        if by_node.address_index is not None:
            internal.update(by_node.internal)  # the node's traces are the first-hand record
        index = f"{by_node.address_index or 'none'}+explorer"
        # the explorer sees what a node without an address index cannot: its note no longer holds
        notes = by_explorer.notes + (by_node.notes if by_node.address_index else ())
        return Discovery(by_node.tx_hashes | by_explorer.tx_hashes, internal, index, notes,
                         by_node.complete and by_explorer.complete,
                         {**by_explorer.blocks, **by_node.blocks})

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        if self.explorer.rpc is not None:  # it read ahead from the node while it paged
            return self.explorer.fetch(chain_id, tx_hashes, internal)
        return self.rpc.fetch(chain_id, tx_hashes, internal, self.explorer.receipt)

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        return self.explorer.token_info(chain_id, tokens)

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        return self.rpc.block_hashes(blocks)

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]]:
        return self.rpc.balances_at(token, wallet, blocks)
