"""The ledger as an accountant receives it: every leg with the ledger report's fields, then
where to see it and what it did to the lots.

    explorer_url    the transaction on the chain's block explorer (empty when none is known)
    opens_lot       the lot this leg opened, when it acquired something
    draws_on        the lots a disposing leg drew on: `LOT_ID=QUANTITY` joined by "; ",
                    `no lot=QUANTITY` for a part no lot covered (unknown basis)
    proceeds_usd, cost_basis_usd, gain_usd
                    a disposing leg's figures, the sums of its disposals' cents as
                    `taxscan gains` shows them; empty when any part is unknown

The first fields are the ledger report's, so `taxscan import --format ledger` reads the file
back (it ignores the lineage columns). Its usd_value is exact, as stored (the report shows
cents): an import gives the same lots and gains to the cent. Parquet gets the same rows,
typed, and each leg's exact raw_amount (text: a uint256 can exceed any SQL integer) and
decimals; its quantity is empty when DECIMAL(38, 18) cannot hold it exactly.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

from chains.errors import UserInputError
from scanner.formats.rows import LEDGER, Row, ledger_rows, qty
from scanner.ledger.records import LedgerEntry
from scanner.money import cents
from scanner.tax.records import Disposal, LotBook

LINEAGE_FIELDS = ("explorer_url", "opens_lot", "draws_on", "proceeds_usd", "cost_basis_usd",
                  "gain_usd")
EXPORT_FIELDS = LEDGER.fields + LINEAGE_FIELDS
NO_LOT = "no lot"

# Parquet column types; money and quantities exact, raw amounts as text (a uint256 can exceed
# any SQL integer)
_PARQUET_TYPES = {
    "timestamp": "TIMESTAMPTZ", "chain_id": "BIGINT", "block_number": "BIGINT",
    "log_index": "BIGINT", "quantity": "DECIMAL(38, 18)", "usd_value": "DECIMAL(38, 10)",
    "proceeds_usd": "DECIMAL(38, 2)", "cost_basis_usd": "DECIMAL(38, 2)",
    "gain_usd": "DECIMAL(38, 2)", "raw_amount": "VARCHAR", "decimals": "INTEGER",
}
_PARQUET_EXTRA = ("raw_amount", "decimals")
_QUANTITY = EXPORT_FIELDS.index("quantity")

TxUrl = Callable[[int, str], str | None]


def ledger_export_rows(entries: Sequence[LedgerEntry], book: LotBook,
                       tx_url: TxUrl) -> list[Row]:
    """The ledger rows with their lineage: `book` must be computed from a ledger holding
    `entries` (it may hold more, such as earlier years)."""
    opened = {(lot.origin_tx, lot.origin_leg, lot.wallet): lot.lot_id
              for lot in book.acquisitions}
    draws: dict[tuple[str, str, str], list[Disposal]] = defaultdict(list)
    for disposal in book.disposals:
        draws[(disposal.tx_hash, disposal.wallet, disposal.asset)].append(disposal)
    urls: dict[tuple[int, str], str | None] = {}
    rows = ledger_rows(entries)
    for entry, row in zip(entries, rows, strict=True):
        where = (entry.chain_id, entry.tx_hash)
        if where not in urls:
            urls[where] = tx_url(*where)
        row["explorer_url"] = urls[where]
        row["usd_value"] = None if entry.usd_value is None else qty(entry.usd_value)
        row["opens_lot"] = opened.get((entry.tx_hash, entry.leg_key, entry.wallet)) \
            if entry.raw_amount > 0 else None
        taken = _take(draws, entry) if entry.raw_amount < 0 else []
        row.update(_lineage(taken))
    return rows


def _take(draws: dict[tuple[str, str, str], list[Disposal]],
          entry: LedgerEntry) -> list[Disposal]:
    """The disposals of the leg's transaction, wallet and asset that `entry` made: those of
    its kind when there are any (gas and a trade leg of the same coin in one transaction),
    else all of them. Each disposal is given to one leg only."""
    pending = draws.get((entry.tx_hash, entry.wallet, entry.asset))
    if not pending:
        return []
    mine = [d for d in pending if d.kind is entry.kind] or list(pending)
    for disposal in mine:
        pending.remove(disposal)
    return mine


def _lineage(disposals: Sequence[Disposal]) -> Row:
    if not disposals:
        return {"draws_on": None, "proceeds_usd": None, "cost_basis_usd": None,
                "gain_usd": None}
    proceeds = _sum(d.proceeds_usd for d in disposals)
    basis = _sum(d.cost_basis_usd for d in disposals)
    denied = _sum(d.disallowed_loss_usd for d in disposals)
    gain = None if proceeds is None or basis is None or denied is None \
        else proceeds - basis + denied
    return {"draws_on": "; ".join(f"{d.lot_id or NO_LOT}={qty(d.quantity)}" for d in disposals),
            "proceeds_usd": _text(proceeds), "cost_basis_usd": _text(basis),
            "gain_usd": _text(gain)}


def _sum(amounts: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the amounts in cents, each rounded first; None when one is unknown."""
    total = Decimal(0)
    for amount in amounts:
        if amount is None:
            return None
        total += cents(amount)
    return total


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def write_ledger_parquet(rows: Sequence[Row], entries: Sequence[LedgerEntry],
                         path: Path) -> None:
    """`rows` (with the lineage fields) as a typed Parquet file at `path`, all or nothing.
    Each row also carries its leg's exact raw_amount and decimals."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserInputError(f"--out {path}: the folder {folder} does not exist")
    staging = folder / f".{path.name}.csv.partial"
    partial = folder / f".{path.name}.partial"
    fields = (*EXPORT_FIELDS, *_PARQUET_EXTRA)
    try:
        with staging.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(fields)
            for row, entry in zip(rows, entries, strict=True):
                cells = ["" if row[f] is None else row[f] for f in EXPORT_FIELDS]
                if not _fits_decimal(entry.quantity):
                    cells[_QUANTITY] = ""
                writer.writerow([*cells, entry.raw_amount, entry.decimals])
        _csv_to_parquet(staging, partial, fields)
        os.replace(partial, path)
    except OSError as exc:
        raise UserInputError(f"--out {path}: cannot write ({exc.strerror or exc})") from None
    finally:
        staging.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)


def _fits_decimal(quantity: Decimal) -> bool:
    """Whether DECIMAL(38, 18) holds the quantity exactly."""
    exponent = quantity.as_tuple().exponent
    return quantity.is_zero() or (quantity.adjusted() < 20 and isinstance(exponent, int)
                                  and exponent >= -18)


_COPY_TO_PARQUET = (
    "COPY (SELECT * FROM read_csv($source, header = true, columns = $columns, quote = '\"', "
    "escape = '\"', nullstr = '', strict_mode = true)) TO $target (FORMAT parquet)")


def _csv_to_parquet(source: Path, target: Path, fields: Sequence[str]) -> None:
    columns = {name: _PARQUET_TYPES.get(name, "VARCHAR") for name in fields}
    with duckdb.connect() as db:
        db.execute(_COPY_TO_PARQUET, {"source": str(source), "columns": columns,
                                      "target": str(target)})
    os.chmod(target, 0o600)  # tax data, like every other export
