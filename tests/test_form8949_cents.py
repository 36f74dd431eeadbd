"""Form 8949 lines in cents add up to each sale, as a Form 1099-DA reports it (issue 17).

A sale is the disposals of one transaction of one asset in one wallet. Its proceeds are
rounded to the cent once and its lines share them by the largest remainder method: each line
rounded down to the cent, the cents left over one each to the lines with the largest
remainders, ties to the first line on the form. The same for the basis; a line's gain is its
proceeds less its cost. Every US export (Form 8949 CSV and PDF, TXF, TurboTax, Schedule D)
shows the same figures. The expected figures are worked out by hand beside each test.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import share_cents
from scanner.store import Store
from scanner.tax.records import Disposal, Term
from scanner.tax.sales import sale_lines
from tests.helpers import cli_json, run_cli
from tests.unit.builders import ETH, OTHER, TKN, WALLET, day, leg

D = Decimal
SALE = "0x" + "5a" * 32


def named(entry: LedgerEntry) -> LedgerEntry:
    return dataclasses.replace(entry, symbol="TKN")


# Three lots of 1 TKN bought at 10, 20 and 30 USD, sold together in one transaction for 100.
LEGS = [
    named(leg(day(2024, 1, 2), Kind.TRADE, TKN, "1", "10")),
    named(leg(day(2024, 1, 3), Kind.TRADE, TKN, "1", "20")),
    named(leg(day(2024, 1, 4), Kind.TRADE, TKN, "1", "30")),
    named(leg(day(2024, 6, 1), Kind.TRADE, TKN, "-3", "100", tx=SALE)),
]
# The lot engine splits the 100 USD by quantity with cumulative rounding to 1e-10
# (money.split_usd): 33.3333333333, 66.6666666667 - 33.3333333333 = 33.3333333334, and
# 100 - 66.6666666667 = 33.3333333333. Rounded down each is 33.33 (99.99 in all); the cent
# left goes to the largest remainder, 0.0033333334, the second lot's. Costs are whole cents.
PROCEEDS = ["33.33", "33.34", "33.33"]
COSTS = ["10.00", "20.00", "30.00"]
GAINS = ["23.33", "13.34", "3.33"]  # proceeds - cost per line; 40.00 in all = 100 - 60


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cents.duckdb"
    with Store(path) as store, store.transaction():
        store.replace_ledger(1, LEGS)
    return path


def export(db: Path, tmp_path: Path, fmt: str, name: str) -> Path:
    out = tmp_path / name
    ran = run_cli("export", "--format", fmt, "--year", "2024", "--out", str(out), db=db)
    assert ran.returncode == 0, ran.stderr
    return out


# ---- the allocation ----------------------------------------------------------------------


def test_three_equal_thirds_of_100_give_the_leftover_cent_to_the_first() -> None:
    third = D(100) / 3  # 33.333...: three equal remainders, a tie: the first line wins
    assert share_cents([third] * 3) == [D("33.34"), D("33.33"), D("33.33")]


@pytest.mark.parametrize(("amounts", "shares"), [
    # one amount alone is rounded half up, as before
    (["0.005"], ["0.01"]), (["2.675"], ["2.68"]), (["-0.015"], ["-0.02"]),
    # 199.168 + 398.336 = 597.504 -> 597.50; floors 199.16 + 398.33 = 597.49; the cent goes to
    # the larger remainder, 0.008
    (["199.168", "398.336"], ["199.17", "398.33"]),
    # 0.0049 x 3 = 0.0147 -> 0.01; floors 0; the cent to the first of three equal remainders
    (["0.0049", "0.0049", "0.0049"], ["0.01", "0.00", "0.00"]),
    # 1.006 + 2.009 + 3.001 = 6.016 -> 6.02; floors 1.00 + 2.00 + 3.00 = 6.00; two cents left,
    # to the remainders 0.009 and 0.006, not to 0.001
    (["1.006", "2.009", "3.001"], ["1.01", "2.01", "3.00"]),
    ([], []),
])
def test_largest_remainder_shares(amounts: list[str], shares: list[str]) -> None:
    got = share_cents([D(x) for x in amounts])
    assert got == [D(x) for x in shares]
    assert sum(got, D(0)) == sum((D(x) for x in shares), D(0))


def test_a_sale_is_one_transaction_of_one_asset_in_one_wallet() -> None:
    def sold(asset: str, wallet: str, proceeds: str, lot: str) -> Disposal:
        return Disposal(wallet=wallet, asset=asset, symbol=None, quantity=D(1),
                        acquired=day(2024, 1, 1), disposed=day(2024, 2, 1),
                        proceeds_usd=D(proceeds), cost_basis_usd=D(0), term=Term.SHORT,
                        tx_hash=SALE, lot_id=lot, kind=Kind.TRADE)

    lines = sale_lines([
        sold(TKN, WALLET, "0.004", "a"), sold(TKN, WALLET, "0.004", "b"),  # one sale: 0.008
        sold(ETH, WALLET, "0.004", "c"),  # another asset: its own sale, 0.004 -> 0.00
        sold(TKN, OTHER, "0.004", "d"),  # another wallet: its own sale
    ])
    # the TKN sale of WALLET: 0.008 -> 0.01, floors 0 and 0, the cent to the first (a tie)
    assert [(x.disposal.lot_id, x.proceeds) for x in lines] == [
        ("a", D("0.01")), ("b", D("0.00")), ("c", D("0.00")), ("d", D("0.00"))]


# ---- every US export shows the same lines ----------------------------------------------------


def test_form8949_csv_lines_add_up_to_the_sale(db: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(
        export(db, tmp_path, "form8949", "f8949.csv").read_text(), newline="")))
    lines, total = rows[:-1], rows[-1]
    assert [(r["proceeds"], r["cost_basis"], r["gain"]) for r in lines] == \
        list(zip(PROCEEDS, COSTS, GAINS, strict=True))
    assert [r["date_acquired"] for r in lines] == ["01/02/2024", "01/03/2024", "01/04/2024"]
    assert {r["tx_hash"] for r in lines} == {SALE}
    assert (total["description"], total["proceeds"], total["cost_basis"], total["gain"]) == \
        ("TOTAL", "100.00", "60.00", "40.00")


def test_form8949_pdf_shows_the_same_lines(db: Path, tmp_path: Path) -> None:
    data = export(db, tmp_path, "form8949", "f8949.pdf").read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    rows = [line for line in text.splitlines() if "06/01/2024" in line]
    assert [row.split()[-5:] for row in rows] == [
        [acquired, "06/01/2024", proceeds, cost, gain] for acquired, proceeds, cost, gain
        in zip(["01/02/2024", "01/03/2024", "01/04/2024"], PROCEEDS, COSTS, GAINS,
               strict=True)]
    assert "Totals for box C (add columns (d), (e), (g) and (h)) 100.00 60.00 0.00 40.00" in text


def test_txf_records_carry_the_same_figures(db: Path, tmp_path: Path) -> None:
    text = export(db, tmp_path, "txf", "gains.txf").read_bytes().decode("ascii")
    records = text.split("\r\n^\r\n")[1:]
    figures = [[field[1:] for field in record.split("\r\n") if field.startswith("$")]
               for record in records if record.strip()]
    assert figures == [[cost, proceeds] for cost, proceeds in zip(COSTS, PROCEEDS, strict=True)]


def test_turbotax_rows_carry_the_same_figures(db: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(
        export(db, tmp_path, "turbotax", "turbotax.csv").read_text(), newline="")))
    assert [(r["Cost Basis"], r["Proceeds"]) for r in rows] == \
        list(zip(COSTS, PROCEEDS, strict=True))


def test_schedule_d_takes_the_sale_whole(db: Path, tmp_path: Path) -> None:
    rows = {r["line"]: r for r in csv.DictReader(io.StringIO(
        export(db, tmp_path, "schedule-d", "schedule-d.csv").read_text(), newline=""))}
    assert (rows["3"]["proceeds"], rows["3"]["cost_basis"], rows["3"]["gain"]) == \
        ("100.00", "60.00", "40.00")
    assert (rows["7"]["gain"], rows["16"]["gain"]) == ("40.00", "40.00")



def test_the_gains_report_shows_the_forms_cents(db: Path) -> None:
    # the gains report's rows of a sale add up to it as the form's lines do, in JSON and
    # in the CSV written without row dicts alike
    rows = cli_json("gains", "--year", "2024", db=db)
    assert [r["proceeds_usd"] for r in rows] == PROCEEDS
    assert [r["gain_usd"] for r in rows] == GAINS
    ran = run_cli("gains", "--year", "2024", "--format", "csv", db=db)
    assert ran.returncode == 0, ran.stderr
    lines = list(csv.DictReader(io.StringIO(ran.stdout)))
    assert [r["proceeds_usd"] for r in lines] == PROCEEDS
    assert sum(D(r["proceeds_usd"]) for r in lines) == D("100.00")


@pytest.mark.parametrize(("amounts", "shares"), [
    # two lines: 0.008 + 0.008 = 0.016 -> 0.02; floors 0 + 0: both get a cent
    (["0.008", "0.008"], ["0.01", "0.01"]),
    # 0.004 + 0.007 = 0.011 -> 0.01: the cent to the larger remainder, the second
    (["0.004", "0.007"], ["0.00", "0.01"]),
    # 1.005 + 2.005 = 3.010: floors 1.00 + 2.00, one cent left, a tie: the first line
    (["1.005", "2.005"], ["1.01", "2.00"]),
])
def test_the_gains_rows_of_a_two_lot_sale_share_its_cents(amounts: list[str],
                                                          shares: list[str]) -> None:
    from datetime import UTC, datetime

    from scanner.ledger.records import Kind as K
    from scanner.tax.sales import sale_cents

    sold = [Disposal(WALLET, TKN, "TKN", D(1), datetime(2024, 1, n + 1, tzinfo=UTC),
                     datetime(2024, 6, 1, tzinfo=UTC), D(a), D(a), Term.SHORT, SALE,
                     f"lot{n}", K.TRADE) for n, a in enumerate(amounts)]
    assert [p for p, _ in sale_cents(sold)] == [D(x) for x in shares]
    # the same as the largest remainder over any number of lines
    assert [str(x) for x in share_cents([D(a) for a in amounts])] == shares
