"""taxscan's DuckDB file: raw records, tokens, the ledger, prices, lots."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from chains.errors import UserInputError
from chains.evm.abi import TRANSFER, topic_for
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from scanner.collector import without_collector
from scanner.ledger.rebasing import BalanceSnapshot
from scanner.ledger.records import LedgerEntry
from scanner.ledger.spam import SpamRow, SpamVerdict
from scanner.prices.fx import FxPoint
from scanner.prices.records import PricePoint
from scanner.store.changes import ChangeTables
from scanner.store.csvload import LedgerCsv
from scanner.store.extension import REASON_SEPARATOR, ExtensionTables, verdict_row
from scanner.store.rows import (
    aware,
    disposal_lines,
    fits_quantity,
    given_legs_of,
    ledger_row,
    lot_lines,
    naive_utc,
    usd_or_none,
)
from scanner.store.state import StateTables
from scanner.tax.checkpoint import StateChange
from scanner.tax.records import Allocation, LotBook


def default_db_path() -> Path:
    configured = os.environ.get("TAXSCAN_DB")
    if configured is not None:
        if not configured.strip():
            raise UserInputError("TAXSCAN_DB is set but empty: name the database file, or "
                                 "unset it for the default")
        return Path(configured).expanduser()
    return Path(user_data_dir("taxscan", appauthor=False)) / "taxscan.duckdb"


class Store(LedgerCsv, ChangeTables, StateTables, ExtensionTables):
    # ---- wallets and cursors --------------------------------------------------------

    def add_wallet(self, chain_id: int, address: str, label: str | None = None) -> None:
        self._run("insert_wallet", [chain_id, address, label])

    def wallets(self, chain_id: int) -> list[str]:
        return [row[0] for row in self._run("wallets", [chain_id])]

    def all_wallets(self) -> list[tuple[int, str]]:
        return [(int(r[0]), str(r[1])) for r in self._run("all_wallets")]

    def cursor(self, chain_id: int, wallet: str, source: str) -> int | None:
        rows = self._run("get_cursor", [chain_id, wallet, source])
        return int(rows[0][0]) if rows else None

    def scanned_to(self, chain_id: int, wallet: str) -> int | None:
        """The highest block any source has scanned this wallet to."""
        value = self._run("wallet_cursor", [chain_id, wallet])[0][0]
        return None if value is None else int(value)

    def set_cursor(self, chain_id: int, wallet: str, source: str, last_block: int,
                   address_index: str | None) -> None:
        self._run("set_cursor", [chain_id, wallet, source, last_block, address_index])

    # ---- raw records ----------------------------------------------------------------

    def save_raw(self, wallet: str, txs: Iterable[RawTx]) -> None:
        tx_rows: list[list[Any]] = []
        log_rows: list[list[Any]] = []
        internal_rows: list[list[Any]] = []
        links: list[list[Any]] = []
        for tx in txs:
            tx_rows.append([tx.chain_id, tx.tx_hash, tx.block_number, tx.tx_index,
                            naive_utc(tx.timestamp), tx.from_address, tx.to_address,
                            str(tx.value), str(tx.gas_used), str(tx.effective_gas_price),
                            tx.success, str(tx.l1_fee)])
            log_rows.extend([tx.chain_id, tx.tx_hash, log.log_index, log.address,
                             list(log.topics), log.data] for log in tx.logs)
            internal_rows.extend([tx.chain_id, tx.tx_hash, i.trace_address, i.from_address,
                                  i.to_address, str(i.value)] for i in tx.internal)
            links.append([tx.chain_id, wallet, tx.tx_hash])
        self._many("insert_raw_tx", tx_rows)
        if all(t and "," not in t for row in log_rows for t in row[4]):
            logs = {(row[0], row[1], row[2]): row for row in log_rows}  # the last of a key
            if logs:
                self._run("insert_raw_logs", [
                    [row[n] if n != 4 else ",".join(row[4]) for row in logs.values()]
                    for n in range(6)])
        else:  # a topic no node sends (empty, or with a comma): one by one
            self._many("insert_raw_log", log_rows)
        self._many("insert_raw_internal", internal_rows)
        self._many("insert_wallet_tx", links)

    def raw_txs(self, chain_id: int, after: tuple[int, int] | None = None,
                among: Collection[str] | None = None) -> list[RawTx]:
        """The chain's transactions in order: those after (block, index) `after` alone, or
        those of the hashes `among`."""
        past: list[Any] = [] if after is None else [after[0], after[0], after[1]]
        kind = "of_chain" if after is None else "after"
        if among is not None:
            past, kind = [sorted(among)], "in"
        logs: dict[str, list[RawLog]] = {}
        for tx_hash, index, address, topics, data in self._run(f"raw_logs_{kind}",
                                                               [chain_id, *past]):
            logs.setdefault(tx_hash, []).append(RawLog(index, address, tuple(topics), data))
        internal: dict[str, list[InternalTransfer]] = {}
        for tx_hash, position, source, target, value in self._run(f"raw_internal_{kind}",
                                                                  [chain_id, *past]):
            internal.setdefault(tx_hash, []).append(
                InternalTransfer(position, source, target, int(value)))
        return [
            RawTx(chain_id, h, int(block), int(index), aware(stamp) or stamp, sender, to,
                  int(value), int(gas), int(price), bool(ok), tuple(logs.get(h, ())),
                  tuple(internal.get(h, ())), l1_fee=int(l1_fee))
            for h, block, index, stamp, sender, to, value, gas, price, ok, l1_fee
            in self._run(f"raw_txs_{kind}", [chain_id, chain_id, *past])
        ]

    def raw_txs_without_l1_fee(self, chain_id: int) -> list[str]:
        """The transactions an older taxscan stored without their receipt's L1 data fee
        (read as none): on a chain that charges one, fetch them again to have it."""
        return [str(r[0]) for r in self._run("raw_txs_without_l1_fee", [chain_id])]

    def set_l1_fees(self, chain_id: int, fees: Mapping[str, int]) -> None:
        """The L1 data fee of stored transactions, read again from their receipts."""
        self._many("set_l1_fee", [[str(fee), chain_id, tx_hash]
                                  for tx_hash, fee in sorted(fees.items())])

    def save_tokens(self, tokens: Iterable[TokenInfo]) -> None:
        self._many("insert_token", [[t.chain_id, t.address, t.symbol, t.name, t.decimals]
                                    for t in tokens])

    def tokens(self, chain_id: int) -> dict[str, TokenInfo]:
        return {address: TokenInfo(chain_id, address, symbol, name,
                                   None if decimals is None else int(decimals))
                for address, symbol, name, decimals in self._run("tokens_of_chain", [chain_id])}

    def replace_spam(self, chain_id: int, verdicts: Iterable[SpamVerdict]) -> None:
        """Every judged token's verdict on the chain, spam or not."""
        self._run("clear_spam_of_chain", [f"eip155:{chain_id}/%"])
        self._many("insert_spam", [verdict_row(v) for v in verdicts])

    def spam(self) -> list[tuple[str, int, str]]:
        """The tokens treated as spam: (asset, score, reasons)."""
        return [(str(a), int(s), str(r)) for a, s, r in self._run("spam")]

    def spam_verdicts(self, include_all: bool = False) -> list[SpamRow]:
        """The tokens treated as spam, or with `include_all` every judged token: spam
        first, highest score first."""
        return [SpamRow(str(asset), symbol, int(score), bool(is_spam),
                        None if marked is None else bool(marked),
                        tuple(reasons.split(REASON_SEPARATOR)) if reasons else ())
                for asset, symbol, score, reasons, is_spam, marked
                in self._run("spam_verdicts", [include_all])]

    def spam_marks(self) -> dict[str, bool]:
        """asset -> the user's word: True spam, False not spam."""
        return {str(asset): bool(spam) for asset, spam in self._run("spam_marks")}

    def set_spam_marks(self, assets: Iterable[str], spam: bool) -> None:
        self._many("set_spam_mark", [[asset, spam] for asset in assets])

    def clear_spam_marks(self, assets: Iterable[str]) -> None:
        self._many("clear_spam_mark", [[asset] for asset in assets])

    def ledger_assets_among(self, assets: Collection[str]) -> set[str]:
        """Those of `assets` that some leg of the ledger (scanned or imported) moves."""
        wanted = list(assets)
        return {str(row[0]) for row in self._run("ledger_assets_among", [wanted, wanted])}

    # ---- balance snapshots of rebasing tokens ---------------------------------------

    def token_transfer_blocks(self, chain_id: int, wallet: str,
                              tokens: Collection[str]) -> dict[str, set[int]]:
        """token -> the blocks of the stored ERC-20 Transfer events of `tokens` (lowercase
        addresses) that name `wallet` as sender or recipient."""
        topic = topic_for(wallet)
        found: dict[str, set[int]] = {}
        for token, block in self._run("token_transfer_blocks",
                                      [chain_id, list(tokens), TRANSFER, topic, topic]):
            found.setdefault(str(token), set()).add(int(block))
        return found

    def snapshot_blocks(self, chain_id: int, wallet: str) -> dict[str, set[int]]:
        """token -> the blocks `wallet`'s balance of it was already read at."""
        found: dict[str, set[int]] = {}
        for token, block in self._run("snapshot_blocks", [chain_id, wallet]):
            found.setdefault(str(token), set()).add(int(block))
        return found

    def save_balance_snapshots(self, snapshots: Iterable[BalanceSnapshot]) -> None:
        self._many("insert_balance_snapshot", [
            [s.chain_id, s.wallet, s.token, s.block_number, naive_utc(s.timestamp),
             str(s.raw_balance)] for s in snapshots])

    def balance_snapshots(self, chain_id: int) -> list[BalanceSnapshot]:
        return [BalanceSnapshot(chain_id, str(wallet), str(token), int(block),
                                aware(stamp) or stamp, int(raw))
                for wallet, token, block, stamp, raw
                in self._run("balance_snapshots_of_chain", [chain_id])]

    # ---- reorgs ---------------------------------------------------------------------

    def block_hashes(self, chain_id: int) -> dict[int, str]:
        """The recorded hashes of the chain's blocks a reorg could still replace."""
        return {int(n): str(h) for n, h in self._run("block_hashes_of_chain", [chain_id])}

    def save_block_hashes(self, chain_id: int, hashes: Mapping[int, str], *,
                          keep_from: int) -> None:
        """Record `hashes` and forget those below block `keep_from` (final by now)."""
        self._many("insert_block_hash", [[chain_id, n, h] for n, h in sorted(hashes.items())])
        self._run("prune_block_hashes", [chain_id, keep_from])

    def rewind(self, chain_id: int, to_block: int) -> None:
        """Forget everything the chain's scans stored above `to_block` (a reorg replaced
        those blocks): records, balance snapshots, ledger legs and block hashes, and move
        every cursor past it back to it. Call inside a transaction."""
        for name in ("rewind_logs", "rewind_internal", "rewind_wallet_txs"):
            self._run(name, [chain_id, chain_id, to_block])
        for name in ("rewind_txs", "rewind_snapshots", "rewind_ledger", "rewind_block_hashes"):
            self._run(name, [chain_id, to_block])
        self._run("rewind_cursors", [to_block, chain_id, to_block])

    # ---- ledger ---------------------------------------------------------------------

    @without_collector
    def replace_ledger(self, chain_id: int, entries: Iterable[LedgerEntry]) -> None:
        self._run("clear_ledger_of_chain", [chain_id])
        self._copy("ledger", (ledger_row(e) for e in entries))

    def save_imported(self, source: str, entries: Iterable[LedgerEntry]) -> None:
        """Legs read from a file, replacing what the same source gave before; a leg whose
        key the chain scan also has is left out of the ledger (the scanned one counts).
        A leg's USD value, where it has one, is the file's: it stays (`set_imported_values`
        leaves it)."""
        self._run("clear_imported_source", [source])
        rows = {(e.chain_id, e.tx_hash, e.leg_key, e.wallet):
                [*ledger_row(e), source, e.usd_value is not None] for e in entries}
        if rows:  # a key once, the last leg with it; a leg another file gave is this one's
            self._run("clear_imported_keys", [list(column) for column in zip(*rows, strict=True)])
        self._many("insert_imported", list(rows.values()))

    def imported_legs(self) -> list[tuple[LedgerEntry, bool]]:
        """Every imported leg with its value, and whether its file gave that value."""
        return self._imported("imported_legs")

    def imported_legs_to_value(self) -> list[tuple[LedgerEntry, bool]]:
        """`imported_legs` of the groups where some leg's file gave no value (valuation
        leaves the others as they are)."""
        return self._imported("imported_legs_to_value")

    @without_collector
    def _imported(self, query: str) -> list[tuple[LedgerEntry, bool]]:
        return given_legs_of(self._run(query))

    def set_imported_values(self, entries: Iterable[LedgerEntry]) -> None:
        """The USD values (and price sources) of imported legs whose file gave none."""
        rows = [[e.chain_id, e.tx_hash, e.leg_key, e.wallet, e.usd_value, e.price_source]
                for e in entries]
        if not rows:
            return
        self._run("stage_imported_values")
        self._many("insert_imported_value", rows)
        self._run("apply_imported_values")
        self._run("drop_imported_values")

    def imported_chain_ids(self) -> list[int]:
        return [int(r[0]) for r in self._run("imported_chain_ids")]

    def basis_allocations(self) -> list[Allocation]:
        return [Allocation(aware(r[0]) or r[0], r[1], r[2], r[3], r[4], aware(r[5]) or r[5],
                           Decimal(r[6]), r[7], "recorded")
                for r in self._run("basis_allocations")]

    def replace_basis_allocations(self, rows: Iterable[Allocation]) -> None:
        recorded = naive_utc(datetime.now(UTC))
        self._run("clear_basis_allocations")
        self._many("insert_basis_allocation", [
            [naive_utc(a.as_of), a.wallet, a.asset, a.symbol, a.lot_id, naive_utc(a.acquired),
             fits_quantity(a.quantity), usd_or_none(a.cost_basis_usd), recorded] for a in rows])

    def set_valuations(self, entries: Iterable[LedgerEntry]) -> None:
        self._many("set_valuation", [[e.usd_value, e.price_source, e.chain_id, e.tx_hash,
                                      e.leg_key, e.wallet] for e in entries])

    # ---- prices and lots ------------------------------------------------------------

    def save_prices(self, points: Iterable[PricePoint],
                    confidence: Mapping[PricePoint, Decimal | None] | None = None) -> None:
        self._many("insert_price", [[p.asset, naive_utc(p.timestamp), p.usd, p.source,
                                     (confidence or {}).get(p)] for p in points])

    def save_price_misses(self, misses: Iterable[tuple[str, datetime, str]]) -> None:
        self._many("insert_price_miss", [[asset, naive_utc(when), source]
                                         for asset, when, source in misses])

    def price_misses(self) -> set[tuple[str, datetime, str]]:
        return {(a, aware(t) or t, s) for a, t, s in self._run("price_misses")}

    def prices(self) -> list[PricePoint]:
        return [PricePoint(a, aware(t) or t, Decimal(u), s) for a, t, u, s in self._run("prices")]

    def save_fx_rates(self, points: Iterable[FxPoint]) -> None:
        self._many("insert_fx_rate", [[p.day, p.currency, p.per_usd] for p in points])

    def fx_rates(self) -> list[FxPoint]:
        return [FxPoint(day, currency, Decimal(rate))
                for day, currency, rate in self._run("fx_rates")]

    @without_collector
    def replace_lots(self, book: LotBook, method: str, state: StateChange | None) -> None:
        """Every lot and disposal as `book` holds them, with the lot engine's state after
        the run that computed them (`state`; None: no state is kept)."""
        self._run("clear_lots")
        self._run("clear_disposals")
        self.clear_engine_state()
        disposals = ("disposals", disposal_lines(book.disposals, method))
        if state is None:
            self._copies([disposals, ("lots", lot_lines(book.open_lots, method))])
            return
        assets = {h.asset for h in state.state.lots} | {a for _, a, _ in state.state.held}
        self.save_engine_state(assets, state, False, [disposals])
        self.open_lots_of_state(assets, method)  # the book's open lots, as the state has them

    def review_counts(self) -> tuple[int, int, int, int]:
        """Legs without a USD value, spam tokens, disposals without a lot, tokens without
        decimals()."""
        unpriced, spam, uncovered, no_decimals = self._run("review_counts")[0]
        return int(unpriced), int(spam), int(uncovered), int(no_decimals)

    def counts(self) -> dict[str, int]:
        txs, logs, ledger, prices = self._run("count_rows")[0]
        return {"raw_txs": int(txs), "raw_logs": int(logs), "ledger": int(ledger),
                "prices": int(prices)}
