"""Exact money: the quanta taxscan stores and reports USD and prices in."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

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


def price(amount: Decimal) -> Decimal:
    return amount.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
