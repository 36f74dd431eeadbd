"""`taxscan demo`: a local chain plays the dated scenario (2024-2025); its wallets are
scanned like any other, and priced from the scenario's price file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from chains.addresses import parse_address
from chains.evm.sourcing import SourcePlan, open_source
from chains.source import Progress
from scanner.app.imports import import_prices
from scanner.app.scan import WalletScan, scan
from scanner.store import Store
from scanner.tax.taxpayer import Taxpayer

# the demo's plan is for a single filer with this much other taxable income
DEMO_TAXPAYER = Taxpayer(ordinary_income=Decimal(90000))


@dataclass(frozen=True)
class DemoChain:
    url: str
    wallets: tuple[str, ...]
    prices: Path
    as_of: datetime  # the scenario's date for the harvest


@contextmanager
def demo_chain(folder: Path) -> Iterator[DemoChain]:
    """Anvil, with the scenario played on it; its price file is written into `folder`."""
    from chains.devnet.anvil import Anvil
    from chains.devnet.scenario import GENESIS, play

    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node:
        scenario = play(node.url)
        prices = scenario.write_prices(folder / "prices.csv")
        wallets = (parse_address(scenario.wallet), parse_address(scenario.defi.wallet))
        yield DemoChain(node.url, wallets, prices, scenario.as_of)


def scan_demo(store: Store, chain: DemoChain, progress: Progress) -> list[WalletScan]:
    """Scan the demo's wallets through its node, then import its prices."""
    source = open_source(SourcePlan(chain=None, rpc_url=chain.url), progress).source
    results = scan(store, source, list(chain.wallets))
    import_prices(store, chain.prices)
    return results
