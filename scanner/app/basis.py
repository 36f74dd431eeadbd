"""Lots per wallet: recording how universal lots are given to wallets (Rev. Proc. 2024-28)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chains.errors import UserInputError
from scanner.app.readmodel import all_legs
from scanner.app.rebuild import refresh_lots
from scanner.app.settings import (
    Rules,
    asset_ranks,
    chains_of,
    extra_stablecoins,
    policy_of,
)
from scanner.store import Store
from scanner.tax.lots import compute_lots
from scanner.tax.records import (
    Allocation,
)
from scanner.tax.scope import Scope, ScopePlan


def allocate_basis(store: Store, as_of: datetime, rules: Rules | None = None) -> \
        list[Allocation]:
    """Record how the lots held universally up to `as_of` (January 1) are given to the
    wallets that hold the coins (the safe harbor of Rev. Proc. 2024-28), replacing any
    allocation recorded before. From then on the lots are per wallet."""
    if (as_of.month, as_of.day, as_of.hour, as_of.minute, as_of.second) != (1, 1, 0, 0, 0):
        raise UserInputError("the allocation is made at the start of a year: give "
                             f"--as-of {as_of.year + 1}-01-01 or {as_of.year}-01-01")
    policy = policy_of(store, rules)
    if not policy.jurisdiction.allocates_basis_per_wallet:
        raise UserInputError("the basis allocation is a US rule (Rev. Proc. 2024-28); "
                             f"{policy.jurisdiction.code.upper()} lots are not per wallet")
    entries = [e for e in all_legs(store) if e.timestamp < as_of]
    first = min((e.timestamp.year for e in entries), default=as_of.year)
    universal_until = ScopePlan(tuple((y, Scope.UNIVERSAL) for y in range(first, as_of.year)),
                                Scope.PER_WALLET)
    ranks = asset_ranks(chains_of(store), extra_stablecoins(store))
    book = compute_lots(entries, purchase_currencies=ranks.stablecoins,
                        policy=replace(policy, scopes=universal_until, allocation=()),
                        through_year=as_of.year)
    rows = [replace(a, how="recorded") for a in book.allocations if a.as_of == as_of]
    with store.transaction():
        store.replace_basis_allocations(rows)
    refresh_lots(store)
    return rows


def recorded_allocation(store: Store) -> list[Allocation]:
    return store.basis_allocations()
