"""Exact money: the quanta taxscan stores and reports USD and prices in."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

USD_QUANTUM = Decimal("1e-10")  # stored USD values: DECIMAL(38, 10)
PRICE_QUANTUM = Decimal("1e-18")  # stored prices: DECIMAL(38, 18)
PRICE_LIMIT = Decimal(10) ** 20
CENT = Decimal("0.01")


def usd(amount: Decimal) -> Decimal:
    """A USD amount as stored: ten decimal places, banker's rounding."""
    return amount.quantize(USD_QUANTUM, rounding=ROUND_HALF_EVEN)


def cents(amount: Decimal) -> Decimal:
    """A USD amount as reported on a form: whole cents, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def share_cents(amounts: Sequence[Decimal]) -> list[Decimal]:
    """The amounts in cents, adding up to their sum rounded once (`cents`): each is rounded
    down to the cent, then the cents left over go one each to the amounts with the largest
    remainders, ties to the first (the largest remainder method). One amount alone is
    `cents(amount)`."""
    floors = [amount.quantize(CENT, rounding=ROUND_FLOOR) for amount in amounts]
    left = int((cents(sum(amounts, Decimal(0))) - sum(floors, Decimal(0))) / CENT)
    if left:
        largest = sorted(range(len(floors)), key=lambda i: floors[i] - amounts[i])  # stable
        for i in largest[:left]:
            floors[i] += CENT
    return floors


def price(amount: Decimal) -> Decimal:
    return amount.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)


def split_usd(total: Decimal | None, weights: Sequence[Decimal]) -> list[Decimal | None]:
    """`total` (USD, None: unknown) shared in proportion to `weights`, each share quantized
    with `usd()`: cumulative shares are rounded and each share is the difference of two of
    them, so the last takes the remainder and a share is never of the wrong sign."""
    if total is None:
        return [None] * len(weights)
    if not weights:
        return []
    total = usd(total)
    whole = sum(weights, Decimal(0))
    shares: list[Decimal | None] = []
    done, running = Decimal(0), Decimal(0)
    for weight in weights[:-1]:
        running += weight
        upto = usd(total * running / whole) if whole > 0 else Decimal(0)
        shares.append(upto - done)
        done = upto
    shares.append(total - done)
    return shares


def sum_known(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the amounts, or None when one of them is unknown."""
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += value
    return total


def base_unit_shares(quantity: Decimal, weights: Sequence[Decimal],
                      decimals: int) -> list[Decimal]:
    """`quantity` (a whole number of base units, 10**-decimals) shared in proportion to
    `weights`, each share whole base units too: cumulative shares are rounded down in exact
    arithmetic and each share is the difference of two of them, so they add up to
    `quantity` exactly."""
    if not weights:
        return []
    units = int(Fraction(quantity) * 10 ** decimals)
    whole = sum((Fraction(weight) for weight in weights), Fraction(0))
    shares: list[Decimal] = []
    done, running = 0, Fraction(0)
    for weight in weights[:-1]:
        running += Fraction(weight)
        upto = math.floor(units * running / whole)
        shares.append(Decimal(f"{upto - done}E{-decimals}"))
        done = upto
    shares.append(Decimal(f"{units - done}E{-decimals}"))
    return shares
