"""A scan that adds 1% new transactions to a chain's history (issue 18): on a big history
against the same on a small one.

Input: a generated Ethereum history of one wallet (--legs legs, 1M; 100k with --quick; and
10k), two legs a transaction on average: tokens pushed at the wallet (one leg), swaps
through pools (two trades and the fee) and sends away (the transfer and the fee), over ten
tokens. The first 99% of the transactions are stored as a scan stores them and the ledger
and lots built whole (not timed; with --work the databases are kept there and used again,
built again when older than the code's sources).

Timed, the best of --runs, each on a fresh copy of the database in a fresh Python process
(its start and imports count, as a command's do): the scan of the last 1%, with
`scanning.scan` as `taxscan scan` calls it, from a source that holds the transactions in
memory (no network: what the network costs is bench_explorer.py's; it does not grow with the
history). Printed: each time with its CPU time, and the big history's over the small one's
(target <= 3). Seconds come from one run on this machine: only their ratio means much.

    python bench/bench_scan.py [--legs N] [--quick] [--runs R] [--work DIR]
"""

from __future__ import annotations

import argparse
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from figures import best_on_copies, big_over_small, history_parser, print_figures

from chains.evm.abi import TRANSFER, topic_for, word
from chains.evm.records import EvmDiscovery, InternalTransfer, RawLog, RawTx, TokenInfo
from chains.source import Discovery

ROOT = Path(__file__).resolve().parent.parent
CHAIN = 1
WALLET = "0x" + "aa" * 20
SOURCE = "bench"
TOKENS = ["0x" + f"{0x10 + k:02x}" * 20 for k in range(10)]
POOLS = ["0x" + f"{0xc0 + k:02x}" * 20 for k in range(10)]
START = datetime(2021, 1, 1, tzinfo=UTC)
SMALL = 10_000
TARGET = 3.0


def _transfer(index: int, token: str, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, token, (TRANSFER, topic_for(source), topic_for(target)),
                  "0x" + word(amount))


def history(legs: int) -> list[RawTx]:
    """About `legs` legs: in turn a token pushed at the wallet, a swap, a send away."""
    txs = []
    for n in range(legs // 2):
        token, other = TOKENS[n % 10], TOKENS[(n // 3 + 1) % 10]
        stranger = "0x" + f"{0x5000 + n % 97:040x}"
        amount = (n % 89 + 1) * 10**17
        sender, to, logs = WALLET, token, (_transfer(0, token, WALLET, stranger, amount),)
        if n % 3 == 0:
            sender, logs = stranger, (_transfer(0, token, stranger, WALLET, 4 * amount),)
        elif n % 3 == 1:
            pool = POOLS[n % 10]
            to, logs = pool, (_transfer(0, token, WALLET, pool, amount),
                              _transfer(1, other, pool, WALLET, 2 * amount))
        txs.append(RawTx(CHAIN, "0x" + f"{n + 1:064x}", 1_000 + n, 0,
                         START + timedelta(minutes=10 * n), sender, to, 0, 50_000, 10**9,
                         True, logs, ()))
    return txs


class MemorySource:
    """A chain source that holds the new transactions (the scan's EvmSource)."""

    def __init__(self, txs: Sequence[RawTx]) -> None:
        self.txs = {tx.tx_hash: tx for tx in txs}
        self.top = max(tx.block_number for tx in txs)

    def chain_id(self) -> int:
        return CHAIN

    def head(self) -> int:
        return self.top

    def discover(self, wallet: str, from_block: int, to_block: int) -> EvmDiscovery:
        found = {h: tx.block_number for h, tx in self.txs.items()
                 if from_block <= tx.block_number <= to_block}
        return Discovery(frozenset(found), {}, None, blocks=found)

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        return [self.txs[h] for h in tx_hashes]

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        return [TokenInfo(CHAIN, t, f"T{TOKENS.index(t)}", "token", 18) for t in tokens]

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        return {n: "0x" + f"{n:064x}" for n in blocks if n <= self.top}

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]] | None:
        return None


def _database(work: Path, legs: int) -> tuple[Path, Path]:
    """The database of the history of `legs` legs but its last 1%, and that 1% pickled."""
    from scanner.app.rebuild import refresh
    from scanner.store import Store

    db, later = work / f"scan-{legs}.duckdb", work / f"scan-{legs}.later"
    sources = max(p.stat().st_mtime for p in (ROOT / "scanner").rglob("*.py"))
    if db.exists() and later.exists() and db.stat().st_mtime > sources:
        return db, later
    db.unlink(missing_ok=True)
    txs = history(legs)
    cut = len(txs) - len(txs) // 100
    print(f"storing and building {legs:,} legs ({cut:,} transactions)...", flush=True)
    start = time.perf_counter()
    with Store(db) as store:
        with store.transaction():
            store.add_wallet(CHAIN, WALLET)
            store.save_raw(WALLET, txs[:cut])
            store.save_tokens(MemorySource(txs).token_info(CHAIN, TOKENS))
            store.set_cursor(CHAIN, WALLET, SOURCE, txs[cut - 1].block_number, None)
        refresh(store)
    print(f"  {time.perf_counter() - start:.1f} s", flush=True)
    later.write_bytes(pickle.dumps(txs[cut:]))
    return db, later


def _scan(db: Path, later: Path) -> None:
    """The scan of the transactions pickled in `later` into `db` (a process of its own)."""
    from scanner.app import scan as scanning
    from scanner.store import Store

    txs = pickle.loads(later.read_bytes())
    with Store(db) as store:
        (result,) = scanning.scan(store, MemorySource(txs), [WALLET], source_name=SOURCE)
        if result.new_txs != len(txs):
            sys.exit(f"the scan stored {result.new_txs} transactions, not {len(txs)}")


def _timed(later: Path) -> Callable[[Path], tuple[float, float]]:
    """A scan of the transactions pickled in `later` into a database, in a process of its
    own: its wall and CPU seconds."""
    def run(db: Path) -> tuple[float, float]:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--scan", str(db), str(later)], check=True)
        took = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return took, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    return run


def main() -> None:
    parser = history_parser(__doc__)
    parser.add_argument("--scan", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan:
        _scan(*args.scan)
        return
    big = 100_000 if args.quick else args.legs
    work = args.work or Path(tempfile.mkdtemp(prefix="taxscan-scan-"))
    work.mkdir(parents=True, exist_ok=True)
    measured = {}
    for legs in (SMALL, big):
        db, later = _database(work, legs)
        measured[legs] = best_on_copies(db, args.runs, _timed(later))
    if args.work is None:
        shutil.rmtree(work)
    print_figures(big_over_small("scan adding 1%", measured, TARGET))


if __name__ == "__main__":
    main()
