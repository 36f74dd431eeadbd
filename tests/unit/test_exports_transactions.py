from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from scanner.formats.coinledger import coinledger_csv
from scanner.formats.cointracker import cointracker_csv
from scanner.formats.koinly import koinly_csv, read_koinly
from scanner.formats.transactions import Side, transaction_rows
from scanner.ledger.records import Kind, LedgerEntry
from tests.unit.builders import ETH, OTHER, TKN, USDC, WALLET, day, leg

LP = "eip155:1/erc20:0x" + "22" * 20
JUNK = "eip155:1/erc20:0x" + "33" * 20
EVIL = "eip155:1/erc20:0x" + "44" * 20
SYMBOLS = {ETH: "ETH", USDC: "USDC", TKN: "TKN", LP: "UNI-V2", JUNK: "SPAM"}
DECIMALS = {USDC: 6}
BUY_AT = datetime(2024, 1, 10, 12, 30, 45, tzinfo=UTC)


def at(when: datetime, kind: Kind, asset: str, quantity: str, usd: str | None, *,
       key: str, wallet: str = WALLET, protocol: str = "uniswap-v3") -> LedgerEntry:
    entry = leg(when, kind, asset, quantity, usd, key=key, wallet=wallet,
                decimals=DECIMALS.get(asset, 18))
    return replace(entry, symbol=SYMBOLS.get(asset), protocol=protocol)


def tx(when: datetime) -> str:
    return "0x" + format(int(when.timestamp()), "064x")


BUY = [at(BUY_AT, Kind.TRADE, USDC, "-2000", "2000", key="log:1"),
       at(BUY_AT, Kind.TRADE, ETH, "1", "2000", key="trace:0"),
       at(BUY_AT, Kind.FEE, ETH, "-0.002", "4", key="gas")]
SALE = [at(day(2024, 3, 5), Kind.TRADE, ETH, "-0.5", "1500", key="native"),
        at(day(2024, 3, 5), Kind.TRADE, USDC, "1500", "1500", key="log:3"),
        at(day(2024, 3, 5), Kind.FEE, ETH, "-0.001", "3", key="gas")]
CLAIM = [at(day(2024, 4, 1), Kind.INCOME, TKN, "100", "50", key="log:0", protocol="merkl"),
         at(day(2024, 4, 1), Kind.FEE, ETH, "-0.0005", "1.5", key="gas", protocol="merkl")]
TRANSFER_IN = [at(day(2024, 5, 1), Kind.TRANSFER_IN, USDC, "250", None, key="log:2",
                  protocol="transfer")]
SELF = [at(day(2024, 6, 1), Kind.SELF_TRANSFER, ETH, "-0.2", "700", key="native",
           protocol="transfer"),
        at(day(2024, 6, 1), Kind.FEE, ETH, "-0.0004", "1.4", key="gas", protocol="transfer"),
        at(day(2024, 6, 1), Kind.SELF_TRANSFER, ETH, "0.2", "700", key="native",
           wallet=OTHER, protocol="transfer")]
SPAM = [at(day(2024, 6, 15), Kind.SPAM, JUNK, "1000000", None, key="log:0",
           protocol="transfer")]
LP_DEPOSIT = [at(day(2024, 7, 1), Kind.TRADE, ETH, "-1", "3000", key="native"),
              at(day(2024, 7, 1), Kind.TRADE, USDC, "-3000", "3000", key="log:1"),
              at(day(2024, 7, 1), Kind.TRADE, LP, "50", "6000", key="log:4"),
              at(day(2024, 7, 1), Kind.FEE, ETH, "-0.003", "9", key="gas")]
TWO_FEES = [at(day(2024, 8, 1), Kind.TRADE, TKN, "-10", "5", key="log:1"),
            at(day(2024, 8, 1), Kind.TRADE, ETH, "0.001", "5", key="trace:0"),
            at(day(2024, 8, 1), Kind.FEE, ETH, "-0.0001", "0.3", key="gas"),
            at(day(2024, 8, 1), Kind.FEE, USDC, "-0.5", "0.5", key="log:9")]
# out of order on purpose: the exports put them in ledger order
LEDGER = SALE + BUY + CLAIM + TRANSFER_IN + SELF + SPAM + LP_DEPOSIT + TWO_FEES

A = WALLET
B = OTHER
H_BUY, H_SALE, H_CLAIM, H_IN, H_SELF, H_LP, H_TWO = (
    tx(BUY_AT), tx(day(2024, 3, 5)), tx(day(2024, 4, 1)), tx(day(2024, 5, 1)),
    tx(day(2024, 6, 1)), tx(day(2024, 7, 1)), tx(day(2024, 8, 1)))


def cells(text: str) -> list[list[str]]:
    assert text.endswith("\r\n")
    assert text.count("\n") == text.count("\r\n") == text.count("\r")  # CRLF line ends
    return list(csv.reader(io.StringIO(text, newline="")))


# ---- the shared rows ---------------------------------------------------------------------


def test_rows_net_each_asset_and_keep_the_order_given_on_ties() -> None:
    when = day(2024, 2, 1)
    swap = [at(when, Kind.TRADE, ETH, "-1", "3000", key="native"),
            at(when, Kind.TRADE, ETH, "0.25", "750", key="trace:1"),  # a refund
            at(when, Kind.TRADE, USDC, "2250", "2250", key="log:0")]
    late = at(day(2024, 2, 2), Kind.TRANSFER_IN, TKN, "1", None, key="log:0")
    tie = at(when, Kind.TRANSFER_IN, TKN, "2", "4", key="log:0", wallet=OTHER)
    rows = transaction_rows([late, *swap, tie])
    assert [(r.kind, r.wallet, r.sent, r.received, r.fee) for r in rows] == [
        (Kind.TRADE, A, Side(ETH, "ETH", Decimal("0.75"), Decimal("2250"), Kind.TRADE),
         Side(USDC, "USDC", Decimal("2250"), Decimal("2250"), Kind.TRADE), None),
        (Kind.TRANSFER_IN, B, None, Side(TKN, "TKN", Decimal(2), Decimal(4),
                                         Kind.TRANSFER_IN), None),
        (Kind.TRANSFER_IN, A, None, Side(TKN, "TKN", Decimal(1), None, Kind.TRANSFER_IN),
         None),
    ]


def test_rows_name_a_currency_by_its_asset_id_without_a_symbol() -> None:
    entry = replace(at(day(2024, 2, 1), Kind.TRANSFER_IN, TKN, "1", None, key="log:0"),
                    symbol=None)
    (row,) = transaction_rows([entry])
    assert row.received is not None and row.received.currency == TKN


def test_rows_leave_out_spam_and_a_group_of_spam_only() -> None:
    assert transaction_rows(SPAM) == []


# ---- Koinly --------------------------------------------------------------------------------


def test_koinly_every_row() -> None:
    text = koinly_csv(LEDGER)
    assert text.startswith(
        "Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,"
        "Fee Currency,Net Worth Amount,Net Worth Currency,Label,Description,TxHash\r\n")
    uni, merkl, transfer = f"{A} (uniswap-v3)", f"{A} (merkl)", f"{A} (transfer)"
    assert cells(text)[1:] == [
        ["2024-01-10 12:30", "2000", "USDC", "1", "ETH", "0.002", "ETH", "2000", "USD",
         "", uni, H_BUY],
        ["2024-03-05 12:00", "0.5", "ETH", "1500", "USDC", "0.001", "ETH", "1500", "USD",
         "", uni, H_SALE],
        # Koinly takes no fee on a deposit: the claim's gas is a cost of its own
        ["2024-04-01 12:00", "", "", "100", "TKN", "", "", "50", "USD", "reward", merkl,
         H_CLAIM],
        ["2024-04-01 12:00", "0.0005", "ETH", "", "", "", "", "1.5", "USD", "cost", merkl,
         H_CLAIM],
        ["2024-05-01 12:00", "", "", "250", "USDC", "", "", "", "", "", transfer, H_IN],
        # issue 19: a self transfer is no event in the one Koinly wallet of the file: only
        # its fee stays, a cost
        ["2024-06-01 12:00", "0.0004", "ETH", "", "", "", "", "1.4", "USD", "cost",
         transfer, H_SELF],
        ["2024-07-01 12:00", "1", "ETH", "", "", "0.003", "ETH", "3000", "USD", "", uni,
         H_LP],
        ["2024-07-01 12:00", "3000", "USDC", "", "", "", "", "3000", "USD", "", uni, H_LP],
        ["2024-07-01 12:00", "", "", "50", "UNI-V2", "", "", "6000", "USD", "", uni, H_LP],
        ["2024-08-01 12:00", "10", "TKN", "0.001", "ETH", "0.0001", "ETH", "5", "USD", "",
         uni, H_TWO],
        ["2024-08-01 12:00", "0.5", "USDC", "", "", "", "", "0.5", "USD", "cost", uni,
         H_TWO],
    ]


def test_koinly_trade_worth_falls_back_to_the_sent_value() -> None:
    trade = [at(day(2024, 2, 1), Kind.TRADE, ETH, "-1", "3000", key="native"),
             at(day(2024, 2, 1), Kind.TRADE, TKN, "5", None, key="log:0")]
    assert cells(koinly_csv(trade))[1][7:9] == ["3000", "USD"]
    unknown = [replace(entry, usd_value=None) for entry in trade]
    assert cells(koinly_csv(unknown))[1][7:9] == ["", ""]


def _key(entry: LedgerEntry) -> tuple[object, ...]:
    minute = entry.timestamp.replace(second=0)  # Koinly's dates are to the minute
    return (minute, entry.kind, entry.asset, entry.quantity, entry.usd_value)


def test_koinly_export_imports_back_with_the_same_trades_and_income(tmp_path: Path) -> None:
    path = tmp_path / "koinly.csv"
    path.write_text(koinly_csv(LEDGER), encoding="utf-8", newline="")
    back = read_koinly(path, account="koinly:taxscan",
                       assets={"TKN": TKN, "UNI-V2": LP})
    # trades with one asset each way and income: kind, asset, quantity, USD value and the
    # timestamp to the minute come back; the trade's sent leg takes the received leg's
    # value (Koinly has one Net Worth a row), equal here
    one_to_one = BUY + SALE + CLAIM + TWO_FEES
    wanted = sorted((_key(e) for e in one_to_one if e.kind in (Kind.TRADE, Kind.INCOME)),
                    key=str)
    got = sorted((_key(e) for e in back if e.kind in (Kind.TRADE, Kind.INCOME)), key=str)
    assert got == wanted
    # a fee on a row that sends comes back as a fee, by quantity (Koinly values it itself)
    on_sends = BUY + SALE + LP_DEPOSIT + TWO_FEES[:3]
    assert sorted((e.asset, e.quantity, e.usd_value) for e in back if e.kind is Kind.FEE) \
        == sorted((e.asset, e.quantity, None) for e in on_sends if e.kind is Kind.FEE)
    # what does not come back as it was: a fee on a row of its own is a send (transfer_out,
    # valued); an LP deposit's rows are plain sends and a receipt; a self transfer is gone
    # but for its fee (issue 19); wallets, chains of the legs' groups, leg keys and blocks
    # are the importer's own
    assert sorted((e.kind, e.asset, e.quantity, e.usd_value) for e in back
                  if e.kind in (Kind.TRANSFER_OUT, Kind.TRANSFER_IN)) == sorted([
                      (Kind.TRANSFER_OUT, ETH, Decimal("-0.0005"), Decimal("1.5")),
                      (Kind.TRANSFER_OUT, USDC, Decimal("-0.5"), Decimal("0.5")),
                      (Kind.TRANSFER_IN, USDC, Decimal(250), None),
                      (Kind.TRANSFER_OUT, ETH, Decimal("-0.0004"), Decimal("1.4")),
                      (Kind.TRANSFER_OUT, ETH, Decimal(-1), Decimal(3000)),
                      (Kind.TRANSFER_OUT, USDC, Decimal(-3000), Decimal(3000)),
                      (Kind.TRANSFER_IN, LP, Decimal(50), Decimal(6000)),
                  ])
    assert {e.tx_hash for e in back} == {H_BUY, H_SALE, H_CLAIM, H_IN, H_SELF, H_LP, H_TWO}
    assert {e.wallet for e in back} == {"koinly:taxscan"}


# ---- CoinTracker ---------------------------------------------------------------------------


def test_cointracker_every_row() -> None:
    text = cointracker_csv(LEDGER)
    assert text.startswith("Date,Received Quantity,Received Currency,Sent Quantity,"
                           "Sent Currency,Fee Amount,Fee Currency,Tag\r\n")
    assert cells(text)[1:] == [
        ["01/10/2024 12:30:45", "1", "ETH", "2000", "USDC", "0.002", "ETH", ""],
        ["03/05/2024 12:00:00", "1500", "USDC", "0.5", "ETH", "0.001", "ETH", ""],
        ["04/01/2024 12:00:00", "100", "TKN", "", "", "0.0005", "ETH", "payment"],
        ["05/01/2024 12:00:00", "250", "USDC", "", "", "", "", ""],
        # issue 19: a self transfer is no event in the one CoinTracker wallet of the file:
        # its fee stays, an untagged send
        ["06/01/2024 12:00:00", "", "", "0.0004", "ETH", "", "", ""],
        ["07/01/2024 12:00:00", "", "", "1.003", "ETH", "0.003", "ETH", ""],
        ["07/01/2024 12:00:00", "", "", "3000", "USDC", "", "", ""],
        ["07/01/2024 12:00:00", "50", "UNI-V2", "", "", "", "", ""],
        ["08/01/2024 12:00:00", "0.001", "ETH", "10", "TKN", "0.0001", "ETH", ""],
        ["08/01/2024 12:00:00", "", "", "0.5", "USDC", "", "", ""],
    ]


def test_cointracker_send_paying_its_fee_in_another_asset_keeps_its_quantity() -> None:
    send = [at(day(2024, 2, 1), Kind.TRANSFER_OUT, USDC, "-10", "10", key="log:0"),
            at(day(2024, 2, 1), Kind.FEE, ETH, "-0.001", "3", key="gas")]
    assert cells(cointracker_csv(send))[1] == [
        "02/01/2024 12:00:00", "", "", "10", "USDC", "0.001", "ETH", ""]


# ---- CoinLedger ----------------------------------------------------------------------------


def test_coinledger_every_row() -> None:
    text = coinledger_csv(LEDGER)
    assert text.startswith(
        "Date (UTC),Platform (Optional),Asset Sent,Amount Sent,Asset Received,"
        "Amount Received,Fee Currency (Optional),Fee Amount (Optional),Type,"
        "Description (Optional),TxHash (Optional)\r\n")
    uni, merkl, transfer = f"{A} (uniswap-v3)", f"{A} (merkl)", f"{A} (transfer)"
    eth = "Ethereum"
    assert cells(text)[1:] == [
        ["01/10/2024 12:30:45", eth, "USDC", "2000", "ETH", "1", "ETH", "0.002", "Trade", uni,
         H_BUY],
        ["03/05/2024 12:00:00", eth, "ETH", "0.5", "USDC", "1500", "ETH", "0.001", "Trade",
         uni, H_SALE],
        ["04/01/2024 12:00:00", eth, "", "", "TKN", "100", "ETH", "0.0005", "Income", merkl,
         H_CLAIM],
        ["05/01/2024 12:00:00", eth, "", "", "USDC", "250", "", "", "Deposit", transfer,
         H_IN],
        ["06/01/2024 12:00:00", eth, "ETH", "0.2", "", "", "ETH", "0.0004", "Withdrawal",
         transfer, H_SELF],
        ["06/01/2024 12:00:00", eth, "", "", "ETH", "0.2", "", "", "Deposit",
         f"{B} (transfer)", H_SELF],
        ["07/01/2024 12:00:00", eth, "ETH", "1", "", "", "ETH", "0.003", "Trade", uni, H_LP],
        ["07/01/2024 12:00:00", eth, "USDC", "3000", "", "", "", "", "Trade", uni, H_LP],
        ["07/01/2024 12:00:00", eth, "", "", "UNI-V2", "50", "", "", "Trade", uni, H_LP],
        ["08/01/2024 12:00:00", eth, "TKN", "10", "ETH", "0.001", "ETH", "0.0001", "Trade",
         uni, H_TWO],
        ["08/01/2024 12:00:00", eth, "USDC", "0.5", "", "", "", "", "Merchant Payment", uni,
         H_TWO],
    ]


def test_coinledger_platform_is_empty_for_a_chain_the_registry_does_not_know() -> None:
    entry = replace(at(day(2024, 2, 1), Kind.TRANSFER_IN, TKN, "1", None, key="log:0"),
                    chain_id=999_999)
    assert cells(coinledger_csv([entry]))[1][1] == ""


# ---- the formula guard ---------------------------------------------------------------------


def test_a_formula_in_a_symbol_or_a_wallet_name_is_guarded_in_every_format() -> None:
    evil = '=HYPERLINK("http://evil.example","click")'
    entry = replace(at(day(2024, 2, 1), Kind.TRANSFER_IN, EVIL, "7", None, key="log:0",
                       wallet="@account", protocol="transfer"),
                    symbol=evil, tx_hash="import:1")
    guarded = "'" + evil
    assert cells(koinly_csv([entry]))[1] == [
        "2024-02-01 12:00", "", "", "7", guarded, "", "", "", "", "",
        "'@account (transfer)", ""]
    assert cells(cointracker_csv([entry]))[1] == [
        "02/01/2024 12:00:00", "7", guarded, "", "", "", "", ""]
    assert cells(coinledger_csv([entry]))[1] == [
        "02/01/2024 12:00:00", "Ethereum", "", "", guarded, "7", "", "", "Deposit",
        "'@account (transfer)", ""]
