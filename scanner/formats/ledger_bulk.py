"""The ledger file in bulk: a ledger CSV as plain as taxscan writes it, or a Parquet ledger
export, staged by DuckDB as columns (store.csvload) when every row is one the row reader
(scanner.formats.ledger_csv) reads the quick way; None otherwise, and the row reader reads
the file, with its messages."""

from __future__ import annotations

import re
from pathlib import Path

from chains.errors import AddressError, UserInputError
from scanner.formats.csvtext import MAX_DECIMALS, MAX_DIGITS, YEARS, Record, columns
from scanner.formats.ledger_csv import asset_id
from scanner.formats.ledger_export import LINEAGE_FIELDS, PARQUET_EXTRA
from scanner.formats.rows import LEDGER
from scanner.ledger.valuation import USD_LIMIT
from scanner.money import USD_QUANTUM
from scanner.store import Store
from scanner.store.csvload import CellRules

# the cells ledger_csv's `_plain_entry` reads the quick way: a file is staged only when
# every row is one of those
_PLAIN_CELLS = CellRules(
    fields=LEDGER.fields, years=YEARS, max_digits=MAX_DIGITS, max_decimals=MAX_DECIMALS,
    usd_digits=USD_LIMIT.adjusted(), usd_places=-int(USD_QUANTUM.as_tuple().exponent),
    guarded=("tx_hash", "wallet", "protocol", "symbol", "price_source", "counterparty",
             "group_id"),
    required=("tx_hash", "wallet", "group_id"))


def stage_ledger_csv(store: Store, path: Path) -> int | None:
    """The legs of the ledger CSV at `path` staged in bulk (Store.stage_ledger_csv) when
    every row is as plain as the ledger report writes it: how many. None when it is not
    (nothing staged): `read_ledger_csv` reads such a file, with its messages. Call outside
    a transaction."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            line = file.readline()
        if not _unquoted(path):
            return None
    except (OSError, UnicodeDecodeError):
        return None
    text = line.removesuffix("\n").removesuffix("\r")
    if text == line:
        return None
    header = Record(1, text, text.split(","))
    if {"raw_amount", "decimals"} & {cell.strip().casefold() for cell in header.cells}:
        return None
    try:
        where = columns(path, header, LEDGER.fields, LINEAGE_FIELDS)
    except UserInputError:
        return None
    return store.stage_ledger_csv(path, len(header.cells), where, _PLAIN_CELLS,
                                  _asset_or_none)


def stage_ledger_parquet(store: Store, path: Path) -> int | None:
    """`stage_ledger_csv` of a Parquet ledger export (what `read_ledger_csv` reads of it,
    as CSV text, read by DuckDB as columns); None when some row is not plain or the file
    is none (nothing staged): `read_ledger_csv` reads it then, with its messages."""
    names = store.parquet_columns(path)
    if names is None:
        return None
    header = Record(1, ",".join(names), names)
    try:
        where = columns(path, header, LEDGER.fields, (*LINEAGE_FIELDS, *PARQUET_EXTRA))
    except UserInputError:
        return None
    folded = [name.strip().casefold() for name in names]
    exact = (folded.index("raw_amount"), folded.index("decimals")) \
        if {"raw_amount", "decimals"} <= set(folded) else None
    return store.stage_ledger_parquet(path, where, _PLAIN_CELLS, _asset_or_none, exact)


_LONE_RETURN = re.compile(rb"\r(?!\n)")


def _unquoted(path: Path) -> bool:
    """Whether the file holds no quote and no carriage return but before a line feed: its
    records are its lines, its cells what the commas separate, as DuckDB's reader then
    reads them (a reader that honours quotes could see other cells)."""
    with path.open("rb") as file:
        while chunk := file.read(1 << 24):
            if chunk.endswith(b"\r"):
                chunk += file.read(1)
            if b'"' in chunk or _LONE_RETURN.search(chunk):
                return False
    return True


def _asset_or_none(text: str) -> str | None:
    try:
        return asset_id(text)
    except AddressError:
        return None
