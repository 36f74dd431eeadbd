"""Use cases: what the CLI (or a script) asks taxscan to do."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from chains.evm.balances import BalanceQuery, BalanceReader
from chains.evm.blocks import block_at
from chains.evm.rpc import RpcClient
from chains.evm.source import ChainSource, Progress, RpcSource
from chains.registry import Chain, chain_by_id, is_known
from scanner.addresses import asset_contract, erc20_asset, parse_asset_id
from scanner.config import Config
from scanner.errors import SourceInconsistent, UserInputError
from scanner.harvest import HarvestRow, plan_harvest
from scanner.lots import compute_lots, sort_key
from scanner.money import price
from scanner.prices.book import PriceBook
from scanner.prices.csvfile import read_price_file
from scanner.prices.fetch import ask, wanted
from scanner.prices.sources import PriceSource
from scanner.rebuild import build_ledger
from scanner.reconcile import BalanceCheck, Holding, holdings_of, reconcile
from scanner.sourcing import open_source, plan_for
from scanner.store import Store
from scanner.types import (
    Disposal,
    IncomeEvent,
    Kind,
    LedgerEntry,
    Lot,
    LotBook,
    MissingPrice,
    PricePoint,
    TraceStep,
    YearEndBalance,
)
from scanner.valuation import AssetRanks

RPC_SOURCE = "rpc"
STABLECOINS_KEY = "extra_stablecoins"


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


def extra_stablecoins(store: Store) -> frozenset[str]:
    raw = store.meta(STABLECOINS_KEY)
    return frozenset(json.loads(raw)) if raw else frozenset()


def add_stablecoins(store: Store, assets: Iterable[str]) -> None:
    wanted = extra_stablecoins(store) | {parse_asset_id(a) for a in assets}
    store.set_meta(STABLECOINS_KEY, json.dumps(sorted(wanted)))


def asset_ranks(chains: Iterable[Chain], extra: frozenset[str]) -> AssetRanks:
    stables: set[str] = set(extra)
    natives: set[str] = set()
    for chain in chains:
        stables |= chain.stablecoin_assets
        natives.add(chain.native_asset)
        if chain.wrapped_native_asset:
            natives.add(chain.wrapped_native_asset)
    return AssetRanks(frozenset(stables), frozenset(natives))


def identity(chains: Iterable[Chain]) -> Callable[[str], str]:
    """Substantially identical assets share a group: a chain's native and wrapped native."""
    groups: dict[str, str] = {}
    for chain in chains:
        if chain.wrapped_native_asset:
            groups[chain.wrapped_native_asset] = chain.native_asset
    return lambda asset: groups.get(asset, asset)


def _chains(store: Store) -> list[Chain]:
    return [chain_by_id(cid) for cid in sorted({cid for cid, _ in store.all_wallets()})]


def price_book(store: Store, chains: Iterable[Chain]) -> PriceBook:
    ranks = asset_ranks(chains, extra_stablecoins(store))
    return PriceBook(store.prices(), pegged=ranks.stablecoins)


# ---- scanning ---------------------------------------------------------------------------


def scan(store: Store, source: ChainSource, wallets: Sequence[str], *,
         source_name: str = RPC_SOURCE, stablecoins: Iterable[str] = (),
         labels: Mapping[str, str | None] | None = None,
         on_wallet: Callable[[str], None] | None = None, rebuild: bool = True,
         from_block: int = 0, node: str | None = None) -> list[WalletScan]:
    """Fetch what is new for each wallet, store it, and rebuild the ledger and lots.

    Each (chain, wallet, source) keeps its own cursor; every wallet's records and cursor
    are written in one transaction.
    """
    chain_id = source.chain_id()
    chain = chain_by_id(chain_id)
    head = source.head()
    final = head - chain.confirmations
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
        txs = source.fetch(chain_id, discovery.tx_hashes, discovery.internal) \
            if discovery else []
        known = store.tokens(chain_id)
        new_tokens = sorted({log.address for tx in txs for log in tx.logs} - set(known))
        infos = source.token_info(chain_id, new_tokens) if new_tokens else []
        with store.transaction():
            store.add_wallet(chain_id, wallet, (labels or {}).get(wallet))
            store.save_raw(wallet, txs)
            store.save_tokens(infos)
            if discovery is not None and discovery.complete:
                store.set_cursor(chain_id, wallet, source_name, final, discovery.address_index)
        notes = list(discovery.notes) if discovery else []
        if not is_known(chain_id):
            notes.append(f"chain id {chain_id} is not in the registry: no stablecoins or "
                         "wrapped native known for it")
        results.append(WalletScan(chain_id, chain.name, wallet, start, final, len(txs),
                                  discovery.address_index if discovery else None,
                                  tuple(notes), node))
    if stablecoins:
        add_stablecoins(store, stablecoins)
    if rebuild:
        refresh(store)
    return results


def scan_config(store: Store, config: Config, progress: Progress, environ: Mapping[str, str],
                *, offline: bool = False,
                on_wallet: Callable[[str, str], None] | None = None) -> list[WalletScan]:
    """Scan every wallet of a config file on every chain it lives on, then rebuild once."""
    labels = {wallet.address: wallet.label for wallet in config.wallets}
    with store.transaction():
        store.save_prices(config.prices)
    if config.stablecoins:
        add_stablecoins(store, config.stablecoins)
    store.set_meta(METHOD_KEY, config.method)
    results: list[WalletScan] = []
    for chain_key in config.chain_keys():
        opened = open_source(plan_for(config, chain_key, environ, offline), progress)

        def announce(wallet: str, chain_key: str = chain_key) -> None:
            if on_wallet is not None:
                on_wallet(chain_key, wallet)

        results += scan(store, opened.source, config.wallets_on(chain_key),
                        source_name=opened.name, labels=labels, rebuild=False,
                        on_wallet=announce, node=opened.rpc_url)
    refresh(store)
    return results


METHOD_KEY = "method"


def method_of(store: Store, method: str | None = None) -> str:
    """The cost-basis method: the one asked for, else the config's (kept from the last
    config scan), else FIFO."""
    chosen = method or store.meta(METHOD_KEY) or "fifo"
    sort_key(chosen)  # an unknown method stops here, with the ones there are
    return chosen


def refresh(store: Store, method: str | None = None) -> None:
    """Rebuild every chain's ledger from the raw records, value it, and recompute the lots."""
    chains = _chains(store)
    ranks = asset_ranks(chains, extra_stablecoins(store))
    book = PriceBook(store.prices(), pegged=ranks.stablecoins)
    with store.transaction():
        for chain in chains:
            built = build_ledger(chain, store.raw_txs(chain.chain_id),
                                 store.wallets(chain.chain_id), store.tokens(chain.chain_id),
                                 book, ranks)
            store.replace_ledger(chain.chain_id, built.entries)
            store.replace_spam(chain.chain_id, [(v.asset, v.score, "; ".join(v.reasons))
                                                for v in built.spam if v.is_spam])
        chosen = method_of(store, method)
        store.replace_lots(_compute(store.ledger(), chosen, ranks), chosen)


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


def import_prices(store: Store, path: Path) -> int:
    points = read_price_file(path)
    with store.transaction():
        store.save_prices(points)
    refresh(store)
    return len(points)


# ---- reports ----------------------------------------------------------------------------


def _compute(entries: Sequence[LedgerEntry], method: str, ranks: AssetRanks) -> LotBook:
    return compute_lots(entries, method=method, purchase_currencies=ranks.stablecoins)


def lot_book(store: Store, method: str | None = None, until: datetime | None = None,
             ledger: Sequence[LedgerEntry] | None = None) -> LotBook:
    """The lots from the stored ledger (or `ledger`, when the caller has read it)."""
    method = method_of(store, method)
    ranks = asset_ranks(_chains(store), extra_stablecoins(store))
    entries = [e for e in (store.ledger() if ledger is None else ledger)
               if until is None or e.timestamp <= until]
    return _compute(entries, method, ranks)


def ledger(store: Store, year: int | None = None, wallet: str | None = None,
           chain_id: int | None = None) -> list[LedgerEntry]:
    return [e for e in store.ledger()
            if (year is None or e.timestamp.year == year)
            and (wallet is None or e.wallet == wallet)
            and (chain_id is None or e.chain_id == chain_id)]


def gains(store: Store, year: int, method: str | None = None) -> list[Disposal]:
    return [d for d in lot_book(store, method).disposals if d.disposed.year == year]


def income(store: Store, year: int, method: str | None = None) -> list[IncomeEvent]:
    return [i for i in lot_book(store, method).income if i.timestamp.year == year]


def harvest(store: Store, as_of: datetime, method: str | None = None,
            losses_only: bool = True) -> list[HarvestRow]:
    chains = _chains(store)
    return plan_harvest(lot_book(store, method, until=as_of), as_of,
                        price_book(store, chains), identity(chains), losses_only=losses_only)


def realized_gains(store: Store, year: int, method: str | None = None) -> Decimal:
    """The year's net realized gain over the disposals whose gain is known."""
    return sum((d.gain_usd for d in gains(store, year, method) if d.gain_usd is not None),
               Decimal(0))


def gas_per_trade(store: Store) -> dict[int, Decimal]:
    """Per chain, the mean USD gas of the trades in the ledger: what a sale may cost."""
    entries = store.ledger()
    trades = {e.group_id for e in entries if e.kind is Kind.TRADE}
    fees: dict[int, list[Decimal]] = {}
    for e in entries:
        if e.kind is Kind.FEE and e.group_id in trades and e.usd_value is not None:
            fees.setdefault(e.chain_id, []).append(e.usd_value)
    return {chain: sum(values, Decimal(0)) / len(values) for chain, values in fees.items()}


def missing_prices(store: Store, method: str | None = None) -> list[MissingPrice]:
    """Every asset with legs, disposals, lots or income that lack a USD figure."""
    entries = store.ledger()
    book = lot_book(store, method, ledger=entries)
    zero = Decimal(0)
    legs: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        if entry.kind is not Kind.SPAM and entry.usd_value is None:
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
    chains = _chains(store)
    requests = wanted(store.ledger(), price_book(store, chains))
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
    entries = [e for e in store.ledger() if e.chain_id == chain_id and e.wallet in wallets]
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
    for e in store.ledger():
        if e.timestamp > moment or e.kind is Kind.SPAM:
            continue
        raw, _, _ = held.get((e.chain_id, e.wallet, e.asset), (0, e.decimals, e.symbol))
        held[(e.chain_id, e.wallet, e.asset)] = (raw + e.raw_amount, e.decimals, e.symbol)
    book = price_book(store, _chains(store))
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


def open_lots(store: Store, method: str | None = None, as_of: datetime | None = None,
              wallet: str | None = None) -> list[Lot]:
    return [lot for lot in lot_book(store, method, until=as_of).open_lots
            if wallet is None or lot.wallet == wallet]


def trace(store: Store, ident: str, method: str | None = None) -> list[TraceStep]:
    """The lineage behind a lot id, or behind every disposal of a transaction hash: each
    lot's acquisition leg (its transaction and price source), the disposals that drew on
    it, and what is still open."""
    entries = store.ledger()
    book = lot_book(store, method, ledger=entries)
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
