"""Scanning wallets: new transactions in block-ordered batches, each committed with its cursor;
balance snapshots of rebasing tokens; a config's wallets on every chain."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from chains.addresses import erc20_asset, parse_any_asset_id
from chains.deployments import addresses_of, contracts_on
from chains.errors import SourceInconsistent, UserInputError
from chains.evm.records import EvmSource, RawTx, TokenInfo
from chains.evm.sourcing import SourcePlan, open_source
from chains.registry import Chain, chain_by_id, is_known
from chains.source import Progress
from scanner.app.config import Config
from scanner.app.config_protocols import named_contracts
from scanner.app.rebuild import refresh_chains, refresh_prices
from scanner.app.reorgs import anchors, follow_reorgs, tx_block_hashes
from scanner.app.settings import add_rebasing, add_stablecoins, keep_rules, rebasing_tokens
from scanner.app.sources import plan_for
from scanner.formats.render import plural
from scanner.ledger.decode.protocols.aave_v3 import POOL_ROLE, supplied_atokens
from scanner.ledger.decode.protocols.compound_v3 import supplied_comets
from scanner.ledger.decode.transfers import token_transfers
from scanner.ledger.rebasing import BalanceSnapshot
from scanner.store import Store

RPC_SOURCE = "rpc"


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


BATCH_TXS = 1000  # transactions fetched and committed together


def scan(store: Store, source: EvmSource, wallets: Sequence[str], *,
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
    stablecoins = [parse_any_asset_id(a) for a in stablecoins]  # refused before any work
    if rebasing:
        add_rebasing(store, rebasing)
    chain_id = source.chain_id()
    chain = chain_by_id(chain_id)
    head = source.head()
    margin = chain.confirmations
    rewound = follow_reorgs(store, source, chain_id, head, margin)
    final = head
    store.let_go()  # readers may use the database while the scan waits on the network
    anchored = source.block_hashes(anchors(final, margin))
    chain_notes = _l1_fees_again(store, source, chain)
    growing = rebasing_tokens(store, chain)
    pools = addresses_of(contracts_on(chain_id, named_contracts(store, chain_id)), POOL_ROLE)
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
        store.let_go()
        discovery = source.discover(wallet, start, final) if start <= final else None
        batches, rest = tx_batches(discovery.tx_hashes, discovery.blocks, batch_size) \
            if discovery else ([], ())
        fetched = 0
        interest: set[str] = set()
        for hashes, through in batches:
            assert discovery is not None
            store.let_go()
            txs = source.fetch(chain_id, hashes, discovery.internal)
            interest |= _interest_bearing(txs, wallet, pools)
            infos = _new_token_info(store, source, chain_id, txs)
            with store.transaction():
                _save_records(store, chain_id, wallet, (labels or {}).get(wallet), txs, infos)
                if discovery.complete:
                    store.set_cursor(chain_id, wallet, source_name, through,
                                     discovery.address_index)
            fetched += len(txs)
        store.let_go()
        txs = source.fetch(chain_id, rest, discovery.internal) if discovery else []
        fetched += len(txs)
        interest |= _interest_bearing(txs, wallet, pools)
        if interest - set(growing):
            add_rebasing(store, [erc20_asset(chain_id, token) for token in sorted(interest)])
            growing = rebasing_tokens(store, chain)
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
        notes = chain_notes + (list(discovery.notes) if discovery else []) + read_notes
        chain_notes = []
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
        refresh_chains(store, {chain_id})
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


def _l1_fees_again(store: Store, source: EvmSource, chain: Chain) -> list[str]:
    """The L1 data fee of the transactions an older taxscan stored without it, read again
    from their receipts on a chain that charges one; notes on what it did."""
    lacking = store.raw_txs_without_l1_fee(chain.chain_id) if chain.l1_data_fee else []
    if not lacking:
        return []
    store.let_go()
    try:
        txs = source.fetch(chain.chain_id, lacking, {})
    except SourceInconsistent as exc:
        return [f"the L1 data fee of {plural(len(lacking), 'transaction')} stored by an older "
                f"taxscan could not be read again ({exc}): their fees stay short"]
    with store.transaction():
        store.set_l1_fees(chain.chain_id, {tx.tx_hash: tx.l1_fee for tx in txs})
    return [f"the L1 data fee of {plural(len(txs), 'transaction')} stored by an older taxscan "
            "was read again: their fees are whole now"]


def _interest_bearing(txs: Iterable[RawTx], wallet: str, pools: Collection[str]) -> set[str]:
    """The receipts the wallet supplied for in `txs` that grow with interest and no
    Transfer (Aave v3 aTokens, Compound v3 Comets): read as rebasing tokens from then on."""
    return {token for tx in txs
            for token in supplied_atokens(tx, wallet, pools) | supplied_comets(tx, wallet)}


def _save_records(store: Store, chain_id: int, wallet: str, label: str | None,
                  txs: Sequence[RawTx], infos: Sequence[TokenInfo]) -> None:
    """A batch of the wallet's records and the tokens they name (inside a transaction)."""
    store.add_wallet(chain_id, wallet, label)
    store.save_raw(wallet, txs)
    store.save_tokens(infos)


def _new_token_info(store: Store, source: EvmSource, chain_id: int,
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


def _read_balances(store: Store, source: EvmSource, chain_id: int, wallet: str,
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
                         f" of {plural(len(wanted), 'block')} (old state needs an archive "
                         "node): growth there is booked at the next balance it could read")
    return snapshots, notes


def scan_config(store: Store, config: Config, progress: Progress, environ: Mapping[str, str],
                *, offline: bool = False,
                on_wallet: Callable[[str, str], None] | None = None) -> list[WalletScan]:
    """Scan every wallet of a config file on every chain it lives on, then rebuild once: the
    chains scanned (`refresh_chains`), then what the config's prices value again."""
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
    refresh_chains(store, {result.chain_id for result in results})
    if config.prices:
        refresh_prices(store, config.prices)
    return results


@dataclass(frozen=True)
class Scanned:
    source: str  # what was read, for people
    results: list[WalletScan]


def scan_with(store: Store, plan: SourcePlan, wallets: Sequence[str], progress: Progress, *,
              stablecoins: Iterable[str] = (), from_block: int = 0) -> Scanned:
    """Open the sources `plan` names and scan the wallets with them."""
    opened = open_source(plan, progress)
    return Scanned(opened.description,
                   scan(store, opened.source, wallets, source_name=opened.name,
                        stablecoins=stablecoins, from_block=from_block, node=opened.rpc_url))
