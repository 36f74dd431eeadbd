"""Ledger CSV: what `taxscan ledger --format csv` and `taxscan export --format ledger` write,
read back into ledger entries. The export's lineage columns are derived figures: they are
accepted and ignored, since the lots are computed again from the legs.

Every cell is checked against what the database holds: chain ids and block numbers up to
2^63-1, log indexes up to 2^31-1 (ASCII digits), USD values from 0 to below 1e28, rounded to
the ten places they are stored with, times in the years 1970 to 2200. Quantities are exact,
up to 100 integer digits and 255 decimal places (a uint256 amount has 78 digits)."""

from __future__ import annotations

import csv
import functools
import io
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from chains.addresses import parse_any_asset_id
from chains.errors import AddressError, UserInputError
from scanner.collector import without_collector
from scanner.formats.ledger_writer import LINEAGE_FIELDS
from scanner.formats.render import _FORMULA_START, _NUMERIC_FIELDS
from scanner.formats.rows import LEDGER
from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import usd

# ISO 8601 to the second as the ledger report writes it (2024-03-01T12:30:05Z); also a space
# for the T, a fraction of a second, +00:00 for the Z, or no offset at all (taken as UTC)
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|\+00:00)?")
_INTEGER = re.compile(r"[0-9]{1,19}")  # ASCII: str.isdigit also takes "²", which int() refuses
_PLAIN_BIGINT = re.compile(r"[0-9]{1,18}")  # below 2^63: read the quick way
_PLAIN_INT = re.compile(r"[0-9]{1,9}")  # below 2^31
BIGINT_MAX = 2**63 - 1  # chain ids and block numbers (BIGINT)
INTEGER_MAX = 2**31 - 1  # log indexes (INTEGER)
USD_LIMIT = Decimal(10) ** 28  # a USD value is stored as DECIMAL(38, 10)
# the years a leg may fall in, as for scope plans: the lots step a year (holding periods)
# and 30 days (wash sales) past any leg, which year 9999 has no room for
YEARS = range(1970, 2201)
_PLAIN_NUMBER = re.compile(r"\s*([-+]?)(\d+)(?:\.(\d+))?\s*")
_MAX_DECIMALS = 255  # an ERC-20 token has at most 255 decimals (uint8)
_MAX_DIGITS = 100  # integer digits: a uint256 amount has 78


_asset_id = functools.lru_cache(maxsize=1 << 14)(parse_any_asset_id)  # few assets, many rows


@dataclass(frozen=True, slots=True)
class Record:
    """One CSV record: the line it starts on, its text as in the file, its cells."""

    line: int
    text: str
    cells: list[str]


_record = fast_constructor(Record)  # a record per line, an entry per row
_new_entry = fast_constructor(LedgerEntry)


def read_text(path: Path, what: str) -> str:
    """The file as text (UTF-8, a byte order mark dropped, line ends as they are: a quoted
    cell may hold a carriage return), or a one-line error."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path}: cannot read {what} ({exc})") from None


def records(path: Path, text: str) -> Iterator[Record]:
    """Every CSV record with the line it starts on, blank ones included."""
    plain = _plain_lines(text)
    if plain is not None:  # read as the csv reader reads them, in a fraction of its time
        for number, line in enumerate(plain, 1):
            yield _record(number, line, line.split(",") if line else [])
        return
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    start = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UserInputError(f"{path}:{start + 1}: not valid CSV ({exc})") from None
        end = reader.line_num
        yield Record(start + 1, "".join(lines[start:end]).rstrip("\r\n"), cells)
        start = end


def _plain_lines(text: str) -> list[str] | None:
    """The lines of a text without quoted cells whose lines all end alike, without their
    ends: each is a record, its cells what the commas separate. None for any other text."""
    if '"' in text:
        return None
    if "\r" not in text:
        lines = text.split("\n")
    elif "\n" not in text:
        lines = text.split("\r")
    else:
        lines = text.split("\r\n")
        if any("\r" in line or "\n" in line for line in lines):
            return None  # line ends of more than one kind
    if lines[-1] == "":  # the end of the last line, or an empty text
        lines.pop()
    if max(map(len, lines), default=0) > csv.field_size_limit():
        return None  # the csv reader refuses a cell that long
    return lines


def is_blank(record: Record) -> bool:
    return all(not cell.strip() for cell in record.cells)


def columns(path: Path, header: Record | None, expected: Sequence[str],
            ignored: Sequence[str] = ()) -> dict[str, int]:
    """Where each expected column is (by name, any order, any case); none missing, no other
    but the `ignored` ones, which may be there or not."""
    if header is None:
        raise UserInputError(f"{path}:1: the file is empty: expected a header row "
                             f"{','.join(expected)}")
    wanted = {name.casefold(): name for name in (*expected, *ignored)}
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header.cells):
        name = wanted.get(cell.strip().casefold())
        if name is None:
            unknown.append(cell.strip())
        elif name in found:
            raise UserInputError(f"{path}:{header.line}: column {name!r} appears twice")
        else:
            found[name] = index
    missing = [name for name in expected if name not in found]
    for name in ignored:
        found.pop(name, None)
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(repr(name) for name in missing))
        if unknown:
            problems.append("unknown " + ", ".join(repr(name) for name in unknown))
        raise UserInputError(f"{path}:{header.line}: header columns {'; '.join(problems)} "
                             f"(expected {','.join(expected)})")
    return found


def exact_amount(amount: Decimal) -> tuple[int, int]:
    """(raw_amount, decimals) with Decimal(raw_amount).scaleb(-decimals) == amount exactly:
    decimals is the number of fractional digits as written."""
    sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError("not a finite number")
    coefficient = int("".join(str(digit) for digit in digits))
    decimals = max(0, -exponent)
    raw = coefficient * 10 ** (exponent + decimals)
    return (-raw if sign else raw), decimals


def parse_amount(text: str) -> tuple[int, int] | None:
    """A decimal number as written, exactly, as (raw_amount, decimals); None if it is not
    one or is out of range."""
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain is not None:  # how the ledger report writes them: no exponent
        sign, whole, fraction = plain.groups()
        fraction = fraction or ""
        if len(whole.lstrip("0")) > _MAX_DIGITS or len(fraction) > _MAX_DECIMALS:
            return None
        raw = int(whole + fraction)
        return (-raw if sign == "-" else raw), len(fraction)
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.adjusted() >= _MAX_DIGITS:
        return None
    raw_amount, decimals = exact_amount(amount)
    return None if decimals > _MAX_DECIMALS else (raw_amount, decimals)


def parse_decimal(text: str) -> Decimal | None:
    """A finite decimal number, or None if the text is not one."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def unique_key(seen: dict[tuple[str, str, str], int], tx_hash: str, wallet: str,
               key: str) -> str:
    """`key`, or `key:2`, `key:3`... when it was already used in (tx_hash, wallet)."""
    count = seen.get((tx_hash, wallet, key), 0) + 1
    seen[(tx_hash, wallet, key)] = count
    return key if count == 1 else f"{key}:{count}"


def _unguard(text: str) -> str:
    """Undo render's formula guard: the apostrophe put before a text cell starting = + - @
    tab or carriage return."""
    if text[:1] == "'" and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


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
        if value[:1] != "'" or field in _NUMERIC_FIELDS:
            return value
        return _unguard(value)

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
def read_ledger_csv(path: Path) -> list[LedgerEntry]:
    """Every row of a ledger CSV as a ledger entry, in file order; the first bad row stops
    the import with its line number."""
    rows = records(path, read_text(path, "ledger file"))
    header = next(rows, None)
    where = columns(path, header, LEDGER.fields, LINEAGE_FIELDS)
    width = len(header.cells) if header is not None else 0
    pick = operator.itemgetter(*(where[name] for name in LEDGER.fields))
    seen: dict[tuple[str, str, str], int] = {}
    entries = []
    for record in rows:
        if len(record.cells) != width:
            if is_blank(record):
                continue
            raise UserInputError(f"{path}:{record.line}: expected {width} fields, "
                                 f"found {len(record.cells)}")
        entry = _plain_entry(record.cells, pick, seen)
        entries.append(entry if entry is not None else _entry(_Row(path, record, where), seen))
    return entries


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
        if _PLAIN_NUMBER.fullmatch(usd_text) is None:
            return None
        usd_value = parse_decimal(usd_text)
        if usd_value is None or not 0 <= usd_value < USD_LIMIT:
            return None
        usd_value = usd(usd_value)
    try:
        asset = _asset_id(asset_text)
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
    if digits.isascii() and digits.isdigit() and len(whole) <= _MAX_DIGITS \
            and (not dot or (fraction.isascii() and fraction.isdigit()
                             and len(fraction) <= _MAX_DECIMALS)):
        raw = int(digits + fraction)  # as the ledger report writes it: parse_amount's result
        return (-raw if negative else raw), len(fraction)
    plain = _PLAIN_NUMBER.fullmatch(text)
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
        asset = _asset_id(row.required("asset"))
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
