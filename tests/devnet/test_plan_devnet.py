"""`taxscan plan` on the dated scenario played on a real anvil chain and scanned: its figures
against the ledger and the reports, and against Schedule D worked out here at flat rates
(line 16 = line 7 + line 15; a gain's net capital gain is the smaller of lines 15 and 16; a
loss deducts at most 3,000, IRC 1211(b))."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tests.devnet.conftest import Played
from tests.helpers import cli_json

SHORT, LONG = Decimal("0.24"), Decimal("0.15")
CENT = Decimal("0.01")


def flat_tax(short: Decimal, long: Decimal) -> Decimal:
    net = short + long
    if net <= 0:
        tax = -min(-net, Decimal(3000)) * SHORT
    else:
        capital_gain = max(Decimal(0), min(long, net))
        tax = (net - capital_gain) * SHORT + capital_gain * LONG
    return tax.quantize(CENT, ROUND_HALF_UP)


def test_the_plan_adds_up_and_prices_gas_from_the_ledger(played: Played) -> None:
    as_of = played.scenario.as_of.date().isoformat()
    done = cli_json("plan", "--as-of", as_of, "--short-rate", str(SHORT), "--long-rate",
                    str(LONG), db=played.db_path)
    summary, sales = done["summary"], done["sales"]
    assert sales, "the scenario's price crash leaves lots at a loss"
    # the year's realized gains are the gains report's, by term
    gains = cli_json("gains", "--year", "2025", db=played.db_path)
    for term in ("short", "long"):
        assert Decimal(summary[f"realized_{term}"]) == sum(
            (Decimal(r["gain_usd"]) for r in gains if r["term"] == term), Decimal(0))
        assert Decimal(summary[f"planned_{term}"]) == sum(
            (Decimal(s["gain"]) for s in sales if s["term"] == term), Decimal(0))
    realized = (Decimal(summary["realized_short"]), Decimal(summary["realized_long"]))
    planned = (Decimal(summary["planned_short"]), Decimal(summary["planned_long"]))
    before = flat_tax(*realized)
    after = flat_tax(realized[0] + planned[0], realized[1] + planned[1])
    assert (Decimal(summary["tax_before"]), Decimal(summary["tax_after"])) == (before, after)
    # each sale adds its saving to those above it: they add up to the plan's
    assert sum(Decimal(s["tax_saved"]) for s in sales) == before - after \
        == Decimal(summary["tax_saved"])
    assert sum(Decimal(s["gas"]) for s in sales) == Decimal(summary["gas"])
    assert Decimal(summary["net_saved"]) == before - after - Decimal(summary["gas"])
    # a sale's gas: the mean of the fees of the last 10 trades on its chain, from the ledger
    ledger = cli_json("ledger", db=played.db_path)
    trades = {r["group_id"] for r in ledger if r["kind"] == "trade"
              and r["timestamp"][:10] <= as_of}
    fees = sorted((r["timestamp"], Decimal(r["usd_value"])) for r in ledger
                  if r["kind"] == "fee" and r["group_id"] in trades)[-10:]
    mean = (sum((fee for _, fee in fees), Decimal(0)) / len(fees)).quantize(CENT, ROUND_HALF_UP)
    firsts: dict[tuple[str, str], dict[str, str]] = {}
    for s in sales:
        firsts.setdefault((s["wallet"], s["asset"]), s)
    assert all(Decimal(s["gas"]) == mean for s in firsts.values())
    # every lot sold is open at that date with that quantity and basis
    lots = {(r["wallet"], r["lot_id"]): r for r in cli_json("lots", "--as-of", as_of,
                                                             db=played.db_path)}
    for s in sales:
        lot = lots[s["wallet"], s["lot_id"]]
        assert (Decimal(lot["quantity"]), lot["cost_basis_usd"]) == \
            (Decimal(s["quantity"]), s["cost_basis"])
