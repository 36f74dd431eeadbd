"""The ledger export (`taxscan export --format ledger`): every leg with the ledger report's
fields, then where to see it and what it did to the lots (the columns: scanner.formats.
ledger_csv); as CSV cells, or as rows for Parquet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType

from scanner.formats.cells import formula_safe
from scanner.formats.rows import LEDGER, Row, ledger_rows, qty, when
from scanner.ledger.records import LedgerEntry
from scanner.money import cents, sum_known
from scanner.tax.records import NO_LOT, Disposal, LotBook
from scanner.tax.sales import sale_cents
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


def ledger_export_rows(entries: Sequence[LedgerEntry], book: LotBook,
                       tx_url: TxUrl) -> list[Row]:
    """The ledger rows with their lineage: `book` must be computed from a ledger holding
    `entries` (it may hold more, such as earlier years)."""
    rows = ledger_rows(entries)
    for row, (entry, url, opens, lineage) in zip(rows, _export_parts(entries, book, tx_url),
                                                 strict=True):
        row["explorer_url"] = url
        row["usd_value"] = None if entry.usd_value is None else qty(entry.usd_value)
        row["opens_lot"] = opens
        row.update(lineage)
    return rows


def ledger_export_lines(entries: Sequence[LedgerEntry], book: LotBook,
                        tx_url: TxUrl) -> Iterator[str]:
    """The lines render.write_csv writes of `ledger_export_rows` (the header aside), made
    without the rows: a million legs spare as many dicts of 21 keys. The cells a
    transaction's legs share are made once for its run of legs, and the texts of few values
    once each, each made safe (`formula_safe`) and quoted as the csv writer quotes it."""
    few = _Safe()
    opened, draws, disposals, shares = _lineage_of(book)
    urls: dict[tuple[int, str], str] = {}
    last: tuple[object, ...] = ()
    head = tail = ""
    for e in entries:
        tx, group, chain_id, moment, block = \
            e.tx_hash, e.group_id, e.chain_id, e.timestamp, e.block_number
        if last != (tx, group, chain_id, moment, block):
            last = (tx, group, chain_id, moment, block)
            where = (chain_id, tx)
            url = urls.get(where)
            if url is None:
                page = tx_url(chain_id, tx)
                url = urls[where] = "" if page is None else few.cell(page)
            head = f"{when(moment) or ''},{chain_id},{block},{few.cell(tx)},"
            tail = f"{few.cell(group)},{url},"
        usd_value, log, raw = e.usd_value, e.log_index, e.raw_amount
        lineage = _NO_CELLS
        if raw > 0:
            opens = opened.get((tx, e.leg_key, e.wallet))
            if opens is not None:
                lineage = f"{few.cell(opens)},,,,"
        elif raw < 0:
            taken = _take(draws, e, disposals)
            if len(taken) == 1:
                lineage = _one_draw(disposals[taken[0]], *shares[taken[0]])
            elif taken:
                lineage = _lineage_cells([(disposals[n], shares[n]) for n in taken])
        yield (f"{head}{'' if log is None else log},{few[e.wallet]},{few[e.kind.value]},"
               f"{few[e.protocol]},{few[e.asset]},{few[e.symbol]},{qty(e.quantity)},"
               f"{'' if usd_value is None else qty(usd_value)},{few[e.price_source]},"
               f"{few[e.counterparty]},{tail}{lineage}\r\n")


_NO_CELLS = ",,,,"  # a leg's lineage cells when it opened no lot and drew on none


def _one_draw(d: Disposal, proceeds: Decimal | None, basis: Decimal | None) -> str:
    """`_lineage_cells` of a leg that made one disposal (most do)."""
    denied = d.disallowed_loss_usd
    gain = None if proceeds is None or basis is None else \
        proceeds - basis + (_ZERO + cents(denied) if denied else 0)
    return (f",{csv_cell(formula_safe(f'{d.lot_id or NO_LOT}={qty(d.quantity)}'))},"
            f"{'' if proceeds is None else _ZERO + proceeds},"
            f"{'' if basis is None else _ZERO + basis},{'' if gain is None else gain}")


_ZERO = Decimal(0)


def _lineage_cells(drawn: Sequence[tuple[Disposal, tuple[Decimal | None, Decimal | None]]]) \
        -> str:
    """The lineage cells of a leg (opens_lot empty), joined, from its disposals, each with
    its cents."""
    lineage = _lineage(drawn)
    return (f",{csv_cell(formula_safe(lineage['draws_on'] or ''))},"
            f"{lineage['proceeds_usd'] or ''},{lineage['cost_basis_usd'] or ''},"
            f"{lineage['gain_usd'] or ''}")


class _Safe(dict[str | None, str]):
    """The cells of texts of few values, each made safe and quoted once; `cell` for texts of
    many (a transaction's hash), made each time."""

    def __missing__(self, text: str | None) -> str:
        cell = self[text] = "" if text is None else self.cell(text)
        return cell

    @staticmethod
    def cell(text: str) -> str:
        return csv_cell(formula_safe(text))


def _lineage_of(book: LotBook) -> tuple[
        dict[tuple[str, str, str], str], dict[tuple[str, str, str], list[int]],
        Sequence[Disposal], list[tuple[Decimal | None, Decimal | None]]]:
    """The lot each acquiring leg opened (by transaction, leg and wallet); the disposals of
    each transaction, wallet and asset (their places in the book's); the disposals; and
    each one's cents, the gains report's, its sale's rows of each sale."""
    opened = {(lot.origin_tx, lot.origin_leg, lot.wallet): lot.lot_id
              for lot in book.acquisitions}
    disposals = book.disposals
    draws: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for n, disposal in enumerate(disposals):
        draws[(disposal.tx_hash, disposal.wallet, disposal.asset)].append(n)
    return opened, draws, disposals, sale_cents(disposals)


def _export_parts(entries: Iterable[LedgerEntry], book: LotBook, tx_url: TxUrl) -> \
        Iterator[tuple[LedgerEntry, str | None, str | None, Mapping[str, str | None]]]:
    """Each entry with its transaction's explorer page, the lot it opened and its
    lineage."""
    opened, draws, disposals, shares = _lineage_of(book)
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
