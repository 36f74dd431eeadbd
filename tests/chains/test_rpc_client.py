"""The JSON-RPC client: batching, retries on transient faults, clear failures."""

from __future__ import annotations

import json
import socket
import time
from email.utils import formatdate
from typing import Any

import pytest
import requests
import responses

from chains.errors import SourceInconsistent, SourceUnavailable
from chains.evm.node import RpcSource, _decimals, _text
from chains.evm.rpc import RpcCallError, RpcClient
from chains.retry import retry_after_s, safe_url

URL = "http://node.test/v3/SECRET-KEY"


def answer(result: Any, ident: int = 0) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "result": result}


def echo_batch(request: Any) -> tuple[int, dict[str, str], str]:
    body = json.loads(request.body)
    if isinstance(body, dict):
        return 200, {}, json.dumps(answer(body["params"][0], body["id"]))
    return 200, {}, json.dumps([answer(call["params"][0], call["id"]) for call in body[::-1]])


def test_batch_results_come_back_in_call_order(mock: responses.RequestsMock) -> None:
    mock.add_callback(responses.POST, URL, callback=echo_batch)
    client = RpcClient(URL, batch_size=3)
    calls = [("eth_getBlockByNumber", [hex(n)]) for n in range(7)]
    assert client.batch(calls) == [hex(n) for n in range(7)]
    assert len(mock.calls) == 3  # 7 calls in batches of 3


@pytest.mark.parametrize("fault", [
    {"status": 502, "body": "bad gateway"},
    {"status": 429, "body": "slow down", "headers": {"Retry-After": "0"}},
    {"status": 200, "body": '{"jsonrpc": "2.0", "id": 0, "res'},
])
def test_transient_faults_are_retried(mock: responses.RequestsMock, fault: dict[str, Any]) -> None:
    mock.add(responses.POST, URL, **fault)
    mock.add(responses.POST, URL, json=answer("0x1"))
    assert RpcClient(URL).call("eth_chainId", []) == "0x1"
    assert len(mock.calls) == 2


def test_a_node_that_keeps_failing_is_unavailable_without_leaking_the_key(
    mock: responses.RequestsMock,
) -> None:
    for _ in range(3):
        mock.add(responses.POST, URL, status=503)
    with pytest.raises(SourceUnavailable) as raised:
        RpcClient(URL, attempts=3).call("eth_chainId", [])
    assert "SECRET" not in str(raised.value)
    assert "http://node.test" in str(raised.value)


def test_json_rpc_errors_carry_the_nodes_words(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, URL, json={"jsonrpc": "2.0", "id": 0,
                                         "error": {"code": -32601, "message": "no such method"}})
    with pytest.raises(RpcCallError, match="no such method") as raised:
        RpcClient(URL).call("trace_filter", [{}])
    assert raised.value.method_missing


def test_a_batch_answered_with_the_wrong_count_is_inconsistent(
    mock: responses.RequestsMock,
) -> None:
    mock.add(responses.POST, URL, json=[answer("0x1", 0)])
    with pytest.raises(SourceInconsistent):
        RpcClient(URL).batch([("eth_chainId", []), ("eth_blockNumber", [])])


def test_an_unreachable_node_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceUnavailable, match=f"127.0.0.1:{port}"):
        RpcClient(f"http://127.0.0.1:{port}", attempts=2).call("eth_chainId", [])


def test_safe_url_drops_paths_and_credentials() -> None:
    assert safe_url("https://user:pw@mainnet.example.io/v3/abc?key=1") == \
        "https://mainnet.example.io"


def test_token_text_reads_abi_strings_and_old_bytes32() -> None:
    abi_string = "0x" + (32).to_bytes(32, "big").hex() + (4).to_bytes(32, "big").hex() \
        + b"USDT".ljust(32, b"\0").hex()
    assert _text(abi_string) == "USDT"
    assert _text("0x" + b"MKR".ljust(32, b"\0").hex()) == "MKR"
    assert _text("0x") is None
    assert _decimals("0x" + (6).to_bytes(32, "big").hex()) == 6
    assert _decimals("0x" + (2**255).to_bytes(32, "big").hex()) is None


def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retries ask for (tenacity sleeps through time.sleep), not waited."""
    asked: list[float] = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_is_waited_up_to_the_max_wait(
    mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    waits = sleeps(monkeypatch)
    mock.add(responses.POST, URL, status=status, headers={"Retry-After": "3"})
    mock.add(responses.POST, URL, status=status, headers={"Retry-After": "60"})
    mock.add(responses.POST, URL, json=answer("0x1"))
    assert RpcClient(URL, max_wait_s=10).call("eth_chainId", []) == "0x1"
    assert waits == [3.0, 10.0]


def test_without_a_retry_after_the_wait_is_the_exponential_backoff(
    mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = sleeps(monkeypatch)  # the conftest's backoff: 0.001 s, doubling
    mock.add(responses.POST, URL, status=502)
    mock.add(responses.POST, URL, status=429)
    mock.add(responses.POST, URL, json=answer("0x1"))
    assert RpcClient(URL, max_wait_s=10).call("eth_chainId", []) == "0x1"
    assert waits == [0.001, 0.002]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_s({"Retry-After": "7"}) == 7.0
    assert retry_after_s({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # past
    ahead = retry_after_s({"Retry-After": formatdate(time.time() + 120, usegmt=True)})
    assert ahead is not None and 100 < ahead <= 120
    assert retry_after_s({"Retry-After": "soon"}) is None
    assert retry_after_s({}) is None


@pytest.mark.parametrize("failure", [
    requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    requests.ReadTimeout("Read timed out"),
    requests.ConnectionError("Remote end closed connection without response"),
])
def test_torn_dropped_and_stalled_answers_are_retried(
    mock: responses.RequestsMock, failure: Exception
) -> None:
    mock.add(responses.POST, URL, body=failure)
    mock.add(responses.POST, URL, json=answer("0x1"))
    assert RpcClient(URL).call("eth_chainId", []) == "0x1"
    assert len(mock.calls) == 2


def test_a_node_that_changes_its_chain_id_is_inconsistent(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, URL, json=answer("0x1"))
    mock.add(responses.POST, URL, json=answer("0x2"))
    source = RpcSource(RpcClient(URL))
    assert source.chain_id() == 1
    with pytest.raises(SourceInconsistent, match="chain 1, then chain 2"):
        source.chain_id()
