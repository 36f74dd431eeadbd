"""Explorer-only scans read receipts in JSON-RPC batches from the chain's public RPC, and
through the explorer's proxy module when that RPC refuses: the same ledger either way."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses

from chains.evm.explorer import ExplorerSource
from chains.evm.node import RpcSource
from chains.evm.public import PUBLIC_ATTEMPTS, PublicRpc
from chains.evm.rpc import RpcClient
from chains.evm.sourcing import SourcePlan, open_source
from chains.registry import chain_by_name
from chains.source import NoProgress
from tests.chains.fake_node import URL, FakeNode
from tests.chains.test_explorer import client, fake, ledger_of

PUBLIC = "http://public.test/rpc"
Reply = tuple[int, dict[str, str], str]


def public_source(url: str = URL) -> ExplorerSource:
    return ExplorerSource(client(), public=PublicRpc(
        RpcSource(RpcClient(url, attempts=PUBLIC_ATTEMPTS)), 1))


def test_receipts_come_in_batches_from_the_public_rpc(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    node, site = fake(realdata, mock)
    node.install(mock)
    by_public = ledger_of(public_source(), tmp_path, "explorer")
    assert by_public == ledger_of(RpcSource(RpcClient(URL)), tmp_path, "rpc")
    assert node.count("eth_getTransactionReceipt") == 2 * len(node.receipts)  # both scans
    # the explorer answers the account lists alone: the least its page cap allows
    assert site.count("account") == 5 and site.count("proxy") == 0


def refusing(node: FakeNode, how: str) -> Callable[[Any], Reply]:
    """A public RPC that answers single calls from `node` and refuses the batches `how`."""

    def serve(request: Any) -> Reply:
        body = json.loads(request.body)
        if how == "forbidden":
            return 403, {}, "forbidden"
        if how == "rate limit":
            return 429, {}, json.dumps({"error": "too many requests"})
        if how == "another chain" and not isinstance(body, list) \
                and body["method"] == "eth_chainId":
            return 200, {}, json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": "0x2"})
        if not isinstance(body, list):
            return 200, {}, json.dumps(node._answer(body))
        if how == "batch refused":  # one error object for the whole batch
            return 200, {}, json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                "code": -32600, "message": "batch requests are not allowed"}})
        if how == "batch too big":  # an error in place of each call
            return 200, {}, json.dumps([{"jsonrpc": "2.0", "id": item["id"], "error": {
                "code": -32005, "message": "batch size limit exceeded"}} for item in body])
        return 200, {}, json.dumps([node._answer(item) for item in body])

    return serve


@pytest.mark.parametrize("how", ["forbidden", "rate limit", "batch refused", "batch too big",
                                 "another chain"])
def test_the_proxy_answers_when_the_public_rpc_refuses(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path, how: str
) -> None:
    node, site = fake(realdata, mock)
    node.install(mock)
    mock.add_callback(responses.POST, PUBLIC, callback=refusing(node, how))
    source = public_source(PUBLIC)
    by_explorer = ledger_of(source, tmp_path, "explorer")
    assert by_explorer == ledger_of(RpcSource(RpcClient(URL)), tmp_path, "rpc")
    assert source.public is not None and source.public.node is None and source.public.refused
    with_logs = {h for h, receipt in node.receipts.items() if receipt["logs"]}
    asked = {q["txhash"] for q in site.requests if q.get("action") == "eth_getTransactionReceipt"}
    assert asked == with_logs  # through the proxy: the plain transfers need none
    first = next(q for q in site.requests if q.get("module") == "proxy")
    assert first.get("action") == "eth_chainId"  # the explorer's chain, before its answers


def test_an_explorer_without_a_node_takes_the_chains_public_rpc() -> None:
    chain = chain_by_name("ethereum")
    opened = open_source(SourcePlan(chain, api_key="KEY"), NoProgress())
    assert isinstance(opened.source, ExplorerSource) and opened.source.rpc is None
    assert opened.source.public is not None and opened.source.public.node is not None
    assert opened.source.public.node.client.url == chain.default_rpc
    assert opened.rpc_url is None  # a public RPC is no node of the user's
    assert "receipts from https://ethereum-rpc.publicnode.com" in opened.description


@pytest.mark.parametrize("plan", [
    SourcePlan(chain_by_name("ethereum"), api_key="KEY", offline=True),
    SourcePlan(chain_by_name("ethereum"), rpc_url="http://mine.test", api_key="KEY"),
])
def test_no_public_rpc_offline_or_beside_a_named_node(plan: SourcePlan) -> None:
    opened = open_source(plan, NoProgress())
    assert isinstance(opened.source, ExplorerSource) and opened.source.public is None
    assert (opened.source.rpc is not None) == (plan.rpc_url is not None)


def test_receipts_are_read_ahead_while_the_explorer_pages(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    node, _ = fake(realdata, mock)
    threads: list[str] = []

    def serve(request: Any) -> Reply:
        if "eth_getTransactionReceipt" in str(request.body):
            threads.append(threading.current_thread().name)
        return node._serve(request)

    mock.add_callback(responses.POST, URL, callback=serve)
    source = ExplorerSource(client(), public=PublicRpc(
        RpcSource(RpcClient(URL), concurrency=1), 1))
    ledger_of(source, tmp_path, "explorer")
    assert node.count("eth_getTransactionReceipt") == len(node.receipts)  # each once
    assert threads and set(threads) == {"prefetch"}  # none left for the scan's own fetch
