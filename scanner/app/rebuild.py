"""Rebuilding the ledger from the raw records, and the lots from the ledger."""

from __future__ import annotations

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
from scanner.prices.book import PriceBook
from scanner.store import Store


def refresh(store: Store, rules: Rules | None = None) -> None:
    """Rebuild every chain's ledger from the raw records, value it, and recompute the lots."""
    chains = chains_of(store)
    ranks = asset_ranks(chains, extra_stablecoins(store))
    book = PriceBook(store.prices(), pegged=ranks.stablecoins)
    with store.transaction():
        for chain in chains:
            built = build_ledger(chain, store.raw_txs(chain.chain_id),
                                 store.wallets(chain.chain_id), store.tokens(chain.chain_id),
                                 book, ranks, spam_marks=store.spam_marks(),
                                 snapshots=store.balance_snapshots(chain.chain_id))
            store.replace_ledger(chain.chain_id, built.entries)
            store.replace_spam(chain.chain_id, built.spam)
        policy = policy_of(store, rules)
        store.replace_lots(compute_book(all_legs(store), policy, ranks), describe(policy))
