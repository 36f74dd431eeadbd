"""Germany: first in, first out per wallet, in euros; a coin held more than a year is sold
tax-free (EStG s.23(1) no. 2); the year's private sales gain and its other income are
tax-free below their exemption limits (Freigrenzen: s.23(3) sentence 5, s.22 no. 3
sentence 2); no wash-sale rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from chains.errors import UserInputError
from scanner.money import cents, sum_known
from scanner.tax.jurisdictions.base import Jurisdiction
from scanner.tax.jurisdictions.lotwise import LotMatcher
from scanner.tax.records import TAX_FREE_AFTER_A_YEAR, Disposal, IncomeEvent
from scanner.tax.scope import Scope, ScopePlan

if TYPE_CHECKING:
    from scanner.tax.matching import Matcher
    from scanner.tax.policy import Policy

OTHER_INCOME_LIMIT = Decimal(256)  # EStG s.22 no. 3 sentence 2


def private_sales_limit(year: int) -> Decimal:
    """EStG s.23(3) sentence 5: 600 EUR up to 2023, 1,000 EUR from 2024."""
    return Decimal(600) if year <= 2023 else Decimal(1000)


@dataclass(frozen=True)
class Exemption:
    """One Freigrenze applied: the year's total, the limit, and whether the total is free
    of tax (None: the total is unknown). Below the limit all of it is tax-free; at or above
    it all of it is taxable."""

    what: str
    total: Decimal | None
    limit: Decimal

    @property
    def tax_free(self) -> bool | None:
        return None if self.total is None else self.total < self.limit

    @property
    def taxable(self) -> Decimal | None:
        return None if self.total is None else (Decimal(0) if self.tax_free else self.total)

    def line(self) -> str:
        limit = f"{self.limit:,.0f} EUR"
        if self.total is None:
            return f"{self.what}: unknown (some figures lack a price): the {limit} limit " \
                   "cannot be applied"
        total = f"{cents(self.total):,.2f} EUR"
        if self.tax_free:
            return f"{self.what}: {total}, below the {limit} limit (Freigrenze): tax-free"
        return f"{self.what}: {total}, not below the {limit} limit (Freigrenze): all of it " \
               "is taxable"


def exemptions(year: int, disposals: Sequence[Disposal],
               income: Sequence[IncomeEvent]) -> tuple[Exemption, Exemption]:
    """The year's private sales gain (losses netted; sales after a year left out) and its
    other income, each against its limit."""
    sales = sum_known(d.gain_usd for d in disposals if d.rule != TAX_FREE_AFTER_A_YEAR)
    other = sum_known(i.usd_value for i in income)
    return (Exemption("private sales (EStG s.23)", sales, private_sales_limit(year)),
            Exemption("other income (EStG s.22 no. 3)", other, OTHER_INCOME_LIMIT))


class Germany(Jurisdiction):
    code = "de"
    name = "Germany"
    currency = "EUR"
    zone = ZoneInfo("Europe/Berlin")

    def check_method(self, method: str) -> None:
        if method != "fifo":
            raise UserInputError(f"Germany matches lots first in, first out: the method {method} "
                         "does not apply (drop --method)")

    def scopes(self, plan: ScopePlan) -> ScopePlan:
        return ScopePlan.everywhere(Scope.PER_WALLET)

    def matcher(self, policy: Policy) -> Matcher:
        return LotMatcher(policy.method, policy.effective_scopes,
                          assignments=policy.assignments, recorded=policy.allocation,
                          tax_free_after_a_year=True)

    def summary(self, year: int, disposals: Sequence[Disposal],
                income: Sequence[IncomeEvent]) -> tuple[str, ...]:
        return tuple(e.line() for e in exemptions(year, disposals, income))
