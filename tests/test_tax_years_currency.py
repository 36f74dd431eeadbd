"""Each country's tax year, reporting currency and day-counted windows, run as a user would
(the installed command line on a real DuckDB file). Every figure is worked out here from
the rule it applies, with the European Central Bank's published reference rates of the day
written out (1 EUR = x USD, 1 EUR = y GBP: one USD buys y / x GBP)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.helpers import cli_json, fixed_rates, run_cli
from tests.unit.builders import TKN, day, leg

CENT = Decimal("0.01")


def cents(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def at(year: int, month: int, date: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, date, hour, minute, tzinfo=UTC)


def trade(when: datetime, quantity: str, usd: str, decimals: int = 18) -> LedgerEntry:
    return leg(when, Kind.TRADE, TKN, quantity, usd, decimals=decimals)


def database(path: Path, legs: list[LedgerEntry], prices: list[PricePoint] = (),  # type: ignore[assignment]
             **rates: str) -> Path:
    with Store(path) as store:
        with store.transaction():
            store.replace_ledger(1, legs)
            store.save_prices(prices)
        if rates:
            fixed_rates(store, **rates)
    return path


# ECB reference rates (eurofxref-hist): 2 January 2024: 1 EUR = 1.0956 USD = 0.86645 GBP;
# 1 March 2024 (a Friday): 1 EUR = 1.0813 USD = 0.85588 GBP
GBP_2024_01_02 = Decimal("0.86645") / Decimal("1.0956")
GBP_2024_03_01 = Decimal("0.85588") / Decimal("1.0813")
BUY = trade(day(2024, 1, 2), "1", "1000")
SALE = trade(day(2024, 3, 1), "-1", "2000")


def test_the_uk_tax_year_runs_from_6_april_and_its_figures_are_in_pounds(
        tmp_path: Path) -> None:
    db = database(tmp_path / "uk.duckdb", [BUY, SALE])
    # TCGA 1992 s.288: the year of assessment 2023-24 ends on 5 April 2024
    assert cli_json("gains", "--year", "2024", "--jurisdiction", "uk", db=db) == []
    (row,) = cli_json("gains", "--year", "2023", "--jurisdiction", "uk", db=db)
    # each figure converted at the rate of its own day: basis on 2 January, proceeds on
    # 1 March
    basis, proceeds = Decimal(1000) * GBP_2024_01_02, Decimal(2000) * GBP_2024_03_01
    assert (row["cost_basis_gbp"], row["proceeds_gbp"], row["gain_gbp"]) == \
        (cents(basis), cents(proceeds), cents(proceeds - basis))
    assert "proceeds_usd" not in row
    table = run_cli("gains", "--year", "2023", "--jurisdiction", "uk", db=db)
    assert table.returncode == 0, table.stderr
    assert "2023 to 2024" in table.stdout and "GBP" in table.stdout
    assert cli_json("gains", "--year", "2024", db=db)[0]["proceeds_usd"] == "2000.00"


def test_the_rate_and_its_day_are_in_the_lineage(tmp_path: Path) -> None:
    weekend = trade(day(2024, 3, 2), "-1", "2000")  # a Saturday: the ECB publishes no rate
    db = database(tmp_path / "lineage.duckdb", [BUY, weekend])
    steps = cli_json("trace", weekend.tx_hash, "--jurisdiction", "de", db=db)
    acquired = next(s for s in steps if s["step"] == "acquired")
    disposed = next(s for s in steps if s["step"] == "disposed")
    eur_2024_01_02 = 1 / Decimal("1.0956")
    assert f"ECB 2024-01-02: 1 USD = {eur_2024_01_02:.6f} EUR" in acquired["detail"]
    assert acquired["eur"] == cents(Decimal(1000) * eur_2024_01_02)
    # proceeds at the latest rate at or before the day: Friday's
    assert disposed["eur"] == cents(Decimal(2000) / Decimal("1.0813"))


def test_a_users_rates_replace_the_ecbs_and_a_day_without_a_rate_is_unknown(
        tmp_path: Path) -> None:
    late = trade(day(2028, 6, 1), "-1", "2000")  # years after the shipped rates end
    db = database(tmp_path / "rates.duckdb", [BUY, late])
    (row,) = cli_json("gains", "--year", "2028", "--jurisdiction", "uk", db=db)
    assert (row["cost_basis_gbp"], row["proceeds_gbp"], row["gain_gbp"]) == \
        (cents(Decimal(1000) * GBP_2024_01_02), None, None)
    table = run_cli("gains", "--year", "2028", "--jurisdiction", "uk", db=db)
    assert "no GBP rate for 1 day(s) from 2028-06-01 to 2028-06-01" in table.stderr
    rates = tmp_path / "hmrc.csv"
    rates.write_text("date,currency,per_usd\n2024-01-01,GBP,0.8\n2028-06-01,gbp,0.75\n")
    imported = run_cli("prices", "rates", str(rates), db=db)
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 rates for GBP" in imported.stderr
    (row,) = cli_json("gains", "--year", "2028", "--jurisdiction", "uk", db=db)
    # 1,000 x 0.8 and 2,000 x 0.75: the user's series is used for every GBP figure
    assert (row["cost_basis_gbp"], row["proceeds_gbp"], row["gain_gbp"]) == \
        ("800.00", "1500.00", "700.00")


def test_a_bad_rates_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = database(tmp_path / "bad.duckdb", [BUY])
    for text, message in (("day,currency,rate\n", "header must be exactly"),
                          ("date,currency,per_usd\n2024-01-01,GBP,-1\n", ":2: per_usd"),
                          ("date,currency,per_usd\n2024-13-01,GBP,1\n", ":2: date"),
                          ("date,currency,per_usd\n2024-01-01,pounds,1\n", "ISO 4217")):
        path = tmp_path / "rates.csv"
        path.write_text(text)
        result = run_cli("prices", "rates", str(path), db=db)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


# ---- windows in calendar days ---------------------------------------------------------------

PRICE = PricePoint(TKN, day(2024, 6, 30), Decimal(500), "csv")


def _flag(rows: list[dict[str, object]], lot: LedgerEntry) -> object:
    return next(r["wash_sale_risk"] for r in rows if r["lot_id"] == f"{lot.tx_hash}:log:0")


def test_the_us_wash_sale_window_counts_dates(tmp_path: Path) -> None:
    # IRC 1091(a): a purchase within 30 days before the date of the sale; a harvest as of
    # 1 July looks back to 1 June, whatever the hour
    held = trade(day(2024, 1, 2), "1", "1000")
    on_day_30 = trade(at(2024, 6, 1, 10), "1", "600")
    on_day_31 = trade(at(2024, 5, 31, 23), "1", "600")
    flagged = database(tmp_path / "in.duckdb", [held, on_day_30], [PRICE])
    assert _flag(cli_json("harvest", "--as-of", "2024-07-01", db=flagged), held) is True
    clear = database(tmp_path / "out.duckdb", [held, on_day_31], [PRICE])
    assert _flag(cli_json("harvest", "--as-of", "2024-07-01", db=clear), held) is False


def test_the_uk_same_day_rule_counts_uk_days(tmp_path: Path) -> None:
    # 23:30 UTC on 31 May 2024 is 00:30 on 1 June in London (BST): the buy at 10:00 on 1
    # June is the same UK day (TCGA 1992 s.105(1)), not a purchase in the 30 days after
    pool = trade(day(2024, 1, 2), "10", "1000")
    sale = trade(at(2024, 5, 31, 23, 30), "-1", "50")
    rebuy = trade(at(2024, 6, 1, 10), "1", "60")
    db = database(tmp_path / "sameday.duckdb", [pool, sale, rebuy], GBP="0.8")
    (row,) = cli_json("gains", "--year", "2024", "--jurisdiction", "uk", db=db)
    assert (row["rule"], row["cost_basis_gbp"], row["proceeds_gbp"]) == \
        ("same-day", "48.00", "40.00")  # 60 x 0.8 and 50 x 0.8


def test_the_canadian_superficial_loss_period_counts_days(tmp_path: Path) -> None:
    # ITA s.54: the period from 30 days before to 30 days after the disposition; a loss
    # sale at noon on 1 June and a buy back at 15:00 on 1 July (30 days later), still held
    # at the period's end: the loss is superficial, denied in full
    buy = trade(day(2024, 1, 2), "1", "1000")
    sale = trade(day(2024, 6, 1), "-1", "500")
    for rebuy, denied, gain in ((at(2024, 7, 1, 15), "625.00", "0.00"),
                                (at(2024, 7, 2, 0), None, "-625.00")):
        db = database(tmp_path / f"ca{rebuy.day}.duckdb",
                      [buy, sale, trade(rebuy, "1", "500")], CAD="1.25")
        (row,) = cli_json("gains", "--year", "2024", "--jurisdiction", "ca", db=db)
        # (500 - 1,000) x 1.25 CAD a USD
        assert (row["disallowed_loss_cad"], row["gain_cad"]) == (denied, gain)


# ---- Germany's exemption limits --------------------------------------------------------------

def test_germanys_limits_are_freigrenzen(tmp_path: Path) -> None:
    # EStG s.23(3) sentence 5: private sales gains of the year are tax-free when below
    # 600 EUR (to 2023) or 1,000 EUR (from 2024), and all taxable otherwise; s.22 no. 3:
    # other income below 256 EUR is tax-free. One USD buys 0.5 EUR here.
    legs = [trade(day(2023, 1, 2), "1", "500"),
            trade(day(2023, 6, 1), "-1", "1700"),  # 1,200 USD gain: 600.00 EUR
            trade(day(2023, 6, 2), "1", "500"),
            trade(day(2024, 3, 1), "-1", "2499.98"),  # 1,999.98 USD: 999.99 EUR, in a year
            leg(day(2024, 5, 1), Kind.INCOME, TKN, "0.1", "511.98")]  # 255.99 EUR
    db = database(tmp_path / "de.duckdb", legs, EUR="0.5")
    result = run_cli("gains", "--year", "2023", "--jurisdiction", "de", db=db)
    assert result.returncode == 0, result.stderr
    assert "private sales (EStG s.23): 600.00 EUR, not below the 600 EUR limit " \
           "(Freigrenze): all of it is taxable" in result.stderr
    result = run_cli("gains", "--year", "2024", "--jurisdiction", "de", db=db)
    assert "private sales (EStG s.23): 999.99 EUR, below the 1,000 EUR limit (Freigrenze): " \
           "tax-free" in result.stderr
    assert "other income (EStG s.22 no. 3): 255.99 EUR, below the 256 EUR limit " \
           "(Freigrenze): tax-free" in result.stderr


# ---- year-end balances -----------------------------------------------------------------------

def test_year_end_balances_add_quantities_of_any_decimal_places(tmp_path: Path) -> None:
    legs = [trade(day(2024, 1, 2), "1", "1000", decimals=0),
            trade(day(2024, 2, 2), "0.5", "500", decimals=1),
            trade(day(2024, 3, 2), "-0.25", "250", decimals=2)]
    db = database(tmp_path / "balances.duckdb", legs)
    (row,) = cli_json("balances", "--year", "2024", db=db)
    assert Decimal(row["quantity"]) == Decimal("1.25")  # 1 + 0.5 - 0.25
    # the UK's year ends on 5 April 2025, 23:59:59 in London (BST: 22:59:59 UTC)
    (uk,) = cli_json("balances", "--year", "2024", "--jurisdiction", "uk", db=db)
    assert uk["as_of"].startswith("2025-04-05T22:59:59")
    assert json.dumps(uk)


def test_explain_gives_its_figures_in_the_jurisdictions_currency(tmp_path: Path) -> None:
    db = database(tmp_path / "explain.duckdb", [BUY, SALE], EUR="0.5")
    rows = cli_json("explain", SALE.tx_hash, "--jurisdiction", "de", db=db)
    (sale,) = [r for r in rows if r["kind"] == "trade"]
    # proceeds 2,000 USD x 0.5, basis 1,000 x 0.5: a gain of 500.00 EUR
    assert (sale["eur_value"], sale["gain_eur"]) == ("1000", "500.00")
    assert "1 USD = 0.500000 EUR" in sale["price_source"]
