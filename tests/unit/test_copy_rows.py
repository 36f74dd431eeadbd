"""Rows in bulk through a CSV file that DuckDB reads (scanner/store/bulk.copy_rows, and the
lines the Store makes of lots and disposals for bulk.line_copy): every value comes back
exactly as given, NULL and the empty text apart, whatever the text holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scanner.ledger.records import Kind
from scanner.store import Store
from scanner.store.bulk import copy_rows
from scanner.tax.records import Disposal, Lot, LotBook, Term

TABLE = """CREATE TABLE t (a VARCHAR, b VARCHAR, q DECIMAL(38, 18), u DECIMAL(38, 10),
    moment TIMESTAMP, flag BOOLEAN, n BIGINT, kind VARCHAR)"""
ROWS: list[list[Any]] = [
    ["plain", "", Decimal("1E-18"), Decimal("0E-10"), datetime(2024, 1, 2, 3, 4, 5, 6),
     True, 2**62, Kind.FEE],
    [None, '=x, "quoted"\nline\r\n\\N', Decimal("-12345678901234567890.123456789012345678"),
     Decimal("9999999999999999999999999999.9999999999"), datetime(1970, 1, 1), False, -1,
     Kind.TRANSFER_IN],
    ["\\N", None, None, None, datetime(2200, 12, 31, 23, 59, 59), None, None, None],
]


@pytest.mark.parametrize("nullable", [None, (0, 1, 2, 3, 5, 6, 7)])
def test_rows_come_back_exactly(tmp_path: Path, nullable: tuple[int, ...] | None) -> None:
    with duckdb.connect() as db:
        db.execute(TABLE)
        copy_rows(db, "t", [list(row) for row in ROWS], tmp_path, nullable)
        back = db.execute("SELECT * FROM t ORDER BY moment").fetchall()
    assert [list(row) for row in back] == [
        [cell.value if isinstance(cell, Kind) else cell for cell in row]
        for row in sorted(ROWS, key=lambda row: row[4])]
    assert back[1][1] == "" and back[2][1] is None and back[2][0] == "\\N"
    assert list(tmp_path.iterdir()) == []  # the file is gone


def test_no_rows_copy_nothing(tmp_path: Path) -> None:
    with duckdb.connect() as db:
        db.execute(TABLE)
        copy_rows(db, "t", [], tmp_path)
        assert db.execute("SELECT count(*) FROM t").fetchall() == [(0,)]


def test_a_moment_with_its_zone_is_not_given(tmp_path: Path) -> None:
    """TIMESTAMP columns take naive UTC (rows.naive_utc): DuckDB drops an offset it is given,
    so the Store converts first."""
    with duckdb.connect() as db:
        db.execute("CREATE TABLE m (moment TIMESTAMP)")
        copy_rows(db, "m", [[str(datetime(2024, 1, 1, 5, tzinfo=UTC))]], tmp_path)
        assert db.execute("SELECT moment FROM m").fetchall() == [(datetime(2024, 1, 1, 5),)]


ODD = '=x, "quoted"\nline\r\n\\N'  # a text with every character a CSV cell can trip on
LOTS = (
    Lot("0xa:log:1", "0xwallet", "eip155:1/slip44:60", "", datetime(1969, 12, 31, 23, 59, 59,
        999999, tzinfo=UTC), Decimal("1E-18"), Decimal("12.345678901234"), "0xa", "log:1",
        Kind.TRADE),
    Lot(ODD, "coinbase, main", ODD, None, datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC),
        Decimal("123456789012345678901"), None, ODD, ODD, Kind.INCOME),
)
DISPOSALS = (
    Disposal("0xwallet", "eip155:1/slip44:60", "", Decimal("0.5"),
             datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
             Decimal("100.00000000005"), Decimal("50.00000000015"), Term.LONG, ODD, ODD,
             Kind.TRADE, "fifo", Decimal("0.1")),
    Disposal(ODD, ODD, None, Decimal("1.0000000000000000001"), None,
             datetime(2200, 12, 31, 23, 59, 59, tzinfo=UTC), None, None, None, "0xb", None,
             Kind.FEE, ""),
)


def test_lots_and_disposals_come_back_exactly(tmp_path: Path) -> None:
    with Store(tmp_path / "l.duckdb") as store:
        store.replace_lots(LotBook(LOTS, DISPOSALS, ()), "fifo", None)
        lots = store._db.execute("SELECT * FROM lots ORDER BY acquired").fetchall()
        disposals = store._db.execute("SELECT * FROM disposals ORDER BY disposed").fetchall()
    naive = {moment.replace(tzinfo=None) for moment in (
        LOTS[0].acquired, LOTS[1].acquired, DISPOSALS[0].acquired)}
    assert lots == [
        ("0xa:log:1", "0xwallet", "eip155:1/slip44:60", "", min(naive),
         Decimal("1E-18"), Decimal("12.3456789012"), "0xa", "log:1", "trade", "fifo"),
        # a quantity DECIMAL(38, 18) cannot hold is NULL (raw amounts stay exact elsewhere)
        (ODD, "coinbase, main", ODD, None, datetime(2024, 2, 29, 12, 0, 0, 1), None, None,
         ODD, ODD, "income", "fifo")]
    assert disposals == [
        # USD to ten places, half to even: ...00005 down, ...00015 up
        ("0xwallet", "eip155:1/slip44:60", "", Decimal("0.5"), datetime(2023, 1, 1),
         datetime(2024, 1, 2, 3, 4, 5, 6), Decimal("100.0000000000"),
         Decimal("50.0000000002"), "long", ODD, ODD, "trade", "fifo", "fifo",
         Decimal("0.1000000000")),
        # no rule is NULL; a quantity past 18 places is NULL
        (ODD, ODD, None, None, None, datetime(2200, 12, 31, 23, 59, 59), None, None, None,
         "0xb", None, "fee", "fifo", None, Decimal("0E-10"))]
    assert [p.name for p in tmp_path.iterdir()] == ["l.duckdb"]  # the files are gone
