"""Import: `taxscan import FILE --format ledger` (the installed entry point, a fresh database)
of a generated history (bench/history.py) against DuckDB reading the same CSV into a table
(`CREATE TABLE t AS SELECT * FROM read_csv(FILE)`, a fresh database), measured in one run;
the ratio at 1M legs has issue 18's target, the one at 200k legs is for information.

    python bench/bench_import.py [--legs N ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Figure, print_figures
from history import write_history

TARGET = 20.0  # issue 18: an import within 20 times DuckDB's own read of the file
TARGET_LEGS = 1_000_000
TAXSCAN = Path(sys.executable).with_name("taxscan")


def duckdb_seconds(csv_path: Path, db_path: Path) -> float:
    with duckdb.connect(str(db_path)) as db:
        start = time.perf_counter()
        db.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv_path)])
        return time.perf_counter() - start


def import_seconds(csv_path: Path, db_path: Path) -> float:
    env = {**os.environ, "TAXSCAN_DB": str(db_path)}
    start = time.perf_counter()
    done = subprocess.run([str(TAXSCAN), "import", str(csv_path), "--format", "ledger"],
                          capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"taxscan import failed: {done.stderr.strip()}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, nargs="+", default=[200_000, TARGET_LEGS])
    args = parser.parse_args()
    lines: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="taxscan-bench-import-") as folder:
        work = Path(folder)
        for legs in args.legs:
            csv_path = write_history(work / f"history-{legs}.csv", legs)
            duckdb_s = duckdb_seconds(csv_path, work / f"duckdb-{legs}.duckdb")
            taxscan_s = import_seconds(csv_path, work / f"taxscan-{legs}.duckdb")
            ratio = taxscan_s / duckdb_s
            name = f"{legs // 1000}k" if legs < TARGET_LEGS else f"{legs // TARGET_LEGS}M"
            lines.append((f"DuckDB read_csv of {name} legs", f"{duckdb_s:.1f} s", "", ""))
            lines.append((f"taxscan import of {name} legs", f"{taxscan_s:.1f} s", "", ""))
            target = legs >= TARGET_LEGS
            lines.append((f"import {name} legs / DuckDB read_csv of the same file",
                          f"{ratio:.1f}x", f"<= {TARGET:g}x" if target else "",
                          ("PASS" if ratio <= TARGET else "FAIL") if target else ""))
            for leftover in work.glob(f"*-{legs}.*"):
                leftover.unlink()
    return print_figures(lines)


if __name__ == "__main__":
    sys.exit(main())
