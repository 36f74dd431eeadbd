"""CoinTracker's CSV import format.

    Date,Received Quantity,Received Currency,Sent Quantity,Sent Currency,Fee Amount,
    Fee Currency,Tag

CoinTracker's requirements (its "convert any CSV into the CoinTracker CSV format" guide):
dates `MM/DD/YYYY HH:MM:SS` in UTC; no negative numbers; a send's Sent Quantity includes
its fee, a receipt's Received Quantity does not; tags are optional, receipts may take
fork, airdrop, mined, payment or staked, sends gift, lost or donation, and trades and
transfers none.

- Income is tagged "payment": of the receipt tags it is the one not claiming a particular
  source (staking, mining, airdrop, fork); CoinTracker counts each of them as income at
  market value. stake.tax (staketaxcsv) tags generic income the same way.
- So a row that only sends (and pays its fee in the asset it sends) gives the fee within
  Sent Quantity as well as in Fee Amount.
- A row that only pays a fee is an untagged send of it: a disposal, as in taxscan.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from scanner.formats.transactions import Side, side_cells, transaction_rows, utc
from scanner.ledger.records import Kind, LedgerEntry

HEADER = ("Date", "Received Quantity", "Received Currency", "Sent Quantity", "Sent Currency",
          "Fee Amount", "Fee Currency", "Tag")
DATE_FORMAT = "%m/%d/%Y %H:%M:%S"
INCOME_TAG = "payment"


def cointracker_csv(entries: Iterable[LedgerEntry]) -> str:
    """The ledger as CoinTracker's CSV, one row per trade, send or receipt."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in transaction_rows(entries):
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
            INCOME_TAG if row.kind is Kind.INCOME else "",
        ])
    return buffer.getvalue()
