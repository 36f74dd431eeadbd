from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.errors import UserInputError
from scanner.formats.ledger_csv import read_ledger_csv
from scanner.formats.render import to_csv
from scanner.formats.rows import LEDGER, ledger_rows
from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry

WALLET = "0x" + "aa" * 20
OTHER = "0x" + "bb" * 20
ETH = "eip155:1/slip44:60"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
BTC = "bip122:000000000019d6689c085ae165831e93/slip44:0"
TX1 = "0x" + "11" * 32
TX2 = "0x" + "22" * 32
WHEN = datetime(2024, 3, 1, 12, 30, 5, tzinfo=UTC)
HEADER = ",".join(LEDGER.fields) + "\n"
# the fields of an entry a ledger CSV carries, and how to read each from an entry
CARRIED = ("timestamp", "chain_id", "block_number", "tx_hash", "log_index", "wallet", "kind",
           "protocol", "asset", "symbol", "quantity", "usd_value", "price_source",
           "counterparty", "group_id")


def entry(raw_amount: int, decimals: int = 18, *, kind: Kind = Kind.TRADE, asset: str = ETH,
          symbol: str | None = "ETH", tx_hash: str = TX1, wallet: str = WALLET,
          log_index: int | None = None, usd_value: Decimal | None = Decimal("12.34"),
          price_source: str | None = "coingecko", counterparty: str | None = OTHER,
          protocol: str = "uniswap-v2", chain_id: int = 1) -> LedgerEntry:
    return LedgerEntry(
        chain_id=chain_id, tx_hash=tx_hash, leg_key="whatever", log_index=log_index,
        block_number=19_000_000, tx_index=7, timestamp=WHEN, wallet=wallet, kind=kind,
        protocol=protocol, asset=asset, symbol=symbol, raw_amount=raw_amount,
        decimals=decimals, counterparty=counterparty,
        group_id=group_id(chain_id, tx_hash, wallet), usd_value=usd_value,
        price_source=price_source,
    )


def rendered(entries: list[LedgerEntry]) -> str:
    """The CSV `taxscan ledger --format csv` writes for these entries."""
    return to_csv(ledger_rows(entries), LEDGER.fields)


def write(tmp_path: Path, text: str, name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_same_carried(read: list[LedgerEntry], written: list[LedgerEntry]) -> None:
    assert len(read) == len(written)
    for back, original in zip(read, written, strict=True):
        for field in CARRIED:
            assert getattr(back, field) == getattr(original, field), field
        assert type(back.quantity) is Decimal
        assert back.usd_value is None or type(back.usd_value) is Decimal


def test_entries_rendered_by_the_ledger_report_read_back_exactly(tmp_path: Path) -> None:
    written = [
        entry(-1_500_000_000_000_000_000, log_index=3, symbol="WETH"),
        entry(2_500_000_123, 6, asset=USDC, symbol="USDC", log_index=4,
              usd_value=Decimal("2500.00")),
        entry(-21_000 * 30_000_000_000, kind=Kind.FEE, usd_value=None, price_source=None,
              counterparty=None, protocol="gas"),
        entry(7, 0, kind=Kind.SPAM, asset="eip155:1/erc20:0x" + "ab" * 20,
              symbol="=HYPERLINK(\"http://x\")", log_index=9, usd_value=None,
              price_source=None, tx_hash=TX2, protocol="-transfer"),
        entry(1, 40, kind=Kind.TRANSFER_IN, symbol="-x", log_index=10, tx_hash=TX2,
              usd_value=Decimal("0.00"), price_source="+src", counterparty="@odd"),
        entry(10**59, 2, kind=Kind.INCOME, symbol="\tTAB", tx_hash=TX2, log_index=11,
              usd_value=Decimal("123456789012.99")),
        entry(3, 0, kind=Kind.INCOME, symbol="\n=LF", tx_hash=TX2, log_index=12,
              protocol=" two\r\nlines, \"quoted\" ", usd_value=Decimal("3.00")),
        entry(-5, 1, kind=Kind.SELF_TRANSFER, symbol=None, tx_hash=TX2, counterparty=WALLET,
              wallet=OTHER, usd_value=Decimal("1.00")),
        entry(100_000_000, 8, kind=Kind.TRANSFER_OUT, asset=BTC, symbol="BTC", chain_id=0,
              tx_hash="koinly:" + "ab" * 16, wallet="koinly:coinbase", protocol="koinly",
              counterparty=None, usd_value=Decimal("65000.10")),
    ]
    text = rendered(written)
    assert "'=HYPERLINK" in text and ",'-x," in text and ",'-transfer," in text  # guarded
    read = read_ledger_csv(write(tmp_path, text))
    assert_same_carried(read, written)
    assert [e.leg_key for e in read] == ["log:3", "log:4", "gas", "log:9", "log:10",
                                         "log:11", "log:12", "native", "native"]
    assert [e.tx_index for e in read] == [0] * 9
    assert [(e.raw_amount, e.decimals) for e in read] == [
        (-15, 1), (2500000123, 6), (-63, 5), (7, 0), (1, 40), (10**57, 0), (3, 0), (-5, 1),
        (1, 0)]
    assert rendered(read) == text  # and written again, the very same file


def test_a_bare_carriage_return_in_a_cell_reads_back(tmp_path: Path) -> None:
    written = [entry(1, 0, symbol="\rCR"), entry(2, 0, symbol="a\rb", log_index=1)]
    read = read_ledger_csv(write(tmp_path, rendered(written)))
    assert_same_carried(read, written)


@settings(max_examples=200, deadline=None)
@given(
    raw=st.one_of(st.integers(min_value=1, max_value=10**59 - 1),
                  st.sampled_from([1, 10**59 - 1, 10**18, 999_999_999_999_999_999])),
    negative=st.booleans(),
    decimals=st.integers(min_value=0, max_value=40),
    cents=st.one_of(st.none(), st.integers(min_value=0, max_value=10**15)),
)
def test_any_quantity_reads_back_exactly(raw: int, negative: bool, decimals: int,
                                         cents: int | None) -> None:
    usd = None if cents is None else Decimal(cents).scaleb(-2)
    written = [entry(-raw if negative else raw, decimals, usd_value=usd,
                     price_source=None if usd is None else "defillama")]
    with tempfile.TemporaryDirectory() as folder:
        read = read_ledger_csv(write(Path(folder), rendered(written)))
    assert_same_carried(read, written)
    quantity_text = ledger_rows(written)[0]["quantity"]
    fraction = quantity_text.partition(".")[2]
    assert read[0].decimals == len(fraction)
    assert read[0].raw_amount == int(quantity_text.replace(".", ""))


def row(**cells: str) -> str:
    values = {
        "timestamp": "2024-03-01T12:30:05Z", "chain_id": "1", "block_number": "19000000",
        "tx_hash": TX1, "log_index": "", "wallet": WALLET, "kind": "transfer_in",
        "protocol": "transfer", "asset": ETH, "symbol": "ETH", "quantity": "1.50",
        "usd_value": "", "price_source": "", "counterparty": "", "group_id": f"1:{TX1}:{WALLET}",
    }
    values.update(cells)
    return ",".join(values[field] for field in LEDGER.fields) + "\n"


def test_a_row_as_written_by_hand(tmp_path: Path) -> None:
    [read] = read_ledger_csv(write(tmp_path, HEADER + row()))
    assert read == LedgerEntry(
        chain_id=1, tx_hash=TX1, leg_key="native", log_index=None, block_number=19_000_000,
        tx_index=0, timestamp=WHEN, wallet=WALLET, kind=Kind.TRANSFER_IN, protocol="transfer",
        asset=ETH, symbol="ETH", raw_amount=150, decimals=2, counterparty=None,
        group_id=f"1:{TX1}:{WALLET}", usd_value=None, price_source=None)
    assert read.quantity == Decimal("1.50")


@pytest.mark.parametrize(("quantity", "raw_amount", "decimals"), [
    ("1.50", 150, 2),
    ("-0.000000000000000001", -1, 18),
    ("1000", 1000, 0),
    ("-42", -42, 0),
    ("0.1000000000000000000000000000000000000001", 10**39 + 1, 40),
    ("123456789012345678901234567890123456789012345678901234567890",
     123456789012345678901234567890123456789012345678901234567890, 0),
])
def test_decimals_are_the_fractional_digits_as_written(
        tmp_path: Path, quantity: str, raw_amount: int, decimals: int) -> None:
    [read] = read_ledger_csv(write(tmp_path, HEADER + row(quantity=quantity)))
    assert (read.raw_amount, read.decimals) == (raw_amount, decimals)
    assert read.quantity == Decimal(quantity)


def test_leg_keys_from_log_index_kind_and_repeats(tmp_path: Path) -> None:
    text = HEADER + "".join([
        row(log_index="5"),
        row(kind="fee", quantity="-0.001"),
        row(),
        row(),
        row(kind="fee", quantity="-0.002"),
        row(wallet=OTHER),
        row(tx_hash=TX2),
        row(log_index="5"),
        row(),
    ])
    read = read_ledger_csv(write(tmp_path, text))
    assert [(e.tx_hash, e.wallet, e.leg_key, e.log_index) for e in read] == [
        (TX1, WALLET, "log:5", 5),
        (TX1, WALLET, "gas", None),
        (TX1, WALLET, "native", None),
        (TX1, WALLET, "native:2", None),
        (TX1, WALLET, "gas:2", None),
        (TX1, OTHER, "native", None),
        (TX2, WALLET, "native", None),
        (TX1, WALLET, "log:5:2", 5),
        (TX1, WALLET, "native:3", None),
    ]


@pytest.mark.parametrize("stamp", ["2024-03-01T12:30:05Z", "2024-03-01T12:30:05+00:00",
                                   "2024-03-01T12:30:05", "2024-03-01 12:30:05",
                                   " 2024-03-01T12:30:05Z "])
def test_utc_timestamps_are_accepted(tmp_path: Path, stamp: str) -> None:
    [read] = read_ledger_csv(write(tmp_path, HEADER + row(timestamp=stamp)))
    assert read.timestamp == WHEN
    assert read.timestamp.tzinfo is UTC


@pytest.mark.parametrize("stamp", ["2024-03-01T12:30:05+02:00", "2024-03-01",
                                   "2024-03-01T12:30", "01/03/2024 12:30:05",
                                   "2024-02-30T12:30:05Z", ""])
def test_other_timestamps_are_refused_with_the_line(tmp_path: Path, stamp: str) -> None:
    with pytest.raises(UserInputError, match=r"ledger\.csv:3: timestamp"):
        read_ledger_csv(write(tmp_path, HEADER + row() + row(timestamp=stamp)))


def test_the_formula_guard_is_undone_and_nothing_else(tmp_path: Path) -> None:
    text = HEADER + row(symbol="'=SUM(A1)", protocol="'-", price_source="'@x",
                        counterparty="'abc") + row(symbol="'", quantity="-2")
    first, second = read_ledger_csv(write(tmp_path, text))
    assert (first.symbol, first.protocol, first.price_source, first.counterparty) == \
        ("=SUM(A1)", "-", "@x", "'abc")
    assert (second.symbol, second.quantity) == ("'", Decimal(-2))


def test_asset_ids_of_any_namespace(tmp_path: Path) -> None:
    solana = ("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/"
              "token:EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
    text = HEADER + row(asset=BTC) + row(asset=solana) + row(asset=USDC.upper())
    assert [e.asset for e in read_ledger_csv(write(tmp_path, text))] == [BTC, solana, USDC]


def test_values_and_optional_cells(tmp_path: Path) -> None:
    text = HEADER + row(usd_value="1234.5", price_source="coingecko", counterparty=OTHER,
                        log_index="0", symbol="")
    [read] = read_ledger_csv(write(tmp_path, text))
    assert (read.usd_value, read.price_source, read.counterparty, read.log_index,
            read.leg_key, read.symbol) == (Decimal("1234.5"), "coingecko", OTHER, 0, "log:0",
                                           None)


def test_columns_in_another_order_a_bom_and_blank_lines(tmp_path: Path) -> None:
    fields = list(reversed(LEDGER.fields))
    values = dict(zip(LEDGER.fields, row().rstrip("\n").split(","), strict=True))
    text = "\ufeff" + ",".join(fields) + "\n\n" + ",".join(values[f] for f in fields) + "\n,,\n"
    [read] = read_ledger_csv(write(tmp_path, text))
    assert (read.quantity, read.asset, read.wallet) == (Decimal("1.50"), ETH, WALLET)


def test_header_names_missing_and_unknown_columns(tmp_path: Path) -> None:
    missing = ",".join(f for f in LEDGER.fields if f not in ("kind", "group_id")) + "\n"
    with pytest.raises(UserInputError,
                       match=r"ledger\.csv:1: header columns missing 'kind', 'group_id'"):
        read_ledger_csv(write(tmp_path, missing))
    with pytest.raises(UserInputError, match=r"ledger\.csv:1: .*unknown 'note'"):
        read_ledger_csv(write(tmp_path, HEADER.rstrip("\n") + ",note\n"))
    with pytest.raises(UserInputError, match=r"ledger\.csv:1: column 'kind' appears twice"):
        read_ledger_csv(write(tmp_path, HEADER.rstrip("\n") + ",kind\n"))
    with pytest.raises(UserInputError, match=r"ledger\.csv:1: the file is empty"):
        read_ledger_csv(write(tmp_path, ""))
    with pytest.raises(UserInputError, match=r"missing\.csv: cannot read ledger file"):
        read_ledger_csv(tmp_path / "missing.csv")


@pytest.mark.parametrize(("cells", "words"), [
    ({"kind": "swap"}, "unknown kind 'swap' (known: trade, income, transfer_in"),
    ({"asset": "ETH"}, "not a CAIP-19 asset id"),
    ({"quantity": "0"}, "quantity is zero"),
    ({"quantity": '"1,5"'}, "quantity is not a decimal number: '1,5'"),
    ({"quantity": "NaN"}, "quantity is not a decimal number"),
    ({"quantity": "1e999999999"}, "quantity is not a decimal number"),
    ({"quantity": ""}, "quantity is empty"),
    ({"usd_value": "-1.00"}, "usd_value is not a decimal number from 0: '-1.00'"),
    ({"usd_value": "abc"}, "usd_value is not a decimal number"),
    ({"chain_id": "-1"}, "chain_id is not a whole number from 0: '-1'"),
    ({"block_number": "1.5"}, "block_number is not a whole number"),
    ({"log_index": "x"}, "log_index is not a whole number"),
    ({"tx_hash": ""}, "tx_hash is empty"),
    ({"group_id": ""}, "group_id is empty"),
])
def test_a_bad_row_names_its_line_and_problem(
        tmp_path: Path, cells: dict[str, str], words: str) -> None:
    with pytest.raises(UserInputError) as raised:
        read_ledger_csv(write(tmp_path, HEADER + row() + "\n" + row(**cells)))
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'ledger.csv'}:4: ")
    assert words in message
    assert "\n" not in message


def test_a_row_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match=r"ledger\.csv:2: expected 15 fields, found 16"):
        read_ledger_csv(write(tmp_path, HEADER + row().rstrip("\n") + ",extra\n"))
