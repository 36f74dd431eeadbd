"""Matching rules per jurisdiction: lot by lot (US, Germany) or pooled (UK, Canada)."""

from __future__ import annotations

from scanner.tax.jurisdictions.lotwise import LotMatcher
from scanner.tax.matching import Matcher
from scanner.tax.policy import Policy


def matcher_for(policy: Policy) -> Matcher:
    if policy.jurisdiction == "uk":
        from scanner.tax.jurisdictions.uk import UkPools

        return UkPools()
    if policy.jurisdiction == "ca":
        from scanner.tax.jurisdictions.ca import CanadaAcb

        return CanadaAcb()
    return LotMatcher(policy.method, policy.effective_scopes, assignments=policy.assignments,
                      recorded=policy.allocation,
                      tax_free_after_a_year=policy.jurisdiction == "de")
