"""The contract every chain family's sources keep: find a wallet's transactions, fetch their
records, read tokens, block hashes and past balances; with progress, and work in parallel.

A family fills in its records: the transactions a source fetches (`Tx`), the internal
transfers discovery finds (`Internal`), the token facts it reads (`Token`). The errors a
source raises are chains.errors' SourceError kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

DEFAULT_CONCURRENCY = 4  # JSON-RPC batches (or explorer calls) in flight at once

Tx = TypeVar("Tx")
Internal = TypeVar("Internal")
Token = TypeVar("Token")
_T = TypeVar("_T")
_R = TypeVar("_R")


class Progress(Protocol):
    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass(frozen=True)
class Discovery(Generic[Internal]):
    tx_hashes: frozenset[str]
    internal: Mapping[str, tuple[Internal, ...]]
    address_index: str | None  # "trace_filter", "ots", or None when the node has neither
    notes: tuple[str, ...] = field(default=())
    complete: bool = True  # False: the source has not indexed all of the range yet
    blocks: Mapping[str, int] = field(default_factory=dict)  # tx hash -> its block, if known


class ChainSource(Protocol[Tx, Internal, Token]):
    """Where a scan gets its records: a node, an explorer, or both."""

    def chain_id(self) -> int: ...
    def head(self) -> int: ...
    def discover(self, wallet: str, from_block: int, to_block: int) -> Discovery[Internal]: ...
    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[Internal, ...]]) -> list[Tx]: ...
    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[Token]: ...
    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        """The hash of each of `blocks` on the chain as the source sees it now; blocks past
        its head are left out."""
        ...

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]] | None:
        """`wallet`'s balance of the ERC-20 `token` at the end of each block, with the
        block's time; blocks the source could not read (pruned state) are left out. None:
        this source cannot read past balances at all (an explorer without a node)."""
        ...


def in_order(work: Callable[[_T], _R], items: Sequence[_T], concurrency: int,
             done: Callable[[_T], None] | None = None) -> list[_R]:
    """`work` on each item, at most `concurrency` at a time on a thread pool (1: one after
    another, on this thread), the results in the items' order. `done` runs on this thread
    as each item is finished. The first error stops what has not started and is raised."""
    if concurrency <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(work(item))
            if done is not None:
                done(item)
        return results
    finished: dict[int, _R] = {}
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(items)))
    try:
        futures = {pool.submit(work, item): n for n, item in enumerate(items)}
        for future in as_completed(futures):
            n = futures[future]
            finished[n] = future.result()
            if done is not None:
                done(items[n])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [finished[n] for n in range(len(items))]
