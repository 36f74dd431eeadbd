"""Canada: each asset's adjusted cost base, and superficial losses denied (ITA s.54)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from scanner.tax.jurisdictions.base import Jurisdiction, pooled_method, within
from scanner.tax.jurisdictions.ca_acb import WINDOW_DAYS, CanadaAcb
from scanner.tax.records import Lot

if TYPE_CHECKING:
    from scanner.tax.matching import Matcher
    from scanner.tax.policy import Policy



class Canada(Jurisdiction):
    code = "ca"
    name = "Canada"
    currency = "CAD"
    warning = ("Canada: a loss is superficial (denied, added to the new cost base) when the "
               "same asset is bought in the 30 days before or after the sale and still held "
               "30 days after.")
    warns_always = True

    def check_method(self, method: str) -> None:
        pooled_method(self, method)

    def matcher(self, policy: Policy) -> Matcher:
        return CanadaAcb()

    def risky_acquisitions(self, acquisitions: Iterable[Lot], as_of: datetime) -> list[Lot]:
        return within(self, acquisitions, as_of, WINDOW_DAYS)
