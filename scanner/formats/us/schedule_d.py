"""Schedule D (Form 1040), Capital Gains and Losses: the lines Form 8949's box totals feed,
netted with the loss carried over (`tax.netting`).

    box A (G from 2025) -> line 1b     box D (J) -> line 8b
    box B (H)           -> line 2      box E (K) -> line 9
    box C (I)           -> line 3      box F (L) -> line 10
    line 6  = short-term loss carried in   line 14 = long-term loss carried in
    line 7  = net short-term: lines 1b + 2 + 3 - line 6
    line 15 = net long-term:  lines 8b + 9 + 10 - line 14
    line 16 = line 7 + line 15
    line 21 = if line 16 is a loss: the smaller of it and 3,000 (1,500 married filing
              separately), deducted from ordinary income

Only the box lines that have Form 8949 rows are written; 6, 7, 14, 15 and 16 always, 21 when
line 16 is a loss, then the loss carried to the next year, as its Capital Loss Carryover
Worksheet's lines 8 and 13 give it (rows "worksheet 8" and "worksheet 13": next year's lines
6 and 14). A loss is written negative, as the form's parentheses show it. Lines 4-5 and
11-13 (Forms 6252/4684/6781/8824, Schedules K-1, capital gain distributions) are outside
taxscan's books and not included; lines 17-20 and 22 (the tax computation) are not written.
Lines 1a and 8a (1099 totals filed without Form 8949) are not used: every disposal goes
through Form 8949.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from chains.errors import UserInputError
from scanner.formats.us.form8949 import (
    DIGITAL_ASSET_BOXES_FROM,
    PART_LONG,
    PART_SHORT,
    BoxTotal,
    amount_text,
)
from scanner.tax.netting import Netting
from scanner.tax.taxpayer import FILING_STATUS_NAMES

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
    line: str  # "1b", "2", "3", "6", "7", "8b", "9", "10", "14", "15", "16", "21",
    # "worksheet 8", "worksheet 13"
    description: str
    proceeds: Decimal | None  # (d); None but on the box lines
    cost: Decimal | None  # (e)
    adjustment: Decimal | None  # (g)
    gain: Decimal  # (h)


def _loss(amount: Decimal) -> Decimal:
    """A loss written as a positive amount, as the form shows it: negative (never -0)."""
    return -amount if amount else Decimal(0)


def _box_line_description(line: str, year: int) -> str:
    letters = _BOXES_OF_LINE[line]
    boxes = f"{letters[0]} or {letters[1]}" if year >= DIGITAL_ASSET_BOXES_FROM else letters[0]
    term = "Short-term" if line in _SHORT_LINES else "Long-term"
    return f"{term} totals from Forms 8949 with box {boxes} checked"


def schedule_d_lines(totals: Sequence[BoxTotal], netting: Netting) -> list[ScheduleDLine]:
    """The Schedule D lines of the netting's year from Form 8949's box totals
    (`form8949_totals`) and that year's netting (`tax.netting`) of the same totals."""
    year = netting.year
    if netting.unknown_years:
        raise UserInputError(
            f"Schedule D {year} cannot be netted: {', '.join(map(str, netting.unknown_years))} "
            "had disposals of unknown basis or proceeds (the loss carried over depends on "
            "them): import prices (`taxscan prices missing`) or the missing history first")
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

    def total_line(line: str, description: str, amount: Decimal) -> ScheduleDLine:
        return ScheduleDLine(line, description, None, None, None, amount)

    short, long = box_lines(_SHORT_LINES), box_lines(_LONG_LINES)
    if (sum((x.gain for x in short), Decimal(0)), sum((x.gain for x in long), Decimal(0))) \
            != (netting.short, netting.long):
        raise ValueError(f"the netting of {year} is not that of these Form 8949 totals")
    carried_in, carried_out, after = netting.carryover_in, netting.carryover_out, year + 1
    lines = [
        *short,
        total_line("6", "Short-term capital loss carryover (Capital Loss Carryover Worksheet "
                   "line 8)", _loss(carried_in.short)),
        total_line("7", "Net short-term capital gain or (loss): lines 1b, 2, 3 and 6 (lines 4 "
                   "and 5 not included)", netting.net_short),
        *long,
        total_line("14", "Long-term capital loss carryover (Capital Loss Carryover Worksheet "
                   "line 13)", _loss(carried_in.long)),
        total_line("15", "Net long-term capital gain or (loss): lines 8b, 9, 10 and 14 (lines "
                   "11-13 not included)", netting.net_long),
        total_line("16", "Combine lines 7 and 15", netting.net),
    ]
    if netting.net < 0:
        status = FILING_STATUS_NAMES[netting.filing_status]
        lines.append(total_line(
            "21", f"The smaller of the loss on line 16 or ({netting.loss_limit:,}) ({status})",
            _loss(netting.ordinary_offset)))
    return [
        *lines,
        total_line("worksheet 8", f"Short-term capital loss carryover to {after} (Capital Loss "
                   f"Carryover Worksheet line 8; {after} line 6)", _loss(carried_out.short)),
        total_line("worksheet 13", f"Long-term capital loss carryover to {after} (Capital "
                   f"Loss Carryover Worksheet line 13; {after} line 14)", _loss(carried_out.long)),
    ]


def netting_figures(netting: Netting) -> list[tuple[str, str, Decimal]]:
    """The netting in short for a reader, as (key, label, amount) with the form's signs (a loss
    negative): lines 6, 7, 14, 15, 16, 21 (when line 16 is a loss) and the carryovers out
    (keys "carryover_short", "carryover_long")."""
    carried_in, carried_out, after = netting.carryover_in, netting.carryover_out, netting.year + 1
    figures = [
        ("6", "Short-term carryover (line 6)", _loss(carried_in.short)),
        ("7", "Net short-term (line 7)", netting.net_short),
        ("14", "Long-term carryover (line 14)", _loss(carried_in.long)),
        ("15", "Net long-term (line 15)", netting.net_long),
        ("16", "Net gain or loss (line 16)", netting.net),
    ]
    if netting.net < 0:
        figures.append(("21", f"Allowed against ordinary income (line 21, at most "
                              f"{netting.loss_limit:,})", _loss(netting.ordinary_offset)))
    return [*figures,
            ("carryover_short", f"Short-term carryover to {after} (worksheet line 8)",
             _loss(carried_out.short)),
            ("carryover_long", f"Long-term carryover to {after} (worksheet line 13)",
             _loss(carried_out.long))]


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
