"""A big wallet scanned whole: 20,000 transactions (ERC-20 transfers in and out, Uniswap V2
swaps, native sends) built by chains.devnet.bigwallet on an anvil of this module's own.

Every transaction the builder sent that touches the wallet is in the ledger with the legs
its kind gives, the balances reconcile with the node at the head, and the scan keeps to its
JSON-RPC request budget. The sources fetch with bounded concurrency: the same records in
the same order at any concurrency, never more batches in flight than asked, progress
reported on the scanning thread, and an explorer's calls within its key's rate limit.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from chains.devnet import bigwallet
from chains.devnet.anvil import Anvil
from chains.devnet.bigwallet import NATIVE, BigWallet, Sent
from chains.devnet.scenario import GENESIS
from chains.errors import SourceUnavailable
from chains.evm.explorer import (
    ACCOUNT_ACTIONS,
    ExplorerClient,
    ExplorerConfig,
    ExplorerSource,
)
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from chains.evm.sourcing import open_source
from chains.ratelimit import TokenBucket
from scanner.app import reconcile as reconciling
from scanner.app import scan as scanning
from scanner.app.config import load_config
from scanner.app.sources import plan_for
from scanner.errors import ConfigError
from scanner.ledger.reconcile import Status
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from tests.chains.fake_explorer import FakeExplorer

pytestmark = pytest.mark.devnet

TXS = 20_000
RPC_BUDGET = 0.05  # JSON-RPC HTTP requests per transaction scanned
PAGE_BUDGET = 1.10  # explorer requests over the fewest the page cap allows
PAGE = 1_000
CHAIN = 31337
ETH = f"eip155:{CHAIN}/slip44:60"


@dataclass(frozen=True)
class Scanned:
    db_path: Path
    new_txs: int
    requests: int  # JSON-RPC HTTP requests the scan sent


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigWallet]:
    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node:
        yield bigwallet.build(node.url, TXS)


@pytest.fixture(scope="module")
def scanned(big: BigWallet, tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    client = RpcClient(big.url)
    path = tmp_path_factory.mktemp("bigwallet") / "taxscan.duckdb"
    with Store(path) as store:
        (result,) = scanning.scan(store, RpcSource(client), [big.wallet])
    return Scanned(path, result.new_txs, client.requests_sent)


def asset(token: str) -> str:
    return ETH if token == NATIVE else f"eip155:{CHAIN}/erc20:{token}"


def legs_by_tx(path: Path) -> dict[str, list[LedgerEntry]]:
    with Store(path) as store:
        ledger = store.ledger()
    found: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in ledger:
        found[entry.tx_hash].append(entry)
    return found


def shape(sent: Sent, wallet: str) -> list[tuple[Kind, str, int]]:
    """The legs a transaction gives the wallet, fee aside: (kind, asset, signed amount), with
    0 for a swap's proceeds (the pool decides them)."""
    if sent.kind == bigwallet.SWAP:
        assert sent.got is not None
        return sorted([(Kind.TRADE, asset(sent.asset), -sent.amount),
                       (Kind.TRADE, asset(sent.got), 0)])
    if sent.amount == 0:  # an approval: gas only
        return []
    if sent.recipient == wallet:
        return [(Kind.TRANSFER_IN, asset(sent.asset), sent.amount)]
    return [(Kind.TRANSFER_OUT, asset(sent.asset), -sent.amount)]


def test_every_transaction_touching_the_wallet_and_no_other_is_scanned(
    big: BigWallet, scanned: Scanned
) -> None:
    counts = big.counts()
    assert counts[bigwallet.NOISE] > 0
    assert all(counts[kind] > 1_000 for kind in bigwallet.WALLET_KINDS)
    assert big.wallet_txs == TXS
    assert scanned.new_txs == len(big.touching())
    assert set(legs_by_tx(scanned.db_path)) == big.touching()
    assert not {s.tx_hash for s in big.of_kind(bigwallet.NOISE)} & big.touching()


def test_each_kind_of_transaction_has_its_legs(big: BigWallet, scanned: Scanned) -> None:
    legs = legs_by_tx(scanned.db_path)
    checked: dict[str, int] = defaultdict(int)
    for sent in big.sent:
        if sent.kind == bigwallet.NOISE:
            continue
        entries = legs[sent.tx_hash]
        fees = [e for e in entries if e.kind is Kind.FEE]
        if sent.sender == big.wallet:  # the wallet paid the gas
            (fee,) = fees
            assert fee.asset == ETH and fee.raw_amount < 0
            if sent.kind != bigwallet.SETUP:  # sent at the builder's gas price
                assert -fee.raw_amount % bigwallet.GAS_PRICE == 0
                assert 21_000 <= -fee.raw_amount // bigwallet.GAS_PRICE <= 250_000
        else:
            assert fees == []
        found = sorted((e.kind, e.asset, 0 if sent.kind == bigwallet.SWAP and e.raw_amount > 0
                        else e.raw_amount) for e in entries if e.kind is not Kind.FEE)
        assert found == shape(sent, big.wallet), sent
        if sent.kind == bigwallet.SWAP:
            assert {e.protocol for e in entries if e.kind is Kind.TRADE} == {"uniswap-v2"}
            assert all(e.raw_amount > 0 for e in entries if e.kind is Kind.TRADE
                       and e.asset == asset(sent.got or ""))
        checked[sent.kind] += 1
    assert checked == {k: n for k, n in big.counts().items() if k != bigwallet.NOISE}


def test_the_balances_reconcile_with_the_node_at_the_head(big: BigWallet,
                                                          scanned: Scanned) -> None:
    with Store(scanned.db_path) as store:
        checks = reconciling.reconcile_chain(store, big.url)
    assert {c.holding.asset for c in checks} == {ETH, asset(big.dai), asset(big.tkn)}
    for check in checks:
        assert check.status is Status.OK, check.explanation
        assert check.ledger_raw == check.chain_raw
        assert check.ledger_raw > 0


def test_the_scan_keeps_to_its_json_rpc_request_budget(scanned: Scanned) -> None:
    assert scanned.new_txs > TXS
    assert scanned.requests / scanned.new_txs <= RPC_BUDGET


# ---- bounded concurrency ------------------------------------------------------------------


class RecordingProgress:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, int]] = []

    def start(self, label: str, total: int | None) -> None:
        self.calls.append(("start", total, threading.get_ident()))

    def advance(self, amount: int = 1) -> None:
        self.calls.append(("advance", amount, threading.get_ident()))


class GatedClient(RpcClient):
    """Counts the batches in flight; the first `gate` wait for one another, so the fetch
    only gets past them if that many run at once."""

    def __init__(self, url: str, gate: int) -> None:
        super().__init__(url)
        self.gate = threading.Barrier(gate, timeout=60)
        self.lock = threading.Lock()
        self.started = 0
        self.in_flight = 0
        self.most_in_flight = 0

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        with self.lock:
            self.started += 1
            first = self.started <= self.gate.parties
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if first:
                self.gate.wait()
            return super().batch(calls)
        finally:
            with self.lock:
                self.in_flight -= 1


def some_hashes(big: BigWallet, count: int = 1_000) -> list[str]:
    return sorted(big.touching())[:count]


def test_fetch_gives_the_same_records_in_order_at_any_concurrency(big: BigWallet) -> None:
    hashes = some_hashes(big)
    one, four = RpcClient(big.url), RpcClient(big.url)
    progress = RecordingProgress()
    sequential = RpcSource(one, concurrency=1).fetch(CHAIN, hashes, {})
    parallel = RpcSource(four, progress, concurrency=4).fetch(CHAIN, hashes, {})
    assert parallel == sequential
    assert len(parallel) == len(hashes) and four.requests_sent == one.requests_sent
    me = threading.get_ident()
    assert progress.calls[0] == ("start", len(hashes), me)
    assert all(thread == me for _, _, thread in progress.calls)
    assert sum(n or 0 for kind, n, _ in progress.calls if kind == "advance") == len(hashes)


def test_balances_read_at_any_concurrency_agree(big: BigWallet) -> None:
    blocks = range(big.first_block - 1, big.last_block + 1)
    sequential = RpcSource(RpcClient(big.url), concurrency=1).balances_at(big.dai, big.wallet,
                                                                         blocks)
    parallel = RpcSource(RpcClient(big.url), concurrency=3).balances_at(big.dai, big.wallet,
                                                                       blocks)
    assert parallel == sequential
    assert list(parallel) == list(blocks)
    assert len({raw for _, raw in parallel.values()}) > len(blocks) // 2  # it moves a lot


def test_no_more_batches_are_in_flight_than_the_concurrency(big: BigWallet) -> None:
    client = GatedClient(big.url, gate=3)
    records = RpcSource(client, concurrency=3).fetch(CHAIN, some_hashes(big), {})
    assert len(records) == 1_000
    assert client.started > 3 * 3  # the gate was passed, and the pool went on
    assert client.most_in_flight == 3


def test_a_failed_batch_ends_the_fetch_with_its_own_error(big: BigWallet) -> None:
    class Failing(RpcClient):
        def __init__(self, url: str) -> None:
            super().__init__(url)
            self.calls = 0
            self.lock = threading.Lock()

        def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
            with self.lock:
                self.calls += 1
                fail = self.calls == 2
            if fail:
                raise SourceUnavailable("node at http://127.0.0.1 kept failing: HTTP 503")
            return super().batch(calls)

    with pytest.raises(SourceUnavailable, match=r"^node at http://127\.0\.0\.1 kept failing"):
        RpcSource(Failing(big.url), concurrency=4).fetch(CHAIN, some_hashes(big), {})


# ---- the explorer ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def explorer_rows(big: BigWallet) -> dict[str, list[dict[str, Any]]]:
    return bigwallet.explorer_rows(big.url)


@pytest.fixture
def site(big: BigWallet, explorer_rows: dict[str, list[dict[str, Any]]]
         ) -> Iterator[FakeExplorer]:
    def forward(method: str, params: list[Any]) -> Any:
        return requests.post(big.url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                            "params": params}, timeout=30).json()["result"]

    fake = FakeExplorer(explorer_rows, forward)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(big.url)
        fake.install(mock)
        yield fake


def explorer_client(calls_per_second: float = 1000) -> ExplorerClient:
    return ExplorerClient(ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, CHAIN, "KEY",
                                         calls_per_second=calls_per_second, page_size=PAGE))


def rows_of(rows: dict[str, list[dict[str, Any]]], wallet: str) -> dict[str, int]:
    return {action: sum(1 for row in rows.get(action, [])
                        if wallet in (str(row.get("from")).lower(), str(row.get("to")).lower()))
            for action in ACCOUNT_ACTIONS}


def fewest_pages(rows: dict[str, int]) -> int:
    """The fewest requests a 1,000-row page allows: a page per 1,000 rows, one at least."""
    return sum(max(1, math.ceil(n / PAGE)) for n in rows.values())


def test_the_explorer_finds_the_same_transactions_within_its_page_budget(
    big: BigWallet, site: FakeExplorer, explorer_rows: dict[str, list[dict[str, Any]]]
) -> None:
    client = explorer_client()
    discovery = ExplorerSource(client).discover(big.wallet, 0, big.last_block)
    assert discovery.tx_hashes == big.touching()
    mine = rows_of(explorer_rows, big.wallet)
    assert max(mine.values()) > 10_000  # past the result window: walked on by startblock
    assert any(int(q["startblock"]) > 0 for q in site.requests)
    fewest = fewest_pages(mine)
    assert client.requests_sent == len(site.requests)
    assert client.requests_sent / fewest <= PAGE_BUDGET
    assert all(int(q["page"]) * int(q["offset"]) <= 10_000 for q in site.requests)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_concurrent_explorer_calls_stay_within_the_keys_rate(
    big: BigWallet, site: FakeExplorer
) -> None:
    rate = 5.0
    time = FakeTime()
    bucket = TokenBucket(rate, clock=time.clock, sleep=time.sleep)
    taken: list[int] = []
    grant = bucket.take

    def take() -> None:
        grant()
        taken.append(1)

    bucket.take = take  # type: ignore[method-assign]
    client = explorer_client(rate)
    client._bucket = bucket
    hashes = some_hashes(big, 40)
    records = ExplorerSource(client, concurrency=4).fetch(CHAIN, hashes, {})
    assert records == RpcSource(RpcClient(big.url)).fetch(CHAIN, hashes, {})
    assert len(taken) == client.requests_sent == len(site.requests) > 2 * len(hashes)
    assert len(taken) <= bucket.capacity + rate * time.now + 1e-6


# ---- the config key -----------------------------------------------------------------------


def test_the_config_sets_each_chains_concurrency(big: BigWallet, tmp_path: Path) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(f'[chains.devnet]\nrpc = "{big.url}"\nconcurrency = 7\n\n'
                    f'[[wallets]]\naddress = "{big.wallet}"\nchains = ["devnet"]\n')
    opened = open_source(plan_for(load_config(path), "devnet", {}), RecordingProgress())
    assert isinstance(opened.source, RpcSource) and opened.source.concurrency == 7
    path.write_text(path.read_text().replace("concurrency = 7\n", ""))
    opened = open_source(plan_for(load_config(path), "devnet", {}), RecordingProgress())
    assert isinstance(opened.source, RpcSource) and opened.source.concurrency == 4


@pytest.mark.parametrize("value", ["0", "33", '"4"', "2.5", "true"])
def test_a_bad_concurrency_is_a_one_line_config_error(tmp_path: Path, value: str) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(f'[chains.devnet]\nconcurrency = {value}\n\n'
                    '[[wallets]]\naddress = "0x6e15887E2CEC81434C16D587709f64603b39b545"\n'
                    'chains = ["devnet"]\n')
    with pytest.raises(ConfigError, match=r"chains\.devnet\.concurrency: must be a whole "
                                          r"number of requests from 1 to 32") as caught:
        load_config(path)
    assert "\n" not in str(caught.value)
