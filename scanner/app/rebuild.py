"""Rebuilding the ledger from the raw records, and the lots from the ledger: whole
(`refresh`, `taxscan rebuild`), or only as far as a change reaches (the other `refresh_*`),
with the same tables as a whole rebuild would leave.

What a whole rebuild reads besides the records (the chains in use, their stablecoins and
wrapped natives; the rules the lots follow) is kept in the meta table: when it differs, an
incremental rebuild is a whole one."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from chains.addresses import asset_chain_id
from chains.registry import Chain, asset_names
from chains.source import NoProgress, Progress
from scanner.app.config_protocols import named_contracts
from scanner.app.extend import extend_chain, keep_built
from scanner.app.queries import carry_unpaired
from scanner.app.readmodel import all_legs, compute_book
from scanner.app.settings import (
    Rules,
    asset_ranks,
    chains_of,
    describe,
    extra_stablecoins,
    pairing_rules,
    policy_of,
)
from scanner.collector import without_collector
from scanner.ledger.build import build_ledger
from scanner.ledger.pairing import (
    PAIRED_KINDS,
    PairingRules,
    may_pair_across,
    pair_own_transfers,
)
from scanner.ledger.records import Kind, LedgerEntry
from scanner.ledger.valuation import AssetRanks, LegId, leg_id, value_entries
from scanner.prices.book import FETCHED_MAX_AGE, PriceBook
from scanner.prices.records import PricePoint
from scanner.store import Store
from scanner.tax.checkpoint import EngineState
from scanner.tax.lots import acquisition_order, compute_lots, lots_with_state
from scanner.tax.policy import Policy

LEDGER_BASIS = "rebuild_ledger_basis"  # the chains and asset ranks the ledger was built with
LOTS_BASIS = "rebuild_lots_basis"  # the rules and purchase currencies of the stored lots
ImportedKey = tuple[int, str, str, str, str]  # chain, transaction, leg, wallet; group
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO = Decimal(0)
_INSTANT = timedelta(microseconds=1)  # the engine's state is kept just after the last leg


@dataclass(frozen=True)
class _Basis:
    chains: tuple[Chain, ...]
    ranks: AssetRanks
    book: PriceBook
    misses: frozenset[str]
    key: str  # what LEDGER_BASIS holds for it


def _basis(store: Store) -> _Basis:
    chains = tuple(chains_of(store))
    ranks = asset_ranks(chains, extra_stablecoins(store))
    key = json.dumps([[c.chain_id for c in chains], sorted(ranks.stablecoins),
                      sorted(ranks.natives)])
    return _Basis(chains, ranks, PriceBook(store.prices(), pegged=ranks.stablecoins),
                  frozenset(asset for asset, _, _ in store.price_misses()), key)


def _current(store: Store) -> _Basis | None:
    """The basis, when the ledger was built on it; None when a whole rebuild is due."""
    basis = _basis(store)
    return basis if store.meta(LEDGER_BASIS) == basis.key else None


@dataclass(frozen=True)
class Rebuilt:
    legs: int
    lots: int
    disposals: int


def rebuild(store: Store, progress: Progress | None = None) -> Rebuilt:
    """`taxscan rebuild`: the ledger of every chain rebuilt from the raw records, every
    imported leg revalued, every lot recomputed; what the database then holds."""
    refresh(store, progress=progress)
    legs, lots, disposals = store.ledger_sizes()
    return Rebuilt(legs, lots, disposals)


@without_collector
def refresh(store: Store, rules: Rules | None = None, progress: Progress | None = None) -> None:
    """Rebuild every chain's ledger from the raw records, value it and the imported legs,
    and recompute the lots."""
    progress = progress or NoProgress()
    basis = _basis(store)
    with store.transaction():
        progress.start("ledger", len(basis.chains))
        for chain in basis.chains:
            _build_chain(store, chain, basis)
            progress.advance()
        progress.start("imported legs", None)
        _value_imported(store, store.imported_legs_to_value(), basis.book, basis.ranks)
        _all_lots(store, policy_of(store, rules), basis.ranks, progress)
        store.set_meta(LEDGER_BASIS, basis.key)


@without_collector
def refresh_chains(store: Store, chain_ids: Collection[int], rules: Rules | None = None) -> None:
    """After a scan or a spam mark: the ledgers of `chain_ids` rebuilt, the imported legs
    left as they were valued (neither changes them), the lots of what changed recomputed.
    A chain's ledger is extended by its new transactions where that gives what a whole
    build would (scanner.app.extend), else built whole: its decoding reads across its
    transactions (the positions' walk, the spam verdicts, rebasing, the symbols decoders
    give)."""
    basis = _current(store)
    if basis is None:
        refresh(store, rules)
        return
    with store.transaction():
        among: list[LegId] | None = [] if store.lots_in_step() else None
        for chain in basis.chains:
            if chain.chain_id not in chain_ids:
                continue
            added = extend_chain(store, chain, basis.book, basis.ranks, basis.misses)
            if added is None:
                _build_chain(store, chain, basis)
                among = None
            elif among is not None:
                among += added
        _update_lots(store, rules, basis.ranks, among)


@without_collector
def refresh_prices(store: Store, points: Iterable[PricePoint],
                   missed: Iterable[tuple[str, datetime, str]] = (),
                   rules: Rules | None = None) -> None:
    """After prices were saved (`points`) and sources found none (`missed`): the legs those
    prices can value are valued again, those of the priced assets from a day before the
    earliest new price (a fetched price values the day around it) and the rest of their
    groups (a trade takes the value of its priced leg), scanned and imported alike; then
    the lots of what changed. The first price of a judged token, or a first miss, may
    change its spam verdict: its chain is rebuilt (`refresh_chains`)."""
    basis = _current(store)
    if basis is None:
        refresh(store, rules)
        return
    points = list(points)
    since: dict[str, datetime] = {}
    for point in points:
        moment = point.timestamp - FETCHED_MAX_AGE
        since[point.asset] = min(since.get(point.asset, moment), moment)
    fresh = Counter(p.asset for p in {(p.asset, p.timestamp, p.source): p
                                      for p in points}.values())
    held = store.price_rows(list(fresh))
    first = {a for a, n in fresh.items() if held.get(a, 0) <= n} - basis.ranks.stablecoins
    first |= {asset for asset, _, _ in missed if not basis.book.has_any(asset)}
    rejudged = {asset_chain_id(a) for a in store.judged_among(first)}
    priced = sorted(since.items())
    with store.transaction():
        in_step = not rejudged and store.lots_in_step()
        changed: list[LedgerEntry] = []
        for chain in basis.chains:
            if chain.chain_id in rejudged:
                _build_chain(store, chain, basis)
            elif priced:
                legs = store.chain_legs_priced_since(chain.chain_id, priced)
                changed += _revalued(legs, value_entries(legs, basis.book, basis.ranks))
        store.set_chain_values(changed)
        if priced:
            changed += _value_imported(store, store.imported_priced_since(priced),
                                       basis.book, basis.ranks)
        _update_lots(store, rules, basis.ranks,
                     [leg_id(leg) for leg in changed] if in_step else None)


@without_collector
def refresh_imports(store: Store, source: str, before: Sequence[ImportedKey],
                    rules: Rules | None = None, progress: Progress | None = None) -> None:
    """In the transaction that imported the legs of `source` in place of those it gave
    `before` (their keys and groups): the imported groups of the legs it removed and added
    valued again, then the lots of what changed. With imported legs a scanned leg shadows
    (those the ledger shows do not say every change), every imported leg is valued
    again."""
    basis = _current(store)
    if basis is None:
        refresh(store, rules, progress)
        return
    (progress or NoProgress()).start("lots", None)
    if store.shadowed_imports():
        _value_imported(store, store.imported_legs(), basis.book, basis.ranks)
        _update_lots(store, rules, basis.ranks)
        return
    changed = [*before, *store.imported_keys(source)]
    revalued = _value_imported(store, store.imported_of_groups({g for *_, g in changed}),
                               basis.book, basis.ranks)
    _update_lots(store, rules, basis.ranks,
                 [(c, t, k, w) for c, t, k, w, _ in changed] + [leg_id(leg) for leg in revalued])


@without_collector
def refresh_lots(store: Store, rules: Rules | None = None) -> None:
    """Every lot recomputed, the ledger as it is (a basis allocation recorded)."""
    ranks = _basis(store).ranks
    with store.transaction():
        _all_lots(store, policy_of(store, rules), ranks)


def _build_chain(store: Store, chain: Chain, basis: _Basis) -> None:
    built = build_ledger(chain, store.raw_txs(chain.chain_id),
                         store.wallets(chain.chain_id), store.tokens(chain.chain_id),
                         basis.book, basis.ranks, spam_marks=store.spam_marks(),
                         snapshots=store.balance_snapshots(chain.chain_id),
                         price_misses=basis.misses,
                         named_contracts=named_contracts(store, chain.chain_id))
    store.replace_ledger(chain.chain_id, built.entries)
    store.replace_spam(chain.chain_id, built.spam)
    keep_built(store, chain)


def _revalued(before: Sequence[LedgerEntry], after: Sequence[LedgerEntry]) -> \
        list[LedgerEntry]:
    was = {leg_id(leg): (leg.usd_value, leg.price_source) for leg in before}
    return [leg for leg in after if was.get(leg_id(leg)) != (leg.usd_value, leg.price_source)]


def _value_imported(store: Store, legs: Sequence[tuple[LedgerEntry, bool]], book: PriceBook,
                    ranks: AssetRanks) -> list[LedgerEntry]:
    """Imported legs (whole groups) are valued as the chain's are: a value their file gave
    stays, and values its trade first; the others are valued afresh from today's prices (a
    price imported or fetched since may value them)."""
    given = {leg_id(leg) for leg, from_file in legs if from_file}
    free = [leg for leg, from_file in legs if not from_file]
    valued = value_entries([leg for leg, _ in legs], book, ranks, given)
    changed = _revalued(free, [leg for leg in valued if leg_id(leg) not in given])
    store.set_imported_values(changed)
    return changed


# ---- lots ----------------------------------------------------------------------------

def _lots_key(policy: Policy, ranks: AssetRanks, pairing: PairingRules) -> str:
    treatments = sorted(f"{kind.value}|{protocol}|{treatment.value}"
                        for (kind, protocol), treatment in policy.treatments.items())
    return json.dumps([policy.jurisdiction.code, policy.method, describe(policy),
                       repr(policy.effective_scopes), treatments,
                       [repr(a) for a in policy.allocation], sorted(ranks.stablecoins),
                       repr(pairing)])


def _all_lots(store: Store, policy: Policy, ranks: AssetRanks,
              progress: Progress | None = None) -> None:
    progress = progress or NoProgress()
    progress.start("lots: reading the ledger", None)
    entries = all_legs(store)
    end = max((leg.timestamp for leg in entries), default=_EPOCH) + _INSTANT
    progress.start(f"lots: matching {len(entries):,} legs", None)
    with store.meanwhile(store.keep_lots_ledger):
        run = lots_with_state(entries, end, purchase_currencies=ranks.stablecoins,
                              policy=policy, acquisitions=False)
        book = compute_book(entries, policy, ranks) if run is None else run[0]
    progress.start(f"lots: storing {len(book.open_lots):,} lots and "
                   f"{len(book.disposals):,} disposals", None)
    store.replace_lots(book, describe(policy), None if run is None else run[1])
    store.set_meta(LOTS_BASIS, _lots_key(policy, ranks, pairing_rules(store)))


def _update_lots(store: Store, rules: Rules | None, ranks: AssetRanks,
                 among: Sequence[LegId] | None = None) -> None:
    """The lots and disposals of what a change of the ledger reaches: run on from the
    engine's state at the end of the ledger when every change comes after it and the lots
    change no scope since (`_run_on`), else recomputed from the first leg for the assets it
    reaches (`linked_assets`), from their own legs. Whole, when the lots were computed under
    other rules, or without a state where one is kept; when lots are named for disposals
    (a lot another asset's legs name would be missing); and, recomputing from the first
    leg, when the scope of the lots changes more than once over the ledger's years (an
    asset's lots would be allocated at another switch), when a change of scope may come
    after the last group (pairing can move a transfer back a year, so the last year the
    whole ledger's lots start is not known), or when one comes after the kept state (the
    state of the assets not recomputed would stay before it).
    `among`: the keys of the only legs that may have changed since the lots were computed
    (those a change found, with those valued again after it)."""
    policy = policy_of(store, rules)
    pairing = pairing_rules(store)
    head = store.state_head()
    if policy.assignments or not store.has_lots_ledger() or \
            store.meta(LOTS_BASIS) != _lots_key(policy, ranks, pairing) or \
            (head is None and acquisition_order(policy) is not None):
        _all_lots(store, policy, ranks)
        return
    if among is not None and not among:
        return
    groups, assets = store.changed_since_lots(among)
    earliest = store.earliest_change()
    store.take_changes()
    if not groups:
        return
    first, last = store.ledger_years()
    if first is None or last is None:  # the ledger is empty
        _all_lots(store, policy, ranks)
        return
    scopes = policy.effective_scopes
    switches = [y for y in range(first + 1, last + 1) if scopes.of(y) != scopes.of(y - 1)]
    end = (store.ledger_end() or _EPOCH) + _INSTANT
    if head is not None and earliest is not None and earliest >= head.moment and \
            not any(y > head.year for y in switches) and \
            not store.groups_before(groups, head.moment) and \
            _run_on(store, policy, ranks, pairing, head, end, last):
        return
    if len(switches) > 1 or (switches and not store.settled_since(
            datetime(switches[-1], 1, 1, tzinfo=UTC))) or \
            (head is not None and any(y > head.year for y in switches)):
        _all_lots(store, policy, ranks)
        return
    linked = linked_assets(store, assets | store.group_assets(groups), policy)
    entries = pair_own_transfers(store.lots_input(linked), pairing)
    run = lots_with_state(entries, end, purchase_currencies=ranks.stablecoins, policy=policy,
                          through_year=last, acquisitions=False)
    if run is None:
        book = compute_lots(entries, purchase_currencies=ranks.stablecoins, policy=policy,
                            through_year=last)
    else:
        book, change = run
        store.save_engine_state(linked, change, False)
    store.replace_lots_of(linked, [lot for lot in book.open_lots if lot.asset in linked],
                          [d for d in book.disposals if d.asset in linked], describe(policy))


def _run_on(store: Store, policy: Policy, ranks: AssetRanks, pairing: PairingRules,
            head: EngineState, end: datetime, last: int) -> bool:
    """The lots run on from the kept state (at `head.moment`) with the legs at or after
    it, all of them new since the state was kept, when none of them may pair with a leg
    before it; False when they may. Only the assets those legs hold change. In the order of
    acquisition, the state of each pool is read as far as what the legs take from it (and
    whole if that proves short)."""
    legs = store.legs_since(head.moment)
    assets = {leg.asset for leg in legs}
    if _pairs_across(store, legs, head.moment, pairing):
        return False
    entries = pair_own_transfers(legs, pairing)
    latest = acquisition_order(policy)
    needs: list[dict[tuple[str, str], Decimal] | None] = [None]
    if latest is not None and not head.universal:
        need: dict[tuple[str, str], Decimal] = {}
        for leg in entries:
            if leg.raw_amount < 0:
                place = (leg.wallet, leg.asset)
                need[place] = need.get(place, _ZERO) - leg.quantity
        needs.insert(0, need)
    for first_lots in needs:
        run = lots_with_state(entries, end, purchase_currencies=ranks.stablecoins,
                              policy=policy, through_year=last,
                              start=store.engine_state(assets, first_lots, bool(latest)),
                              acquisitions=False)
        if run is not None:
            book, change = run
            store.save_engine_state(assets, change, True)
            store.run_on_lots(assets, change.touched, book.disposals, describe(policy))
            carry_unpaired(store, head.moment, legs)
            return True
    return False


def _pairs_across(store: Store, legs: Sequence[LedgerEntry], moment: datetime,
                  pairing: PairingRules) -> bool:
    """Whether one of `legs` (at or after `moment`) may pair with a leg before it (or one
    transaction has legs pairing reads on both sides)."""
    after = [leg for leg in legs if leg.kind in PAIRED_KINDS]
    if not after:
        return False
    if store.candidates_in({leg.tx_hash for leg in after}, moment):
        return True
    window = max(pairing.same_chain, pairing.cross_chain)
    before = store.candidate_legs(_same_coin({leg.asset for leg in after}), moment - window,
                                  moment)
    return may_pair_across(before, after, pairing)


def _same_coin(assets: Iterable[str]) -> set[str]:
    """`assets` and the same coins on the other chains (pairing joins them)."""
    names = asset_names()
    wanted = {names[asset] for asset in assets if asset in names}
    return set(assets) | {asset for asset, name in names.items() if name in wanted}


def linked_assets(store: Store, seeds: Collection[str], policy: Policy) -> set[str]:
    """`seeds` and every asset whose lots depend on theirs, or theirs on its: the assets
    that share a group that carries basis over (a wrap, a deposit), or a group where one
    of them may pair with a move between own accounts, and the same coin on every chain
    (pairing joins them). The lots of these assets, computed from their legs and the rest
    of their groups, are those the whole ledger gives them."""
    carrying = [f"{kind}|{protocol}" for kind, protocol in store.kinds_in_use()
                if policy.carries(Kind(kind), protocol)]
    found = _same_coin(seeds)
    frontier = set(found)
    while frontier:
        frontier = _same_coin(store.linked_assets(frontier, carrying)) - found
        found |= frontier
    return found
