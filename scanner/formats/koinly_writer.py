"""Koinly's universal CSV, as taxscan's own Koinly importer (scanner.imports.koinly) reads it.

    Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,
    Net Worth Amount,Net Worth Currency,Label,Description,TxHash

- Date: UTC, `YYYY-MM-DD HH:MM`, the form Koinly documents ("YYYY-MM-DD 00:00 UTC"); the
  seconds are dropped, and rows of one minute keep the ledger's order.
- Label: income is "reward" (one of Koinly's income labels, and one the importer books as
  income); a row that only pays a fee is "cost" (Koinly: still a disposal, and listed as an
  expense); trades, transfers and self transfers have none.
- Koinly takes no fee on a deposit: a receiving row's fee goes on a "cost" row of its own,
  as Koinly advises.
- Net Worth: the USD value of what the row receives (a trade's received leg, else the sent
  leg's when that is unknown), of what it sends otherwise, in USD; empty when unknown.
- Description: the wallet and protocol; TxHash: the hash when it is 0x and 64 hex digits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from scanner.formats.koinly import HEADER
from scanner.formats.rows import qty
from scanner.formats.transactions import (
    Row,
    description,
    guard,
    side_cells,
    transaction_rows,
    tx_hash_cell,
    utc,
)
from scanner.ledger.records import Kind, LedgerEntry

DATE_FORMAT = "%Y-%m-%d %H:%M"
INCOME_LABEL = "reward"
FEE_LABEL = "cost"
_LABELS = {Kind.INCOME: INCOME_LABEL, Kind.FEE: FEE_LABEL}


def koinly_csv(entries: Iterable[LedgerEntry]) -> str:
    """The ledger as Koinly's universal CSV, one row per trade, send or receipt."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in transaction_rows(entries):
        if row.fee is not None and row.sent is None:  # Koinly: a deposit has no fee
            writer.writerow(_cells(Row(row.timestamp, row.chain_id, row.tx_hash, row.wallet,
                                       row.protocol, row.kind, None, row.received, None)))
            writer.writerow(_cells(Row(row.timestamp, row.chain_id, row.tx_hash, row.wallet,
                                       row.protocol, Kind.FEE, row.fee, None, None)))
        else:
            writer.writerow(_cells(row))
    return buffer.getvalue()


def _cells(row: Row) -> list[str]:
    worth = None
    if row.received is not None:
        worth = row.received.usd_value
    if worth is None and row.sent is not None:
        worth = row.sent.usd_value
    return [
        utc(row.timestamp).strftime(DATE_FORMAT),
        *side_cells(row.sent),
        *side_cells(row.received),
        *side_cells(row.fee),
        "" if worth is None else qty(worth),
        "" if worth is None else "USD",
        _LABELS.get(row.kind, ""),
        guard(description(row)),
        tx_hash_cell(row.tx_hash),
    ]
