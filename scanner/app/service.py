"""Use cases: what the CLI (or a script) asks taxscan to do."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from chains.addresses import asset_contract, erc20_asset, parse_any_asset_id, parse_asset_id
from chains.errors import SourceInconsistent, UserInputError
from chains.evm.balances import POSITION, BalanceQuery, BalanceReader
from chains.evm.blocks import block_at
from chains.evm.records import RawTx, TokenInfo
from chains.evm.rpc import RpcClient
from chains.evm.source import ChainSource, Progress, RpcSource
from chains.registry import Chain, chain_by_id, is_known
from scanner.app.config import Config
from scanner.app.reorgs import anchors, follow_reorgs, tx_block_hashes
from scanner.app.sources import open_source, plan_for
from scanner.formats.koinly import read_koinly
from scanner.formats.ledger_csv import read_ledger_csv
from scanner.ledger.build import build_ledger
from scanner.ledger.decode.protocols.uniswap_v3 import POSITIONS_ROLE
from scanner.ledger.decode.transfers import token_transfers
from scanner.ledger.pairing import pair_own_transfers
from scanner.ledger.rebasing import BalanceSnapshot
from scanner.ledger.reconcile import BalanceCheck, Holding, holdings_of, reconcile
from scanner.ledger.records import NOT_HOLDINGS, Kind, LedgerEntry, YearEndBalance
from scanner.ledger.spam import SpamRow
from scanner.ledger.valuation import AssetRanks, wanted
from scanner.money import price
from scanner.prices.book import PriceBook
from scanner.prices.csvfile import read_price_file
from scanner.prices.fetch import ask
from scanner.prices.records import PricePoint
from scanner.prices.sources import PriceSource
from scanner.store import Store
from scanner.tax.harvest import HarvestRow, plan_harvest
from scanner.tax.jurisdictions import US, jurisdiction_of
from scanner.tax.lots import compute_lots
from scanner.tax.policy import Policy, assignments_from
from scanner.tax.records import (
    Allocation,
    Disposal,
    IncomeEvent,
    Lot,
    LotBook,
    MissingPrice,
    TraceStep,
)
from scanner.tax.scope import Scope, ScopePlan, parse_scope
from scanner.tax.treatment import table_with

RPC_SOURCE = "rpc"
STABLECOINS_KEY = "extra_stablecoins"
REBASING_KEY = "extra_rebasing"


@dataclass(frozen=True)
class WalletScan:
    chain_id: int
    chain_name: str
    wallet: str
    from_block: int
    to_block: int
    new_txs: int
    address_index: str | None
    notes: tuple[str, ...]
    node: str | None = field(default=None, repr=False)  # the node it used, if any: keys!


# ---- settings kept in the database --------------------------------------------------


def _named_assets(store: Store, key: str) -> frozenset[str]:
    """Asset ids the user named, kept in the database under `key`."""
    raw = store.meta(key)
    return frozenset(json.loads(raw)) if raw else frozenset()


def _add_named_assets(store: Store, key: str, assets: set[str]) -> None:
    kept = _named_assets(store, key)
    if not assets <= kept:
        store.set_meta(key, json.dumps(sorted(kept | assets)))


def extra_stablecoins(store: Store) -> frozenset[str]:
    return _named_assets(store, STABLECOINS_KEY)


def add_stablecoins(store: Store, assets: Iterable[str]) -> None:
    _add_named_assets(store, STABLECOINS_KEY, {parse_asset_id(a) for a in assets})


def extra_rebasing(store: Store) -> frozenset[str]:
    """The rebasing tokens named by the user (asset ids), over the registry's."""
    return _named_assets(store, REBASING_KEY)


def add_rebasing(store: Store, assets: Iterable[str]) -> None:
    named = set()
    for text in assets:
        asset = parse_asset_id(text)
        if "/erc20:" not in asset:
            raise UserInputError(f"a rebasing token is an ERC-20 token (eip155:1/erc20:0x...), "
                                 f"not {asset}")
        named.add(asset)
    _add_named_assets(store, REBASING_KEY, named)


def rebasing_tokens(store: Store, chain: Chain) -> list[str]:
    """The chain's rebasing tokens (lowercase addresses): the registry's and the user's."""
    prefix = f"eip155:{chain.chain_id}/erc20:"
    named = {a.removeprefix(prefix) for a in extra_rebasing(store) if a.startswith(prefix)}
    return sorted(set(chain.rebasing_tokens) | named)


def asset_ranks(chains: Iterable[Chain], extra: frozenset[str]) -> AssetRanks:
    stables: set[str] = set(extra)
    natives: set[str] = set()
    for chain in chains:
        stables |= chain.stablecoin_assets
        natives.add(chain.native_asset)
        if chain.wrapped_native_asset:
            natives.add(chain.wrapped_native_asset)
    return AssetRanks(frozenset(stables), frozenset(natives))


def identity(chains: Iterable[Chain],
             identical: Mapping[str, Sequence[str]] | None = None) -> Callable[[str], str]:
    """Substantially identical assets share a group: by default a chain's native coin and
    its wrapped native, and every chain's ETH; `identical` (from the config) adds or
    overrides groups."""
    groups: dict[str, str] = {}
    for chain in chains:
        natives = [chain.native_asset, *filter(None, [chain.wrapped_native_asset])]
        name = "ETH" if chain.native_symbol == "ETH" else chain.native_asset
        for asset in natives:
            groups[asset] = name
    for name, assets in (identical or {}).items():
        for asset in assets:
            groups[asset] = f"group:{name}"
    return lambda asset: groups.get(asset, asset)


def identical_groups(store: Store) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = json.loads(store.meta(IDENTICAL_KEY) or "{}")
    return groups


def chains_of(store: Store) -> list[Chain]:
    """The chains of the scanned wallets and of the imported legs."""
    ids = {cid for cid, _ in store.all_wallets()} | {
        cid for cid in store.imported_chain_ids() if cid and is_known(cid)}
    return [chain_by_id(cid) for cid in sorted(ids)]


def all_legs(store: Store) -> list[LedgerEntry]:
    """The scanned and imported legs, moves between your own accounts paired."""
    return pair_own_transfers(store.ledger())


def price_book(store: Store, chains: Iterable[Chain]) -> PriceBook:
    ranks = asset_ranks(chains, extra_stablecoins(store))
    return PriceBook(store.prices(), pegged=ranks.stablecoins)


# ---- scanning ---------------------------------------------------------------------------


BATCH_TXS = 1000  # transactions fetched and committed together


def scan(store: Store, source: ChainSource, wallets: Sequence[str], *,
         source_name: str = RPC_SOURCE, stablecoins: Iterable[str] = (),
         labels: Mapping[str, str | None] | None = None,
         on_wallet: Callable[[str], None] | None = None, rebuild: bool = True,
         from_block: int = 0, node: str | None = None, rebasing: Iterable[str] = (),
         snapshot_interval: int | None = None, batch_size: int = BATCH_TXS) -> list[WalletScan]:
    """Fetch what is new for each wallet, store it, and rebuild the ledger and lots.

    Each (chain, wallet, source) keeps its own cursor: the block below which every record
    of the wallet is stored. A wallet's new transactions are fetched and committed in
    batches of about `batch_size`, in block order, each with its cursor, so a scan that is
    killed loses at most the batch it was in. The scan goes to the head; the blocks within
    the chain's confirmation margin are checked again by the next scan (scanner.reorgs).

    Rebasing tokens (the registry's, `rebasing` asset ids, and those named before: they are
    kept) grow with no Transfer event. Each one a wallet has moved gets its balance read at
    the block before each block that moves it, every `snapshot_interval` blocks (the chain's
    default: about a day) from the first, and at the block scanned to; the rebuild books the
    growth between them as income.
    """
    if snapshot_interval is not None and snapshot_interval < 1:
        raise UserInputError(f"the snapshot interval is a number of blocks from 1, not "
                             f"{snapshot_interval}")
    if rebasing:
        add_rebasing(store, rebasing)
    chain_id = source.chain_id()
    chain = chain_by_id(chain_id)
    head = source.head()
    margin = chain.confirmations
    rewound = follow_reorgs(store, source, chain_id, head, margin)
    final = head
    anchored = source.block_hashes(anchors(final, margin))
    growing = rebasing_tokens(store, chain)
    interval = snapshot_interval or chain.snapshot_interval
    results = []
    for wallet in dict.fromkeys(wallets):
        last = store.cursor(chain_id, wallet, source_name)
        if last is not None and last > head:
            raise SourceInconsistent(
                f"the {source_name} source is at block {head}, below block {last} that "
                f"{wallet} was already scanned to: is this the same chain?")
        start = from_block if last is None else last + 1
        if on_wallet is not None:
            on_wallet(wallet)
        discovery = source.discover(wallet, start, final) if start <= final else None
        batches, rest = tx_batches(discovery.tx_hashes, discovery.blocks, batch_size) \
            if discovery else ([], ())
        fetched = 0
        for hashes, through in batches:
            assert discovery is not None
            txs = source.fetch(chain_id, hashes, discovery.internal)
            infos = _new_token_info(store, source, chain_id, txs)
            with store.transaction():
                _save_records(store, chain_id, wallet, (labels or {}).get(wallet), txs, infos)
                if discovery.complete:
                    store.set_cursor(chain_id, wallet, source_name, through,
                                     discovery.address_index)
            fetched += len(txs)
        txs = source.fetch(chain_id, rest, discovery.internal) if discovery else []
        fetched += len(txs)
        infos = _new_token_info(store, source, chain_id, txs)
        # the ledger is whole up to the block the cursor is (or stays) at
        upto = final if discovery is not None and discovery.complete else last
        symbols = {t.address: t.symbol for t in [*store.tokens(chain_id).values(), *infos]}
        snapshots, read_notes = _read_balances(store, source, chain_id, wallet, txs, growing,
                                               upto, interval, symbols) \
            if growing and upto is not None else ([], [])
        with store.transaction():
            _save_records(store, chain_id, wallet, (labels or {}).get(wallet), txs, infos)
            store.save_balance_snapshots(snapshots)
            if discovery is not None and discovery.complete:
                store.set_cursor(chain_id, wallet, source_name, final, discovery.address_index)
                store.save_block_hashes(
                    chain_id, {**tx_block_hashes(txs, final, margin), **anchored},
                    keep_from=final - margin)
        notes = (list(discovery.notes) if discovery else []) + read_notes
        if rewound is not None:
            notes.append(f"the chain was reorganized above block {rewound}: what was stored "
                         "above it was scanned again")
        if not is_known(chain_id):
            notes.append(f"chain id {chain_id} is not in the registry: no stablecoins or "
                         "wrapped native known for it")
        results.append(WalletScan(chain_id, chain.name, wallet, start, final, fetched,
                                  discovery.address_index if discovery else None,
                                  tuple(notes), node))
    if stablecoins:
        add_stablecoins(store, stablecoins)
    if rebuild:
        refresh(store)
    return results


def tx_batches(tx_hashes: Collection[str], blocks: Mapping[str, int], size: int
               ) -> tuple[list[tuple[tuple[str, ...], int]], tuple[str, ...]]:
    """`tx_hashes` in block order, cut at block boundaries into batches of at least `size`,
    each with the highest block it covers (every transaction of a block up to it is in
    that batch or an earlier one), and the rest: the last, smaller batch and the hashes of
    no known block, which the scan's last commit covers with the whole range."""
    if size < 1:
        raise UserInputError(f"the batch size is a number of transactions from 1, not {size}")
    placed = sorted((blocks[h], h) for h in tx_hashes if h in blocks)
    batches: list[tuple[tuple[str, ...], int]] = []
    current: list[str] = []
    for i, (block, tx_hash) in enumerate(placed):
        current.append(tx_hash)
        if len(current) >= size and i + 1 < len(placed) and placed[i + 1][0] != block:
            batches.append((tuple(current), block))
            current = []
    return batches, tuple(current) + tuple(sorted(h for h in tx_hashes if h not in blocks))


def _save_records(store: Store, chain_id: int, wallet: str, label: str | None,
                  txs: Sequence[RawTx], infos: Sequence[TokenInfo]) -> None:
    """A batch of the wallet's records and the tokens they name (inside a transaction)."""
    store.add_wallet(chain_id, wallet, label)
    store.save_raw(wallet, txs)
    store.save_tokens(infos)


def _new_token_info(store: Store, source: ChainSource, chain_id: int,
                    txs: Iterable[RawTx]) -> list[TokenInfo]:
    """What the source says of the tokens in `txs` the database does not know yet."""
    known = store.tokens(chain_id)
    new_tokens = sorted({log.address for tx in txs for log in tx.logs} - set(known))
    return source.token_info(chain_id, new_tokens) if new_tokens else []


def snapshot_plan(moves: Collection[int], upto: int, interval: int) -> set[int]:
    """The blocks to read a rebasing token's balance at, for a wallet whose balance of it
    moves in the blocks `moves`: the block before each (the balance before the move, so
    growth is booked before a sale), every `interval` blocks from the first move (a grid
    that stays put from scan to scan), and `upto`, the block the ledger is whole to."""
    first = min(moves)
    wanted = {block - 1 for block in moves} | set(range(first + interval, upto, interval))
    return {block for block in wanted | {upto} if 0 <= block <= upto}


def _transfer_blocks(txs: Iterable[RawTx], wallet: str,
                     tokens: Collection[str]) -> dict[str, set[int]]:
    """token -> the blocks of `txs` with an ERC-20 Transfer of it to or from `wallet`."""
    wanted = set(tokens)
    found: dict[str, set[int]] = {}
    for tx in txs:
        for log in tx.logs if tx.success else ():
            if log.address not in wanted:
                continue
            for item in token_transfers(log):
                if item.asset_kind == "erc20" and wallet in (item.sender, item.recipient):
                    found.setdefault(log.address, set()).add(tx.block_number)
    return found


def _read_balances(store: Store, source: ChainSource, chain_id: int, wallet: str,
                   txs: Sequence[RawTx], tokens: Collection[str], upto: int, interval: int,
                   symbols: Mapping[str, str | None]) -> tuple[list[BalanceSnapshot], list[str]]:
    """The balance snapshots of the rebasing `tokens` the wallet has moved (stored records
    and this scan's `txs`) not taken before, and notes on those the source could not read."""
    moves = store.token_transfer_blocks(chain_id, wallet, tokens)
    for token, blocks in _transfer_blocks(txs, wallet, tokens).items():
        moves.setdefault(token, set()).update(blocks)
    taken = store.snapshot_blocks(chain_id, wallet)
    snapshots: list[BalanceSnapshot] = []
    notes: list[str] = []
    for token in sorted(moves):
        seen = [block for block in moves[token] if block <= upto]
        wanted = snapshot_plan(seen, upto, interval) - taken.get(token, set()) if seen \
            else set()
        if not wanted:
            continue
        label = symbols.get(token) or token
        read = source.balances_at(token, wallet, sorted(wanted))
        if read is None:
            notes.append(f"{label} grows without Transfer events: its income is not booked "
                         "without an RPC node")
            continue
        snapshots += [BalanceSnapshot(chain_id, wallet, token, block, stamp, raw)
                      for block, (stamp, raw) in sorted(read.items())]
        if len(read) < len(wanted):
            notes.append(f"the node could not read {label} balances at {len(wanted) - len(read)}"
                         f" of {len(wanted)} blocks (old state needs an archive node): growth "
                         "there is booked at the next balance it could read")
    return snapshots, notes


def scan_config(store: Store, config: Config, progress: Progress, environ: Mapping[str, str],
                *, offline: bool = False,
                on_wallet: Callable[[str, str], None] | None = None) -> list[WalletScan]:
    """Scan every wallet of a config file on every chain it lives on, then rebuild once."""
    labels = {wallet.address: wallet.label for wallet in config.wallets}
    with store.transaction():
        store.save_prices(config.prices)
    if config.stablecoins:
        add_stablecoins(store, config.stablecoins)
    if config.rebasing:
        add_rebasing(store, config.rebasing)
    keep_rules(store, config)
    results: list[WalletScan] = []
    for chain_key in config.chain_keys():
        opened = open_source(plan_for(config, chain_key, environ, offline), progress)

        def announce(wallet: str, chain_key: str = chain_key) -> None:
            if on_wallet is not None:
                on_wallet(chain_key, wallet)

        settings = config.chains.get(chain_key)
        results += scan(store, opened.source, config.wallets_on(chain_key),
                        source_name=opened.name, labels=labels, rebuild=False,
                        on_wallet=announce, node=opened.rpc_url,
                        snapshot_interval=settings.snapshot_interval if settings else None)
    refresh(store)
    return results


METHOD_KEY = "method"
JURISDICTION_KEY = "jurisdiction"
SCOPE_KEY = "scope"
ASSIGN_KEY = "assignments"
IDENTICAL_KEY = "identical"
TREATMENTS_KEY = "treatments"


@dataclass(frozen=True)
class Rules:
    """What the command line asks for; what it leaves out comes from the config (kept by
    the last config scan), else the defaults: US, FIFO, universal lots before 2025."""

    method: str | None = None
    jurisdiction: str | None = None
    scope: str | None = None  # one scope for every year
    assign: tuple[str, ...] = ()  # TX=LOT[,LOT...]


def keep_rules(store: Store, config: Config) -> None:
    """A config scan keeps the config's tax rules for the reports that follow."""
    store.set_meta(METHOD_KEY, config.method)
    store.set_meta(JURISDICTION_KEY, config.jurisdiction)
    store.set_meta(SCOPE_KEY, json.dumps(dict(config.scope)))
    store.set_meta(ASSIGN_KEY, json.dumps({tx: list(ids) for tx, ids in
                                           config.assignments.items()}))
    store.set_meta(IDENTICAL_KEY, json.dumps({name: list(assets) for name, assets in
                                              config.identical.items()}))
    store.set_meta(TREATMENTS_KEY, json.dumps([[t.kind, t.protocol, t.treatment]
                                               for t in config.treatments]))


def policy_of(store: Store, rules: Rules | None = None) -> Policy:
    rules = rules or Rules()
    jurisdiction = jurisdiction_of(rules.jurisdiction or store.meta(JURISDICTION_KEY)
                                   or US.code)
    method = jurisdiction.method_in_force(rules.method, store.meta(METHOD_KEY))
    scopes = ScopePlan.everywhere(parse_scope(rules.scope)) if rules.scope else \
        ScopePlan.from_mapping(json.loads(store.meta(SCOPE_KEY) or "{}"))
    if rules.assign:
        assignments = assignments_from(list(rules.assign))
    elif method == "specific":
        assignments = assignments_from(json.loads(store.meta(ASSIGN_KEY) or "{}"))
    else:
        assignments = {}
    rows = json.loads(store.meta(TREATMENTS_KEY) or "[]")
    return Policy(jurisdiction, method, scopes, assignments,
                  tuple(store.basis_allocations()),
                  table_with((str(k), str(p), str(t)) for k, p, t in rows))


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
    refresh(store)
    return rows


def recorded_allocation(store: Store) -> list[Allocation]:
    return store.basis_allocations()


def describe(policy: Policy) -> str:
    """`fifo`, or `uk` and the like: what a report's figures were computed by."""
    return policy.jurisdiction.describe(policy.method)


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
        store.replace_lots(_compute(all_legs(store), policy, ranks), describe(policy))


@dataclass(frozen=True)
class Review:
    """What needs a person's eyes after a scan or an import: figures that are unknown."""

    unpriced_legs: int
    spam_tokens: int
    disposals_without_lot: int
    tokens_without_decimals: int

    def lines(self) -> list[str]:
        out = []
        if self.unpriced_legs:
            out.append(f"{self.unpriced_legs} ledger legs have no USD value (no price): "
                       "import prices; their figures show as unknown, never zero")
        if self.disposals_without_lot:
            out.append(f"{self.disposals_without_lot} disposals draw on no lot (unknown "
                       "basis): an earlier acquisition is missing from the ledger")
        if self.tokens_without_decimals:
            out.append(f"{self.tokens_without_decimals} tokens answer no decimals(): their "
                       "amounts are in base units")
        if self.spam_tokens:
            out.append(f"{self.spam_tokens} spam tokens are kept out of every figure "
                       "(the spam table says why)")
        return out


def review(store: Store) -> Review:
    return Review(*store.review_counts())


@dataclass(frozen=True)
class Imported:
    legs: int
    source: str


LEDGER_FORMATS = ("ledger", "koinly")


def import_ledger(store: Store, path: Path, fmt: str, *, account: str | None = None,
                  assets: Mapping[str, str] | None = None) -> Imported:
    """Legs from a file join the ledger: the ledger CSV that `taxscan ledger --format csv`
    writes, or Koinly's universal CSV for an off-chain `account`. Importing a file again
    replaces its legs; a leg the chain scan also has counts once."""
    if fmt == "ledger":
        entries = read_ledger_csv(path)
    elif fmt == "koinly":
        name = account or f"koinly:{path.stem}"
        entries = read_koinly(path, account=name, assets=assets)
    else:
        raise UserInputError(f"unknown import format {fmt!r} (available: "
                             f"{', '.join(LEDGER_FORMATS)})")
    source = f"{fmt}:{path.name}"
    with store.transaction():
        store.save_imported(source, entries)
    refresh(store)
    return Imported(len(entries), source)


def import_prices(store: Store, path: Path) -> int:
    points = read_price_file(path)
    with store.transaction():
        store.save_prices(points)
    refresh(store)
    return len(points)


# ---- reports ----------------------------------------------------------------------------


def _compute(entries: Sequence[LedgerEntry], policy: Policy, ranks: AssetRanks) -> LotBook:
    return compute_lots(entries, purchase_currencies=ranks.stablecoins, policy=policy)


def lot_book(store: Store, rules: Rules | None = None, until: datetime | None = None,
             ledger: Sequence[LedgerEntry] | None = None,
             policy: Policy | None = None) -> LotBook:
    """The lots from the stored ledger (or `ledger`, when the caller has read it)."""
    policy = policy or policy_of(store, rules)
    ranks = asset_ranks(chains_of(store), extra_stablecoins(store))
    entries = [e for e in (all_legs(store) if ledger is None else ledger)
               if until is None or e.timestamp <= until]
    return _compute(entries, policy, ranks)


def ledger(store: Store, year: int | None = None, wallet: str | None = None,
           chain_id: int | None = None) -> list[LedgerEntry]:
    return [e for e in all_legs(store)
            if (year is None or e.timestamp.year == year)
            and (wallet is None or e.wallet == wallet)
            and (chain_id is None or e.chain_id == chain_id)]


def gains(store: Store, year: int, rules: Rules | None = None) -> list[Disposal]:
    return [d for d in lot_book(store, rules).disposals if d.disposed.year == year]


def income(store: Store, year: int, rules: Rules | None = None) -> list[IncomeEvent]:
    return [i for i in lot_book(store, rules).income if i.timestamp.year == year]


def harvest(store: Store, as_of: datetime, rules: Rules | None = None,
            losses_only: bool = True) -> list[HarvestRow]:
    chains = chains_of(store)
    policy = policy_of(store, rules)
    return plan_harvest(lot_book(store, until=as_of, policy=policy), as_of,
                        price_book(store, chains), identity(chains, identical_groups(store)),
                        losses_only=losses_only, jurisdiction=policy.jurisdiction)


def realized_gains(store: Store, year: int, rules: Rules | None = None) -> Decimal:
    """The year's net realized gain over the disposals whose gain is known (and taxable:
    Germany's gains after a year are tax-free)."""
    return sum((d.gain_usd for d in gains(store, year, rules)
                if d.gain_usd is not None and d.rule != "tax-free-after-1y"), Decimal(0))


def gas_per_trade(store: Store) -> dict[int, Decimal]:
    """Per chain, the mean USD gas of the trades in the ledger: what a sale may cost."""
    entries = all_legs(store)
    trades = {e.group_id for e in entries if e.kind is Kind.TRADE}
    fees: dict[int, list[Decimal]] = {}
    for e in entries:
        if e.kind is Kind.FEE and e.group_id in trades and e.usd_value is not None:
            fees.setdefault(e.chain_id, []).append(e.usd_value)
    return {chain: sum(values, Decimal(0)) / len(values) for chain, values in fees.items()}


def missing_prices(store: Store, rules: Rules | None = None, *,
                   ledger: Sequence[LedgerEntry] | None = None,
                   book: LotBook | None = None) -> list[MissingPrice]:
    """Every asset with legs, disposals, lots or income that lack a USD figure (`ledger` and
    its `book`, when the caller has them already)."""
    entries = all_legs(store) if ledger is None else ledger
    book = book or lot_book(store, rules, ledger=entries)
    zero = Decimal(0)
    legs: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        if entry.kind not in NOT_HOLDINGS and entry.usd_value is None:
            legs.setdefault(entry.asset, []).append(entry)
    sums: dict[str, dict[str, Decimal]] = {}

    def add(asset: str, field: str, quantity: Decimal) -> None:
        sums.setdefault(asset, {}).setdefault(field, zero)
        sums[asset][field] += quantity

    for d in book.disposals:
        if d.proceeds_usd is None:
            add(d.asset, "proceeds", d.quantity)
        if d.cost_basis_usd is None:
            add(d.asset, "basis", d.quantity)
    for lot in book.open_lots:
        if lot.cost_basis_usd is None:
            add(lot.asset, "held", lot.quantity)
    for event in book.income:
        if event.usd_value is None:
            add(event.asset, "income", event.quantity)
    symbols = {e.asset: e.symbol for e in entries}
    stamps: dict[str, list[datetime]] = {}
    for entry in entries:
        stamps.setdefault(entry.asset, []).append(entry.timestamp)
    rows = []
    for asset in sorted(set(legs) | set(sums)):
        found = sums.get(asset, {})
        times = [e.timestamp for e in legs.get(asset, [])] or stamps.get(asset, [])
        rows.append(MissingPrice(asset, symbols.get(asset), len(legs.get(asset, [])),
                                 min(times), max(times), found.get("proceeds", zero),
                                 found.get("basis", zero), found.get("held", zero),
                                 found.get("income", zero)))
    return rows


@dataclass(frozen=True)
class PriceFetch:
    lacking: int
    asked: int
    found: int
    unanswered: int
    by_source: Mapping[str, int]


def fetch_prices(store: Store, sources: Sequence[PriceSource]) -> PriceFetch:
    """Ask the sources, in order, for every price the ledger lacks; keep every answer and
    every miss in the cache, so nothing is asked twice; then revalue the ledger."""
    chains = chains_of(store)
    requests = wanted(all_legs(store), price_book(store, chains))
    result = ask(requests, sources, store.price_misses())
    points = {PricePoint(q.asset, q.timestamp, price(q.usd), q.source): q.confidence
              for q in result.quotes}
    with store.transaction():
        store.save_prices(points, points)
        store.save_price_misses(result.misses)
    refresh(store)
    by_source: dict[str, int] = {}
    for quote in result.quotes:
        by_source[quote.source] = by_source.get(quote.source, 0) + 1
    return PriceFetch(len(requests), result.sent, len(result.quotes), len(result.unanswered),
                      by_source)


def _balance_query(holding: Holding) -> BalanceQuery:
    contract = asset_contract(holding.asset)
    if contract is None:
        return BalanceQuery(holding.wallet, "native")
    standard = holding.asset.split("/", 1)[1].split(":", 1)[0]
    token_id = int(holding.asset.rsplit("/", 1)[1]) if standard != "erc20" else None
    if (POSITIONS_ROLE, contract) in chain_by_id(holding.chain_id).contracts:
        standard = POSITION
    return BalanceQuery(holding.wallet, standard, contract, token_id)


def reconcile_chain(store: Store, rpc_url: str, *, wallet: str | None = None,
                    at: int | datetime | None = None) -> list[BalanceCheck]:
    """Every (wallet, asset) balance the ledger implies on the node's chain, against the
    chain's balance at one block: `at`, else the block every wallet is scanned to."""
    client = RpcClient(rpc_url)
    chain_id = RpcSource(client).chain_id()
    wallets = [w for w in store.wallets(chain_id) if wallet is None or w == wallet]
    if isinstance(at, datetime):
        found = block_at(client, at)
        if found is None:
            raise UserInputError(f"the chain has no block before {at:%Y-%m-%d %H:%M:%S} UTC")
        block: int | None = found
    else:
        cursors = [store.scanned_to(chain_id, w) for w in wallets]
        block = at if at is not None else min((c for c in cursors if c is not None),
                                              default=None)
    if block is None or not wallets:
        return []
    entries = [e for e in all_legs(store) if e.chain_id == chain_id and e.wallet in wallets]
    reader = BalanceReader(client)

    def probe(holdings: Sequence[Holding], number: int) -> list[int | None]:
        return reader.at([_balance_query(h) for h in holdings], number)

    def announced(holding: Holding, number: int) -> int:
        token = asset_contract(holding.asset)
        return 1 if token is None else reader.transfer_events(token, holding.wallet, number)

    spam = {asset for asset, _, _ in store.spam()}
    known = holdings_of(entries)
    # tokens seen in the wallets' transactions that the ledger never moved for a wallet
    seen = {(h.wallet, h.asset) for h in known}
    unseen = [Holding(chain_id, w, erc20_asset(chain_id, t.address), t.symbol, t.decimals)
              for t in store.tokens(chain_id).values() if t.decimals is not None
              for w in wallets if (w, erc20_asset(chain_id, t.address)) not in seen]
    held = [h for h, raw in zip(unseen, probe(unseen, block), strict=True) if raw]
    return reconcile(entries, known + held, block, probe, spam, announced)


def year_end_balances(store: Store, year: int) -> list[YearEndBalance]:
    """What each wallet held of each asset at December 31, 23:59:59 UTC (spam left out),
    at that moment's price."""
    moment = datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC)
    held: dict[tuple[int, str, str], tuple[int, int, str | None]] = {}
    for e in all_legs(store):
        if e.timestamp > moment or e.kind in NOT_HOLDINGS:
            continue
        raw, _, _ = held.get((e.chain_id, e.wallet, e.asset), (0, e.decimals, e.symbol))
        held[(e.chain_id, e.wallet, e.asset)] = (raw + e.raw_amount, e.decimals, e.symbol)
    book = price_book(store, chains_of(store))
    rows = []
    for (chain_id, wallet, asset), (raw, decimals, symbol) in sorted(held.items()):
        if raw == 0:
            continue
        quote = book.at(asset, moment)
        rows.append(YearEndBalance(moment, chain_id, wallet, asset, symbol,
                                   Decimal(raw).scaleb(-decimals),
                                   quote.usd if quote else None,
                                   quote.source if quote else None))
    return rows


def reconcile_scanned(store: Store, results: Sequence[WalletScan]) -> list[BalanceCheck]:
    """The reconciliation of every wallet a scan read through a node."""
    return [check for result in results if result.node is not None
            for check in reconcile_chain(store, result.node, wallet=result.wallet)]


def open_lots(store: Store, rules: Rules | None = None, as_of: datetime | None = None,
              wallet: str | None = None) -> list[Lot]:
    return [lot for lot in lot_book(store, rules, until=as_of).open_lots
            if wallet is None or lot.wallet == wallet]


def trace(store: Store, ident: str, rules: Rules | None = None) -> list[TraceStep]:
    """The lineage behind a lot id, or behind every disposal of a transaction hash: each
    lot's acquisition leg (its transaction and price source), the disposals that drew on
    it, and what is still open."""
    entries = all_legs(store)
    book = lot_book(store, rules, ledger=entries)
    wanted = ident.strip().lower()
    lot_ids = ([d.lot_id for d in book.disposals if d.tx_hash == wanted and d.lot_id]
               if ":" not in wanted else [wanted])
    known = any(d.tx_hash == wanted for d in book.disposals) or \
        any(lot.lot_id == wanted for lot in book.acquisitions)
    if not known:
        raise UserInputError(f"no lot and no disposal is known by {ident!r} "
                             "(a lot id from `taxscan lots`, or a transaction hash)")
    legs = {(e.tx_hash, e.leg_key, e.wallet): e for e in entries}
    steps: list[TraceStep] = []
    for lot_id in dict.fromkeys(lot_ids):
        first = next((lot for lot in book.acquisitions if lot.lot_id == lot_id), None)
        if first is None:
            continue
        leg = legs.get((first.origin_tx, first.origin_leg, first.wallet))
        source = leg.price_source if leg else None
        steps.append(TraceStep("acquired", lot_id, first.acquired, first.wallet, first.asset,
                               first.symbol, first.quantity, first.cost_basis_usd, None,
                               first.origin_tx, f"{first.origin_leg} {first.origin_kind.value}"
                               f", priced by {source or 'nothing (unknown)'}"))
        for d in book.disposals:
            if d.lot_id == lot_id:
                steps.append(TraceStep("disposed", lot_id, d.disposed, d.wallet, d.asset,
                                       d.symbol, d.quantity, d.proceeds_usd, d.gain_usd,
                                       d.tx_hash, f"{d.kind.value}, "
                                       f"{d.term.value if d.term else '?'}-term"))
        for lot in book.open_lots:
            if lot.lot_id == lot_id:
                steps.append(TraceStep("open", lot_id, lot.acquired, lot.wallet, lot.asset,
                                       lot.symbol, lot.quantity, lot.cost_basis_usd, None,
                                       lot.origin_tx, "still held"))
    for d in book.disposals:
        if d.tx_hash == wanted and d.lot_id is None:
            steps.append(TraceStep("disposed", None, d.disposed, d.wallet, d.asset, d.symbol,
                                   d.quantity, d.proceeds_usd, None, d.tx_hash,
                                   "no lot covered it: basis unknown"))
    return steps


# ---- spam -------------------------------------------------------------------------------


def spam_tokens(store: Store, include_all: bool = False) -> list[SpamRow]:
    """The tokens treated as spam (the user's mark, else the score) with their reasons; with
    `include_all`, every judged token, those below the threshold too."""
    return store.spam_verdicts(include_all)


def mark_spam(store: Store, assets: Sequence[str], spam: bool | None) -> list[SpamRow]:
    """The user's word on tokens, over their score: spam (True), not spam (False), or none
    (None: the score decides again). The marks are stored and the ledger rebuilt with them,
    in one go: when the rebuild fails, the marks are put back as they were."""
    wanted = list(dict.fromkeys(parse_any_asset_id(a) for a in assets))
    if not wanted:
        raise UserInputError("name the tokens by asset id (`taxscan spam --all` lists them)")
    before = store.spam_marks()
    moved = store.ledger_assets_among(wanted)
    unknown = [a for a in wanted if a not in moved and (spam is not None or a not in before)]
    if unknown:
        raise UserInputError(f"not in the ledger (no leg moves it): {', '.join(unknown)}")
    judged = {row.asset for row in store.spam_verdicts(include_all=True)}
    unjudged = [a for a in wanted if a not in judged and spam is not None]
    if unjudged:
        raise UserInputError(f"never judged as spam, so it cannot be marked: "
                             f"{', '.join(unjudged)} (a native coin, a wrapped native, a USD "
                             "stablecoin, or a token of imported legs only)")
    with store.transaction():
        _write_marks(store, wanted, {a: spam for a in wanted})
    try:
        refresh(store)
    except BaseException:
        with store.transaction():
            _write_marks(store, wanted, before)
        raise
    verdicts = {row.asset: row for row in store.spam_verdicts(include_all=True)}
    return [verdicts[a] for a in wanted if a in verdicts]


def _write_marks(store: Store, assets: Sequence[str], marks: Mapping[str, bool | None]) -> None:
    store.clear_spam_marks(assets)
    for value in (True, False):
        store.set_spam_marks([a for a in assets if marks.get(a) is value], value)
