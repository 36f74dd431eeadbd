from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from chains.errors import AddressError, UserInputError
from chains.registry import chain_by_id
from scanner.formats.koinly import DEFAULT_ASSETS, read_koinly
from scanner.ledger.records import Kind, LedgerEntry

ACCOUNT = "koinly:coinbase"
HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,"
          "Fee Currency,Net Worth Amount,Net Worth Currency,Label,Description,TxHash\n")
BTC = "bip122:000000000019d6689c085ae165831e93/slip44:0"
ETH = "eip155:1/slip44:60"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
SOL = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/slip44:501"
HASH = "0x" + "Ab" * 32
WHEN = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)


def write(tmp_path: Path, *rows: str, bom: bool = False) -> Path:
    path = tmp_path / "koinly.csv"
    text = ("\ufeff" if bom else "") + HEADER + "".join(row + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")
    return path


def synthetic(row: str) -> str:
    return "koinly:" + hashlib.sha256(row.encode("utf-8")).hexdigest()[:32]


def leg(tx_hash: str, leg_key: str, line: int, kind: Kind, asset: str, symbol: str,
        raw_amount: int, decimals: int, usd_value: str | None, *, chain_id: int,
        group_chain: int, when: datetime = WHEN, protocol: str = "koinly") -> LedgerEntry:
    return LedgerEntry(
        chain_id=chain_id, tx_hash=tx_hash, leg_key=leg_key, log_index=None, block_number=0,
        tx_index=line, timestamp=when, wallet=ACCOUNT, kind=kind, protocol=protocol,
        asset=asset, symbol=symbol, raw_amount=raw_amount, decimals=decimals,
        counterparty=None, group_id=f"{group_chain}:{tx_hash}:{ACCOUNT}",
        usd_value=None if usd_value is None else Decimal(usd_value),
        price_source=None if usd_value is None else "koinly",
    )


def test_a_crypto_trade_with_a_crypto_fee(tmp_path: Path) -> None:
    row = f"2024-03-01 12:30,0.5,BTC,10.25,ETH,0.0001,BTC,30000.00,USD,,swap,{HASH}"
    tx = HASH.lower()
    assert read_koinly(write(tmp_path, row), account=ACCOUNT) == [
        leg(tx, "sent", 2, Kind.TRADE, BTC, "BTC", -5, 1, "30000.00", chain_id=0,
            group_chain=0),
        leg(tx, "received", 2, Kind.TRADE, ETH, "ETH", 1025, 2, "30000.00", chain_id=1,
            group_chain=0),
        leg(tx, "fee", 2, Kind.FEE, BTC, "BTC", -1, 4, None, chain_id=0, group_chain=0),
    ]


def test_a_trade_without_a_net_worth_has_unknown_values(tmp_path: Path) -> None:
    row = "2024-03-01 12:30,100,USDC,0.03,ETH,,,,,,,"
    assert read_koinly(write(tmp_path, row), account=ACCOUNT) == [
        leg(synthetic(row), "sent", 2, Kind.TRADE, USDC, "USDC", -100, 0, None, chain_id=1,
            group_chain=1),
        leg(synthetic(row), "received", 2, Kind.TRADE, ETH, "ETH", 3, 2, None, chain_id=1,
            group_chain=1),
    ]


def test_a_buy_with_usd_takes_the_usd_and_the_usd_fee_as_its_value(tmp_path: Path) -> None:
    # the basis is what was paid (IRC 1012), whatever the row's Net Worth says (issue 17)
    bought = "2024-03-01 12:30:45,1000,USD,0.02,BTC,5.50,USD,,,,,"
    valued = "2024-03-01 12:30,1000,usd,0.02,BTC,5.50,USD,1010.00,USD,,,"
    at = datetime(2024, 3, 1, 12, 30, 45, tzinfo=UTC)
    assert read_koinly(write(tmp_path, bought, valued), account=ACCOUNT) == [
        leg(synthetic(bought), "received", 2, Kind.TRADE, BTC, "BTC", 2, 2, "1005.50",
            chain_id=0, group_chain=0, when=at),
        leg(synthetic(valued), "received", 3, Kind.TRADE, BTC, "BTC", 2, 2, "1005.50",
            chain_id=0, group_chain=0),
    ]


def test_a_sale_for_usd_takes_the_usd_less_the_usd_fee(tmp_path: Path) -> None:
    # the proceeds are what was received (IRC 1001(b)), not the Net Worth (issue 17)
    sold = "2024-03-01 12:30,1.5,ETH,3000.00,USD,10,USD,3100,USD,,,"
    crypto_fee = "2024-03-01 12:30,1.5,ETH,3000.00,USD,0.001,ETH,,,,,"
    assert read_koinly(write(tmp_path, sold, crypto_fee), account=ACCOUNT) == [
        leg(synthetic(sold), "sent", 2, Kind.TRADE, ETH, "ETH", -15, 1, "2990.00",
            chain_id=1, group_chain=1),
        leg(synthetic(crypto_fee), "sent", 3, Kind.TRADE, ETH, "ETH", -15, 1, "3000.00",
            chain_id=1, group_chain=1),
        leg(synthetic(crypto_fee), "fee", 3, Kind.FEE, ETH, "ETH", -1, 3, None, chain_id=1,
            group_chain=1),
    ]


@pytest.mark.parametrize(("label", "kind"), [
    ("airdrop", Kind.INCOME), ("Fork", Kind.INCOME), ("mining", Kind.INCOME),
    ("reward", Kind.INCOME), ("income", Kind.INCOME), ("STAKING", Kind.INCOME),
    ("lending interest", Kind.INCOME), ("Other Income", Kind.INCOME),
    ("lending_interest", Kind.INCOME), ("", Kind.TRANSFER_IN), ("cashback", Kind.TRANSFER_IN),
    ("realized gain", Kind.TRANSFER_IN), ("gift", Kind.TRANSFER_IN),
])
def test_a_receipt_is_income_by_its_label_else_a_transfer_in(
        tmp_path: Path, label: str, kind: Kind) -> None:
    row = f"2024-03-01 12:30,,,0.00000001,BTC,,,0.00065,USD,{label},,"
    assert read_koinly(write(tmp_path, row), account=ACCOUNT) == [
        leg(synthetic(row), "received", 2, kind, BTC, "BTC", 1, 8, "0.00065", chain_id=0,
            group_chain=0,
            # issue 19: a staking row is staking income (protocol "staking": kind reward)
            protocol="staking" if label == "STAKING" else "koinly"),
    ]


@pytest.mark.parametrize("label", ["", "gift", "lost", "cost", "donation", "stake",
                                   "margin fee"])
def test_a_sending_is_a_transfer_out_whatever_its_label(tmp_path: Path, label: str) -> None:
    row = f"2024-03-01 12:30,2,ETH,,,0.0021,ETH,,,{label},to my ledger,{HASH}"
    tx = HASH.lower()
    assert read_koinly(write(tmp_path, row), account=ACCOUNT) == [
        leg(tx, "sent", 2, Kind.TRANSFER_OUT, ETH, "ETH", -2, 0, None, chain_id=1,
            group_chain=1),
        leg(tx, "fee", 2, Kind.FEE, ETH, "ETH", -21, 4, None, chain_id=1, group_chain=1),
    ]


def test_rows_moving_usd_only_make_no_legs_but_a_crypto_fee(tmp_path: Path) -> None:
    rows = ["2024-03-01 12:30,,,500,USD,,,,,,deposit,",
            "2024-03-01 12:30,500,USD,,,1.00,USD,,,,withdrawal,",
            "2024-03-01 12:31,,,500,USD,0.001,ETH,,,,,"]
    assert read_koinly(write(tmp_path, *rows), account=ACCOUNT) == [
        leg(synthetic(rows[2]), "fee", 4, Kind.FEE, ETH, "ETH", -1, 3, None, chain_id=1,
            group_chain=1, when=datetime(2024, 3, 1, 12, 31, tzinfo=UTC)),
    ]


def test_the_synthetic_id_is_stable_and_repeats_are_numbered(tmp_path: Path) -> None:
    row = "2024-03-01 12:30,,,1,ETH,,,,,,,not-a-hash"
    other = "2024-03-01 12:30,,,1,ETH,,,,,,,  "
    entries = read_koinly(write(tmp_path, row, other, row, row), account=ACCOUNT)
    base = synthetic(row)
    assert len(base) == len("koinly:") + 32
    assert [(e.tx_hash, e.leg_key, e.tx_index) for e in entries] == [
        (base, "received", 2), (synthetic(other), "received", 3),
        (base + ":2", "received", 4), (base + ":3", "received", 5)]
    assert [e.group_id for e in entries] == [f"1:{e.tx_hash}:{ACCOUNT}" for e in entries]
    again = read_koinly(write(tmp_path, "", row), account=ACCOUNT)  # moved down one line
    assert [(e.tx_hash, e.tx_index) for e in again] == [(base, 3)]


def test_a_hash_shared_by_rows_numbers_its_leg_keys(tmp_path: Path) -> None:
    rows = [f"2024-03-01 12:30,,,1,ETH,,,,,,,{HASH}", f"2024-03-01 12:30,,,2,ETH,,,,,,,{HASH}"]
    entries = read_koinly(write(tmp_path, *rows), account=ACCOUNT)
    assert [(e.tx_hash, e.leg_key) for e in entries] == [(HASH.lower(), "received"),
                                                         (HASH.lower(), "received:2")]


def test_user_assets_extend_and_override_the_defaults_in_any_case(tmp_path: Path) -> None:
    rows = ["2024-03-01 12:30,,,3.25,sol,,,,,,,", "2024-03-01 12:30,,,1,ETH,,,,,,,"]
    arbitrum_eth = "eip155:42161/slip44:60"
    entries = read_koinly(write(tmp_path, *rows), account=ACCOUNT,
                          assets={"SOL": SOL, "eth": "EIP155:42161/SLIP44:60"})
    assert [(e.asset, e.symbol, e.chain_id, e.group_id.split(":")[0]) for e in entries] == [
        (SOL, "sol", 0, "0"), (arbitrum_eth, "ETH", 42161, "42161")]


def test_bad_user_assets_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "2024-03-01 12:30,,,1,ETH,,,,,,,")
    with pytest.raises(AddressError, match="asset id for SOL: not a CAIP-19 asset id"):
        read_koinly(path, account=ACCOUNT, assets={"SOL": "solana"})
    with pytest.raises(UserInputError, match="cannot map 'EUR'"):
        read_koinly(path, account=ACCOUNT, assets={"EUR": SOL})


def test_every_unmapped_currency_is_named_at_once(tmp_path: Path) -> None:
    # issue 19: a symbol without an asset id gets a local one; only a symbol that cannot
    # be one (a space, a slash, a question mark) is still refused
    rows = ["2024-03-01 12:30,,,1,MY SOL,,,,,,,",
            "2024-03-01 12:30,1,ETH,5,FOO/X,,,,,,,",
            "2024-03-01 12:30,,,1,my sol,0.1,BAR?,,,,,"]
    with pytest.raises(UserInputError) as raised:
        read_koinly(write(tmp_path, *rows), account=ACCOUNT)
    assert str(raised.value) == (
        f"{tmp_path / 'koinly.csv'}: no asset id for MY SOL (line 2), FOO/X (line 3), "
        "BAR? (line 4): map each to a CAIP-19 asset id (--asset SYMBOL=ASSET_ID, "
        "e.g. --asset ETH=eip155:1/slip44:60)")


@pytest.mark.parametrize("row", [
    "2024-03-01 12:30,100,EUR,0.01,BTC,,,,,,,",
    "2024-03-01 12:30,0.01,BTC,100,gbp,,,,,,,",
    "2024-03-01 12:30,,,0.01,BTC,1,CHF,,,,,",
    "2024-03-01 12:30,,,0.01,BTC,,,100,JPY,,,",
])
def test_fiat_other_than_usd_is_refused(tmp_path: Path, row: str) -> None:
    with pytest.raises(UserInputError, match=r"koinly\.csv:3: .*only USD values are supported"):
        read_koinly(write(tmp_path, "2024-03-01 12:30,,,1,ETH,,,,,,,", row), account=ACCOUNT)


@pytest.mark.parametrize(("row", "words"), [
    ("2024-03-01T12:30:00Z,,,1,ETH,,,,,,,",
     "Date is not YYYY-MM-DD HH:MM[:SS] (UTC): '2024-03-01T12:30:00Z'"),
    ("2024-02-30 12:30,,,1,ETH,,,,,,,", "Date is not"),
    ("01/03/2024 12:30,,,1,ETH,,,,,,,", "Date is not"),
    (",,,1,ETH,,,,,,,", "Date is not"),
    ("2024-03-01 12:30,,,1,,,,,,,,", "Received Amount '1' has no Received Currency"),
    ("2024-03-01 12:30,,ETH,1,BTC,,,,,,,", "Sent Currency 'ETH' has no Sent Amount"),
    ("2024-03-01 12:30,,,1,ETH,0.1,,,,,,", "Fee Amount '0.1' has no Fee Currency"),
    ("2024-03-01 12:30,,,1,ETH,,,100,,,,", "Net Worth Amount '100' has no Net Worth Currency"),
    ("2024-03-01 12:30,,,-1,ETH,,,,,,,", "Received Amount is not a decimal number above 0: '-1'"),
    ("2024-03-01 12:30,,,0,ETH,,,,,,,", "Received Amount is not a decimal number above 0"),
    ("2024-03-01 12:30,,,1.2.3,ETH,,,,,,,", "Received Amount is not a decimal number"),
    ("2024-03-01 12:30,,,1,ETH,,,-5,USD,,,", "Net Worth Amount is not a decimal number from 0"),
    ("2024-03-01 12:30,,,1,ETH,,,5,BTC,,,", "Net Worth Currency must be USD, not 'BTC'"),
    ("2024-03-01 12:30,,,,,0.1,ETH,,,,,", "the row neither sends nor receives anything"),
    ("2024-03-01 12:30,1,BTC,20,ETH,5,USD,,,,,", "a USD fee is only supported on a buy or a sale"),
    ("2024-03-01 12:30,,,1,ETH,5,USD,,,,,", "a USD fee is only supported on a buy or a sale"),
    ("2024-03-01 12:30,1,ETH,5,USD,6,USD,,,,,", "the USD fee is larger than the USD value"),
    ("2024-03-01 12:30,,,1,ETH,,,,,,", "expected 12 fields, found 11"),
])
def test_a_bad_row_names_its_line_and_problem(tmp_path: Path, row: str, words: str) -> None:
    with pytest.raises(UserInputError) as raised:
        read_koinly(write(tmp_path, "2024-03-01 12:30,,,1,ETH,,,,,,,", "", row),
                    account=ACCOUNT)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'koinly.csv'}:4: ")
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize("date", ["2024-03-01 12:30", "2024-03-01 12:30:00",
                                  "2024-03-01 12:30 UTC", "2024-03-01 12:30:00 UTC"])
def test_dates_with_or_without_seconds_and_utc(tmp_path: Path, date: str) -> None:
    [entry] = read_koinly(write(tmp_path, f"{date},,,1,ETH,,,,,,,"), account=ACCOUNT)
    assert entry.timestamp == WHEN


def test_a_bom_blank_rows_and_quoted_cells(tmp_path: Path) -> None:
    row = '2024-03-01 12:30,,,"1.50",ETH,,,"1,234.00",USD,,"a, b",'
    with pytest.raises(UserInputError,
                       match=r"koinly\.csv:2: Net Worth Amount is not a decimal number from 0: "
                             r"'1,234\.00'"):
        read_koinly(write(tmp_path, row, bom=True), account=ACCOUNT)
    row = '2024-03-01 12:30,,,"1.50",ETH,,,"1234.00",USD,,"a, b",'
    entries = read_koinly(write(tmp_path, "", ",,,,,,,,,,,", row, "", bom=True),
                          account=ACCOUNT)
    assert entries == [leg(synthetic(row), "received", 4, Kind.TRANSFER_IN, ETH, "ETH", 150,
                           2, "1234.00", chain_id=1, group_chain=1)]


def test_a_wrong_header_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "koinly.csv"
    path.write_text(HEADER.replace("Label", "Tag") + "2024-03-01 12:30,,,1,ETH,,,,,,,\n")
    with pytest.raises(UserInputError,
                       match=r"koinly\.csv:1: header columns missing 'Label'; unknown 'Tag'"):
        read_koinly(path, account=ACCOUNT)
    path.write_text("Date,Amount,Currency\n")
    with pytest.raises(UserInputError, match=r"missing 'Sent Amount', 'Sent Currency'"):
        read_koinly(path, account=ACCOUNT)
    with pytest.raises(UserInputError, match="cannot read Koinly file"):
        read_koinly(tmp_path / "absent.csv", account=ACCOUNT)


def test_amounts_keep_every_digit_as_written(tmp_path: Path) -> None:
    rows = ["2024-03-01 12:30,,,0.000000000000000001,ETH,,,,,,,",
            "2024-03-01 12:30,,,123456789012345678901234567890.123456789012345678,ETH,,,,,,,",
            "2024-03-01 12:30,,,1.10,ETH,,,,,,,"]
    entries = read_koinly(write(tmp_path, *rows), account=ACCOUNT)
    assert [(e.raw_amount, e.decimals) for e in entries] == [
        (1, 18), (123456789012345678901234567890123456789012345678, 18), (110, 2)]
    assert [e.quantity for e in entries] == [
        Decimal("1e-18"), Decimal("123456789012345678901234567890.123456789012345678"),
        Decimal("1.10")]


def test_the_default_assets_are_the_registry_s_ethereum_ones() -> None:
    ethereum = chain_by_id(1)
    assert DEFAULT_ASSETS["ETH"] == ethereum.native_asset
    assert DEFAULT_ASSETS["WETH"] == ethereum.wrapped_native_asset
    assert {DEFAULT_ASSETS[s] for s in ("USDC", "USDT", "DAI")} == ethereum.stablecoin_assets
    assert DEFAULT_ASSETS["BTC"] == BTC
