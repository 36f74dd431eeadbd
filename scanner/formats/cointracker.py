"""CoinTracker's CSV import format.

    Date,Received Quantity,Received Currency,Sent Quantity,Sent Currency,Fee Amount,
    Fee Currency,Tag

CoinTracker's requirements (its "convert any CSV into the CoinTracker CSV format" guide):
dates `MM/DD/YYYY HH:MM:SS` in UTC; no negative numbers; a send's Sent Quantity includes
its fee, a receipt's Received Quantity does not; tags are optional, receipts may take
fork, airdrop, mined, payment or staked, sends gift, lost or donation, and trades and
transfers none.

- Staking rewards (income kind `reward`) are tagged "staked"; other income "payment": of
  the receipt tags it is the one not claiming a particular source (staking, mining, airdrop,
  fork); CoinTracker counts each of them as income at market value. stake.tax (staketaxcsv)
  tags staking and generic income the same way.
- A self transfer gives no row (only its fee, as below): the file is imported as one
  CoinTracker wallet, and a move between two of its wallets is no event there. The guide has
  no tag for a wrap, a stake or a loan: they are trades, sends and receipts.
- So a row that only sends (and pays its fee in the asset it sends) gives the fee within
  Sent Quantity as well as in Fee Amount.
- A row that only pays a fee is an untagged send of it: a disposal, as in taxscan.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from scanner.formats.transactions import (
    Carries,
    Row,
    Side,
    default_carries,
    side_cells,
    transaction_rows,
    utc,
)
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.treatment import STAKING_REWARD, income_kind

HEADER = ("Date", "Received Quantity", "Received Currency", "Sent Quantity", "Sent Currency",
          "Fee Amount", "Fee Currency", "Tag")
DATE_FORMAT = "%m/%d/%Y %H:%M:%S"
INCOME_TAG = "payment"
STAKING_TAG = "staked"


def cointracker_csv(entries: Iterable[LedgerEntry],
                    carries: Carries = default_carries) -> str:
    """The ledger as CoinTracker's CSV, one row per trade, send or receipt
    (`carries` is unused: the format has no non-taxable exchange)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in transaction_rows(entries):
        if row.kind is Kind.SELF_TRANSFER:
            if row.fee is None:
                continue
            row = Row(row.timestamp, row.chain_id, row.tx_hash, row.wallet, row.protocol,
                      Kind.FEE, row.fee, None, None)
        sent = row.sent
        if sent is not None and row.received is None and row.fee is not None \
                and row.fee.asset == sent.asset:
            sent = Side(sent.asset, sent.currency, sent.quantity + row.fee.quantity,
                        None, sent.kind)
        writer.writerow([
            utc(row.timestamp).strftime(DATE_FORMAT),
            *side_cells(row.received),
            *side_cells(sent),
            *side_cells(row.fee),
            tag(row),
        ])
    return buffer.getvalue()


def tag(row: Row) -> str:
    """The row's Tag: income's, else none."""
    if row.kind is not Kind.INCOME:
        return ""
    return STAKING_TAG if income_kind(row.protocol) == STAKING_REWARD else INCOME_TAG
