"""Ingestion of a big wallet: requests and seconds per transaction, node and explorer.

Input: a fresh anvil chain (fixtures/devnet) filled by chains.devnet.bigwallet with a
wallet of --txs transactions (20,000; 2,000 with --quick): ERC-20 transfers in and out,
Uniswap V2 swaps and native sends, plus setup and other accounts' noise. Building it, and
the explorer's rows (chains.devnet.bigwallet.explorer_rows), is not timed.

Each scan is a whole `scanning.scan` of the wallet into a fresh database (discovery,
fetching, storing, rebuilding the ledger and lots), run once, at concurrency 1 and at the
default (chains.source.DEFAULT_CONCURRENCY), in that order:

- rpc: RpcSource on the node (eth_getLogs and trace_filter discovery, batched fetching);
- explorer: ExplorerSource discovering through an Etherscan-compatible explorer with a
  1,000-row page (tests/chains/fake_explorer.py over `responses`, serving the chain's
  rows), receipts from the node, as tests/devnet/test_sources_agree.py does.

Printed: JSON-RPC HTTP requests per transaction of the rpc scan (target <= 0.05); the
explorer's requests over the fewest its page cap allows, the sum over the account actions
of ceil(rows / 1,000), one at least (target <= 1.10); seconds per 1,000 transactions of
each scan; and seconds at concurrency 1 over seconds at the default, per scan and for the
fetching alone (RpcSource.fetch of every transaction). Counts are exact; seconds come
from one run on this machine, so only their ratios mean much. Every scan must give the
same ledger, else the bench stops.

    python bench/bench_ingest.py [--txs N] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import responses
from figures import print_figures

from chains.devnet import bigwallet
from chains.devnet.anvil import Anvil
from chains.devnet.bigwallet import BigWallet
from chains.devnet.scenario import GENESIS
from chains.evm.explorer import (
    ACCOUNT_ACTIONS,
    ExplorerClient,
    ExplorerConfig,
    ExplorerSource,
)
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.evm.node import RpcSource
from chains.evm.records import EvmSource
from chains.evm.rpc import RpcClient
from chains.source import DEFAULT_CONCURRENCY
from scanner.app import scan as scanning
from scanner.ledger.records import LedgerEntry
from scanner.store import Store

ROOT = Path(__file__).resolve().parents[1]
CHAIN = 31337
PAGE = 1_000
RPC_TARGET = 0.05  # JSON-RPC HTTP requests per transaction, at most
PAGE_TARGET = 1.10  # explorer requests over the fewest the page cap allows, at most


@dataclass(frozen=True)
class Scan:
    seconds: float
    txs: int
    node_requests: int
    explorer_requests: int
    ledger: list[LedgerEntry]


def fake_explorer(rows: dict[str, list[dict[str, Any]]], url: str) -> Any:
    """tests.chains.fake_explorer.FakeExplorer over `rows`, its proxy forwarding to `url`."""
    sys.path.insert(0, str(ROOT))
    from tests.chains.fake_explorer import FakeExplorer

    def forward(method: str, params: list[Any]) -> Any:
        return requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                        "params": params}, timeout=60).json()["result"]

    return FakeExplorer(rows, forward)


@contextmanager
def serving(site: Any, node_url: str) -> Iterator[None]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(node_url)
        site.install(mock)
        yield


def timed_scan(big: BigWallet, source: EvmSource, name: str, node: RpcClient,
               explorer: ExplorerClient | None, folder: Path) -> Scan:
    path = folder / f"{name}.duckdb"
    with Store(path) as store:
        gc.collect()
        start = time.perf_counter()
        (result,) = scanning.scan(store, source, [big.wallet], source_name=name)
        seconds = time.perf_counter() - start
        ledger = store.ledger()
    path.unlink()
    return Scan(seconds, result.new_txs, node.requests_sent,
                explorer.requests_sent if explorer else 0, ledger)


def rpc_scan(big: BigWallet, concurrency: int, folder: Path) -> Scan:
    node = RpcClient(big.url)
    return timed_scan(big, RpcSource(node, concurrency=concurrency), f"rpc{concurrency}",
                      node, None, folder)


def explorer_scan(big: BigWallet, site: Any, concurrency: int, folder: Path) -> Scan:
    node = RpcClient(big.url)
    client = ExplorerClient(ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, CHAIN, "KEY",
                                           calls_per_second=1e6, page_size=PAGE))
    source = ExplorerSource(client, RpcSource(node, concurrency=concurrency),
                            concurrency=concurrency)
    with serving(site, big.url):
        return timed_scan(big, source, f"explorer{concurrency}", node, client, folder)


def fetch_seconds(big: BigWallet, concurrency: int) -> float:
    hashes = sorted(big.touching())
    source = RpcSource(RpcClient(big.url), concurrency=concurrency)
    gc.collect()
    start = time.perf_counter()
    source.fetch(CHAIN, hashes, {})
    return time.perf_counter() - start


def fewest_requests(rows: dict[str, list[dict[str, Any]]], wallet: str) -> int:
    """Per account action, a request per page of the wallet's rows, one at least."""
    total = 0
    for action in ACCOUNT_ACTIONS:
        mine = sum(1 for row in rows.get(action, [])
                   if wallet in (str(row.get("from")).lower(), str(row.get("to")).lower()))
        total += max(1, math.ceil(mine / PAGE))
    return total


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=None,
                        help="the wallet's transactions (default 20,000; 2,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smaller wallet")
    args = parser.parse_args(argv)
    txs = args.txs or (2_000 if args.quick else 20_000)
    default = DEFAULT_CONCURRENCY
    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node, \
            tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        big = bigwallet.build(node.url, txs)
        built = time.perf_counter() - start
        rows = bigwallet.explorer_rows(node.url)
        site = fake_explorer(rows, node.url)
        folder = Path(tmp)
        print(f"big wallet on anvil: {big.wallet_txs:,} transactions of the wallet "
              f"({', '.join(f'{n:,} {k}' for k, n in sorted(big.counts().items()))}) in "
              f"{big.last_block - big.first_block + 1} blocks, built in {built:.1f} s",
              flush=True)
        scans: dict[str, Scan] = {}
        runs: list[tuple[str, Callable[[], Scan]]] = [
            (f"rpc{c}", lambda c=c: rpc_scan(big, c, folder)) for c in (1, default)] + [
            (f"explorer{c}", lambda c=c: explorer_scan(big, site, c, folder))
            for c in (1, default)]
        for name, run in runs:
            scans[name] = run()
            print(f"  {name}: {scans[name].seconds:.1f} s", flush=True)
        fetched = {c: fetch_seconds(big, c) for c in (1, default)}
    reference = scans[f"rpc{default}"]
    for name, scan in scans.items():
        if scan.ledger != reference.ledger or scan.txs != len(big.touching()):
            raise AssertionError(f"the {name} scan gave another ledger, or missed transactions")
    rpc, explorer = scans[f"rpc{default}"], scans[f"explorer{default}"]
    per_tx = rpc.node_requests / rpc.txs
    fewest = fewest_requests(rows, big.wallet)
    paging = explorer.explorer_requests / fewest
    per_1000 = {name: scan.seconds / scan.txs * 1_000 for name, scan in scans.items()}
    lines = [
        ("rpc: JSON-RPC requests per transaction", f"{per_tx:.4f}", f"<= {RPC_TARGET}",
         verdict(per_tx <= RPC_TARGET)),
        (f"explorer: requests / fewest ({explorer.explorer_requests}/{fewest})",
         f"{paging:.3f}", f"<= {PAGE_TARGET}", verdict(paging <= PAGE_TARGET)),
        ("explorer: JSON-RPC requests per transaction (receipts)",
         f"{explorer.node_requests / explorer.txs:.4f}", "info", ""),
        (f"rpc: seconds per 1,000 transactions (concurrency {default})",
         f"{per_1000[f'rpc{default}']:.2f}", "info", ""),
        (f"explorer: seconds per 1,000 transactions (concurrency {default})",
         f"{per_1000[f'explorer{default}']:.2f}", "info", ""),
        (f"rpc scan: requests at concurrency 1 / at {default}",
         f"{scans['rpc1'].node_requests / rpc.node_requests:.2f}", "info", ""),
        (f"rpc scan: seconds at concurrency 1 / at {default}",
         f"{scans['rpc1'].seconds / rpc.seconds:.2f}", "info", ""),
        (f"explorer scan: seconds at concurrency 1 / at {default}",
         f"{scans['explorer1'].seconds / explorer.seconds:.2f}", "info", ""),
        (f"fetch alone: seconds at concurrency 1 / at {default}",
         f"{fetched[1] / fetched[default]:.2f}", "info", ""),
        ("fetch alone: seconds per 1,000 transactions (concurrency 1)",
         f"{fetched[1] / len(big.touching()) * 1_000:.2f}", "info", ""),
    ]
    print_figures(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
