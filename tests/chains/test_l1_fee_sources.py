"""Receipts without their L1 data fee, as a real Optimism node gives them.

The recorded answers of mainnet.optimism.io for a pre-Bedrock Uniswap swap of 0xb8553D9e
(tx 0x84f192de..., December 2022) carry `l1Fee: null`: gasUsed x effectiveGasPrice alone
is 0.13 gwei of the 88,066 gwei the sender paid. Blockscout's answer for the same
transaction says what was paid (`fee.value`) and its L1 part (`l1_fee`): an independent
figure. A node alone cannot give the whole fee, so it says so; with an explorer beside it,
the explorer's receipt fills in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses

from chains.errors import SourceInconsistent
from chains.evm.explorer import ExplorerClient, ExplorerConfig, ExplorerSource
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient

RECORDING = "explorer-recordings/wallet_histories/eth_optimism_0xb8553D9e_query_transactions.json"
TX = "0x84f192deebcbed6ca2ca4058e60fd0e8ca7b61d1c8addf0f9fb7b07118388f70"
NODE = "http://op-node.test/rpc"


def recorded(realdata: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The node's transaction and receipt of TX, and Blockscout's account of it."""
    node: dict[str, Any] = {}
    blockscout: dict[str, Any] = {}
    for interaction in json.loads((realdata / RECORDING).read_text())["interactions"]:
        body = json.loads(interaction.get("request_body") or "null")
        if isinstance(body, dict) and body.get("params") == [TX]:
            node[body["method"]] = interaction["response"]["result"]
        elif interaction["uri"].endswith(f"/api/v2/transactions/{TX}"):
            blockscout = interaction["response"]
    return node["eth_getTransactionByHash"], node["eth_getTransactionReceipt"], blockscout


def serve_node(mock: responses.RequestsMock, tx: dict[str, Any],
               receipt: dict[str, Any]) -> None:
    block = {"number": receipt["blockNumber"], "hash": receipt["blockHash"],
             "timestamp": tx["blockTimestamp"]}
    answers = {"eth_getTransactionByHash": tx, "eth_getTransactionReceipt": receipt,
               "eth_getBlockByNumber": block, "eth_chainId": "0xa"}

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        calls = json.loads(request.body)
        out = [{"jsonrpc": "2.0", "id": c["id"], "result": answers[c["method"]]}
               for c in (calls if isinstance(calls, list) else [calls])]
        return 200, {}, json.dumps(out if isinstance(calls, list) else out[0])

    mock.add_callback(responses.POST, NODE, callback=answer)


def test_the_node_leaves_the_l1_fee_out_and_a_node_scan_says_so(realdata: Path) -> None:
    tx, receipt, _ = recorded(realdata)
    assert receipt["l1Fee"] is None and receipt["type"] == "0x0"
    with responses.RequestsMock() as mock:
        serve_node(mock, tx, receipt)
        with pytest.raises(SourceInconsistent, match=r"shows no L1 data fee \(l1Fee\)"):
            RpcSource(RpcClient(NODE)).fetch(10, [TX], {})


def test_the_explorers_receipt_fills_in_the_l1_fee_the_node_left_out(realdata: Path) -> None:
    tx, receipt, blockscout = recorded(realdata)
    # what an explorer that keeps the L1 fee answers: the receipt with Blockscout's l1_fee
    with_fee = {**receipt, "l1Fee": hex(int(blockscout["l1_fee"]))}
    with responses.RequestsMock() as mock:
        serve_node(mock, tx, receipt)
        mock.add(responses.GET, ETHERSCAN_V2,
                 json={"jsonrpc": "2.0", "id": 1, "result": with_fee})
        explorer = ExplorerSource(
            ExplorerClient(ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, 10, "KEY")),
            RpcSource(RpcClient(NODE)))
        (raw,) = explorer.fetch(10, [TX], {})
        asked = [c.request.url for c in mock.calls if c.request.method == "GET"]
    assert len(asked) == 1 and "action=eth_getTransactionReceipt" in (asked[0] or "")
    assert raw.timestamp == datetime(2022, 12, 27, 18, 40, 17, tzinfo=UTC)  # Blockscout's
    assert (raw.gas_used, raw.effective_gas_price) == (int(blockscout["gas_used"]), 10**6)
    assert raw.fee_wei == int(blockscout["fee"]["value"]) == 88066451371752
