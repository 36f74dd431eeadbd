"""Reports on a big history: every report command of the installed `taxscan` against the
lot engine's own time on the same legs, the gains table against the same gains as CSV, and
the size of the HTML report of a year.

Input: bench/history.py's generated ledger CSV of --legs legs (1,000,000; many assets and
wallets), imported with `taxscan import --format ledger` into a fresh database (not timed;
--db reuses a database so made, --keep keeps the one made here).

Each command runs once as a subprocess, stdout to a file (so a table is drawn at 80
columns, one block per row where it is too wide), and is timed whole: start-up, reading the
ledger, converting it, the lots, the report. The engine's time is `compute_lots` alone,
measured in this process on the legs the commands read (the read model's, paired and
valued in the reporting currency), once. Both are measured in CPU seconds (the command's:
its process and DuckDB's threads), the ratios judged on them: on a shared 2-core machine
other work can stretch a wall-clock figure by half while CPU time stays put; the wall-clock
seconds are printed beside them. One run on this machine: only the ratios mean much.

    python bench/bench_reports.py [--legs N] [--year Y] [--db PATH] [--keep PATH]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Figure, print_figures
from history import write_history

from scanner.app.readmodel import compute_book, load
from scanner.store import Store

TAXSCAN = Path(sys.executable).with_name("taxscan")
TABLE_OVER_CSV = 1.5  # issue 18: `gains --year Y` as a table within 1.5 times the CSV
OVER_ENGINE = 3.0  # every report command within 3 times the lot engine's own time
HTML_BYTES = 5_000_000  # the HTML report of a year at most 5 MB


def commands(year: int, out: Path) -> dict[str, list[str]]:
    """The report commands as a user runs them, by name."""
    return {
        "gains (table)": ["gains", "--year", str(year)],
        "gains (csv)": ["gains", "--year", str(year), "--format", "csv"],
        "income": ["income", "--year", str(year)],
        "ledger": ["ledger", "--year", str(year)],
        "balances": ["balances", "--year", str(year)],
        "harvest": ["harvest", "--as-of", f"{year}-12-31"],
        "lots": ["lots"],
        "plan": ["plan", "--as-of", f"{year}-12-01", "--short-rate", "0.37",
                 "--long-rate", "0.2"],
        "export form8949": ["export", "--format", "form8949", "--year", str(year),
                            "--out", str(out / "form8949.csv")],
        "export ledger": ["export", "--format", "ledger", "--year", str(year),
                          "--out", str(out / "ledger.csv")],
        "export ledger, every year": ["export", "--format", "ledger",
                                      "--out", str(out / "ledger-all.csv")],
        "report": ["report", "--year", str(year), "--out", str(out / "report.html")],
    }


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(args: list[str], db: Path, out: Path, limit: float) -> tuple[float, float] | None:
    """The command's CPU and wall-clock seconds; None when it is still running after `limit`
    seconds."""
    env = {k: v for k, v in os.environ.items() if k not in ("TAXSCAN_DB", "COLUMNS")}
    with (out / "stdout").open("w") as stdout:
        start, cpu = time.perf_counter(), children_cpu()
        try:
            done = subprocess.run([str(TAXSCAN), *args, "--db", str(db)], stdout=stdout,
                                  stderr=subprocess.PIPE, text=True, env=env, check=False,
                                  timeout=limit)
        except subprocess.TimeoutExpired:
            return None
        seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"taxscan {' '.join(args)} failed: {done.stderr.strip()}")
    return children_cpu() - cpu, seconds


def engine_seconds(db: Path) -> tuple[float, float, int]:
    """compute_lots alone on the read model's legs, in CPU and wall-clock seconds, and how
    many legs."""
    with Store(db, read_only=True) as store:
        books = load(store)
    legs = books.valued
    gc.collect()
    gc.disable()  # as the report commands run it (scanner.collector)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        compute_book(legs, books.policy, books.ranks)
        return time.process_time() - cpu, time.perf_counter() - start, len(legs)
    finally:
        gc.enable()


def imported(legs: int, work: Path) -> Path:
    csv, db = work / "history.csv", work / "bench.duckdb"
    print(f"generating {legs:,} legs and importing them (not timed)...", flush=True)
    write_history(csv, legs)
    subprocess.run([str(TAXSCAN), "import", str(csv), "--format", "ledger", "--db", str(db)],
                   check=True, capture_output=True)
    csv.unlink()
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--db", type=Path, help="a database bench/history.py's legs fill")
    parser.add_argument("--keep", type=Path, help="keep the database made here at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="taxscan-bench-") as tmp:
        work = Path(tmp)
        db = args.db or imported(args.legs, work)
        if args.keep and not args.db:
            shutil.copyfile(db, args.keep)
        engine, engine_wall, legs = engine_seconds(db)
        print(f"{legs:,} legs: the engine alone takes {engine:.1f} s of CPU "
              f"({engine_wall:.1f} s)", flush=True)
        limit = max(60.0, 10 * engine_wall)  # a command past it has missed its target anyway
        seconds: dict[str, tuple[float, float] | None] = {}
        for name, command in commands(args.year, work).items():
            seconds[name] = spent = timed(command, db, work, limit)
            told = f"{spent[0]:.1f} s of CPU ({spent[1]:.1f} s)" if spent is not None \
                else f"stopped after {limit:.0f} s"
            print(f"  {name}: {told}", flush=True)
        report = work / "report.html"
        html = report.stat().st_size if report.exists() else None
    table, csv = seconds["gains (table)"], seconds["gains (csv)"]
    lines: list[Figure] = [
        ("legs", f"{legs:,}", "", ""),
        ("engine alone (compute_lots), CPU", f"{engine:.1f} s", f"(wall {engine_wall:.1f} s)", "")]
    if table is not None and csv is not None:
        ratio = table[0] / csv[0]
        lines.append(("gains table / gains csv, CPU", f"{ratio:.2f}x",
                      f"<= {TABLE_OVER_CSV:g}x (wall {table[1] / csv[1]:.2f}x)",
                      "PASS" if ratio <= TABLE_OVER_CSV else "FAIL"))
    for name, spent in seconds.items():
        if spent is None:
            lines.append((f"{name} / engine, CPU", f"> {limit / engine_wall:.0f}x",
                          f"<= {OVER_ENGINE:g}x", "FAIL"))
            continue
        over = spent[0] / engine
        lines.append((f"{name} / engine, CPU", f"{over:.2f}x",
                      f"<= {OVER_ENGINE:g}x (wall {spent[1] / engine_wall:.2f}x)",
                      "PASS" if over <= OVER_ENGINE else "FAIL"))
    if html is not None:
        lines.append((f"report --year {args.year} (HTML)", f"{html / 1e6:.2f} MB",
                      f"<= {HTML_BYTES / 1e6:g} MB", "PASS" if html <= HTML_BYTES else "FAIL"))
    return print_figures(lines)


if __name__ == "__main__":
    sys.exit(main())
