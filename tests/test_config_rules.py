"""A config's tax rules apply to every command that reads one: a report given `--config`
follows its [identical], [taxpayer] and jurisdiction for that run, over what the last config
scan kept, and writes nothing; the command line's options still win."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from scanner.ledger.records import Kind
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.helpers import cli_json, run_cli
from tests.unit.builders import TKN, day, leg

TWIN = "eip155:1/erc20:0x" + "22" * 20
WALLETS = f'[[wallets]]\naddress = "{"0x" + "aa" * 20}"\nchains = ["ethereum"]\n\n'  # as scanned
HELD = leg(day(2024, 1, 2), Kind.TRADE, TKN, "1", "1000")
TWIN_BUY = leg(day(2024, 6, 20), Kind.TRADE, TWIN, "1", "100")  # 11 days before the as-of date
PRICES = [PricePoint(TKN, day(2024, 6, 30), Decimal(400), "csv"),
          PricePoint(TWIN, day(2024, 6, 30), Decimal(100), "csv")]


def _db(path: Path) -> Path:
    with Store(path) as store, store.transaction():
        store.replace_ledger(1, [HELD, TWIN_BUY, leg(day(2024, 3, 1), Kind.TRADE, TKN, "-0.5",
                                                      "100")])
        store.save_prices(PRICES)
    return path


def test_a_reports_config_sets_its_rules_for_that_run(tmp_path: Path) -> None:
    db = _db(tmp_path / "rules.duckdb")
    config = tmp_path / "taxscan.toml"
    config.write_text(WALLETS + f'[identical]\nTWINS = ["{TKN}", "{TWIN}"]\n\n'
                      '[taxpayer]\nfiling_status = "separate"\n')

    def risk(*extra: str) -> object:
        rows = cli_json("harvest", "--as-of", "2024-07-01", *extra, db=db)
        return next(r["wash_sale_risk"] for r in rows if r["asset"] == TKN)

    # IRC 1091: a substantially identical asset bought in the 30 days before; the two tokens
    # are identical only by the config's [identical]
    assert risk() is False
    assert risk("--config", str(config)) is True
    assert risk() is False  # nothing was kept: the next run without it is as before

    # 0.5 TKN sold for 100 against a basis of 500: a 400 loss, deductible in full either way;
    # the filing status of the config reaches the netting under the table
    table = run_cli("gains", "--year", "2024", "--config", str(config), db=db)
    assert table.returncode == 0, table.stderr
    assert "married filing separately" in table.stderr.lower()


def test_a_bad_config_stops_a_report_with_one_line(tmp_path: Path) -> None:
    db = _db(tmp_path / "bad.duckdb")
    config = tmp_path / "bad.toml"
    config.write_text(WALLETS + '[identical]\nTWINS = ["not an asset", "eip155:1/slip44:60"]\n')
    result = run_cli("gains", "--year", "2024", "--config", str(config), db=db)
    assert result.returncode == 2, result.stderr
    assert "identical" in result.stderr and len(result.stderr.strip().splitlines()) == 1
