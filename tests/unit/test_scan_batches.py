"""A scan commits in batches, each with its cursor; a reorg rewinds to the block it forked
from. The chain is a fake here; tests/devnet/test_reorg.py and test_crash.py use anvil."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chains.errors import SourceInconsistent, SourceUnavailable
from chains.evm.records import InternalTransfer, RawTx, TokenInfo
from chains.source import Discovery
from scanner.app import scan as scanning
from scanner.app.reorgs import anchors, fork_base
from scanner.app.scan import tx_batches
from scanner.store import Store

WALLET = "0x" + "aa" * 20
OTHER = "0x" + "bb" * 20
START = datetime(2025, 1, 1, tzinfo=UTC)


def test_batches_follow_blocks_and_never_split_one() -> None:
    blocks = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 5}
    assert tx_batches(blocks, blocks, 2) == ([(("a", "b"), 1), (("c", "d"), 3)], ("e",))
    assert tx_batches(blocks, blocks, 3) == ([(("a", "b", "c"), 2)], ("d", "e"))
    same = {"a": 7, "b": 7, "c": 7}
    assert tx_batches(same, same, 1) == ([], ("a", "b", "c"))  # one block: one commit
    assert tx_batches({"x", "a"}, {"a": 1}, 1) == ([], ("a", "x"))  # x: no block known
    assert tx_batches(set(), {}, 5) == ([], ())


def test_the_fork_base_is_the_highest_block_still_standing_below_the_first_replaced() -> None:
    recorded = {10: "h10", 14: "h14", 20: "h20"}
    assert fork_base(recorded, recorded, 12) is None
    assert fork_base(recorded, {10: "h10", 14: "x", 20: "y"}, 12) == 10
    assert fork_base(recorded, {10: "h10", 14: "h14"}, 12) == 14  # the chain got shorter
    with pytest.raises(SourceInconsistent, match="deeper than the margin"):
        fork_base(recorded, {10: "x", 14: "y", 20: "z"}, 12)
    assert anchors(100, 12) == [88, 100] and anchors(5, 12) == [0, 5]


def block_hash(block: int, fork: int = 0) -> str:
    return "0x" + format(fork, "02x") + format(block, "062x")


class Chain:
    """Mainnet-shaped: one native payment to the wallet in each of `blocks`; from block
    `fork_at` on, a fork with other hashes and other payments. `fail_fetch_at`: the fetch
    call (counted from 1) that fails, as a node that went away."""

    def __init__(self, head: int, blocks: Sequence[int]) -> None:
        self.head_block = head
        self.fork, self.fork_at = 0, head + 1
        self.payments = {b: self._tx(b) for b in blocks}
        self.fetches = 0
        self.fail_fetch_at: int | None = None
        self.discovered: list[tuple[int, int]] = []

    def _tx(self, block: int) -> RawTx:
        return RawTx(1, "0x" + format(self.fork, "02x") + format(block, "062x"), block, 0,
                     START + timedelta(minutes=block), OTHER, WALLET, 10**18 + self.fork,
                     21000, 10**9, True, block_hash=block_hash(block, self.fork))

    def reorganize(self, at: int, blocks: Sequence[int], head: int) -> None:
        self.fork, self.fork_at, self.head_block = 1, at, head
        self.payments = {b: t for b, t in self.payments.items() if b < at}
        self.payments.update({b: self._tx(b) for b in blocks})

    def chain_id(self) -> int:
        return 1

    def head(self) -> int:
        return self.head_block

    def discover(self, wallet: str, from_block: int, to_block: int) -> Discovery:
        self.discovered.append((from_block, to_block))
        found = {t.tx_hash: b for b, t in self.payments.items() if from_block <= b <= to_block}
        return Discovery(frozenset(found), {}, "test", blocks=found)

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        self.fetches += 1
        if self.fetches == self.fail_fetch_at:
            raise SourceUnavailable("node at http://node kept failing: ConnectionError")
        wanted = set(tx_hashes)
        return [t for t in self.payments.values() if t.tx_hash in wanted]

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        return []

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        return {b: block_hash(b, self.fork if b >= self.fork_at else 0)
                for b in blocks if b <= self.head_block}

    def balances_at(self, token: str, wallet: str, blocks: Iterable[int]) -> None:
        return None


def hashes(store: Store) -> list[str]:
    return sorted(t.tx_hash for t in store.raw_txs(1))


def test_a_scan_that_fails_midway_keeps_the_batches_before_and_resumes_after_them(
    tmp_path: Path,
) -> None:
    chain = Chain(100, range(10, 60, 5))  # ten payments, blocks 10..55
    with Store(tmp_path / "clean.duckdb") as store:
        scanning.scan(store, chain, [WALLET], batch_size=3)
        clean = (hashes(store), store.ledger())
        assert store.cursor(1, WALLET, "rpc") == 100
    chain.fetches, chain.fail_fetch_at = 0, 3
    with Store(tmp_path / "cut.duckdb") as store:
        with pytest.raises(SourceUnavailable):
            scanning.scan(store, chain, [WALLET], batch_size=3)
        # two batches of three committed, each with its cursor
        assert store.cursor(1, WALLET, "rpc") == 35
        assert [t.block_number for t in store.raw_txs(1)] == [10, 15, 20, 25, 30, 35]
        chain.fail_fetch_at = None
        (resumed,) = scanning.scan(store, chain, [WALLET], batch_size=3)
        assert resumed.from_block == 36 and chain.discovered[-1] == (36, 100)
        assert resumed.new_txs == 4
        assert (hashes(store), store.ledger()) == clean


def test_a_reorg_rewinds_records_ledger_and_cursor_to_the_fork(tmp_path: Path) -> None:
    chain = Chain(100, [50, 95, 98])
    with Store(tmp_path / "db.duckdb") as store:
        scanning.scan(store, chain, [WALLET])
        recorded = store.block_hashes(1)
        assert sorted(recorded) == [88, 95, 98, 100]  # the margin's bottom, txs, the head
        chain.reorganize(96, [97, 101], head=103)
        (result,) = scanning.scan(store, chain, [WALLET])
        assert result.from_block == 96
        assert [t.block_number for t in store.raw_txs(1)] == [50, 95, 97, 101]
        assert {e.block_number for e in store.ledger()} == {50, 95, 97, 101}
        assert [t.value for t in store.raw_txs(1)] == [10**18, 10**18, 10**18 + 1,
                                                      10**18 + 1]
        assert "reorganized above block 95" in " ".join(result.notes)
        assert sorted(store.block_hashes(1)) == [91, 95, 97, 101, 103]
