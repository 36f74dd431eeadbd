"""Germany: first in, first out per wallet; a coin held more than a year is sold tax-free
(EStG s.23); no wash-sale rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chains.errors import UserInputError
from scanner.tax.jurisdictions.base import Jurisdiction
from scanner.tax.jurisdictions.lotwise import LotMatcher
from scanner.tax.scope import Scope, ScopePlan

if TYPE_CHECKING:
    from scanner.tax.matching import Matcher
    from scanner.tax.policy import Policy


class Germany(Jurisdiction):
    code = "de"
    name = "Germany"

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
