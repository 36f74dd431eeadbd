"""Incremental rebuilds (issue 18): what a command costs on a big history against a small
one, through the installed `taxscan`, each run in a fresh copy of its database.

Input: bench/history.py's generated ledger CSV, of --legs legs (1M; 100k with --quick)
and of 10k, each imported into a database once (`taxscan import`, not timed; with --work
the databases are kept there and used again, rebuilt first when older than the code's
sources). One token of each history (T7) comes without USD values, so that a price can
value its legs; the last 1% of the transactions are held back, for the import of 1% more.

Timed, wall clock, the best of --runs: `taxscan prices import` of a one-row price file (T7,
mid-history), and `taxscan import` of the transactions held back (a later file of 1% more
transactions). Printed: each time on each history (with its CPU time, its threads
together: other work on the machine stretches the clock, not the CPU time), and each time
on the big history over the same on the small one (target <= 3). Seconds come from one run
on this machine: only their ratios mean much.

    python bench/bench_incremental.py [--legs N] [--quick] [--runs R] [--work DIR]
                                      [--prices-only]
"""

from __future__ import annotations

import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import Figure, best_on_copies, big_over_small, history_parser, print_figures

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRICED = "eip155:1/erc20:0x0000000000000000000000000000000000000008"  # history's T7
PRICE_ROW = f"timestamp,asset,usd\n2022-07-01T00:00:00Z,{PRICED},1.23\n"
SMALL = 10_000
TARGET = 3.0


def _taxscan(db: Path, *args: str) -> tuple[float, float]:
    """Seconds one `taxscan` command takes on `db`, on the clock and in CPU time (its
    threads together); it must succeed."""
    env = {**os.environ, "TAXSCAN_DB": str(db)}
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    ran = subprocess.run([str(BIN / "taxscan"), *args], env=env, capture_output=True,
                         text=True, check=False)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if ran.returncode != 0:
        sys.exit(f"taxscan {' '.join(args)} failed: {ran.stderr.strip()}")
    return took, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


def _history(work: Path, legs: int) -> tuple[Path, Path]:
    """The history of `legs` legs as two ledger CSVs: the first 99% of its transactions
    (T7 without values) and the rest."""
    whole = work / f"history-{legs}.csv"
    subprocess.run([sys.executable, str(ROOT / "bench" / "history.py"), str(whole),
                    "--legs", str(legs)], check=True)
    base, extra = work / f"base-{legs}.csv", work / f"extra-{legs}.csv"
    with whole.open(newline="", encoding="utf-8") as rows:
        header = next(csv.reader(rows))
        tx = header.index("tx_hash")
        txs = list(dict.fromkeys(row[tx] for row in csv.reader(rows)))
    later = set(txs[len(txs) - len(txs) // 100:])
    asset, value, source = (header.index(n) for n in ("asset", "usd_value", "price_source"))
    with whole.open(newline="", encoding="utf-8") as rows, \
            base.open("w", newline="", encoding="utf-8") as first, \
            extra.open("w", newline="", encoding="utf-8") as rest:
        reader = csv.reader(rows)
        next(reader)
        writers = [csv.writer(out, lineterminator="\r\n") for out in (first, rest)]
        for writer in writers:
            writer.writerow(header)
        for row in reader:
            if row[asset] == PRICED:
                row[value] = row[source] = ""
            writers[row[tx] in later].writerow(row)
    whole.unlink()
    return base, extra


def _database(work: Path, legs: int) -> tuple[Path, Path]:
    """The database of the history of `legs` legs but its last 1%, and that 1% as a file."""
    db, extra = work / f"history-{legs}.duckdb", work / f"extra-{legs}.csv"
    if not db.exists() or not extra.exists():
        base, extra = _history(work, legs)
        print(f"importing {legs:,} legs...", flush=True)
        took, _ = _taxscan(db.with_suffix(".tmp"), "import", str(base), "--format", "ledger")
        db.with_suffix(".tmp").rename(db)
        print(f"  {took:.1f} s", flush=True)
    elif db.stat().st_mtime < max(p.stat().st_mtime for p in (ROOT / "scanner").rglob("*.py")):
        # kept from older code: its lots (and what an incremental rebuild keeps beside
        # them) may not be those of this code, and the first command would rebuild whole
        print(f"rebuilding the kept database of {legs:,} legs (older than the code)...",
              flush=True)
        took, _ = _taxscan(db, "rebuild")
        print(f"  {took:.1f} s", flush=True)
    return db, extra


def main() -> None:
    parser = history_parser(__doc__)
    parser.add_argument("--prices-only", action="store_true", help="the price import alone")
    args = parser.parse_args()
    big = 100_000 if args.quick else args.legs
    work = args.work or Path(tempfile.mkdtemp(prefix="taxscan-incremental-"))
    work.mkdir(parents=True, exist_ok=True)
    price = work / "price.csv"
    price.write_text(PRICE_ROW)
    figures: list[Figure] = []
    commands = [("one-row price import", ("prices", "import", str(price))),
                ("import of 1% more transactions", ("import", "{extra}", "--format", "ledger"))]
    for name, command in commands[:1] if args.prices_only else commands:
        measured = {}
        for legs in (SMALL, big):
            db, extra = _database(work, legs)
            words = [str(extra) if a == "{extra}" else a for a in command]
            measured[legs] = best_on_copies(db, args.runs,
                                            lambda copy, words=words: _taxscan(copy, *words))
        figures += big_over_small(name, measured, TARGET)
    if args.work is None:
        shutil.rmtree(work)
    print_figures(figures)


if __name__ == "__main__":
    main()
