"""Schedule D (Form 1040), Capital Gains and Losses: the lines Form 8949's box totals feed.

    box A (G from 2025) -> line 1b     box D (J) -> line 8b
    box B (H)           -> line 2      box E (K) -> line 9
    box C (I)           -> line 3      box F (L) -> line 10
    line 7  = net short-term: lines 1b + 2 + 3
    line 15 = net long-term:  lines 8b + 9 + 10
    line 16 = line 7 + line 15

Only the lines that have Form 8949 rows are written, and 7, 15 and 16 always. Lines 7 and
15 on the real form also take lines 4-6 and 11-14 (Forms 6252/4684/6781/8824, Schedules
K-1, capital gain distributions, loss carryovers): taxscan knows none of those, so its 7, 15
and 16 are the Form 8949 figures only. Lines 1a and 8a (1099 totals filed without Form 8949)
are not used: every disposal goes through Form 8949.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from scanner.formats.us.form8949 import (
    DIGITAL_ASSET_BOXES_FROM,
    PART_LONG,
    PART_SHORT,
    BoxTotal,
    amount_text,
)

CSV_FIELDS = ("line", "description", "proceeds", "cost_basis", "adjustment", "gain")

# box -> (part, Schedule D line)
_LINE_OF_BOX = {
    "A": (PART_SHORT, "1b"), "B": (PART_SHORT, "2"), "C": (PART_SHORT, "3"),
    "G": (PART_SHORT, "1b"), "H": (PART_SHORT, "2"), "I": (PART_SHORT, "3"),
    "D": (PART_LONG, "8b"), "E": (PART_LONG, "9"), "F": (PART_LONG, "10"),
    "J": (PART_LONG, "8b"), "K": (PART_LONG, "9"), "L": (PART_LONG, "10"),
}
_BOXES_OF_LINE = {"1b": ("A", "G"), "2": ("B", "H"), "3": ("C", "I"),
                  "8b": ("D", "J"), "9": ("E", "K"), "10": ("F", "L")}
_SHORT_LINES = ("1b", "2", "3")
_LONG_LINES = ("8b", "9", "10")


@dataclass(frozen=True)
class ScheduleDLine:
    line: str  # "1b", "2", "3", "7", "8b", "9", "10", "15", "16"
    description: str
    proceeds: Decimal | None  # (d); None on lines 7, 15 and 16
    cost: Decimal | None  # (e)
    adjustment: Decimal | None  # (g)
    gain: Decimal  # (h)


def _box_line_description(line: str, year: int) -> str:
    letters = _BOXES_OF_LINE[line]
    boxes = f"{letters[0]} or {letters[1]}" if year >= DIGITAL_ASSET_BOXES_FROM else letters[0]
    term = "Short-term" if line in _SHORT_LINES else "Long-term"
    return f"{term} totals from Forms 8949 with box {boxes} checked"


def schedule_d_lines(totals: Sequence[BoxTotal], year: int) -> list[ScheduleDLine]:
    """The Schedule D lines of `year` from Form 8949's box totals (`form8949_totals`)."""
    sums: dict[str, list[Decimal]] = {}
    for total in totals:
        if total.box not in _LINE_OF_BOX:
            raise ValueError(f"Form 8949 has no box {total.box!r}")
        part, line = _LINE_OF_BOX[total.box]
        if part != total.part:
            raise ValueError(f"box {total.box} belongs to part {part}, not {total.part}")
        if total.box in "GHIJKL" and year < DIGITAL_ASSET_BOXES_FROM:
            raise ValueError(f"box {total.box} exists from tax year {DIGITAL_ASSET_BOXES_FROM}")
        acc = sums.setdefault(line, [Decimal(0)] * 4)
        acc[0] += total.proceeds
        acc[1] += total.cost
        acc[2] += total.adjustment
        acc[3] += total.gain

    def box_lines(numbers: tuple[str, ...]) -> list[ScheduleDLine]:
        return [ScheduleDLine(line=n, description=_box_line_description(n, year),
                              proceeds=sums[n][0], cost=sums[n][1], adjustment=sums[n][2],
                              gain=sums[n][3])
                for n in numbers if n in sums]

    short = box_lines(_SHORT_LINES)
    long = box_lines(_LONG_LINES)
    net_short = sum((line.gain for line in short), Decimal(0))
    net_long = sum((line.gain for line in long), Decimal(0))
    return [
        *short,
        ScheduleDLine("7", "Net short-term capital gain or (loss): lines 1b, 2 and 3 "
                      "(lines 4-6 not included)", None, None, None, net_short),
        *long,
        ScheduleDLine("15", "Net long-term capital gain or (loss): lines 8b, 9 and 10 "
                      "(lines 11-14 not included)", None, None, None, net_long),
        ScheduleDLine("16", "Combine lines 7 and 15", None, None, None, net_short + net_long),
    ]


def schedule_d_csv(lines: Sequence[ScheduleDLine]) -> str:
    """The lines as CSV; the columns a line does not have are empty."""
    def cell(amount: Decimal | None) -> str:
        return "" if amount is None else amount_text(amount)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for line in lines:
        writer.writerow([line.line, line.description, cell(line.proceeds), cell(line.cost),
                         cell(line.adjustment), cell(line.gain)])
    return buffer.getvalue()
