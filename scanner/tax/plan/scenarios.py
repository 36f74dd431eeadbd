"""What-ifs a plan can be run under.

`wash-sale`: a rule like IRC 1091 applied to digital assets, as bills introduced in 2025 and
2026 propose: a loss sale is denied the part of its loss matched by buying the same or a
substantially identical asset in the 30 days before or after it (the loss moves into the
basis of what was bought). Under it, a plan that buys back at once loses those losses; the
plan remade under it does not buy back within the window, and leaves out (or prices) the
loss sales that buys in the 30 days before already taint. The quantity bought counts against
the quantity sold, share for share (Treas. Reg. 1.1091-1(c)); a buy of the lot being sold
itself does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from scanner.money import cents
from scanner.tax.jurisdictions.us import WASH_DAYS
from scanner.tax.plan.records import Candidate
from scanner.tax.records import Lot

WASH_SALE = "wash-sale"
SCENARIOS = (WASH_SALE,)
RULE = "a section 1091-style wash-sale rule"
RULE_DAYS = WASH_DAYS

ZERO = Decimal(0)


def tainted(candidate: Candidate, bought: Iterable[Lot], identity: Callable[[str], str]
            ) -> Candidate:
    """The candidate with the part of its loss denied that the buys of identical assets in
    the 30 days before match."""
    if candidate.gain >= 0:
        return candidate
    group = identity(candidate.lot.asset)
    matched = sum((lot.quantity for lot in bought if identity(lot.asset) == group
                   and lot.lot_id != candidate.lot.lot_id), ZERO)
    if not matched:
        return candidate
    share = min(Decimal(1), matched / candidate.quantity)
    return replace(candidate, disallowed=cents(-candidate.gain * share), flagged=True)


def rebought(sales: Sequence[tuple[Candidate, bool]]) -> list[Candidate]:
    """The sales as the rule sees them when those marked are bought back at once: their
    whole loss denied."""
    return [replace(c, disallowed=c.basis - c.proceeds) if at_once and c.gain < 0 else c
            for c, at_once in sales]
