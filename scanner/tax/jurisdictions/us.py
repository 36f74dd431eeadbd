"""The United States: lot by lot with the taxpayer's method, wash sales (IRC 1091) over
substantially identical assets, and Form 8949 with its companions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from scanner.tax.jurisdictions.base import Identity, Jurisdiction, within
from scanner.tax.jurisdictions.lotwise import METHODS, LotMatcher
from scanner.tax.netting import Netting, capital_netting
from scanner.tax.records import Disposal, Lot
from scanner.tax.taxpayer import Taxpayer

if TYPE_CHECKING:
    from scanner.tax.matching import Matcher
    from scanner.tax.policy import Policy

WASH_DAYS = 30  # IRC 1091(a): 30 days before the date of the sale


class UnitedStates(Jurisdiction):
    code = "us"
    name = "United States"
    methods: ClassVar[tuple[str, ...]] = tuple(METHODS)
    forms: ClassVar[tuple[str, ...]] = ("form8949", "schedule-d", "turbotax", "txf")
    allocates_basis_per_wallet = True
    warning = ("wash-sale risk: the same or a substantially identical asset was bought in the "
               "30 days before; do not buy it back within 30 days after a loss sale.")

    def describe(self, method: str) -> str:
        return method

    def matcher(self, policy: Policy) -> Matcher:
        return LotMatcher(policy.method, policy.effective_scopes,
                          assignments=policy.assignments, recorded=policy.allocation)

    def identity(self, identical: Identity) -> Identity:
        return identical

    def risky_acquisitions(self, acquisitions: Iterable[Lot], as_of: datetime) -> list[Lot]:
        return within(self, acquisitions, as_of, WASH_DAYS)

    def netting(self, disposals: Iterable[Disposal], year: int, *, first_year: int,
                taxpayer: Taxpayer) -> Netting | None:
        return capital_netting(disposals, year, first_year=first_year, taxpayer=taxpayer)
