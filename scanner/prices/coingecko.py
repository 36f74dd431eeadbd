"""CoinGecko: USD prices from /coins/{id}/market_chart/range, one call per coin and span.

Assets become CoinGecko coin ids through, in order: the `ids` override, the native coin
tables (EVM chains' and others': BTC, SOL...), and /coins/{platform}/contract/{address}
(cached per instance, "unknown" too).
A request gets the last price at or before its moment, if that is within `window`.
Ranges stay under 90 days so CoinGecko answers hourly, not daily, samples.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import requests

from chains.addresses import parse_any_asset_id
from chains.errors import AddressError, SourceInconsistent, UserInputError
from chains.retry import RetryPolicy
from scanner.prices.http import (
    JsonHttp,
    from_unix_ms,
    to_unix,
    unix_seconds,
    usd_value,
)
from scanner.prices.natives import BY_ASSET
from scanner.prices.sources import PriceRequest, Quote

PUBLIC_URL = "https://api.coingecko.com/api/v3"
PRO_URL = "https://pro-api.coingecko.com/api/v3"
RETRY = RetryPolicy(backoff_s=2.0, max_wait_s=60.0)
# Calls a minute: keyless public API, Demo plan, paid plans (the lowest paid limit).
CALLS_PER_MINUTE = {"public": 5.0, "demo": 30.0, "pro": 500.0}
DEFAULT_WINDOW = timedelta(hours=4)
MAX_SPAN = timedelta(days=89)  # above 90 days CoinGecko answers daily samples only

Plan = Literal["demo", "pro"]

# Native coins (chain id, SLIP-44 coin type) -> CoinGecko coin id.
NATIVE_COINGECKO_IDS: dict[tuple[int, int], str] = {
    (1, 60): "ethereum",
    (10, 60): "ethereum",
    (324, 60): "ethereum",
    (8453, 60): "ethereum",
    (42161, 60): "ethereum",
    (59144, 60): "ethereum",
    (534352, 60): "ethereum",
    (56, 714): "binancecoin",
    (100, 700): "xdai",
    (137, 966): "matic-network",
    (43114, 9000): "avalanche-2",
}

# Chain id -> CoinGecko asset platform id, for /coins/{platform}/contract/{address}.
PLATFORMS: dict[int, str] = {
    1: "ethereum",
    10: "optimistic-ethereum",
    56: "binance-smart-chain",
    100: "xdai",
    137: "polygon-pos",
    324: "zksync",
    8453: "base",
    42161: "arbitrum-one",
    43114: "avalanche",
    59144: "linea",
    534352: "scroll",
}

_PRICE_ASSET = re.compile(
    r"^eip155:(?P<chain>\d+)/(?:slip44:(?P<slip44>\d+)|erc20:(?P<token>0x[0-9a-f]{40}))$")


@dataclass(frozen=True)
class PriceAsset:
    chain_id: int
    slip44: int | None  # a native coin
    token: str | None  # an ERC-20 contract, lowercase


def price_asset(asset: str) -> PriceAsset | None:
    """A native coin or ERC-20 token asset id taken apart; None for anything else (NFTs)."""
    found = _PRICE_ASSET.match(asset.strip().lower())
    if not found:
        return None
    slip44 = found.group("slip44")
    return PriceAsset(int(found.group("chain")), int(slip44) if slip44 is not None else None,
                      found.group("token"))


def native_coingecko_id(asset: str) -> str | None:
    """The CoinGecko id of a chain's native coin (an EVM chain's or another's: BTC, SOL...);
    None for any other asset."""
    other = BY_ASSET.get(asset)
    if other is not None:
        return other.coingecko
    parts = price_asset(asset)
    if parts is None or parts.slip44 is None:
        return None
    return NATIVE_COINGECKO_IDS.get((parts.chain_id, parts.slip44))


def asset_key(asset: str) -> str:
    """An asset id as the ledger holds it (parse_any_asset_id: eip155 in lowercase, other
    namespaces in their case); a text that is none, stripped."""
    try:
        return parse_any_asset_id(asset)
    except AddressError:
        return asset.strip()


class CoinGecko:
    name = "coingecko"

    def __init__(self, api_key: str | None = None, plan: Plan = "demo",
                 base_url: str | None = None, ids: Mapping[str, str] | None = None, *,
                 calls_per_minute: float | None = None, window: timedelta = DEFAULT_WINDOW,
                 max_span: timedelta = MAX_SPAN,
                 session: requests.Session | None = None) -> None:
        if plan not in ("demo", "pro"):
            raise UserInputError(f"CoinGecko plan must be demo or pro, not {plan!r}")
        if plan == "pro" and not api_key:
            raise UserInputError("CoinGecko's pro plan needs an API key")
        if window <= timedelta(0) or max_span <= window:
            raise UserInputError("CoinGecko window must be positive and shorter than max_span")
        self.plan = plan
        self.base_url = (base_url or (PRO_URL if plan == "pro" else PUBLIC_URL)).rstrip("/")
        self.window = window
        self.max_span = max_span
        self.ids = {asset_key(asset): coin for asset, coin in (ids or {}).items()}
        self._contract_ids: dict[tuple[str, str], str | None] = {}
        headers = {"accept": "application/json"}
        if api_key:
            headers["x-cg-pro-api-key" if plan == "pro" else "x-cg-demo-api-key"] = api_key
        tier = plan if api_key else "public"
        rate = calls_per_minute or CALLS_PER_MINUTE[tier]
        self.http = JsonHttp(f"CoinGecko ({tier})", self.base_url,
                             secrets=(api_key,) if api_key else (),
                             calls_per_second=rate / 60, retry=RETRY, headers=headers,
                             session=session)

    @property
    def requests_sent(self) -> int:
        return self.http.requests_sent

    # ---- asset -> coin id -------------------------------------------------------------

    def coin_id(self, asset: str) -> str | None:
        """The CoinGecko id of `asset`, or None when CoinGecko does not know it."""
        key = asset_key(asset)
        if key in self.ids:
            return self.ids[key]
        native = native_coingecko_id(key)
        if native is not None:
            return native
        parts = price_asset(key)
        if parts is None or parts.token is None:
            return None
        platform = PLATFORMS.get(parts.chain_id)
        if platform is None:
            return None
        cache_key = (platform, parts.token)
        if cache_key not in self._contract_ids:
            self._contract_ids[cache_key] = self._contract_id(platform, parts.token)
        return self._contract_ids[cache_key]

    def _contract_id(self, platform: str, token: str) -> str | None:
        body = self.http.get(f"{self.base_url}/coins/{platform}/contract/{token}", None,
                             "a contract lookup", missing_ok=True)
        if body is None:
            return None
        if not isinstance(body, dict):
            raise SourceInconsistent(f"{self.http.where} answered a contract lookup with no "
                                     "JSON object")
        if body.get("error") is not None and body.get("id") is None:
            return None  # {"error": "coin not found"} with a 200
        coin = body.get("id")
        if not isinstance(coin, str) or not coin or "/" in coin:
            raise SourceInconsistent(f"{self.http.where} answered the lookup of {token} on "
                                     f"{platform} without a coin id")
        return coin

    # ---- prices -----------------------------------------------------------------------

    def quotes(self, requests: Sequence[PriceRequest]) -> list[Quote]:
        by_coin: dict[str, dict[int, list[PriceRequest]]] = {}
        for request in requests:
            coin = self.coin_id(request.asset)
            if coin is None:
                continue
            by_coin.setdefault(coin, {}).setdefault(to_unix(request.timestamp), []).append(
                request)
        found: list[Quote] = []
        seen: set[tuple[str, datetime]] = set()
        for coin, moments in by_coin.items():
            for span in self._spans(sorted(moments)):
                series = self._range(coin, span[0] - self._window_s, span[-1])
                if series is None:
                    break  # CoinGecko does not know the coin: no other span will help
                times = [ms for ms, _ in series]
                for moment in span:
                    position = bisect_right(times, moment * 1000)
                    if not position:
                        continue
                    ms, usd = series[position - 1]
                    if moment * 1000 - ms > self._window_s * 1000:
                        continue
                    for request in moments[moment]:
                        if (request.asset, request.timestamp) in seen:
                            continue
                        seen.add((request.asset, request.timestamp))
                        found.append(Quote(request.asset, request.timestamp,
                                           from_unix_ms(ms), usd, self.name))
        return found

    @property
    def _window_s(self) -> int:
        return int(self.window.total_seconds())

    def _spans(self, moments: list[int]) -> list[list[int]]:
        """Sorted moments cut into runs that one hourly range call covers."""
        limit = int(self.max_span.total_seconds()) - self._window_s
        spans: list[list[int]] = []
        for moment in moments:
            if spans and moment - spans[-1][0] <= limit:
                spans[-1].append(moment)
            else:
                spans.append([moment])
        return spans

    def _range(self, coin: str, start: int, end: int) -> list[tuple[int, Decimal]] | None:
        what = f"the price range of {coin}"
        body = self.http.get(f"{self.base_url}/coins/{coin}/market_chart/range",
                             {"vs_currency": "usd", "from": start, "to": end}, what,
                             missing_ok=True)
        if body is None:
            return None
        if not isinstance(body, dict) or not isinstance(body.get("prices"), list):
            if isinstance(body, dict) and body.get("error") is not None:
                return None
            raise SourceInconsistent(f"{self.http.where} answered {what} without a price list")
        series: list[tuple[int, Decimal]] = []
        for point in body["prices"]:
            series.extend(self._point(point, what))
        series.sort(key=lambda p: p[0])
        return series

    def _point(self, point: Any, what: str) -> list[tuple[int, Decimal]]:
        if not isinstance(point, list) or len(point) != 2:
            raise SourceInconsistent(f"{self.http.where} sent a point of {what} that is no "
                                     "[time, price] pair")
        ms = unix_seconds(point[0], self.http.where, what)  # milliseconds, same checks
        if point[1] is None:
            return []
        usd = usd_value(point[1], self.http.where, what)
        return [(ms, usd)] if usd is not None else []
