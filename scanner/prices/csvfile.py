"""Price files: CSV `timestamp,asset,usd` (ISO 8601 UTC, CAIP-19 asset id)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from chains.addresses import parse_any_asset_id
from chains.errors import AddressError
from scanner.errors import PriceFileError
from scanner.money import PRICE_LIMIT, price
from scanner.prices.records import PricePoint

HEADER = ("timestamp", "asset", "usd")
SOURCE = "csv"


def parse_timestamp(text: str) -> datetime:
    """ISO 8601; a time without an offset is UTC; a bare date is its midnight UTC. A text
    that is none, or a time UTC cannot hold (0001-01-01T00:00+01:00), is a ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    stamp = datetime.fromisoformat(value)
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC)
    try:
        return stamp.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"out of range in UTC: {text!r}") from None


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Every CSV record with the line it starts on. Lines end at a line feed or a carriage
    return only (str.splitlines also breaks at U+2028, form feeds...), and a quoted cell may
    span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PriceFileError(f"{path}:{start}: not valid CSV ({exc})") from None
        yield start, row
        start = reader.line_num + 1


def read_price_file(path: Path) -> list[PricePoint]:
    """Every row, checked; the first bad row stops the import with its line number."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceFileError(f"{path}: cannot read price file ({exc})") from None
    rows = _records(path, text)
    header = next(rows, None)
    if header is None or tuple(h.strip().lower() for h in header[1]) != HEADER:
        raise PriceFileError(f"{path}:1: header must be exactly 'timestamp,asset,usd'")
    points = []
    for line_number, row in rows:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 3:
            raise PriceFileError(f"{path}:{line_number}: expected 3 fields, found {len(row)}")
        stamp_text, asset_text, usd_text = row
        try:
            stamp = parse_timestamp(stamp_text)
        except ValueError:
            raise PriceFileError(
                f"{path}:{line_number}: timestamp is not ISO 8601: {stamp_text!r}") from None
        try:
            asset = parse_any_asset_id(asset_text)
        except AddressError as exc:
            raise PriceFileError(f"{path}:{line_number}: {exc}") from None
        try:
            usd = Decimal(usd_text.strip())
        except InvalidOperation:
            raise PriceFileError(
                f"{path}:{line_number}: usd is not a decimal number: {usd_text!r}") from None
        if not usd.is_finite() or usd < 0 or usd >= PRICE_LIMIT:
            raise PriceFileError(
                f"{path}:{line_number}: usd must be a number from 0 to below 1e20: {usd_text!r}")
        points.append(PricePoint(asset, stamp, price(usd), SOURCE))
    return points
