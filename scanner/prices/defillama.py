"""DefiLlama's coins API: USD prices by {chain}:{address} or coingecko:{id}, no key needed.

Requests at one moment go to /prices/historical/{ts}/{coins}; requests at several moments
go to /batchHistorical?coins={"coin": [ts, ...]}, which answers
{"coins": {"coin": {"symbol": ..., "prices": [{"timestamp", "price", "confidence"}]}}}.
Either way many requests share one call. A price whose timestamp is more than
`search_width` from the moment asked for is no price for that moment and is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from chains.errors import SourceInconsistent, UserInputError
from chains.retry import RetryPolicy
from scanner.prices.coingecko import asset_key, native_coingecko_id, price_asset
from scanner.prices.http import (
    JsonHttp,
    confidence_value,
    from_unix,
    to_unix,
    unix_seconds,
    usd_value,
)
from scanner.prices.sources import PriceRequest, Quote

FREE_URL = "https://coins.llama.fi"
PRO_URL = "https://pro-api.llama.fi/{key}/coins"
RETRY = RetryPolicy(backoff_s=1.0, max_wait_s=30.0)
DEFAULT_CALLS_PER_SECOND = 5.0
DEFAULT_SEARCH_WIDTH = timedelta(hours=4)
MAX_COINS_PER_CALL = 50  # coin ids in one /prices/historical path
MAX_POINTS_PER_CALL = 100  # (coin, moment) pairs in one /batchHistorical query
MAX_QUERY_CHARS = 4000  # its coins parameter, URL-encoded, so the URL stays short

# Chain id -> DefiLlama chain name, for {chain}:{address} coin ids.
LLAMA_CHAINS: dict[int, str] = {
    1: "ethereum",
    10: "optimism",
    56: "bsc",
    100: "xdai",
    137: "polygon",
    324: "era",
    8453: "base",
    42161: "arbitrum",
    43114: "avax",
    59144: "linea",
    534352: "scroll",
}


def llama_coin(asset: str) -> str | None:
    """The DefiLlama coin id of a CAIP-19 asset, or None when it has none: a native coin
    (of any chain) by its CoinGecko id, a token by its chain and address."""
    coin = native_coingecko_id(asset)
    if coin is not None:
        return f"coingecko:{coin}"
    parts = price_asset(asset)
    if parts is None or parts.token is None:
        return None
    chain = LLAMA_CHAINS.get(parts.chain_id)
    return f"{chain}:{parts.token}" if chain else None


def _coins_json(coins: Mapping[str, list[int]]) -> str:
    return json.dumps(coins, separators=(",", ":"))


def _width_text(width: timedelta) -> str:
    seconds = int(width.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{-(-seconds // 60)}m"


class DefiLlama:
    name = "defillama"

    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 calls_per_second: float = DEFAULT_CALLS_PER_SECOND, *,
                 search_width: timedelta = DEFAULT_SEARCH_WIDTH,
                 ids: Mapping[str, str] | None = None,
                 max_coins_per_call: int = MAX_COINS_PER_CALL,
                 max_points_per_call: int = MAX_POINTS_PER_CALL,
                 session: requests.Session | None = None) -> None:
        """`base_url` defaults to the free API, or the pro API with `api_key` in its path;
        give one for a proxy. `ids` maps assets to DefiLlama coin ids, over the defaults."""
        if search_width < timedelta(minutes=1):
            raise UserInputError("DefiLlama search width must be at least a minute")
        if max_coins_per_call < 1 or max_points_per_call < 1:
            raise UserInputError("DefiLlama batch sizes must be positive")
        if base_url is None:
            base_url = PRO_URL.format(key=api_key) if api_key else FREE_URL
        self.base_url = base_url.rstrip("/")
        self.search_width = search_width
        self.ids = {asset_key(asset): coin for asset, coin in (ids or {}).items()}
        self.max_coins_per_call = max_coins_per_call
        self.max_points_per_call = max_points_per_call
        self.http = JsonHttp("DefiLlama", self.base_url, secrets=(api_key,) if api_key else (),
                             calls_per_second=calls_per_second, retry=RETRY,
                             session=session)

    @property
    def requests_sent(self) -> int:
        return self.http.requests_sent

    def coin(self, asset: str) -> str | None:
        key = asset_key(asset)
        return self.ids[key] if key in self.ids else llama_coin(key)

    # ---- historical prices ------------------------------------------------------------

    def quotes(self, requests: Sequence[PriceRequest]) -> list[Quote]:
        # (coin, unix moment) -> the requests it answers, in first-seen order
        wanted: dict[tuple[str, int], list[PriceRequest]] = {}
        for request in requests:
            coin = self.coin(request.asset)
            if coin is not None:
                wanted.setdefault((coin, to_unix(request.timestamp)), []).append(request)
        answers: dict[tuple[str, int], tuple[int, Decimal, Decimal | None]] = {}
        for chunk in self._chunks(list(wanted)):
            moments = {moment for _, moment in chunk}
            if len(moments) == 1 and len(chunk) <= self.max_coins_per_call:
                answers.update(self._historical(moments.pop(), [coin for coin, _ in chunk]))
            else:
                answers.update(self._batch(chunk))
        found: list[Quote] = []
        seen: set[tuple[str, datetime]] = set()
        for pair, asked in wanted.items():
            if pair not in answers:
                continue
            stamp, usd, confidence = answers[pair]
            for request in asked:
                if (request.asset, request.timestamp) not in seen:
                    seen.add((request.asset, request.timestamp))
                    found.append(Quote(request.asset, request.timestamp, from_unix(stamp), usd,
                                       self.name, confidence))
        return found

    def _chunks(self, pairs: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
        """(coin, moment) pairs cut into as few calls as the limits allow: one moment
        goes to /prices/historical in runs of `max_coins_per_call` coins; several fill
        /batchHistorical queries of at most `max_points_per_call` pairs and
        MAX_QUERY_CHARS characters."""
        if len({moment for _, moment in pairs}) <= 1:
            size = self.max_coins_per_call
            return [pairs[start:start + size] for start in range(0, len(pairs), size)]
        chunks: list[list[tuple[str, int]]] = []
        current: dict[str, list[int]] = {}
        count = 0
        for coin, moment in sorted(pairs):
            trial = {**current, coin: [*current.get(coin, []), moment]}
            if count and (count >= self.max_points_per_call
                          or len(quote(_coins_json(trial))) > MAX_QUERY_CHARS):
                chunks.append([(c, m) for c, ms in current.items() for m in ms])
                trial, count = {coin: [moment]}, 0
            current = trial
            count += 1
        if count:
            chunks.append([(c, m) for c, ms in current.items() for m in ms])
        return chunks

    def _close(self, asked: int, stamp: int) -> bool:
        return abs(stamp - asked) <= self.search_width.total_seconds()

    def _historical(self, moment: int, coins: list[str]
                    ) -> dict[tuple[str, int], tuple[int, Decimal, Decimal | None]]:
        what = f"prices at {moment}"
        body = self.http.get(f"{self.base_url}/prices/historical/{moment}/{','.join(coins)}",
                             {"searchWidth": _width_text(self.search_width)}, what)
        found: dict[tuple[str, int], tuple[int, Decimal, Decimal | None]] = {}
        answered = self._coins(body, what)
        for coin in coins:
            if coin.lower() not in answered:
                continue
            price = self._price(answered[coin.lower()], f"{coin} at {moment}")
            if price is not None and self._close(moment, price[0]):
                found[(coin, moment)] = price
        return found

    def _batch(self, pairs: list[tuple[str, int]]
               ) -> dict[tuple[str, int], tuple[int, Decimal, Decimal | None]]:
        asked: dict[str, list[int]] = {}
        for coin, moment in pairs:
            asked.setdefault(coin, []).append(moment)
        what = f"a batch of {len(pairs)} historical prices"
        body = self.http.get(f"{self.base_url}/batchHistorical",
                             {"coins": _coins_json(asked),
                              "searchWidth": _width_text(self.search_width)}, what)
        found: dict[tuple[str, int], tuple[int, Decimal, Decimal | None]] = {}
        answered = self._coins(body, what)
        for coin in asked:
            entry = answered.get(coin.lower())
            if entry is None:
                continue
            if not isinstance(entry, dict) or not isinstance(entry.get("prices"), list):
                raise SourceInconsistent(f"{self.http.where} sent no price list for {coin}")
            points = [p for p in (self._price(point, coin) for point in entry["prices"])
                      if p is not None]
            for moment in asked[coin]:
                near = [p for p in points if self._close(moment, p[0])]
                if near:
                    found[(coin, moment)] = min(near, key=lambda p: (abs(p[0] - moment), p[0]))
        return found

    def _coins(self, body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("coins"), dict):
            raise SourceInconsistent(f"{self.http.where} answered {what} without a coins "
                                     "object")
        coins: dict[str, Any] = body["coins"]
        return {str(coin).lower(): entry for coin, entry in coins.items()}

    def _price(self, entry: Any, what: str) -> tuple[int, Decimal, Decimal | None] | None:
        if not isinstance(entry, dict):
            raise SourceInconsistent(f"{self.http.where} sent a price of {what} that is no "
                                     "object")
        usd = usd_value(entry.get("price"), self.http.where, what)
        if usd is None:
            return None
        stamp = unix_seconds(entry.get("timestamp"), self.http.where, what)
        return stamp, usd, confidence_value(entry.get("confidence"))

    # ---- current prices ---------------------------------------------------------------

    def current(self, assets: Sequence[str], now: datetime | None = None) -> list[Quote]:
        """Latest prices from /prices/current; `requested` is `now`, and prices older
        than `search_width` before it are dropped."""
        moment = now or datetime.now(UTC)
        asked: dict[str, list[str]] = {}
        for asset in assets:
            coin = self.coin(asset)
            if coin is not None:
                asked.setdefault(coin, []).append(asset)
        coins = list(asked)
        found: list[Quote] = []
        for start in range(0, len(coins), self.max_coins_per_call):
            part = coins[start:start + self.max_coins_per_call]
            what = "current prices"
            body = self.http.get(f"{self.base_url}/prices/current/{','.join(part)}",
                                 {"searchWidth": _width_text(self.search_width)}, what)
            answered = self._coins(body, what)
            for coin in part:
                if coin.lower() not in answered:
                    continue
                price = self._price(answered[coin.lower()], f"{coin} now")
                if price is None or not self._close(to_unix(moment), price[0]):
                    continue
                for asset in dict.fromkeys(asked[coin]):
                    found.append(Quote(asset, moment, from_unix(price[0]), price[1], self.name,
                                       price[2]))
        return found
