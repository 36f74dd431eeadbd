"""Ledger CSVs and Koinly CSVs with hostile cells: legs with exact amounts, or an error
naming the first bad line, and then the database is as it was."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import cast

from hypothesis import example, given
from hypothesis import strategies as st

from chains.errors import UserInputError
from scanner.app import imports as importing
from scanner.formats.cells import FORMULA_START
from scanner.formats.koinly import HEADER as KOINLY_HEADER
from scanner.formats.koinly import local_asset, read_koinly
from scanner.formats.ledger_csv import read_ledger_csv
from scanner.formats.rows import LEDGER
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import usd
from scanner.store import Store
from tests.fuzz.common import (
    BAD_NUMBER_TEXTS,
    UINT256_MAX,
    UNICODE_TEXT,
    all_or_nothing,
    copy_of,
    fuzz,
    one_line,
    scratch,
)

ETH = "eip155:1/slip44:60"
USDT = "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
BTC = "bip122:000000000019d6689c085ae165831e93/slip44:0"
WHEN = datetime(2024, 3, 1, 12, 30, 5, tzinfo=UTC)
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Cell:
    text: str
    good: bool
    value: object = None  # what a good cell means


def good(text: str, value: object) -> Cell:
    return Cell(text, True, value)


def bad(*texts: str) -> st.SearchStrategy[Cell]:
    return st.sampled_from([Cell(text, False) for text in texts])


def unguarded(text: str) -> str:
    """What a text cell means: render's formula guard (an apostrophe before = + - @ tab or
    carriage return) taken off."""
    return text[1:] if text[:1] == "'" and text[1:].startswith(FORMULA_START) else text


any_text = st.one_of(UNICODE_TEXT, st.sampled_from(["", "'=1+1", "'x", "uniswap-v2", "ΞTH"]))
needed_text = st.one_of(UNICODE_TEXT, st.sampled_from(["'-5", "'@x"])).filter(
    lambda t: unguarded(t) != "")
plain_number = st.one_of(
    st.integers(-UINT256_MAX, UINT256_MAX).filter(bool).map(lambda n: (str(n), Decimal(n))),
    st.decimals(allow_nan=False, allow_infinity=False, places=18).filter(bool).map(
        lambda d: (str(d), d)),
    st.sampled_from([("1E+3", Decimal(1000)), ("-0.5e-3", Decimal("-0.0005")),
                     (" 7 ", Decimal(7))]),
)
BAD_QUANTITIES = (*BAD_NUMBER_TEXTS, "0", "-0", "0.000", "1e-300", "1" + "0" * 101, "1-")
BAD_INTEGERS = ("-1", "1.0", "", "x", "1e3", "\u00b2", "\u0661", "\uff11")

GOOD_CELLS: dict[str, st.SearchStrategy[Cell]] = {
    "timestamp": st.one_of(
        st.sampled_from([good("2024-03-01T12:30:05Z", WHEN), good("2024-03-01 12:30:05", WHEN),
                         good("2024-03-01T12:30:05+00:00", WHEN),
                         good(" 2024-03-01T12:30:05 ", WHEN)]),
        st.datetimes(datetime(1970, 1, 1), datetime(2200, 12, 31, 23, 59, 59)).map(
            lambda t: good(f"{t:%Y-%m-%dT%H:%M:%S}Z", t.replace(microsecond=0, tzinfo=UTC)))),
    "chain_id": st.one_of(st.sampled_from([0, 1, 137, INT64_MAX]),
                          st.integers(0, INT64_MAX)).map(lambda n: good(str(n), n)),
    "block_number": st.integers(0, INT64_MAX).map(lambda n: good(str(n), n)),
    "tx_hash": needed_text.map(lambda t: good(t, unguarded(t))),
    "log_index": st.one_of(st.just(good("", None)),
                           st.integers(0, 2**31 - 1).map(lambda n: good(str(n), n))),
    "wallet": needed_text.map(lambda t: good(t, unguarded(t))),
    "kind": st.sampled_from([good(k.value, k) for k in Kind] + [good(" trade ", Kind.TRADE)]),
    "protocol": any_text.map(lambda t: good(t, unguarded(t))),
    "asset": st.sampled_from([good(ETH, ETH), good(USDT.upper().replace("0X", "0x"), USDT),
                              good(BTC, BTC)]),
    "symbol": any_text.map(lambda t: good(t, unguarded(t))),
    "quantity": plain_number.map(lambda p: good(*p)),
    "usd_value": st.one_of(st.just(good("", None)),
                           st.decimals(min_value=0, max_value=Decimal("1e27"), allow_nan=False,
                                       places=12).map(lambda d: good(str(d), d))),
    "price_source": any_text.map(lambda t: good(t, unguarded(t))),
    "counterparty": any_text.map(lambda t: good(t, unguarded(t))),
    "group_id": needed_text.map(lambda t: good(t, unguarded(t))),
}
BAD_CELLS: dict[str, st.SearchStrategy[Cell]] = {
    "timestamp": bad("2024-03-01", "2024-13-01T00:00:00Z", "2024-03-01T12:30:05+01:00", "",
                     "NaN", "\u0662\u0660\u0662\u0664-03-01T12:30:05Z", "9999-12-31T23:59:59Z",
                     "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2201-01-01T00:00:00Z"),
    "chain_id": bad(*BAD_INTEGERS, str(INT64_MAX + 1), "9" * 19, str(UINT256_MAX)),
    "block_number": bad(*BAD_INTEGERS, str(INT64_MAX + 1)),
    "tx_hash": bad(""),
    "log_index": bad("-1", "1.5", "x", "\u00b2", str(2**31), str(INT64_MAX)),
    "wallet": bad(""),
    "kind": bad("Trade", "buy", "", "spam\x00"),
    "asset": bad("ETH", "", "eip155:01/slip44:60", "eip155:1/erc20:0x12"),
    "quantity": bad(*BAD_QUANTITIES),
    "usd_value": bad("-1", "-0.01", "1e28", "1e400", "9" * 40, *BAD_NUMBER_TEXTS[:8]),
    "group_id": bad(""),
}


@st.composite
def ledger_row(draw: st.DrawFn, spoiled_percent: int) -> dict[str, Cell]:
    """A good row, with one cell made bad `spoiled_percent` times in a hundred."""
    row = {name: draw(GOOD_CELLS[name]) for name in LEDGER.fields}
    if draw(st.integers(0, 99)) < spoiled_percent:
        name = draw(st.sampled_from(sorted(BAD_CELLS)))
        row[name] = draw(BAD_CELLS[name])
    return row


def csv_text(header: list[str], rows: list[list[str]]) -> tuple[str, list[int]]:
    """The CSV and the line each row starts on (a cell's own line breaks count: CR, LF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # quotes cells holding either
    writer.writerow(header)
    starts = []
    for row in rows:
        starts.append(len(io.StringIO(out.getvalue(), newline="").readlines()) + 1)
        writer.writerow(row)
    return out.getvalue(), starts


def expect_ledger_leg(cells: dict[str, Cell]) -> dict[str, object]:
    value = {name: cell.value for name, cell in cells.items()}
    for name in ("symbol", "price_source", "counterparty"):
        value[name] = value[name] or None
    value["quantity"] = Fraction(cast(Decimal, value["quantity"]))
    if value["usd_value"] is not None:  # stored to the USD quantum, ten places
        value["usd_value"] = usd(value["usd_value"])  # type: ignore[arg-type]
    return value


def exact_quantity(entry: LedgerEntry) -> Fraction:
    """The quantity without Decimal's 60 digits: a uint256 amount has 78."""
    return Fraction(entry.raw_amount, 10**entry.decimals)


def carried(entry: LedgerEntry) -> dict[str, object]:
    return {name: exact_quantity(entry) if name == "quantity" else getattr(entry, name)
            for name in LEDGER.fields}


ledger_rows = st.lists(ledger_row(30), max_size=5)


def read_or_error(read: Callable[[Path], list[LedgerEntry]], text: str
                  ) -> tuple[list[LedgerEntry] | None, str, Path]:
    with scratch() as directory:
        path = Path(directory) / "legs.csv"
        path.write_bytes(text.encode("utf-8"))
        try:
            return read(path), "", path
        except UserInputError as exc:
            return None, one_line(exc), path


def check_ledger_file(rows: list[dict[str, Cell]], entries: list[LedgerEntry] | None,
                      error: str, path: Path, starts: list[int]) -> None:
    first_bad = next((starts[i] for i, row in enumerate(rows)
                      if not all(c.good for c in row.values())), 0)
    if first_bad:
        assert entries is None and error.startswith(f"{path}:{first_bad}: "), (first_bad, error)
        return
    assert entries is not None, error
    assert [carried(e) for e in entries] == [expect_ledger_leg(row) for row in rows]


GOOD_ROW = {
    "timestamp": good("2024-03-01T12:30:05Z", WHEN), "chain_id": good("1", 1),
    "block_number": good("5", 5), "tx_hash": good("0x" + "ab" * 32, "0x" + "ab" * 32),
    "log_index": good("", None), "wallet": good("0x" + "dd" * 20, "0x" + "dd" * 20),
    "kind": good("trade", Kind.TRADE), "protocol": good("", ""), "asset": good(ETH, ETH),
    "symbol": good("ETH", "ETH"), "quantity": good("1", Decimal(1)),
    "usd_value": good("", None), "price_source": good("", ""),
    "counterparty": good("", ""), "group_id": good("g", "g"),
}


@fuzz(150)
@given(ledger_rows, st.booleans())
@example([GOOD_ROW | {"chain_id": Cell("\u00b2", False)}], False)  # a digit to str.isdigit,
#   a ValueError to int()
@example([GOOD_ROW | {"usd_value": Cell("1e400", False)}], False)  # a database error, no line
@example([GOOD_ROW | {"chain_id": Cell(str(INT64_MAX + 1), False)}], False)  # the same
@example([GOOD_ROW | {"log_index": Cell(str(2**31), False)}], False)  # the same
@example([GOOD_ROW | {"usd_value": good("0.12345678905", Decimal("0.12345678905"))}], False)
def test_a_ledger_file_is_read_exactly_or_names_its_first_bad_line(
        rows: list[dict[str, Cell]], bom: bool) -> None:
    text, starts = csv_text(list(LEDGER.fields), [[row[n].text for n in LEDGER.fields]
                                                   for row in rows])
    entries, error, path = read_or_error(read_ledger_csv, ("\ufeff" if bom else "") + text)
    check_ledger_file(rows, entries, error, path, starts)


@fuzz(15)
@given(st.lists(ledger_row(15), min_size=1, max_size=3))
@example([GOOD_ROW | {"timestamp": Cell("9999-12-30T00:00:00Z", False),
                      "kind": good("transfer_in", Kind.TRANSFER_IN)},
          GOOD_ROW | {"timestamp": Cell("9999-12-31T00:00:00Z", False),
                      "quantity": good("-1", Decimal(-1)), "tx_hash": good("0xb", "0xb")}])
#   a sale in year 9999 of a lot bought then: the lots' holding period overflowed the
#   calendar in the rebuild, after the import had committed its legs
def test_a_failed_ledger_import_writes_nothing(seeded_db: Path, rows: list[dict[str, Cell]]
                                               ) -> None:
    text, _ = csv_text(list(LEDGER.fields), [[row[n].text for n in LEDGER.fields]
                                                   for row in rows])
    with scratch() as directory, copy_of(seeded_db, Path(directory)) as db:
        file = Path(directory) / "legs.csv"
        file.write_bytes(text.encode("utf-8"))
        imported, error = all_or_nothing(
            db, lambda store: importing.import_ledger(store, file, "ledger"))
        assert (error is None) == all(c.good for row in rows for c in row.values()), error
        if error is None:
            with Store(db) as store:
                stored = [e for e in store.ledger() if e.tx_hash in
                          {row["tx_hash"].value for row in rows}]
            assert imported.legs == len(rows)
            assert sorted((e.tx_hash, e.wallet, e.raw_amount, e.decimals) for e in stored) == \
                sorted((e.tx_hash, e.wallet, e.raw_amount, e.decimals)
                       for e in read_ledger_csv(file))


# ---- Koinly ----------------------------------------------------------------------------

SYMBOLS = {"ETH": ETH, "BTC": BTC, "USDT": USDT, "eth": ETH}
amounts = st.one_of(
    st.integers(1, UINT256_MAX).map(str),
    st.decimals(min_value=Decimal("1e-30"), max_value=Decimal("1e30"), allow_nan=False,
                places=24).filter(bool).map(str),
    st.sampled_from([str(UINT256_MAX), "0.000000000000000000000001", "1E+2"]),
)
crypto = st.sampled_from(sorted(SYMBOLS))
usd_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e12"), places=2,
                          allow_nan=False).map(str)
dates = st.sampled_from([("2024-03-01 12:30", datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),
                         ("2024-03-01 12:30:05 UTC", WHEN)])


@st.composite
def koinly_row(draw: st.DrawFn) -> tuple[dict[str, str], list[tuple[int, Decimal, str]]]:
    """A good row and the legs it means: (sign, amount, asset)."""
    shape = draw(st.sampled_from(["trade", "deposit", "withdrawal", "buy", "sell"]))
    row = dict.fromkeys(KOINLY_HEADER, "")
    row["Date"] = draw(dates)[0]
    legs = []
    if shape in ("trade", "withdrawal", "sell"):
        row["Sent Amount"], row["Sent Currency"] = draw(amounts), draw(crypto)
        legs.append((-1, Decimal(row["Sent Amount"]), SYMBOLS[row["Sent Currency"]]))
    if shape in ("trade", "deposit", "buy"):
        row["Received Amount"], row["Received Currency"] = draw(amounts), draw(crypto)
        legs.append((1, Decimal(row["Received Amount"]), SYMBOLS[row["Received Currency"]]))
    if shape == "buy":
        row["Sent Amount"], row["Sent Currency"] = draw(usd_amounts), "USD"
    if shape == "sell":
        row["Received Amount"], row["Received Currency"] = draw(usd_amounts), "USD"
    if draw(st.booleans()):
        row["Fee Amount"], row["Fee Currency"] = draw(amounts), draw(crypto)
        legs.append((-1, Decimal(row["Fee Amount"]), SYMBOLS[row["Fee Currency"]]))
    if draw(st.booleans()):
        row["Net Worth Amount"], row["Net Worth Currency"] = draw(usd_amounts), "USD"
    row["Label"], row["Description"] = draw(UNICODE_TEXT), draw(UNICODE_TEXT)
    row["TxHash"] = draw(st.sampled_from(["", "0x" + "Ab" * 32, "not a hash"]))
    return row, legs


koinly_spoilers = st.sampled_from([
    ("Date", "2024-02-30 00:00"), ("Date", "02/01/2024 10:00"), ("Date", ""),
    ("Date", "2024-03-01T12:30:05Z"), ("Date", "9999-12-31 10:00"), ("Date", "1969-12-31 23:59"),
    ("Fee Amount", "-1"), ("Fee Amount", "NaN"),
    ("Fee Amount", "1e400"), ("Fee Amount", "abc"), ("Fee Amount", "Infinity"),
    ("Fee Amount", "1,5"), ("Fee Currency", "EUR"), ("Net Worth Currency", "EUR"),
    ("Net Worth Amount", "-5"), ("Net Worth Amount", "1e400"), ("Net Worth Amount", "9" * 40),
])


@fuzz(200)
@given(st.lists(st.tuples(koinly_row(), st.one_of(st.none(), st.none(), koinly_spoilers)),
                max_size=5))
@example([((dict.fromkeys(KOINLY_HEADER, "") | {
    "Date": "2024-03-01 12:30", "Received Amount": "1", "Received Currency": "ETH",
    "Net Worth Amount": "1e99", "Net Worth Currency": "USD"}, [(1, Decimal(1), ETH)]),
    None)])  # a USD value no DECIMAL(38, 10) holds: was a database error without the line
def test_a_koinly_file_is_read_exactly_or_names_its_first_bad_line(
        rows: list[tuple[tuple[dict[str, str], list[tuple[int, Decimal, str]]],
                         tuple[str, str] | None]]) -> None:
    cells = []
    for (row, _), spoiler in rows:
        if spoiler is not None:
            row = {**row, spoiler[0]: spoiler[1]}
            if spoiler[0] == "Fee Amount" and not row["Fee Currency"]:
                row["Fee Currency"] = "ETH"
            if spoiler[0] == "Net Worth Amount":
                row["Net Worth Currency"] = "USD"
            if spoiler[0] == "Net Worth Currency" and not row["Net Worth Amount"]:
                row["Net Worth Amount"] = "1"
        cells.append([row[name] for name in KOINLY_HEADER])
    text, starts = csv_text(list(KOINLY_HEADER), cells)
    entries, error, path = read_or_error(
        lambda p: read_koinly(p, account="koinly:x"), text)
    bad_rows = [i for i, ((row, _), spoiler) in enumerate(rows) if spoiler is not None
                or decimal_or_zero(row["Net Worth Amount"]) >= Decimal(10) ** 28]
    if bad_rows:
        assert entries is None and error.startswith(f"{path}:{starts[bad_rows[0]]}: "), error
        return
    assert entries is not None, error
    legs = [(1 if e.raw_amount > 0 else -1, abs(exact_quantity(e)), e.asset) for e in entries]
    assert legs == [(sign, Fraction(amount), asset)
                    for (_, expected), _ in rows for sign, amount, asset in expected]
    for entry in entries:
        assert entry.usd_value is None or entry.usd_value == usd(entry.usd_value)


def decimal_or_zero(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


@fuzz(60)
@given(st.lists(st.tuples(st.sampled_from(["Sent", "Received"]), UNICODE_TEXT.filter(
    lambda t: t.strip().upper() not in {"ETH", "BTC", "USDT", "USDC", "DAI", "WETH", "USD",
                                        "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", ""})),
    min_size=1, max_size=3))
@example([("Sent", "0\n0")])  # was named as is: an error of two lines
def test_an_unknown_currency_is_named_with_its_line(sides: list[tuple[str, str]]) -> None:
    cells = []
    for side, symbol in sides:
        row = dict.fromkeys(KOINLY_HEADER, "") | {"Date": "2024-03-01 12:30",
                                                  f"{side} Amount": "1",
                                                  f"{side} Currency": symbol}
        cells.append([row[name] for name in KOINLY_HEADER])
    text, _ = csv_text(list(KOINLY_HEADER), cells)
    entries, error, _ = read_or_error(lambda p: read_koinly(p, account="koinly:x"), text)
    # issue 19: a symbol that can be a local asset id imports under it; any other is named
    unnamed = [line for line, (_, symbol) in enumerate(sides, 2)
               if local_asset(symbol.strip()) is None]
    if not unnamed:
        assert entries is not None and not error, error
    else:
        assert entries is None and "no asset id for" in error, error
        assert f"(line {unnamed[0]})" in error, error
