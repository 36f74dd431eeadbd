"""Form 8949 as a PDF statement: sections, rows, totals, pages, text safety, determinism."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from scanner.formats.us.form8949 import Form8949Line, amount_text, form8949_lines, form8949_totals
from scanner.formats.us.form8949_pdf import form8949_pdf, latin1
from scanner.ledger.records import Kind
from scanner.tax.records import Disposal, Term
from tests.unit.builders import ETH, TKN, WALLET, day

D = Decimal
GENERATED = date(2026, 2, 14)
HEADING = ("(a) Description of property (b) Date acquired (c) Date sold or (d) Proceeds "
           "(e) Cost or (f) Code(s) (g) Amount of (h) Gain or (loss).")
TOTALS = "Totals for box {} (add columns (d), (e), (g) and (h))"
FOOTER = re.compile(r"taxscan statement in the format of Form 8949, tax year (\d{4}) - "
                    r"page (\d+) of (\d+) - generated (\d{4}-\d{2}-\d{2})")


def disposal(acquired: datetime, disposed: datetime, proceeds: str, basis: str, *,
             term: Term = Term.SHORT, symbol: str | None = "ETH", quantity: str = "1",
             n: int = 0, asset: str = ETH) -> Disposal:
    return Disposal(
        wallet=WALLET, asset=asset, symbol=symbol, quantity=D(quantity), acquired=acquired,
        disposed=disposed, proceeds_usd=D(proceeds), cost_basis_usd=D(basis), term=term,
        tx_hash="0x" + format(n, "064x"), lot_id=f"lot:{n}", kind=Kind.TRADE, rule="fifo")


def many(year: int, short: int = 120, long: int = 70) -> list[Disposal]:
    """`short` short-term and `long` long-term sales of `year`, every proceeds distinct, about
    a third of them at a loss, one of a token whose symbol is an emoji and Chinese."""
    disposals = []
    for n in range(short + long):
        proceeds = D(1000 + 37 * n) + D("0.125")  # rounds half up to .13
        basis = proceeds + D(50) if n % 3 == 0 else proceeds - D("12.3")
        term = Term.SHORT if n < short else Term.LONG
        acquired = day(year, 1, 1 + n % 28) if term is Term.SHORT \
            else day(year - 2, 1 + n % 12, 1)
        disposals.append(disposal(acquired, day(year, 2 + n % 10, 1 + n % 28), str(proceeds),
                                  str(basis), term=term, quantity=f"0.{n + 1}", n=n))
    disposals.append(disposal(day(year, 1, 5), day(year, 3, 6), "7.77", "9.99",
                              symbol="🚀币MOON", asset=TKN, n=10_000))
    return disposals


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def row(line: Form8949Line) -> str:
    """A line's row as pypdf extracts it, from the dates on (the description may be cut)."""
    cells = [line.acquired, line.sold, amount_text(line.proceeds), amount_text(line.cost)]
    if line.code or line.adjustment:
        cells += [line.code, amount_text(line.adjustment)]
    return " ".join([*cells, amount_text(line.gain)])


@pytest.fixture(scope="module")
def lines_2025() -> list[Form8949Line]:
    return form8949_lines(many(2025), 2025)


@pytest.fixture(scope="module")
def pdf_2025(lines_2025: list[Form8949Line]) -> bytes:
    return form8949_pdf(lines_2025, 2025, generated=GENERATED)


def test_every_line_is_one_row_with_its_figures_once(
    lines_2025: list[Form8949Line], pdf_2025: bytes,
) -> None:
    rows = "\n".join(pages_text(pdf_2025)).splitlines()
    assert len(lines_2025) == 191
    for line in lines_2025:
        matching = [text for text in rows if text.endswith(row(line))]
        assert len(matching) == 1, row(line)
        assert amount_text(line.proceeds) in matching[0]
    assert any(x.gain < 0 and row(x).endswith(" -" + amount_text(-x.gain)) for x in lines_2025)


def test_sections_follow_the_totals_each_from_a_new_page_ending_in_its_totals(
    lines_2025: list[Form8949Line], pdf_2025: bytes,
) -> None:
    pages = pages_text(pdf_2025)
    short, long = form8949_totals(lines_2025)
    assert (short.part, short.box, long.part, long.box) == ("I", "I", "II", "L")
    short_pages = [p for p in pages if "Box I: short-term transactions not reported to you on "
                                       "Form 1099-DA" in p]
    long_pages = [p for p in pages if "Box L: long-term transactions not reported to you on "
                                      "Form 1099-DA" in p]
    assert pages == short_pages + long_pages
    assert len(short_pages) > 1 and len(long_pages) > 1
    assert all(p.startswith("Form 8949 (2025)  Part I  Short-Term. Transactions involving "
                            "capital assets you held 1 year or less\n") for p in short_pages)
    assert all(p.startswith("Form 8949 (2025)  Part II  Long-Term. Transactions involving "
                            "capital assets you held more than 1 year\n") for p in long_pages)
    for total, section in ((short, short_pages), (long, long_pages)):
        expected = (f"{TOTALS.format(total.box)} {amount_text(total.proceeds)} "
                    f"{amount_text(total.cost)} 0.00 {amount_text(total.gain)}")
        assert expected in section[-1].splitlines()
        assert all(TOTALS.format(total.box) not in p for p in section[:-1])
    # the totals add the rows: the figures the PDF shows for the lines sum to its total row
    text = "\n".join(short_pages)
    shown = [D(x) for x in re.findall(r"^.* \d\d/\d\d/\d{4} \d\d/\d\d/2025 (\S+) ", text, re.M)]
    assert len(shown) == short.count and sum(shown) == short.proceeds


def test_the_heading_row_repeats_on_every_page_and_continuations_say_so(
    pdf_2025: bytes,
) -> None:
    pages = pages_text(pdf_2025)
    for page in pages:
        assert HEADING in page.splitlines()
    firsts = [n for n, p in enumerate(pages) if "(continued)" not in p]
    assert firsts == [0, next(n for n, p in enumerate(pages) if "Box L" in p)]
    assert all("Attach as a statement or transcribe onto the official form." in pages[n]
               for n in firsts)
    continued = pages[1].splitlines()
    assert continued[1].endswith("Form 1099-DA (continued)")
    assert continued.index(HEADING) < next(n for n, text in enumerate(continued)
                                           if "/2025" in text)


def test_every_page_has_the_footer_with_its_number_of_the_total(pdf_2025: bytes) -> None:
    pages = pages_text(pdf_2025)
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        (found,) = FOOTER.findall(page)
        assert found == ("2025", str(number), str(len(pages)), "2026-02-14")


def test_boxes_a_to_f_before_2025_with_their_meanings() -> None:
    text = "\n".join(pages_text(form8949_pdf(
        form8949_lines(many(2024, 5, 5), 2024), 2024, generated=GENERATED)))
    assert "Box C: short-term transactions not reported to you on Form 1099-B\n" in text
    assert "Box F: long-term transactions not reported to you on Form 1099-B\n" in text
    assert "Form 8949 (2024)  Part I" in text and "Box I" not in text and "Box L" not in text
    assert TOTALS.format("C") in text and TOTALS.format("F") in text
    assert "1099-DA" not in text


@pytest.mark.parametrize(("year", "reported", "short", "long"), [
    (2024, "basis", "Box A: short-term transactions reported on Form(s) 1099-B showing basis "
                    "was reported to the IRS",
     "Box D: long-term transactions reported on Form(s) 1099-B showing basis was reported to "
     "the IRS"),
    (2024, "no-basis", "Box B: short-term transactions reported on Form(s) 1099-B showing "
                       "basis wasn't reported to the IRS",
     "Box E: long-term transactions reported on Form(s) 1099-B showing basis wasn't reported "
     "to the IRS"),
    (2025, "basis", "Box G: short-term transactions reported on Form(s) 1099-DA showing basis "
                    "was reported to the IRS",
     "Box J: long-term transactions reported on Form(s) 1099-DA showing basis was reported to "
     "the IRS"),
    (2025, "no-basis", "Box H: short-term transactions reported on Form(s) 1099-DA showing "
                       "basis wasn't reported to the IRS",
     "Box K: long-term transactions reported on Form(s) 1099-DA showing basis wasn't "
     "reported to the IRS"),
])
def test_each_box_says_what_it_means(year: int, reported: str, short: str, long: str) -> None:
    lines = form8949_lines(many(year, 2, 2), year, reported=reported)
    pages = pages_text(form8949_pdf(lines, year, generated=GENERATED))
    assert [p.splitlines()[1] for p in pages] == [short, long]


def test_the_same_lines_give_the_same_bytes_and_the_date_is_the_one_given(
    lines_2025: list[Form8949Line], pdf_2025: bytes,
) -> None:
    assert form8949_pdf(lines_2025, 2025, generated=GENERATED) == pdf_2025
    later = form8949_pdf(lines_2025, 2025, generated=date(2026, 3, 1))
    assert later != pdf_2025
    assert "generated 2026-03-01" in pages_text(later)[0]
    created = PdfReader(io.BytesIO(pdf_2025)).metadata
    assert created is not None and created.creation_date is not None
    assert created.creation_date.date() == GENERATED


@pytest.mark.parametrize("year", [2024, 2025])
def test_no_lines_is_one_page_saying_so(year: int) -> None:
    data = form8949_pdf([], year, generated=GENERATED)
    (page,) = pages_text(data)
    assert f"No disposals in {year}." in page
    assert FOOTER.findall(page) == [(str(year), "1", "1", "2026-02-14")]
    assert "Totals" not in page


def test_characters_a_core_font_lacks_become_question_marks(
    lines_2025: list[Form8949Line], pdf_2025: bytes,
) -> None:
    (moon,) = [x for x in lines_2025 if "MOON" in x.description]
    assert moon.description == "1 🚀币MOON"
    text = "\n".join(pages_text(pdf_2025))
    assert f"1 ??MOON {row(moon)}" in text.splitlines()
    assert latin1("café 🚀 币\x00\x07\u200b\tx") == "café ? ?????x"


def test_a_long_description_is_cut_short_on_its_one_line_and_codes_show_when_present() -> None:
    long_name = "A-VERY-LONG-TOKEN-NAME-" * 20
    lines = [
        Form8949Line(part="I", box="I", description=f"5 {long_name}", acquired="01/02/2025",
                     sold="03/04/2025", proceeds=D("10.00"), cost=D("4.00"), tx_hash="0x1",
                     lot_id=None),
        Form8949Line(part="I", box="I", description="2 ÉTH\x07", acquired="01/03/2025",
                     sold="03/05/2025", proceeds=D("99999999999.99"), cost=D("1.00"),
                     code="W", adjustment=D("5.00"), tx_hash="0x2", lot_id=None),
    ]
    (page,) = pages_text(form8949_pdf(lines, 2025, generated=GENERATED))
    rows = page.splitlines()
    (cut,) = [text for text in rows if text.endswith(row(lines[0]))]
    description = cut.removesuffix(" " + row(lines[0]))
    assert description.endswith("...") and long_name.startswith(description[2:-3])
    assert 20 < len(description) < 80
    assert "2 ÉTH? 01/03/2025 03/05/2025 99999999999.99 1.00 W 5.00 100000000003.99" in rows
    assert (f"{TOTALS.format('I')} 100000000009.99 5.00 5.00 100000000009.99") in rows
