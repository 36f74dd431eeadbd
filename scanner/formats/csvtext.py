"""Reading the CSV files taxscan imports (its own ledger CSV, Koinly's): records with the
line each starts on, a header's columns by name, and exact decimal amounts. Every problem
is a one-line UserInputError naming the file and the line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from chains.errors import UserInputError
from scanner.frozen import fast_constructor

# the years a leg may fall in, as for scope plans: the lots step a year (holding periods)
# and 30 days (wash sales) past any leg, which year 9999 has no room for
YEARS = range(1970, 2201)
PLAIN_NUMBER = re.compile(r"\s*([-+]?)(\d+)(?:\.(\d+))?\s*")
MAX_DECIMALS = 255  # an ERC-20 token has at most 255 decimals (uint8)
MAX_DIGITS = 100  # integer digits: a uint256 amount has 78


@dataclass(frozen=True, slots=True)
class Record:
    """One CSV record: the line it starts on, its text as in the file, its cells."""

    line: int
    text: str
    cells: list[str]


_record = fast_constructor(Record)  # a record per line


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
    plain = PLAIN_NUMBER.fullmatch(text)
    if plain is not None:  # how the ledger report writes them: no exponent
        sign, whole, fraction = plain.groups()
        fraction = fraction or ""
        if len(whole.lstrip("0")) > MAX_DIGITS or len(fraction) > MAX_DECIMALS:
            return None
        raw = int(whole + fraction)
        return (-raw if sign == "-" else raw), len(fraction)
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.adjusted() >= MAX_DIGITS:
        return None
    raw_amount, decimals = exact_amount(amount)
    return None if decimals > MAX_DECIMALS else (raw_amount, decimals)


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
