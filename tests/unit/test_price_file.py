from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scanner.errors import PriceFileError
from scanner.prices.book import PriceBook
from scanner.prices.csvfile import read_price_file

ETH = "eip155:1/slip44:60"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


def test_rows_are_exact_decimals_in_utc(tmp_path: Path) -> None:
    points = read_price_file(write(tmp_path, (
        "timestamp,asset,usd\n"
        "2024-01-01T00:00:00Z,eip155:1/slip44:60,2300.10\n"
        "2024-01-02,eip155:1/slip44:60,2400\n"
        "2024-01-03T02:00:00+02:00,eip155:1/slip44:60,0.000000000000000001\n")))
    assert [p.timestamp for p in points] == [datetime(2024, 1, 1, tzinfo=UTC),
                                            datetime(2024, 1, 2, tzinfo=UTC),
                                            datetime(2024, 1, 3, tzinfo=UTC)]
    assert points[0].usd == Decimal("2300.10")
    assert points[2].usd == Decimal("1e-18")


@pytest.mark.parametrize(("body", "line", "words"), [
    ("2024-01-01T00:00:00Z,eip155:1/slip44:60\n", 2, "3 fields"),
    ("yesterday,eip155:1/slip44:60,1\n", 2, "ISO 8601"),
    ("2024-01-01,ETH,1\n", 2, "CAIP-19"),
    ("2024-01-01,eip155:1/slip44:60,1\n2024-01-02,eip155:1/slip44:60,abc\n", 3, "decimal"),
    ("2024-01-01,eip155:1/slip44:60,-5\n", 2, "from 0"),
    ("2024-01-01,eip155:1/slip44:60,NaN\n", 2, "from 0"),
])
def test_a_bad_row_names_its_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    with pytest.raises(PriceFileError, match=rf"prices.csv:{line}: .*{words}"):
        read_price_file(write(tmp_path, "timestamp,asset,usd\n" + body))


def test_a_wrong_header_or_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PriceFileError, match="header"):
        read_price_file(write(tmp_path, "date,asset,price\n"))
    with pytest.raises(PriceFileError, match="cannot read"):
        read_price_file(tmp_path / "missing.csv")


def test_the_price_at_t_is_the_latest_row_at_or_before_t(tmp_path: Path) -> None:
    book = PriceBook(read_price_file(write(tmp_path, (
        "timestamp,asset,usd\n"
        "2024-01-01T00:00:00Z,eip155:1/slip44:60,100\n"
        "2024-01-10T00:00:00Z,eip155:1/slip44:60,200\n"))), pegged={USDC})
    assert book.at(ETH, datetime(2023, 12, 31, tzinfo=UTC)) is None
    quote = book.at(ETH, datetime(2024, 1, 10, tzinfo=UTC))
    assert quote is not None and quote.usd == 200
    quote = book.at(ETH, datetime(2024, 1, 9, 23, tzinfo=UTC))
    assert quote is not None and quote.usd == 100
    peg = book.at(USDC, datetime(2024, 1, 1, tzinfo=UTC))
    assert peg is not None and (peg.usd, peg.source) == (1, "usd_peg")


def test_given_prices_win_and_fetched_ones_must_be_recent() -> None:
    from scanner.prices.records import PricePoint

    t = datetime(2024, 3, 1, 12, tzinfo=UTC)
    book = PriceBook([
        PricePoint(ETH, datetime(2024, 1, 1, tzinfo=UTC), Decimal(100), "csv"),
        PricePoint(ETH, datetime(2024, 3, 1, 11, tzinfo=UTC), Decimal(300), "defillama"),
        PricePoint(USDC, datetime(2024, 2, 1, tzinfo=UTC), Decimal("0.97"), "defillama"),
        PricePoint(USDC, datetime(2024, 3, 1, 6, tzinfo=UTC), Decimal("0.99"), "defillama"),
    ], pegged={USDC})
    quote = book.at(ETH, t)
    assert quote is not None and (quote.usd, quote.source) == (100, "csv")  # the user's word
    quote = book.at(USDC, t)
    assert quote is not None and quote.usd == Decimal("0.99")  # a depeg shows
    quote = book.at(USDC, datetime(2024, 2, 20, tzinfo=UTC))
    assert quote is not None and quote.source == "usd_peg"  # 19 days old is too old
