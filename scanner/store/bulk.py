"""Many rows through one query. A plain `INSERT ... VALUES (?, ...)` goes in statements of
many rows each: DuckDB's executemany runs one statement a row, and a big wallet's logs took
minutes. Bigger tables (a million lots) go through a CSV file DuckDB reads (`copy_rows`, or
`line_copy` and `read_copy` for lines made by the caller)."""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TextIO

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
    if not rows:
        return
    columns = [list(column) for column in zip(*rows, strict=True)]
    if all(_plain(column) for column in columns):
        db.execute(_columns_insert(query, len(columns)), columns)
        return
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        db.execute(_rows_insert(query, len(chunk)), [value for row in chunk for value in row])


_INT64 = range(-(2**63), 2**63)


def _plain(column: list[Any]) -> bool:
    """Whether DuckDB takes the cells as a list of one type each as it takes them one by one:
    texts, booleans, 64-bit integers, naive moments and lists of texts, with NULLs. (A
    Decimal of a list takes the widest one's type, which past 38 digits is a float.)"""
    for value in column:
        kind = type(value)
        if not (value is None or kind is str or kind is bool or (kind is int and value in _INT64)
                or (kind is datetime and value.tzinfo is None)
                or (kind is list and all(type(item) is str for item in value))):
            return False
    return True


@cache
def _columns_insert(query: str, count: int) -> str:
    """The `INSERT ... SELECT` of `count` columns, each given as a list: binding a list is
    some ten times quicker than binding its values one by one."""
    insert = _MULTI_ROW.match(query)
    assert insert is not None
    head = re.sub(r"VALUES\s*$", "", insert["head"], flags=re.I)
    return head + "SELECT " + ", ".join(["unnest(?)"] * count)


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


class _Null(int):
    """A NULL cell for `copy_rows`: a number to the CSV writer (so not quoted), written as
    nothing, where every text is quoted (an empty text stays '')."""

    def __str__(self) -> str:
        return ""


_NULL = _Null()
_COLUMNS = ("SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position")
_READ = ("read_csv($path, columns = $columns, header = false, delim = ',', quote = '\"', "
         "escape = '\"', nullstr = '', allow_quoted_nulls = false, auto_detect = false)")


def copy_rows(db: duckdb.DuckDBPyConnection, table: str, rows: Iterable[list[Any]],
              folder: Path, nullable: Sequence[int] | None = None) -> None:
    """`rows` (every column of `table`, in order; None for NULL, only at the `nullable`
    places when they are given) into `table` through a CSV file in `folder` (readable by
    its user only, removed after) that DuckDB's CSV reader reads: one statement, whatever
    the number of rows. Each value is written as str() gives it, which DuckDB reads back
    exactly (Decimal, datetime, int, bool, str)."""
    def write(file: TextIO) -> None:
        csv.writer(file, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows(
            _nulls_written(rows, nullable))
    read_copy(db, table, write_copy(write, folder, False))


def quoted(text: str) -> str:
    """A text cell of `line_copy`."""
    return '"' + text.replace('"', '""') + '"'


class Quoted(dict[str | None, str]):
    """Text cells of `line_copy` (None as NULL), each text quoted once: for the texts that
    recur across many rows."""

    def __init__(self) -> None:
        super().__init__({None: ""})

    def __missing__(self, text: str | None) -> str:
        assert text is not None
        cell = self[text] = quoted(text)
        return cell


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """A moment of `line_copy` (an aware one)."""
    return (moment - EPOCH) // MICROSECOND


@dataclass(frozen=True)
class CopyFile:
    """A file of rows written for `read_copy`: the Python half of a copy, apart from
    DuckDB's half so that the two can overlap."""

    path: Path
    micro_moments: bool  # its TIMESTAMP cells in microseconds since 1970 (line_copy)
    empty: bool


def write_copy(write: Callable[[TextIO], None], folder: Path,
               micro_moments: bool) -> CopyFile:
    """The file `write` writes, in `folder`, readable by its user only."""
    handle, name = tempfile.mkstemp(prefix=".taxscan-copy-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            write(file)
            empty = not file.tell()
    except BaseException:
        os.unlink(name)
        raise
    return CopyFile(Path(name), micro_moments, empty)


def line_copy(lines: Iterable[str], folder: Path) -> CopyFile:
    """`write_copy` of lines of CSV made in the caller, faster than the CSV writer makes them
    (it reads every character of a cell): a text cell quoted (`quoted`), a number as str()
    gives it, a moment of a TIMESTAMP column in microseconds since 1970 (`micros`), NULL as
    nothing."""
    return write_copy(lambda file: file.writelines(lines), folder, True)


def read_copy(db: duckdb.DuckDBPyConnection, table: str, copy: CopyFile) -> None:
    """The rows of `copy` into `table` (every column, in order); the file is then
    removed."""
    try:
        if not copy.empty:
            columns = dict(db.execute(_COLUMNS, [table]).fetchall())
            micro = copy.micro_moments
            db.execute(_copy_sql(table, tuple(columns.items()), micro), {
                "path": str(copy.path),
                "columns": {c: "BIGINT" if micro and t == "TIMESTAMP" else t
                            for c, t in columns.items()}})
    finally:
        copy.path.unlink()


@cache
def _copy_sql(table: str, columns: tuple[tuple[str, str], ...], micro_moments: bool) -> str:
    """The statement that reads a copy file into `table` (a name in the code, never a
    value): the file's path and the table's columns go as parameters."""
    cells = ", ".join(f'make_timestamp("{c}")' if micro_moments and t == "TIMESTAMP"
                      else f'"{c}"' for c, t in columns)
    return f"INSERT INTO {table} SELECT {cells} FROM {_READ}"


def _nulls_written(rows: Iterable[list[Any]],
                   nullable: Sequence[int] | None) -> Iterator[list[Any]]:
    if nullable is None:
        for row in rows:
            yield [_NULL if cell is None else cell for cell in row]
        return
    for row in rows:
        for at in nullable:
            if row[at] is None:
                row[at] = _NULL
        yield row
