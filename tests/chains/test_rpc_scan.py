"""Scanning over JSON-RPC, against a node built from a real recorded mainnet wallet."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from chains.errors import SourceUnavailable
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from scanner.app import imports as importing
from scanner.app import scan as scanning
from scanner.store import Store
from tests.chains.fake_node import URL, FakeNode

RECORDING = "explorer-recordings/wallet_histories/eth_0x6e15887E_upto_14051557_fixture.json"
WALLET = "0x6e15887e2cec81434c16d587709f64603b39b545"
LAST_BLOCK = 14051557
USDT = "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
ETH = "eip155:1/slip44:60"


def node(realdata: Path, mock: responses.RequestsMock, **options: object) -> FakeNode:
    fake = FakeNode(realdata / RECORDING, head=LAST_BLOCK, **options)  # type: ignore[arg-type]
    fake.install(mock)
    return fake


def test_replay_matches_the_explorer_rows_and_receipts(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    fake = node(realdata, mock)
    with Store(tmp_path / "t.duckdb") as store:
        (result,) = scanning.scan(store, RpcSource(RpcClient(URL)), [WALLET])
        ledger = store.ledger()
    assert result.address_index == "trace_filter"
    assert result.to_block == LAST_BLOCK
    assert {e.tx_hash for e in ledger} == set(fake.receipts)

    for row in fake.tokentx:
        sign = 1 if row["to"] == WALLET else -1
        (leg,) = [e for e in ledger if e.tx_hash == row["hash"] and e.asset == USDT]
        assert leg.raw_amount == sign * int(row["value"])
        assert leg.quantity == sign * Decimal(row["value"]) / 10**6
        assert leg.symbol == "USDT"
    for row in fake.txlist:
        if int(row["value"]):
            sign = 1 if row["to"] == WALLET else -1
            (leg,) = [e for e in ledger if e.tx_hash == row["hash"] and e.leg_key == "native"]
            assert leg.raw_amount == sign * int(row["value"])
    for tx_hash, receipt in fake.receipts.items():
        fees = [e for e in ledger if e.tx_hash == tx_hash and e.kind.value == "fee"]
        if receipt["from"] == WALLET:
            (fee,) = fees
            assert fee.asset == ETH
            assert -fee.raw_amount == int(receipt["gasUsed"], 16) * int(
                receipt["effectiveGasPrice"], 16)
        else:
            assert fees == []
    kinds = {(e.tx_hash, e.kind.value) for e in ledger if e.kind.value != "fee"}
    assert kinds == {
        ("0xccb6a445e136492b242d1c2c0221dc4afd4447c96601e88c156ec4d52e993b8f", "transfer_in"),
        ("0x38ed9c2d4f0855f2d88823d502f8794b993d28741da48724b7dfb559de520602", "transfer_out"),
        ("0x6c27ea39e5046646aaf24e1bb451caf466058278685102d89979197fdb89d007", "transfer_in"),
        ("0x8d822b87407698dd869e830699782291155d0276c5a7e5179cb173608554e41f", "transfer_out"),
    }


def test_receipts_and_blocks_come_in_batches(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    node(realdata, mock)
    calls = len(mock.calls)
    with Store(tmp_path / "t.duckdb") as store:
        scanning.scan(store, RpcSource(RpcClient(URL)), [WALLET])
    http_requests = len(mock.calls) - calls
    # chain id, head, the margin's block hashes, logs, traces, txs+receipts, blocks, token
    # metadata
    assert http_requests <= 8


def test_a_node_without_an_address_index_says_what_it_cannot_see(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    fake = node(realdata, mock, traces=False)
    with Store(tmp_path / "t.duckdb") as store:
        (result,) = scanning.scan(store, RpcSource(RpcClient(URL)), [WALLET])
        hashes = {e.tx_hash for e in store.ledger()}
    assert result.address_index is None
    assert any("native transfers" in note for note in result.notes)
    assert hashes == {row["hash"] for row in fake.tokentx}


def test_log_ranges_split_when_the_node_refuses(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    fake = node(realdata, mock, log_range_limit=1_000_000)
    with Store(tmp_path / "t.duckdb") as store:
        scanning.scan(store, RpcSource(RpcClient(URL)), [WALLET])
        hashes = {e.tx_hash for e in store.ledger()}
    assert hashes == set(fake.receipts)
    spans = [int(p[0]["toBlock"], 16) - int(p[0]["fromBlock"], 16) + 1
             for m, p in fake.requests if m == "eth_getLogs"]
    assert max(spans) > 1_000_000  # it tried the whole range first
    served = [s for s in spans if s <= 1_000_000]
    assert served and sum(served) >= (LAST_BLOCK + 1) * 4  # every block, all four filters


def test_a_failing_node_leaves_the_database_as_it_was(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    fake = node(realdata, mock)
    fake.fail_methods.add("eth_getBlockByNumber")
    with Store(tmp_path / "t.duckdb") as store:
        with pytest.raises(Exception, match="eth_getBlockByNumber"):
            scanning.scan(store, RpcSource(RpcClient(URL)), [WALLET])
        assert store.counts() == {"raw_txs": 0, "raw_logs": 0, "ledger": 0, "prices": 0}
        assert store.cursor(1, WALLET, "rpc") is None

    fake.fail_methods = {"http"}
    with Store(tmp_path / "t.duckdb") as store, pytest.raises(SourceUnavailable,
                                                                match="kept failing"):
        scanning.scan(store, RpcSource(RpcClient(URL)), [WALLET])


def test_fetched_prices_value_the_ledger_and_are_asked_once(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scanner.prices import defillama
    from scanner.prices.defillama import DefiLlama

    monkeypatch.setattr(defillama, "RETRY", replace(defillama.RETRY, backoff_s=0.001))
    node(realdata, mock)
    asked: list[dict[str, list[int]]] = []

    def batch(request: Any) -> tuple[int, dict[str, str], str]:
        coins = json.loads(dict(parse_qsl(urlsplit(request.url).query))["coins"])
        asked.append(coins)
        usd = {"coingecko:ethereum": "3120.5", f"ethereum:{USDT.rsplit(':', 1)[1]}": "0.9995"}
        return 200, {}, json.dumps({"coins": {coin: {"symbol": "X", "prices": [
            {"timestamp": stamp, "price": usd[coin], "confidence": 0.99} for stamp in stamps]}
            for coin, stamps in coins.items()}}).replace('"3120.5"', "3120.5").replace(
                '"0.9995"', "0.9995")

    mock.add_callback(responses.GET, "https://coins.llama.fi/batchHistorical", callback=batch)
    with Store(tmp_path / "t.duckdb") as store:
        scanning.scan(store, RpcSource(RpcClient(URL)), [WALLET])
        fetched = importing.fetch_prices(store, [DefiLlama()])
        assert fetched.found == fetched.lacking > 0 and fetched.unanswered == 0
        ledger = store.ledger()
        assert all(e.usd_value is not None and e.price_source == "defillama" for e in ledger)
        usdt = next(e for e in ledger if e.asset == USDT)
        assert usdt.usd_value == abs(usdt.quantity) * Decimal("0.9995")  # not the $1 peg
        again = importing.fetch_prices(store, [DefiLlama()])
    assert again.asked == 0 and len(asked) == 1
