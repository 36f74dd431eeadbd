"""Rows in bulk through a CSV file and DuckDB's COPY (scanner/store/bulk.copy_rows): every
value comes back exactly as given, NULL and the empty text apart, whatever the text holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scanner.ledger.records import Kind
from scanner.store.bulk import copy_rows

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
