"""`taxscan plan` under US rules, run as a user would (the installed command line on a real
DuckDB file). Every figure is worked out here by hand: Schedule D's netting (lines 7, 15, 16
and 21), the Capital Loss Carryover Worksheet, the 2025 brackets of Rev. Proc. 2024-40 and
the Qualified Dividends and Capital Gain Tax Worksheet, IRC 1411."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.helpers import cli_json, run_cli
from tests.html_page import figures
from tests.unit.builders import day, leg


def asset(n: int) -> str:
    return f"eip155:1/erc20:0x{n:040x}"


A, B, C, E, X, Y = (asset(n) for n in (0xA, 0xB, 0xC, 0xE, 0x10, 0x11))


def trade(when: datetime, token: str, quantity: str, usd: str) -> LedgerEntry:
    return leg(when, Kind.TRADE, token, quantity, usd, key=f"log:{int(token[-4:], 16)}")


def lot_id(entry: LedgerEntry) -> str:
    return f"{entry.tx_hash}:{entry.leg_key}"


def database(path: Path, legs: list[LedgerEntry], prices: dict[str, str],
             priced: datetime = datetime(2025, 11, 1, tzinfo=UTC)) -> Path:
    with Store(path) as store, store.transaction():
        store.replace_ledger(1, legs)
        store.save_prices([PricePoint(token, priced, D(usd), "csv")
                           for token, usd in prices.items()])
    return path


def plan(db: Path, *args: str) -> Any:
    return cli_json("plan", "--as-of", "2025-11-15", *args, db=db)


def summary(*values: str) -> dict[str, str]:
    names = ("realized_short", "realized_long", "planned_short", "planned_long",
             "net_after_netting", "ordinary_offset", "carryover_out", "tax_before", "tax_after",
             "tax_saved", "gas", "net_saved")
    return {"tax_year": 2025, "currency": "USD", **dict(zip(names, values, strict=True))}  # type: ignore[dict-item]


# The issue's example: 10,000 USD of short-term gain realized in 2025; lot B at a long-term
# loss of 6,000, lot C at a short-term loss of 4,000.
GAIN = [trade(day(2025, 1, 10), A, "1", "10000"), trade(day(2025, 3, 1), A, "-1", "20000")]
LOT_B = trade(day(2023, 6, 1), B, "1", "10000")
LOT_C = trade(day(2025, 5, 1), C, "1", "5000")


def test_the_issue_example_saves_2400_where_flat_rates_said_1860(tmp_path: Path) -> None:
    db = database(tmp_path / "issue.duckdb", [*GAIN, LOT_B, LOT_C], {B: "4000", C: "1000"})
    # what `harvest --offset-gains` says: each loss times its term's rate
    rows = cli_json("harvest", "--as-of", "2025-11-15", "--offset-gains", "--short-rate",
                    "0.24", "--long-rate", "0.15", db=db)
    assert sum(D(r["tax_saved_usd"]) for r in rows if r["suggested"]) == \
        D(6000) * D("0.15") + D(4000) * D("0.24") == D(1860)
    # Schedule D: line 7 = 10,000 - 4,000 = 6,000; line 15 = -6,000; line 16 = 0
    for args in (("--short-rate", "0.24", "--long-rate", "0.15"),
                 ("--ordinary-income", "150000")):  # single 2025: 24% from 103,350
        done = plan(db, *args)
        assert done["summary"] == summary("10000.00", "0.00", "-4000.00", "-6000.00", "0.00",
                                          "0.00", "0.00", "2400.00", "0.00", "2400.00",
                                          "0.00", "2400.00")
        # B alone leaves line 16 = 4,000 short-term: 960 of tax, so it saves 1,440; then C
        # saves the last 960
        assert [(s["lot_id"], s["gain"], s["term"], s["tax_saved"]) for s in done["sales"]] \
            == [(lot_id(LOT_B), "-6000.00", "long", "1440.00"),
                (lot_id(LOT_C), "-4000.00", "short", "960.00")]
        assert [s["rebuy"] for s in done["sales"]] == ["now", "now"]
        assert all(s["wash_sale_risk"] for s in done["sales"])  # no rule for crypto today
    assert set(done) == {"summary", "sales", "timing"}
    assert list(done["sales"][0]) == [
        "lot_id", "asset", "symbol", "wallet", "chain_id", "acquired", "quantity", "proceeds",
        "cost_basis", "gain", "term", "gas", "tax_saved", "wash_sale_risk", "rebuy"]
    # C turns long-term on 2 May 2026; sold then, in 2026, it meets no gain: 3,000 of it is
    # deducted at 24% (2026: 105,700 to 201,775, Rev. Proc. 2025-32)
    (timed,) = done["timing"]
    assert timed == {"lot_id": lot_id(LOT_C), "asset": C, "long_term_on": "2026-05-02",
                     "saving_if_sold_now": "960.00", "saving_if_sold_after": "720.00"}
    table = run_cli("plan", "--as-of", "2025-11-15", "--ordinary-income", "150000", db=db)
    assert table.returncode == 0, table.stderr
    assert "2400.00" in table.stdout
    assert "sales count in 2025 until 2025-12-31 23:59:59 UTC" in table.stderr
    assert "capital gain rate thresholds of 2025: Rev. Proc. 2024-40" in table.stderr


def test_a_loss_that_would_meet_gains_taxed_at_0_percent_is_kept(tmp_path: Path) -> None:
    # single 2025, 40,000 of other taxable income and a long-term gain of 10,000: the 0%
    # rate runs to 48,350, so 1,650 of the gain is taxed at 15% (247.50). Lot D (a
    # long-term loss of 1,650) brings the gain down to 8,350, all at 0%; lot E's loss of
    # 3,000 would then save nothing and is kept for a year it can save something.
    legs = [trade(day(2023, 1, 10), A, "1", "10000"), trade(day(2025, 3, 1), A, "-1", "20000"),
            trade(day(2023, 2, 1), B, "1", "2650"), trade(day(2023, 2, 2), E, "1", "4000")]
    db = database(tmp_path / "zero.duckdb", legs, {B: "1000", E: "1000"})
    done = plan(db, "--ordinary-income", "40000")
    assert done["summary"] == summary("0.00", "10000.00", "0.00", "-1650.00", "8350.00",
                                      "0.00", "0.00", "247.50", "0.00", "247.50", "0.00",
                                      "247.50")
    assert [s["lot_id"] for s in done["sales"]] == [lot_id(legs[2])]


def test_a_joint_filer_across_the_24_percent_edge_into_the_deduction(tmp_path: Path) -> None:
    # married filing jointly 2025, 200,000 of other taxable income; 20,000 short-term
    # gain: 6,700 at 22% (to 206,700) and 13,300 at 24% = 4,666. Lot F (short-term loss
    # 13,300) takes off the 24% part: 3,192; lot G (10,000) the rest, and a net loss of
    # 3,300 deducts 3,000 at 22% (660); 300 short-term is carried over.
    legs = [*GAIN[:1], trade(day(2025, 3, 1), A, "-1", "30000"),
            trade(day(2025, 4, 1), B, "1", "14300"), trade(day(2025, 4, 2), C, "1", "11000")]
    db = database(tmp_path / "joint.duckdb", legs, {B: "1000", C: "1000"})
    done = plan(db, "--ordinary-income", "200000", "--filing-status", "joint")
    assert done["summary"] == summary("20000.00", "0.00", "-23300.00", "0.00", "-3300.00",
                                      "3000.00", "300.00", "4666.00", "-660.00", "5326.00",
                                      "0.00", "5326.00")
    assert [(s["gain"], s["tax_saved"]) for s in done["sales"]] == [
        ("-13300.00", "3192.00"), ("-10000.00", "2134.00")]


def test_the_loss_carried_in_nets_before_the_plan(tmp_path: Path) -> None:
    # 5,000 long-term carried into 2024, the books' first year: 2024 deducts 3,000 and
    # carries 2,000 into 2025 (lines 9-13). 2025: line 7 = 4,000, line 15 = -2,000, line 16
    # = 2,000, taxed at 22% (single, 60,000 besides): 440. Lot H's short-term loss of 5,000
    # makes line 7 = -1,000, line 16 = -3,000: 3,000 deducted (660 off), nothing carried
    # (worksheet: line 8 = 1,000 - 3,000 < 0; line 13 = 2,000 - (0 + 2,000) = 0).
    legs = [trade(day(2024, 3, 1), A, "1", "1000"), trade(day(2025, 3, 1), A, "-1", "5000"),
            trade(day(2025, 4, 1), B, "1", "6000")]
    db = database(tmp_path / "carry.duckdb", legs, {B: "1000"})
    done = plan(db, "--ordinary-income", "60000", "--carryover-long", "5000")
    assert done["summary"] == summary("4000.00", "0.00", "-5000.00", "0.00", "-3000.00",
                                      "3000.00", "0.00", "440.00", "-660.00", "1100.00",
                                      "0.00", "1100.00")


def test_waiting_for_the_long_term_date_beats_selling_now(tmp_path: Path) -> None:
    # lot J: bought 20 November 2024 for 5,000, worth 10,000. Sold now its 5,000 gain is
    # short-term at 22% (single, 60,000 besides): 1,100. From 21 November 2025 (the day
    # after the anniversary), before the year ends, it is long-term at 15% (the 0% rate
    # stops at 48,350): 750. Rebalanced toward X and Y at half each (X is 10,000 of 12,000),
    # the plan sells it and says what waiting saves.
    legs = [trade(day(2024, 11, 20), X, "1", "5000"), trade(day(2025, 1, 5), Y, "1", "2000")]
    db = database(tmp_path / "wait.duckdb", legs, {X: "10000", Y: "2000"})
    targets = ("--target", f"{X}=0.5", "--target", f"{Y}=0.5")
    done = plan(db, "--ordinary-income", "60000", *targets)
    assert done["timing"] == [{"lot_id": lot_id(legs[0]), "asset": X,
                               "long_term_on": "2025-11-21", "saving_if_sold_now": "-1100.00",
                               "saving_if_sold_after": "-750.00"}]
    assert [(s["gain"], s["tax_saved"], s["rebuy"]) for s in done["sales"]] == [
        ("5000.00", "-1100.00", "none (rebalance)")]
    table = run_cli("plan", "--as-of", "2025-11-15", "--ordinary-income", "60000", *targets,
                    db=db)
    assert "turns long-term on 2025-11-21, before the deadline: sold from then it saves " \
           "350.00 USD more" in table.stderr


def test_rebalancing_sells_what_costs_least_tax_in_the_methods_order(tmp_path: Path) -> None:
    # X is worth 15,000 in three lots of 5,000, Y 5,000; targets 50/50: sell 5,000 of X,
    # buy 5,000 of Y. X1 (2023) has a long-term gain of 4,000, X2 a short-term loss of 1,000,
    # X3 a short-term gain of 2,000. Single, 60,000 besides (22%; long-term at 15%).
    legs = [trade(day(2023, 1, 10), X, "1", "1000"), trade(day(2025, 2, 1), X, "1", "6000"),
            trade(day(2025, 3, 1), X, "1", "3000"), trade(day(2025, 1, 5), Y, "1", "5000")]
    db = database(tmp_path / "rebalance.duckdb", legs, {X: "5000", Y: "5000"})
    targets = ("--target", f"{X}=0.5", "--target", f"{Y}=0.5", "--ordinary-income", "60000")
    # HIFO draws on X2 first (unit cost 6,000): its loss deducts 1,000 at 22%
    done = plan(db, *targets, "--method", "hifo")
    assert [(s["lot_id"], s["tax_saved"], s["rebuy"]) for s in done["sales"]] == [
        (lot_id(legs[1]), "220.00", "none (rebalance)")]
    assert done["rebalance"] == [
        {"target": X, "weight": "0.5", "value": "15000.00", "target_value": "10000.00",
         "sell": "5000.00", "buy": "0.00", "sold": "5000.00"},
        {"target": Y, "weight": "0.5", "value": "5000.00", "target_value": "10000.00",
         "sell": "0.00", "buy": "5000.00", "sold": "0.00"}]
    # FIFO must sell X1 first: 4,000 long-term at 15% = 600; selling X2 as well (and buying
    # it back) nets line 16 to 3,000, all long-term: 450, 150 less
    done = plan(db, *targets)
    assert [(s["lot_id"], s["tax_saved"], s["rebuy"]) for s in done["sales"]] == [
        (lot_id(legs[0]), "-600.00", "none (rebalance)"), (lot_id(legs[1]), "150.00", "now")]
    assert (done["summary"]["tax_after"], done["summary"]["net_saved"]) == ("450.00", "-450.00")


def test_the_wash_sale_scenario(tmp_path: Path) -> None:
    # single, 150,000 besides (24%); 10,000 short-term gain. L1: short-term loss 4,000. L2:
    # a loss of 3,000 on token B, of which another lot was bought on 5 November, 10 days
    # before. Today's law: sell both and buy back at once: 7,000 x 24% = 1,680 saved.
    # Under a section 1091-style rule those buys back deny both losses (nothing saved) and
    # the buy of 5 November denies L2's whole loss (one token against one sold): the plan
    # remade sells L1 alone (960) and buys back after 30 days.
    legs = [*GAIN, trade(day(2025, 5, 1), C, "1", "5000"), trade(day(2025, 6, 1), B, "1", "4000"),
            leg(day(2025, 11, 5), Kind.TRADE, B, "1", "1000", key="log:99")]
    db = database(tmp_path / "wash.duckdb", legs, {B: "1000", C: "1000"})
    law = plan(db, "--ordinary-income", "150000")
    assert law["summary"]["net_saved"] == "1680.00"
    assert [s["wash_sale_risk"] for s in law["sales"]] == [True, True]
    done = plan(db, "--ordinary-income", "150000", "--scenario", "wash-sale")
    assert done["scenario"] == {"name": "wash-sale", "net_saved_under_law": "1680.00",
                                "net_saved_if_rebought": "0.00", "lost": "1680.00",
                                "net_saved": "960.00"}
    (sale,) = done["sales"]
    # IRC 1091(a): 30 days after the sale of 15 November; the 31st is 16 December
    assert (sale["lot_id"], sale["tax_saved"], sale["rebuy"], sale["wash_sale_risk"]) == \
        (lot_id(legs[2]), "960.00", "from 2025-12-16", False)


def test_gas_is_taken_off_and_a_sale_below_the_threshold_is_not_proposed(
        tmp_path: Path) -> None:
    # a trade paid 12.34 of gas on chain 1: each sale there costs that. Lot B saves 1,440
    # net 1,427.66; lot C, a loss of 10, saves 2.40 (24%): less than its gas
    legs = [*GAIN, LOT_B, trade(day(2025, 5, 1), C, "1", "20"),
            leg(day(2025, 3, 1), Kind.FEE, "eip155:1/slip44:60", "-0.004", "12.34",
                key="gas")]
    db = database(tmp_path / "gas.duckdb", legs, {B: "4000", C: "10"})
    done = plan(db, "--ordinary-income", "150000")
    assert [(s["lot_id"], s["gas"], s["tax_saved"]) for s in done["sales"]] == [
        (lot_id(LOT_B), "12.34", "1440.00")]
    assert (done["summary"]["gas"], done["summary"]["net_saved"]) == ("12.34", "1427.66")
    # a threshold of 1,500 leaves nothing worth selling
    assert plan(db, "--ordinary-income", "150000", "--min-saving", "1500")["sales"] == []


def test_a_target_loss_with_split_sells_part_of_a_lot(tmp_path: Path) -> None:
    db = database(tmp_path / "split.duckdb", [*GAIN, LOT_B], {B: "4000"})
    whole = plan(db, "--ordinary-income", "150000", "--target-loss", "5000")
    assert [(s["quantity"], s["gain"]) for s in whole["sales"]] == [("1", "-6000.00")]
    # 5,000 of B's 6,000 loss: 5/6 of the token, 0.833333 (3,333.33 of proceeds against
    # 8,333.33 of basis, to the cent)
    done = plan(db, "--ordinary-income", "150000", "--target-loss", "5000", "--split")
    assert [(s["quantity"], s["proceeds"], s["cost_basis"], s["gain"])
            for s in done["sales"]] == [("0.833333", "3333.33", "8333.33", "-5000.00")]
    csv = run_cli("plan", "--as-of", "2025-11-15", "--ordinary-income", "150000",
                  "--target-loss", "5000", "--split", "--format", "csv", db=db)
    assert csv.stdout.splitlines()[0] == ("lot_id,asset,symbol,wallet,chain_id,acquired,"
                                          "quantity,proceeds,cost_basis,gain,term,gas,"
                                          "tax_saved,wash_sale_risk,rebuy")
    assert ",0.833333,3333.33,8333.33,-5000.00,long," in csv.stdout


def test_the_report_has_a_plan_section(tmp_path: Path) -> None:
    db = database(tmp_path / "report.duckdb", [*GAIN, LOT_B, LOT_C], {B: "4000", C: "1000"})
    out = tmp_path / "report.html"
    result = run_cli("report", "--out", str(out), "--as-of", "2025-11-15",
                     "--ordinary-income", "150000", db=db)
    assert result.returncode == 0, result.stderr
    found = figures(out.read_text())
    assert found[f"plan.lot.{lot_id(LOT_B)}.unrealized"] == "-6000.00"
    assert found[f"plan.lot.{lot_id(LOT_C)}.unrealized"] == "-4000.00"
    assert (found["plan.tax_before"], found["plan.tax_after"], found["plan.net_saved"],
            found["plan.sales"]) == ("2400.00", "0.00", "2400.00", "2")


def test_what_the_plan_cannot_price_is_one_line(tmp_path: Path) -> None:
    db = database(tmp_path / "errors.duckdb", [*GAIN, LOT_B], {B: "4000"})
    for args, message in (
            ((), "give --ordinary-income"),
            (("--ordinary-income", "1", "--as-of", "2027-06-01"),
             "the US federal brackets of 2027 are not known to taxscan (known: 2023, 2024, "
             "2025, 2026): give --short-rate and --long-rate"),
            (("--long-rate", "0.2"), "--long-rate needs --short-rate"),
            (("--target", "ETH=0.6"), "the weights add up to 0.6, not 1")):
        result = run_cli("plan", "--as-of", "2025-11-15", *args, db=db)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
