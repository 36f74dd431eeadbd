"""Issue 17: values a file gave stay and value the rest of their trade first; any namespace's
native coin is priced by the price sources. Figures worked by hand beside each test."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from scanner.app.config import load_config
from scanner.errors import ConfigError
from scanner.formats.koinly import DEFAULT_ASSETS
from scanner.ledger.records import Kind, LedgerEntry
from scanner.ledger.valuation import AssetRanks, leg_id, value_entries, wanted
from scanner.prices.book import PriceBook
from scanner.prices.coingecko import CoinGecko
from scanner.prices.defillama import DefiLlama, llama_coin
from scanner.prices.records import PricePoint
from scanner.prices.sources import PriceRequest
from tests.unit.builders import ETH, TKN, USDC, day, leg

BTC = "bip122:000000000019d6689c085ae165831e93/slip44:0"
SOL = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/slip44:501"
ATOM = "cosmos:cosmoshub-4/slip44:118"
LTC = "bip122:12a765e31ffd4059bada1e25190f6e98/slip44:2"
DOGE = "bip122:1a91e3dace36e2be3bf030a65679fe82/slip44:3"
OTHER_TOKEN = "eip155:1/erc20:0x" + "22" * 20
RANKS = AssetRanks(frozenset({USDC}), frozenset({ETH}))
T = day(2024, 3, 1)


def book(*rows: tuple[str, str]) -> PriceBook:
    return PriceBook([PricePoint(asset, day(2024, 1, 1), Decimal(usd), "csv")
                      for asset, usd in rows], pegged={USDC})


def unvalued(entry: LedgerEntry) -> LedgerEntry:
    return replace(entry, usd_value=None, price_source=None)


def named(entry: LedgerEntry, symbol: str) -> LedgerEntry:
    return replace(entry, symbol=symbol)


def values(entries: list[LedgerEntry]) -> dict[str, tuple[Decimal | None, str | None]]:
    return {e.leg_key: (e.usd_value, e.price_source) for e in entries}


def test_a_given_value_stays_whatever_the_prices_say() -> None:
    # a buy of 1 ETH for 1,000 USD: its basis is the 1,000 paid (IRC 1012), not 3,000 x 1
    bought = leg(T, Kind.TRADE, ETH, "1", "1000", key="received")
    valued = value_entries([bought], book((ETH, "3000")), RANKS, {leg_id(bought)})
    assert values(valued) == {"received": (Decimal(1000), "test")}
    # without the file's word the same leg is valued at its price, as a chain leg is
    assert values(value_entries([unvalued(bought)], book((ETH, "3000")), RANKS)) == {
        "received": (Decimal(3000), "csv")}


def test_a_given_leg_values_the_other_side_before_any_stablecoin() -> None:
    # 2 ETH (the file: 4,100 USD) for 4,000 USDC: USDC's peg would say 4,000; the file's
    # value of the trade, 4,100, is what both legs take
    sent = named(leg(T, Kind.TRADE, ETH, "-2", "4100", key="sent"), "ETH")
    received = unvalued(leg(T, Kind.TRADE, USDC, "4000", None, key="received", decimals=6))
    valued = value_entries([sent, received], book(), RANKS, {leg_id(sent)})
    assert values(valued) == {"sent": (Decimal(4100), "test"),
                              "received": (Decimal(4100), "trade:ETH")}


def test_a_trade_without_given_values_is_valued_by_its_stablecoin_leg() -> None:
    # 1 ETH for 2,000 USDC, no value given: proceeds 2,000 by the stablecoin rule; the
    # USDC's basis 2,000 (its $1 peg); ETH's own price (2,500) is not used
    sent = unvalued(leg(T, Kind.TRADE, ETH, "-1", None, key="sent"))
    received = named(unvalued(leg(T, Kind.TRADE, USDC, "2000", None, key="received",
                                  decimals=6)), "USDC")
    valued = value_entries([sent, received], book((ETH, "2500")), RANKS, set())
    assert values(valued) == {"sent": (Decimal(2000), "trade:USDC"),
                              "received": (Decimal(2000), "usd_peg")}


def test_the_other_side_shares_what_its_given_legs_leave() -> None:
    # 1 ETH (the file: 3,000 USD) for 10 TKN (the file: 1,000 USD) and 2 OTHER (no value;
    # priced 5 each, not used): OTHER takes what is left of the 3,000, 2,000
    sent = named(leg(T, Kind.TRADE, ETH, "-1", "3000", key="sent"), "ETH")
    tkn = leg(T, Kind.TRADE, TKN, "10", "1000", key="tkn")
    other = unvalued(leg(T, Kind.TRADE, OTHER_TOKEN, "2", None, key="other"))
    given = {leg_id(sent), leg_id(tkn)}
    valued = value_entries([sent, tkn, other], book((OTHER_TOKEN, "5")), RANKS, given)
    assert values(valued) == {"sent": (Decimal(3000), "test"), "tkn": (Decimal(1000), "test"),
                              "other": (Decimal(2000), "trade:ETH")}
    # given values above the trade's value leave it nothing, never a negative value: it
    # has its own price's, as any leg its trade cannot value
    tkn = replace(tkn, usd_value=Decimal(5000))
    valued = value_entries([sent, tkn, other], book((OTHER_TOKEN, "5")), RANKS, given)
    assert values(valued)["other"] == (Decimal(10), "csv")
    assert values(value_entries([sent, tkn, other], book(), RANKS, given))["other"] == \
        (None, None)


def test_a_fee_is_valued_at_its_price_and_is_wanted_until_it_has_one() -> None:
    sale = leg(T, Kind.TRADE, ETH, "-0.5", "1500", key="sent")
    fee = unvalued(leg(T, Kind.FEE, ETH, "-0.01", None, key="fee"))
    given = {leg_id(sale)}
    assert values(value_entries([sale, fee], book(), RANKS, given))["fee"] == (None, None)
    assert wanted([sale, fee], book(), given) == [PriceRequest(ETH, T, 1)]  # the fee's only
    priced = value_entries([sale, fee], book((ETH, "3000")), RANKS, given)
    assert values(priced) == {"sent": (Decimal(1500), "test"), "fee": (Decimal(30), "csv")}


def test_a_native_coin_of_any_namespace_ranks_as_native() -> None:
    # 0.1 BTC for 50 TKN, both priced: BTC (a native coin) values the trade, 0.1 x 40,000
    sent = unvalued(replace(leg(T, Kind.TRADE, BTC, "-0.1", None, key="sent", decimals=8),
                            chain_id=0, symbol="BTC"))
    received = unvalued(leg(T, Kind.TRADE, TKN, "50", None, key="received"))
    valued = value_entries([sent, received], book((BTC, "40000"), (TKN, "100")), RANKS)
    assert values(valued) == {"sent": (Decimal(4000), "csv"),
                              "received": (Decimal(4000), "trade:BTC")}


def test_non_evm_native_coins_map_to_the_price_sources_ids() -> None:
    # CoinGecko's coin ids; DefiLlama prices CoinGecko ids as coingecko:<id>
    expected = {BTC: "bitcoin", SOL: "solana", ATOM: "cosmos", LTC: "litecoin",
                DOGE: "dogecoin"}
    gecko = CoinGecko()
    assert {asset: gecko.coin_id(asset) for asset in expected} == expected
    assert {asset: llama_coin(asset) for asset in expected} == {
        asset: f"coingecko:{coin}" for asset, coin in expected.items()}
    assert DefiLlama().coin(f" {BTC} ") == "coingecko:bitcoin"
    # a Solana token's id is case-sensitive: an override keeps its case
    token = SOL.replace("slip44:501", "token:EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
    assert DefiLlama(ids={token: "coingecko:usd-coin"}).coin(token) == "coingecko:usd-coin"
    assert DefiLlama(ids={token: "coingecko:usd-coin"}).coin(token.lower()) is None


def test_koinly_knows_the_common_native_coins_by_symbol() -> None:
    assert {s: DEFAULT_ASSETS[s] for s in ("BTC", "SOL", "ATOM", "LTC", "DOGE")} == {
        "BTC": BTC, "SOL": SOL, "ATOM": ATOM, "LTC": LTC, "DOGE": DOGE}


def test_legs_of_one_asset_in_different_decimal_places_add_up_exactly() -> None:
    # an imported file's rows: 0.5 ETH (one place) and 0.25 ETH (two places) for 100 TKN,
    # ETH at 2,000: the trade is worth 0.75 x 2,000 = 1,500
    half = unvalued(leg(T, Kind.TRADE, ETH, "-0.5", None, key="a", decimals=1))
    quarter = unvalued(leg(T, Kind.TRADE, ETH, "-0.25", None, key="b", decimals=2))
    tkn = unvalued(leg(T, Kind.TRADE, TKN, "100", None, key="c"))
    valued = value_entries([half, quarter, tkn], book((ETH, "2000")), RANKS)
    assert {key: value for key, (value, _) in values(valued).items()} == {
        "a": Decimal(1000), "b": Decimal(500), "c": Decimal(1500)}


def test_the_config_names_assets_of_any_namespace(tmp_path: Path) -> None:
    path = tmp_path / "cfg.toml"
    usdc_sol = SOL.replace("slip44:501", "token:EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
    path.write_text(f"""stablecoins = ["{usdc_sol}"]

[[wallets]]
address = "0x{"aa" * 20}"
chains = ["ethereum"]

[[prices]]
timestamp = "2024-01-01T00:00:00Z"
asset = "{BTC}"
usd = "42000.5"

[identical]
BTC = ["{BTC}", "eip155:1/erc20:0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"]
""")
    config = load_config(path)
    assert config.stablecoins == (usdc_sol,)  # a Solana id keeps its case
    assert [(p.asset, p.usd) for p in config.prices] == [(BTC, Decimal("42000.5"))]
    assert config.identical["BTC"][0] == BTC
    path.write_text(path.read_text().replace('stablecoins = ["', 'rebasing = ["'))
    with pytest.raises(ConfigError, match=r"rebasing\[1\]: not a CAIP-19 asset id such as eip155"):
        load_config(path)  # growth of a balance is an ERC-20 token's alone
