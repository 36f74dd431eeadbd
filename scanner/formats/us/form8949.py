"""Form 8949 (Sales and Other Dispositions of Capital Assets): one line per disposal of the
tax year, and the totals per part and box that Schedule D takes.

Boxes. Part I is short-term, part II long-term. From tax year 2025 the form has boxes for
digital assets: G/J (a Form 1099-DA reported the basis to the IRS), H/K (a 1099-DA without
the basis), I/L (no 1099-DA); before 2025 crypto went in the securities boxes A/D, B/E, C/F
with the same meanings for a Form 1099-B. Self-custody wallets get no 1099 at all, so the
default is I/L (C/F before 2025).

Money. A sale (the disposals of one transaction of one asset in one wallet, what a Form
1099-DA reports as one sale) has its proceeds and its basis rounded to the cent once, and its
lines share them by the largest remainder method (`tax.sales`): the lines of a sale add up
to the sale, and the gain of a line is its proceeds less its cost plus the adjustment, so
the lines add up to the totals exactly. Every US export takes these figures. Column (g) is
always 0 and (f) empty: the adjustments the US asks for (wash sales of securities, and so
on) do not arise from taxscan's disposals; a Disposal's `disallowed_loss_usd` is Canada's
superficial loss, never a US figure.

A disposal whose proceeds, basis, holding period or acquisition date is unknown makes the
form impossible: the export refuses the year rather than write a zero.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from chains.errors import UserInputError
from scanner.formats.cells import formula_safe
from scanner.formats.rows import qty
from scanner.money import cents
from scanner.tax.records import Disposal, Term
from scanner.tax.sales import SaleLine, is_known, sale_lines, utc

DIGITAL_ASSET_BOXES_FROM = 2025  # the first tax year with boxes G-L
NO_1099 = "none"  # what a 1099 reported: nothing (there was none)
REPORTED_CHOICES = (NO_1099, "basis", "no-basis")
PART_SHORT, PART_LONG = "I", "II"

# (from 2025?, reported) -> (short-term box, long-term box)
_BOXES: dict[tuple[bool, str], tuple[str, str]] = {
    (False, "basis"): ("A", "D"), (False, "no-basis"): ("B", "E"), (False, "none"): ("C", "F"),
    (True, "basis"): ("G", "J"), (True, "no-basis"): ("H", "K"), (True, "none"): ("I", "L"),
}

CSV_FIELDS = ("part", "box", "description", "date_acquired", "date_sold", "proceeds",
              "cost_basis", "code", "adjustment", "gain", "tx_hash", "lot_id")


@dataclass(frozen=True, kw_only=True)
class Form8949Line:
    """One row of Form 8949, columns (a) to (h), and the disposal it came from."""

    part: str  # "I" short-term, "II" long-term
    box: str  # the box checked for the part: A-F, or G-L from 2025
    description: str  # (a) quantity and symbol: "0.5 ETH"
    acquired: str  # (b) MM/DD/YYYY
    sold: str  # (c) MM/DD/YYYY
    proceeds: Decimal  # (d) cents
    cost: Decimal  # (e) cents
    code: str = ""  # (f)
    adjustment: Decimal = Decimal(0)  # (g)
    gain: Decimal = field(init=False)  # (h) = (d) - (e) + (g)
    tx_hash: str
    lot_id: str | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gain", self.proceeds - self.cost + self.adjustment)


@dataclass(frozen=True)
class BoxTotal:
    """The totals of one part and box: what Form 8949's total row and Schedule D show."""

    part: str
    box: str
    proceeds: Decimal
    cost: Decimal
    adjustment: Decimal
    gain: Decimal
    count: int


# ---- shared by every US export ---------------------------------------------------------


def us_date(moment: datetime) -> str:
    """MM/DD/YYYY of the UTC date."""
    day = utc(moment)
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def amount_text(amount: Decimal) -> str:
    """A USD amount as a plain decimal with two places: "1234.50", "-3.00", never "-0.00"."""
    rounded = cents(amount)
    if rounded == 0:
        rounded = abs(rounded)
    return format(rounded, "f")


def one_line(text: str) -> str:
    """`text` with control characters and runs of white space made single spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def text_cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a token names itself)."""
    return formula_safe(text)


def asset_name(disposal: Disposal) -> str:
    """The symbol, else the asset id."""
    return one_line(disposal.symbol or "") or disposal.asset


def known_disposals(disposals: Iterable[Disposal], year: int) -> list[SaleLine]:
    """The disposals of `year` (by UTC date sold) as lines in cents (`tax.sales`), in (date
    sold, date acquired, tx_hash, lot_id) order. Raises UserInputError, once for the year,
    when any of them has unknown proceeds, basis, holding period or acquisition date: a form
    must never show a zero for an unknown."""
    of_year = [d for d in disposals if utc(d.disposed).year == year]
    unknown = sum(1 for d in of_year if not is_known(d))
    if unknown:
        have = "disposal in {} has" if unknown == 1 else "disposals in {} have"
        raise UserInputError(
            f"{unknown} {have.format(year)} unknown basis or proceeds: import prices "
            "(`taxscan prices missing`) or the missing history before exporting")
    return sale_lines(of_year)


def boxes(year: int, reported: str) -> tuple[str, str]:
    """(short-term box, long-term box) for `year` and what a 1099 reported: "basis",
    "no-basis" or "none"."""
    if reported not in REPORTED_CHOICES:
        raise UserInputError(
            f"reported {reported!r}: use basis (a 1099 reported the basis), no-basis (a 1099 "
            "without the basis) or none (no 1099)")
    return _BOXES[(year >= DIGITAL_ASSET_BOXES_FROM, reported)]


# ---- Form 8949 -------------------------------------------------------------------------


def form8949_lines(disposals: Iterable[Disposal], year: int, *,
                   reported: str = NO_1099) -> list[Form8949Line]:
    """One line per disposal sold in `year`, gas included, in (part, date sold, date
    acquired, tx_hash) order."""
    short_box, long_box = boxes(year, reported)
    lines = []
    for sale in known_disposals(disposals, year):
        long = sale.term is Term.LONG
        lines.append(Form8949Line(
            part=PART_LONG if long else PART_SHORT,
            box=long_box if long else short_box,
            description=f"{qty(sale.disposal.quantity)} {asset_name(sale.disposal)}",
            acquired=us_date(sale.acquired), sold=us_date(sale.disposed),
            proceeds=sale.proceeds, cost=sale.cost,
            tx_hash=sale.disposal.tx_hash, lot_id=sale.disposal.lot_id))
    lines.sort(key=lambda line: line.part)  # stable: each part keeps the date order
    return lines


def form8949_totals(lines: Iterable[Form8949Line]) -> list[BoxTotal]:
    """The totals per (part, box), part I first, boxes in letter order."""
    sums: dict[tuple[str, str], list[Decimal]] = {}
    counts: dict[tuple[str, str], int] = {}
    for line in lines:
        key = (line.part, line.box)
        acc = sums.setdefault(key, [Decimal(0)] * 4)
        acc[0] += line.proceeds
        acc[1] += line.cost
        acc[2] += line.adjustment
        acc[3] += line.gain
        counts[key] = counts.get(key, 0) + 1
    return [BoxTotal(part=part, box=box, proceeds=acc[0], cost=acc[1], adjustment=acc[2],
                     gain=acc[3], count=counts[(part, box)])
            for (part, box), acc in sorted(sums.items())]


def form8949_csv(lines: Sequence[Form8949Line]) -> str:
    """The lines as CSV, each (part, box) followed by its TOTAL row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    groups: dict[tuple[str, str], list[Form8949Line]] = {}
    for line in lines:
        groups.setdefault((line.part, line.box), []).append(line)
    for total in form8949_totals(lines):
        for line in groups[(total.part, total.box)]:
            writer.writerow([
                line.part, line.box, text_cell(line.description), line.acquired, line.sold,
                amount_text(line.proceeds), amount_text(line.cost), line.code,
                amount_text(line.adjustment), amount_text(line.gain), line.tx_hash,
                line.lot_id or ""])
        writer.writerow([
            total.part, total.box, "TOTAL", "", "", amount_text(total.proceeds),
            amount_text(total.cost), "", amount_text(total.adjustment), amount_text(total.gain),
            "", ""])
    return buffer.getvalue()
