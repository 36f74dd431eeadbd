"""US tax-form exports: Form 8949 lines and CSV, Schedule D, TurboTax CSV, TXF."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.errors import UserInputError
from scanner.formats.us.form8949 import (
    BoxTotal,
    Form8949Line,
    amount_text,
    form8949_csv,
    form8949_lines,
    form8949_totals,
)
from scanner.formats.us.schedule_d import ScheduleDLine, schedule_d_csv, schedule_d_lines
from scanner.formats.us.turbotax import turbotax_csv
from scanner.formats.us.txf import txf_text
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.lots import compute_lots
from scanner.tax.netting import Netting, net_year
from scanner.tax.records import Disposal, Term
from tests.unit.builders import ETH, TKN, USDC, WALLET, day, leg

D = Decimal
TX1, TX2, TX3 = "0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 32
REFUSAL = ("{} in {} {} unknown basis or proceeds: import prices (`taxscan prices missing`) "
           "or the missing history before exporting")


def disposal(acquired: datetime | None, disposed: datetime, proceeds: str | None,
             basis: str | None, *, term: Term | None = Term.SHORT, symbol: str | None = "ETH",
             quantity: str = "1", tx: str = TX1, lot: str | None = "lot:1",
             kind: Kind = Kind.TRADE, asset: str = ETH) -> Disposal:
    return Disposal(
        wallet=WALLET, asset=asset, symbol=symbol, quantity=D(quantity), acquired=acquired,
        disposed=disposed, proceeds_usd=None if proceeds is None else D(proceeds),
        cost_basis_usd=None if basis is None else D(basis), term=term, tx_hash=tx,
        lot_id=lot, kind=kind, rule="fifo")


def line(part: str, box: str, description: str, acquired: str, sold: str, proceeds: str,
         cost: str, tx: str, lot: str | None) -> Form8949Line:
    return Form8949Line(part=part, box=box, description=description, acquired=acquired,
                        sold=sold, proceeds=D(proceeds), cost=D(cost), tx_hash=tx, lot_id=lot)


def sample(year: int) -> list[Disposal]:
    """A long-term sale, a short-term sale and its gas, and a sale of another year."""
    return [
        disposal(day(year - 2, 3, 4), day(year, 5, 6), "1500.004", "1000.005", term=Term.LONG,
                 quantity="0.500", tx=TX1, lot="lot:a"),
        disposal(day(year, 1, 2), day(year, 2, 3), "20", "23", symbol="TKN", asset=TKN,
                 quantity="100", tx=TX2, lot="lot:b"),
        disposal(day(year - 1, 12, 1), day(year, 2, 3), "1.234", "0.5", quantity="0.0004",
                 tx=TX2, lot="lot:c", kind=Kind.FEE),
        disposal(day(year - 1, 1, 1), day(year - 1, 6, 1), "10", "5", tx=TX3, lot="lot:d"),
    ]


# ---- Form 8949 lines -------------------------------------------------------------------


def test_lines_of_2024_go_to_boxes_c_and_f_with_every_column() -> None:
    lines = form8949_lines(sample(2024), 2024)
    assert lines == [
        line("I", "C", "0.0004 ETH", "12/01/2023", "02/03/2024", "1.23", "0.50", TX2, "lot:c"),
        line("I", "C", "100 TKN", "01/02/2024", "02/03/2024", "20.00", "23.00", TX2, "lot:b"),
        line("II", "F", "0.5 ETH", "03/04/2022", "05/06/2024", "1500.00", "1000.01", TX1,
             "lot:a"),
    ]
    gas, sale, long_sale = lines
    assert (gas.code, gas.adjustment, gas.gain) == ("", D(0), D("0.73"))
    assert (sale.code, sale.adjustment, sale.gain) == ("", D(0), D("-3.00"))
    assert (long_sale.code, long_sale.adjustment, long_sale.gain) == ("", D(0), D("499.99"))


@pytest.mark.parametrize(("year", "reported", "short", "long"), [
    (2024, "none", "C", "F"), (2024, "basis", "A", "D"), (2024, "no-basis", "B", "E"),
    (2025, "none", "I", "L"), (2025, "basis", "G", "J"), (2025, "no-basis", "H", "K"),
    (2026, "none", "I", "L"), (2019, "none", "C", "F"),
])
def test_boxes_follow_the_year_and_what_a_1099_reported(
    year: int, reported: str, short: str, long: str,
) -> None:
    lines = form8949_lines(sample(year), year, reported=reported)
    assert [(x.part, x.box) for x in lines] == [("I", short), ("I", short), ("II", long)]


def test_the_default_is_no_1099() -> None:
    assert {x.box for x in form8949_lines(sample(2025), 2025)} == {"I", "L"}


def test_an_unknown_reporting_choice_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="reported 'yes'"):
        form8949_lines(sample(2025), 2025, reported="yes")


def test_lines_are_ordered_by_part_date_sold_date_acquired_and_tx() -> None:
    disposals = [
        disposal(day(2023, 1, 1), day(2025, 3, 1), "1", "1", term=Term.LONG, tx=TX1),
        disposal(day(2025, 2, 1), day(2025, 3, 1), "1", "1", tx=TX2),
        disposal(day(2025, 1, 1), day(2025, 3, 1), "1", "1", tx=TX3),
        disposal(day(2025, 1, 1), day(2025, 3, 1), "1", "1", tx=TX1),
        disposal(day(2025, 1, 1), day(2025, 2, 1), "1", "1", tx=TX3),
    ]
    assert [(x.part, x.sold, x.acquired, x.tx_hash) for x in form8949_lines(disposals, 2025)] \
        == [("I", "02/01/2025", "01/01/2025", TX3), ("I", "03/01/2025", "01/01/2025", TX1),
            ("I", "03/01/2025", "01/01/2025", TX3), ("I", "03/01/2025", "02/01/2025", TX2),
            ("II", "03/01/2025", "01/01/2023", TX1)]


def test_the_year_and_the_dates_are_those_of_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    late = datetime(2024, 12, 31, 20, tzinfo=new_york)  # 01/01/2025 01:00 UTC
    disposals = [disposal(datetime(2024, 6, 30, 22, tzinfo=new_york), late, "2", "1")]
    assert form8949_lines(disposals, 2024) == []
    (only,) = form8949_lines(disposals, 2025)
    assert (only.acquired, only.sold) == ("07/01/2024", "01/01/2025")


def test_the_description_is_the_quantity_and_the_symbol_else_the_asset_id() -> None:
    disposals = [
        disposal(day(2025, 1, 1), day(2025, 2, 1), "1", "1", symbol=None, asset=TKN,
                 quantity="2.50", tx=TX1),
        disposal(day(2025, 1, 1), day(2025, 2, 1), "1", "1", symbol="", quantity="1E+3",
                 tx=TX2),
        disposal(day(2025, 1, 1), day(2025, 2, 1), "1", "1", symbol="BAD\r\nTOKEN\t ",
                 quantity="0.000000000000000001", tx=TX3),
    ]
    assert [x.description for x in form8949_lines(disposals, 2025)] == [
        f"2.5 {TKN}", f"1000 {ETH}", "0.000000000000000001 BAD TOKEN"]


def test_money_is_rounded_half_up_per_line_and_totals_add_the_rounded_lines() -> None:
    disposals = [disposal(day(2025, 1, 1), day(2025, 2, 1), "0.005", "0.0049", tx=tx)
                 for tx in (TX1, TX2, TX3)]
    lines = form8949_lines(disposals, 2025)
    assert [(x.proceeds, x.cost, x.gain) for x in lines] == [(D("0.01"), D("0.00"), D("0.01"))] * 3
    assert form8949_totals(lines) == [BoxTotal(part="I", box="I", proceeds=D("0.03"),
                                               cost=D("0.00"), adjustment=D(0),
                                               gain=D("0.03"), count=3)]


def test_unknown_figures_refuse_the_year_once_naming_how_many() -> None:
    year = sample(2024)
    unknown = [
        disposal(None, day(2024, 7, 1), "5", None, term=None, lot=None, tx=TX1),
        disposal(day(2024, 1, 1), day(2024, 7, 2), None, "3", tx=TX2),
        disposal(day(2024, 1, 1), day(2024, 7, 3), "5", "3", term=None, tx=TX3),
        disposal(None, day(2023, 7, 1), "5", None, term=None, lot=None),  # another year
    ]
    for export in (lambda: form8949_lines(year + unknown, 2024),
                   lambda: turbotax_csv(year + unknown, 2024)):
        with pytest.raises(UserInputError) as caught:
            export()
        assert str(caught.value) == REFUSAL.format("3 disposals", 2024, "have")
    with pytest.raises(UserInputError) as caught:
        form8949_lines(sample(2023) + unknown, 2023)
    assert str(caught.value) == REFUSAL.format("1 disposal", 2023, "has")
    assert len(form8949_lines(sample(2025) + unknown, 2025)) == 3  # other years do not count


def test_lines_from_the_lot_engine_include_gas_and_stablecoin_spends() -> None:
    def tx_of(when: datetime) -> str:
        return "0x" + format(int(when.timestamp()), "064x")

    def trade(when: datetime, give: tuple[str, str, int], get: tuple[str, str, int],
              usd: str) -> list[LedgerEntry]:
        return [leg(when, Kind.TRADE, give[0], f"-{give[1]}", usd, tx=tx_of(when), key="log:0",
                    decimals=give[2]),
                leg(when, Kind.TRADE, get[0], get[1], usd, tx=tx_of(when), key="log:1",
                    decimals=get[2])]

    sold = day(2024, 9, 1)
    entries = [
        leg(day(2023, 1, 1), Kind.TRANSFER_IN, ETH, "1", "1000", key="native"),
        leg(day(2023, 1, 1), Kind.TRANSFER_IN, USDC, "10000", "10000", key="log:9", decimals=6),
        *trade(day(2023, 1, 2), (USDC, "100", 6), (TKN, "10", 18), "100"),
        *trade(day(2024, 6, 1), (USDC, "300", 6), (TKN, "10", 18), "300"),
        *trade(sold, (TKN, "15", 18), (USDC, "600.004", 6), "600.004"),
        leg(sold, Kind.FEE, ETH, "-0.001", "2.50", tx=tx_of(sold), key="gas", counterparty=None),
    ]
    book = compute_lots(entries, purchase_currencies={USDC})
    deposit, second_buy, sale = tx_of(day(2023, 1, 1)), tx_of(day(2024, 6, 1)), tx_of(sold)
    first_buy = tx_of(day(2023, 1, 2))
    assert form8949_lines(book.disposals, 2024) == [
        line("I", "C", "5 0x1111", "06/01/2024", "09/01/2024", "199.17", "150.00", sale,
             f"{second_buy}:log:1"),
        line("II", "F", "300 0xa0b8", "01/01/2023", "06/01/2024", "300.00", "300.00",
             second_buy, f"{deposit}:log:9"),
        line("II", "F", "0.001 60", "01/01/2023", "09/01/2024", "2.50", "1.00", sale,
             f"{deposit}:native"),
        line("II", "F", "10 0x1111", "01/02/2023", "09/01/2024", "398.33", "100.00", sale,
             f"{first_buy}:log:1"),
    ]
    # The sale of 15 TKN is one sale of 600.004 - 2.50 gas = 597.504 -> 597.50, shared by
    # its two lots (largest remainder): 199.168 and 398.336 round down to 199.16 and 398.33
    # (597.49); the cent left goes to the larger remainder, 0.008: 199.17 + 398.33 = 597.50.
    assert [x.description for x in form8949_lines(book.disposals, 2023)] == ["100 0xa0b8"]


# ---- Form 8949 CSV ---------------------------------------------------------------------


def test_csv_has_each_box_with_its_total_row() -> None:
    text = form8949_csv(form8949_lines(sample(2025), 2025))
    assert text.split("\r\n") == [
        "part,box,description,date_acquired,date_sold,proceeds,cost_basis,code,adjustment,gain,"
        "tx_hash,lot_id",
        f"I,I,0.0004 ETH,12/01/2024,02/03/2025,1.23,0.50,,0.00,0.73,{TX2},lot:c",
        f"I,I,100 TKN,01/02/2025,02/03/2025,20.00,23.00,,0.00,-3.00,{TX2},lot:b",
        "I,I,TOTAL,,,21.23,23.50,,0.00,-2.27,,",
        f"II,L,0.5 ETH,03/04/2023,05/06/2025,1500.00,1000.01,,0.00,499.99,{TX1},lot:a",
        "II,L,TOTAL,,,1500.00,1000.01,,0.00,499.99,,",
        "",
    ]


def test_csv_of_no_lines_is_the_header() -> None:
    assert form8949_csv([]) == ("part,box,description,date_acquired,date_sold,proceeds,"
                                "cost_basis,code,adjustment,gain,tx_hash,lot_id\r\n")


def test_csv_keeps_a_spreadsheet_from_running_a_description() -> None:
    odd = Form8949Line(part="I", box="I", description="=1+1", acquired="01/01/2025",
                       sold="01/02/2025", proceeds=D(1), cost=D(1), tx_hash=TX1, lot_id=None)
    assert form8949_csv([odd]).split("\r\n")[1] == \
        f"I,I,'=1+1,01/01/2025,01/02/2025,1.00,1.00,,0.00,0.00,{TX1},"


def test_totals_are_per_part_and_box() -> None:
    lines = form8949_lines(sample(2024), 2024) + form8949_lines(sample(2024), 2024,
                                                                reported="basis")
    assert form8949_totals(lines) == [
        BoxTotal("I", "A", D("21.23"), D("23.50"), D(0), D("-2.27"), 2),
        BoxTotal("I", "C", D("21.23"), D("23.50"), D(0), D("-2.27"), 2),
        BoxTotal("II", "D", D("1500.00"), D("1000.01"), D(0), D("499.99"), 1),
        BoxTotal("II", "F", D("1500.00"), D("1000.01"), D(0), D("499.99"), 1),
    ]


def test_amounts_have_two_places_and_no_negative_zero() -> None:
    assert [amount_text(D(x)) for x in ("1234.5", "-3", "-0.001", "0", "1E+2", "2.675")] == \
        ["1234.50", "-3.00", "0.00", "0.00", "100.00", "2.68"]


# ---- Schedule D ------------------------------------------------------------------------


def netted(lines: list[Form8949Line], year: int) -> Netting:
    """The netting of the lines' parts, with nothing carried in (single)."""
    return net_year(year, sum((x.gain for x in lines if x.part == "I"), D(0)),
                    sum((x.gain for x in lines if x.part == "II"), D(0)))


def test_schedule_d_lines_of_2025() -> None:
    lines = (form8949_lines(sample(2025), 2025)
             + form8949_lines(sample(2025), 2025, reported="basis"))
    assert schedule_d_lines(form8949_totals(lines), netted(lines, 2025)) == [
        ScheduleDLine("1b", "Short-term totals from Forms 8949 with box A or G checked",
                      D("21.23"), D("23.50"), D(0), D("-2.27")),
        ScheduleDLine("3", "Short-term totals from Forms 8949 with box C or I checked",
                      D("21.23"), D("23.50"), D(0), D("-2.27")),
        ScheduleDLine("6", "Short-term capital loss carryover (Capital Loss Carryover Worksheet "
                      "line 8)", None, None, None, D(0)),
        ScheduleDLine("7", "Net short-term capital gain or (loss): lines 1b, 2, 3 and 6 (lines 4 "
                      "and 5 not included)", None, None, None, D("-4.54")),
        ScheduleDLine("8b", "Long-term totals from Forms 8949 with box D or J checked",
                      D("1500.00"), D("1000.01"), D(0), D("499.99")),
        ScheduleDLine("10", "Long-term totals from Forms 8949 with box F or L checked",
                      D("1500.00"), D("1000.01"), D(0), D("499.99")),
        ScheduleDLine("14", "Long-term capital loss carryover (Capital Loss Carryover Worksheet "
                      "line 13)", None, None, None, D(0)),
        ScheduleDLine("15", "Net long-term capital gain or (loss): lines 8b, 9, 10 and 14 (lines "
                      "11-13 not included)", None, None, None, D("999.98")),
        ScheduleDLine("16", "Combine lines 7 and 15", None, None, None, D("995.44")),
        ScheduleDLine("worksheet 8", "Short-term capital loss carryover to 2026 (Capital Loss "
                      "Carryover Worksheet line 8; 2026 line 6)", None, None, None, D(0)),
        ScheduleDLine("worksheet 13", "Long-term capital loss carryover to 2026 (Capital Loss "
                      "Carryover Worksheet line 13; 2026 line 14)", None, None, None, D(0)),
    ]


def test_schedule_d_csv_of_2024_short_term_only() -> None:
    lines = [x for x in form8949_lines(sample(2024), 2024, reported="no-basis") if x.part == "I"]
    text = schedule_d_csv(schedule_d_lines(form8949_totals(lines), netted(lines, 2024)))
    assert text.split("\r\n") == [
        "line,description,proceeds,cost_basis,adjustment,gain",
        "2,Short-term totals from Forms 8949 with box B checked,21.23,23.50,0.00,-2.27",
        "6,Short-term capital loss carryover (Capital Loss Carryover Worksheet line 8),,,,0.00",
        '7,"Net short-term capital gain or (loss): lines 1b, 2, 3 and 6 (lines 4 and 5 not '
        'included)",,,,-2.27',
        "14,Long-term capital loss carryover (Capital Loss Carryover Worksheet line 13),,,,0.00",
        '15,"Net long-term capital gain or (loss): lines 8b, 9, 10 and 14 (lines 11-13 not '
        'included)",,,,0.00',
        "16,Combine lines 7 and 15,,,,-2.27",
        '21,"The smaller of the loss on line 16 or (3,000) (single)",,,,-2.27',
        "worksheet 8,Short-term capital loss carryover to 2025 (Capital Loss Carryover Worksheet "
        "line 8; 2025 line 6),,,,0.00",
        "worksheet 13,Long-term capital loss carryover to 2025 (Capital Loss Carryover Worksheet "
        "line 13; 2025 line 14),,,,0.00",
        "",
    ]


def test_schedule_d_of_nothing_is_zero_lines_6_7_14_15_16_and_no_carryover() -> None:
    assert [(x.line, x.gain) for x in schedule_d_lines([], net_year(2025, D(0), D(0)))] == [
        ("6", D(0)), ("7", D(0)), ("14", D(0)), ("15", D(0)), ("16", D(0)),
        ("worksheet 8", D(0)), ("worksheet 13", D(0))]


def test_schedule_d_refuses_boxes_that_do_not_exist_and_a_netting_of_other_totals() -> None:
    with pytest.raises(ValueError, match="box I exists from tax year 2025"):
        schedule_d_lines([BoxTotal("I", "I", D(1), D(1), D(0), D(0), 1)],
                         net_year(2024, D(0), D(0)))
    with pytest.raises(ValueError, match="box C belongs to part I"):
        schedule_d_lines([BoxTotal("II", "C", D(1), D(1), D(0), D(0), 1)],
                         net_year(2024, D(0), D(0)))
    with pytest.raises(ValueError, match="no box 'Z'"):
        schedule_d_lines([BoxTotal("I", "Z", D(1), D(1), D(0), D(0), 1)],
                         net_year(2024, D(0), D(0)))
    with pytest.raises(ValueError, match="the netting of 2024 is not that of these"):
        schedule_d_lines([BoxTotal("I", "C", D(2), D(1), D(0), D(1), 1)],
                         net_year(2024, D(0), D(1)))


# ---- TurboTax --------------------------------------------------------------------------


def test_turbotax_csv_rows() -> None:
    guarded = disposal(day(2025, 3, 1), day(2025, 3, 2), "4", "2", symbol="=cmd()", tx=TX3)
    assert turbotax_csv([*sample(2025), guarded], 2025).split("\r\n") == [
        "Currency Name,Purchase Date,Cost Basis,Date Sold,Proceeds",
        "ETH,12/01/2024,0.50,02/03/2025,1.23",
        "TKN,01/02/2025,23.00,02/03/2025,20.00",
        "'=cmd(),03/01/2025,2.00,03/02/2025,4.00",
        "ETH,03/04/2023,1000.01,05/06/2025,1500.00",
        "",
    ]


def test_turbotax_csv_of_a_year_without_disposals_is_the_header() -> None:
    assert turbotax_csv(sample(2025), 2030) == \
        "Currency Name,Purchase Date,Cost Basis,Date Sold,Proceeds\r\n"


# ---- TXF -------------------------------------------------------------------------------


def test_txf_records_for_a_short_and_a_long_line() -> None:
    lines = [x for x in form8949_lines(sample(2024), 2024) if x.description != "100 TKN"]
    assert txf_text(lines, today=date(2025, 2, 14)) == "\r\n".join([
        "V042", "Ataxscan", "D02/14/2025", "^",
        "TD", "N712", "C1", "L1", "P0.0004 ETH", "D12/01/2023", "D02/03/2024", "$0.50", "$1.23",
        "^",
        "TD", "N714", "C1", "L1", "P0.5 ETH", "D03/04/2022", "D05/06/2024", "$1000.01",
        "$1500.00", "^",
    ]) + "\r\n"


@pytest.mark.parametrize(("reported", "year", "refnums"), [
    ("basis", 2024, ["N321", "N321", "N323"]), ("no-basis", 2024, ["N711", "N711", "N713"]),
    ("none", 2024, ["N712", "N712", "N714"]), ("basis", 2025, ["N321", "N321", "N323"]),
    ("no-basis", 2025, ["N711", "N711", "N713"]), ("none", 2025, ["N712", "N712", "N714"]),
])
def test_txf_refnums_per_box(reported: str, year: int, refnums: list[str]) -> None:
    text = txf_text(form8949_lines(sample(year), year, reported=reported), today=date(2026, 1, 2))
    assert [x for x in text.split("\r\n") if x.startswith("N")] == refnums


def test_txf_wash_sale_adjustment_uses_record_format_5_and_others_are_refused() -> None:
    def adjusted(code: str, adjustment: str) -> Form8949Line:
        return Form8949Line(part="I", box="A", description="1 ETH", acquired="01/01/2024",
                            sold="01/02/2024", proceeds=D("10.00"), cost=D("12.00"),
                            code=code, adjustment=D(adjustment), tx_hash=TX1, lot_id=None)

    wash = adjusted("W", "2.00")
    assert wash.gain == 0
    assert txf_text([wash], today=date(2025, 1, 1)).split("\r\n")[4:] == [
        "TD", "N321", "C1", "L1", "P1 ETH", "D01/01/2024", "D01/02/2024", "$12.00", "$10.00",
        "$2.00", "^", ""]
    other = adjusted("B", "-1.00")
    with pytest.raises(ValueError, match="only a wash-sale"):
        txf_text([other], today=date(2025, 1, 1))


def test_txf_refuses_a_box_in_the_wrong_part() -> None:
    wrong = line("II", "C", "1 ETH", "01/01/2020", "01/02/2024", "1", "1", TX1, None)
    with pytest.raises(ValueError, match="box C is not in part II"):
        txf_text([wrong], today=date(2025, 1, 1))


# ---- invariants ------------------------------------------------------------------------

_money = st.decimals(min_value=0, max_value=10**9, places=10, allow_nan=False,
                     allow_infinity=False)


@st.composite
def _disposals(draw: st.DrawFn) -> list[Disposal]:
    out = []
    for index in range(draw(st.integers(0, 25))):
        sold = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(
            seconds=draw(st.integers(0, 365 * 86400 - 1)))
        held = timedelta(seconds=draw(st.integers(0, 4 * 365 * 86400)))
        long = draw(st.booleans())
        out.append(Disposal(
            wallet=WALLET, asset=ETH, symbol=draw(st.sampled_from(["ETH", None, "X"])),
            quantity=draw(st.decimals(min_value=D("1e-18"), max_value=10**6, places=18)),
            acquired=sold - held, disposed=sold, proceeds_usd=draw(_money),
            cost_basis_usd=draw(_money), term=Term.LONG if long else Term.SHORT,
            tx_hash=f"0x{index:064x}", lot_id=f"lot:{index}",
            kind=draw(st.sampled_from([Kind.TRADE, Kind.FEE]))))
    return out


@settings(max_examples=80, deadline=None)
@given(_disposals(), st.sampled_from(["basis", "no-basis", "none"]))
def test_totals_and_schedule_d_add_up_to_the_lines(
    disposals: list[Disposal], reported: str,
) -> None:
    lines = form8949_lines(disposals, 2025, reported=reported)
    assert len(lines) == len(disposals)
    totals = form8949_totals(lines)
    assert sum(t.count for t in totals) == len(lines)
    for total in totals:
        mine = [x for x in lines if (x.part, x.box) == (total.part, total.box)]
        assert total.gain == sum((x.gain for x in mine), D(0))
        assert total.proceeds == sum((x.proceeds for x in mine), D(0))
        assert total.cost == sum((x.cost for x in mine), D(0))
        assert total.gain == total.proceeds - total.cost + total.adjustment
    for x in lines:
        assert x.gain == x.proceeds - x.cost and x.proceeds == x.proceeds.quantize(D("0.01"))
    schedule = {x.line: x for x in schedule_d_lines(totals, netted(lines, 2025))}
    everything = sum((x.gain for x in lines), D(0))
    assert schedule["16"].gain == everything
    assert schedule["7"].gain == sum((x.gain for x in lines if x.part == "I"), D(0))
    assert schedule["15"].gain == sum((x.gain for x in lines if x.part == "II"), D(0))
    csv_total = sum((D(row.split(",")[9]) for row in form8949_csv(lines).split("\r\n")[1:-1]
                     if ",TOTAL," in row), D(0))
    assert csv_total == everything
    assert txf_text(lines, today=date(2026, 1, 1)).count("\r\nTD\r\n") == len(lines)
