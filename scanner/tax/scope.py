"""Which lots a disposal may draw on: the wallet's own (per-wallet) or every wallet's
(universal), switchable per tax year; and the allocation of universal lots to wallets when
a year switches to per-wallet (the US safe harbor of Rev. Proc. 2024-28 at 2025-01-01)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from chains.errors import UserInputError
from scanner.tax.records import Allocation

__all__ = ["Allocation", "Scope", "ScopePlan", "allocate_by_rule", "parse_scope"]


class Scope(StrEnum):
    PER_WALLET = "per-wallet"
    UNIVERSAL = "universal"


US_PER_WALLET_FROM = 2025  # Treas. Reg. 1.1012-1(j): lots per wallet or account from 2025


@dataclass(frozen=True)
class ScopePlan:
    """The scope of each tax year: the year's own entry, else `default`, else the US rule
    (universal before 2025, per wallet from 2025)."""

    years: tuple[tuple[int, Scope], ...] = ()
    default: Scope | None = None

    def of(self, year: int) -> Scope:
        for listed, scope in self.years:
            if listed == year:
                return scope
        if self.default is not None:
            return self.default
        return Scope.UNIVERSAL if year < US_PER_WALLET_FROM else Scope.PER_WALLET

    @classmethod
    def everywhere(cls, scope: Scope) -> ScopePlan:
        return cls((), scope)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, str]) -> ScopePlan:
        """`{"default": "per-wallet", "2024": "universal"}`, as a config file gives it."""
        years: list[tuple[int, Scope]] = []
        default: Scope | None = None
        for key, value in raw.items():
            scope = parse_scope(value)
            if key == "default":
                default = scope
            elif key.isdigit() and 1970 <= int(key) <= 2200:
                years.append((int(key), scope))
            else:
                raise UserInputError(f"scope: {key!r} is neither a year nor 'default'")
        return cls(tuple(sorted(years)), default)

    def as_mapping(self) -> dict[str, str]:
        out = {str(year): scope.value for year, scope in self.years}
        if self.default is not None:
            out["default"] = self.default.value
        return out


def parse_scope(text: str) -> Scope:
    try:
        return Scope(text.strip().lower())
    except ValueError:
        raise UserInputError(
            f"unknown lot scope {text!r} (available: {', '.join(s.value for s in Scope)})"
        ) from None


@dataclass(frozen=True)
class Share:
    lot_index: int
    wallet: str
    quantity: Decimal


def allocate_by_rule(lots: Sequence[tuple[str, Decimal]],
                     needs: Mapping[str, Decimal]) -> list[Share]:
    """Give lots (their acquiring wallet and quantity, in the method's order) to the
    wallets that hold the asset: first each wallet its own lots up to what it holds, then
    what is left to wallets still short, in address order. A lot nobody needs stays with
    the wallet that acquired it."""
    remaining = [quantity for _, quantity in lots]
    need = {wallet: q for wallet, q in needs.items() if q > 0}
    shares: list[Share] = []

    def give(index: int, wallet: str, quantity: Decimal) -> None:
        shares.append(Share(index, wallet, quantity))
        remaining[index] -= quantity
        need[wallet] -= quantity

    for index, (owner, _) in enumerate(lots):
        if need.get(owner, 0) > 0 and remaining[index] > 0:
            give(index, owner, min(remaining[index], need[owner]))
    for index in range(len(lots)):
        for wallet in sorted(need):
            if remaining[index] <= 0:
                break
            if need[wallet] > 0:
                give(index, wallet, min(remaining[index], need[wallet]))
    for index, (owner, _) in enumerate(lots):
        if remaining[index] > 0:
            shares.append(Share(index, owner, remaining[index]))
    return shares
