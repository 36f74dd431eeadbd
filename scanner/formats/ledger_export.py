"""The ledger export (`taxscan export --format ledger`): every leg with the ledger report's
fields, then where to see it and what it did to the lots (the columns: scanner.formats.
ledger_csv); as CSV cells, or as rows for Parquet."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import compress, groupby, repeat
from operator import attrgetter
from types import MappingProxyType

from scanner.formats.cells import formula_safe
from scanner.formats.rows import LEDGER, Row, amount_text, ledger_rows, qty, when
from scanner.grouping import places_by
from scanner.ledger.records import LedgerEntry
from scanner.money import cents, sum_known
from scanner.tax.records import NO_LOT, Disposal, Lot, LotBook
from scanner.tax.sales import cent_rounding, sale_cents, whole_sales_cents
from scanner.writing import csv_cell

LINEAGE_FIELDS = ("explorer_url", "opens_lot", "draws_on", "proceeds_usd", "cost_basis_usd",
                  "gain_usd")
EXPORT_FIELDS = LEDGER.fields + LINEAGE_FIELDS

# Parquet column types; money and quantities exact, raw amounts as text (a uint256 can exceed
# any SQL integer)
_PARQUET_TYPES = {
    "timestamp": "TIMESTAMPTZ", "chain_id": "BIGINT", "block_number": "BIGINT",
    "log_index": "BIGINT", "quantity": "DECIMAL(38, 18)", "usd_value": "DECIMAL(38, 10)",
    "proceeds_usd": "DECIMAL(38, 2)", "cost_basis_usd": "DECIMAL(38, 2)",
    "gain_usd": "DECIMAL(38, 2)", "raw_amount": "VARCHAR", "decimals": "INTEGER",
}
PARQUET_EXTRA = ("raw_amount", "decimals")
PARQUET_COLUMNS: Mapping[str, str] = MappingProxyType({
    name: _PARQUET_TYPES.get(name, "VARCHAR") for name in (*EXPORT_FIELDS, *PARQUET_EXTRA)})
_QUANTITY = EXPORT_FIELDS.index("quantity")

TxUrl = Callable[[int, str], str | None]


def ledger_export_rows(entries: Sequence[LedgerEntry], book: LotBook, tx_url: TxUrl, *,
                       every_leg: bool = False) -> list[Row]:
    """The ledger rows with their lineage: `book` must be computed from a ledger holding
    `entries` (it may hold more, such as earlier years); `every_leg`: `entries` are every
    leg it was computed from (its lineage need not be searched for theirs)."""
    rows = ledger_rows(entries)
    parts = _export_parts(entries, book, tx_url, every_leg)
    for row, (entry, url, opens, lineage) in zip(rows, parts, strict=True):
        row["explorer_url"] = url
        row["usd_value"] = None if entry.usd_value is None else qty(entry.usd_value)
        row["opens_lot"] = opens
        row.update(lineage)
    return rows


def ledger_export_lines(entries: Sequence[LedgerEntry], book: LotBook, tx_url: TxUrl, *,
                        every_leg: bool = False) -> Iterator[str]:
    """The lines render.write_csv writes of `ledger_export_rows` (the header aside), made
    without the rows: a million legs spare as many dicts of 21 keys. They are made a chunk
    of legs at a time, a column at a time and joined: the cells a transaction's legs share
    once for its run of legs, the texts of few values once each (each made safe,
    `formula_safe`, and quoted as the csv writer quotes it), the rest leg by leg.
    `every_leg`: `entries` are every leg `book` was computed from (its lineage need not be
    searched for theirs)."""
    few, logs = _Safe(), _Logs()
    joined = _Joined(few)
    lineage = _Lineage(book, None if every_leg else entries, few)
    for start in range(0, len(entries), _CHUNK):
        part = entries[start:start + _CHUNK]
        heads, tails = _run_cells(part, few.cell, tx_url)
        yield from map(",".join, zip(
            heads, map(logs.__getitem__, map(_LOG, part)),
            map(joined.__getitem__, map(_FEW_BEFORE, part)),
            map(amount_text, map(_RAW, part), map(_DECIMALS, part)),
            map(_usd_cell, map(_USD, part)),
            map(joined.__getitem__, map(_FEW_AFTER, part)),
            tails, lineage.cells(part), strict=True))


_CHUNK = 50_000
_RUN = attrgetter("tx_hash", "group_id", "chain_id", "timestamp", "block_number")
_LOG, _RAW, _DECIMALS, _USD = (attrgetter(name) for name in (
    "log_index", "raw_amount", "decimals", "usd_value"))
_FEW_BEFORE = attrgetter("wallet", "kind.value", "protocol", "asset", "symbol")
_FEW_AFTER = attrgetter("price_source", "counterparty")


def _run_cells(part: Sequence[LedgerEntry], cell: Callable[[str], str],
               tx_url: TxUrl) -> tuple[list[str], list[str]]:
    """The cells before the log index and between the counterparty and the lineage, of
    each leg: those its run of legs of one transaction and group shares."""
    heads: list[str] = []
    tails: list[str] = []
    last: tuple[str, int] | None = None
    tx_cell = page = ""
    for (tx, group, chain_id, moment, block), run in groupby(map(_RUN, part)):
        if last != (tx, chain_id):  # a transaction's groups come one after the other
            last = (tx, chain_id)
            url = tx_url(chain_id, tx)
            tx_cell, page = cell(tx), "" if url is None else cell(url)
        legs = len(list(run))
        heads += repeat(f"{when(moment) or ''},{chain_id},{block},{tx_cell}", legs)
        tails += repeat(f"{cell(group)},{page}", legs)
    return heads, tails


def _usd_cell(value: Decimal | None) -> str:
    return "" if value is None else qty(value)


class _Joined(dict[tuple[str | None, ...], str]):
    """The cells of texts of few values side by side (`_Safe`), joined, for each
    combination met."""

    def __init__(self, few: _Safe) -> None:
        super().__init__()
        self.few = few

    def __missing__(self, texts: tuple[str | None, ...]) -> str:
        cells = self[texts] = ",".join(map(self.few.__getitem__, texts))
        return cells


class _Logs(dict[int | None, str]):
    """The cells of log indexes, each made once."""

    def __missing__(self, log: int | None) -> str:
        cell = self[log] = "" if log is None else str(log)
        return cell


class _Lineage:
    """The lineage cells of legs, in the ledger's order: the lot an acquiring leg opened, or
    the lots a disposing leg drew on (`_take`) and their sales' cents. A leg takes whole
    sales (those of its kind, or all that are left), so its cents are their sums
    (`whole_sales_cents`), not found by sharing them among the lines."""

    def __init__(self, book: LotBook, entries: Sequence[LedgerEntry] | None,
                 few: _Safe) -> None:
        self.opened, self.draws, self.disposals = _drawn_of(book, entries)
        self.few = few
        self.half_up = cent_rounding()

    def cells(self, part: Sequence[LedgerEntry]) -> list[str]:
        """Each leg's lineage cells, the line's end after them."""
        opened, draws, disposals, cell, half_up = \
            self.opened, self.draws, self.disposals, self.few.cell, self.half_up
        out: list[str] = []
        add = out.append
        for e in part:
            raw = e.raw_amount
            if raw > 0:
                opens = opened.get((e.tx_hash, e.leg_key, e.wallet))
                add(_NO_CELLS_END if opens is None else f"{cell(opens)},,,,\r\n")
                continue
            pending = draws.get((e.tx_hash, e.wallet, e.asset)) if raw else None
            if not pending:
                add(_NO_CELLS_END)
            elif len(pending) == 1:  # most legs: `_take` gives them their one disposal
                add(_one_draw(disposals[pending.pop()], half_up))
            else:
                taken = [disposals[n] for n in _take(draws, e, disposals)]
                add(_one_draw(taken[0], half_up) if len(taken) == 1
                    else _many_draws(taken, half_up))
        return out


_NO_CELLS_END = ",,,,\r\n"  # the lineage cells of a leg that opened no lot and drew on none


def _one_draw(d: Disposal, half_up: Callable[[Decimal], Decimal]) -> str:
    """`_lineage` of a leg that made one disposal (most do), as cells, the line's end after
    them."""
    sold, cost, denied = d.proceeds_usd, d.cost_basis_usd, d.disallowed_loss_usd
    proceeds = None if sold is None else _ZERO + half_up(sold)
    basis = None if cost is None else _ZERO + half_up(cost)
    gain = None if proceeds is None or basis is None else \
        proceeds - basis + (_ZERO + cents(denied) if denied else _ZERO)
    return (f",{csv_cell(formula_safe(f'{d.lot_id or NO_LOT}={qty(d.quantity)}'))},"
            f"{'' if proceeds is None else proceeds},{'' if basis is None else basis},"
            f"{'' if gain is None else gain}\r\n")


_ZERO = Decimal(0)


def _many_draws(drawn: Sequence[Disposal], half_up: Callable[[Decimal], Decimal]) -> str:
    """`_lineage` of a leg that made several disposals, as cells (opens_lot empty), the
    line's end after them."""
    proceeds, basis = whole_sales_cents(drawn, half_up)
    denied = _ZERO
    for d in drawn:
        if d.disallowed_loss_usd:
            denied += cents(d.disallowed_loss_usd)
    gain = None if proceeds is None or basis is None else proceeds - basis + denied
    draws_on = "; ".join([f"{d.lot_id or NO_LOT}={qty(d.quantity)}" for d in drawn])
    return (f",{csv_cell(formula_safe(draws_on))},{'' if proceeds is None else proceeds},"
            f"{'' if basis is None else basis},{'' if gain is None else gain}\r\n")


class _Safe(dict[str | None, str]):
    """The cells of texts of few values, each made safe and quoted once; `cell` for texts of
    many (a transaction's hash), made each time."""

    def __missing__(self, text: str | None) -> str:
        cell = self[text] = "" if text is None else self.cell(text)
        return cell

    @staticmethod
    def cell(text: str) -> str:
        return csv_cell(formula_safe(text))


def _lineage_of(book: LotBook, entries: Sequence[LedgerEntry] | None) -> tuple[
        dict[tuple[str, str, str], str], dict[tuple[str, str, str], list[int]],
        Sequence[Disposal], list[tuple[Decimal | None, Decimal | None]]]:
    """`_drawn_of`, and each disposal's cents, the gains report's, its sale's rows of each
    sale (a sale is of one transaction: all its rows are there)."""
    opened, draws, disposals = _drawn_of(book, entries)
    return opened, draws, disposals, sale_cents(disposals)


def _drawn_of(book: LotBook, entries: Sequence[LedgerEntry] | None) -> tuple[
        dict[tuple[str, str, str], str], dict[tuple[str, str, str], list[int]],
        Sequence[Disposal]]:
    """Of the transactions of `entries` (None: of every one): the lot each acquiring leg
    opened (by transaction, leg and wallet); the disposals of each transaction, wallet and
    asset (their places in the disposals); and the disposals."""
    acquisitions: Sequence[Lot] = book.acquisitions
    disposals: Sequence[Disposal] = book.disposals
    if entries is not None:
        txs = set(map(_TX, entries))
        acquisitions = list(compress(acquisitions,
                                     map(txs.__contains__, map(_ORIGIN_TX, acquisitions))))
        disposals = list(compress(disposals, map(txs.__contains__, map(_TX, disposals))))
    opened = dict(zip(map(_ORIGIN, acquisitions), map(_LOT_ID, acquisitions), strict=True))
    return opened, places_by(map(_DRAWN, disposals)), disposals


_TX, _ORIGIN_TX = attrgetter("tx_hash"), attrgetter("origin_tx")
_ORIGIN = attrgetter("origin_tx", "origin_leg", "wallet")
_LOT_ID = attrgetter("lot_id")
_DRAWN = attrgetter("tx_hash", "wallet", "asset")


def _export_parts(entries: Sequence[LedgerEntry], book: LotBook, tx_url: TxUrl,
                  every_leg: bool) -> \
        Iterator[tuple[LedgerEntry, str | None, str | None, Mapping[str, str | None]]]:
    """Each entry with its transaction's explorer page, the lot it opened and its
    lineage."""
    opened, draws, disposals, shares = _lineage_of(book, None if every_leg else entries)
    urls: dict[tuple[int, str], str | None] = {}
    for entry in entries:
        where = (entry.chain_id, entry.tx_hash)
        if where not in urls:
            urls[where] = tx_url(*where)
        raw = entry.raw_amount
        yield (entry, urls[where],
               opened.get((entry.tx_hash, entry.leg_key, entry.wallet)) if raw > 0 else None,
               _lineage([(disposals[n], shares[n]) for n in _take(draws, entry, disposals)])
               if raw < 0 else _NO_LINEAGE)


def _take(draws: dict[tuple[str, str, str], list[int]], entry: LedgerEntry,
          disposals: Sequence[Disposal]) -> list[int]:
    """The disposals (their places in `disposals`) of the leg's transaction, wallet and
    asset that `entry` made: those of its kind when there are any (gas and a trade leg of
    the same coin in one transaction), else all of them. Each disposal is given to one leg
    only."""
    pending = draws.get((entry.tx_hash, entry.wallet, entry.asset))
    if not pending:
        return []
    mine = [n for n in pending if disposals[n].kind is entry.kind] or list(pending)
    for n in mine:
        pending.remove(n)
    return mine


_NO_LINEAGE: Mapping[str, None] = MappingProxyType(dict.fromkeys(
    ("draws_on", "proceeds_usd", "cost_basis_usd", "gain_usd")))


def _lineage(drawn: Sequence[tuple[Disposal, tuple[Decimal | None, Decimal | None]]]) -> \
        Mapping[str, str | None]:
    """The lineage of a leg from its disposals, each with its cents."""
    if not drawn:
        return _NO_LINEAGE
    proceeds = sum_known([p for _, (p, _) in drawn])
    basis = sum_known([b for _, (_, b) in drawn])
    denied = _sum(d.disallowed_loss_usd for d, _ in drawn) \
        if any(d.disallowed_loss_usd for d, _ in drawn) else 0
    gain = None if proceeds is None or basis is None or denied is None \
        else proceeds - basis + denied
    return {"draws_on": "; ".join(f"{d.lot_id or NO_LOT}={qty(d.quantity)}" for d, _ in drawn),
            "proceeds_usd": _text(proceeds), "cost_basis_usd": _text(basis),
            "gain_usd": _text(gain)}


def _sum(amounts: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the amounts, each in cents first; None when one is unknown."""
    total = Decimal(0)
    for amount in amounts:
        if amount is None:
            return None
        total += cents(amount)
    return total


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def parquet_rows(rows: Sequence[Row], entries: Sequence[LedgerEntry]) -> Iterator[list[object]]:
    """The cells of `rows` (with the lineage fields) in the order of PARQUET_COLUMNS: each
    row also carries its leg's exact raw_amount and decimals."""
    for row, entry in zip(rows, entries, strict=True):
        cells: list[object] = ["" if row[f] is None else row[f] for f in EXPORT_FIELDS]
        if not _fits_decimal(entry.quantity):
            cells[_QUANTITY] = ""
        yield [*cells, entry.raw_amount, entry.decimals]


def _fits_decimal(quantity: Decimal) -> bool:
    """Whether DECIMAL(38, 18) holds the quantity exactly."""
    exponent = quantity.as_tuple().exponent
    return quantity.is_zero() or (quantity.adjusted() < 20 and isinstance(exponent, int)
                                  and exponent >= -18)
