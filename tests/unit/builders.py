"""Small builders for ledger entries in unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry

WALLET = "0x" + "aa" * 20
OTHER = "0x" + "bb" * 20
ETH = "eip155:1/slip44:60"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
TKN = "eip155:1/erc20:" + "0x" + "11" * 20


def day(year: int, month: int, date: int, hour: int = 12) -> datetime:
    return datetime(year, month, date, hour, tzinfo=UTC)


def leg(
    when: datetime, kind: Kind, asset: str, quantity: str, usd: str | None, *,
    tx: str | None = None, key: str = "log:0", wallet: str = WALLET,
    counterparty: str | None = OTHER, decimals: int = 18,
) -> LedgerEntry:
    tx_hash = tx or "0x" + format(int(when.timestamp()), "064x")
    raw = int(Decimal(quantity).scaleb(decimals))
    return LedgerEntry(
        chain_id=1, tx_hash=tx_hash, leg_key=key, log_index=None, block_number=1,
        tx_index=0, timestamp=when, wallet=wallet, kind=kind, protocol="transfer",
        asset=asset, symbol=asset.rsplit(":", 1)[-1][:6], raw_amount=raw, decimals=decimals,
        counterparty=counterparty, group_id=group_id(1, tx_hash, wallet),
        usd_value=None if usd is None else Decimal(usd), price_source="test",
    )
