"""A re-scan fetches only new blocks and never duplicates a row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from chains.addresses import parse_address
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from scanner.app import scan as scanning
from scanner.store import Store
from tests.devnet.conftest import Played

pytestmark = pytest.mark.devnet


def node_source(played: Played) -> RpcSource:
    return RpcSource(RpcClient(played.node.url))


class Spy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, Any]] = []
        original = RpcClient.batch_lenient

        def spy(client: RpcClient, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
            self.calls.extend((method, list(params)) for method, params in calls)
            return original(client, calls)

        monkeypatch.setattr(RpcClient, "batch_lenient", spy)

    def ranges(self) -> list[tuple[int, int]]:
        return [(int(p[0]["fromBlock"], 16), int(p[0]["toBlock"], 16)) for m, p in self.calls
                if m in ("eth_getLogs", "trace_filter")]

    def fetched(self) -> set[str]:
        return {p[0] for m, p in self.calls if m == "eth_getTransactionReceipt"}


def test_rescan_adds_no_rows_and_fetches_only_new_blocks(
    fresh_chain: Played, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet = parse_address(fresh_chain.scenario.wallet)
    with Store(fresh_chain.db_path) as store:
        before = store.counts()
        ledger_before = store.ledger()
        first_end = store.cursor(31337, wallet, "rpc")
        assert first_end is not None

        spy = Spy(monkeypatch)
        (again,) = scanning.scan(store, node_source(fresh_chain), [wallet])
        assert again.new_txs == 0
        assert spy.ranges() == [] and spy.fetched() == set()
        assert store.counts() == before
        assert store.ledger() == ledger_before

        w3 = Web3(HTTPProvider(fresh_chain.node.url))
        w3.provider.make_request("evm_setNextBlockTimestamp",  # type: ignore[arg-type]
                                 [int(datetime(2025, 7, 1, tzinfo=UTC).timestamp())])
        sent = w3.eth.send_transaction({"from": w3.eth.accounts[0],
                                        "to": fresh_chain.scenario.wallet, "value": 10**18})
        w3.eth.wait_for_transaction_receipt(sent)

        spy.calls.clear()
        (third,) = scanning.scan(store, node_source(fresh_chain), [wallet])
        assert third.from_block == first_end + 1
        assert third.new_txs == 1
        assert spy.ranges() and all(lo > first_end for lo, _ in spy.ranges())
        assert spy.fetched() == {"0x" + bytes(sent).hex().removeprefix("0x")}
        after = store.counts()
        assert after["raw_txs"] == before["raw_txs"] + 1
        assert after["ledger"] == before["ledger"] + 1
        assert store.ledger()[:-1] == ledger_before
