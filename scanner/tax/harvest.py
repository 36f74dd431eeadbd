"""Harvest: open lots at the as-of price, with wash-sale risk flagged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from scanner.money import cents
from scanner.prices.book import PriceBook
from scanner.tax.holding import term_of
from scanner.tax.jurisdictions import US
from scanner.tax.jurisdictions.base import Jurisdiction
from scanner.tax.records import Lot, LotBook, Term


@dataclass(frozen=True)
class HarvestRow:
    lot: Lot
    price_usd: Decimal | None
    price_source: str | None
    value_usd: Decimal | None
    unrealized_usd: Decimal | None
    term: Term
    wash_sale_risk: bool


def at_a_loss(unrealized: Decimal | None) -> bool:
    """Whether an unrealized figure is a loss of at least a cent."""
    return unrealized is not None and cents(unrealized) < 0


def plan_harvest(
    book: LotBook,
    as_of: datetime,
    prices: PriceBook,
    identity: Callable[[str], str],
    *,
    losses_only: bool = True,
    jurisdiction: Jurisdiction = US,
    per_usd: Decimal | None = Decimal(1),
) -> list[HarvestRow]:
    """Open lots valued at `as_of` (USD prices times `per_usd`, the as-of rate into the
    lots' currency; None: no rate, no value), biggest loss first.

    The risk flag follows the jurisdiction's rule (`Jurisdiction.risky_acquisitions` and
    `identity`). US: another lot of the asset's group of substantially identical assets
    (`identity`) was acquired in the 30 days up to as-of. Canada (superficial loss): the
    same asset was acquired in those 30 days. UK: the same asset was acquired that day (the
    same-day rule would match the sale to it). Germany has no such rule. Only repurchases
    count (`jurisdictions.base.repurchases`): not a rebasing token's growth, nor dust worth
    less than REPURCHASE_MIN_USD.
    """
    identity = jurisdiction.identity(identity)
    recent = jurisdiction.risky_acquisitions(book.acquisitions, as_of)
    rows = []
    for lot in book.open_lots:
        quote = prices.at(lot.asset, as_of)
        unit = None if quote is None or per_usd is None else quote.usd * per_usd
        value = None if unit is None else lot.quantity * unit
        unrealized = None if value is None or lot.cost_basis_usd is None \
            else value - lot.cost_basis_usd
        if losses_only and not at_a_loss(unrealized):
            continue
        group = identity(lot.asset)
        risk = any(other.lot_id != lot.lot_id and identity(other.asset) == group
                   for other in recent)
        rows.append(HarvestRow(lot, unit, None if quote is None else quote.source, value,
                               unrealized,
                               term_of(lot.acquired, as_of), risk))
    rows.sort(key=lambda r: (r.unrealized_usd is None, r.unrealized_usd or Decimal(0),
                             r.lot.acquired))
    return rows


@dataclass(frozen=True)
class Rates:
    """Marginal tax rates that a realized loss saves, by term."""

    short: Decimal
    long: Decimal

    def of(self, term: Term) -> Decimal:
        return self.long if term is Term.LONG else self.short


@dataclass(frozen=True)
class Suggestion:
    lot_ids: tuple[str, ...]
    target_usd: Decimal
    loss_usd: Decimal  # positive: the loss selling those lots would realize
    tax_saved_usd: Decimal


def suggest(rows: Sequence[HarvestRow], target: Decimal, rates: Rates) -> Suggestion:
    """Loss lots to sell, biggest loss first and lots at wash-sale risk last, until their
    losses reach `target` (whole lots: the last one may overshoot it)."""
    candidates = sorted((r for r in rows if r.unrealized_usd is not None
                         and cents(r.unrealized_usd) < 0),
                        key=lambda r: (r.wash_sale_risk, r.unrealized_usd or Decimal(0)))
    chosen: list[HarvestRow] = []
    loss = Decimal(0)
    for row in candidates:
        if loss >= target:
            break
        chosen.append(row)
        loss -= row.unrealized_usd or Decimal(0)
    saved = sum((-(r.unrealized_usd or Decimal(0)) * rates.of(r.term) for r in chosen),
                Decimal(0))
    return Suggestion(tuple(r.lot.lot_id for r in chosen), target, loss, saved)
