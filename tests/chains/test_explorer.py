"""The explorer source: the recorded wallet replayed, paging past the cap, real error shapes."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from chains.errors import SourceInconsistent, SourceRefused, SourceUnavailable
from chains.evm import explorer as explorer_module
from chains.evm.explorer import ExplorerClient, ExplorerConfig, ExplorerSource
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from chains.ratelimit import TokenBucket
from scanner.app import scan as scanning
from scanner.store import Store
from tests.chains.fake_explorer import FakeExplorer
from tests.chains.fake_node import URL, FakeNode

RECORDING = "explorer-recordings/wallet_histories/eth_0x6e15887E_upto_14051557_fixture.json"
SHAPES = "explorer-recordings/errors/multichain_etherscan_blockscout_routescan_error_shapes.json"
WALLET = "0x6e15887e2cec81434c16d587709f64603b39b545"
LAST_BLOCK = 14051557
KEY = "SECRETKEY123"


@pytest.fixture(autouse=True)
def quick_explorer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explorer_module, "RETRY",
                        replace(explorer_module.RETRY, backoff_s=0.001, max_wait_s=0.002))


def recorded(realdata: Path) -> tuple[FakeNode, dict[str, list[dict[str, Any]]]]:
    node = FakeNode(realdata / RECORDING, head=LAST_BLOCK)
    data = json.loads((realdata / RECORDING).read_text())
    rows = {action: data["account"][action]["response"]["result"]
            for action in ("txlist", "txlistinternal", "tokentx")}
    return node, rows


def fake(realdata: Path, mock: responses.RequestsMock) -> tuple[FakeNode, FakeExplorer]:
    node, rows = recorded(realdata)
    site = FakeExplorer(rows, lambda action, params: node.handlers[action](params))
    site.install(mock)
    return node, site


def client(page_size: int = 1000, key: str | None = KEY) -> ExplorerClient:
    return ExplorerClient(ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, 1, key,
                                         calls_per_second=1000, page_size=page_size))


def ledger_of(source: Any, tmp: Path, name: str) -> list[Any]:
    with Store(tmp / f"{name}.duckdb") as store:
        scanning.scan(store, source, [WALLET], source_name=name)
        return store.ledger()


def test_the_explorer_and_the_node_give_the_same_ledger(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    node, site = fake(realdata, mock)
    node.install(mock)
    by_explorer = ledger_of(ExplorerSource(client()), tmp_path, "explorer")
    by_node = ledger_of(RpcSource(RpcClient(URL)), tmp_path, "rpc")
    assert by_explorer == by_node
    assert {e.tx_hash for e in by_explorer} == set(node.receipts)
    for row in node.tokentx:
        (leg,) = [e for e in by_explorer if e.tx_hash == row["hash"] and "/erc20:" in e.asset]
        assert abs(leg.raw_amount) == int(row["value"])
        assert leg.symbol == row["tokenSymbol"] and leg.decimals == int(row["tokenDecimal"])
    for tx_hash, receipt in node.receipts.items():
        fees = [e for e in by_explorer if e.tx_hash == tx_hash and e.kind.value == "fee"]
        expected = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        assert [-f.raw_amount for f in fees] == ([expected] if receipt["from"] == WALLET else [])
    assert all(q.get("apikey") == KEY and q.get("chainid") == "1" for q in site.requests)
    assert KEY.encode() not in (tmp_path / "explorer.duckdb").read_bytes()  # keys are never kept
    assert site.count("account") == 5  # one call per action: every answer fit in a page


def test_receipts_come_from_the_node_when_one_is_configured(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    node, site = fake(realdata, mock)
    node.install(mock)
    ledger_of(ExplorerSource(client(), RpcSource(RpcClient(URL))), tmp_path, "explorer")
    assert site.count("proxy") == 0
    assert node.count("eth_getTransactionReceipt") == len(node.receipts)


def test_rows_past_the_page_cap_are_walked_by_page_number(
    realdata: Path, mock: responses.RequestsMock
) -> None:
    _, site = fake(realdata, mock)
    page = client(page_size=2).account_rows("txlist", WALLET, 0, LAST_BLOCK)
    _, rows = recorded(realdata)
    assert sorted(r["hash"] for r in page.rows) == sorted(r["hash"] for r in rows["txlist"])
    assert [(int(q["startblock"]), int(q["page"])) for q in site.requests] == [(0, 1), (0, 2)]


def test_rows_past_the_result_window_are_walked_by_startblock_and_deduplicated(
    realdata: Path, mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(explorer_module, "RESULT_WINDOW", 2)  # a window of one 2-row page
    _, site = fake(realdata, mock)
    page = client(page_size=2).account_rows("txlist", WALLET, 0, LAST_BLOCK)
    _, rows = recorded(realdata)
    assert sorted(r["hash"] for r in page.rows) == sorted(r["hash"] for r in rows["txlist"])
    blocks = sorted(int(r["blockNumber"]) for r in rows["txlist"])
    # a full window moves startblock to its last block, which is read again and deduplicated
    assert [int(q["startblock"]) for q in site.requests] == [0, blocks[1], blocks[2]]
    assert all(int(q["offset"]) * int(q["page"]) <= 2 for q in site.requests)


def shape(realdata: Path, text: str) -> dict[str, Any]:
    interactions = json.loads((realdata / SHAPES).read_text())["interactions"]
    for item in interactions:
        body = item.get("response")
        if isinstance(body, dict) and text in json.dumps(body):
            return body  # type: ignore[no-any-return]
    raise AssertionError(f"no recorded shape with {text!r}")


@pytest.mark.parametrize("text", ["No transactions found", "No internal transactions found",
                                  "No token transfers found"])
def test_empty_answers_mean_no_rows(realdata: Path, mock: responses.RequestsMock,
                                    text: str) -> None:
    mock.add(responses.GET, ETHERSCAN_V2, json=shape(realdata, text))
    page = client().account_rows("txlist", WALLET, 0, 10)
    assert page.rows == [] and not page.partial


def test_plan_errors_stop_at_once_with_the_explorers_words(
    realdata: Path, mock: responses.RequestsMock
) -> None:
    mock.add(responses.GET, ETHERSCAN_V2, json=shape(realdata, "Free API access"))
    with pytest.raises(SourceRefused, match="Free API access is not supported") as raised:
        client().account_rows("txlist", WALLET, 0, 10)
    assert KEY not in str(raised.value)
    assert len(mock.calls) == 1


def test_a_bad_key_stops_without_printing_it(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ETHERSCAN_V2,
             json={"status": "0", "message": "NOTOK", "result": "Missing/Invalid API Key"})
    with pytest.raises(SourceRefused, match="Invalid API Key") as raised:
        client().account_rows("txlist", WALLET, 0, 10)
    assert KEY not in str(raised.value)


def test_an_unsupported_chain_on_routescan_stops(realdata: Path,
                                                 mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ETHERSCAN_V2, json=shape(realdata, "chain not supported"))
    with pytest.raises(SourceRefused, match="chain not supported"):
        client().account_rows("txlist", WALLET, 0, 10)


def test_rate_limits_timeouts_and_5xx_are_retried(mock: responses.RequestsMock) -> None:
    ok = {"status": "1", "message": "OK", "result": [{"blockNumber": "5", "hash": "0x" + "1" * 64}]}
    mock.add(responses.GET, ETHERSCAN_V2, json={"status": "0", "message": "NOTOK",
                                                 "result": "Max rate limit reached"})
    mock.add(responses.GET, ETHERSCAN_V2, json={"status": "0", "message": "Query Timeout occured. "
                                                 "Please select a smaller result dataset",
                                                 "result": None})
    mock.add(responses.GET, ETHERSCAN_V2, status=502)
    mock.add(responses.GET, ETHERSCAN_V2, status=429, headers={"Retry-After": "0"})
    mock.add(responses.GET, ETHERSCAN_V2, json=ok)
    page = client().account_rows("txlist", WALLET, 0, 10)
    assert [r["blockNumber"] for r in page.rows] == ["5"]
    assert len(mock.calls) == 5


def test_an_explorer_that_keeps_failing_is_unavailable(mock: responses.RequestsMock) -> None:
    for _ in range(explorer_module.RETRY.attempts):
        mock.add(responses.GET, ETHERSCAN_V2, status=503)
    with pytest.raises(SourceUnavailable, match="kept failing"):
        client().account_rows("txlist", WALLET, 0, 10)


def test_blockscout_partial_results_are_kept_and_the_cursor_held_back(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    node, rows = recorded(realdata)
    partial = shape(realdata, "have not yet been processed")
    assert partial["status"] == "2"
    partial = {**partial, "result": []}  # the recorded rows belong to another wallet
    site = FakeExplorer(rows, lambda action, params: node.handlers[action](params),
                        empty={"txlistinternal": partial})
    site.install(mock)
    source = ExplorerSource(client())
    with Store(tmp_path / "t.duckdb") as store:
        (result,) = scanning.scan(store, source, [WALLET], source_name="explorer")
        assert any("not processed every txlistinternal" in note for note in result.notes)
        assert store.cursor(1, WALLET, "explorer") is None  # the next scan asks again
        assert {e.tx_hash for e in store.ledger()} >= {r["hash"] for r in rows["tokentx"]}


def test_the_token_bucket_spaces_calls_to_the_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(3.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(7):
        bucket.take()
    assert now[0] == pytest.approx(2.0)  # 7 calls at 3 a second: the first free, 6 x 1/3 s


def test_a_retry_after_is_waited_up_to_the_max_wait(
    mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # tenacity's sleep: asked, not waited
    ok = {"status": "1", "message": "OK", "result": []}
    mock.add(responses.GET, ETHERSCAN_V2, status=429, headers={"Retry-After": "2"})
    mock.add(responses.GET, ETHERSCAN_V2, status=503, headers={"Retry-After": "90"})
    mock.add(responses.GET, ETHERSCAN_V2, json=ok)
    config = ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, 1, KEY, calls_per_second=1000)
    assert ExplorerClient(config, max_wait_s=30).account_rows("txlist", WALLET, 0, 10).rows == []
    assert waits == [2.0, 30.0]


def test_the_timeout_is_the_clients_own(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ETHERSCAN_V2, json={"status": "1", "message": "OK", "result": []})
    config = ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, 1, KEY, calls_per_second=1000)
    ExplorerClient(config, timeout_s=0.5).account_rows("txlist", WALLET, 0, 10)
    client().account_rows("txlist", WALLET, 0, 10)
    timeouts = [call.request.req_kwargs["timeout"] for call in mock.calls]  # type: ignore[attr-defined]
    assert timeouts == [0.5, explorer_module.DEFAULT_TIMEOUT_S]


@pytest.mark.parametrize("failure", [
    requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    requests.ReadTimeout("Read timed out"),
    requests.ConnectionError("Remote end closed connection without response"),
])
def test_torn_dropped_and_stalled_answers_are_retried(
    mock: responses.RequestsMock, failure: Exception
) -> None:
    mock.add(responses.GET, ETHERSCAN_V2, body=failure)
    mock.add(responses.GET, ETHERSCAN_V2, body='{"status": "1", "message": "OK", "res')
    mock.add(responses.GET, ETHERSCAN_V2, json={"status": "1", "message": "OK", "result": []})
    assert client().account_rows("txlist", WALLET, 0, 10).rows == []
    assert len(mock.calls) == 3


def proxy_answers(mock: responses.RequestsMock, body: dict[str, Any]) -> None:
    def serve(request: Any) -> tuple[int, dict[str, str], str]:
        return 200, {}, json.dumps(body)

    mock.add_callback(responses.GET, ETHERSCAN_V2, callback=serve)


def test_an_explorer_serving_another_chain_is_inconsistent(mock: responses.RequestsMock) -> None:
    proxy_answers(mock, {"jsonrpc": "2.0", "id": 1, "result": "0x2105"})
    with pytest.raises(SourceInconsistent, match="serves chain 8453, not chain 1"):
        ExplorerSource(client()).chain_id()


def test_an_explorer_that_does_not_tell_its_chain_is_taken_at_its_word(
    mock: responses.RequestsMock,
) -> None:
    proxy_answers(mock, {"status": "0", "message": "NOTOK",
                         "result": "Error! Missing Or invalid Action name"})
    assert ExplorerSource(client()).chain_id() == 1
    actions = [call.request.params["action"] for call in mock.calls]  # type: ignore[attr-defined]
    assert actions == ["eth_chainId"]
