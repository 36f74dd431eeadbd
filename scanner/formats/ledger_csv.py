"""The ledger CSV: what `taxscan ledger --format csv` and `taxscan export --format ledger`
write, and what `taxscan import --format ledger` reads back into ledger entries.

The export is the ledger as an accountant receives it: every leg with the ledger report's
fields, then where to see it and what it did to the lots.

    explorer_url    the transaction on the chain's block explorer (empty when none is known)
    opens_lot       the lot this leg opened, when it acquired something
    draws_on        the lots a disposing leg drew on: `LOT_ID=QUANTITY` joined by "; ",
                    `no lot=QUANTITY` for a part no lot covered (unknown basis)
    proceeds_usd, cost_basis_usd, gain_usd
                    a disposing leg's figures, the sums of its disposals' cents as
                    `taxscan gains` shows them; empty when any part is unknown

Its usd_value is exact, as stored (the report shows cents): an import gives the same lots
and gains to the cent. Parquet gets the same rows, typed (`parquet_rows`, in the columns
and types of PARQUET_COLUMNS), and each leg's exact raw_amount (text: a uint256 can exceed
any SQL integer) and decimals; its quantity is empty when DECIMAL(38, 18) cannot hold it
exactly.

The import reads the first fields, the ledger report's; the lineage columns are derived
figures: they are accepted and ignored, since the lots are computed again from the legs. A
leg's usd_value is the file's and stays; a leg without one is valued by taxscan as a chain
leg is (by its trade's other leg, or its price), again whenever prices change.
Every cell is checked against what the database holds: chain ids and block numbers up to
2^63-1, log indexes up to 2^31-1 (ASCII digits), USD values from 0 to below 1e28, rounded to
the ten places they are stored with, times in the years 1970 to 2200. Quantities are exact,
up to 100 integer digits and 255 decimal places (a uint256 amount has 78 digits).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from chains.addresses import parse_any_asset_id
from chains.errors import AddressError, UserInputError
from scanner.collector import without_collector
from scanner.formats.cells import NUMERIC_FIELDS, unguard
from scanner.formats.csvtext import (
    MAX_DECIMALS,
    MAX_DIGITS,
    PLAIN_NUMBER,
    YEARS,
    Record,
    columns,
    is_blank,
    parse_amount,
    parse_decimal,
    read_text,
    records,
    unique_key,
)
from scanner.formats.ledger_export import LINEAGE_FIELDS, PARQUET_EXTRA
from scanner.formats.rows import LEDGER
from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind, LedgerEntry
from scanner.ledger.valuation import USD_LIMIT
from scanner.money import usd

# ---- reading ----------------------------------------------------------------------------

# ISO 8601 to the second as the ledger report writes it (2024-03-01T12:30:05Z); also a space
# for the T, a fraction of a second, +00:00 for the Z, or no offset at all (taken as UTC)
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|\+00:00)?")
_INTEGER = re.compile(r"[0-9]{1,19}")  # ASCII: str.isdigit also takes "²", which int() refuses
_PLAIN_BIGINT = re.compile(r"[0-9]{1,18}")  # below 2^63: read the quick way
_PLAIN_INT = re.compile(r"[0-9]{1,9}")  # below 2^31
BIGINT_MAX = 2**63 - 1  # chain ids and block numbers (BIGINT)
INTEGER_MAX = 2**31 - 1  # log indexes (INTEGER)
asset_id = functools.lru_cache(maxsize=1 << 14)(parse_any_asset_id)  # few assets, many rows
_new_entry = fast_constructor(LedgerEntry)  # an entry per row


def _timestamp(text: str) -> datetime:
    value = text.strip()
    if not _TIMESTAMP.fullmatch(value):
        raise ValueError
    if value.endswith("Z"):
        value = value[:-1]
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class _Row:
    """A row's cells by field name, each checked as it is read."""

    def __init__(self, path: Path, record: Record, where: dict[str, int]) -> None:
        self.path, self.line = path, record.line
        self.cells = {name: record.cells[index] for name, index in where.items()}

    def fail(self, problem: str) -> UserInputError:
        return UserInputError(f"{self.path}:{self.line}: {problem}")

    def text(self, field: str) -> str:
        value = self.cells[field]
        if value[:1] != "'" or field in NUMERIC_FIELDS:
            return value
        return unguard(value)

    def required(self, field: str) -> str:
        value = self.text(field)
        if not value:
            raise self.fail(f"{field} is empty")
        return value

    def optional(self, field: str) -> str | None:
        return self.text(field) or None

    def integer(self, field: str, limit: int = BIGINT_MAX) -> int:
        value = self.required(field).strip()
        if not _INTEGER.fullmatch(value):
            raise self.fail(f"{field} is not a whole number from 0: {value!r}")
        if int(value) > limit:
            raise self.fail(f"{field} is above {limit}, the most the database holds: "
                            f"{value!r}")
        return int(value)


@without_collector
def read_ledger_csv(path: Path, text: str | None = None) -> list[LedgerEntry]:
    """Every row of a ledger CSV as a ledger entry, in file order; the first bad row stops
    the import with its line number. `text` is the file's text when it is not read from
    `path` (a Parquet export, as CSV): there the exact raw_amount and decimals give the
    quantity."""
    rows = records(path, read_text(path, "ledger file") if text is None else text)
    header = next(rows, None)
    where = columns(path, header, LEDGER.fields, (*LINEAGE_FIELDS, *PARQUET_EXTRA))
    width = len(header.cells) if header is not None else 0
    names = [cell.strip().casefold() for cell in header.cells] if header is not None else []
    exact = (names.index("raw_amount"), names.index("decimals"), where["quantity"]) \
        if {"raw_amount", "decimals"} <= set(names) else None
    pick = operator.itemgetter(*(where[name] for name in LEDGER.fields))
    seen: dict[tuple[str, str, str], int] = {}
    entries = []
    for record in rows:
        if len(record.cells) != width:
            if is_blank(record):
                continue
            raise UserInputError(f"{path}:{record.line}: expected {width} fields, "
                                 f"found {len(record.cells)}")
        if exact is not None:
            _exact_quantity(record.cells, *exact)
        entry = _plain_entry(record.cells, pick, seen)
        entries.append(entry if entry is not None else _entry(_Row(path, record, where), seen))
    return entries


def _exact_quantity(cells: list[str], raw_at: int, decimals_at: int, quantity_at: int) -> None:
    """The quantity cell written from the raw_amount and decimals cells, when both are
    whole numbers (else it is left as it is, and checked as it is)."""
    raw, decimals = cells[raw_at].strip(), cells[decimals_at].strip()
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and decimals.isascii()
            and decimals.isdigit() and int(decimals) <= MAX_DECIMALS):
        return
    places = int(decimals)
    padded = digits.rjust(places + 1, "0")
    whole, fraction = padded[:len(padded) - places], padded[len(padded) - places:]
    cells[quantity_at] = ("-" if raw.startswith("-") else "") + whole \
        + (f".{fraction}" if fraction else "")


_KINDS = {kind.value: kind for kind in Kind}
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _plain_entry(cells: list[str], pick: Callable[[list[str]], tuple[str, ...]],
                 seen: dict[tuple[str, str, str], int]) -> LedgerEntry | None:
    """The row read the quick way when it is exactly as the ledger report writes it; None
    for anything else, which `_entry` then reads with every check and message. `pick`
    gives the cells in the order of LEDGER.fields."""
    (stamp, chain, block, tx_hash, log, wallet, kind_text, protocol, asset_text, symbol,
     quantity, usd_text, source, counterparty, group) = pick(cells)
    kind = _KINDS.get(kind_text)
    amount = _plain_amount(quantity)
    starts = (tx_hash[:1], wallet[:1], protocol[:1], symbol[:1], source[:1],
              counterparty[:1], group[:1])
    if kind is None or amount is None or not amount[0] or not _STAMP.fullmatch(stamp) \
            or not (tx_hash and wallet and group) or "'" in starts \
            or not (_PLAIN_BIGINT.fullmatch(chain) and _PLAIN_BIGINT.fullmatch(block)) \
            or (log and not _PLAIN_INT.fullmatch(log)):
        return None
    usd_value = None
    if usd_text:
        if PLAIN_NUMBER.fullmatch(usd_text) is None:
            return None
        usd_value = parse_decimal(usd_text)
        if usd_value is None or not 0 <= usd_value < USD_LIMIT:
            return None
        usd_value = usd(usd_value)
    try:
        asset = asset_id(asset_text)
        when = datetime.fromisoformat(stamp)  # _STAMP's form: UTC (the Z)
    except (AddressError, ValueError):
        return None
    if when.year not in YEARS:
        return None
    log_index = int(log) if log else None
    key = ("gas" if kind is Kind.FEE else "native") if log_index is None else f"log:{log_index}"
    return _new_entry(
        int(chain), tx_hash, unique_key(seen, tx_hash, wallet, key), log_index, int(block), 0,
        when, wallet, kind, protocol,
        asset, symbol or None, amount[0], amount[1], counterparty or None, group, usd_value,
        source or None)


def _plain_amount(text: str) -> tuple[int, int] | None:
    whole, dot, fraction = text.partition(".")
    negative = whole[:1] == "-"
    digits = whole[1:] if negative else whole
    if digits.isascii() and digits.isdigit() and len(whole) <= MAX_DIGITS \
            and (not dot or (fraction.isascii() and fraction.isdigit()
                             and len(fraction) <= MAX_DECIMALS)):
        raw = int(digits + fraction)  # as the ledger report writes it: parse_amount's result
        return (-raw if negative else raw), len(fraction)
    plain = PLAIN_NUMBER.fullmatch(text)
    return None if plain is None else parse_amount(text)


def _entry(row: _Row, seen: dict[tuple[str, str, str], int]) -> LedgerEntry:
    stamp_text = row.required("timestamp")
    try:
        timestamp = _timestamp(stamp_text)
    except ValueError:
        raise row.fail("timestamp is not ISO 8601 UTC such as 2024-03-01T12:30:05Z: "
                       f"{stamp_text!r}") from None
    if timestamp.year not in YEARS:
        raise row.fail(f"timestamp is not in the years {YEARS[0]} to {YEARS[-1]}: "
                       f"{stamp_text!r}")
    kind_text = row.required("kind").strip()
    try:
        kind = Kind(kind_text)
    except ValueError:
        known = ", ".join(k.value for k in Kind)
        raise row.fail(f"unknown kind {kind_text!r} (known: {known})") from None
    try:
        asset = asset_id(row.required("asset"))
    except AddressError as exc:
        raise row.fail(str(exc)) from None
    quantity_text = row.required("quantity")
    amount = parse_amount(quantity_text)
    if amount is None:
        raise row.fail(f"quantity is not a decimal number: {quantity_text!r}")
    raw_amount, decimals = amount
    if raw_amount == 0:
        raise row.fail("quantity is zero: a ledger leg moves something")
    usd_text = row.optional("usd_value")
    usd_value = None if usd_text is None else parse_decimal(usd_text)
    if usd_text is not None and (usd_value is None or usd_value < 0):
        raise row.fail(f"usd_value is not a decimal number from 0: {usd_text!r}")
    if usd_value is not None and usd_value >= USD_LIMIT:
        raise row.fail(f"usd_value must be below 1e28, the most the database holds: "
                       f"{usd_text!r}")
    log_index = None if not row.text("log_index").strip() \
        else row.integer("log_index", INTEGER_MAX)
    tx_hash, wallet = row.required("tx_hash"), row.required("wallet")
    plain = "gas" if kind is Kind.FEE else "native"
    key = plain if log_index is None else f"log:{log_index}"
    return LedgerEntry(
        chain_id=row.integer("chain_id"), tx_hash=tx_hash,
        leg_key=unique_key(seen, tx_hash, wallet, key), log_index=log_index,
        block_number=row.integer("block_number"), tx_index=0, timestamp=timestamp,
        wallet=wallet, kind=kind, protocol=row.text("protocol"), asset=asset,
        symbol=row.optional("symbol"), raw_amount=raw_amount, decimals=decimals,
        counterparty=row.optional("counterparty"), group_id=row.required("group_id"),
        usd_value=None if usd_value is None else usd(usd_value),
        price_source=row.optional("price_source"),
    )
