"""The read model of a report: the ledger read from the database once, with the rules,
chains, prices and identity it is read under; its lots computed when first asked for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from chains.registry import Chain
from scanner.app.settings import (
    Rules,
    asset_ranks,
    chains_of,
    describe,
    extra_stablecoins,
    identical_groups,
    identity,
    policy_of,
)
from scanner.ledger.pairing import pair_own_transfers
from scanner.ledger.records import LedgerEntry
from scanner.ledger.valuation import AssetRanks
from scanner.prices.book import PriceBook
from scanner.store import Store
from scanner.tax.lots import compute_lots
from scanner.tax.policy import Policy
from scanner.tax.records import LotBook


def all_legs(store: Store) -> list[LedgerEntry]:
    """The scanned and imported legs, moves between your own accounts paired."""
    return pair_own_transfers(store.ledger())


def compute_book(entries: Sequence[LedgerEntry], policy: Policy, ranks: AssetRanks) -> LotBook:
    return compute_lots(entries, purchase_currencies=ranks.stablecoins, policy=policy)


@dataclass(frozen=True, eq=False)
class Books:
    entries: Sequence[LedgerEntry]
    policy: Policy
    chains: Sequence[Chain]
    ranks: AssetRanks
    prices: PriceBook
    identity: Callable[[str], str]
    _held: dict[datetime, LotBook] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def lots(self) -> LotBook:
        return compute_book(self.entries, self.policy, self.ranks)

    def lots_until(self, moment: datetime | None) -> LotBook:
        """The lots of the legs up to `moment` (every leg when None)."""
        if moment is None:
            return self.lots
        if moment not in self._held:
            self._held[moment] = compute_book([e for e in self.entries if e.timestamp <= moment],
                                              self.policy, self.ranks)
        return self._held[moment]

    @property
    def computed_by(self) -> str:
        return describe(self.policy)


def load(store: Store, rules: Rules | None = None) -> Books:
    """Everything a report reads from the database, read once."""
    policy = policy_of(store, rules)
    chains = tuple(chains_of(store))
    ranks = asset_ranks(chains, extra_stablecoins(store))
    return Books(entries=tuple(all_legs(store)), policy=policy, chains=chains, ranks=ranks,
                 prices=PriceBook(store.prices(), pegged=ranks.stablecoins),
                 identity=identity(chains, identical_groups(store)))
