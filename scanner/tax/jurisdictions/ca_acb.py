"""Canada: the adjusted cost base (ACB) and the superficial loss rule.

Identical properties, here all tokens of one asset across all the taxpayer's wallets, have
one average cost (Income Tax Act s. 47): a disposal's basis is ACB x quantity / quantity
held (rule "acb", lot "pool:<asset>").

Superficial loss (ITA s. 54 "superficial loss", s. 40(2)(g)(i), s. 53(1)(f); CRA: "What is
a superficial loss", canada.ca, and guide T4037): a loss (proceeds below basis) is denied
when the same asset was acquired in the period from 30 days before to 30 days after the
disposal (by timestamp, both ends included) and some is still held at the end of that
period. Only the part min(quantity disposed, quantity acquired in the period, quantity held
at its end) / quantity disposed of the loss is denied; the row's rule is "superficial-loss"
and `disallowed_loss_usd` the denied amount, which `Disposal.gain_usd` adds back. Every
acquisition of the asset in the period counts. The denied amount joins the pool's ACB: at
the disposal when an acquisition of the period came before it (and the pool still holds
tokens), else when the period's first acquisition after it arrives.

Unknown basis makes the ACB unknown until the pool is empty again; a disposal's basis is
then unknown and no loss can be tested (nothing is denied). What the pool does not cover is
a row of its own with no lot and an unknown basis, as for the UK
(scanner.tax.jurisdictions.uk_pools; both keep their steps and pools with `StepLog` and
`Pool` of scanner.tax.jurisdictions.pools). The look-ahead needs the
whole history, so the steps are recorded and matched in `result()`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal

from scanner.money import split_usd, usd
from scanner.tax.jurisdictions.pools import (
    ZERO,
    Acquired,
    Disposed,
    Pool,
    Removed,
    Step,
    StepLog,
)
from scanner.tax.records import NO_LOT, Disposal

WINDOW_DAYS = 30  # ITA s.54 "superficial loss": 30 days before to 30 days after
ACB, SUPERFICIAL_LOSS = "acb", "superficial-loss"


@dataclass(frozen=True, slots=True)
class Window:
    """What happened to the asset from 30 days before a disposal to 30 days after."""

    acquired: Decimal  # the quantity acquired in the period
    held_at_end: Decimal  # the quantity held at its end
    before: bool  # an acquisition of the period came before the disposal
    after: int | None  # the index of its first acquisition after the disposal


def held_after(steps: Sequence[Step]) -> list[Decimal]:
    """The quantity held after each step (never below zero: what is not held is not
    drawn)."""
    held, out = ZERO, []
    for step in steps:
        if isinstance(step, Acquired):
            held += step.lot.quantity
        else:
            held -= min(held, step.quantity)
        out.append(held)
    return out


def window(steps: Sequence[Step], days: Sequence[date], held: Sequence[Decimal],
           index: int) -> Window:
    """The period around the disposal `steps[index]`, in calendar days: `steps` in time
    order, `days` their dates, `held` what `held_after` says of them."""
    first = bisect_left(days, days[index] - timedelta(days=WINDOW_DAYS))
    end = bisect_right(days, days[index] + timedelta(days=WINDOW_DAYS))
    buys = [i for i in range(first, end) if isinstance(steps[i], Acquired)]
    acquired = sum((_acquired_quantity(steps[i]) for i in buys), ZERO)
    after = next((i for i in buys if i > index), None)
    return Window(acquired, held[end - 1], any(i < index for i in buys), after)


def _acquired_quantity(step: Step) -> Decimal:
    return step.lot.quantity if isinstance(step, Acquired) else ZERO


def denied_loss(cost: Decimal | None, proceeds: Decimal | None, quantity: Decimal,
                period: Window) -> Decimal:
    """The superficial part of a disposal's loss (zero when there is no known loss or
    nothing substitutes for what was sold)."""
    if cost is None or proceeds is None or proceeds >= cost or quantity <= 0:
        return ZERO
    substituted = min(quantity, period.acquired, period.held_at_end)
    if substituted <= 0:
        return ZERO
    return usd((cost - proceeds) * substituted / quantity)


class CanadaAcb(StepLog):
    """One ACB pool per asset across wallets, with superficial losses denied and added to
    the ACB."""

    @staticmethod
    def match(asset: str, steps: Sequence[Step]) -> tuple[list[tuple[Disposed, Disposal]],
                                                          Pool]:
        return match_asset(asset, steps)


def match_asset(asset: str, steps: Sequence[Step]) -> tuple[list[tuple[Disposed, Disposal]],
                                                              Pool]:
    """One asset's disposal rows (steps in time order), and its pool at the end."""
    held = held_after(steps)
    days = [step.when.astimezone(UTC).date() for step in steps]
    pool = Pool(asset)
    pending: dict[int, Decimal] = {}  # denied losses waiting for an acquisition, by index
    rows: list[tuple[Disposed, Disposal]] = []
    for index, step in enumerate(steps):
        if isinstance(step, Acquired):
            pool.add(step.lot.quantity, step.lot.basis, step.when, step.lot.symbol)
            if index in pending:
                pool.adjust(pending.pop(index))
        elif isinstance(step, Removed):
            pool.take(step.quantity)
        else:
            period = window(steps, days, held, index)
            disposal, denied = _dispose(pool, step, period)
            rows.extend((step, row) for row in disposal)
            if denied > 0:
                _add_denied(pool, pending, period, denied)
    return rows, pool


def _add_denied(pool: Pool, pending: dict[int, Decimal], period: Window,
                denied: Decimal) -> None:
    """A denied loss joins the ACB now if an acquisition of the period came before the
    disposal and the pool holds tokens, else with the period's first acquisition after."""
    if period.after is None or (period.before and pool.quantity > 0):
        pool.adjust(denied)
    else:
        pending[period.after] = pending.get(period.after, ZERO) + denied


def _dispose(pool: Pool, step: Disposed, period: Window) -> tuple[list[Disposal], Decimal]:
    """The rows of a disposal drawn from `pool`, and the loss denied on it."""
    leg = step.leg
    taken, cost = pool.take(step.quantity)
    uncovered = step.quantity - taken
    sizes = [q for q in (taken, uncovered) if q > 0]
    shares = split_usd(step.proceeds, sizes)
    rows: list[Disposal] = []
    denied = ZERO
    if taken > 0:
        denied = denied_loss(cost, shares[0], taken, period)
        rows.append(Disposal(leg.wallet, leg.asset, leg.symbol, taken, None, leg.timestamp,
                             shares[0], cost, None, leg.tx_hash, pool.lot_id, step.kind,
                             SUPERFICIAL_LOSS if denied > 0 else ACB, denied))
    if uncovered > 0:
        rows.append(Disposal(leg.wallet, leg.asset, leg.symbol, uncovered, None,
                             leg.timestamp, shares[-1], None, None, leg.tx_hash, None,
                             step.kind, NO_LOT))
    return rows, denied
