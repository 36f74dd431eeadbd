"""DefiLlama and CoinGecko price sources: recorded answers, exact money, batching, errors.

HTTP goes through the `mock` fixture of tests/chains/conftest.py (responses)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from chains.errors import SourceRefused, SourceUnavailable
from chains.retry import DEFAULT_ATTEMPTS
from scanner.prices import coingecko as coingecko_module
from scanner.prices import defillama as defillama_module
from scanner.prices.coingecko import CoinGecko
from scanner.prices.defillama import DefiLlama
from scanner.prices.sources import PriceRequest, PriceSource

PRICES = Path("explorer-recordings") / "prices"
KEY = "123totallyrealapikey123"  # the key in the recorded pro-api.llama.fi paths
CG_KEY = "CG-secretkey987"
ETH = "eip155:1/slip44:60"
OP_ETH = "eip155:10/slip44:60"
POL = "eip155:137/slip44:966"
DAI = "eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f"
ARB = "eip155:42161/erc20:0x912ce59144191c1204e64559fe8253a0e49e6548"
LINK = "eip155:1/erc20:0x514910771af9ca656af840dff83e8264ecf986ca"
OP_USDC = "eip155:10/erc20:0x0b2c639c533813f4aa9d7837caf62653d097ff85"
LLAMA = "https://coins.llama.fi"
CG = "https://api.coingecko.com/api/v3"
FAST = 100_000.0


@pytest.fixture(autouse=True)
def quick_price_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (defillama_module, coingecko_module):
        monkeypatch.setattr(module, "RETRY",
                            replace(module.RETRY, backoff_s=0.001, max_wait_s=0.002))


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _exact_dump(value: Any) -> str:
    """JSON text of a value parsed with parse_float=Decimal, numbers as they were sent."""
    text = json.dumps(value, default=lambda number: f"\x00{number}\x00")
    return re.sub(r'"\\u0000([^"\\]*)\\u0000"', r"\1", text)


def recorded(realdata: Path, name: str, uri_part: str) -> tuple[str, int, str]:
    """(uri, status, body text) of the first recorded interaction whose uri has
    `uri_part`; the body keeps the recorded number text."""
    data = json.loads((realdata / PRICES / name).read_text(), parse_float=Decimal)
    for interaction in data["interactions"]:
        if uri_part in interaction["uri"]:
            return (interaction["uri"], interaction["status_code"],
                    _exact_dump(interaction["response"]))
    raise AssertionError(f"{name} has no interaction with {uri_part}")


def llama(**kwargs: Any) -> DefiLlama:
    kwargs.setdefault("calls_per_second", FAST)
    return DefiLlama(**kwargs)


def gecko(**kwargs: Any) -> CoinGecko:
    kwargs.setdefault("calls_per_minute", FAST)
    return CoinGecko(**kwargs)


def query(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


# ---- DefiLlama: recorded answers -------------------------------------------------------

def test_recorded_pro_historical_price_is_exact_and_key_goes_in_the_path(
        realdata: Path, mock: responses.RequestsMock) -> None:
    uri, status, body = recorded(realdata, "test_defillama_with_api_key.json",
                                 "/prices/historical/")
    assert "1.0182482830027697" in body
    mock.get(uri, status=status, body=body)
    source = llama(api_key=KEY, ids={DAI: "coingecko:dai"})
    (quote,) = source.quotes([PriceRequest(DAI, at(1597024800))])
    assert isinstance(quote.usd, Decimal)
    assert str(quote.usd) == "1.0182482830027697"
    assert quote.usd == Decimal("1.0182482830027697")
    assert quote.usd != Decimal.from_float(1.0182482830027697)  # what a float makes of it
    assert (quote.asset, quote.requested, quote.timestamp) == (DAI, at(1597024800),
                                                              at(1597024925))
    assert (quote.source, quote.confidence) == ("defillama", None)
    sent = mock.calls[0].request.url
    assert sent.startswith(f"https://pro-api.llama.fi/{KEY}/coins/prices/historical/"
                           "1597024800/coingecko:dai")
    assert query(mock.calls[0]) == {"searchWidth": "4h"}


def test_recorded_pro_current_price_with_confidence(realdata: Path,
                                                    mock: responses.RequestsMock) -> None:
    uri, status, body = recorded(realdata, "test_defillama_with_api_key.json",
                                 "/prices/current/")
    mock.get(uri, status=status, body=body)
    (quote,) = llama(api_key=KEY).current([ETH], now=at(1728559500))
    assert quote.usd == Decimal(2399) and isinstance(quote.usd, Decimal)
    assert quote.confidence == Decimal("0.99") and str(quote.confidence) == "0.99"
    assert (quote.asset, quote.timestamp, quote.requested) == (ETH, at(1728559494),
                                                              at(1728559500))


def test_recorded_current_prices_of_several_coins(realdata: Path,
                                                  mock: responses.RequestsMock) -> None:
    uri, status, body = recorded(realdata, "test_query_multiple_current_pricesFalse.json",
                                 "coins.llama.fi/prices/current/")
    mock.get(uri, status=status, body=body)
    source = llama(ids={ARB: "coingecko:arbitrum", DAI: "coingecko:dai",
                        LINK: "coingecko:chainlink"})
    quotes = {q.asset: q for q in source.current([ARB, DAI, LINK], now=at(1741276700))}
    assert len(mock.calls) == 1
    assert {a: (str(q.usd), q.timestamp, q.confidence) for a, q in quotes.items()} == {
        ARB: ("0.415488", at(1741276623), Decimal("0.99")),
        DAI: ("0.99972", at(1741276617), Decimal("0.99")),
        LINK: ("17.22", at(1741276615), Decimal("0.99")),
    }


def test_recorded_native_polygon_coin_maps_to_matic_network(
        realdata: Path, mock: responses.RequestsMock) -> None:
    uri, status, body = recorded(realdata, "test_matic_pol_hardforked_priceFalse.json",
                                 "coins.llama.fi/prices/historical/1724451200/")
    assert uri == f"{LLAMA}/prices/historical/1724451200/coingecko:matic-network"
    mock.get(uri, status=status, body=body)
    (quote,) = llama().quotes([PriceRequest(POL, at(1724451200))])
    assert (str(quote.usd), quote.timestamp, quote.confidence) == (
        "0.540342", at(1724450278), Decimal("0.99"))


# ---- DefiLlama: mapping, widths, batching --------------------------------------------------

def test_coin_ids_for_tokens_and_native_coins() -> None:
    source = llama()
    assert source.coin(DAI) == "ethereum:0x6b175474e89094c44da98b954eedeac495271d0f"
    assert source.coin(ARB) == "arbitrum:0x912ce59144191c1204e64559fe8253a0e49e6548"
    assert source.coin("eip155:324/erc20:0x" + "ab" * 20) == "era:0x" + "ab" * 20
    assert source.coin("eip155:43114/erc20:0x" + "ab" * 20) == "avax:0x" + "ab" * 20
    assert source.coin(OP_ETH) == "coingecko:ethereum"
    assert source.coin("eip155:534352/slip44:60") == "coingecko:ethereum"
    assert source.coin("eip155:56/slip44:714") == "coingecko:binancecoin"
    assert source.coin("eip155:100/slip44:700") == "coingecko:xdai"
    assert source.coin("eip155:43114/slip44:9000") == "coingecko:avalanche-2"


def test_unknown_assets_get_no_quote_and_no_call(mock: responses.RequestsMock) -> None:
    unknown = ["eip155:999/erc20:0x" + "11" * 20, "eip155:999/slip44:60",
               "eip155:1/slip44:966", "eip155:1/erc721:0x" + "22" * 20 + "/7"]
    moment = at(1700000000)
    assert llama().quotes([PriceRequest(a, moment) for a in unknown]) == []
    assert gecko().quotes([PriceRequest(a, moment) for a in unknown]) == []
    assert len(mock.calls) == 0


def test_a_price_far_from_the_moment_is_skipped(mock: responses.RequestsMock) -> None:
    moment = 1700000000
    coin = "coingecko:ethereum"
    mock.get(f"{LLAMA}/prices/historical/{moment}/{coin}",
             body=json.dumps({"coins": {coin: {"price": 2000.5,
                                               "timestamp": moment - 4 * 3600 - 1}}}))
    assert llama().quotes([PriceRequest(ETH, at(moment))]) == []
    mock.replace(responses.GET, f"{LLAMA}/prices/historical/{moment}/{coin}",
                 body=json.dumps({"coins": {coin: {"price": 2000.5,
                                                   "timestamp": moment - 4 * 3600}}}))
    (quote,) = llama().quotes([PriceRequest(ETH, at(moment))])
    assert quote.timestamp == at(moment - 4 * 3600)


def _batch_answer(shift: int, far: set[int] | None = None
                  ) -> Callable[[requests.PreparedRequest], tuple[int, dict[str, str], str]]:
    """A /batchHistorical that prices every asked moment `shift` seconds later (and
    moments in `far` five hours later), each price the moment's digits over 10^4."""
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        params = parse_qs(urlsplit(str(request.url)).query)
        assert params["searchWidth"] == ["4h"]
        coins = json.loads(params["coins"][0])
        parts = []
        for coin, moments in coins.items():
            points = ",".join(
                f'{{"timestamp":{m + (5 * 3600 if far and m in far else shift)},'
                f'"price":{m}.0001,"confidence":0.97}}' for m in moments)
            parts.append(f'"{coin}":{{"symbol":"X","prices":[{points}]}}')
        return 200, {}, '{"coins":{' + ",".join(parts) + "}}"
    return answer


def test_many_moments_go_in_few_batch_calls(mock: responses.RequestsMock) -> None:
    mock.add_callback(responses.GET, f"{LLAMA}/batchHistorical", callback=_batch_answer(60))
    assets = [ETH, OP_ETH, DAI, ARB, LINK]
    moments = [1700000000 + day * 86400 for day in range(12)]
    asked = [PriceRequest(a, at(m)) for a in assets for m in moments]
    source = llama()
    quotes = source.quotes(asked)
    assert source.requests_sent == 1 == len(mock.calls)
    assert len(quotes) == len(asked) == 60
    for quote in quotes:
        unix = int(quote.requested.timestamp())
        assert quote.timestamp == at(unix + 60)
        assert quote.usd == Decimal(f"{unix}.0001")
        assert quote.confidence == Decimal("0.97")
    assert {(q.asset, q.requested) for q in quotes} == {(r.asset, r.timestamp)
                                                      for r in asked}
    coins = json.loads(query(mock.calls[0])["coins"])
    assert coins["coingecko:ethereum"] == moments  # ETH on two chains asked once


def test_batches_respect_the_point_limit(mock: responses.RequestsMock) -> None:
    mock.add_callback(responses.GET, f"{LLAMA}/batchHistorical", callback=_batch_answer(0))
    asked = [PriceRequest(DAI, at(1700000000 + 3600 * n)) for n in range(45)]
    source = llama(max_points_per_call=20)
    assert len(source.quotes(asked)) == 45
    assert source.requests_sent == 3
    for call in mock.calls:
        assert sum(len(ms) for ms in json.loads(query(call)["coins"]).values()) <= 20


def test_batch_skips_points_far_from_their_moment(mock: responses.RequestsMock) -> None:
    near, far = 1700000000, 1700086400
    mock.add_callback(responses.GET, f"{LLAMA}/batchHistorical",
                      callback=_batch_answer(30, far={far}))
    quotes = llama().quotes([PriceRequest(DAI, at(near)), PriceRequest(DAI, at(far))])
    assert [(q.requested, q.timestamp) for q in quotes] == [(at(near), at(near + 30))]


def test_many_coins_at_one_moment_share_one_historical_call(
        mock: responses.RequestsMock) -> None:
    moment = 1700000000
    tokens = [f"eip155:1/erc20:0x{n:040x}" for n in range(1, 31)]
    coins = {f"ethereum:0x{n:040x}": {"price": Decimal(n) / 7, "timestamp": moment}
             for n in range(1, 31)}
    mock.get(re.compile(rf"{LLAMA}/prices/historical/{moment}/.*"), body=_exact_dump(
        {"coins": {c.upper(): v for c, v in coins.items()}}))  # case does not matter
    source = llama()
    quotes = source.quotes([PriceRequest(t, at(moment)) for t in tokens])
    assert source.requests_sent == 1
    assert [q.usd for q in quotes] == [Decimal(n) / 7 for n in range(1, 31)]


# ---- DefiLlama and CoinGecko: errors ----------------------------------------------------

ErrorCase = tuple[PriceSource, str, PriceRequest, str]


def _cases() -> list[str]:
    return ["defillama-pro", "coingecko-demo"]


def _case(name: str) -> ErrorCase:
    """(source, the URL it will call, the request, its key) for one keyed source."""
    if name == "defillama-pro":
        return (llama(api_key=KEY),
                f"https://pro-api.llama.fi/{KEY}/coins/prices/historical/1700000000/"
                "coingecko:ethereum", PriceRequest(ETH, at(1700000000)), KEY)
    return (gecko(api_key=CG_KEY),
            f"{CG}/coins/ethereum/market_chart/range", PriceRequest(ETH, at(1700000000)),
            CG_KEY)


def _good_body(name: str) -> str:
    if name == "defillama-pro":
        return '{"coins":{"coingecko:ethereum":{"price":2063.17,"timestamp":1699999990}}}'
    return '{"prices":[[1699999200000,2063.17]],"market_caps":[],"total_volumes":[]}'


@pytest.mark.parametrize("name", _cases())
def test_429_then_success_is_retried(name: str, mock: responses.RequestsMock) -> None:
    source, url, request, _ = _case(name)
    mock.get(url, status=429, body='{"status":{"error_code":429}}')
    mock.get(url, body=_good_body(name))
    (quote,) = source.quotes([request])
    assert quote.usd == Decimal("2063.17")
    assert len(mock.calls) == 2


@pytest.mark.parametrize("name", _cases())
def test_a_retry_after_is_waited_up_to_the_max_wait(
    name: str, mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (defillama_module, coingecko_module):
        monkeypatch.setattr(module, "RETRY", replace(module.RETRY, max_wait_s=10.0))
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # tenacity's sleep: asked, not waited
    source, url, request, _ = _case(name)
    mock.get(url, status=429, headers={"Retry-After": "7"})
    mock.get(url, status=503, headers={"Retry-After": "90"})
    mock.get(url, body=_good_body(name))
    (quote,) = source.quotes([request])
    assert quote.usd == Decimal("2063.17")
    assert waits == [7.0, 10.0]


@pytest.mark.parametrize("name", _cases())
@pytest.mark.parametrize("fault", [requests.exceptions.ChunkedEncodingError,
                                   requests.exceptions.ContentDecodingError])
def test_a_torn_body_is_retried(name: str, fault: type[Exception],
                                mock: responses.RequestsMock) -> None:
    source, url, request, _ = _case(name)
    mock.get(url, body=fault(f"torn answer from {url}"))
    mock.get(url, body=_good_body(name))
    assert [q.usd for q in source.quotes([request])] == [Decimal("2063.17")]
    assert len(mock.calls) == 2


@pytest.mark.parametrize("name", _cases())
@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_forever_is_unavailable(name: str, status: int,
                                    mock: responses.RequestsMock) -> None:
    source, url, request, key = _case(name)
    mock.get(url, status=status, body=f"upstream error for {key}")
    with pytest.raises(SourceUnavailable) as caught:
        source.quotes([request])
    assert len(mock.calls) == DEFAULT_ATTEMPTS
    assert key not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("name", _cases())
@pytest.mark.parametrize("status", [401, 403])
def test_key_refusal_is_final_and_hides_the_key(name: str, status: int,
                                                mock: responses.RequestsMock) -> None:
    source, url, request, key = _case(name)
    mock.get(url, status=status, json={"status": {"error_code": 10002,
                                                  "error_message": f"denied: {key}\nbye"}})
    with pytest.raises(SourceRefused) as caught:
        source.quotes([request])
    assert len(mock.calls) == 1
    message = str(caught.value)
    assert key not in message and "\n" not in message
    assert str(status) in message


@pytest.mark.parametrize("name", _cases())
def test_other_4xx_naming_the_key_is_refused(name: str, mock: responses.RequestsMock) -> None:
    source, url, request, key = _case(name)
    mock.get(url, status=400, json={"error": f"Invalid API key {key}"})
    with pytest.raises(SourceRefused) as caught:
        source.quotes([request])
    assert len(mock.calls) == 1 and key not in str(caught.value)


@pytest.mark.parametrize("name", _cases())
def test_malformed_body_is_retried_then_unavailable(name: str,
                                                    mock: responses.RequestsMock) -> None:
    source, url, request, _ = _case(name)
    mock.get(url, body=_good_body(name)[:25])
    with pytest.raises(SourceUnavailable, match="malformed"):
        source.quotes([request])
    assert len(mock.calls) == DEFAULT_ATTEMPTS


@pytest.mark.parametrize("name", _cases())
def test_malformed_body_then_good_one_is_retried(name: str,
                                                 mock: responses.RequestsMock) -> None:
    source, url, request, _ = _case(name)
    mock.get(url, body="<html>502 Bad Gateway</html>")
    mock.get(url, body=_good_body(name))
    assert [q.usd for q in source.quotes([request])] == [Decimal("2063.17")]
    assert len(mock.calls) == 2


@pytest.mark.parametrize("name", _cases())
def test_connection_errors_never_show_the_key(name: str,
                                              mock: responses.RequestsMock) -> None:
    source, url, request, key = _case(name)
    mock.get(url, body=requests.ConnectionError(f"cannot reach {url} with {key}"))
    with pytest.raises(SourceUnavailable) as caught:
        source.quotes([request])
    assert key not in str(caught.value)
    assert len(mock.calls) == DEFAULT_ATTEMPTS


# ---- CoinGecko ------------------------------------------------------------------------------

def _range_answer(points: list[tuple[int, str]]) -> str:
    prices = ",".join(f"[{ms},{price}]" for ms, price in points)
    return f'{{"prices":[{prices}],"market_caps":[],"total_volumes":[]}}'


def test_recorded_coingecko_price_stays_exact_and_demo_key_goes_in_a_header(
        realdata: Path, mock: responses.RequestsMock) -> None:
    _, _, body = recorded(realdata, "test_coingecko_historical_price.json",
                          "/coins/ethereum/history")
    usd = re.search(r'"usd": ([0-9.eE+-]+)', body)
    assert usd is not None and usd.group(1) == "2279.9410085689606"
    new_year = 1704067200_000
    mock.get(f"{CG}/coins/ethereum/market_chart/range",
             body=_range_answer([(new_year - 3_600_000, "2281.5"), (new_year, usd.group(1)),
                                 (new_year + 3_600_000, "2290.25")]))
    source = gecko(api_key=CG_KEY)
    (quote,) = source.quotes([PriceRequest(ETH, at(1704067200 + 1800))])
    assert str(quote.usd) == "2279.9410085689606" and isinstance(quote.usd, Decimal)
    assert (quote.timestamp, quote.source, quote.confidence) == (at(1704067200),
                                                                "coingecko", None)
    sent = mock.calls[0].request
    assert sent.headers["x-cg-demo-api-key"] == CG_KEY
    assert "x-cg-pro-api-key" not in sent.headers
    assert CG_KEY not in str(sent.url)
    assert query(mock.calls[0]) == {"vs_currency": "usd", "from": str(1704067200 + 1800
                                                                      - 4 * 3600),
                                    "to": str(1704067200 + 1800)}


def test_pro_plan_uses_the_pro_host_and_header(mock: responses.RequestsMock) -> None:
    mock.get("https://pro-api.coingecko.com/api/v3/coins/ethereum/market_chart/range",
             body=_range_answer([(1700000000_000, "2000")]))
    source = gecko(api_key=CG_KEY, plan="pro")
    assert len(source.quotes([PriceRequest(ETH, at(1700000000))])) == 1
    headers = mock.calls[0].request.headers
    assert headers["x-cg-pro-api-key"] == CG_KEY and "x-cg-demo-api-key" not in headers


def test_demo_plan_is_held_to_30_calls_a_minute() -> None:
    assert CoinGecko(api_key="k-demo-rate").http.bucket.rate == pytest.approx(0.5)


def test_one_range_call_per_coin_takes_the_last_price_at_or_before(
        mock: responses.RequestsMock) -> None:
    start = 1700000000 // 3600 * 3600
    hourly = [(1000 * (start + 3600 * h), f"{2000 + h}.5") for h in range(24 * 10 + 1)]
    mock.get(f"{CG}/coins/ethereum/market_chart/range", body=_range_answer(hourly))
    moments = [start + 1800, start + 3600 * 30 + 3599, start + 3600 * 100,
               start + 3600 * 240]
    asked = [PriceRequest(a, at(m)) for m in moments for a in (ETH, OP_ETH)]
    source = gecko()
    quotes = source.quotes(asked)
    assert len(mock.calls) == 1
    assert query(mock.calls[0])["from"] == str(moments[0] - 4 * 3600)
    assert query(mock.calls[0])["to"] == str(moments[-1])
    got = {(q.asset, int(q.requested.timestamp())): (q.timestamp, q.usd) for q in quotes}
    assert len(got) == 8
    assert got[(OP_ETH, start + 1800)] == (at(start), Decimal("2000.5"))
    assert got[(ETH, start + 3600 * 30 + 3599)] == (at(start + 3600 * 30), Decimal("2030.5"))
    assert got[(ETH, start + 3600 * 100)] == (at(start + 3600 * 100), Decimal("2100.5"))


def test_no_price_within_the_window_before_the_moment(mock: responses.RequestsMock) -> None:
    moment = 1700000000
    mock.get(f"{CG}/coins/ethereum/market_chart/range", body=_range_answer(
        [(1000 * (moment - 5 * 3600), "1990"), (1000 * (moment + 60), "2000")]))
    assert gecko().quotes([PriceRequest(ETH, at(moment))]) == []
    assert gecko(window=timedelta(hours=6)).quotes(
        [PriceRequest(ETH, at(moment))])[0].usd == Decimal(1990)


def test_moments_further_apart_than_90_days_are_split(mock: responses.RequestsMock) -> None:
    moment = 1700000000
    mock.get(f"{CG}/coins/ethereum/market_chart/range", body=_range_answer([]))
    gecko().quotes([PriceRequest(ETH, at(moment)),
                    PriceRequest(ETH, at(moment + 200 * 86400))])
    assert len(mock.calls) == 2
    for call in mock.calls:
        span = int(query(call)["to"]) - int(query(call)["from"])
        assert span < 90 * 86400


def test_token_ids_come_from_the_contract_lookup_once(mock: responses.RequestsMock) -> None:
    lookup = mock.get(f"{CG}/coins/optimistic-ethereum/contract/{OP_USDC[-42:]}",
                      json={"id": "usd-coin", "symbol": "usdc"})
    prices = mock.get(f"{CG}/coins/usd-coin/market_chart/range",
                      body=_range_answer([(1700000000_000, "0.99987")]))
    source = gecko()
    for _ in range(2):
        (quote,) = source.quotes([PriceRequest(OP_USDC, at(1700000100))])
        assert quote.usd == Decimal("0.99987")
    assert lookup.call_count == 1 and prices.call_count == 2


def test_unknown_contract_is_remembered_and_gets_no_price(
        mock: responses.RequestsMock) -> None:
    lookup = mock.get(f"{CG}/coins/ethereum/contract/{DAI[-42:]}", status=404,
                      json={"error": "coin not found"})
    source = gecko()
    assert source.quotes([PriceRequest(DAI, at(1700000000))]) == []
    assert source.quotes([PriceRequest(DAI, at(1700003600))]) == []
    assert lookup.call_count == 1 and len(mock.calls) == 1


def test_ids_override_skips_the_lookup(mock: responses.RequestsMock) -> None:
    mock.get(f"{CG}/coins/dai/market_chart/range",
             body=_range_answer([(1700000000_000, "1.0003")]))
    (quote,) = gecko(ids={DAI: "dai"}).quotes([PriceRequest(DAI, at(1700000000))])
    assert quote.usd == Decimal("1.0003")
    assert len(mock.calls) == 1
    assert str(mock.calls[0].request.url).startswith(f"{CG}/coins/dai/")
