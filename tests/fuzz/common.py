"""What every fuzz module shares: fixed-seed settings, hostile values, database snapshots."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from chains.errors import TaxscanError
from scanner.store import Store

UINT256_MAX = 2**256 - 1


def fuzz(examples: int) -> settings:
    """Reproducible runs: a seed derived from the test, no example database, no deadline.
    TAXSCAN_FUZZ_SCALE=20 runs twenty times the examples (a deeper search, off the suite)."""
    scale = float(os.environ.get("TAXSCAN_FUZZ_SCALE", "1"))
    return settings(derandomize=True, database=None, deadline=None,
                    max_examples=max(1, round(examples * scale)),
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


# ---- hostile values ---------------------------------------------------------------------

HUGE_INTS = (UINT256_MAX, 2**256, 2**255, 2**128, 2**64, 2**63, 2**63 - 1, 2**31, 10**400)
# text a number could be written as, none of them a finite decimal in range ("1_000" and
# "١٢" are: Python's Decimal reads them, as 1000 and 12)
BAD_NUMBER_TEXTS = ("NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e400",
                    "-1e400", "1e999999999999999999", "1,5", "1.2.3", "0x10", "", " ",
                    "one", "1e", "--1", "+-1")
TRICKY_TEXT = st.sampled_from([
    "", " ", "\x00", "\t", "\u200b", "\u202e", "\ufeff", "\u2028", "\U0001f680", "Ω",
    "ETH\u0000", "USDT\u202eDSU", "=1+1", "'quoted'", '"', "\\", "a" * 300,
])
UNICODE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


def one_line(error: TaxscanError) -> str:
    """The error's message, checked to be one line as the CLI prints it."""
    message = str(error)
    assert message and "\n" not in message and "\r" not in message, repr(message)
    return message


# ---- databases --------------------------------------------------------------------------

Snapshot = dict[str, list[str]]


def snapshot(path: Path) -> Snapshot:
    """Every row of every table of a closed database file, in a comparable form."""
    with duckdb.connect(str(path), read_only=True) as db:
        tables = [row[0] for row in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name").fetchall()]
        return {table: sorted(repr(row) for row in db.execute(
            f'SELECT * FROM "{table}"').fetchall()) for table in tables}


def scratch() -> tempfile.TemporaryDirectory[str]:
    """A directory for one example's files: in memory (/dev/shm) where there is one, since
    a database written and synced per example is most of a fuzz run's time."""
    memory = Path("/dev/shm")
    return tempfile.TemporaryDirectory(dir=memory if memory.is_dir() else None)


@contextmanager
def copy_of(template: Path, directory: Path) -> Iterator[Path]:
    """A fresh copy of a closed database file, for one example."""
    target = directory / "example.duckdb"
    shutil.copyfile(template, target)
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)
        Path(f"{target}.wal").unlink(missing_ok=True)


def all_or_nothing(path: Path, action: Callable[[Store], Any]
                   ) -> tuple[Any, TaxscanError | None]:
    """Run `action` on the database at `path`. It may fail only with a one-line
    TaxscanError (anything else propagates and fails the test), and then the database
    must be exactly as it was."""
    before = path.with_name(f"before-{path.name}")
    shutil.copyfile(path, before)
    try:
        with Store(path) as store:
            result = action(store)
    except TaxscanError as exc:
        one_line(exc)
        assert snapshot(path) == snapshot(before), f"the failed action changed the database: {exc}"
        return None, exc
    finally:
        before.unlink()
    return result, None
