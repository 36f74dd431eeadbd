"""The plan section of the HTML report: the unrealized gain or loss of each open lot (an
inline SVG chart, losses to the left of the axis and gains to the right) and what the plan
(`taxscan plan`, the best sales, whole lots) does to the year's tax. Pure.

Figures (`data-figure`, as `html_report` describes them):

    plan.lot.<lot>.unrealized      an open lot's unrealized gain or loss (one bar each,
                                   `<rect data-bar="lot:<lot>">`, the biggest `HALF`
                                   wide; at most `SHOWN` lots, the biggest first); <lot>
                                   is its id, with `@<wallet>` when parts of one lot
                                   are in several wallets
    plan.<field>                   the plan's summary: tax_before, tax_after, tax_saved,
                                   gas, net_saved, net_after_netting, carryover_out
    plan.sales                     how many lots the plan sells
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from scanner.formats.plan_rows import summary_row
from scanner.formats.rows import Row
from scanner.formats.us.form8949 import amount_text, one_line
from scanner.tax.plan.records import Plan

HALF = Decimal(250)  # user units of the biggest bar, either side of the axis
SHOWN = 30  # lots in the chart at most
_AXIS = 420  # x of the axis: the labels are left of the losses
_ROW = 24
FIGURES = ("tax_before", "tax_after", "tax_saved", "gas", "net_saved", "net_after_netting",
           "carryover_out")


@dataclass(frozen=True)
class PlanPart:
    """What the report knows for its plan section."""

    lots: Sequence[Row]  # reports.harvest_rows of every open lot at the report's as-of
    plan: Plan | None  # None: no plan (`why` says why)
    why: str = ""


@dataclass(frozen=True)
class _Bar:
    lot_id: str
    label: str
    amount: str
    x: str
    width: str
    y: int
    gain: bool


@dataclass(frozen=True)
class _PlanView:
    bars: list[_Bar]
    more: int  # lots left out of the chart
    axis: int
    width: int
    height: int
    figures: list[tuple[str, str]]  # field, amount
    sales: str
    sold: list[Row]
    why: str


def plan_view(part: PlanPart | None) -> _PlanView | None:
    if part is None:
        return None
    lots = [r for r in part.lots if r["unrealized_usd"] is not None
            and Decimal(r["unrealized_usd"]) != 0]
    lots.sort(key=lambda r: (-abs(Decimal(r["unrealized_usd"])), r["lot_id"]))
    shown = lots[:SHOWN]
    ids = Counter(r["lot_id"] for r in part.lots)
    biggest = max((abs(Decimal(r["unrealized_usd"])) for r in shown), default=Decimal(1))
    bars = []
    for i, r in enumerate(shown):
        amount = Decimal(r["unrealized_usd"])
        width = (abs(amount) * HALF / biggest).quantize(Decimal("0.01"))
        name = one_line(r["symbol"] or "") or str(r["asset"])
        x = Decimal(_AXIS) if amount > 0 else _AXIS - width
        key = r["lot_id"] if ids[r["lot_id"]] == 1 else f"{r['lot_id']}@{r['wallet']}"
        bars.append(_Bar(key, f"{name[:14]} {str(r['acquired'])[:10]}",
                         amount_text(amount), format(x, "f"), format(width, "f"), i * _ROW,
                         amount > 0))
    figures: list[tuple[str, str]] = []
    sold: list[Row] = []
    if part.plan is not None:
        row = summary_row(part.plan.summary, part.plan.terms)
        figures = [(name, str(row[name])) for name in FIGURES]
        sold = [{"name": one_line(s.candidate.lot.symbol or "") or s.candidate.lot.asset,
                 "lot_id": s.candidate.lot.lot_id, "gain": amount_text(s.candidate.gain),
                 "tax_saved": amount_text(s.tax_saved), "rebuy": s.rebuy}
                for s in part.plan.sales]
    return _PlanView(bars, len(lots) - len(shown), _AXIS, 720, len(bars) * _ROW + 4, figures,
                     str(len(sold)), sold, part.why)
