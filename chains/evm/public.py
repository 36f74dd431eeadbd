"""A chain's public RPC beside an explorer: receipts in JSON-RPC batches while it answers,
read ahead while the explorer's lists are paged.

Public endpoints limit batches, rates and history as they see fit. The first failure (an
HTTP error, a refused batch, a rate limit past a short retry, an answer that cannot be
right, another chain) lets it go for the rest of the scan: the explorer answers instead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from chains.errors import SourceError
from chains.evm.node import RpcSource
from chains.evm.records import RawTx
from chains.source import NoProgress, Progress

_T = TypeVar("_T")
PUBLIC_ATTEMPTS = 2  # tries of a request before the public RPC is let go
PUBLIC_MAX_WAIT_S = 2.0  # the longest wait between them, whatever Retry-After asks


class PublicRpc:
    def __init__(self, node: RpcSource, chain_id: int,
                 progress: Progress | None = None) -> None:
        self.node: RpcSource | None = node
        self.chain_id = chain_id
        self.progress: Progress = progress or NoProgress()
        self.refused: str | None = None  # why it was let go, if it was
        self._checked = False

    @property
    def usable(self) -> bool:
        """Whether it still answers, once it has said it serves `chain_id`."""
        if self.node is not None and not self._checked:
            self._checked = True
            said = self.ask(lambda node: node.chain_id())
            if said is not None and said != self.chain_id:
                self._let_go(f"it serves chain {said}")
        return self.node is not None

    def ask(self, work: Callable[[RpcSource], _T]) -> _T | None:
        """`work` on the node; None, and None from then on, when it fails."""
        if self.node is None:
            return None
        try:
            return work(self.node)
        except SourceError as exc:
            self._let_go(" ".join(str(exc).split())[:200])
            return None

    def _let_go(self, reason: str) -> None:
        self.node = None
        self.refused = reason
        self.progress.start(f"the public RPC failed ({reason}): the explorer answers "
                            "instead", None)


PREFETCH_CHUNK = 1_000  # transactions a background read asks the node for at once
PREFETCH_MAX = 20_000  # transactions read ahead per wallet at most: their records wait in memory


class Prefetch:
    """Records read from a node in the background while the explorer's lists are paged:
    the explorer's rate limit leaves the node idle otherwise. Best effort: what it could
    not read is fetched again in the ordinary way, which reports the failure. Its thread
    is a daemon and ends when nothing is left to read: a scan that stops does not wait."""

    def __init__(self, read: Callable[[list[str]], list[RawTx]]) -> None:
        self._read = read
        self._chunks: queue.Queue[list[str]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._asked: set[str] = set()
        self._ready: dict[str, RawTx] = {}

    def add(self, tx_hashes: Iterable[str]) -> None:
        with self._lock:
            new = sorted(set(tx_hashes) - self._asked)[:PREFETCH_MAX - len(self._asked)]
            self._asked.update(new)
            for start in range(0, len(new), PREFETCH_CHUNK):
                self._chunks.put(new[start:start + PREFETCH_CHUNK])
            if new and self._thread is None:
                self._thread = threading.Thread(target=self._work, name="prefetch",
                                                daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._chunks.empty():
                    self._thread = None
                    return
                chunk = self._chunks.get_nowait()
            try:
                found = self._read(chunk)
            except Exception:  # the ordinary fetch meets it again and says so
                found = []
            with self._lock:
                self._ready.update({tx.tx_hash: tx for tx in found})
            self._chunks.task_done()

    def take(self, tx_hash: str) -> RawTx | None:
        """The record read ahead for `tx_hash` (once), after the reads under way end."""
        self._chunks.join()
        with self._lock:
            return self._ready.pop(tx_hash, None)
