"""Put a USD value on every leg: trades by their most reliable leg, the rest at fair value.

A value a file gave (an imported leg's: the USD of a Koinly row, its Net Worth, a ledger
CSV's usd_value) is the most reliable of all: it stays, and values the rest of its trade
before any price does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from scanner.ledger.records import EXCHANGES, NOT_HOLDINGS, LedgerEntry
from scanner.money import usd
from scanner.prices.book import PEG_SOURCE, PriceBook
from scanner.prices.sources import PriceRequest

GIVEN, STABLE, NATIVE, OTHER = -1, 0, 1, 2
# no real leg is worth this much, and DECIMAL(38, 10) cannot hold it: such a leg (a hostile
# token's 2^256-1 units at some price) is left unvalued, to be reviewed as a missing price
USD_LIMIT = Decimal(10) ** 28
_NATIVE_COIN = "/slip44:"  # CAIP-19: the native coin of its chain, in any namespace

LegId = tuple[int, str, str, str]  # (chain_id, tx_hash, leg_key, wallet): a leg's natural key


def leg_id(leg: LedgerEntry) -> LegId:
    return (leg.chain_id, leg.tx_hash, leg.leg_key, leg.wallet)


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
        if asset in self.natives or _NATIVE_COIN in asset:
            return NATIVE
        return OTHER


def value_entries(entries: Iterable[LedgerEntry], book: PriceBook, ranks: AssetRanks,
                  given: Collection[LegId] = frozenset()) -> list[LedgerEntry]:
    """The legs valued, group by group. The legs of `given` (by `leg_id`) keep the value
    they hold; every other leg's value is made afresh."""
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in entries:
        groups[entry.group_id].append(entry)
    valued: list[LedgerEntry] = []
    for legs in groups.values():
        fixed = {key for leg in legs if (key := leg_id(leg)) in given} if given else set()
        if len(fixed) == len(legs):  # every value given (an exported ledger's, mostly)
            valued.extend(legs)
            continue
        trade = [leg for leg in legs if leg.kind in EXCHANGES]
        derived = _value_trade(trade, book, ranks, fixed) if trade else {}
        for leg in legs:
            key = leg_id(leg)
            if key in fixed:
                valued.append(leg)
            elif leg.kind in NOT_HOLDINGS:
                valued.append(replace(leg, usd_value=None, price_source=None))
            elif key in derived:
                value, source = derived[key]
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


def _value_trade(legs: list[LedgerEntry], book: PriceBook, ranks: AssetRanks,
                 fixed: set[LegId]) -> dict[LegId, tuple[Decimal, str]]:
    """The values of the trade's legs that its most reliable side gives: the side whose
    every value a file gave, else the side of the asset of best rank that has a value (its
    legs' given values, else its price). That side's whole value is shared by the other
    side's legs (less what the file gave some of them), by their own prices when they are
    of several assets."""
    net = _net(legs)
    worth = _worths(legs, net, book, ranks, fixed)
    if not worth:
        return {}
    sides = {sign: [a for a in net if net[a] * sign > 0] for sign in (1, -1)}
    given_sides = [sign for sign, assets in sides.items()
                   if assets and all(a in worth and worth[a][0] == GIVEN for a in assets)]
    if len(given_sides) == 1:  # the side the file gave every value of
        anchor_sign = given_sides[0]
        anchor = min(sides[anchor_sign])
    else:
        anchor = min(worth, key=lambda a: (worth[a][0], a))
        anchor_sign = 1 if net[anchor] > 0 else -1
    anchor_side, other_side = sides[anchor_sign], set(sides[-anchor_sign])
    if any(a not in worth for a in anchor_side):
        return {}
    total = sum((worth[a][1] for a in anchor_side), Decimal(0))
    other_legs = [leg for leg in legs if leg.asset in other_side]
    open_legs = [leg for leg in other_legs if leg_id(leg) not in fixed]
    rest = total - sum((leg.usd_value or Decimal(0) for leg in other_legs
                        if leg_id(leg) in fixed), Decimal(0))
    if not open_legs or rest < 0:  # nothing to value; or given values that exceed the trade
        return {}
    open_assets = list(dict.fromkeys(leg.asset for leg in open_legs))
    shares = _split(rest, open_assets, worth, net)
    if shares is None:
        return {}
    symbol = next((leg.symbol for leg in legs if leg.asset == anchor), None) or anchor
    source = f"trade:{symbol}"
    out: dict[LegId, tuple[Decimal, str]] = {}
    for leg in open_legs:
        side_qty = sum(abs(x.quantity) for x in open_legs if x.asset == leg.asset)
        value = bounded_usd(shares[leg.asset] * abs(leg.quantity) / side_qty)
        if value is not None:
            out[leg_id(leg)] = (value, source)
    return out


def _net(legs: list[LedgerEntry]) -> dict[str, Decimal]:
    """asset -> the legs' net quantity of it, summed in base units at the most decimal
    places any of them has (an imported file's rows may differ in places)."""
    places: dict[str, int] = {}
    for leg in legs:
        places[leg.asset] = max(places.get(leg.asset, 0), leg.decimals)
    raw: dict[str, int] = defaultdict(int)
    for leg in legs:
        raw[leg.asset] += leg.raw_amount * 10 ** (places[leg.asset] - leg.decimals)
    return {asset: Decimal(amount).scaleb(-places[asset]) for asset, amount in raw.items()}


def _worths(legs: list[LedgerEntry], net: dict[str, Decimal], book: PriceBook,
            ranks: AssetRanks, fixed: set[LegId]) -> dict[str, tuple[int, Decimal]]:
    """asset -> (rank, USD value of its net quantity in the trade), for each asset that has
    one: the sum of its legs' given values when every leg of it was given, on one side;
    else its price at the trade's moment."""
    found: dict[str, tuple[int, Decimal]] = {}
    when = legs[0].timestamp
    for asset, quantity in net.items():
        if quantity == 0:
            continue
        mine = [leg for leg in legs if leg.asset == asset]
        if all(leg_id(leg) in fixed and leg.usd_value is not None
               and (leg.raw_amount > 0) == (quantity > 0) for leg in mine):
            found[asset] = (GIVEN, sum((leg.usd_value or Decimal(0) for leg in mine),
                                       Decimal(0)))
            continue
        quote = book.at(asset, when)
        if quote is not None:
            found[asset] = (ranks.rank(asset), abs(quantity) * quote.usd)
    return found


def _split(total: Decimal, side: list[str], worth: dict[str, tuple[int, Decimal]],
           net: dict[str, Decimal]) -> dict[str, Decimal] | None:
    """`total` shared across the assets of `side` by their own values (one takes it all);
    NFTs none of which has a value (a bundle sold for one price) share it by their count."""
    if len(side) == 1:
        return {side[0]: total}
    if all(asset not in worth and _is_nft(asset) for asset in side):
        count = sum((abs(net[asset]) for asset in side), Decimal(0))
        return {asset: total * abs(net[asset]) / count for asset in side}
    if any(asset not in worth for asset in side):
        return None
    whole = sum((worth[asset][1] for asset in side), Decimal(0))
    if whole == 0:
        return None
    return {asset: total * worth[asset][1] / whole for asset in side}


def _is_nft(asset: str) -> bool:
    return "/erc721:" in asset or "/erc1155:" in asset


def wanted(entries: Iterable[LedgerEntry], book: PriceBook,
           given: Collection[LegId] = frozenset()) -> list[PriceRequest]:
    """One request per (asset, moment) of a leg that has no price of its own, or only the
    $1 fallback of a stablecoin (a source's price shows a depeg); legs whose value a file
    gave (`given`) need none. An imported leg's block 0 is no block: the request has none."""
    found: dict[tuple[str, datetime], PriceRequest] = {}
    for entry in entries:
        if entry.kind in NOT_HOLDINGS or (given and leg_id(entry) in given):
            continue
        quote = book.at(entry.asset, entry.timestamp)
        if quote is None or quote.source == PEG_SOURCE:
            found.setdefault((entry.asset, entry.timestamp),
                             PriceRequest(entry.asset, entry.timestamp,
                                          entry.block_number or None))
    return sorted(found.values(), key=lambda r: (r.asset, r.timestamp))
