"""The lot engine and its reports on synthetic histories, and RP2 on the same input.

An event is one ledger leg; every event here is a one-leg fiat trade of one wallet (a buy:
a positive quantity, usd_value the USD paid; a sale: a negative quantity, usd_value the
USD received), so events = legs = trades. Sales never exceed what is held; the events
spread over 2019-2025. Histories are built before any timing.

Timed, as `taxscan gains --format csv` and `taxscan income --format csv` make them for
every year: compute_lots, then each year's gains CSV text straight from the disposals
(scanner.render.gains_to_csv, the same text as the gains rows through to_csv) and its
income rows (scanner.reports.income_rows) as CSV text (scanner.render.to_csv); the CSV
share is printed on its own. The cycle collector is paused over all of it, as the report
commands pause it (their objects hold no cycles).

RP2 (bench/rp2_adapter.py, shared with tests/unit/test_against_rp2.py) runs in process on
the same 10k-event history (1k with --quick), two ways, each against taxscan:

- whole job (the target, >= 100x): each tool as a user runs it, from its input file to its
  reports. RP2: its `rp2_us` CLI (the function the console script calls,
  rp2.plugin.country.us:rp2_entry) with `-m fifo -o OUTPUT -p PREFIX rp2.ini INPUT.ods`:
  it parses its ODS input (one sheet per asset, IN and OUT tables), computes every asset
  (compute_tax) and writes its default US reports, open_positions, rp2_full_report and
  tax_report_us (three ODS files), logging as it sets itself up (./log file and console);
  timed: that call alone. taxscan: the history as a ledger CSV file (what `taxscan ledger
  --format csv` writes), timed from reading it back (scanner.imports.ledger_csv
  .read_ledger_csv) through everything the run below times (engine, report rows and CSV
  text; the text is made, not written to a file). Writing either input file is
  preparation, not timed; so are the Python imports of either side. Both results are
  checked: RP2's report files exist and are not empty, and the gains it computed agree with
  taxscan's to the cent per asset and year (RP2 and taxscan split long and short term
  differently around the first anniversary, see tests/unit/test_against_rp2.py, so the
  terms are summed).
- compute only (info): rp2.tax_engine.compute_tax for every asset on transactions built in
  memory (RP2's logger quietened), against taxscan's run above without the reading.

Every figure comes from this one run; each is the best of a few runs on the same input
(see `best_of`). `--quick` caps the histories at 100k events, for a smoke run;
`--rp2-only` runs the RP2 comparisons alone.

    python bench/bench_engine.py [--quick] [--rp2-only]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TypeVar

from figures import print_figures
from rp2_adapter import CliRun, Rp2

from scanner.collector import collector_paused
from scanner.formats import rows as reports
from scanner.formats.ledger_csv import read_ledger_csv
from scanner.formats.render import gains_to_csv, to_csv
from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.lots import compute_lots
from scanner.tax.records import Disposal, IncomeEvent

WALLET = "0x" + "aa" * 20
DECIMALS = 6
START, END = datetime(2019, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC)
SALE_PER_256 = 115  # about 45% of the events of an asset held are sales
TOTAL_LIMIT = 15.0  # seconds for the whole run at the large size
T = TypeVar("T")
VERSUS_RP2 = 100  # taxscan's whole job at least this many times faster than RP2's
CENT = Decimal("0.01")
NOISE = Decimal("1e-8")  # as tests/unit/test_against_rp2.py: two sums a hair apart


def history(events: int, assets: int, seed: int = 7) -> list[LedgerEntry]:
    """`events` one-leg fiat trades of `assets` tokens, at even steps over 2019-2025."""
    rng = random.Random(seed)
    names = [f"eip155:1/erc20:0x{n:040x}" for n in range(1, assets + 1)]
    symbols = [f"T{n}" for n in range(assets)]
    picks = rng.choices(range(assets), k=events)
    bits = rng.getrandbits
    held = [0] * assets
    step = max(1, int((END - START).total_seconds()) // events)
    trade = Kind.TRADE
    entries: list[LedgerEntry] = []
    append = entries.append
    for n, asset in enumerate(picks):
        have, draw = held[asset], bits(32)
        if have and draw & 0xFF < SALE_PER_256:  # a sale of 1 to `have` base units
            raw = -1 - (have - 1) * (draw >> 8) // (1 << 24)
        else:  # a buy of 1 to 2**24 base units
            raw = 1 + (draw >> 8)
        held[asset] = have + raw
        tx = f"0x{n:064x}"
        append(LedgerEntry(1, tx, "log:0", 0, n, 0, START + timedelta(seconds=n * step),
                           WALLET, trade, "transfer", names[asset], symbols[asset], raw,
                           DECIMALS, None, group_id(1, tx, WALLET),
                           Decimal(1 + bits(20)).scaleb(-2), "bench"))
    return entries


@dataclass(frozen=True)
class Timing:
    engine: float  # compute_lots
    rows: float  # the income report rows
    csv: float  # the gains CSV (from the disposals) and the income CSV (from its rows)
    disposals: int
    csv_bytes: int
    read: float = 0.0  # the ledger CSV file read back (whole job only)
    cpu: float = 0.0  # the process's CPU time over `total` (info: wall time counts waits)

    @property
    def total(self) -> float:
        return self.read + self.engine + self.rows + self.csv


def run_once(entries: list[LedgerEntry], method: str) -> Timing:
    """The engine and the reports on `entries`."""
    gc.collect()
    with collector_paused():  # as the report commands run (scanner.cli)
        return _lots_and_reports(entries, method, time.perf_counter(), time.process_time())


def run_job(ledger: Path, method: str) -> Timing:
    """taxscan's whole job: the ledger CSV file read back, then all `run_once` times."""
    gc.collect()
    with collector_paused():
        cpu, start = time.process_time(), time.perf_counter()
        entries = read_ledger_csv(ledger)
        read = time.perf_counter()
        return replace(_lots_and_reports(entries, method, read, cpu), read=read - start)


def _lots_and_reports(entries: list[LedgerEntry], method: str, start: float,
                      cpu: float) -> Timing:
    """From `start` and `cpu` (perf_counter and process_time readings just taken):
    compute_lots, then year by year what `taxscan gains --year Y --format csv` and
    `taxscan income --year Y --format csv` write (the gains CSV straight from the
    disposals, the income from its rows)."""
    book = compute_lots(entries, method=method)
    engine = time.perf_counter()
    gains_of: defaultdict[int, list[Disposal]] = defaultdict(list)
    income_of: defaultdict[int, list[IncomeEvent]] = defaultdict(list)
    for disposal in book.disposals:
        gains_of[disposal.disposed.year].append(disposal)
    for event in book.income:
        income_of[event.timestamp.year].append(event)
    # each year's files are made and written out before the next year's
    rows = csv_time = 0.0
    size = 0
    for year in sorted(gains_of.keys() | income_of.keys()):
        begin = time.perf_counter()
        income = reports.income_rows(income_of[year])
        made = time.perf_counter()
        size += len(gains_to_csv(gains_of[year]))
        size += len(to_csv(income, reports.INCOME.fields))
        del income
        rows += made - begin
        csv_time += time.perf_counter() - made
    if any(d.gain_usd is None for d in book.disposals):
        raise AssertionError("a gain is unknown: the history is not what the bench meant")
    return Timing(engine - start, rows, csv_time, len(book.disposals), size,
                  cpu=time.process_time() - cpu)


def best_of(run: Callable[[], T], seconds: Callable[[T], float]) -> T:
    """The best of 5 runs when one takes under a second, of 3 under 5 s, else of 2: the
    first run of a size also pays for the memory the process grows into."""
    runs = [run()]
    first = seconds(runs[0])
    runs += [run() for _ in range(4 if first < 1 else 2 if first < 5 else 1)]
    return min(runs, key=seconds)


def timed(entries: list[LedgerEntry], method: str = "fifo") -> Timing:
    return best_of(lambda: run_once(entries, method), lambda t: t.total)


def timed_rp2(entries: list[LedgerEntry]) -> tuple[float, float, int]:
    """RP2 on `entries` (FIFO): seconds to build its transactions (not compared), the best of
    3 runs of compute_tax for every asset, and the gain/loss rows it made."""
    with tempfile.TemporaryDirectory(prefix="bench-rp2-") as workdir:
        rp2 = Rp2(Path(workdir), sorted({entry.asset for entry in entries}))
        start = time.perf_counter()
        prepared = rp2.prepare(entries, "fifo")
        built = time.perf_counter() - start
        best, rows = float("inf"), set()
        for _ in range(3):
            gc.collect()
            start = time.perf_counter()
            computed = rp2.run(prepared)
            best = min(best, time.perf_counter() - start)
            rows.add(sum(data.gain_loss_set.count for data in computed))
            del computed
    if len(rows) != 1:
        raise AssertionError(f"RP2 runs on one input disagree: {rows}")
    return built, best, rows.pop()


@dataclass(frozen=True)
class WholeJob:
    """Both tools' whole job on one history (FIFO); see the module's docstring."""

    taxscan: Timing
    rp2: CliRun
    prepared: float  # seconds to write both input files (not timed)
    reports: dict[str, int]  # RP2's report files: name -> bytes
    gain: Decimal  # the total gain both agree on (taxscan's figure)
    pairs: int  # (asset, year) totals compared


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def agree_to_the_cent(ours: dict[tuple[str, int], Decimal],
                      theirs: dict[tuple[str, int], Decimal]) -> None:
    """As tests/unit/test_against_rp2.py: each total rounded to the cent, half up; two
    unrounded totals a hair apart (under NOISE) may straddle a half cent."""
    if ours.keys() != theirs.keys():
        raise AssertionError(f"RP2 and taxscan have gains for different (asset, year): "
                             f"{sorted(ours.keys() ^ theirs.keys())}")
    for key, mine in ours.items():
        if cents(mine) != cents(theirs[key]) and abs(mine - theirs[key]) >= NOISE:
            raise AssertionError(f"gain of {key}: taxscan {mine}, RP2 {theirs[key]}")


def whole_job(entries: list[LedgerEntry]) -> WholeJob:
    """Each tool from its input file to its reports (FIFO), as the module's docstring
    says; the input files are written first, not timed."""
    with tempfile.TemporaryDirectory(prefix="bench-job-") as name:
        workdir = Path(name)
        start = time.perf_counter()
        ledger, ods = workdir / "ledger.csv", workdir / "rp2_input.ods"
        ledger.write_text(to_csv(reports.ledger_rows(entries), reports.LEDGER.fields),
                          encoding="utf-8")
        rp2 = Rp2(workdir, sorted({entry.asset for entry in entries}))
        rp2.write_ods(entries, ods)
        prepared = time.perf_counter() - start

        read = read_ledger_csv(ledger)  # the ledger file carries the history, exactly
        if len(read) != len(entries) or any(
                again.quantity != entry.quantity
                or replace(again, raw_amount=entry.raw_amount, decimals=entry.decimals) != entry
                for again, entry in zip(read, entries, strict=True)):
            raise AssertionError("the ledger CSV does not read back as the history")
        ours_by: defaultdict[tuple[str, int], Decimal] = defaultdict(Decimal)
        for disposal in compute_lots(read, method="fifo").disposals:
            if disposal.gain_usd is None:
                raise AssertionError(f"a gain is unknown: {disposal}")
            ours_by[(disposal.asset, disposal.disposed.year)] += disposal.gain_usd
        del read

        ours = best_of(lambda: run_job(ledger, "fifo"), lambda t: t.total)
        runs = iter(range(1, 10))

        def run_rp2() -> CliRun:
            rundir = workdir / f"rp2_run{next(runs)}"
            rundir.mkdir()
            gc.collect()
            return rp2.run_cli(ods, rundir, "fifo")

        theirs = best_of(run_rp2, lambda run: run.seconds)
        wanted = {f"bench_fifo_{report}.ods"
                  for report in ("open_positions", "rp2_full_report", "tax_report_us")}
        made = {path.name: path.stat().st_size for path in theirs.reports}
        if made.keys() != wanted or 0 in made.values():
            raise AssertionError(f"RP2's reports: {made}, expected {sorted(wanted)}")
        if theirs.warnings:
            raise AssertionError(f"RP2 warned: {theirs.warnings[:5]}")
    theirs_by: defaultdict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for (asset, year, _), gain in rp2.gains(theirs.computed).items():
        theirs_by[(asset, year)] += gain
    agree_to_the_cent(ours_by, theirs_by)
    total = sum(ours_by.values(), Decimal(0))
    agree_to_the_cent({("all", 0): total}, {("all", 0): sum(theirs_by.values(), Decimal(0))})
    return WholeJob(ours, theirs, prepared, made, total, len(ours_by))


def size_name(events: int) -> str:
    return f"{events // 1_000_000}M" if events >= 1_000_000 else f"{events // 1_000}k"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def measure(label: str, build: Callable[[], list[LedgerEntry]],
            methods: tuple[str, ...] = ("fifo",)) -> dict[str, Timing]:
    start = time.perf_counter()
    entries = build()
    built = time.perf_counter() - start
    out = {method: timed(entries, method) for method in methods}
    print(f"  {label}: built in {built:.1f} s (not timed), "
          + ", ".join(f"{m.upper()} {t.total:.2f} s" for m, t in out.items()), flush=True)
    del entries
    gc.collect()
    return out


def _load() -> str:
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="at most 100k events")
    parser.add_argument("--rp2-only", action="store_true",
                        help="only the side by side with RP2 (10k events, 1k with --quick)")
    args = parser.parse_args(argv)
    small, large, versus = (10_000, 100_000, 1_000) if args.quick else \
        (100_000, 1_000_000, 10_000)
    s, n, v = size_name(small), size_name(large), size_name(versus)
    run = "quick" if args.quick else "full"
    print(f"load average (1, 5, 15 min) at the start: {_load()} on {os.cpu_count()} cores; "
          "timings are wall clock: other work on the machine lengthens them", flush=True)
    lines: list[tuple[str, str, str, str]] = []  # measure, value, target, verdict
    runs: list[tuple[str, Timing]] = []

    if not args.rp2_only:
        print(f"taxscan lot engine + reports, one wallet, events = one-leg fiat trades "
              f"({run} run)", flush=True)
        t_small = measure(f"{s}, 10 assets", lambda: history(small, 10))["fifo"]
        few = measure(f"{n}, 10 assets", lambda: history(large, 10), ("fifo", "hifo"))
        t_large, t_hifo = few["fifo"], few["hifo"]
        t_spread = measure(f"{n}, 1000 assets", lambda: history(large, 1_000))["fifo"]
        scaling = t_large.total / t_small.total
        spread = t_spread.total / t_large.total
        hifo = t_hifo.total / t_large.total
        lines += [
            (f"t({s}, 10 assets) FIFO", f"{t_small.total:.2f} s", "info", ""),
            (f"t({n}, 10 assets) FIFO", f"{t_large.total:.2f} s", f"< {TOTAL_LIMIT:g} s",
             verdict(t_large.total < TOTAL_LIMIT)),
            ("  the same without the CSV", f"{t_large.total - t_large.csv:.2f} s", "info", ""),
            (f"t({n}, 1000 assets) FIFO", f"{t_spread.total:.2f} s", "info", ""),
            (f"t({n}, 10 assets) HIFO", f"{t_hifo.total:.2f} s", "info", ""),
            (f"scaling t({n}) / t({s})", f"{scaling:.2f}", "<= 12", verdict(scaling <= 12)),
            ("  the same in CPU time", f"{t_large.cpu / t_small.cpu:.2f}", "info", ""),
            (f"assets  t({n}, 1000 assets) / t({n}, 10 assets)", f"{spread:.2f}", "<= 2",
             verdict(spread <= 2)),
            (f"HIFO / FIFO at {n}, 10 assets", f"{hifo:.2f}", "<= 2", verdict(hifo <= 2)),
        ]
        runs += [(f"{s}, 10 assets, FIFO", t_small), (f"{n}, 10 assets, FIFO", t_large),
                 (f"{n}, 1000 assets, FIFO", t_spread), (f"{n}, 10 assets, HIFO", t_hifo)]
        print()

    print(f"taxscan and RP2 side by side, {v} events, 10 assets, FIFO ({run} run)", flush=True)
    entries = history(versus, 10)
    t_ours = timed(entries)
    rp2_built, t_rp2, rp2_rows = timed_rp2(entries)
    compute_only = t_rp2 / t_ours.total
    print(f"  compute only (info): RP2 compute_tax {t_rp2:.2f} s ({rp2_rows:,} gain/loss rows; "
          f"its transactions built in memory in {rp2_built:.1f} s, not timed) vs taxscan "
          f"engine + reports {t_ours.total * 1000:.1f} ms ({t_ours.disposals:,} disposals): "
          f"ratio {compute_only:,.1f}", flush=True)
    job = whole_job(entries)
    ratio = job.rp2.seconds / job.taxscan.total
    print(f"  whole job: RP2 CLI {job.rp2.seconds:.2f} s vs taxscan {job.taxscan.total:.2f} s: "
          f"ratio {ratio:,.1f} (target >= {VERSUS_RP2}) {verdict(ratio >= VERSUS_RP2)}",
          flush=True)
    sizes = ", ".join(f"{name} {size / 1e3:,.0f} kB" for name, size in job.reports.items())
    print(f"    RP2 `rp2_us -m fifo`: its ODS input parsed, compute_tax per asset, its "
          f"reports written ({sizes})\n"
          f"    taxscan: the ledger CSV read back in {job.taxscan.read:.3f} s, then engine + "
          f"reports + their CSV text in {job.taxscan.total - job.taxscan.read:.3f} s\n"
          f"    gains agree to the cent on {job.pairs} (asset, year) totals, in all "
          f"{job.gain.quantize(CENT):,} USD; the two input files were written in "
          f"{job.prepared:.1f} s, not timed", flush=True)
    lines += [
        (f"whole job  t(rp2 CLI, {v}) / t(taxscan ledger CSV to reports, {v})",
         f"{ratio:,.1f}", f">= {VERSUS_RP2}", verdict(ratio >= VERSUS_RP2)),
        (f"  t(rp2 CLI, {v})", f"{job.rp2.seconds:.2f} s", "info", ""),
        (f"  t(taxscan ledger CSV to reports, {v})", f"{job.taxscan.total:.3f} s", "info", ""),
        (f"compute only (info)  t(rp2 compute_tax, {v}) / t(taxscan, {v})",
         f"{compute_only:,.1f}", "info", ""),
        (f"  t(rp2 compute_tax, {v}) / t(taxscan engine only, {v})",
         f"{t_rp2 / t_ours.engine:,.1f}", "info", ""),
    ]
    runs += [(f"{v}, 10 assets, FIFO", t_ours),
             (f"{v}, 10 assets, FIFO, whole job", job.taxscan)]

    print()
    print("where taxscan's time goes (seconds; the CSV share is of the whole run; read: the "
          "ledger CSV file read back; cpu: the process's CPU time over the same span: the "
          "wall clock also counts waiting for a core when the machine is busy)")
    width = max(len(name) for name, _ in runs)
    print(f"{'run':<{width}}  {'read':>7}  {'engine':>7}  {'rows':>7}  {'csv':>7}  "
          f"{'total':>7}  {'cpu':>7}  {'csv %':>5}  {'disposals':>10}  {'csv MB':>6}")
    for name, t in runs:
        print(f"{name:<{width}}  {t.read:7.3f}  {t.engine:7.3f}  {t.rows:7.3f}  {t.csv:7.3f}  "
              f"{t.total:7.3f}  {t.cpu:7.3f}  {100 * t.csv / t.total:5.1f}  "
              f"{t.disposals:>10,}  {t.csv_bytes / 1e6:6.1f}")
    print(f"\nload average (1, 5, 15 min) at the end: {_load()}")
    print_figures(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
