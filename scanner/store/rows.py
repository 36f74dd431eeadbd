"""Values to and from the database's columns: moments as naive UTC TIMESTAMPs, quantities as
DECIMAL(38, 18) when it holds them exactly, USD to the ten places of DECIMAL(38, 10)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from scanner.ledger.records import LedgerEntry
from scanner.money import usd

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
