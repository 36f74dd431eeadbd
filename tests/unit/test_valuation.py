from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from scanner.ledger.records import Kind
from scanner.ledger.valuation import AssetRanks, value_entries
from scanner.prices.book import PriceBook
from scanner.prices.records import PricePoint
from tests.unit.builders import ETH, TKN, USDC, day, leg

WETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
RANKS = AssetRanks(frozenset({USDC}), frozenset({ETH, WETH}))
T = day(2024, 3, 1)


def book(*rows: tuple[str, str]) -> PriceBook:
    return PriceBook([PricePoint(asset, day(2024, 1, 1), Decimal(usd), "csv")
                      for asset, usd in rows], pegged={USDC})


def unvalued(*legs):  # type: ignore[no-untyped-def]
    return [replace(x, usd_value=None, price_source=None) for x in legs]


def test_a_trade_is_valued_by_its_stablecoin_leg_over_other_prices() -> None:
    legs = unvalued(leg(T, Kind.TRADE, USDC, "-1500", None, key="log:0", decimals=6),
                    leg(T, Kind.TRADE, TKN, "700", None, key="log:1"))
    valued = value_entries(legs, book((TKN, "3")), RANKS)
    assert [(v.usd_value, v.price_source) for v in valued] == [
        (Decimal(1500), "usd_peg"), (Decimal(1500), f"trade:{legs[0].symbol}")]


def test_without_a_stablecoin_the_native_leg_values_the_trade() -> None:
    legs = unvalued(leg(T, Kind.TRADE, WETH, "-2", None, key="log:0"),
                    leg(T, Kind.TRADE, TKN, "1000", None, key="log:1"))
    valued = value_entries(legs, book((WETH, "2000"), (TKN, "5")), RANKS)
    assert [v.usd_value for v in valued] == [4000, 4000]


def test_an_unpriced_trade_stays_unknown_never_zero() -> None:
    legs = unvalued(leg(T, Kind.TRADE, TKN, "-5", None, key="log:0"),
                    leg(T, Kind.TRADE, "eip155:1/erc20:0x" + "22" * 20, "9", None, key="log:1"))
    valued = value_entries(legs, book(), RANKS)
    assert [v.usd_value for v in valued] == [None, None]


def test_income_is_at_fair_value_and_spam_is_not_valued() -> None:
    legs = unvalued(leg(T, Kind.INCOME, TKN, "10", None, key="log:0"),
                    leg(T, Kind.SPAM, "eip155:1/erc20:0x" + "33" * 20, "1", None, key="log:1"))
    valued = value_entries(legs, book((TKN, "2.5"), ("eip155:1/erc20:0x" + "33" * 20, "9")),
                           RANKS)
    assert [(v.usd_value, v.price_source) for v in valued] == [(25, "csv"), (None, None)]
