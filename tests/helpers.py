"""Run the real command line in a subprocess, as a user or a script would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_cli(*args: str, db: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("TAXSCAN_DB", None)
    command = [sys.executable, "-m", "scanner", *args]
    if db is not None:
        command += ["--db", str(db)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=full_env, check=False)


def cli_json(*args: str, db: Path) -> Any:
    result = run_cli(*args, "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fixed_rates(store: Any, **per_usd: str) -> None:
    """One rate a currency for every year from 2019 to 2027, as a user's rates file gives
    it (`GBP="0.8"`: one USD buys 0.8 GBP): figures whose subject is not the conversion
    stay easy to write out."""
    from datetime import date
    from decimal import Decimal

    from scanner.prices.fx import FxPoint

    with store.transaction():
        store.save_fx_rates([FxPoint(date(year, 1, 1), currency, Decimal(rate))
                             for currency, rate in per_usd.items()
                             for year in range(2019, 2028)])


REBUILT_TABLES = ("ledger", "imported_ledger", "spam", "lots", "disposals", "lot_state")


def tables(path: Path, names: tuple[str, ...] = REBUILT_TABLES) -> dict[str, list[Any]]:
    """Every row of the tables, in order; the engine's kept state without its arrival and
    seq numbers (a run on counts from the state's, a recompute of some assets from zero)."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        return {name: db.execute(
            f"SELECT * {'EXCLUDE (arrival, seq)' if name == 'lot_state' else ''} "
            f"FROM {name} ORDER BY ALL").fetchall() for name in names}


def assert_as_rebuilt(path: Path) -> None:
    """What `taxscan rebuild` (`refresh`) makes of a copy of the database at `path` is what
    it holds."""
    from scanner.app.rebuild import refresh
    from scanner.store import Store

    copy = path.with_name("whole.duckdb")
    copy.write_bytes(path.read_bytes())
    with Store(copy) as store:
        refresh(store)
    assert tables(copy) == tables(path)
    copy.unlink()
