"""Form 8949 as a PDF statement: the lines of `form8949_lines` laid out like the form's parts,
one section per part and box (each from a new page), columns (a) to (h), and the box totals
that Schedule D takes. It is a statement in the form's layout, to attach to the return or to
copy onto the official form, not the IRS form itself.

The core font Helvetica (Latin-1) is used, so no font file is needed; any other character
(an emoji in a token's symbol) is written as "?". The same lines and date give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from fpdf import FPDF

from scanner.formats.us.form8949 import (
    PART_LONG,
    PART_SHORT,
    BoxTotal,
    Form8949Line,
    amount_text,
    form8949_totals,
)

_FONT = "Helvetica"
_MARGIN = 10.0  # mm, every side
_FOOTER_SPACE = 14.0  # mm kept free at the bottom of a page for the footer
_ROW = 5.0  # mm, one table row
_HEAD_LINE = 3.4  # mm, one line of the column headings
_PAD = 1.0  # mm, fpdf2's cell margin: the space between a column's edge and its text
_ELLIPSIS = "..."

_PARTS = {
    PART_SHORT: ("Short-Term", "short-term",
                 "Transactions involving capital assets you held 1 year or less"),
    PART_LONG: ("Long-Term", "long-term",
                "Transactions involving capital assets you held more than 1 year"),
}
_B, _DA = "Form(s) 1099-B", "Form(s) 1099-DA"
_BOX_MEANINGS = {
    "A": f"reported on {_B} showing basis was reported to the IRS",
    "B": f"reported on {_B} showing basis wasn't reported to the IRS",
    "C": "not reported to you on Form 1099-B",
    "G": f"reported on {_DA} showing basis was reported to the IRS",
    "H": f"reported on {_DA} showing basis wasn't reported to the IRS",
    "I": "not reported to you on Form 1099-DA",
}
_BOX_MEANINGS |= {long: _BOX_MEANINGS[short] for short, long in zip("ABCGHI", "DEFJKL",
                                                                    strict=True)}

# (heading lines, width in mm, alignment); the widths fill the 259.4 mm between the margins
_COLUMNS: tuple[tuple[tuple[str, ...], float, str], ...] = (
    (("(a) Description of property",), 87.4, "L"),
    (("(b) Date acquired",), 23.0, "C"),
    (("(c) Date sold or", "disposed of"), 23.0, "C"),
    (("(d) Proceeds", "(sales price)"), 27.0, "R"),
    (("(e) Cost or", "other basis"), 27.0, "R"),
    (("(f) Code(s)",), 16.0, "C"),
    (("(g) Amount of", "adjustment"), 23.0, "R"),
    (("(h) Gain or (loss).", "Subtract (e) from (d)", "and combine with (g)"), 33.0, "R"),
)
_TOTAL_LABEL_WIDTH = sum(width for _, width, _ in _COLUMNS[:3])


def latin1(text: str) -> str:
    """`text` as a core font can write it: any character outside Latin-1, or a control
    character, becomes "?"."""
    return "".join(ch if ord(ch) < 256 and ch.isprintable() else "?" for ch in text)


def box_meaning(part: str, box: str) -> str:
    """The box line of a section: "Box I: short-term transactions not reported to you on Form
    1099-DA"."""
    term = _PARTS[part][1] if part in _PARTS else "part " + part
    meaning = _BOX_MEANINGS.get(box)
    return f"Box {box}: {term} transactions {meaning}" if meaning else f"Box {box}"


class _Statement(FPDF):
    """The pages, with the grey footer on each."""

    def __init__(self, year: int, generated: date) -> None:
        super().__init__(orientation="landscape", unit="mm", format="letter")
        self.year = year
        self.generated = generated
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_FOOTER_SPACE)
        self.set_creation_date(datetime(generated.year, generated.month, generated.day,
                                        tzinfo=UTC))
        self.set_title(f"Form 8949 ({year}) statement")
        self.set_creator("taxscan")
        self.c_margin = _PAD

    def footer(self) -> None:
        self.set_y(-_MARGIN - 2)
        self.set_font(_FONT, size=7)
        self.set_text_color(128)
        self.cell(0, 4, f"taxscan statement in the format of Form 8949, tax year {self.year}"
                        f" - page {self.page_no()} of {{nb}}"
                        f" - generated {self.generated.isoformat()}", align="C")
        self.set_text_color(0)


def form8949_pdf(lines: Sequence[Form8949Line], year: int, *, generated: date) -> bytes:
    """Form 8949 of `year` as a PDF statement: a section per (part, box) in the order of
    `form8949_totals`, each ending in its box's totals; "No disposals" when there are none."""
    pdf = _Statement(year, generated)
    groups: dict[tuple[str, str], list[Form8949Line]] = {}
    for line in lines:
        groups.setdefault((line.part, line.box), []).append(line)
    totals = form8949_totals(lines)
    if not totals:
        pdf.add_page()
        _title(pdf, f"Form 8949 ({year})  Sales and Other Dispositions of Capital Assets")
        _text(pdf, f"No disposals in {year}.", size=10)
    for total in totals:
        _section(pdf, groups[(total.part, total.box)], total)
    return bytes(pdf.output())


def _section(pdf: _Statement, lines: Sequence[Form8949Line], total: BoxTotal) -> None:
    _section_page(pdf, total, continued=False)
    for line in lines:
        if pdf.will_page_break(_ROW):
            _section_page(pdf, total, continued=True)
        cells = (line.description, line.acquired, line.sold, amount_text(line.proceeds),
                 amount_text(line.cost), line.code,
                 "" if not line.code and line.adjustment == 0 else amount_text(line.adjustment),
                 amount_text(line.gain))
        pdf.set_font(_FONT, size=8)
        for text, (_, width, align) in zip(cells, _COLUMNS, strict=True):
            _cell(pdf, width, text, align)
        pdf.ln(_ROW)
    if pdf.will_page_break(_ROW):
        _section_page(pdf, total, continued=True)
    pdf.set_font(_FONT, style="B", size=8)
    _cell(pdf, _TOTAL_LABEL_WIDTH,
          f"Totals for box {total.box} (add columns (d), (e), (g) and (h))", "L")
    for text, (_, width, align) in zip(
            (amount_text(total.proceeds), amount_text(total.cost), "",
             amount_text(total.adjustment), amount_text(total.gain)), _COLUMNS[3:], strict=True):
        _cell(pdf, width, text, align)
    pdf.ln(_ROW)


def _section_page(pdf: _Statement, total: BoxTotal, *, continued: bool) -> None:
    """A new page with the part's heading, the box and the column headings."""
    pdf.add_page()
    name, _, held = _PARTS.get(total.part, (f"Part {total.part}", "", ""))
    _title(pdf, f"Form 8949 ({pdf.year})  Part {total.part}  {name}. {held}")
    _text(pdf, box_meaning(total.part, total.box) + (" (continued)" if continued else ""),
          size=9)
    if not continued:
        _text(pdf, "Name(s) shown on return: ____________________________________    Social "
                   "security number or taxpayer identification number: ____________________",
              size=8)
        _text(pdf, "Attach as a statement or transcribe onto the official form.", size=8)
    pdf.ln(2)
    _column_headings(pdf)


def _title(pdf: FPDF, text: str) -> None:
    pdf.set_font(_FONT, style="B", size=11)
    pdf.cell(0, 7, latin1(text))
    pdf.ln(7)


def _text(pdf: FPDF, text: str, *, size: float) -> None:
    pdf.set_font(_FONT, size=size)
    pdf.cell(0, 5, latin1(text))
    pdf.ln(5)


def _column_headings(pdf: FPDF) -> None:
    """The heading row: a line of every column at a time, in a grey band with borders."""
    depth = max(len(heading) for heading, _, _ in _COLUMNS)
    top, left = pdf.get_y(), pdf.get_x()
    pdf.set_fill_color(225)
    pdf.set_draw_color(160)
    pdf.set_line_width(0.2)
    x = left
    for _, width, _ in _COLUMNS:
        pdf.rect(x, top, width, depth * _HEAD_LINE + 1, style="DF")
        x += width
    pdf.set_font(_FONT, style="B", size=7)
    pdf.set_y(top + 0.5)
    for row in range(depth):
        for heading, width, _ in _COLUMNS:
            pdf.cell(width, _HEAD_LINE, heading[row] if row < len(heading) else "", align="C")
        pdf.ln(_HEAD_LINE)
    pdf.set_y(top + depth * _HEAD_LINE + 1)


def _cell(pdf: FPDF, width: float, text: str, align: str) -> None:
    """One cell of the table on one line: a description too long is cut short with "...",
    an amount too wide is written smaller (an amount is never cut)."""
    text = latin1(text)
    room = width - 2 * _PAD
    if align == "L":
        text = _truncate(pdf, text, room)
    size = pdf.font_size_pt
    while pdf.get_string_width(text) > room and pdf.font_size_pt > 4:
        pdf.set_font_size(pdf.font_size_pt - 0.5)
    pdf.cell(width, _ROW, text, border="B", align=align)
    pdf.set_font_size(size)


def _truncate(pdf: FPDF, text: str, room: float) -> str:
    if pdf.get_string_width(text) <= room:
        return text
    fits, too_long = 0, len(text)  # the longest prefix that fits with the "...", by halving
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if pdf.get_string_width(text[:middle] + _ELLIPSIS) <= room:
            fits = middle
        else:
            too_long = middle
    return text[:fits].rstrip() + _ELLIPSIS

