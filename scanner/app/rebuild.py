"""Rebuilding the ledger from the raw records, and the lots from the ledger."""

from __future__ import annotations

from scanner.app.config_protocols import named_contracts
from scanner.app.readmodel import all_legs, compute_book
from scanner.app.settings import (
    Rules,
    asset_ranks,
    chains_of,
    describe,
    extra_stablecoins,
    policy_of,
)
from scanner.ledger.build import build_ledger
from scanner.ledger.valuation import AssetRanks, leg_id, value_entries
from scanner.prices.book import PriceBook
from scanner.store import Store


def refresh(store: Store, rules: Rules | None = None) -> None:
    """Rebuild every chain's ledger from the raw records, value it and the imported legs,
    and recompute the lots."""
    chains = chains_of(store)
    ranks = asset_ranks(chains, extra_stablecoins(store))
    book = PriceBook(store.prices(), pegged=ranks.stablecoins)
    misses = frozenset(asset for asset, _, _ in store.price_misses())
    with store.transaction():
        for chain in chains:
            built = build_ledger(chain, store.raw_txs(chain.chain_id),
                                 store.wallets(chain.chain_id), store.tokens(chain.chain_id),
                                 book, ranks, spam_marks=store.spam_marks(),
                                 snapshots=store.balance_snapshots(chain.chain_id),
                                 price_misses=misses,
                                 named_contracts=named_contracts(store, chain.chain_id))
            store.replace_ledger(chain.chain_id, built.entries)
            store.replace_spam(chain.chain_id, built.spam)
        _value_imported(store, book, ranks)
        policy = policy_of(store, rules)
        store.replace_lots(compute_book(all_legs(store), policy, ranks), describe(policy))


def _value_imported(store: Store, book: PriceBook, ranks: AssetRanks) -> None:
    """Imported legs are valued as the chain's are: a value their file gave stays, and
    values its trade first; the others are valued afresh from today's prices (a price
    imported or fetched since may value them)."""
    legs = store.imported_legs()
    given = {leg_id(leg) for leg, from_file in legs if from_file}
    before = {leg_id(leg): (leg.usd_value, leg.price_source)
              for leg, from_file in legs if not from_file}
    valued = value_entries([leg for leg, _ in legs], book, ranks, given)
    store.set_imported_values(
        leg for leg in valued
        if (key := leg_id(leg)) in before and before[key] != (leg.usd_value, leg.price_source))
