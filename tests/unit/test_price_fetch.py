"""Asking price sources in order, and caching what they could not answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from scanner.ledger.records import Kind
from scanner.ledger.valuation import wanted
from scanner.prices.book import PriceBook
from scanner.prices.fetch import ask
from scanner.prices.records import PricePoint
from scanner.prices.sources import PriceRequest, Quote
from tests.unit.builders import ETH, TKN, USDC, day, leg


class Scripted:
    def __init__(self, name: str, knows: dict[str, Decimal]) -> None:
        self.name = name
        self.knows = knows
        self.asked: list[PriceRequest] = []

    def quotes(self, requests: Sequence[PriceRequest]) -> list[Quote]:
        self.asked.extend(requests)
        return [Quote(r.asset, r.timestamp, r.timestamp - timedelta(minutes=5),
                      self.knows[r.asset], self.name, Decimal("0.99"))
                for r in requests if r.asset in self.knows]


T1, T2 = day(2024, 5, 1), day(2024, 5, 2)


def test_legs_without_their_own_price_are_wanted_once_and_spam_never() -> None:
    entries = [replace(leg(T1, Kind.TRADE, USDC, "-5", "5", decimals=6), usd_value=None),
               leg(T1, Kind.TRADE, TKN, "2", "5", key="log:1"),
               leg(T2, Kind.FEE, ETH, "-0.1", None, key="gas"),
               leg(T2, Kind.INCOME, ETH, "1", None, key="native"),
               leg(T2, Kind.SPAM, "eip155:1/erc20:0x" + "99" * 20, "7", None)]
    book = PriceBook([PricePoint(TKN, T1, Decimal(2), "csv")], pegged={USDC})
    assert wanted(entries, book) == sorted([PriceRequest(USDC, T1, 1), PriceRequest(ETH, T2, 1)],
                                           key=lambda r: (r.asset, r.timestamp))


def test_each_source_gets_what_the_ones_before_could_not_answer() -> None:
    first = Scripted("defillama", {ETH: Decimal("3000.5")})
    second = Scripted("coingecko", {TKN: Decimal("2.25")})
    requests = [PriceRequest(ETH, T1), PriceRequest(TKN, T1), PriceRequest(USDC, T2)]
    result = ask(requests, [first, second], known_misses=set())
    assert [(q.asset, q.source, q.usd) for q in result.quotes] == [
        (ETH, "defillama", Decimal("3000.5")), (TKN, "coingecko", Decimal("2.25"))]
    assert second.asked == [PriceRequest(TKN, T1), PriceRequest(USDC, T2)]
    assert set(result.misses) == {(TKN, T1, "defillama"), (USDC, T2, "defillama"),
                                  (USDC, T2, "coingecko")}
    assert result.unanswered == (PriceRequest(USDC, T2),)

    again = ask([PriceRequest(USDC, T2)], [first, second], known_misses=set(result.misses))
    assert again.quotes == () and len(first.asked) == 3  # a cached miss is not asked again


def test_a_fetched_price_is_used_near_its_moment_only() -> None:
    book = PriceBook([PricePoint(ETH, T1 + timedelta(minutes=3), Decimal(3000), "defillama")])
    quote = book.at(ETH, T1)
    assert quote is not None and quote.usd == 3000  # the nearest sample, 3 minutes later
    assert book.at(ETH, T1 + timedelta(days=3)) is None
