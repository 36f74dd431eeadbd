"""A scan's new transactions added to their chain's ledger (scanner.ledger.extend), when
they all come after those the ledger was built from and nothing else the earlier legs rest
on changed since: the records up to there (a reorganization, an L1 fee read again), the
wallets, the known tokens, the user's spam marks, the contracts the config names. What the
ledger was built from is kept in the meta table after every build (`keep_built`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from chains.registry import Chain
from scanner.app.config_protocols import named_contracts
from scanner.ledger.build import decode_context, decode_txs
from scanner.ledger.extend import (
    deposit_flows,
    extend_ledger,
    positioned,
    relabel_ledger,
    touched,
)
from scanner.ledger.positions import POSITION
from scanner.ledger.valuation import AssetRanks, LegId, leg_id
from scanner.prices.book import PriceBook
from scanner.store import Store
from scanner.store.extension import Point

_BUILT = "ledger_built:{}"  # per chain id: what its ledger was built from (`_what`)
_SAME = ("records", "wallets", "marks", "named")


def _what(store: Store, chain: Chain, end: Point | None,
          since: tuple[Point, list[str]] | None = None) -> dict[str, Any]:
    """What the ledger of `chain` rests on, its records up to `end` (block, index); `since`:
    an earlier point, with the digest of the records up to it."""
    chain_id = chain.chain_id
    prefix = f"eip155:{chain_id}/"
    return {
        "through": end,
        "records": None if end is None else store.records_digest(chain_id, end, since),
        "wallets": sorted(store.wallets(chain_id)),
        "tokens": {address: [t.symbol, t.name, t.decimals]
                   for address, t in sorted(store.tokens(chain_id).items())},
        "marks": sorted((a, s) for a, s in store.spam_marks().items()
                        if a.startswith(prefix)),
        "named": sorted(named_contracts(store, chain_id)),
        "snapshots": bool(store.balance_snapshots(chain_id)),
    }


def keep_built(store: Store, chain: Chain,
               since: tuple[Point, list[str]] | None = None) -> None:
    """What `chain`'s ledger, just built, was built from; `since`: the point it was built to
    before and the digest of its records up to there, when it was extended."""
    store.set_meta(_BUILT.format(chain.chain_id), json.dumps(
        _what(store, chain, store.records_end(chain.chain_id), since)))


def extend_chain(store: Store, chain: Chain, book: PriceBook, ranks: AssetRanks,
                 misses: Collection[str]) -> list[LegId] | None:
    """The legs of the transactions after those `chain`'s ledger was built from, added to
    it with the spam verdicts they change; or, after the user's spam marks changed (and
    nothing else), the legs of the marked tokens' transactions classified again
    (`_remark`). The keys of the legs that may have changed; None when the ledger must be
    built whole."""
    kept = store.meta(_BUILT.format(chain.chain_id))
    built = None if kept is None else json.loads(kept)
    if built is None or built["through"] is None or built["snapshots"]:
        return None
    through: Point = (int(built["through"][0]), int(built["through"][1]))
    wallets = store.wallets(chain.chain_id)
    tokens = store.tokens(chain.chain_id)
    now = json.loads(json.dumps(_what(store, chain, through)))  # as the kept one reads
    added = set(now["tokens"]) - set(built["tokens"])
    if any(now[key] != built[key] for key in _SAME if key != "marks") or now["snapshots"] or \
            any(now["tokens"][a] != t for a, t in built["tokens"].items()):
        return None
    txs = store.raw_txs(chain.chain_id, after=through)
    if now["marks"] != built["marks"]:
        was, marked = (dict(map(tuple, m)) for m in (built["marks"], now["marks"]))
        changed = {a for a in was.keys() | marked.keys() if was.get(a) != marked.get(a)}
        return None if txs or added else _remark(store, chain, book, ranks, misses, changed,
                                                 (through, now["records"]))
    new = [tx.tx_hash for tx in txs]
    if store.emitted_before(chain.chain_id, added, new):
        return None
    own = frozenset(wallets)
    decoded = decode_txs(txs, own, tokens, decode_context(
        chain, own, tokens, named_contracts(store, chain.chain_id)), chain.native_asset)
    before = store.ledger_before(chain.chain_id, touched(decoded), new, wallets)
    extended = None if before is None else extend_ledger(
        chain, decoded, txs, own, tokens, book, ranks, before,
        spam_marks=store.spam_marks(), price_misses=misses)
    if extended is None:
        return None
    store.add_ledger(extended.entries)
    store.save_verdicts(extended.spam)
    keep_built(store, chain, (through, now["records"]))
    return [leg_id(leg) for leg in extended.entries]


def _remark(store: Store, chain: Chain, book: PriceBook, ranks: AssetRanks,
            misses: Collection[str], remarked: Collection[str],
            since: tuple[Point, list[str]]) -> list[LegId] | None:
    """After the user's marks on `remarked` changed, and nothing else: the legs of the
    transactions that move them classified again (scanner.ledger.extend.relabel_ledger),
    with their verdicts; the keys of the legs removed and added. None when the chain must
    be built whole: a transaction of theirs held a position's leg, or a transfer out of
    theirs would become a deposit that a leg elsewhere brings back."""
    chain_id = chain.chain_id
    hashes = store.txs_moving(chain_id, remarked)
    old = store.legs_of_txs(chain_id, hashes)
    if any(protocol == POSITION for _, protocol in old):
        return None
    txs = store.raw_txs(chain_id, among=hashes)
    wallets, tokens = store.wallets(chain_id), store.tokens(chain_id)
    own = frozenset(wallets)
    decoded = decode_txs(txs, own, tokens, decode_context(
        chain, own, tokens, named_contracts(store, chain_id)), chain.native_asset)
    before = store.ledger_before(chain_id, touched(decoded), hashes, wallets)
    relabeled = None if before is None else relabel_ledger(
        chain, decoded, own, tokens, book, before, remarked, spam_marks=store.spam_marks(),
        price_misses=misses)
    if before is None or relabeled is None or \
            store.returns_elsewhere(chain_id, deposit_flows(relabeled[0]), hashes):
        return None
    entries, verdicts = relabeled
    valued = positioned(entries, decoded, txs, own, before, book, ranks)
    store.replace_ledger_of(chain_id, hashes, valued)
    store.save_verdicts(verdicts)
    keep_built(store, chain, since)
    return [key for key, _ in old] + [leg_id(leg) for leg in valued]
