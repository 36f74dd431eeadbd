"""Values to and from the database's columns: moments as naive UTC TIMESTAMPs, quantities as
DECIMAL(38, 18) when it holds them exactly, USD to the ten places of DECIMAL(38, 10)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import USD_QUANTUM, usd
from scanner.store.bulk import EPOCH, MICROSECOND, Quoted, quoted
from scanner.tax.records import Disposal, Lot

_QUANTITY_LIMIT = Decimal(10) ** 20
_QUANTITY_PLACES = Decimal("1e-18")


def naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:  # the common case, the cheap way
        return moment.replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None)


def aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def usd_or_none(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else usd(amount)


def fits_quantity(quantity: Decimal) -> Decimal | None:
    """The quantity if DECIMAL(38, 18) holds it exactly, else None (raw_amount stays exact)."""
    if abs(quantity) >= _QUANTITY_LIMIT or quantity != quantity.quantize(_QUANTITY_PLACES):
        return None
    return quantity


def ledger_row(e: LedgerEntry) -> list[Any]:
    return [e.chain_id, e.tx_hash, e.leg_key, e.wallet, e.log_index, e.block_number,
            e.tx_index, naive_utc(e.timestamp), e.kind.value, e.protocol, e.asset, e.symbol,
            str(e.raw_amount), e.decimals, fits_quantity(e.quantity), e.usd_value,
            e.price_source, e.counterparty, e.group_id]


# LedgerEntry's fields, in its order, as `legs_of` reads them: a USD value as its text
# (DuckDB makes a Decimal of a DECIMAL four times slower than Python makes one of its text),
# a moment as microseconds since 1970 (Python makes an aware datetime of a number faster
# than it gives a naive one from DuckDB a time zone)
LEG_COLUMNS = ("chain_id, tx_hash, leg_key, log_index, block_number, tx_index, "
               "epoch_us(timestamp) AS timestamp, wallet, kind, protocol, asset, symbol, "
               "raw_amount, decimals, counterparty, group_id, "
               "CAST(usd_value AS VARCHAR) AS usd_value, price_source")
_new_entry = fast_constructor(LedgerEntry)  # a leg per row of a million-row ledger
_KINDS = {kind.value: kind for kind in Kind}


def legs_of(rows: Iterable[Sequence[Any]]) -> list[LedgerEntry]:
    """The legs of rows of `LEG_COLUMNS`."""
    legs: list[LedgerEntry] = []
    append = legs.append
    last, moment = None, EPOCH
    for (chain, tx, key, log, block, index, stamp, wallet, kind, protocol, asset, symbol,
         raw, decimals, counterparty, group, value, source) in rows:
        if stamp != last:  # the rows come in time order: a moment is made once
            last, moment = stamp, EPOCH + timedelta(microseconds=stamp)
        append(_new_entry(chain, tx, key, log, block, index, moment, wallet, _KINDS[kind],
                          protocol, asset, symbol, int(raw), decimals, counterparty, group,
                          None if value is None else Decimal(value), source))
    return legs


# a leg's texts of few values (its key, wallet, kind...): read once for each combination
# met (a shape), each row naming its shape by its hash, where DuckDB would make a Python
# text of every cell (a third of the time of reading a million legs)
SHAPE_COLUMNS = "leg_key, wallet, kind, protocol, asset, symbol, counterparty, price_source"
SHAPED_COLUMNS = ("chain_id, tx_hash, log_index, block_number, tx_index, "
                  "epoch_us(timestamp) AS timestamp, raw_amount, decimals, group_id, "
                  f"CAST(usd_value AS VARCHAR) AS usd_value, hash({SHAPE_COLUMNS})")
Shape = tuple[str, str, Kind, str, str, str | None, str | None, str | None]


def shapes_of(rows: Sequence[Sequence[Any]]) -> dict[int, Shape] | None:
    """The shapes of the distinct rows of `hash(SHAPE_COLUMNS), SHAPE_COLUMNS`, by hash;
    None when two share a hash."""
    shapes = {shape: (key, wallet, _KINDS[kind], protocol, asset, symbol, counterparty, source)
              for shape, key, wallet, kind, protocol, asset, symbol, counterparty, source
              in rows}
    return shapes if len(shapes) == len(rows) else None


def shaped_legs_of(rows: Iterable[Sequence[Any]], shapes: Mapping[int, Shape]) -> \
        list[LedgerEntry]:
    """`legs_of` rows of `SHAPED_COLUMNS`, their `shapes`."""
    legs: list[LedgerEntry] = []
    append = legs.append
    last, moment = None, EPOCH
    for chain, tx, log, block, index, stamp, raw, decimals, group, value, shape in rows:
        if stamp != last:
            last, moment = stamp, EPOCH + timedelta(microseconds=stamp)
        key, wallet, kind, protocol, asset, symbol, counterparty, source = shapes[shape]
        append(_new_entry(chain, tx, key, log, block, index, moment, wallet, kind, protocol,
                          asset, symbol, int(raw), decimals, counterparty, group,
                          None if value is None else Decimal(value), source))
    return legs


def given_legs_of(rows: Sequence[Sequence[Any]]) -> list[tuple[LedgerEntry, bool]]:
    """The imported legs of rows of `LEG_COLUMNS` then `usd_given`, each with whether its
    file gave its value."""
    return list(zip(legs_of(row[:-1] for row in rows), [bool(r[-1]) for r in rows],
                    strict=True))


def lot_lines(lots: Iterable[Lot], method: str) -> Iterator[str]:
    """The `lots` table's rows as bulk.line_copy takes them, of open lots."""
    texts = Quoted()
    tail = "," + texts[method] + "\n"
    for lot in lots:
        yield (f"{quoted(lot.lot_id)},{texts[lot.wallet]},{texts[lot.asset]},"
               f"{texts[lot.symbol]},{(lot.acquired - EPOCH) // MICROSECOND},"
               f"{lot_cells(lot.quantity, lot.cost_basis_usd)},"
               f"{quoted(lot.origin_tx)},{quoted(lot.origin_leg)},"
               f"{texts[lot.origin_kind.value]}{tail}")


def lot_cells(quantity: Decimal, basis: Decimal | None) -> str:
    """A lot's quantity and basis as cells of `line_copy`, as the `lots` table holds them
    (`fits_quantity`, `usd`)."""
    fits = fits_quantity(quantity)
    return f"{'' if fits is None else fits},{'' if basis is None else usd(basis)}"


def disposal_lines(disposals: Iterable[Disposal], method: str) -> Iterator[str]:
    """The `disposals` table's rows as bulk.line_copy takes them. The hot loop of storing a
    million lots: `micros`, `usd` and `fits_quantity` are written out in it (their calls
    were a fifth of its time), and the usual zero disallowed loss is written as 0."""
    texts, rules = Quoted(), Quoted()
    rules[""] = ""  # no rule: NULL
    method_cell = texts[method]
    for d in disposals:
        q, acquired, proceeds, basis, term, lot_id, loss = (
            d.quantity, d.acquired, d.proceeds_usd, d.cost_basis_usd, d.term, d.lot_id,
            d.disallowed_loss_usd)
        quantity = "" if abs(q) >= _QUANTITY_LIMIT or q != q.quantize(_QUANTITY_PLACES) else q
        yield (f"{texts[d.wallet]},{texts[d.asset]},{texts[d.symbol]},{quantity},"
               f"{'' if acquired is None else (acquired - EPOCH) // MICROSECOND},"
               f"{(d.disposed - EPOCH) // MICROSECOND},"
               f"{'' if proceeds is None else proceeds.quantize(USD_QUANTUM, ROUND_HALF_EVEN)},"
               f"{'' if basis is None else basis.quantize(USD_QUANTUM, ROUND_HALF_EVEN)},"
               f"{'' if term is None else texts[term.value]},{quoted(d.tx_hash)},"
               f"{'' if lot_id is None else quoted(lot_id)},{texts[d.kind.value]},"
               f"{method_cell},{rules[d.rule]},"
               f"{loss.quantize(USD_QUANTUM, ROUND_HALF_EVEN) if loss else 0}\n")
