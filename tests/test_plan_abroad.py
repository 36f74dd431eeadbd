"""`taxscan plan` under the UK, Canadian and German rules, run as a user would, with one
fixed exchange rate a currency so that each figure can be written out from the rule it
applies (the rule is named beside it)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from scanner.ledger.records import LedgerEntry
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.helpers import cli_json, fixed_rates, run_cli
from tests.test_plan_us import A, B, C, E, trade
from tests.unit.builders import day


def database(path: Path, legs: list[LedgerEntry], prices: dict[str, str], priced: datetime,
             **rates: str) -> Path:
    with Store(path) as store:
        with store.transaction():
            store.replace_ledger(1, legs)
            store.save_prices([PricePoint(token, priced, D(usd), "csv")
                               for token, usd in prices.items()])
        fixed_rates(store, **rates)
    return path


def plan(db: Path, *args: str) -> Any:
    return cli_json("plan", *args, db=db)


def test_the_uk_plan_in_pounds_over_the_tax_year_to_5_april(tmp_path: Path) -> None:
    # one USD buys 0.8 GBP. 2025 to 2026: a gain of (30,000 - 10,000) x 0.8 = 16,000 GBP;
    # pool B bought for 8,000 GBP is worth 4,000. Taxable income besides: 30,000, leaving
    # 7,700 of the 37,700 basic rate band (ITA 2007 s.10). The annual exempt amount is 3,000
    # (TCGA 1992 s.1K); 18% within the band, 24% above (s.1H).
    legs = [trade(day(2025, 5, 1), A, "1", "10000"), trade(day(2025, 7, 1), A, "-1", "30000"),
            trade(day(2025, 6, 1), B, "1", "10000")]
    db = database(tmp_path / "uk.duckdb", legs, {B: "5000"}, datetime(2026, 1, 1, tzinfo=UTC),
                  GBP="0.8")
    done = plan(db, "--as-of", "2026-01-15", "--jurisdiction", "uk", "--ordinary-income",
                "30000")
    before = D(7700) * D("0.18") + D(16000 - 3000 - 7700) * D("0.24")
    after = D(7700) * D("0.18") + D(12000 - 3000 - 7700) * D("0.24")
    assert (before, after) == (D("2658.00"), D("1698.00"))
    assert done["summary"] == {
        "tax_year": 2025, "currency": "GBP", "realized_short": "16000.00",
        "realized_long": None, "planned_short": "-4000.00", "planned_long": None,
        "net_after_netting": "12000.00", "ordinary_offset": "0.00", "carryover_out": "0.00",
        "tax_before": "2658.00", "tax_after": "1698.00", "tax_saved": "960.00", "gas": "0.00",
        "net_saved": "960.00"}
    (sale,) = done["sales"]
    # the pool is sold whole; a buy back in the 30 days after the sale would be matched to
    # it (bed and breakfast, TCGA 1992 s.106A): not before 15 February
    assert (sale["lot_id"], sale["wallet"], sale["term"], sale["gain"], sale["rebuy"]) == \
        (f"pool:{B}", None, None, "-4000.00", "from 2026-02-15")
    assert done["timing"] == []  # no holding period
    table = run_cli("plan", "--as-of", "2026-01-15", "--jurisdiction", "uk",
                    "--ordinary-income", "30000", db=db)
    assert "until 2026-04-05 23:59:59 BST" in table.stderr  # TCGA 1992 s.288


def test_the_canadian_plan_taxes_half_and_waits_out_the_superficial_loss_period(
        tmp_path: Path) -> None:
    # one USD buys 1.25 CAD. 2025: a gain of (16,000 - 8,000) x 1.25 = 10,000 CAD; pool B
    # cost 6,000 CAD and is worth 2,000. Half a net gain is taxable (ITA s.38(a)), here at
    # a 30% marginal rate: 1,500 before, (10,000 - 4,000) / 2 x 30% = 900 after.
    # Pool C was bought 10 days before: a loss sale now would be superficial (s.54): it is
    # not proposed.
    legs = [trade(day(2025, 2, 1), A, "1", "8000"), trade(day(2025, 6, 1), A, "-1", "16000"),
            trade(day(2025, 3, 1), B, "1", "4800"), trade(day(2025, 11, 5), C, "1", "1000")]
    db = database(tmp_path / "ca.duckdb", legs, {B: "1600", C: "800"},
                  datetime(2025, 11, 10, tzinfo=UTC), CAD="1.25")
    args = ("--as-of", "2025-11-15", "--jurisdiction", "ca", "--short-rate", "0.30")
    done = plan(db, *args)
    summary = done["summary"]
    assert (summary["currency"], summary["realized_short"], summary["planned_short"],
            summary["tax_before"], summary["tax_after"], summary["net_saved"]) == \
        ("CAD", "10000.00", "-4000.00", "1500.00", "900.00", "600.00")
    (sale,) = done["sales"]
    # the superficial-loss period ends 30 days after the sale: buy back from 16 December
    assert (sale["lot_id"], sale["rebuy"]) == (f"pool:{B}", "from 2025-12-16")
    table = run_cli("plan", *args, db=db)
    assert "1 lot(s) at a loss not proposed: Canada's superficial loss rule" in table.stderr


def test_the_german_plan_drops_the_gains_below_the_freigrenze(tmp_path: Path) -> None:
    # one USD buys 0.9 EUR; personal rate 42%. 2025: a gain of (3,000 - 1,000) x 0.9 = 1,800
    # EUR, at or above the 1,000 EUR Freigrenze (EStG s.23(3) sentence 5): all taxable,
    # 756. Lot B's loss of (1,000 - 100) x 0.9 = 810 brings the year to 990: below the
    # limit, all tax-free. It saves 756, more than 810 x 42% = 340.20. Lot C, held over a
    # year, is sold tax-free (s.23(1) no. 2): its loss saves nothing and is not proposed.
    # Lot D's gain of 900 would cost 378 now (2,700 x 42% - 756) and nothing from 2
    # December, a year and a day after it was bought.
    legs = [trade(day(2025, 1, 10), A, "1", "1000"), trade(day(2025, 3, 1), A, "-1", "3000"),
            trade(day(2025, 4, 1), B, "1", "1000"), trade(day(2023, 6, 1), C, "1", "2000"),
            trade(day(2024, 12, 1), E, "1", "100")]
    db = database(tmp_path / "de.duckdb", legs, {B: "100", C: "500", E: "1100"},
                  datetime(2025, 11, 1, tzinfo=UTC), EUR="0.9")
    done = plan(db, "--as-of", "2025-11-15", "--jurisdiction", "de", "--short-rate", "0.42")
    assert done["summary"] == {
        "tax_year": 2025, "currency": "EUR", "realized_short": "1800.00",
        "realized_long": "0.00", "planned_short": "-810.00", "planned_long": "0.00",
        "net_after_netting": "990.00", "ordinary_offset": "0.00", "carryover_out": "0.00",
        "tax_before": "756.00", "tax_after": "0.00", "tax_saved": "756.00", "gas": "0.00",
        "net_saved": "756.00"}
    assert [(s["lot_id"], s["tax_saved"], s["rebuy"]) for s in done["sales"]] == [
        (f"{legs[2].tx_hash}:{legs[2].leg_key}", "756.00", "now")]  # no wash-sale rule
    timed = {t["lot_id"]: t for t in done["timing"]}
    d = timed[f"{legs[4].tx_hash}:{legs[4].leg_key}"]
    assert (d["long_term_on"], d["saving_if_sold_now"], d["saving_if_sold_after"]) == \
        ("2025-12-02", "-378.00", "0.00")
