"""On the devnet, an explorer-only scan gives the node's ledger, to the wei: with receipts
in batches from a public RPC (the node itself here), and through the explorer's proxy with
the receipts of the transactions its txlist rows give whole left unread.

The explorer's rows are tests.devnet.test_sources_agree's, with the txlist fields Etherscan
gives (gasPrice as the price paid, gasUsed, status, index, block hash, input).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import responses

from chains.evm import explorer as explorer_module
from chains.evm.explorer import ExplorerClient, ExplorerConfig, ExplorerSource
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.evm.node import RpcSource
from chains.evm.public import PublicRpc
from chains.evm.rpc import RpcClient
from chains.evm.txlist import whole_record
from scanner.store import Store
from tests.chains.fake_explorer import FakeExplorer
from tests.devnet.conftest import Played
from tests.devnet.test_sources_agree import index_chain, rpc, scanned

pytestmark = pytest.mark.devnet


def etherscan_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    rows = index_chain(url)
    for row in rows["txlist"]:
        tx = rpc(url, "eth_getTransactionByHash", [row["hash"]])
        receipt = rpc(url, "eth_getTransactionReceipt", [row["hash"]])
        row.update({
            "gasPrice": str(int(receipt["effectiveGasPrice"], 16)),
            "gasUsed": str(int(receipt["gasUsed"], 16)),
            "transactionIndex": str(int(receipt["transactionIndex"], 16)),
            "blockHash": receipt["blockHash"], "input": tx["input"],
            "txreceipt_status": str(int(receipt["status"], 16))})
    return rows


@pytest.fixture(scope="module")
def rows(played: Played) -> dict[str, list[dict[str, Any]]]:
    return etherscan_rows(played.node.url)


@pytest.fixture
def site(played: Played, rows: dict[str, list[dict[str, Any]]],
         monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeExplorer]:
    monkeypatch.setattr(explorer_module, "RETRY", replace(explorer_module.RETRY, backoff_s=0.001))
    url = played.node.url
    explorer = FakeExplorer(rows, lambda method, params: rpc(url, method, params))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(url)
        explorer.install(mock)
        yield explorer


def client() -> ExplorerClient:
    return ExplorerClient(ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, 31337, "KEY",
                                         calls_per_second=1000))


def node_ledger(played: Played) -> list[Any]:
    with Store(played.db_path) as store:
        return store.ledger()


def test_receipts_from_a_public_rpc_give_the_nodes_ledger(
    played: Played, site: FakeExplorer, tmp_path: Path
) -> None:
    public = PublicRpc(RpcSource(RpcClient(played.node.url)), 31337)
    by_explorer = scanned(played, ExplorerSource(client(), public=public), "explorer",
                          tmp_path / "e.duckdb")
    assert by_explorer == node_ledger(played) and len(by_explorer) > 0
    assert public.refused is None
    assert site.count("proxy") == 0  # receipts, blocks and the head from the node


def test_receipts_left_unread_change_no_leg(
    played: Played, site: FakeExplorer, tmp_path: Path
) -> None:
    whole = {row["hash"] for row in site.rows["txlist"]
             if whole_record(31337, Flavor.ETHERSCAN, row) is not None}
    by_explorer = scanned(played, ExplorerSource(client()), "explorer", tmp_path / "e.duckdb")
    assert by_explorer == node_ledger(played)  # every leg and fee, to the wei
    asked = {q["txhash"] for q in site.requests if q.get("action") == "eth_getTransactionReceipt"}
    mine = {e.tx_hash for e in by_explorer}
    assert mine & whole and not asked & whole  # some were whole, and none of those was read
    assert asked | whole >= mine
