"""An explorer-only scan at the explorer's rate limit: calls, node requests and wall time.

Input: a fresh anvil chain (fixtures/devnet) filled by chains.devnet.bigwallet with a
wallet of --txs transactions (10,000; 1,000 with --quick): ERC-20 transfers in and out,
Uniswap V2 swaps and native sends. Building it and the explorer's rows is not timed.

The explorer is Etherscan-compatible, over real loopback HTTP (tests.chains.fake_explorer
answering in a threaded http.server): every call waits 100 ms before its answer, and a
call that comes sooner than the key's 3 calls a second allow (a token bucket, 50 ms of
leeway) is answered Etherscan's "Max rate limit reached". The chain's public RPC is a
loopback JSON-RPC node answering, singly or in batches, the transactions, receipts and
block headers anvil gave (read before the timing: anvil itself takes about 2.5 ms a
receipt, more than the whole scan may). The scan is opened as `taxscan scan ADDRESS
--chain devnet` opens it with only a key and an explorer URL (chains.evm.sourcing's
open_source, the devnet given that public RPC), then one `scanning.scan` of the wallet
into a fresh database; every transaction of the wallet must reach the ledger.

Printed: the explorer's calls over the fewest its 1,000-row page allows (per account
action, ceil(rows / 1,000), one at least; target <= 1.1); JSON-RPC requests to the node
per transaction (target <= 0.05); the source's wall time (chain id, head, discovery,
fetching: the scan's time less storing and rebuilding the ledger) over the time the
explorer's calls need at 3 a second (target <= 1.5), and the whole scan's over the same,
for information. Counts are exact; seconds come from one run.

    python bench/bench_explorer.py [--txs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from figures import print_figures

from chains.devnet import bigwallet
from chains.devnet.anvil import Anvil
from chains.devnet.scenario import GENESIS
from chains.evm.explorer import (
    ACCOUNT_ACTIONS,
    FREE_CALLS_PER_SECOND,
    FREE_PAGE_SIZE,
    ExplorerSource,
)
from chains.evm.flavors import Flavor
from chains.evm.records import EvmDiscovery, InternalTransfer, RawTx, TokenInfo
from chains.evm.sourcing import SourcePlan, open_source
from chains.registry import chain_by_name
from chains.source import NoProgress
from scanner.app import scan as scanning
from scanner.store import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.chains.fake_explorer import FakeExplorer  # noqa: E402
from tests.faults.loopback import QuietHandler, serving  # noqa: E402

LATENCY_S = 0.1
LEEWAY_S = 0.05
CALLS_TARGET = 1.10
NODE_TARGET = 0.05
TIME_TARGET = 1.5
RATE_LIMITED = '{"status":"0","message":"NOTOK","result":"Max rate limit reached"}'


class RateLimitedExplorer:
    """FakeExplorer's answers, each after LATENCY_S, at most `rate` calls a second."""

    def __init__(self, site: FakeExplorer, rate: float) -> None:
        self.site = site
        self.rate = rate
        self.refused = 0
        self._lock = threading.Lock()
        self._tokens = 1.0
        self._stamp = time.monotonic()

    def admit(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(1.0, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens < 1 - LEEWAY_S * self.rate:
                self.refused += 1
                return False
            self._tokens -= 1
            return True

    def answer(self, query: Mapping[str, str]) -> tuple[int, str]:
        admitted = self.admit()
        time.sleep(LATENCY_S)
        return self.site.answer(query) if admitted else (200, RATE_LIMITED)


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        explorer: RateLimitedExplorer = self.owner()
        status, body = explorer.answer(dict(parse_qsl(urlsplit(self.path).query)))
        self.respond(status, body.encode(), {"Content-Type": "application/json"})


class RecordedNode:
    """A JSON-RPC node on loopback answering from what anvil answered (read before the
    timing): transactions, receipts and block headers, singly or in batches."""

    def __init__(self, url: str, tx_hashes: Iterable[str], step: int = 500) -> None:
        session = requests.Session()

        def batch(calls: list[tuple[str, list[Any]]]) -> list[Any]:
            body: list[Any] = [{"jsonrpc": "2.0", "id": n, "method": m, "params": p}
                               for n, (m, p) in enumerate(calls)]
            answers = sorted(session.post(url, json=body, timeout=300).json(),
                             key=lambda a: a["id"])
            return [a["result"] for a in answers]

        self.head = hex(int(batch([("eth_blockNumber", [])])[0], 16))
        self.answers: dict[tuple[str, str], Any] = {}
        ordered = sorted(set(tx_hashes))
        for start in range(0, len(ordered), step):
            chunk = ordered[start:start + step]
            calls = [(m, [h]) for h in chunk
                     for m in ("eth_getTransactionByHash", "eth_getTransactionReceipt")]
            for (method, params), answer in zip(calls, batch(calls), strict=True):
                self.answers[(method, params[0])] = answer
        numbers = [hex(n) for n in range(int(self.head, 16) + 1)]
        for number, block in zip(numbers, batch([("eth_getBlockByNumber", [n, False])
                                                 for n in numbers]), strict=True):
            self.answers[("eth_getBlockByNumber", number)] = block
        self.requests = 0

    def reply(self, call: Mapping[str, Any]) -> dict[str, Any]:
        method, params = str(call.get("method")), call.get("params") or [None]
        key = (method, str(params[0]))
        if method == "eth_chainId":
            result: Any = hex(31337)
        elif method == "eth_blockNumber":
            result = self.head
        elif key in self.answers:
            result = self.answers[key]
        else:
            return {"jsonrpc": "2.0", "id": call.get("id"),
                    "error": {"code": -32601, "message": f"{method} is not recorded"}}
        return {"jsonrpc": "2.0", "id": call.get("id"), "result": result}


class _NodeHandler(QuietHandler):
    def do_POST(self) -> None:
        node: RecordedNode = self.owner()
        node.requests += 1
        body = json.loads(self.body())
        answer = [node.reply(c) for c in body] if isinstance(body, list) else node.reply(body)
        self.respond(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})


class Timed:
    """A source whose every call is timed: the scan's time in its source."""

    def __init__(self, source: ExplorerSource) -> None:
        self.source = source
        self.seconds = 0.0
        self.by_method: dict[str, float] = {}

    @contextmanager
    def _clock(self, method: str = "") -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - start
            self.seconds += spent
            self.by_method[method] = self.by_method.get(method, 0.0) + spent

    def chain_id(self) -> int:
        with self._clock("chain_id"):
            return self.source.chain_id()

    def head(self) -> int:
        with self._clock("head"):
            return self.source.head()

    def discover(self, wallet: str, from_block: int, to_block: int) -> EvmDiscovery:
        with self._clock("discover"):
            return self.source.discover(wallet, from_block, to_block)

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        with self._clock("fetch"):
            return self.source.fetch(chain_id, tx_hashes, internal)

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        with self._clock("token_info"):
            return self.source.token_info(chain_id, tokens)

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        with self._clock("block_hashes"):
            return self.source.block_hashes(blocks)

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]] | None:
        with self._clock("balances_at"):
            return self.source.balances_at(token, wallet, blocks)


def fewest_calls(rows: Mapping[str, list[dict[str, Any]]], wallet: str) -> int:
    """Per account action, a call per page of the wallet's rows, one at least."""
    total = 0
    for action in ACCOUNT_ACTIONS:
        mine = sum(1 for row in rows.get(action, [])
                   if wallet in (str(row.get("from")).lower(), str(row.get("to")).lower()))
        total += max(1, math.ceil(mine / FREE_PAGE_SIZE))
    return total


def forward(url: str) -> Any:
    session = requests.Session()

    def ask(method: str, params: list[Any]) -> Any:
        return session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                       "params": params}, timeout=60).json()["result"]

    return ask


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=None,
                        help="the wallet's transactions (default 10,000; 1,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smaller wallet")
    args = parser.parse_args(argv)
    txs = args.txs or (1_000 if args.quick else 10_000)
    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node, \
            tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        big = bigwallet.build(node.url, txs)
        rows = bigwallet.explorer_rows(node.url)
        recorded = RecordedNode(node.url, {r["hash"] for found in rows.values() for r in found})
        print(f"big wallet on anvil: {big.wallet_txs:,} transactions of the wallet "
              f"({', '.join(f'{n:,} {k}' for k, n in sorted(big.counts().items()))}), "
              f"built in {time.perf_counter() - start:.1f} s", flush=True)
        explorer = RateLimitedExplorer(FakeExplorer(rows, forward(node.url)),
                                       FREE_CALLS_PER_SECOND)
        with serving(_Handler, explorer) as origin, serving(_NodeHandler, recorded) as rpc:
            chain = replace(chain_by_name("devnet"), default_rpc=rpc)
            opened = open_source(SourcePlan(chain, explorer_url=f"{origin}/api",
                                            flavor=Flavor.ETHERSCAN, api_key="KEY"),
                                 NoProgress())
            source = opened.source
            assert isinstance(source, ExplorerSource) and source.public is not None
            public = source.public.node
            assert public is not None
            timed = Timed(source)
            print(f"scanning through {opened.description}", flush=True)
            with Store(Path(tmp) / "explorer.duckdb") as store:
                start = time.perf_counter()
                (result,) = scanning.scan(store, timed, [big.wallet], source_name="explorer")
                whole = time.perf_counter() - start
                ledger = {e.tx_hash for e in store.ledger()}
    if result.new_txs != len(big.touching()) or not big.touching() <= ledger:
        raise AssertionError("the scan missed transactions of the wallet")
    if source.public is not None and source.public.refused:
        raise AssertionError(f"the node was let go: {source.public.refused}")
    print("seconds in the source: " + ", ".join(f"{m} {s:.1f}" for m, s in timed.by_method.items()))
    calls = source.client.requests_sent
    fewest = fewest_calls(rows, big.wallet)
    per_tx = public.client.requests_sent / result.new_txs
    floor = calls / FREE_CALLS_PER_SECOND
    lines = [
        (f"explorer calls / fewest its page cap allows ({calls}/{fewest})",
         f"{calls / fewest:.3f}", f"<= {CALLS_TARGET}", verdict(calls / fewest <= CALLS_TARGET)),
        (f"node requests per transaction ({public.client.requests_sent}/{result.new_txs})",
         f"{per_tx:.4f}", f"<= {NODE_TARGET}", verdict(per_tx <= NODE_TARGET)),
        (f"source wall time / calls at 3 a second ({timed.seconds:.1f} s / {floor:.1f} s)",
         f"{timed.seconds / floor:.2f}", f"<= {TIME_TARGET}",
         verdict(timed.seconds / floor <= TIME_TARGET)),
        (f"whole scan (storing, ledger) / the same ({whole:.1f} s)", f"{whole / floor:.2f}",
         "info", ""),
        ("calls the explorer refused for the rate", str(explorer.refused), "info", ""),
    ]
    print_figures(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
