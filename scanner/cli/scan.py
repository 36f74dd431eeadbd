"""`taxscan scan`: wallets named on the command line, or every wallet of a config file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chains.errors import UserInputError
from scanner.cli.console import err, print_review, scan_summary, verdict
from scanner.cli.options import DbOption, http_url, writable_store
from scanner.cli.progress import RichProgress
from scanner.formats.render import terminal_text

if TYPE_CHECKING:  # a scan's sources import web3 and requests: only a scan needs them
    from chains.evm.flavors import Flavor
    from chains.evm.sourcing import API_KEY_ENV, SourceChoice
    from scanner.app.config import Config
    from scanner.app.scan import WalletScan
    from scanner.store import Store

commands = typer.Typer()

BLOCK_LIMIT = 2**63  # a block number is a signed 64-bit integer in the database


def _block(value: int) -> int:
    if not 0 <= value < BLOCK_LIMIT:
        raise UserInputError(f"--from-block must be a block number from 0 to "
                             f"{BLOCK_LIMIT - 1}, not {value}")
    return value


@commands.command()
def scan(
    addresses: Annotated[list[str] | None, typer.Argument(
        help="Wallet addresses (0x...).", metavar="ADDRESS", show_default=False)] = None,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", envvar="TAXSCAN_RPC", help="JSON-RPC URL of a node of the chain.",
        callback=http_url)] = None,
    chain: Annotated[str | None, typer.Option(
        "--chain", help="Chain name (ethereum, base, ...); without --rpc its default public "
        "RPC is used.")] = None,
    source: Annotated[SourceChoice | None, typer.Option(
        "--source", help="Where to find transactions (default: the explorer when a key or "
        "URL is configured, else rpc).", show_default=False)] = None,
    explorer_url: Annotated[str | None, typer.Option(
        "--explorer-url", help="Explorer API base URL (Etherscan V2, Blockscout, a proxy). "
        f"The key comes from ${API_KEY_ENV}.", callback=http_url)] = None,
    explorer: Annotated[Flavor | None, typer.Option(
        "--explorer", help="The explorer's API dialect (default: guessed from the URL).",
        show_default=False)] = None,
    offline: Annotated[bool, typer.Option(
        "--offline", help="Use no network source but those named on the command line.")] = False,
    stablecoin: Annotated[list[str] | None, typer.Option(
        "--stablecoin", help="Also treat this asset (CAIP-19 id) as a USD stablecoin.",
        metavar="ASSET_ID")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="A TOML file of wallets, chains, sources and overrides: scans them "
        "all (see README).")] = None,
    from_block: Annotated[int, typer.Option(
        "--from-block", help="Where a wallet's first scan starts (later history only; what "
        "came before shows as an unexplained opening balance).", callback=_block)] = 0,
    db: DbOption = None,
) -> None:
    """Fetch every movement of the wallets, classify it, and update lots and reports."""
    from chains.addresses import parse_address, parse_any_asset_id
    from chains.evm.sourcing import API_KEY_ENV, SourcePlan
    from chains.registry import chain_by_name
    from scanner.app import queries
    from scanner.app import scan as scanning
    from scanner.app.config import load_config

    if config is not None:
        if addresses or rpc or chain or explorer_url:
            raise UserInputError("--config names the wallets and their sources: give no "
                                 "addresses, --rpc, --chain or --explorer-url with it")
        _scan_config(load_config(config), offline, db)
        return
    if not addresses:
        raise UserInputError("name the wallets to scan (0x... addresses), or give --config")
    wallets = list(dict.fromkeys(parse_address(a) for a in addresses))
    stablecoins = [parse_any_asset_id(a) for a in stablecoin or ()]
    plan = SourcePlan(chain=chain_by_name(chain) if chain else None, rpc_url=rpc,
                      explorer_url=explorer_url, flavor=explorer,
                      api_key=os.environ.get(API_KEY_ENV) or None, choice=source,
                      offline=offline)
    with writable_store(db) as store, RichProgress(err) as progress:
        done = scanning.scan_with(store, plan, wallets, progress,
                                  stablecoins=stablecoins, from_block=from_block)
        err.print(f"source: {done.source}")
        scan_summary(done.results)
        print_review(queries.review(store))
        _scan_verdict(store, done.results)


def _scan_config(settings: Config, offline: bool, db: Path | None) -> None:
    from chains.addresses import checksum
    from scanner.app import queries
    from scanner.app import scan as scanning

    labels = {w.address: w.label for w in settings.wallets}
    with writable_store(db) as store, RichProgress(err) as progress:

        def announce(chain_key: str, wallet: str) -> None:
            from rich.markup import escape

            name = escape(terminal_text(labels.get(wallet) or checksum(wallet)))
            progress.prefix = f"{chain_key} {name}: "  # the progress line reads markup

        results = scanning.scan_config(store, settings, progress, os.environ, offline=offline,
                                       on_wallet=announce)
        scan_summary(results)
        _scan_verdict(store, results)
        print_review(queries.review(store))


def _scan_verdict(store: Store, results: list[WalletScan]) -> None:
    from scanner.app import reconcile as reconciling
    from scanner.formats import rows as reports

    if any(r.node for r in results):
        verdict(reports.reconcile_rows(reconciling.reconcile_scanned(store, results)))
    else:
        err.print("reconcile: no node was used, so no balance was checked (give --rpc)")
