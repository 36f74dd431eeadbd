"""The table of figures every bench prints last, with the verdict on its targets."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

Figure = tuple[str, str, str, str]  # measure, value, target, verdict ("PASS", "FAIL" or "")


def print_figures(lines: Sequence[Figure]) -> int:
    """Print the figures as a table and the verdict; the number of targets missed."""
    width = max(len(line[0]) for line in lines)
    value_width = max(8, *(len(line[1]) for line in lines))
    target_width = max(7, *(len(line[2]) for line in lines))
    print()
    print(f"{'measure':<{width}}  {'value':>{value_width}}  {'target':<{target_width}}  verdict")
    for name, value, target, result in lines:
        print(f"{name:<{width}}  {value:>{value_width}}  {target:<{target_width}}  {result}")
    failed = sum(1 for line in lines if line[3] == "FAIL")
    print()
    print("all targets met" if not failed else f"{failed} target(s) missed")
    return failed


def big_over_small(name: str, measured: dict[int, tuple[float, float]], target: float) \
        -> list[Figure]:
    """The figures of a command timed on a small history and a big one (legs -> seconds and
    CPU seconds, the small first): each time, then the big one's over the small one's."""
    (small, (short, _)), (big, (long, _)) = list(measured.items())
    lines: list[Figure] = [(f"{name} on {legs:,} legs, s (CPU s)", f"{wall:.2f} ({cpu:.2f})",
                            "", "") for legs, (wall, cpu) in measured.items()]
    ratio = long / short
    return [*lines, (f"{name} on {big:,} legs / the same on {small:,}", f"{ratio:.2f}",
                     f"<= {target:g}", "PASS" if ratio <= target else "FAIL")]


def best_on_copies(db: Path, runs: int, run: Callable[[Path], tuple[float, float]]) \
        -> tuple[float, float]:
    """The best (wall, CPU) seconds of `runs` runs of `run`, each on a fresh copy of `db`."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "copy.duckdb"
            shutil.copyfile(db, copy)
            times.append(run(copy))
    return min(times)


def history_parser(doc: str) -> argparse.ArgumentParser:
    """The options of a bench that times a command on a small history and a big one."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100k legs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep the databases here, and reuse them")
    return parser
