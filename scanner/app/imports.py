"""Data in: ledger files, price files, prices fetched from the price sources."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from chains.errors import UserInputError
from chains.source import NoProgress, Progress
from scanner.app.readmodel import all_legs
from scanner.app.rebuild import refresh_imports, refresh_prices
from scanner.app.settings import chains_of, price_book
from scanner.formats.koinly import LOCAL_ASSET_PREFIX, local_symbols, read_koinly
from scanner.formats.ledger_bulk import stage_ledger_csv, stage_ledger_parquet
from scanner.formats.ledger_csv import read_ledger_csv
from scanner.ledger.records import LedgerEntry
from scanner.ledger.valuation import leg_id, wanted
from scanner.money import price
from scanner.prices.csvfile import read_price_file
from scanner.prices.fetch import Failure, ask
from scanner.prices.records import PricePoint
from scanner.prices.sources import PriceSource
from scanner.store import Store
from scanner.store.parquet import read_parquet_csv


@dataclass(frozen=True)
class Imported:
    legs: int
    source: str
    local_symbols: tuple[str, ...] = ()  # imported under a local asset id: none was given


def _ledger(path: Path, _account: str | None, _assets: Mapping[str, str] | None) -> \
        list[LedgerEntry]:
    """The ledger export: CSV, or Parquet for a .parquet path."""
    if path.suffix.lower() == ".parquet":
        return read_ledger_csv(path, read_parquet_csv(path))
    return read_ledger_csv(path)


def _koinly(path: Path, account: str | None, assets: Mapping[str, str] | None) -> \
        list[LedgerEntry]:
    return read_koinly(path, account=account or f"koinly:{path.stem}", assets=assets)


# Every file format read into the ledger, by name: a new one is its module in
# scanner/formats and one line here.
LEDGER_READERS: Mapping[str, Callable[[Path, str | None, Mapping[str, str] | None],
                                      list[LedgerEntry]]] = MappingProxyType({
    "ledger": _ledger,
    "koinly": _koinly,
})
LEDGER_FORMATS = tuple(LEDGER_READERS)


def import_ledger(store: Store, path: Path, fmt: str, *, account: str | None = None,
                  assets: Mapping[str, str] | None = None,
                  progress: Progress | None = None) -> Imported:
    """Legs from a file join the ledger: the ledger CSV that `taxscan ledger --format csv`
    writes (or the ledger export, CSV or Parquet), or Koinly's universal CSV for an
    off-chain `account`. Importing a file again replaces its legs; a leg the chain scan also
    has counts once. The symbols imported under a local asset id are named."""
    reader = LEDGER_READERS.get(fmt)
    if reader is None:
        raise UserInputError(f"unknown import format {fmt!r} (available: "
                             f"{', '.join(LEDGER_FORMATS)})")
    source = f"{fmt}:{path.name}"
    progress = progress or NoProgress()
    progress.start(f"reading {path.name}", None)
    # Koinly's files, and ledger files less plain than ours, are read row by row
    staged = None
    if fmt == "ledger":
        parquet = path.suffix.lower() == ".parquet"
        staged = stage_ledger_parquet(store, path) if parquet else stage_ledger_csv(store, path)
    try:
        with store.transaction():
            before = store.imported_keys(source)
            progress.start("storing the legs", None)
            if staged is None:
                entries = reader(path, account, assets)
                store.save_imported(source, entries)
                legs, symbols = len(entries), local_symbols(entries)
            else:
                store.save_staged_ledger(source)
                legs = staged
                symbols = store.staged_local_symbols(LOCAL_ASSET_PREFIX)
            refresh_imports(store, source, before, progress=progress)
    finally:
        if staged is not None:
            store.drop_staged_ledger()
    return Imported(legs, source, tuple(symbols))


def import_prices(store: Store, path: Path) -> int:
    points = read_price_file(path)
    with store.transaction():
        store.save_prices(points)
    refresh_prices(store, points)
    return len(points)


@dataclass(frozen=True)
class PriceFetch:
    lacking: int
    asked: int
    found: int
    unanswered: int
    by_source: Mapping[str, int]
    failures: tuple[Failure, ...]  # sources that kept failing or refused, skipped


def fetch_prices(store: Store, sources: Sequence[PriceSource]) -> PriceFetch:
    """Ask the sources, in order, for every price the ledger lacks; keep every answer and
    every miss in the cache, so nothing is asked twice; then revalue the ledger. A source
    that fails is skipped (its requests go to the next one, and are asked again next time);
    when every source asked fails, that is raised and nothing is kept."""
    chains = chains_of(store)
    given = {leg_id(leg) for leg, from_file in store.imported_legs() if from_file}
    requests = wanted(all_legs(store), price_book(store, chains), given)
    result = ask(requests, sources, store.price_misses())
    points = {PricePoint(q.asset, q.timestamp, price(q.usd), q.source): q.confidence
              for q in result.quotes}
    with store.transaction():
        store.save_prices(points, points)
        store.save_price_misses(result.misses)
    refresh_prices(store, points, result.misses)
    by_source: dict[str, int] = {}
    for quote in result.quotes:
        by_source[quote.source] = by_source.get(quote.source, 0) + 1
    return PriceFetch(len(requests), result.sent, len(result.quotes), len(result.unanswered),
                      by_source, result.failures)
