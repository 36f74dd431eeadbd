"""Many rows through one query. A plain `INSERT ... VALUES (?, ...)` goes in statements of
many rows each: DuckDB's executemany runs one statement a row, and a big wallet's logs took
minutes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import duckdb

ROWS_PER_INSERT = 500
_MULTI_ROW = re.compile(
    r"^(?P<head>\s*INSERT\s+(?:OR\s+(?P<replace>REPLACE)\s+|OR\s+IGNORE\s+)?INTO\s+"
    r"(?P<table>\w+)\s*(?:\((?P<columns>[\w\s,]+)\))?\s*VALUES\s*)"
    r"(?P<row>\([?,\s]*\))\s*;?\s*$", re.I)


def insert_many(db: duckdb.DuckDBPyConnection, query: str,
                rows: Sequence[Sequence[Any]]) -> None:
    """`rows` through `query`, with executemany's result. For INSERT OR REPLACE, where the
    last of two rows with one key wins but one statement keeps the first, only the last row
    of each key is sent."""
    insert = _MULTI_ROW.match(query)
    if insert is None:
        db.executemany(query, [list(r) for r in rows])
        return
    if insert["replace"]:
        key = _key_positions(db, insert["table"], insert["columns"])
        if key is None:
            db.executemany(query, [list(r) for r in rows])
            return
        rows = list({tuple(row[i] for i in key): row for row in rows}.values())
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        db.execute(_rows_insert(query, len(chunk)), [value for row in chunk for value in row])


@cache
def _rows_insert(query: str, count: int) -> str:
    """The `INSERT ... VALUES (?, ...)` for `count` rows: its placeholders repeated."""
    insert = _MULTI_ROW.match(query)
    assert insert is not None
    return insert["head"] + ", ".join([insert["row"]] * count)


def _key_positions(db: duckdb.DuckDBPyConnection, table: str,
                   columns: str | None) -> tuple[int, ...] | None:
    """Where a table's primary key sits in the rows of an insert into it (its columns in
    order, or those named); None when the rows do not hold all of the key."""
    found = db.execute(
        "SELECT constraint_column_indexes, constraint_column_names FROM duckdb_constraints()"
        " WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [table]).fetchall()
    if len(found) != 1:
        return None
    indexes, names = found[0]
    if columns is None:
        return tuple(int(i) for i in indexes)
    named = [c.strip().lower() for c in columns.split(",")]
    if not all(n.lower() in named for n in names):
        return None
    return tuple(named.index(n.lower()) for n in names)
