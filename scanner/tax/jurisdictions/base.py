"""A jurisdiction: one object holding a country's tax rules, looked up once by its code
(after RP2's AbstractCountry). Nothing outside this folder compares jurisdiction codes: it
asks the object."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from chains.errors import UserInputError
from scanner.ledger.rebasing import REBASE
from scanner.tax.records import Disposal, IncomeEvent, Lot
from scanner.tax.scope import ScopePlan

if TYPE_CHECKING:
    from scanner.tax.matching import Matcher
    from scanner.tax.netting import Netting
    from scanner.tax.policy import Policy
    from scanner.tax.taxpayer import Taxpayer

Identity = Callable[[str], str]  # an asset id -> its group of substantially identical assets

# An acquisition that cost, or was worth when received, less than this (USD) is dust, not a
# buy back: a rounding credit, a crumb airdropped or sent to poison an address book. Counting
# it would flag every lot that dust of its asset arrived beside, and the flag would mean
# nothing.
REPURCHASE_MIN_USD = Decimal(1)


class Jurisdiction(ABC):
    code: ClassVar[str]  # as the command line and the config name it: "us"
    name: ClassVar[str]
    currency: ClassVar[str] = "USD"  # the reporting currency: ISO 4217
    zone: ClassVar[tzinfo] = UTC  # where its law counts dates: tax years, same day, windows
    year_starts: ClassVar[tuple[int, int]] = (1, 1)  # month, day its tax year starts on
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

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def tax_year_of(self, moment: datetime) -> int:
        """The tax year `moment` falls in, named by the calendar year it starts in."""
        day = self.local_date(moment)
        return day.year if (day.month, day.day) >= self.year_starts else day.year - 1

    def in_tax_year(self, moment: datetime, year: int) -> bool:
        return self.tax_year_of(moment) == year

    def tax_year_end(self, year: int) -> datetime:
        """The last second of tax year `year`."""
        month, day = self.year_starts
        start = datetime(year + 1, month, day, tzinfo=self.zone)
        return (start - timedelta(seconds=1)).astimezone(UTC)

    def tax_year_name(self, year: int) -> str:
        """As its forms name the year: `2024`, or the UK's `2024 to 2025`."""
        return str(year) if self.year_starts == (1, 1) else f"{year} to {year + 1}"

    def summary(self, year: int, disposals: Sequence[Disposal],
                income: Sequence[IncomeEvent]) -> tuple[str, ...]:
        """What the law does with the tax year's totals (its exemption limits), in lines for
        the reader, figures in its currency: none by default."""
        return ()

    def netting(self, disposals: Iterable[Disposal], year: int, *, first_year: int,
                taxpayer: Taxpayer) -> Netting | None:
        """How the law nets the year's gains and losses against each other and carries a
        loss over (the US Schedule D), from the disposals of every year: None where it
        does not."""
        return None

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


def within(jurisdiction: Jurisdiction, acquisitions: Iterable[Lot], as_of: datetime,
           days: int) -> list[Lot]:
    """The repurchases made up to `as_of` on its date or the `days` calendar days before, on
    the jurisdiction's dates."""
    last = jurisdiction.local_date(as_of)
    first = last - timedelta(days=days)
    return [lot for lot in repurchases(acquisitions)
            if lot.acquired <= as_of and first <= jurisdiction.local_date(lot.acquired)]


def pooled_method(jurisdiction: Jurisdiction, method: str) -> None:
    """A pooling jurisdiction's one method: average cost, matched first in, first out."""
    if method != "fifo":
        raise UserInputError(f"the {jurisdiction.code.upper()} rules pool each asset at "
                             f"average cost: the method {method} does not apply")
