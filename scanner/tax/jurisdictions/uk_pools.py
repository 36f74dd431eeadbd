"""The UK: HMRC's share matching rules for cryptoassets, per asset across all the taxpayer's
wallets (HMRC Cryptoassets Manual CRYPTO22200 onwards: CRYPTO22200 pooling, CRYPTO22250
onwards the same-day and 30-day rules; TCGA 1992 s104, s105 and s106A).

A disposal of a token is matched, in this order, with acquisitions of the same token:

1. Same day (s105): all disposals of a day (the UTC date) are one disposal and all
   acquisitions of that day one acquisition; they are matched with each other first.
2. Bed and breakfast (s106A): what is left of a day's disposal is matched with acquisitions
   in the 30 days after it (days D+1 to D+30), the earliest day first, using only what of
   them the same-day rule of their own day or an earlier day's 30-day match left over.
   Disposal days are taken in time order.
3. Section 104 pool (s104): the rest comes from the pool at average cost (pool cost x
   quantity / pool quantity). Only what of an acquisition the first two rules did not match
   enters the pool, with the pro-rata part of its cost.

Because rule 2 looks forward, the steps are recorded as they come and matched in
`result()`. A day's figures are shared pro rata among its disposal transactions (and a
match with a day's acquisitions among those acquisitions); quantities and USD are split so
that the parts add up exactly (see `split_quantity` and `split_usd`).

Unknown figures stay unknown, never zero: an acquisition of unknown basis makes the pool's
cost unknown until the pool is empty again, a same-day or 30-day match with one has an
unknown basis, and what no rule or pool covers is a row of its own with no lot and an
unknown basis (rule "no lot", as for lot-by-lot matching).

The steps and the pool (`StepLog`, `Pool`) are those of scanner.tax.jurisdictions.pools,
which Canada's ACB (ca_acb) shares.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar
from zoneinfo import ZoneInfo

from scanner.money import split_usd
from scanner.tax.jurisdictions.pools import (
    ZERO,
    Acquired,
    Disposed,
    Pool,
    Removed,
    Step,
    StepLog,
)
from scanner.tax.matching import OpenLot
from scanner.tax.records import NO_LOT, Disposal

QUANTITY_EXPONENT = -18  # the store's quantity quantum: DECIMAL(38, 18)
SAME_DAY, BED_AND_BREAKFAST, SECTION_104 = "same-day", "bed-and-breakfast", "section-104"
BED_AND_BREAKFAST_DAYS = 30
_Dated = TypeVar("_Dated", Acquired, Disposed)


# ---- exact splits ------------------------------------------------------------------------


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def split_quantity(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` (at most `sum(weights)`) shared in proportion to `weights`.

    The shares add up to `total` exactly and none exceeds its weight: cumulative shares are
    rounded down to the finest of 1e-18 and the inputs' own places, in exact integer
    arithmetic, and each share is the difference of two of them. All of `weights` when
    `total` covers them."""
    whole = sum((Fraction(w) for w in weights), Fraction(0))
    if total >= whole:
        return list(weights)
    if total <= 0:
        return [ZERO] * len(weights)
    places = min(_exponent(total), *(_exponent(w) for w in weights))
    exponent = min(QUANTITY_EXPONENT, places)
    step = Fraction(10) ** exponent
    units = int(Fraction(total) / step)  # exact: total is a whole number of steps
    shares: list[Decimal] = []
    done, running = 0, Fraction(0)
    for weight in weights[:-1]:
        running += Fraction(weight)
        upto = math.floor(units * running / whole)
        shares.append(_decimal(upto - done, exponent, places))
        done = upto
    shares.append(_decimal(units - done, exponent, places))
    return shares


def _decimal(units: int, exponent: int, places: int) -> Decimal:
    """`units` x 10**`exponent` exactly, with no more places than `places` when it fits."""
    if places > exponent:
        scale = 10 ** (places - exponent)
        if units % scale == 0:
            return Decimal(f"{units // scale}E{places}")
    return Decimal(f"{units}E{exponent}")


UK_ZONE = ZoneInfo("Europe/London")


def uk_day(moment: datetime) -> date:
    """The date of `moment` in the UK (a naive moment is taken to be UTC): the same-day
    and 30-day rules count UK days."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UK_ZONE).date()


# ---- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Portion:
    """Part of a day's disposal matched by one rule with one source."""

    rule: str
    lot_id: str | None
    acquired: datetime | None
    quantity: Decimal
    cost: Decimal | None


def share_rows(group: Sequence[Disposed], portions: Sequence[Portion]) -> list[
        tuple[Disposed, list[tuple[Portion, Decimal, Decimal | None]]]]:
    """Share `portions` (which add up to the disposals' total) among the disposals of
    `group` pro rata: each disposal takes its part of what is left of every portion, so
    that each disposal's parts add up to its quantity and each portion's parts to the
    portion's quantity and cost, exactly. Per disposal: (portion, quantity, cost).

    Pro rata, every disposal takes the same fraction of every portion, its quantity over
    the group's: a portion's cost is shared in proportion to the disposals' quantities,
    not to the parts of it they took, which are rounded (to 1e-18: at a cost of 1e12 a
    token, 1e-6 of cost). A disposal whose part of a portion rounds to nothing has no row
    for it and takes none of its cost."""
    left = [p.quantity for p in portions]
    table: list[list[Decimal]] = []
    for disposal in group:
        row = split_quantity(disposal.quantity, left)
        left = [have - took for have, took in zip(left, row, strict=True)]
        table.append(row)
    costs = [split_usd(p.cost, [d.quantity if row[i] > 0 else ZERO
                                for d, row in zip(group, table, strict=True)])
             for i, p in enumerate(portions)]
    return [(disposal, [(p, table[j][i], costs[i][j]) for i, p in enumerate(portions)
                        if table[j][i] > 0])
            for j, disposal in enumerate(group)]


def disposal_rows(group: Sequence[Disposed], portions: Sequence[Portion],
                  asset_lot_id: str) -> list[tuple[Disposed, Disposal]]:
    """The `Disposal` rows of a group of disposals matched as one with `portions`; each
    disposal's proceeds are shared among its rows in proportion to the portions'
    quantities (the exact fractions of it that its rounded parts stand for, see
    `share_rows`)."""
    out: list[tuple[Disposed, Disposal]] = []
    for disposal, parts in share_rows(group, portions):
        leg = disposal.leg
        proceeds = split_usd(disposal.proceeds, [portion.quantity for portion, _, _ in parts])
        for (portion, quantity, cost), share in zip(parts, proceeds, strict=True):
            acquired = portion.acquired
            lot_id = asset_lot_id if portion.rule == SECTION_104 else portion.lot_id
            out.append((disposal, Disposal(
                leg.wallet, leg.asset, leg.symbol, quantity, acquired, leg.timestamp, share,
                cost, None, leg.tx_hash, lot_id, disposal.kind, portion.rule)))
    return out


# ---- the UK's rules ---------------------------------------------------------------------------


def _draw(lots: Sequence[OpenLot], wanted: Decimal, rule: str) -> list[Portion]:
    """Up to `wanted` from `lots` (one day's acquisitions, one acquisition in law), pro
    rata to what is left of each.

    Every lot gives the same exact fraction of itself, drawn / available, and so of its
    basis: the costs are that fraction of the bases, never worked out from the rounded
    quantity shares (a share is rounded to 1e-18, and at a cost of 1e12 a token that is
    1e-6 of cost). Cumulative sums of the costs are rounded with `_usd_exact`, each cost
    the difference of two of them, so the match costs what the day's acquisitions cost
    times the fraction, to half of 1e-10. A lot that gives all it has gives all its basis."""
    lots = [lot for lot in lots if lot.quantity > 0]
    available = sum((lot.quantity for lot in lots), ZERO)
    if available <= 0:
        return []
    drawn = min(wanted, available)
    shares = split_quantity(drawn, [lot.quantity for lot in lots])
    fraction = Fraction(drawn) / Fraction(available)
    portions: list[Portion] = []
    exact, done = Fraction(0), ZERO
    for lot, share in zip(lots, shares, strict=True):
        if share <= 0:
            continue
        basis = lot.basis
        if basis is None or share >= lot.quantity:
            cost = lot.draw(share)
            if cost is not None:
                exact += Fraction(cost)
                done += cost
        else:
            exact += Fraction(basis) * fraction
            upto = _usd_exact(exact)
            cost = upto - done
            done = upto
            lot.quantity -= share
            lot.basis = basis - cost
        portions.append(Portion(rule, lot.lot_id, lot.acquired, share, cost))
    return portions


def _usd_exact(amount: Fraction) -> Decimal:
    """`amount` to the quantum of `usd()` (1e-10), half even, in exact arithmetic."""
    return Decimal(f"{round(amount * 10**10)}E-10")


def _by_day(steps: Iterable[_Dated]) -> dict[date, list[_Dated]]:
    days: defaultdict[date, list[_Dated]] = defaultdict(list)
    for step in steps:
        days[uk_day(step.when)].append(step)
    return dict(days)


def _quantity(portions: Iterable[Portion]) -> Decimal:
    return sum((p.quantity for p in portions), ZERO)


def match_rules(buys: dict[date, list[OpenLot]], sells: dict[date, list[Disposed]]) -> \
        dict[date, list[Portion]]:
    """The same-day and 30-day matches of each disposal day (drawing on the lots of
    `buys`); what they leave for the pool is the day's total less their quantity."""
    matched: dict[date, list[Portion]] = {}
    for day, group in sells.items():
        total = sum((d.quantity for d in group), ZERO)
        matched[day] = _draw(buys.get(day, []), total, SAME_DAY)
    for day in sorted(sells):
        left = sum((d.quantity for d in sells[day]), ZERO) - _quantity(matched[day])
        for ahead in range(1, BED_AND_BREAKFAST_DAYS + 1):
            if left <= 0:
                break
            later = buys.get(day + timedelta(days=ahead))
            if later:
                portions = _draw(later, left, BED_AND_BREAKFAST)
                matched[day].extend(portions)
                left -= _quantity(portions)
    return matched


def match_asset(asset: str, steps: Sequence[Step]) -> tuple[list[tuple[Disposed, Disposal]],
                                                              Pool]:
    """One asset's disposal rows, and its pool at the end."""
    acquisitions = [s for s in steps if isinstance(s, Acquired)]
    sells = _by_day(s for s in steps if isinstance(s, Disposed))
    buys = {day: [a.lot for a in group] for day, group in _by_day(acquisitions).items()}
    portions = match_rules(buys, sells)
    draws: list[tuple[datetime, int, date | Step]] = [
        (group[0].when, group[0].order, day) for day, group in sells.items()]
    timeline = sorted([(s.when, s.order, s) for s in steps if not isinstance(s, Disposed)]
                      + draws, key=lambda e: (e[0], e[1]))
    pool = Pool(asset)
    for _, _, event in timeline:
        if isinstance(event, Acquired):  # what the rules left of it
            pool.add(event.lot.quantity, event.lot.basis, event.when, event.lot.symbol)
        elif isinstance(event, Removed):
            pool.take(event.quantity)
        elif isinstance(event, date):
            left = sum((d.quantity for d in sells[event]), ZERO) - _quantity(portions[event])
            portions[event].extend(_pool_portions(pool, left))
    rows = [row for day, group in sells.items()
            for row in disposal_rows(group, portions[day], pool.lot_id)]
    return rows, pool


def _pool_portions(pool: Pool, wanted: Decimal) -> list[Portion]:
    taken, cost = pool.take(wanted)
    out = [Portion(SECTION_104, pool.lot_id, None, taken, cost)] if taken > 0 else []
    if wanted > taken:
        out.append(Portion(NO_LOT, None, None, wanted - taken, None))
    return out


class UkPools(StepLog):
    """HMRC's matching: same day, then 30 days ahead, then the section 104 pool.

    Rows: one per disposal, rule and matched acquisition; lot_id the acquisition's lot for
    the same-day and 30-day rules, "pool:<asset>" for the pool, None for what nothing
    covered. `acquired` is the matched acquisition's time for the first two rules (it may
    come after the disposal: a 30-day match, or a same-day one later that day), None for
    the pool. `term` is None."""

    @staticmethod
    def match(asset: str, steps: Sequence[Step]) -> tuple[list[tuple[Disposed, Disposal]],
                                                          Pool]:
        return match_asset(asset, steps)
