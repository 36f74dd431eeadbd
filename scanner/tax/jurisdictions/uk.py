"""The United Kingdom: HMRC's same-day, bed-and-breakfast and section 104 pool matching
(TCGA 1992 s.104-106A) on UK dates, in pounds, over tax years from 6 April to 5 April
(TCGA 1992 s.288)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from scanner.tax.jurisdictions.base import Jurisdiction, pooled_method, repurchases
from scanner.tax.jurisdictions.uk_pools import UK_ZONE, UkPools
from scanner.tax.records import Lot

if TYPE_CHECKING:
    from scanner.tax.matching import Matcher
    from scanner.tax.policy import Policy


class UnitedKingdom(Jurisdiction):
    code = "uk"
    name = "United Kingdom"
    currency = "GBP"
    zone = UK_ZONE
    year_starts = (4, 6)
    warning = ("UK: a buy of the same asset on the day of the sale or in the 30 days after it "
               "is matched to the sale (same-day and bed-and-breakfast rules), not to the pool.")
    warns_always = True

    def check_method(self, method: str) -> None:
        pooled_method(self, method)

    def matcher(self, policy: Policy) -> Matcher:
        return UkPools()

    def risky_acquisitions(self, acquisitions: Iterable[Lot], as_of: datetime) -> list[Lot]:
        # the same-day rule: a buy at the moment of the sale, that UK day
        return [lot for lot in repurchases(acquisitions)
                if lot.acquired == as_of
                and self.local_date(lot.acquired) == self.local_date(as_of)]
