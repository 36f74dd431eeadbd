"""Opening the DuckDB file: for writing (created with the schema if new) or for reading (it
must exist), waiting a bounded time while another process holds it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from scanner.errors import StoreError
from scanner.store.private import make_private_folders

SCHEMA_VERSION = "1"
LOCK_WAIT_S = 10  # how long a command waits for another process to let go of the file
RESUME_WAIT_S = 600  # how long a scan that let go of the file waits for readers to finish
_RETRY_S = 0.2
# a shorter wait goes unsaid: a scan lets the file go once it has waited on the network for
# plumbing.LET_GO_AFTER_S
NOTICE_AFTER_S = 2.0


_COLUMNS = ("SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main'")


@cache
def _schema() -> str:
    return resources.files("scanner.store").joinpath("schema.sql").read_text()


@cache
def _schema_columns() -> frozenset[tuple[str, str]]:
    """Every (table, column) of the schema, as schema.sql makes them in an empty database."""
    with duckdb.connect() as db:
        db.execute(_schema())
        return _columns(db)


def _columns(db: duckdb.DuckDBPyConnection) -> frozenset[tuple[str, str]]:
    return frozenset((str(t), str(c)) for t, c in db.execute(_COLUMNS).fetchall())


def one_line(exc: BaseException) -> str:
    """DuckDB's messages run over several lines; an error is one line."""
    return " ".join(str(exc).split())


def connect(path: Path, *, read_only: bool, on_wait: Callable[[], None] | None = None,
            wait_s: float = LOCK_WAIT_S, again: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the database at `path`. For writing, the file and its folders are
    made if missing, and the schema is brought up to date. For reading, the file must
    exist; one that lacks a table or column of the schema (made by an older taxscan) is
    brought up to date first, briefly opened for writing.
    While another process holds the file (DuckDB allows one writer, or any number of
    readers, across processes), wait up to `wait_s` seconds, calling `on_wait` once it has
    waited NOTICE_AFTER_S.
    `again`: the file was opened before by this process, its schema brought up to date."""
    try:
        if not read_only:
            make_private_folders(path.parent)
            new = not path.exists()
            db = _locked(path, False, on_wait, wait_s)
            if new:
                os.chmod(path, 0o600)
            if new or not again:
                _bring_up_to_date(db)
            return db
        db = _locked(path, True, on_wait, wait_s)
        if _schema_columns() <= _columns(db):
            return db
        db.close()
        with _locked(path, False, on_wait, wait_s) as writer:
            _bring_up_to_date(writer)
        return _locked(path, True, on_wait, wait_s)
    except (duckdb.Error, OSError) as exc:
        raise StoreError(f"cannot open database {path}: {one_line(exc)}") from None


def _locked(path: Path, read_only: bool, on_wait: Callable[[], None] | None,
            wait_s: float) -> duckdb.DuckDBPyConnection:
    started: float | None = None
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "could not set lock" not in str(exc).lower():
                raise
        now = time.monotonic()
        if started is None:
            started = now
        if on_wait is not None and now - started >= NOTICE_AFTER_S:
            on_wait()
            on_wait = None
        if now - started >= wait_s:
            raise StoreError(f"the database {path} is still in use by another taxscan after "
                             f"{wait_s:g} s: try again when it has finished")
        time.sleep(_RETRY_S)


def _bring_up_to_date(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(_schema())
    if db.execute(_IMPORTED_KEY).fetchall()[0][0]:
        _drop_imported_key(db)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])


_IMPORTED_KEY = ("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'imported_ledger' "
                 "AND constraint_type = 'PRIMARY KEY'")


def _drop_imported_key(db: duckdb.DuckDBPyConnection) -> None:
    """imported_ledger made again without the primary key an older taxscan gave it, every row
    kept: all or nothing."""
    db.execute("BEGIN TRANSACTION")
    try:
        db.execute("ALTER TABLE imported_ledger RENAME TO imported_ledger_keyed")
        db.execute(_schema())
        db.execute("INSERT INTO imported_ledger BY NAME SELECT * FROM imported_ledger_keyed")
        db.execute("DROP TABLE imported_ledger_keyed")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
