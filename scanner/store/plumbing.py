"""The DuckDB connection under the Store: opening, transactions, named queries, meta."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from functools import cache, partial
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any, Self

import duckdb

from scanner.errors import StoreError
from scanner.store.bulk import copy_rows, insert_many, line_copy, read_copy
from scanner.store.connect import RESUME_WAIT_S, connect, one_line
from scanner.store.private import PRIVATE


@cache
def _queries() -> dict[str, str]:
    text = resources.files("scanner.store").joinpath("queries.sql").read_text()
    parts = re.split(r"^-- name: (\w+)\n", text, flags=re.MULTILINE)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


LET_GO_AFTER_S = 1.0  # how long a wait on the network lasts before the file is let go
_LINES_PER_FILE = 100_000  # of a copy: DuckDB reads one while Python writes the next
# DuckDB's threads while Python works on one core
_SPARE_CORES = f"SET threads = {max(1, (os.cpu_count() or 1) - 1)}"


class _Worker(threading.Thread):
    """Work on the database on a thread of its own (Plumbing.meanwhile): its error is kept
    for the thread that waits for it."""

    def __init__(self, work: Callable[[], None], db: duckdb.DuckDBPyConnection) -> None:
        super().__init__(name="taxscan-store", daemon=True)
        self.db = db
        self._work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.db.execute(_SPARE_CORES)
            try:
                self._work()
            finally:
                with suppress(duckdb.Error):  # in an aborted transaction it stays set
                    self.db.execute("RESET threads")
        except BaseException as exc:  # raised again in the thread that joins it
            self.error = exc


class Plumbing:
    """The connection, its transactions and the named queries: what every table mixin of
    the Store stands on."""

    def __init__(self, path: Path, *, read_only: bool = False,
                 on_wait: Callable[[], None] | None = None) -> None:
        """The database at `path`: for writing (made if missing), or with `read_only` for
        reading, beside other readers (it must exist). `on_wait` is called once if another
        process holds the file and the store has waited for it connect.NOTICE_AFTER_S (see
        connect.LOCK_WAIT_S)."""
        self.path = path
        self._read_only = read_only
        self._on_wait = on_wait
        self._transactions = 0
        self._told: dict[str, str] = {}  # meta a command was told for its run: see `tell`
        self._worker: _Worker | None = None  # the thread the store is lent to (`meanwhile`)
        self._letting_go: threading.Timer | None = None  # see `let_go`
        self._closing = threading.Lock()
        PRIVATE.hold()
        self._holding = True
        try:
            self._conn: duckdb.DuckDBPyConnection | None = connect(
                path, read_only=read_only, on_wait=on_wait)
        except BaseException:
            self._release()
            raise

    @property
    def _db(self) -> duckdb.DuckDBPyConnection:
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            raise RuntimeError("the store is in use by work on another thread")
        if self._letting_go is not None or self._closing.locked():
            self._keep()  # waits for a let-go closing the file
        if self._conn is None:
            self._conn = connect(self.path, read_only=self._read_only, on_wait=self._on_wait,
                                 wait_s=RESUME_WAIT_S, again=True)
        return self._conn

    def let_go(self) -> None:
        """Close the file while the caller waits on something else (a scan on the network),
        so that other taxscan processes can read it meanwhile; the next use opens it again,
        waiting for them to finish. It is closed once the wait has lasted LET_GO_AFTER_S (a
        source that answers at once, such as a local node, is not worth opening the file
        again for: its indexes are read from disk anew). Inside a transaction it keeps the
        file."""
        if self._conn is None or self._transactions:
            return
        self._keep()
        timer = threading.Timer(LET_GO_AFTER_S, self._close_idle)
        timer.daemon = True
        self._letting_go = timer
        timer.start()

    def _keep(self) -> None:
        """The file kept: a `let_go` still waiting to close it called off."""
        with self._closing:
            timer, self._letting_go = self._letting_go, None
        if timer is not None:
            timer.cancel()

    def _close_idle(self) -> None:
        with self._closing:
            if self._letting_go is not threading.current_thread():
                return  # called off meanwhile
            self._letting_go = None
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            PRIVATE.release()

    def close(self) -> None:
        self._keep()
        try:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        finally:
            self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- plumbing -------------------------------------------------------------------

    def _run(self, name: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(_queries()[name], list(params)).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"database error in {name}: {one_line(exc)}") from None

    def _sql(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A statement written out in the code (not one of queries.sql's named ones)."""
        try:
            return self._db.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"database error in an incremental rebuild: {one_line(exc)}") \
                from None

    def _copy(self, table: str, rows: Iterable[list[Any]],
              nullable: Sequence[int] | None = None) -> None:
        """`rows` into `table` (all its columns, in order) in one statement
        (bulk.copy_rows), through a file beside the database."""
        self._copying(table, lambda: copy_rows(self._db, table, rows, self.path.parent,
                                               nullable))

    def _copies(self, copies: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Each table's lines of CSV (bulk.line_copy) into it in turn, in files of at most
        `_LINES_PER_FILE` lines: DuckDB reads each file on a thread of its own (`meanwhile`)
        while the next is written."""
        reading: _Worker | None = None
        try:
            for table, lines in copies:
                left = iter(lines)
                while not (copy := line_copy(islice(left, _LINES_PER_FILE),
                                             self.path.parent)).empty:
                    try:
                        if reading is not None:
                            self._join(reading)
                    except BaseException:
                        copy.path.unlink()
                        raise
                    reading = self._lend(partial(self._copying, table,
                                                 partial(read_copy, self._db, table, copy)))
                copy.path.unlink()
        except BaseException:
            if reading is not None:
                self._join(reading, raising=False)
            raise
        if reading is not None:
            self._join(reading)

    @contextmanager
    def meanwhile(self, work: Callable[[], None]) -> Iterator[None]:
        """`work` on the database, on a thread of its own, while the block computes without
        it: DuckDB works without holding Python's lock, so the two share the cores. The
        block must not use the store (it raises RuntimeError); an error of `work` is raised
        when the block ends."""
        worker = self._lend(work)
        try:
            yield
        except BaseException:
            self._join(worker, raising=False)
            raise
        self._join(worker)

    def _lend(self, work: Callable[[], None]) -> _Worker:
        """`work` started on a thread of its own, which has the store until `_join`."""
        db = self._db  # opened here, if let go
        worker = self._worker = _Worker(work, db)
        worker.start()
        return worker

    def _join(self, worker: _Worker, raising: bool = True) -> None:
        """Wait for `worker` (interrupted, DuckDB stops its statement), take the store back
        and raise its error."""
        try:
            try:
                worker.join()
            except KeyboardInterrupt:
                worker.db.interrupt()
                worker.join()
                raise
        finally:
            self._worker = None
        if raising and worker.error is not None:
            raise worker.error

    def _copying(self, table: str, copy: Callable[[], None]) -> None:
        try:
            copy()
        except duckdb.Error as exc:
            raise StoreError(f"database error in copying rows to {table}: "
                             f"{one_line(exc)}") from None

    def _many(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """`rows` through the named query, many rows a statement (see bulk.insert_many)."""
        if not rows:
            return
        try:
            insert_many(self._db, _queries()[name], rows)
        except duckdb.Error as exc:
            raise StoreError(f"database error in {name}: {one_line(exc)}") from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: an error inside rolls every write back. Inside another, it is
        part of that one."""
        if self._transactions:
            yield
            return
        self._db.execute("BEGIN TRANSACTION")
        self._transactions += 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        finally:
            self._transactions -= 1
        self._db.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        if key in self._told:
            return self._told[key]
        rows = self._run("get_meta", [key])
        return str(rows[0][0]) if rows else None

    def tell(self, values: Mapping[str, str]) -> None:
        """Meta values for this run only, over the stored ones (a config read by a report
        that keeps nothing): nothing is written."""
        self._told.update(values)

    def set_meta(self, key: str, value: str) -> None:
        self._run("set_meta", [key, value])
