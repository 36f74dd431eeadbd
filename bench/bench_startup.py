"""Start-up: `taxscan --help` and `taxscan gains --help` (the installed entry point) against
`python -c pass`, measured in one run, as the median of a few runs each; ratios, not times.
The issue's target is `taxscan --help`'s, which builds no command; a command's own help also
builds its options, and imports what their choices come from (gains: the jurisdictions and
their methods), so it is shown beside it without a target.

The project's modules are compiled to bytecode first, as `pip install` does for an installed
package: an editable install run with PYTHONDONTWRITEBYTECODE set (or a source tree changed
since its last run) would otherwise compile every changed module at each start.

The floor is `python -c pass` in the same environment: `make setup` installs taxscan
editable, whose import hook every interpreter start loads, this one too. Installed from a
wheel there is no hook and the floor is half as long, while `python -c "import typer"` alone
takes more than 4 times it (the README's performance section has the figures)."""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import Figure, print_figures

RUNS = 7
TARGET = 4.0  # issue 18: `taxscan --help` within 4 times `python -c pass`
TAXSCAN = Path(sys.executable).with_name("taxscan")
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scanner", "chains")


def median_seconds(command: list[str]) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)
    floor = median_seconds([sys.executable, "-c", "pass"])
    lines: list[Figure] = [("python -c pass", f"{floor * 1000:.0f} ms", "", "")]
    ratio = median_seconds([str(TAXSCAN), "--help"]) / floor
    lines.append(("taxscan --help / python -c pass", f"{ratio:.1f}x", f"<= {TARGET:g}x",
                  "PASS" if ratio <= TARGET else "FAIL"))
    ratio = median_seconds([str(TAXSCAN), "gains", "--help"]) / floor
    lines.append(("taxscan gains --help / python -c pass", f"{ratio:.1f}x", "", ""))
    return print_figures(lines)


if __name__ == "__main__":
    sys.exit(main())
