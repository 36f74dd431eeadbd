"""Tax Exchange Format (TXF) version 042: Form 8949 lines as detail records that TurboTax,
H&R Block and other desktop tax programs import.

Layout (TXF spec V042, Intuit, change date 11/30/2011, section VII and example 2): a header
of `V042`, `A<program>`, `D<export date MM/DD/YYYY>`, `^`; then per line a detail record of
record format 4:

    TD                  type: detail
    N<refnum>           which part and box of Form 8949 (below)
    C1                  copy 1
    L1                  line 1
    P<description>      "0.5 ETH"
    D<date acquired>    MM/DD/YYYY
    D<date sold>        MM/DD/YYYY
    $<cost basis>       positive, as every program reads it (spec section IV)
    $<sales net>        the proceeds
    ^                   end of record

Cost comes before proceeds: the order the spec fixed in version 013 (Quicken's files once had
them the other way round). A line with a wash-sale adjustment (code "W" in column (f)) uses
record format 5: a third `$` with the disallowed loss. US disposals from taxscan never have
one; any other adjustment cannot be carried by TXF and is refused.

Refnums (spec section IV, 11/30/2011, and its Form 1099-B table):

    Form 8949 part I  (short-term)  box A 321   box B 711   box C 712
    Form 8949 part II (long-term)   box D 323   box E 713   box F 714

TXF V042 predates the digital-asset boxes of 2025 (G-L) and no refnum for them could be
found, so G/H/I use the A/B/C numbers (321/711/712) and J/K/L the D/E/F numbers
(323/713/714): the same term and the same "basis reported / not reported / no form" meaning.
A tax program importing them files the rows under A-F; for 2025 digital assets the box may
have to be changed to G-L there.

Line endings: the spec describes an ASCII file of one field per line and does not name a line
ending; TXF comes from Quicken and TurboTax for Windows, so lines end "\\r\\n", as in our CSVs
(the importers take "\\n" too). Amounts have no thousands separators ("1000.00"; the spec's
examples use both). Descriptions are one line: a line break would end the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scanner.formats.us.form8949 import Form8949Line, amount_text, one_line

VERSION = "V042"
PROGRAM = "taxscan"
REFNUMS = {
    "A": 321, "B": 711, "C": 712, "D": 323, "E": 713, "F": 714,
    "G": 321, "H": 711, "I": 712, "J": 323, "K": 713, "L": 714,  # no TXF numbers of their own
}
_PART_OF_BOX = {**dict.fromkeys("ABCGHI", "I"), **dict.fromkeys("DEFJKL", "II")}
NEWLINE = "\r\n"


def txf_text(lines: Sequence[Form8949Line], *, today: date) -> str:
    """The lines as a TXF V042 file exported on `today`, one detail record per line."""
    out = [VERSION, f"A{PROGRAM}", f"D{today.month:02d}/{today.day:02d}/{today.year:04d}", "^"]
    for line in lines:
        if line.box not in REFNUMS:
            raise ValueError(f"Form 8949 has no box {line.box!r}")
        if _PART_OF_BOX[line.box] != line.part:
            raise ValueError(f"box {line.box} is not in part {line.part}")
        out += ["TD", f"N{REFNUMS[line.box]}", "C1", "L1", f"P{one_line(line.description)}",
                f"D{line.acquired}", f"D{line.sold}", f"${amount_text(line.cost)}",
                f"${amount_text(line.proceeds)}"]
        if line.code == "W" and line.adjustment >= 0:
            out.append(f"${amount_text(line.adjustment)}")  # record format 5
        elif line.code or line.adjustment != 0:
            raise ValueError("TXF carries only a wash-sale adjustment (code W), not "
                             f"{line.code!r} {line.adjustment}")
        out.append("^")
    return NEWLINE.join(out) + NEWLINE

