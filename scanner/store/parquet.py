"""Parquet files, written by DuckDB from a CSV staged beside the target, and read back as
CSV text."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from pathlib import Path

import duckdb

from chains.errors import UserInputError
from scanner.writing import csv_lines, write_whole

STAMP = "%Y-%m-%dT%H:%M:%SZ"  # a moment as the ledger's text: ISO 8601 UTC, to the second
_COPY_TO_PARQUET = (
    "COPY (SELECT * FROM read_csv($source, header = true, columns = $columns, quote = '\"', "
    "escape = '\"', nullstr = '', strict_mode = true)) TO $target (FORMAT parquet)")


def write_parquet(path: Path, columns: Mapping[str, str],
                  rows: Iterable[Sequence[object]]) -> None:
    """`rows` as a typed Parquet file at `path`, all or nothing, readable by its user only:
    `columns` names each column and its SQL type, in the order of the rows' cells (an empty
    cell is NULL)."""
    def write(target: Path) -> None:
        staging = target.with_name(f"{target.name}.csv")
        try:
            with staging.open("w", encoding="utf-8", newline="") as file:
                file.writelines(csv_lines(chain([list(columns)], rows)))
            _csv_to_parquet(staging, target, columns)
        finally:
            staging.unlink(missing_ok=True)
    write_whole(path, write)


def _csv_to_parquet(source: Path, target: Path, columns: Mapping[str, str]) -> None:
    try:
        with duckdb.connect() as db:
            db.execute(_COPY_TO_PARQUET, {"source": str(source), "columns": dict(columns),
                                          "target": str(target)})
    except duckdb.IOException as exc:  # DuckDB's own file errors are not OSErrors
        raise OSError(" ".join(str(exc).split())) from None
    os.chmod(target, 0o600)  # tax data, like every other export


def read_parquet_csv(path: Path) -> str:
    """The Parquet file at `path` as CSV text: a header of its column names, then a record
    per row, each value as text: NULL as an empty cell, a TIMESTAMPTZ in ISO 8601 UTC to
    the second (2024-03-01T12:30:05Z), a DECIMAL with its scale's places."""
    if not path.is_file():
        raise UserInputError(f"{path}: no such file")
    try:
        with duckdb.connect() as db:
            source = db.read_parquet(str(path))
            cells = [text_cell(name, str(kind))
                     for name, kind in zip(source.columns, source.types, strict=True)]
            rows = source.project(", ".join(cells)).fetchall()
            header = source.columns
    except duckdb.Error as exc:
        raise UserInputError(f"{path}: cannot read as Parquet "
                             f"({' '.join(str(exc).split())})") from None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue()


def text_cell(name: str, kind: str) -> str:
    """SQL: the value of a Parquet column (its name and SQL type) as `read_parquet_csv`
    writes it."""
    quoted = '"' + name.replace('"', '""') + '"'
    if kind == "TIMESTAMP WITH TIME ZONE":
        return f"strftime({quoted} AT TIME ZONE 'UTC', '{STAMP}')"
    return f"CAST({quoted} AS VARCHAR)"
