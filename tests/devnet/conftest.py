"""A real anvil chain with the official artifacts, the dated scenario played on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chains.addresses import parse_address
from chains.devnet.anvil import Anvil
from chains.devnet.scenario import GENESIS, Scenario, play
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from scanner.app import imports as importing
from scanner.app import scan as scanning
from scanner.store import Store


@dataclass
class Played:
    node: Anvil
    scenario: Scenario
    db_path: Path
    prices_path: Path


def _start(tmp: Path) -> Iterator[Played]:
    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node:
        scenario = play(node.url)
        prices = scenario.write_prices(tmp / "prices.csv")
        db_path = tmp / "taxscan.duckdb"
        with Store(db_path) as store:
            scanning.scan(store, RpcSource(RpcClient(node.url)),
                         [parse_address(scenario.wallet)])
            importing.import_prices(store, prices)
        yield Played(node, scenario, db_path, prices)


@pytest.fixture(scope="session")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    """Scanned once for the whole session: tests must not change this chain."""
    yield from _start(tmp_path_factory.mktemp("devnet"))


@pytest.fixture
def fresh_chain(tmp_path: Path) -> Iterator[Played]:
    """A chain of the test's own, for tests that add blocks to it."""
    yield from _start(tmp_path)
