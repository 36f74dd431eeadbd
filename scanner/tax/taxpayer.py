"""What the taxpayer knows that the ledger cannot tell: the filing status, the capital loss
carried over from before the books begin, and for a plan the taxable income besides these
gains and a state's rate (the config's `[taxpayer]` table, under the command line)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from scanner.money import CENT, PRICE_LIMIT


class FilingStatus(StrEnum):
    SINGLE = "single"
    JOINT = "joint"  # married filing jointly (or qualifying surviving spouse)
    SEPARATE = "separate"  # married filing separately
    HEAD = "head"  # head of household


FILING_STATUSES = tuple(status.value for status in FilingStatus)
FILING_STATUS_NAMES: Mapping[FilingStatus, str] = MappingProxyType({
    FilingStatus.SINGLE: "single", FilingStatus.JOINT: "married filing jointly",
    FilingStatus.SEPARATE: "married filing separately", FilingStatus.HEAD: "head of household",
})


def carried_loss(amount: Decimal) -> Decimal:
    """A capital loss carried over, as the Capital Loss Carryover Worksheet writes it: a
    positive amount in whole cents. Raises ValueError naming the problem otherwise."""
    if not amount.is_finite() or amount < 0 or amount >= PRICE_LIMIT:
        raise ValueError("a loss carried over is written as a positive amount (or 0) below "
                         f"1e20, not {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"a loss carried over is in whole cents, not {amount}")
    return amount


def ordinary_income(amount: Decimal) -> Decimal:
    """The taxable income besides the gains of the books: 0 or more, in whole cents. Raises
    ValueError naming the problem otherwise."""
    if not amount.is_finite() or amount < 0 or amount >= PRICE_LIMIT:
        raise ValueError(f"an income is an amount from 0 to below 1e20, not {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"an income is in whole cents, not {amount}")
    return amount


def tax_rate(rate: Decimal) -> Decimal:
    """A rate of tax as a fraction from 0 to 1 (0.05 for 5%). Raises ValueError otherwise."""
    if not rate.is_finite() or not 0 <= rate <= 1:
        raise ValueError(f"a rate is a fraction from 0 to 1 (0.05 for 5%), not {rate}")
    return rate


@dataclass(frozen=True)
class Taxpayer:
    filing_status: FilingStatus = FilingStatus.SINGLE
    # the capital loss carried into the first tax year of the books, positive, in cents
    carryover_short: Decimal = Decimal(0)
    carryover_long: Decimal = Decimal(0)
    # the year's taxable income besides these gains (None: not given), for a plan
    ordinary_income: Decimal | None = None
    state_rate: Decimal = Decimal(0)  # a flat state (or provincial) rate on what they add

    def __post_init__(self) -> None:
        carried_loss(self.carryover_short)
        carried_loss(self.carryover_long)
        if self.ordinary_income is not None:
            ordinary_income(self.ordinary_income)
        tax_rate(self.state_rate)
