"""Parquet files, written by DuckDB from a CSV staged beside the target."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb

from chains.errors import UserInputError

_COPY_TO_PARQUET = (
    "COPY (SELECT * FROM read_csv($source, header = true, columns = $columns, quote = '\"', "
    "escape = '\"', nullstr = '', strict_mode = true)) TO $target (FORMAT parquet)")


def write_parquet(path: Path, columns: Mapping[str, str],
                  rows: Iterable[Sequence[object]]) -> None:
    """`rows` as a typed Parquet file at `path`, all or nothing, readable by its user only:
    `columns` names each column and its SQL type, in the order of the rows' cells (an empty
    cell is NULL)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserInputError(f"--out {path}: the folder {folder} does not exist")
    staging = folder / f".{path.name}.csv.partial"
    partial = folder / f".{path.name}.partial"
    try:
        with staging.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(columns)
            writer.writerows(rows)
        _csv_to_parquet(staging, partial, columns)
        os.replace(partial, path)
    except OSError as exc:
        raise UserInputError(f"--out {path}: cannot write ({exc.strerror or exc})") from None
    finally:
        staging.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)


def _csv_to_parquet(source: Path, target: Path, columns: Mapping[str, str]) -> None:
    with duckdb.connect() as db:
        db.execute(_COPY_TO_PARQUET, {"source": str(source), "columns": dict(columns),
                                      "target": str(target)})
    os.chmod(target, 0o600)  # tax data, like every other export
