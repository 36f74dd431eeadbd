"""Values to and from the database's columns: moments as naive UTC TIMESTAMPs, quantities as
DECIMAL(38, 18) when it holds them exactly, USD to the ten places of DECIMAL(38, 10)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import usd
from scanner.store.bulk import Quoted, micros, quoted
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
# (DuckDB makes a Decimal of a DECIMAL four times slower than Python makes one of its text)
LEG_COLUMNS = ("chain_id, tx_hash, leg_key, log_index, block_number, tx_index, timestamp, "
               "wallet, kind, protocol, asset, symbol, raw_amount, decimals, counterparty, "
               "group_id, CAST(usd_value AS VARCHAR) AS usd_value, price_source")
_new_entry = fast_constructor(LedgerEntry)  # a leg per row of a million-row ledger
_KINDS = {kind.value: kind for kind in Kind}


def legs_of(rows: Iterable[Sequence[Any]]) -> list[LedgerEntry]:
    """The legs of rows of `LEG_COLUMNS` (any column after them is left)."""
    return [_new_entry(chain, tx, key, log, block, index, stamp.replace(tzinfo=UTC), wallet,
                       _KINDS[kind], protocol, asset, symbol, int(raw), decimals, counterparty,
                       group, None if value is None else Decimal(value), source)
            for (chain, tx, key, log, block, index, stamp, wallet, kind, protocol, asset, symbol,
                 raw, decimals, counterparty, group, value, source, *_) in rows]


def given_legs_of(rows: Sequence[Sequence[Any]]) -> list[tuple[LedgerEntry, bool]]:
    """The imported legs of rows of `LEG_COLUMNS` then `usd_given`, each with whether its
    file gave its value."""
    return list(zip(legs_of(rows), [bool(r[18]) for r in rows], strict=True))


def lot_lines(lots: Iterable[Lot], method: str) -> Iterator[str]:
    """The `lots` table's rows as bulk.copy_lines takes them, of open lots."""
    texts = Quoted()
    tail = "," + texts[method] + "\n"
    for lot in lots:
        quantity, basis = fits_quantity(lot.quantity), lot.cost_basis_usd
        yield (f"{quoted(lot.lot_id)},{texts[lot.wallet]},{texts[lot.asset]},"
               f"{texts[lot.symbol]},{micros(lot.acquired)},"
               f"{'' if quantity is None else quantity},{'' if basis is None else usd(basis)},"
               f"{quoted(lot.origin_tx)},{quoted(lot.origin_leg)},"
               f"{texts[lot.origin_kind.value]}{tail}")


def disposal_lines(disposals: Iterable[Disposal], method: str) -> Iterator[str]:
    """The `disposals` table's rows as bulk.copy_lines takes them."""
    texts, rules = Quoted(), Quoted()
    rules[""] = ""  # no rule: NULL
    method_cell = texts[method]
    for d in disposals:
        quantity, acquired, proceeds, basis, term, lot_id = (
            fits_quantity(d.quantity), d.acquired, d.proceeds_usd, d.cost_basis_usd, d.term,
            d.lot_id)
        yield (f"{texts[d.wallet]},{texts[d.asset]},{texts[d.symbol]},"
               f"{'' if quantity is None else quantity},"
               f"{'' if acquired is None else micros(acquired)},{micros(d.disposed)},"
               f"{'' if proceeds is None else usd(proceeds)},"
               f"{'' if basis is None else usd(basis)},"
               f"{'' if term is None else texts[term.value]},{quoted(d.tx_hash)},"
               f"{'' if lot_id is None else quoted(lot_id)},{texts[d.kind.value]},"
               f"{method_cell},{rules[d.rule]},{usd(d.disallowed_loss_usd)}\n")
