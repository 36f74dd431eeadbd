"""`taxscan harvest`: the open lots at the as-of price, and, with a target (a loss to realize,
or the year's realized gains to offset), the lots to sell."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from scanner.app.readmodel import Books
from scanner.ledger.records import Kind
from scanner.tax.harvest import HarvestRow, Rates, Suggestion, at_a_loss, suggest
from scanner.tax.jurisdictions.base import Jurisdiction
from scanner.tax.records import TAX_FREE_AFTER_A_YEAR


@dataclass(frozen=True)
class Harvest:
    rows: tuple[HarvestRow, ...]
    suggestion: Suggestion | None
    rates: Rates
    gas: Mapping[int, Decimal]  # per chain, the mean USD gas of a trade
    jurisdiction: Jurisdiction
    notes: tuple[str, ...]  # the lot book's notes on how its figures were computed


def harvestable(books: Books, as_of: datetime, losses_only: bool = True) -> list[HarvestRow]:
    rows = books.valued_lots(as_of)
    return [row for row in rows if at_a_loss(row.unrealized_usd)] if losses_only else list(rows)


def plan(books: Books, as_of: datetime, rates: Rates, *, include_gains: bool = False,
         target_loss: Decimal | None = None, offset_gains: bool = False) -> Harvest:
    """The lots to list (those at a loss, or every one with `include_gains`) and, when asked
    for, the loss lots to sell to realize `target_loss`, or to offset the as-of year's
    realized gains."""
    rows = harvestable(books, as_of, losses_only=not include_gains)
    target = target_loss if target_loss is not None else (
        max(realized_gains(books, books.policy.jurisdiction.tax_year_of(as_of)), Decimal(0))
        if offset_gains else None)
    suggestion = suggest(rows, target, rates) if target is not None else None
    return Harvest(tuple(rows), suggestion, rates, gas_per_trade(books), books.policy.jurisdiction,
                   books.notes(as_of))


def realized_gains(books: Books, year: int) -> Decimal:
    """The year's net realized gain over the disposals whose gain is known (and taxable:
    Germany's gains after a year are tax-free)."""
    return sum((d.gain_usd for d in books.lots.disposals
                if books.policy.jurisdiction.in_tax_year(d.disposed, year)
                and d.gain_usd is not None
                and d.rule != TAX_FREE_AFTER_A_YEAR), Decimal(0))


def gas_per_trade(books: Books) -> dict[int, Decimal]:
    """Per chain, the mean gas of the trades in the ledger, in the reporting currency: what
    a sale may cost."""
    trades = {e.group_id for e in books.valued if e.kind is Kind.TRADE}
    fees: dict[int, list[Decimal]] = {}
    for e in books.valued:
        if e.kind is Kind.FEE and e.group_id in trades and e.usd_value is not None:
            fees.setdefault(e.chain_id, []).append(e.usd_value)
    return {chain: sum(values, Decimal(0)) / len(values) for chain, values in fees.items()}
