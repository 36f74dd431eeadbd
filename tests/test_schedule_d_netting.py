"""Schedule D netting (issue 17): short-term gains and losses net together, long-term
together, then the two; a net loss is deducted from ordinary income up to 3,000 USD a year
(1,500 married filing separately: IRC 1211(b)); the rest carries over keeping its character
(IRC 1212(b)), as the Capital Loss Carryover Worksheet in the Schedule D instructions figures
it, through the years of the books. Every expected figure is worked out beside its test,
line by line of the form or the worksheet (W1-W13: the worksheet's lines)."""

from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal
from pathlib import Path

import pytest

from scanner.app.config import load_config
from scanner.app.settings import keep_rules
from scanner.errors import ConfigError
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.netting import Carryover, Netting, capital_netting, net_year
from scanner.tax.records import Disposal, Term
from scanner.tax.taxpayer import FilingStatus, Taxpayer
from tests.helpers import run_cli
from tests.html_page import Parsed
from tests.unit.builders import TKN, day, leg

D = Decimal
SINGLE, SEPARATE = FilingStatus.SINGLE, FilingStatus.SEPARATE
ABC = "eip155:1/erc20:0x" + "33" * 20


def figures(netting: Netting) -> tuple[Decimal, ...]:
    """Lines 7, 15, 16, 21 (positive) and the carryover out, short and long."""
    return (netting.net_short, netting.net_long, netting.net, netting.ordinary_offset,
            netting.carryover_out.short, netting.carryover_out.long)


# ---- one year ------------------------------------------------------------------------------


def test_a_short_gain_nets_against_a_long_loss_and_3000_of_the_rest_is_deducted() -> None:
    # line 7 = 5,000; line 15 = -10,000; line 16 = -5,000; line 21 = smaller of 5,000 and
    # 3,000. Worksheet: W4 = 3,000; line 7 is no loss: W5 = 0, no short carryover;
    # W9 = 10,000, W10 = 5,000 (the short gain), W11 = W4 - W5 = 3,000, W12 = 8,000,
    # W13 = 10,000 - 8,000 = 2,000 long-term.
    netting = net_year(2024, D(5000), D(-10000))
    assert figures(netting) == (D(5000), D(-10000), D(-5000), D(3000), D(0), D(2000))


def test_both_losses_beyond_3000_single_use_the_short_term_loss_first() -> None:
    # line 7 = -2,000; line 15 = -4,000; line 16 = -6,000; line 21 = 3,000.
    # W4 = 3,000; W5 = 2,000, W6 = 0, W7 = 3,000, W8 = 2,000 - 3,000 -> 0 short-term;
    # W9 = 4,000, W10 = 0, W11 = 3,000 - 2,000 = 1,000, W12 = 1,000, W13 = 3,000 long-term.
    netting = net_year(2024, D(-2000), D(-4000), filing_status=SINGLE)
    assert figures(netting) == (D(-2000), D(-4000), D(-6000), D(3000), D(0), D(3000))


def test_both_losses_beyond_1500_married_filing_separately() -> None:
    # line 21 = smaller of 6,000 and 1,500 (IRC 1211(b)(1)). W4 = 1,500; W5 = 2,000, W7 =
    # 1,500, W8 = 500 short-term; W11 = 1,500 - 2,000 -> 0, W12 = 0, W13 = 4,000 long-term.
    netting = net_year(2024, D(-2000), D(-4000), filing_status=SEPARATE)
    assert figures(netting) == (D(-2000), D(-4000), D(-6000), D(1500), D(500), D(4000))
    assert netting.loss_limit == 1500


def test_a_carryover_is_used_against_the_next_years_gains() -> None:
    # The carryover of the separate case above (500 short, 4,000 long) into a year with a
    # short gain of 1,000 and a long gain of 6,000: line 6 = 500, line 7 = 1,000 - 500 = 500;
    # line 14 = 4,000, line 15 = 6,000 - 4,000 = 2,000; line 16 = 2,500, a gain: no line 21,
    # nothing carried on.
    carried = net_year(2024, D(-2000), D(-4000), filing_status=SEPARATE).carryover_out
    netting = net_year(2025, D(1000), D(6000), carried, SEPARATE)
    assert netting.carryover_in == Carryover(D(500), D(4000))
    assert figures(netting) == (D(500), D(2000), D(2500), D(0), D(0), D(0))


def test_a_short_loss_meets_the_long_gain_before_the_deduction() -> None:
    # line 7 = -5,000; line 15 = 1,000; line 16 = -4,000; line 21 = 3,000. W4 = 3,000,
    # W5 = 5,000, W6 = 1,000 (the long gain), W7 = 4,000, W8 = 1,000 short-term; line 15 is
    # no loss: no long-term carryover.
    assert figures(net_year(2024, D(-5000), D(1000))) == \
        (D(-5000), D(1000), D(-4000), D(3000), D(1000), D(0))


def test_a_loss_within_the_limit_is_deducted_whole_and_a_gain_carries_nothing() -> None:
    assert figures(net_year(2024, D("-1234.56"), D(0))) == \
        (D("-1234.56"), D(0), D("-1234.56"), D("1234.56"), D(0), D(0))
    assert figures(net_year(2024, D(700), D(-200))) == (D(700), D(-200), D(500), D(0), D(0),
                                                        D(0))


def test_negative_taxable_income_leaves_part_of_the_deduction_unused() -> None:
    # Worksheet W1 = -1,000 (Form 1040 line 15), W2 = 3,000, W3 = 2,000, W4 = 2,000: only
    # 2,000 of the deduction was used. W5 = 5,000, W7 = 2,000, W8 = 3,000 short-term.
    netting = net_year(2024, D(-5000), D(0), taxable_income=D(-1000))
    assert figures(netting) == (D(-5000), D(0), D(-5000), D(3000), D(3000), D(0))


def test_years_without_sales_still_use_3000_of_the_carryover_a_year() -> None:
    # 10,000 short-term carried into 2022, the books' first year; no sale until 2024's short
    # gain of 500. 2022: line 7 = -10,000, line 21 = 3,000, W8 = 7,000. 2023: line 7 =
    # -7,000, line 21 = 3,000, W8 = 4,000. 2024: line 6 = 4,000, line 7 = 500 - 4,000 =
    # -3,500, line 21 = 3,000, W8 = 500.
    sale = Disposal(wallet="0x" + "aa" * 20, asset=TKN, symbol="TKN", quantity=D(1),
                    acquired=day(2024, 1, 2), disposed=day(2024, 3, 1), proceeds_usd=D(600),
                    cost_basis_usd=D(100), term=Term.SHORT, tx_hash="0x" + "01" * 32,
                    lot_id="lot:1", kind=Kind.TRADE)
    netting = capital_netting([sale], 2024, first_year=2022,
                              taxpayer=Taxpayer(carryover_short=D(10000)))
    assert netting.carryover_in == Carryover(D(4000), D(0))
    assert figures(netting) == (D(-3500), D(0), D(-3500), D(3000), D(500), D(0))
    assert netting.unknown_years == ()


# ---- through the command line, chained over the years of the books -------------------------


def named(entry: LedgerEntry, symbol: str) -> LedgerEntry:
    return dataclasses.replace(entry, symbol=symbol)


# 2023: 1,000 TKN bought for 10,000 and sold for 4,000 two months later: a short-term loss of
# 6,000. 2024: 1 ABC bought for 1,000 and sold for 2,500 a month later: a short gain of 1,500.
LEGS = [
    named(leg(day(2023, 1, 2), Kind.TRADE, TKN, "1000", "10000"), "TKN"),
    named(leg(day(2023, 3, 1), Kind.TRADE, TKN, "-1000", "4000"), "TKN"),
    named(leg(day(2024, 1, 2), Kind.TRADE, ABC, "1", "1000"), "ABC"),
    named(leg(day(2024, 2, 1), Kind.TRADE, ABC, "-1", "2500"), "ABC"),
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "netting.duckdb"
    with Store(path) as store, store.transaction():
        store.replace_ledger(1, LEGS)
    return path


def summary(db: Path, *options: str) -> list[str]:
    ran = run_cli("gains", "--year", "2024", *options, db=db, env={"COLUMNS": "80"})
    assert ran.returncode == 0, ran.stderr
    lines = ran.stderr.splitlines()
    assert all(len(line) <= 80 for line in lines), ran.stderr
    return lines[lines.index(next(x for x in lines if x.startswith("Schedule D"))):]


def test_the_loss_of_2023_carries_into_2024_single(db: Path) -> None:
    # 2023 (the books' first year, nothing carried in): line 7 = -6,000, line 21 = 3,000;
    # W4 = 3,000, W5 = 6,000, W8 = 3,000 short-term into 2024. 2024: line 6 = 3,000,
    # line 7 = 1,500 - 3,000 = -1,500 = line 16; line 21 = 1,500; W4 = 1,500, W5 = 1,500,
    # W8 = 0: nothing carried to 2025.
    assert summary(db) == [
        "Schedule D 2024 (single):",
        "  Short-term carryover (line 6): -3,000.00 USD",
        "  Net short-term (line 7): -1,500.00 USD",
        "  Long-term carryover (line 14): 0.00 USD",
        "  Net long-term (line 15): 0.00 USD",
        "  Net gain or loss (line 16): -1,500.00 USD",
        "  Allowed against ordinary income (line 21, at most 3,000): -1,500.00 USD",
        "  Short-term carryover to 2025 (worksheet line 8): 0.00 USD",
        "  Long-term carryover to 2025 (worksheet line 13): 0.00 USD",
    ]


# A long-term loss of 10,000 carried into 2023, single. 2023: line 7 = -6,000, line 14 =
# 10,000, line 15 = -10,000, line 16 = -16,000, line 21 = 3,000; W4 = 3,000, W5 = 6,000, W8 =
# 3,000 short; W9 = 10,000, W10 = 0, W11 = 0, W13 = 10,000 long. 2024: line 7 = 1,500 -
# 3,000 = -1,500; line 15 = -10,000; line 16 = -11,500; line 21 = 3,000; W4 = 3,000, W5 =
# 1,500, W8 = 0; W9 = 10,000, W11 = 3,000 - 1,500 = 1,500, W13 = 8,500 long into 2025.
CARRIED_10000_SINGLE = [
    "Schedule D 2024 (single):",
    "  Short-term carryover (line 6): -3,000.00 USD",
    "  Net short-term (line 7): -1,500.00 USD",
    "  Long-term carryover (line 14): -10,000.00 USD",
    "  Net long-term (line 15): -10,000.00 USD",
    "  Net gain or loss (line 16): -11,500.00 USD",
    "  Allowed against ordinary income (line 21, at most 3,000): -3,000.00 USD",
    "  Short-term carryover to 2025 (worksheet line 8): 0.00 USD",
    "  Long-term carryover to 2025 (worksheet line 13): -8,500.00 USD",
]


def test_a_carryover_given_goes_into_the_books_first_year(db: Path) -> None:
    assert summary(db, "--carryover-long", "10000") == CARRIED_10000_SINGLE


def test_the_config_taxpayer_table_is_kept_and_the_command_line_wins(
        db: Path, tmp_path: Path) -> None:
    config = tmp_path / "taxscan.toml"
    config.write_text('[[wallets]]\naddress = "0x' + "aa" * 20 + '"\nchains = ["ethereum"]\n\n'
                      '[taxpayer]\nfiling_status = "separate"\ncarryover_long = 10000\n')
    with Store(db) as store:
        keep_rules(store, load_config(config))  # what `taxscan scan --config` keeps
    # Separate, 10,000 long carried into 2023. 2023: line 16 = -16,000, line 21 = 1,500;
    # W4 = 1,500, W5 = 6,000, W8 = 4,500 short; W11 = 0, W13 = 10,000 long. 2024: line 7 =
    # 1,500 - 4,500 = -3,000, line 15 = -10,000, line 16 = -13,000, line 21 = 1,500; W8 =
    # 3,000 - 1,500 = 1,500 short, W11 = 0, W13 = 10,000 long into 2025.
    assert summary(db) == [
        "Schedule D 2024 (married filing separately):",
        "  Short-term carryover (line 6): -4,500.00 USD",
        "  Net short-term (line 7): -3,000.00 USD",
        "  Long-term carryover (line 14): -10,000.00 USD",
        "  Net long-term (line 15): -10,000.00 USD",
        "  Net gain or loss (line 16): -13,000.00 USD",
        "  Allowed against ordinary income (line 21, at most 1,500): -1,500.00 USD",
        "  Short-term carryover to 2025 (worksheet line 8): -1,500.00 USD",
        "  Long-term carryover to 2025 (worksheet line 13): -10,000.00 USD",
    ]
    # the option wins over the config's filing status; the config's carryover stays
    assert summary(db, "--filing-status", "single") == CARRIED_10000_SINGLE


def test_schedule_d_export_has_the_netting_lines(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "schedule-d.csv"
    ran = run_cli("export", "--format", "schedule-d", "--year", "2024", "--out", str(out),
                  "--carryover-long", "10000", db=db)
    assert ran.returncode == 0, ran.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert [(r["line"], r["proceeds"], r["cost_basis"], r["gain"]) for r in rows] == [
        ("3", "2500.00", "1000.00", "1500.00"),
        ("6", "", "", "-3000.00"), ("7", "", "", "-1500.00"),
        ("14", "", "", "-10000.00"), ("15", "", "", "-10000.00"),
        ("16", "", "", "-11500.00"), ("21", "", "", "-3000.00"),
        ("worksheet 8", "", "", "0.00"), ("worksheet 13", "", "", "-8500.00"),
    ]


def test_the_html_report_shows_the_netting(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    ran = run_cli("report", "--year", "2024", "--out", str(out), "--carryover-long", "10000",
                  db=db)
    assert ran.returncode == 0, ran.stderr
    shown = {k: v for k, v in Parsed(out.read_text()).figures.items()
             if k.startswith("netting.")}
    assert shown == {"netting.6": "-3000.00", "netting.7": "-1500.00",
                     "netting.14": "-10000.00", "netting.15": "-10000.00",
                     "netting.16": "-11500.00", "netting.21": "-3000.00",
                     "netting.carryover_short": "0.00", "netting.carryover_long": "-8500.00"}


def test_another_jurisdiction_shows_no_schedule_d(db: Path) -> None:
    ran = run_cli("gains", "--year", "2024", "--jurisdiction", "de", db=db)
    assert ran.returncode == 0, ran.stderr
    assert "Schedule D" not in ran.stderr


@pytest.mark.parametrize(("option", "value", "problem"), [
    ("--carryover-short", "-5", "--carryover-short must be at least 0"),
    ("--carryover-long", "12.345", "a loss carried over is in whole cents"),
    ("--carryover-long", "lots", "must be a decimal number"),
])
def test_a_bad_carryover_is_one_line(db: Path, option: str, value: str, problem: str) -> None:
    ran = run_cli("gains", "--year", "2024", option, value, db=db)
    assert ran.returncode == 2
    assert ran.stderr.count("\n") == 1 and problem in ran.stderr, ran.stderr


WALLET_TOML = '[[wallets]]\naddress = "0x' + "aa" * 20 + '"\nchains = ["ethereum"]\n\n'


def test_the_taxpayer_table_reads_exact_amounts_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(WALLET_TOML + '[taxpayer]\nfiling_status = "Joint"\n'
                    'carryover_short = 1200.5\ncarryover_long = "0.10"\n')
    taxpayer = load_config(path).taxpayer
    assert (taxpayer.filing_status, taxpayer.carryover_short, taxpayer.carryover_long) == \
        (FilingStatus.JOINT, D("1200.50"), D("0.10"))
    path.write_text(WALLET_TOML)
    assert load_config(path).taxpayer == Taxpayer()  # single, nothing carried over


@pytest.mark.parametrize(("table", "problem"), [
    ('filing_status = "married"', "taxpayer.filing_status: must be one of single, joint, "
                                  "separate, head, not 'married'"),
    ("carryover_short = -1", "taxpayer.carryover_short: a loss carried over is written as a "
                             "positive amount (or 0) below 1e20, not -1"),
    ('carryover_long = "1.005"', "taxpayer.carryover_long: a loss carried over is in whole "
                                 "cents, not 1.005"),
    ("carryover_long = true", "taxpayer.carryover_long: must be a number or a string holding "
                              "one, not a boolean"),
    ("income = 5", "taxpayer: unknown key income (allowed: filing_status, carryover_short, "
                   "carryover_long, ordinary_income, state_rate)"),
])
def test_a_bad_taxpayer_table_is_one_line_naming_the_key(
        tmp_path: Path, table: str, problem: str) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(WALLET_TOML + "[taxpayer]\n" + table + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {problem}"


def test_an_unknown_basis_in_an_earlier_year_makes_the_netting_unknown(tmp_path: Path) -> None:
    path = tmp_path / "unknown.duckdb"
    never_bought = named(leg(day(2023, 5, 1), Kind.TRADE, ABC, "-5", "50"), "ABC")
    with Store(path) as store, store.transaction():
        store.replace_ledger(1, [*LEGS, never_bought])
    assert summary(path) == ["Schedule D 2024: unknown: disposals of unknown basis or "
                             "proceeds in 2023"]
    out = tmp_path / "schedule-d.csv"
    ran = run_cli("export", "--format", "schedule-d", "--year", "2024", "--out", str(out),
                  db=path)
    assert ran.returncode == 2 and not out.exists()
    assert ran.stderr.startswith("error: Schedule D 2024 cannot be netted: 2023 had "
                                 "disposals of unknown basis or proceeds"), ran.stderr
