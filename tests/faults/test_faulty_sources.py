"""Scans through a faulty loopback proxy in front of anvil and in front of an explorer.

Transient faults (dropped connections, 429 with Retry-After, 502, truncated JSON, stalls
past the timeout) at a 20% rate leave the ledger identical to a clean scan's. Hard faults
(a wrong chain id, a node that contradicts itself) stop the scan with a one-line error,
exit code 2, and the database as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from chains.addresses import parse_address
from chains.errors import SourceInconsistent
from chains.evm.explorer import ExplorerClient, ExplorerConfig, ExplorerSource
from chains.evm.flavors import Flavor
from chains.evm.node import RpcSource
from chains.evm.records import EvmSource
from chains.evm.rpc import RpcClient
from scanner.app import scan as scanning
from scanner.ledger.records import LedgerEntry
from scanner.store import Store
from tests.chains.fake_explorer import FakeExplorer
from tests.devnet.conftest import Played
from tests.faults.proxy import TRANSIENT, WRONG_CHAIN_ID, Fault, FaultProxy
from tests.helpers import run_cli

pytestmark = pytest.mark.devnet

RATE = 0.2
TIMEOUT_S = 1.0  # the proxy stalls 5 s: every stall is a client timeout
ATTEMPTS = 10  # ten faults in a row at 20%: about one request in ten million
MAX_WAIT_S = 0.05  # caps the exponential backoff and the proxy's Retry-After alike
DEVNET = 31337


def wallets(played: Played) -> list[str]:
    return [parse_address(played.scenario.wallet), parse_address(played.scenario.defi.wallet)]


def ledger_of(source: EvmSource, played: Played, path: Path, name: str) -> list[LedgerEntry]:
    with Store(path) as store:
        scanning.scan(store, source, wallets(played), source_name=name)
        return store.ledger()


def rpc_source(url: str, *, batch_size: int = 100) -> RpcSource:
    return RpcSource(RpcClient(url, timeout_s=TIMEOUT_S, attempts=ATTEMPTS,
                               max_wait_s=MAX_WAIT_S, batch_size=batch_size))


def explorer_source(api: str) -> ExplorerSource:
    config = ExplorerConfig(api, Flavor.ETHERSCAN, DEVNET, "KEY", calls_per_second=1000)
    return ExplorerSource(ExplorerClient(config, timeout_s=TIMEOUT_S, attempts=ATTEMPTS,
                                         max_wait_s=MAX_WAIT_S))


def tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1").fetchall()]
        return {name: con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()
                for name in names}


def scanned_copy(played: Played, tmp_path: Path) -> Path:
    """A copy of the session's database: the scenario wallet scanned to the head."""
    db = tmp_path / "scanned.duckdb"
    shutil.copy(played.db_path, db)
    return db


def one_line_error(result: Any, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# ---- transient faults: retried, and the ledger is the clean one --------------------------


def test_a_node_behind_a_20_percent_faulty_proxy_gives_the_clean_ledger(
    played: Played, tmp_path: Path
) -> None:
    clean = ledger_of(RpcSource(RpcClient(played.node.url)), played, tmp_path / "clean.duckdb",
                      "rpc")
    with FaultProxy(played.node.url, rate=RATE) as proxy:
        # small batches: more requests, so every kind of fault comes up
        faulty = ledger_of(rpc_source(proxy.url, batch_size=4), played,
                           tmp_path / "faulty.duckdb", "rpc")
    assert len(clean) > 0
    assert faulty == clean
    assert set(proxy.injected) == set(TRANSIENT), proxy.injected


def test_an_explorer_behind_a_20_percent_faulty_proxy_gives_the_clean_ledger(
    played: Played, explorer: tuple[FakeExplorer, str], tmp_path: Path
) -> None:
    site, api = explorer
    clean = ledger_of(explorer_source(api), played, tmp_path / "clean.duckdb", "explorer")
    origin = api.removesuffix("/api")
    with FaultProxy(origin, rate=RATE) as proxy:
        faulty = ledger_of(explorer_source(f"{proxy.url}/api"), played,
                           tmp_path / "faulty.duckdb", "explorer")
    assert len(clean) > 0
    assert faulty == clean
    assert set(proxy.injected) == set(TRANSIENT), proxy.injected
    assert site.count("proxy", "eth_getTransactionReceipt") > 0  # receipts came through it


# ---- a wrong chain id ----------------------------------------------------------------------


def test_the_proxy_lies_about_the_chain_inside_a_batch_and_in_an_explorers_proxy_module(
    played: Played, explorer: tuple[FakeExplorer, str]
) -> None:
    _, api = explorer
    with FaultProxy(played.node.url, rate=1.0, faults=[Fault.WRONG_CHAIN]) as node:
        head = RpcClient(played.node.url).call("eth_blockNumber", [])
        assert RpcClient(node.url).batch([("eth_blockNumber", []), ("eth_chainId", [])]) == \
            [head, hex(WRONG_CHAIN_ID)]
    with FaultProxy(api.removesuffix("/api"), rate=1.0, faults=[Fault.WRONG_CHAIN]) as site:
        config = ExplorerConfig(f"{site.url}/api", Flavor.ETHERSCAN, DEVNET, None, 1000)
        assert ExplorerClient(config).proxy("eth_chainId") == hex(WRONG_CHAIN_ID)
    assert node.injected[Fault.WRONG_CHAIN] == site.injected[Fault.WRONG_CHAIN] == 1


@pytest.mark.parametrize("through", ["--rpc", "--explorer-url"])
def test_a_wrong_chain_id_stops_the_scan_and_keeps_the_database(
    played: Played, explorer: tuple[FakeExplorer, str], tmp_path: Path, through: str
) -> None:
    db = scanned_copy(played, tmp_path)
    before = tables(db)
    _, api = explorer
    upstream = played.node.url if through == "--rpc" else api.removesuffix("/api")
    with FaultProxy(upstream, rate=1.0, faults=[Fault.WRONG_CHAIN]) as proxy:
        url = proxy.url if through == "--rpc" else f"{proxy.url}/api"
        result = run_cli("scan", played.scenario.wallet, through, url, "--chain", "devnet",
                         db=db)
    one_line_error(result, f"chain {WRONG_CHAIN_ID}", "error:")
    assert proxy.injected[Fault.WRONG_CHAIN] >= 1
    assert tables(db) == before
    assert before["ledger"]  # the copy held a scanned wallet


# ---- a node that contradicts itself ---------------------------------------------------------


def test_a_node_that_contradicts_itself_stops_the_scan_and_keeps_the_database(
    played: Played, tmp_path: Path
) -> None:
    db = scanned_copy(played, tmp_path)
    before = tables(db)
    with FaultProxy(played.node.url, rate=1.0, faults=[Fault.OTHER_RECEIPT]) as proxy:
        # the DeFi wallet is not in the copy yet: its records would be new
        result = run_cli("scan", played.scenario.defi.wallet, "--rpc", proxy.url,
                         "--chain", "devnet", db=db)
    one_line_error(result, "error:", "receipt of another transaction")
    assert proxy.injected[Fault.OTHER_RECEIPT] >= 1
    assert tables(db) == before


@pytest.mark.parametrize(("fault", "through"), [
    (Fault.RECEIPT_BLOCK, "node"),
    (Fault.RECEIPT_BLOCK, "explorer"),  # receipts from the explorer's proxy module
    (Fault.OTHER_RECEIPT, "explorer"),
])
def test_every_source_refuses_receipts_that_contradict_their_transactions(
    played: Played, explorer: tuple[FakeExplorer, str], tmp_path: Path, fault: Fault,
    through: str,
) -> None:
    db = scanned_copy(played, tmp_path)
    before = tables(db)
    _, api = explorer
    upstream = played.node.url if through == "node" else api.removesuffix("/api")
    with FaultProxy(upstream, rate=1.0, faults=[fault]) as proxy:
        source = rpc_source(proxy.url) if through == "node" \
            else explorer_source(f"{proxy.url}/api")
        with Store(db) as store, pytest.raises(SourceInconsistent, match="receipt"):
            scanning.scan(store, source, [parse_address(played.scenario.defi.wallet)],
                         source_name=through)
    assert proxy.injected[fault] >= 1
    assert tables(db) == before
