"""Put a USD value on every leg: trades by their most reliable leg, the rest at fair value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from scanner.ledger.records import EXCHANGES, NOT_HOLDINGS, LedgerEntry
from scanner.money import usd
from scanner.prices.book import PEG_SOURCE, PriceBook, Quote
from scanner.prices.sources import PriceRequest

STABLE, NATIVE, OTHER = 0, 1, 2
# no real leg is worth this much, and DECIMAL(38, 10) cannot hold it: such a leg (a hostile
# token's 2^256-1 units at some price) is left unvalued, to be reviewed as a missing price
USD_LIMIT = Decimal(10) ** 28


def bounded_usd(value: Decimal) -> Decimal | None:
    """`value` in cents-exact USD, or None when it is beyond any real value."""
    return usd(value) if abs(value) < USD_LIMIT else None


@dataclass(frozen=True)
class AssetRanks:
    """How reliable a leg of each asset is for valuing a trade (lower is better)."""

    stablecoins: frozenset[str]
    natives: frozenset[str]  # native coins and wrapped natives

    def rank(self, asset: str) -> int:
        if asset in self.stablecoins:
            return STABLE
        if asset in self.natives:
            return NATIVE
        return OTHER


def value_entries(
    entries: Iterable[LedgerEntry], book: PriceBook, ranks: AssetRanks
) -> list[LedgerEntry]:
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in entries:
        groups[entry.group_id].append(entry)
    valued: list[LedgerEntry] = []
    for legs in groups.values():
        trade = [leg for leg in legs if leg.kind in EXCHANGES]
        derived = _value_trade(trade, book, ranks) if trade else {}
        for leg in legs:
            if leg.kind in NOT_HOLDINGS:
                valued.append(replace(leg, usd_value=None, price_source=None))
            elif leg.leg_key in derived:
                value, source = derived[leg.leg_key]
                valued.append(replace(leg, usd_value=value, price_source=source))
            else:
                valued.append(_own_value(leg, book))
    return valued


def _own_value(leg: LedgerEntry, book: PriceBook) -> LedgerEntry:
    quote = book.at(leg.asset, leg.timestamp)
    value = None if quote is None else bounded_usd(abs(leg.quantity) * quote.usd)
    if quote is None or value is None:
        return replace(leg, usd_value=None, price_source=None)
    return replace(leg, usd_value=value, price_source=quote.source)


def _value_trade(
    legs: list[LedgerEntry], book: PriceBook, ranks: AssetRanks
) -> dict[str, tuple[Decimal | None, str | None]]:
    net: dict[str, int] = defaultdict(int)
    for leg in legs:
        net[leg.asset] += leg.raw_amount
    quotes: dict[str, Quote | None] = {a: book.at(a, legs[0].timestamp) for a in net}
    priced = [a for a in net if net[a] != 0 and quotes[a] is not None]
    if not priced:
        return {}
    anchor = min(priced, key=lambda a: (ranks.rank(a), a))
    anchor_sign = 1 if net[anchor] > 0 else -1
    anchor_side = [a for a in net if net[a] * anchor_sign > 0]
    other_side = [a for a in net if net[a] * anchor_sign < 0]
    if any(quotes[a] is None for a in anchor_side):
        return {}
    total = sum((abs(_qty(net[a], legs, a)) * quotes[a].usd  # type: ignore[union-attr]
                 for a in anchor_side), Decimal(0))
    symbol = next((leg.symbol for leg in legs if leg.asset == anchor), None) or anchor
    source = f"trade:{symbol}"
    shares = _split(total, other_side, net, legs, quotes)
    out: dict[str, tuple[Decimal | None, str | None]] = {}
    for leg in legs:
        if leg.asset in other_side and shares is not None:
            side_qty = sum(abs(x.quantity) for x in legs if x.asset == leg.asset)
            value = bounded_usd(shares[leg.asset] * abs(leg.quantity) / side_qty)
            if value is not None:
                out[leg.leg_key] = (value, source)
    return out


def _qty(net_raw: int, legs: list[LedgerEntry], asset: str) -> Decimal:
    decimals = next(leg.decimals for leg in legs if leg.asset == asset)
    return Decimal(net_raw).scaleb(-decimals)


def _split(
    total: Decimal, side: list[str], net: dict[str, int], legs: list[LedgerEntry],
    quotes: dict[str, Quote | None],
) -> dict[str, Decimal] | None:
    """The trade's value shared across the other side's assets (by their own prices)."""
    if len(side) == 1:
        return {side[0]: total}
    own = {}
    for asset in side:
        quote = quotes[asset]
        if quote is None:
            return None
        own[asset] = abs(_qty(net[asset], legs, asset)) * quote.usd
    whole = sum(own.values(), Decimal(0))
    if whole == 0:
        return None
    return {asset: total * value / whole for asset, value in own.items()}


def wanted(entries: Iterable[LedgerEntry], book: PriceBook) -> list[PriceRequest]:
    """One request per (asset, moment) of a leg that has no price of its own, or only the
    $1 fallback of a stablecoin (a source's price shows a depeg)."""
    found: dict[tuple[str, datetime], PriceRequest] = {}
    for entry in entries:
        if entry.kind in NOT_HOLDINGS:
            continue
        quote = book.at(entry.asset, entry.timestamp)
        if quote is None or quote.source == PEG_SOURCE:
            found.setdefault((entry.asset, entry.timestamp),
                             PriceRequest(entry.asset, entry.timestamp, entry.block_number))
    return sorted(found.values(), key=lambda r: (r.asset, r.timestamp))
