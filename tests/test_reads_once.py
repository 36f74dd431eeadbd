"""Each report command reads the ledger from the database once, however many figures it
draws from it (the read model hands the same legs and lots to every part)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli.main import app
from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.unit.builders import TKN, day, leg

BUY = leg(day(2024, 1, 2), Kind.TRADE, TKN, "2", "200")
SALE = leg(day(2025, 3, 1), Kind.TRADE, TKN, "-1", "50")
REWARD = leg(day(2025, 4, 1), Kind.INCOME, TKN, "1", "60")
LEGS = [BUY, SALE, REWARD]
LOT = f"{BUY.tx_hash}:{BUY.leg_key}"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reads") / "once.duckdb"
    with Store(path) as store, store.transaction():
        store.replace_ledger(1, LEGS)
        store.save_prices([PricePoint(TKN, day(2025, 6, 1), Decimal(30), "csv")])
    return path


@pytest.fixture
def ledger_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[None]]:
    calls: list[None] = []
    read = Store.ledger

    def counted(store: Store) -> list[LedgerEntry]:
        calls.append(None)
        return read(store)

    monkeypatch.setattr(Store, "ledger", counted)
    yield calls


EXPORTS = ("ledger", "form8949", "schedule-d", "turbotax", "txf", "koinly", "cointracker",
           "coinledger")

COMMANDS = [
    ("gains", "--year", "2025"),
    ("income", "--year", "2025"),
    ("ledger",),
    ("lots",),
    ("lots", "--as-of", "2025-01-01"),
    ("trace", LOT),
    ("trace", SALE.tx_hash),
    ("harvest", "--as-of", "2025-06-30"),
    ("harvest", "--as-of", "2025-06-30", "--offset-gains"),
    ("harvest", "--as-of", "2025-06-30", "--target-loss", "10"),
    ("prices", "missing"),
    ("balances", "--year", "2025"),
    ("explain", SALE.tx_hash),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_report_reads_the_ledger_once(db: Path, ledger_reads: list[None],
                                        args: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert len(ledger_reads) == 1


@pytest.mark.parametrize("fmt", EXPORTS)
def test_an_export_reads_the_ledger_once(db: Path, ledger_reads: list[None], tmp_path: Path,
                                         fmt: str) -> None:
    result = CliRunner().invoke(app, ["export", "--format", fmt, "--year", "2025", "--out",
                                      str(tmp_path / f"{fmt}.out"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert len(ledger_reads) == 1


def test_the_html_report_reads_the_ledger_once(db: Path, ledger_reads: list[None],
                                               tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "report.html"),
                                      "--year", "2025", "--as-of", "2025-06-30",
                                      "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert len(ledger_reads) == 1
