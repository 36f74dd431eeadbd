"""The rows of `taxscan plan`: one JSON object (its summary, sales and timing, with the field
names scripts rely on), the sales as CSV, and tables for people. Money in cents as strings,
in the plan's currency (the summary names it); an unknown figure is null. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from scanner.formats.rows import Row, Shape, money, qty, when
from scanner.tax.plan.records import Move, Plan, Sale, Scenario, Summary, Timing

SUMMARY_FIELDS = ("tax_year", "currency", "realized_short", "realized_long", "planned_short",
                  "planned_long", "net_after_netting", "ordinary_offset", "carryover_out",
                  "tax_before", "tax_after", "tax_saved", "gas", "net_saved")
SALES = Shape(
    fields=("lot_id", "asset", "symbol", "wallet", "chain_id", "acquired", "quantity",
            "proceeds", "cost_basis", "gain", "term", "gas", "tax_saved", "wash_sale_risk",
            "rebuy"),
    table=("symbol", "acquired", "gain", "term", "tax_saved", "gas", "rebuy"),
    not_applicable=lambda row: ("term",) if row["term"] is None else (),
)
TIMING = Shape(
    fields=("lot_id", "asset", "long_term_on", "saving_if_sold_now", "saving_if_sold_after"),
    table=("symbol", "long_term_on", "saving_if_sold_now", "saving_if_sold_after"),
)
REBALANCE = Shape(
    fields=("target", "weight", "value", "target_value", "sell", "buy", "sold"),
    table=("target", "weight", "value", "target_value", "sell", "buy", "sold"),
)
SUMMARY = Shape(fields=("figure", "value"), table=("figure", "value"))


def summary_row(summary: Summary, terms: bool) -> Row:
    """The summary; without a holding period (UK and Canadian pools) every gain is short
    and the long fields are null."""
    def long(amount: Decimal) -> str | None:
        return money(amount) if terms else None

    return {
        "tax_year": summary.tax_year, "currency": summary.currency,
        "realized_short": money(summary.realized.short),
        "realized_long": long(summary.realized.long + summary.realized.free),
        "planned_short": money(summary.planned.short),
        "planned_long": long(summary.planned.long + summary.planned.free),
        "net_after_netting": money(summary.net_after_netting),
        "ordinary_offset": money(summary.ordinary_offset),
        "carryover_out": money(summary.carryover_out),
        "tax_before": money(summary.tax_before), "tax_after": money(summary.tax_after),
        "tax_saved": money(summary.tax_saved), "gas": money(summary.gas),
        "net_saved": money(summary.net_saved),
    }


def sale_rows(sales: Iterable[Sale]) -> list[Row]:
    rows = []
    for s in sales:
        c = s.candidate
        rows.append({
            "lot_id": c.lot.lot_id, "asset": c.lot.asset, "symbol": c.lot.symbol,
            "wallet": c.lot.wallet or None, "chain_id": c.chain_id,
            "acquired": when(c.lot.acquired), "quantity": qty(c.quantity),
            "proceeds": money(c.proceeds), "cost_basis": money(c.basis),
            "gain": money(c.gain), "term": None if c.term is None else c.term.value,
            "gas": money(s.gas), "tax_saved": money(s.tax_saved),
            "wash_sale_risk": s.wash_sale_risk, "rebuy": s.rebuy,
        })
    return rows


def timing_rows(timing: Iterable[Timing]) -> list[Row]:
    return [{"lot_id": t.candidate.lot.lot_id, "asset": t.candidate.lot.asset,
             "long_term_on": t.long_term_on.isoformat(),
             "saving_if_sold_now": money(t.saving_now),
             "saving_if_sold_after": money(t.saving_after)} for t in timing]


def move_rows(moves: Iterable[Move]) -> list[Row]:
    return [{"target": m.key, "weight": str(m.weight), "value": money(m.value),
             "target_value": money(m.target), "sell": money(m.sell), "buy": money(m.buy),
             "sold": money(m.sold)} for m in moves]


def scenario_row(scenario: Scenario) -> Row:
    return {"name": scenario.name, "net_saved_under_law": money(scenario.law_net_saved),
            "net_saved_if_rebought": money(scenario.rebought_net_saved),
            "lost": money(scenario.lost), "net_saved": money(scenario.net_saved)}


def plan_object(plan: Plan) -> dict[str, Any]:
    """The plan as one JSON object: summary, sales and timing; with targets, rebalance;
    under a scenario, scenario."""
    found: dict[str, Any] = {"summary": summary_row(plan.summary, plan.terms),
                             "sales": sale_rows(plan.sales), "timing": timing_rows(plan.timing)}
    if plan.moves:
        found["rebalance"] = move_rows(plan.moves)
    if plan.scenario is not None:
        found["scenario"] = scenario_row(plan.scenario)
    return found


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_object(plan), indent=2, ensure_ascii=False) + "\n"


def with_symbols(rows: list[Row], plan: Plan) -> list[Row]:
    """Timing rows with the symbol of their lot, for a table."""
    symbols = {t.candidate.lot.lot_id: t.candidate.lot.symbol for t in plan.timing}
    return [{**row, "symbol": symbols[row["lot_id"]]} for row in rows]


def summary_table(plan: Plan) -> list[Row]:
    row = summary_row(plan.summary, plan.terms)
    return [{"figure": name, "value": "—" if row[name] is None else str(row[name])}
            for name in SUMMARY_FIELDS]
