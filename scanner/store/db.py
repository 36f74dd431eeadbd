"""taxscan's DuckDB file: raw records, tokens, the ledger, prices, lots."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
from platformdirs import user_data_dir

from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from scanner.errors import StoreError
from scanner.ledger.rebasing import BalanceSnapshot
from scanner.ledger.records import Kind, LedgerEntry
from scanner.ledger.spam import SpamRow, SpamVerdict
from scanner.money import usd
from scanner.prices.records import PricePoint
from scanner.tax.records import Allocation, LotBook

SCHEMA_VERSION = "1"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
REASON_SEPARATOR = "; "  # spam reasons in one text column
_QUANTITY_LIMIT = Decimal(10) ** 20
_QUANTITY_PLACES = Decimal("1e-18")


def default_db_path() -> Path:
    configured = os.environ.get("TAXSCAN_DB")
    if configured:
        return Path(configured).expanduser()
    return Path(user_data_dir("taxscan", appauthor=False)) / "taxscan.duckdb"


@cache
def _queries() -> dict[str, str]:
    text = resources.files("scanner.store").joinpath("queries.sql").read_text()
    parts = re.split(r"^-- name: (\w+)\n", text, flags=re.MULTILINE)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _usd(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else usd(amount)


def _ledger_row(e: LedgerEntry) -> list[Any]:
    return [e.chain_id, e.tx_hash, e.leg_key, e.wallet, e.log_index, e.block_number,
            e.tx_index, _naive_utc(e.timestamp), e.kind.value, e.protocol, e.asset, e.symbol,
            str(e.raw_amount), e.decimals, fits_quantity(e.quantity), e.usd_value,
            e.price_source, e.counterparty, e.group_id]


def fits_quantity(quantity: Decimal) -> Decimal | None:
    """The quantity if DECIMAL(38, 18) holds it exactly, else None (raw_amount stays exact)."""
    if abs(quantity) >= _QUANTITY_LIMIT or quantity != quantity.quantize(_QUANTITY_PLACES):
        return None
    return quantity


class _PrivateUmask:
    """While any Store is open, files and folders are created for their user only: DuckDB
    makes its WAL (and temporary files) anew as it goes, each under the process umask."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._before = 0

    def hold(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._before = os.umask(0o077)
                os.umask(self._before | 0o077)
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                os.umask(self._before)


_PRIVATE = _PrivateUmask()


def _make_private_folders(folder: Path) -> None:
    """Create `folder` and its missing parents, each readable by the user only (0700); the
    folders that exist already are left as they are."""
    missing = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(created, 0o700)


ROWS_PER_INSERT = 500
_MULTI_ROW = re.compile(
    r"^(?P<head>\s*INSERT\s+(?:OR\s+(?P<replace>REPLACE)\s+|OR\s+IGNORE\s+)?INTO\s+"
    r"(?P<table>\w+)\s*(?:\((?P<columns>[\w\s,]+)\))?\s*VALUES\s*)"
    r"(?P<row>\([?,\s]*\))\s*;?\s*$", re.I)


def _one_line(exc: BaseException) -> str:
    """DuckDB's messages run over several lines; an error is one line."""
    return " ".join(str(exc).split())


@cache
def _rows_insert(name: str, count: int) -> str:
    """The named `INSERT ... VALUES (?, ...)` for `count` rows: its placeholders repeated."""
    insert = _MULTI_ROW.match(_queries()[name])
    assert insert is not None
    return insert["head"] + ", ".join([insert["row"]] * count)


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        _PRIVATE.hold()
        self._holding = True
        try:
            _make_private_folders(path.parent)
            new = not path.exists()
            self._db = duckdb.connect(str(path))
            if new:
                os.chmod(path, 0o600)
            self._db.execute(resources.files("scanner.store").joinpath("schema.sql").read_text())
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                             [SCHEMA_VERSION])
        except (duckdb.Error, OSError) as exc:
            self._release()
            raise StoreError(f"cannot open database {path}: {_one_line(exc)}") from None

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            _PRIVATE.release()

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            self._release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- plumbing -------------------------------------------------------------------

    def _run(self, name: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(_queries()[name], list(params)).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"database error in {name}: {_one_line(exc)}") from None

    def _many(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """`rows` through the named query, with executemany's result. A plain `INSERT ...
        VALUES (?, ...)` goes in statements of many rows each: DuckDB's executemany runs one
        statement a row, and a big wallet's logs took minutes. For INSERT OR REPLACE, where
        the last of two rows with one key wins but one statement keeps the first, only the
        last row of each key is sent."""
        if not rows:
            return
        query = _queries()[name]
        try:
            insert = _MULTI_ROW.match(query)
            if insert is None:
                self._db.executemany(query, [list(r) for r in rows])
                return
            if insert["replace"]:
                key = self._key_positions(insert["table"], insert["columns"])
                if key is None:
                    self._db.executemany(query, [list(r) for r in rows])
                    return
                rows = list({tuple(row[i] for i in key): row for row in rows}.values())
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start : start + ROWS_PER_INSERT]
                self._db.execute(_rows_insert(name, len(chunk)),
                                 [value for row in chunk for value in row])
        except duckdb.Error as exc:
            raise StoreError(f"database error in {name}: {_one_line(exc)}") from None

    def _key_positions(self, table: str, columns: str | None) -> tuple[int, ...] | None:
        """Where a table's primary key sits in the rows of an insert into it (its columns
        in order, or those named); None when the rows do not hold all of the key."""
        found = self._db.execute(
            "SELECT constraint_column_indexes, constraint_column_names FROM duckdb_constraints()"
            " WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [table]).fetchall()
        if len(found) != 1:
            return None
        indexes, names = found[0]
        if columns is None:
            return tuple(int(i) for i in indexes)
        named = [c.strip().lower() for c in columns.split(",")]
        if not all(n.lower() in named for n in names):
            return None
        return tuple(named.index(n.lower()) for n in names)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: an error inside rolls every write back."""
        self._db.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        rows = self._run("get_meta", [key])
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._run("set_meta", [key, value])

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
                            _naive_utc(tx.timestamp), tx.from_address, tx.to_address,
                            str(tx.value), str(tx.gas_used), str(tx.effective_gas_price),
                            tx.success])
            log_rows.extend([tx.chain_id, tx.tx_hash, log.log_index, log.address,
                             list(log.topics), log.data] for log in tx.logs)
            internal_rows.extend([tx.chain_id, tx.tx_hash, i.trace_address, i.from_address,
                                  i.to_address, str(i.value)] for i in tx.internal)
            links.append([tx.chain_id, wallet, tx.tx_hash])
        self._many("insert_raw_tx", tx_rows)
        self._many("insert_raw_log", log_rows)
        self._many("insert_raw_internal", internal_rows)
        self._many("insert_wallet_tx", links)

    def raw_txs(self, chain_id: int) -> list[RawTx]:
        logs: dict[str, list[RawLog]] = {}
        for tx_hash, index, address, topics, data in self._run("raw_logs_of_chain", [chain_id]):
            logs.setdefault(tx_hash, []).append(RawLog(index, address, tuple(topics), data))
        internal: dict[str, list[InternalTransfer]] = {}
        for tx_hash, position, source, target, value in self._run("raw_internal_of_chain",
                                                                  [chain_id]):
            internal.setdefault(tx_hash, []).append(
                InternalTransfer(position, source, target, int(value)))
        return [
            RawTx(chain_id, h, int(block), int(index), _aware(stamp) or stamp, sender, to,
                  int(value), int(gas), int(price), bool(ok), tuple(logs.get(h, ())),
                  tuple(internal.get(h, ())))
            for h, block, index, stamp, sender, to, value, gas, price, ok
            in self._run("raw_txs_of_chain", [chain_id, chain_id])
        ]

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
        self._many("insert_spam", [[v.asset, v.score, REASON_SEPARATOR.join(v.reasons),
                                    v.is_spam] for v in verdicts])

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
        topic = "0x" + wallet.lower().removeprefix("0x").rjust(64, "0")
        found: dict[str, set[int]] = {}
        for token, block in self._run("token_transfer_blocks",
                                      [chain_id, list(tokens), TRANSFER_TOPIC, topic, topic]):
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
            [s.chain_id, s.wallet, s.token, s.block_number, _naive_utc(s.timestamp),
             str(s.raw_balance)] for s in snapshots])

    def balance_snapshots(self, chain_id: int) -> list[BalanceSnapshot]:
        return [BalanceSnapshot(chain_id, str(wallet), str(token), int(block),
                                _aware(stamp) or stamp, int(raw))
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

    def replace_ledger(self, chain_id: int, entries: Iterable[LedgerEntry]) -> None:
        self._run("clear_ledger_of_chain", [chain_id])
        self._many("insert_ledger", [_ledger_row(e) for e in entries])

    def ledger(self) -> list[LedgerEntry]:
        return [
            LedgerEntry(
                chain_id=int(r[0]), tx_hash=r[1], leg_key=r[2], wallet=r[3], log_index=r[4],
                block_number=int(r[5]), tx_index=int(r[6]), timestamp=_aware(r[7]) or r[7],
                kind=Kind(r[8]), protocol=r[9], asset=r[10], symbol=r[11],
                raw_amount=int(r[12]), decimals=int(r[13]), usd_value=r[14],
                price_source=r[15], counterparty=r[16], group_id=r[17],
            )
            for r in self._run("ledger")
        ]

    def save_imported(self, source: str, entries: Iterable[LedgerEntry]) -> None:
        """Legs read from a file, replacing what the same source gave before; a leg whose
        key the chain scan also has is left out of the ledger (the scanned one counts)."""
        self._run("clear_imported_source", [source])
        self._many("insert_imported", [[*_ledger_row(e), source] for e in entries])

    def imported_chain_ids(self) -> list[int]:
        return [int(r[0]) for r in self._run("imported_chain_ids")]

    def basis_allocations(self) -> list[Allocation]:
        return [Allocation(_aware(r[0]) or r[0], r[1], r[2], r[3], r[4], _aware(r[5]) or r[5],
                           Decimal(r[6]), r[7], "recorded")
                for r in self._run("basis_allocations")]

    def replace_basis_allocations(self, rows: Iterable[Allocation]) -> None:
        recorded = _naive_utc(datetime.now(UTC))
        self._run("clear_basis_allocations")
        self._many("insert_basis_allocation", [
            [_naive_utc(a.as_of), a.wallet, a.asset, a.symbol, a.lot_id, _naive_utc(a.acquired),
             fits_quantity(a.quantity), _usd(a.cost_basis_usd), recorded] for a in rows])

    def set_valuations(self, entries: Iterable[LedgerEntry]) -> None:
        self._many("set_valuation", [[e.usd_value, e.price_source, e.chain_id, e.tx_hash,
                                      e.leg_key, e.wallet] for e in entries])

    # ---- prices and lots ------------------------------------------------------------

    def save_prices(self, points: Iterable[PricePoint],
                    confidence: Mapping[PricePoint, Decimal | None] | None = None) -> None:
        self._many("insert_price", [[p.asset, _naive_utc(p.timestamp), p.usd, p.source,
                                     (confidence or {}).get(p)] for p in points])

    def save_price_misses(self, misses: Iterable[tuple[str, datetime, str]]) -> None:
        self._many("insert_price_miss", [[asset, _naive_utc(when), source]
                                         for asset, when, source in misses])

    def price_misses(self) -> set[tuple[str, datetime, str]]:
        return {(a, _aware(t) or t, s) for a, t, s in self._run("price_misses")}

    def prices(self) -> list[PricePoint]:
        return [PricePoint(a, _aware(t) or t, Decimal(u), s) for a, t, u, s in self._run("prices")]

    def replace_lots(self, book: LotBook, method: str) -> None:
        self._run("clear_lots")
        self._run("clear_disposals")
        self._many("insert_lot", [
            [lot.lot_id, lot.wallet, lot.asset, lot.symbol, _naive_utc(lot.acquired),
             fits_quantity(lot.quantity), _usd(lot.cost_basis_usd), lot.origin_tx, lot.origin_leg,
             lot.origin_kind.value, method]
            for lot in book.open_lots
        ])
        self._many("insert_disposal", [
            [d.wallet, d.asset, d.symbol, fits_quantity(d.quantity),
             None if d.acquired is None else _naive_utc(d.acquired), _naive_utc(d.disposed),
             _usd(d.proceeds_usd), _usd(d.cost_basis_usd), d.term.value if d.term else None,
             d.tx_hash, d.lot_id, d.kind.value, method, d.rule or None,
             _usd(d.disallowed_loss_usd)]
            for d in book.disposals
        ])

    def review_counts(self) -> tuple[int, int, int, int]:
        """Legs without a USD value, spam tokens, disposals without a lot, tokens without
        decimals()."""
        unpriced, spam, uncovered, no_decimals = self._run("review_counts")[0]
        return int(unpriced), int(spam), int(uncovered), int(no_decimals)

    def counts(self) -> dict[str, int]:
        txs, logs, ledger, prices = self._run("count_rows")[0]
        return {"raw_txs": int(txs), "raw_logs": int(logs), "ledger": int(ledger),
                "prices": int(prices)}
