"""Tax rules from the command line: scope per year and the recorded 2025 allocation,
specific identification, jurisdictions, and one-line refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from tests.helpers import cli_json, fixed_rates, run_cli
from tests.unit.builders import OTHER, TKN, WALLET, day, leg


def trade(when, quantity: str, usd: str, wallet: str = WALLET) -> LedgerEntry:  # type: ignore[no-untyped-def]
    tx = "0x" + format(int(when.timestamp()), "064x")
    return leg(when, Kind.TRADE, TKN, quantity, usd, tx=tx, wallet=wallet)


CHEAP = trade(day(2024, 1, 2), "1", "100", WALLET)
DEAR = trade(day(2024, 2, 2), "1", "900", OTHER)
SALE = trade(day(2025, 3, 1), "-1", "500", WALLET)


def lot(entry: LedgerEntry) -> str:
    return f"{entry.tx_hash}:{entry.leg_key}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "rules.duckdb"
    with Store(path) as store:
        store.replace_ledger(1, [CHEAP, DEAR, SALE])
        fixed_rates(store, GBP="0.8", EUR="0.9")
    return path


def test_the_2025_allocation_is_recorded_shown_and_used(db: Path) -> None:
    (sale,) = cli_json("gains", "--year", "2025", db=db)
    assert (sale["lot_id"], sale["cost_basis_usd"]) == (lot(CHEAP), "100.00")
    rows = cli_json("basis", "allocate", "--as-of", "2025-01-01", db=db)
    assert {(r["wallet"], r["lot_id"], r["quantity"]) for r in rows} == {
        (WALLET, lot(CHEAP), "1"), (OTHER, lot(DEAR), "1")}
    assert cli_json("basis", "show", db=db) == rows
    universal = cli_json("gains", "--year", "2025", "--scope", "universal", db=db)
    assert [r["lot_id"] for r in universal] == [lot(CHEAP)]


def test_specific_identification_from_the_command_line(db: Path) -> None:
    (sale,) = cli_json("gains", "--year", "2025", "--scope", "universal", "--method",
                       "specific", "--assign", f"{SALE.tx_hash}={lot(DEAR)}", db=db)
    assert (sale["lot_id"], sale["cost_basis_usd"], sale["gain_usd"], sale["rule"]) == \
        (lot(DEAR), "900.00", "-400.00", "specific")
    wrong = run_cli("gains", "--year", "2025", "--method", "specific", "--assign",
                    f"{SALE.tx_hash}={lot(DEAR)}", db=db)  # per wallet: not WALLET's lot
    assert wrong.returncode == 2 and "was not open" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1


def test_jurisdictions_change_the_matching(db: Path) -> None:
    # the sale of 1 March 2025 is in the UK tax year 6 April 2024 to 5 April 2025
    (uk,) = cli_json("gains", "--year", "2024", "--jurisdiction", "uk", db=db)
    assert (uk["rule"], uk["lot_id"], uk["cost_basis_gbp"]) == \
        ("section-104", f"pool:{TKN}", "400.00")  # the pool's average of 100 and 900, x 0.8
    (de,) = cli_json("gains", "--year", "2025", "--jurisdiction", "de", db=db)
    assert (de["rule"], de["cost_basis_eur"], de["term"]) == ("tax-free-after-1y", "90.00",
                                                             "long")


@pytest.mark.parametrize(("args", "message"), [
    (("gains", "--year", "2025", "--jurisdiction", "de", "--method", "lifo"),
     "first in, first out"),
    (("basis", "allocate", "--as-of", "2025-03-01"), "start of a year"),
    (("gains", "--year", "2025", "--assign", "nonsense"), "TX_HASH=LOT_ID"),
])
def test_bad_rules_end_with_one_line_and_exit_2(db: Path, args: tuple[str, ...],
                                                message: str) -> None:
    result = run_cli(*args, db=db)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
