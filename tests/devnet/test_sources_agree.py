"""On the devnet, the explorer path and the node path give the identical ledger.

The explorer is Etherscan-shaped answers built from the anvil chain's own blocks,
receipts and traces (as an indexer would), served through `responses`; its proxy module
forwards to the node.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from chains.addresses import parse_address
from chains.evm import explorer as explorer_module
from chains.evm.abi import SEL_DECIMALS, SEL_NAME, SEL_SYMBOL
from chains.evm.both import BothSource
from chains.evm.explorer import ExplorerClient, ExplorerConfig, ExplorerSource
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.evm.node import RpcSource, _decimals, _text
from chains.evm.rpc import RpcClient
from scanner.app import imports as importing
from scanner.app import scan as scanning
from scanner.store import Store
from tests.chains.fake_explorer import FakeExplorer
from tests.devnet.conftest import Played

pytestmark = pytest.mark.devnet
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def rpc(url: str, method: str, params: list[Any]) -> Any:
    answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                      "params": params}, timeout=30).json()
    return answer["result"]


def token_meta(url: str, token: str) -> tuple[str, str, str]:
    def ask(selector: str) -> Any:
        return rpc(url, "eth_call", [{"to": token, "data": selector}, "latest"])

    decimals = _decimals(ask(SEL_DECIMALS))
    return (_text(ask(SEL_NAME)) or "", _text(ask(SEL_SYMBOL)) or "",
            "" if decimals is None else str(decimals))


def index_chain(url: str) -> dict[str, list[dict[str, Any]]]:
    """What an explorer's indexer would hold: every transaction, token transfer, trace."""
    rows: dict[str, list[dict[str, Any]]] = {"txlist": [], "tokentx": [], "txlistinternal": []}
    tokens: dict[str, tuple[str, str, str]] = {}
    head = int(rpc(url, "eth_blockNumber", []), 16)
    for number in range(head + 1):
        block = rpc(url, "eth_getBlockByNumber", [hex(number), True])
        stamp = str(int(block["timestamp"], 16))
        for tx in block["transactions"]:
            receipt = rpc(url, "eth_getTransactionReceipt", [tx["hash"]])
            base = {"blockNumber": str(number), "timeStamp": stamp, "hash": tx["hash"]}
            rows["txlist"].append({
                **base, "from": tx["from"], "to": tx["to"] or "",
                "value": str(int(tx["value"], 16)),
                "contractAddress": receipt.get("contractAddress") or "",
                "isError": "0" if receipt["status"] == "0x1" else "1",
                "gasUsed": str(int(receipt["gasUsed"], 16))})
            for log in receipt["logs"]:
                if log["topics"][0] != TRANSFER or len(log["topics"]) != 3:
                    continue
                token = log["address"].lower()
                if token not in tokens:
                    tokens[token] = token_meta(url, token)
                name, symbol, decimals = tokens[token]
                rows["tokentx"].append({
                    **base, "from": "0x" + log["topics"][1][26:],
                    "to": "0x" + log["topics"][2][26:],
                    "value": str(int(log["data"], 16)), "contractAddress": token,
                    "tokenName": name, "tokenSymbol": symbol, "tokenDecimal": decimals})
            for trace in rpc(url, "trace_transaction", [tx["hash"]]):
                action = trace.get("action", {})
                value = int(action.get("value", "0x0"), 16)
                if trace.get("traceAddress") and value and trace.get("type") == "call":
                    rows["txlistinternal"].append({
                        **base, "from": action["from"], "to": action["to"], "value": str(value),
                        "traceId": "_".join(str(i) for i in trace["traceAddress"]),
                        "isError": "0", "type": "call"})
    return rows


@pytest.fixture
def explorer_site(played: Played) -> Iterator[FakeExplorer]:
    url = played.node.url
    site = FakeExplorer(index_chain(url), lambda method, params: rpc(url, method, params))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(url)
        site.install(mock)
        yield site


def explorer_source(played: Played, with_node: bool = False) -> ExplorerSource:
    client = ExplorerClient(ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, 31337, "KEY",
                                           calls_per_second=1000))
    return ExplorerSource(client, RpcSource(RpcClient(played.node.url)) if with_node else None)


def scanned(played: Played, source: Any, name: str, path: Path) -> list[Any]:
    with Store(path) as store:
        scanning.scan(store, source, [parse_address(played.scenario.wallet)], source_name=name)
        importing.import_prices(store, played.prices_path)
        return store.ledger()


def test_explorer_and_node_ledgers_are_identical_row_by_row(
    played: Played, explorer_site: FakeExplorer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(explorer_module, "RETRY", replace(explorer_module.RETRY, backoff_s=0.001))
    with Store(played.db_path) as store:
        by_node = store.ledger()
    by_explorer = scanned(played, explorer_source(played), "explorer", tmp_path / "e.duckdb")
    assert len(by_explorer) == len(by_node) > 0
    for ours, theirs in zip(by_explorer, by_node, strict=True):
        assert ours == theirs
    assert explorer_site.count("proxy", "eth_getTransactionReceipt") == len(played.scenario.txs)


def test_both_sources_together_give_the_same_ledger(
    played: Played, explorer_site: FakeExplorer, tmp_path: Path
) -> None:
    with Store(played.db_path) as store:
        by_node = store.ledger()
    both = BothSource(RpcSource(RpcClient(played.node.url)), explorer_source(played, True))
    assert scanned(played, both, "both", tmp_path / "b.duckdb") == by_node
    assert explorer_site.count("proxy") == 0  # receipts came from the node
