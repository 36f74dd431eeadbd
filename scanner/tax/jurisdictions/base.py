"""A jurisdiction: one object holding a country's tax rules, looked up once by its code
(after RP2's AbstractCountry). Nothing outside this folder compares jurisdiction codes: it
asks the object."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from chains.errors import UserInputError
from scanner.ledger.rebasing import REBASE
from scanner.tax.records import Lot
from scanner.tax.scope import ScopePlan

if TYPE_CHECKING:
    from scanner.tax.matching import Matcher
    from scanner.tax.policy import Policy

Identity = Callable[[str], str]  # an asset id -> its group of substantially identical assets

# An acquisition that cost, or was worth when received, less than this (USD) is dust, not a
# buy back: a rounding credit, a crumb airdropped or sent to poison an address book. Counting
# it would flag every lot that dust of its asset arrived beside, and the flag would mean
# nothing.
REPURCHASE_MIN_USD = Decimal(1)


class Jurisdiction(ABC):
    code: ClassVar[str]  # as the command line and the config name it: "us"
    name: ClassVar[str]
    currency: ClassVar[str] = "USD"  # every figure is in USD for now
    methods: ClassVar[tuple[str, ...]] = ("fifo",)  # cost-basis methods the law allows
    default_method: ClassVar[str] = "fifo"
    forms: ClassVar[tuple[str, ...]] = ()  # the export formats that are its tax forms
    allocates_basis_per_wallet: ClassVar[bool] = False  # Rev. Proc. 2024-28's allocation
    warning: ClassVar[str] = ""  # what a harvest warns of: its wash-sale or 30-day rule
    warns_always: ClassVar[bool] = False  # the warning holds for any loss sale, flagged or not

    def __repr__(self) -> str:
        return f"<jurisdiction {self.code}>"

    def method_in_force(self, asked: str | None, kept: str | None) -> str:
        """The method the command line asks for, else the one the config kept when the law
        lets the taxpayer choose, else the jurisdiction's own."""
        if asked is not None:
            return asked
        return kept if kept and len(self.methods) > 1 else self.default_method

    def check_method(self, method: str) -> None:
        """Refuse a method the law does not allow."""
        if method not in self.methods:
            raise UserInputError(f"unknown cost-basis method {method!r} "
                                 f"(available: {', '.join(self.methods)})")

    def scopes(self, plan: ScopePlan) -> ScopePlan:
        """The lot scope per year in force: the taxpayer's plan, unless the law fixes it."""
        return plan

    def describe(self, method: str) -> str:
        """What a report's figures were computed by: `fifo`, or `UK rules`."""
        return f"{self.code.upper()} rules"

    @abstractmethod
    def matcher(self, policy: Policy) -> Matcher:
        """The matching of disposals to lots or pools."""

    def identity(self, identical: Identity) -> Identity:
        """The groups a repurchase is matched by: by default the asset alone."""
        return _same_asset

    def risky_acquisitions(self, acquisitions: Iterable[Lot], as_of: datetime) -> list[Lot]:
        """The acquisitions that put a loss sale at `as_of` at risk of the rule (only
        `repurchases` count)."""
        return []


def _same_asset(asset: str) -> str:
    return asset


def repurchases(acquisitions: Iterable[Lot]) -> list[Lot]:
    """The acquisitions that count as buying an asset (back): not a rebasing token's growth
    (the token grows by itself: it is held, not bought), and with a cost basis as acquired
    of REPURCHASE_MIN_USD or more, or unknown (it may be a real buy)."""
    return [lot for lot in acquisitions if lot.origin_leg != REBASE
            and (lot.cost_basis_usd is None or lot.cost_basis_usd >= REPURCHASE_MIN_USD)]


def within(acquisitions: Iterable[Lot], as_of: datetime, window: timedelta) -> list[Lot]:
    """The repurchases made in `window` up to `as_of`."""
    return [lot for lot in repurchases(acquisitions)
            if as_of - window <= lot.acquired <= as_of]


def pooled_method(jurisdiction: Jurisdiction, method: str) -> None:
    """A pooling jurisdiction's one method: average cost, matched first in, first out."""
    if method != "fifo":
        raise UserInputError(f"the {jurisdiction.code.upper()} rules pool each asset at "
                             f"average cost: the method {method} does not apply")
