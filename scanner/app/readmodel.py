"""The read model of a report: the ledger read from the database once, with the rules,
chains, prices, exchange rates and identity it is read under; its lots computed, in the
jurisdiction's currency, when first asked for."""

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
    kept_rules,
    pairing_rules,
    policy_of,
)
from scanner.ledger.currency import Converted, in_currency
from scanner.ledger.pairing import pair_own_transfers
from scanner.ledger.records import LedgerEntry
from scanner.ledger.valuation import AssetRanks
from scanner.prices.book import PriceBook
from scanner.prices.fx import Rate, Rates
from scanner.store import Store
from scanner.tax.harvest import HarvestRow, plan_harvest
from scanner.tax.lots import compute_lots, lots_and_snapshot
from scanner.tax.policy import Policy
from scanner.tax.records import LotBook


def all_legs(store: Store) -> list[LedgerEntry]:
    """The scanned and imported legs, moves between your own accounts paired."""
    return pair_own_transfers(store.ledger(), pairing_rules(store))


def compute_book(entries: Sequence[LedgerEntry], policy: Policy, ranks: AssetRanks) -> LotBook:
    return compute_lots(entries, purchase_currencies=ranks.stablecoins, policy=policy)


@dataclass(frozen=True, eq=False)
class Books:
    entries: Sequence[LedgerEntry]  # in USD, as stored
    policy: Policy
    chains: Sequence[Chain]
    ranks: AssetRanks
    prices: PriceBook
    identity: Callable[[str], str]
    rates: Rates = field(default_factory=lambda: Rates("USD"))
    _held: dict[datetime, LotBook] = field(default_factory=dict, init=False, repr=False)
    _valued_lots: dict[datetime, tuple[HarvestRow, ...]] = field(
        default_factory=dict, init=False, repr=False)

    @property
    def currency(self) -> str:
        """The currency of every tax figure: the jurisdiction's."""
        return self.policy.jurisdiction.currency

    def year_name(self, year: int) -> str:
        return self.policy.jurisdiction.tax_year_name(year)

    @cached_property
    def converted(self) -> Converted:
        return in_currency(self.entries, self.rates, self.policy.jurisdiction.local_date)

    @property
    def valued(self) -> Sequence[LedgerEntry]:
        """The legs valued in the reporting currency: what the lots are computed from."""
        return self.converted.entries

    @cached_property
    def lots(self) -> LotBook:
        return compute_book(self.valued, self.policy, self.ranks)

    def lots_until(self, moment: datetime | None) -> LotBook:
        """The lots of the legs up to `moment` (every leg when None)."""
        if moment is None:
            return self.lots
        if moment not in self._held:
            until = [e for e in self.valued if e.timestamp <= moment]
            self._held[moment] = self.lots if len(until) == len(self.valued) else \
                compute_book(until, self.policy, self.ranks)  # every leg: the same lots
        return self._held[moment]

    def lots_and_held(self, moment: datetime) -> tuple[LotBook, LotBook]:
        """`lots` and `lots_until(moment)`, from one run of the engine where neither is
        computed yet and the matcher's state can be taken mid-run (lot by lot)."""
        if moment not in self._held and "lots" not in self.__dict__:
            book, held = lots_and_snapshot(self.valued, moment, policy=self.policy,
                                           purchase_currencies=self.ranks.stablecoins)
            self.__dict__["lots"] = book  # the cached property's value
            if held is not None:
                self._held[moment] = held
        return self.lots, self.lots_until(moment)

    def valued_lots(self, as_of: datetime) -> tuple[HarvestRow, ...]:
        """Every lot open at `as_of`, valued at its prices (`plan_harvest`), computed once."""
        if as_of not in self._valued_lots:
            rate = self.rate_at(as_of)
            self._valued_lots[as_of] = tuple(plan_harvest(
                self.lots_until(as_of), as_of, self.prices, self.identity, losses_only=False,
                jurisdiction=self.policy.jurisdiction,
                per_usd=None if rate is None else rate.per_usd))
        return self._valued_lots[as_of]

    def rate_at(self, moment: datetime) -> Rate | None:
        """The rate a USD price at `moment` converts at into the reporting currency."""
        return self.rates.at(self.policy.jurisdiction.local_date(moment))

    def notes(self, moment: datetime | None = None) -> tuple[str, ...]:
        """What the reader should know about the figures up to `moment`: the lots' notes,
        and days without an exchange rate."""
        missing = self.converted.without_rate
        if not missing:
            return self.lots_until(moment).notes
        last = self.rates.last_day
        shipped = f" (the rates end {last.isoformat()})" if last else ""
        return (*self.lots_until(moment).notes,
                f"no {self.currency} rate for {len(missing)} day(s) from "
                f"{missing[0].isoformat()} to {missing[-1].isoformat()}{shipped}: their figures "
                "are unknown; import rates with `taxscan prices rates FILE`")

    @property
    def computed_by(self) -> str:
        return describe(self.policy)


def load(store: Store, rules: Rules | None = None) -> Books:
    """Everything a report reads from the database, read once; a config read for the
    command sets the rules it names (over those the last config scan kept)."""
    if rules is not None and rules.config is not None:
        store.tell(kept_rules(rules.config))
    policy = policy_of(store, rules)
    chains = tuple(chains_of(store))
    ranks = asset_ranks(chains, extra_stablecoins(store))
    return Books(entries=tuple(all_legs(store)), policy=policy, chains=chains, ranks=ranks,
                 prices=PriceBook(store.prices(), pegged=ranks.stablecoins),
                 identity=identity(chains, identical_groups(store)),
                 rates=Rates(policy.jurisdiction.currency, store.fx_rates()))
