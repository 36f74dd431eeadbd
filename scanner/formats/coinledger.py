"""CoinLedger's Universal Manual Import Template.

    Date (UTC),Platform (Optional),Asset Sent,Amount Sent,Asset Received,Amount Received,
    Fee Currency (Optional),Fee Amount (Optional),Type,Description (Optional),
    TxHash (Optional)

- Date: UTC, `MM/DD/YYYY HH:MM:SS`, as the template's sample rows give it.
- Platform: the chain's name from the registry, empty for a chain it does not know.
- Type (the guide, help.coinledger.io/en/articles/6028758, lists trades, income of each
  source and payments; stake.tax writes the same names): a row that sends and receives
  (trades, and wraps, stakes... the template has no type for a non-taxable exchange)
  "Trade"; staking rewards (income kind `reward`) "Staking", other income "Income";
  receipts "Deposit" and sends "Withdrawal", which CoinLedger treats as moves between one's
  own accounts, not taxed: a self transfer is a Withdrawal from one wallet and a Deposit in
  the other, a loan received a Deposit and a loan repaid a Withdrawal (taxscan: a repayment
  realizes nothing). A row that only pays a fee is a "Merchant Payment": a disposal at
  market value, as taxscan treats gas.
- Description: the wallet and protocol; TxHash: the hash when it is 0x and 64 hex digits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from scanner.formats.transactions import (
    Carries,
    Row,
    chain_name,
    default_carries,
    description,
    guard,
    side_cells,
    transaction_rows,
    tx_hash_cell,
    utc,
)
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.treatment import STAKING_REWARD, income_kind

HEADER = ("Date (UTC)", "Platform (Optional)", "Asset Sent", "Amount Sent", "Asset Received",
          "Amount Received", "Fee Currency (Optional)", "Fee Amount (Optional)", "Type",
          "Description (Optional)", "TxHash (Optional)")
DATE_FORMAT = "%m/%d/%Y %H:%M:%S"
TRADE, INCOME, STAKING, DEPOSIT, WITHDRAWAL, FEE = (
    "Trade", "Income", "Staking", "Deposit", "Withdrawal", "Merchant Payment")


def coinledger_csv(entries: Iterable[LedgerEntry],
                   carries: Carries = default_carries) -> str:
    """The ledger as CoinLedger's universal import CSV, one row per trade, send or receipt
    (`carries` is unused: the format has no non-taxable exchange)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in transaction_rows(entries):
        sent_amount, sent_currency = side_cells(row.sent)
        received_amount, received_currency = side_cells(row.received)
        fee_amount, fee_currency = side_cells(row.fee)
        writer.writerow([
            utc(row.timestamp).strftime(DATE_FORMAT),
            guard(chain_name(row.chain_id)),
            sent_currency, sent_amount, received_currency, received_amount,
            fee_currency, fee_amount,
            row_type(row),
            guard(description(row)),
            tx_hash_cell(row.tx_hash),
        ])
    return buffer.getvalue()


def row_type(row: Row) -> str:
    """The row's Type (see above)."""
    if row.kind is Kind.TRADE or (row.sent is not None and row.received is not None):
        return TRADE
    if row.kind is Kind.INCOME:
        return STAKING if income_kind(row.protocol) == STAKING_REWARD else INCOME
    if row.kind is Kind.FEE:
        return FEE
    return WITHDRAWAL if row.sent is not None else DEPOSIT
