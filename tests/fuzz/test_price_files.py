"""Price CSVs with hostile cells: exact prices, or a PriceFileError naming the first bad
line, and then the database is as it was."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scanner.app import imports as importing
from scanner.errors import PriceFileError
from scanner.money import price
from scanner.prices.csvfile import read_price_file
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.fuzz.common import BAD_NUMBER_TEXTS, all_or_nothing, copy_of, fuzz, one_line, scratch

ETH = "eip155:1/slip44:60"
USDT = "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)
# whitespace a spreadsheet may leave around a cell: str.strip() removes all of it
PADDING = st.sampled_from(["", " ", "\t", "\u00a0", "\x0c", "\x85", "\u2028", "\u3000"])


@dataclass(frozen=True)
class Cell:
    text: str
    good: bool
    value: object = None  # what a good cell means


def padded(cell: Cell, before: str, after: str) -> Cell:
    return Cell(before + cell.text + after, cell.good, cell.value)


good_stamps = st.sampled_from([
    Cell("2024-01-01T00:00:00Z", True, JAN_1),
    Cell("2024-01-01", True, JAN_1),
    Cell("2024-01-01T02:00:00+02:00", True, JAN_1),
    Cell("2024-01-01 00:00:00", True, JAN_1),
    Cell("2023-12-31T23:00:00.000-01:00", True, JAN_1),
])
bad_stamps = st.sampled_from([
    "2024-13-01", "2024-02-30T00:00:00Z", "yesterday", "", "1704067200",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "\uff12\uff10\uff12\uff14-01-01",
    "2024-01-01T00:00:00ZZ", "9" * 200_000,
]).map(lambda text: Cell(text, False))
# issue 19: any namespace's CAIP-19 id, so a Koinly import's local id can be priced
BTC = "bip122:000000000019d6689c085ae165831e93/slip44:0"
KAVA = "taxscan:koinly/symbol:KAVA"
good_assets = st.sampled_from([
    Cell(ETH, True, ETH), Cell(USDT, True, USDT), Cell(USDT.upper().replace("0X", "0x"), True,
                                                       USDT),
    Cell(BTC, True, BTC), Cell(KAVA, True, KAVA),
])
bad_assets = st.sampled_from([
    "ETH", "eip155:01/slip44:60", "eip155:\uff11/slip44:60", "", "eip155:1/erc20:0x123",
    "bip122/slip44:0", "eip155:1/slip44:60/1", "taxscan:koinly/symbol:K A",
]).map(lambda text: Cell(text, False))
good_numbers = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("99999999999999999999.99"), allow_nan=False,
                places=None).filter(lambda d: d.is_finite() and abs(d.adjusted()) < 40),
    st.sampled_from([Decimal("0"), Decimal("1e-30"), Decimal("1E+3"), Decimal("-0")]),
).map(lambda d: Cell(str(d), True, d)) | st.sampled_from([
    Cell("1_000", True, Decimal(1000)), Cell("\u0661\u0662", True, Decimal(12))])
bad_numbers = st.one_of(
    st.sampled_from(BAD_NUMBER_TEXTS), st.sampled_from(["-1", "-0.000001", "1e20",
                                                        "100000000000000000000", "1e-"]),
).map(lambda text: Cell(text, False))


def cell(good: st.SearchStrategy[Cell], bad: st.SearchStrategy[Cell]) -> st.SearchStrategy[Cell]:
    return st.builds(padded, st.one_of(good, good, good, bad), PADDING, PADDING)


any_row = st.tuples(cell(good_stamps, bad_stamps), cell(good_assets, bad_assets),
                   cell(good_numbers, bad_numbers))
good_row = st.tuples(cell(good_stamps, st.nothing()), cell(good_assets, st.nothing()),
                     cell(good_numbers, st.nothing()))
rows = st.lists(any_row, max_size=6)


def price_file(body: list[tuple[Cell, Cell, Cell]], bom: bool, crlf: bool) -> tuple[str, int]:
    """The file's text, and the line of its first bad row (0 if none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["timestamp", "asset", "usd"])
    first_bad = 0
    for row in body:
        if not first_bad and not all(c.good for c in row):
            first_bad = len(io.StringIO(out.getvalue(), newline="").readlines()) + 1
        writer.writerow([c.text for c in row])
    return ("\ufeff" if bom else "") + out.getvalue(), first_bad


def expected_points(body: list[tuple[Cell, Cell, Cell]]) -> list[PricePoint]:
    return [PricePoint(str(asset.value), cast(datetime, stamp.value),
                       price(Decimal(str(usd.value))), "csv") for stamp, asset, usd in body]


def read_or_error(text: str) -> tuple[list[PricePoint] | None, str, Path]:
    with scratch() as directory:
        path = Path(directory) / "prices.csv"
        path.write_bytes(text.encode("utf-8"))
        try:
            return read_price_file(path), "", path
        except PriceFileError as exc:
            return None, one_line(exc), path


@fuzz(200)
@given(rows, st.booleans(), st.booleans())
@example([(Cell("0001-01-01T00:00:00+01:00", False), Cell(ETH, True, ETH),
           Cell("1", True, Decimal(1)))], False, False)  # was an OverflowError
@example([(Cell("2024-01-01", True, JAN_1), Cell(ETH, True, ETH),
           Cell("1\u2028", True, Decimal(1))),
          (Cell("2024-01-01", True, JAN_1), Cell("ETH", False), Cell("1", True, Decimal(1)))],
         False, False)  # a line separator in a cell was a line break: the next line was off
@example([(Cell("9" * 200_000, False), Cell(ETH, True, ETH), Cell("1", True, Decimal(1)))],
         False, True)  # a cell over the csv module's field limit was a csv.Error
def test_a_price_file_is_read_exactly_or_names_its_first_bad_line(
        body: list[tuple[Cell, Cell, Cell]], bom: bool, crlf: bool) -> None:
    text, first_bad = price_file(body, bom, crlf)
    points, error, path = read_or_error(text)
    if first_bad:
        assert points is None and error.startswith(f"{path}:{first_bad}: "), (first_bad, error)
    else:
        assert points == expected_points(body), error


@fuzz(100)
@given(st.text(max_size=200), st.sampled_from(["", "timestamp,asset,usd\n", "\ufeff"]))
def test_any_text_is_prices_or_a_price_file_error(text: str, start: str) -> None:
    points, error, path = read_or_error(start + text)
    assert points is not None or error.startswith(f"{path}:")


@pytest.mark.parametrize("header", ["timestamp,asset", "asset,timestamp,usd", "",
                                    "timestamp,asset,usd,extra", "\ufeff\ufefftimestamp,asset,usd"])
def test_a_bad_header_is_line_1(header: str) -> None:
    points, error, path = read_or_error(header + "\n2024-01-01,eip155:1/slip44:60,1\n")
    assert points is None and error.startswith(f"{path}:1: header")


@fuzz(12)
@given(st.lists(st.one_of(good_row, good_row, good_row, any_row), min_size=1, max_size=4),
       st.booleans())
def test_a_failed_price_import_writes_nothing(seeded_db: Path,
                                              body: list[tuple[Cell, Cell, Cell]],
                                              crlf: bool) -> None:
    text, first_bad = price_file(body, False, crlf)
    with scratch() as directory, copy_of(seeded_db, Path(directory)) as db:
        file = Path(directory) / "prices.csv"
        file.write_bytes(text.encode("utf-8"))
        count, error = all_or_nothing(db, lambda store: importing.import_prices(store, file))
        assert (error is not None) == bool(first_bad), error
        if error is None:
            with Store(db) as store:
                stored = {(p.asset, p.timestamp, p.source): p.usd for p in store.prices()}
            assert count == len(body)
            last = {(p.asset, p.timestamp): p.usd for p in expected_points(body)}
            assert all(stored[asset, stamp, "csv"] == usd for (asset, stamp), usd in last.items())
