"""The taxscan command line: parse, call a service, render. No SQL and no web3 here."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

import typer
from rich.console import Console
from rich.markup import escape

from chains.addresses import checksum, parse_address
from chains.errors import TaxscanError, UserInputError
from chains.evm.explorer import Flavor
from chains.registry import chain_by_name
from scanner.app import basis, queries, settings
from scanner.app import explain as explaining
from scanner.app import export as exporting
from scanner.app import imports as importing
from scanner.app import reconcile as reconciling
from scanner.app import scan as scanning
from scanner.app import spam as spamming
from scanner.app.config import Config, load_config
from scanner.app.sources import (
    API_KEY_ENV,
    COINGECKO_KEY_ENV,
    COINGECKO_PRO_KEY_ENV,
    DEFILLAMA_KEY_ENV,
    PriceSourceName,
    SourceChoice,
    SourcePlan,
    open_source,
    price_sources,
)
from scanner.cli.progress import RichProgress
from scanner.collector import without_collector
from scanner.formats import rows as reports
from scanner.formats.render import Format, emit, gains_to_csv, terminal_text
from scanner.prices.csvfile import parse_timestamp
from scanner.store import Store, default_db_path
from scanner.tax.harvest import Rates, suggest
from scanner.tax.jurisdictions import US
from scanner.tax.jurisdictions.base import Jurisdiction as TaxRules

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Scan wallets, keep cost-basis lots, report gains, income and harvests.")
prices_app = typer.Typer(no_args_is_help=True, help="Price data.")
app.add_typer(prices_app, name="prices")
basis_app = typer.Typer(no_args_is_help=True, help="Lots per wallet: the allocation of "
                        "universal lots to wallets (US, Rev. Proc. 2024-28).")
app.add_typer(basis_app, name="basis")

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)  # names untrusted


class Method(StrEnum):
    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"
    SPECIFIC = "specific"


class Jurisdiction(StrEnum):
    US = "us"
    UK = "uk"
    CA = "ca"
    DE = "de"


class LotScope(StrEnum):
    PER_WALLET = "per-wallet"
    UNIVERSAL = "universal"


DbOption = Annotated[Path | None, typer.Option(
    "--db", help="DuckDB file (default: $TAXSCAN_DB, else the user data dir).",
    show_default=False)]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
MethodOption = Annotated[Method | None, typer.Option(
    "--method", help="Cost-basis method (default: the config file's, else fifo); specific: "
    "the lots named by --assign or the config's assign blocks, else fifo.", show_default=False)]
JurisdictionOption = Annotated[Jurisdiction | None, typer.Option(
    "--jurisdiction", help="Tax rules (default: the config file's, else us).",
    show_default=False)]
ScopeOption = Annotated[LotScope | None, typer.Option(
    "--scope", help="Lots per wallet or universal, for every year (default: the config "
    "file's, else universal before 2025 and per wallet from 2025).", show_default=False)]
AssignOption = Annotated[list[str] | None, typer.Option(
    "--assign", help="Specific identification: TX_HASH=LOT_ID[,LOT_ID...] (repeatable; "
    "lot ids from `taxscan lots`).", show_default=False)]


def _rules(method: Method | None, jurisdiction: Jurisdiction | None, scope: LotScope | None,
           assign: list[str] | None) -> settings.Rules:
    return settings.Rules(method.value if method else None,
                         jurisdiction.value if jurisdiction else None,
                         scope.value if scope else None, tuple(assign or ()))


def _store(db: Path | None) -> Store:
    return Store(db if db is not None else default_db_path())


def _as_of(text: str) -> datetime:
    """A date means the end of that day (UTC); a full ISO timestamp means itself."""
    try:
        if len(text.strip()) == 10:
            day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
            return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        return parse_timestamp(text)
    except ValueError:
        raise UserInputError(f"--as-of must be a date (YYYY-MM-DD) or ISO 8601 timestamp: "
                             f"{text!r}") from None


@app.command()
def scan(
    addresses: Annotated[list[str] | None, typer.Argument(
        help="Wallet addresses (0x...).", show_default=False)] = None,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", envvar="TAXSCAN_RPC", help="JSON-RPC URL of a node of the chain.")] = None,
    chain: Annotated[str | None, typer.Option(
        "--chain", help="Chain name (ethereum, base, ...); without --rpc its default public "
        "RPC is used.")] = None,
    source: Annotated[SourceChoice | None, typer.Option(
        "--source", help="Where to find transactions (default: the explorer when a key or "
        "URL is configured, else rpc).", show_default=False)] = None,
    explorer_url: Annotated[str | None, typer.Option(
        "--explorer-url", help="Explorer API base URL (Etherscan V2, Blockscout, a proxy). "
        f"The key comes from ${API_KEY_ENV}.")] = None,
    explorer: Annotated[Flavor | None, typer.Option(
        "--explorer", help="The explorer's API dialect (default: guessed from the URL).",
        show_default=False)] = None,
    offline: Annotated[bool, typer.Option(
        "--offline", help="Use no network source but those named on the command line.")] = False,
    stablecoin: Annotated[list[str] | None, typer.Option(
        "--stablecoin", help="Also treat this asset (CAIP-19 id) as a USD stablecoin.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="A TOML file of wallets, chains, sources and overrides: scans them "
        "all (see README).")] = None,
    from_block: Annotated[int, typer.Option(
        "--from-block", help="Where a wallet's first scan starts (later history only; what "
        "came before shows as an unexplained opening balance).", min=0)] = 0,
    db: DbOption = None,
) -> None:
    """Fetch every movement of the wallets, classify it, and update lots and reports."""
    if config is not None:
        if addresses or rpc or chain or explorer_url:
            raise UserInputError("--config names the wallets and their sources: give no "
                                 "addresses, --rpc, --chain or --explorer-url with it")
        _scan_config(load_config(config), offline, db)
        return
    if not addresses:
        raise UserInputError("name the wallets to scan (0x... addresses), or give --config")
    wallets = list(dict.fromkeys(parse_address(a) for a in addresses))
    plan = SourcePlan(chain=chain_by_name(chain) if chain else None, rpc_url=rpc,
                      explorer_url=explorer_url, flavor=explorer,
                      api_key=os.environ.get(API_KEY_ENV) or None, choice=source,
                      offline=offline)
    with _store(db) as store, RichProgress(err) as progress:
        opened = open_source(plan, progress)
        results = scanning.scan(store, opened.source, wallets, source_name=opened.name,
                               stablecoins=stablecoin or (), from_block=from_block,
                               node=opened.rpc_url)
        err.print(f"source: {opened.description}")
        _scan_summary(results)
        _review(store)
        _scan_verdict(store, results)


def _scan_verdict(store: Store, results: list[scanning.WalletScan]) -> None:
    if any(r.node for r in results):
        _verdict(reports.reconcile_rows(reconciling.reconcile_scanned(store, results)))
    else:
        err.print("reconcile: no node was used, so no balance was checked (give --rpc)")


def _scan_config(settings: Config, offline: bool, db: Path | None) -> None:
    labels = {w.address: w.label for w in settings.wallets}
    with _store(db) as store, RichProgress(err) as progress:

        def announce(chain_key: str, wallet: str) -> None:
            name = escape(terminal_text(labels.get(wallet) or checksum(wallet)))
            progress.prefix = f"{chain_key} {name}: "  # the progress line reads markup

        results = scanning.scan_config(store, settings, progress, os.environ, offline=offline,
                                      on_wallet=announce)
        _scan_summary(results)
        _scan_verdict(store, results)
        _review(store)


def _review(store: Store) -> None:
    for line in queries.review(store).lines():
        err.print(f"review: {line}")


def _scan_summary(results: list[scanning.WalletScan]) -> None:
    for result in results:
        fetched = (f"blocks {result.from_block:,}-{result.to_block:,}"
                   if result.from_block <= result.to_block else "no new blocks")
        index = result.address_index or "none"
        err.print(f"{result.chain_name}: {checksum(result.wallet)}: {fetched}, "
                  f"{result.new_txs} new transactions (address index: {index})")
        for note in result.notes:
            err.print(f"  note: {note}")


@prices_app.command("import")
def prices_import(
    file: Annotated[Path, typer.Argument(help="CSV with header timestamp,asset,usd.")],
    db: DbOption = None,
) -> None:
    """Import prices; the price of an asset at t is the latest row at or before t."""
    with _store(db) as store:
        count = importing.import_prices(store, file)
        err.print(f"imported {count} prices from {file}")
        _review(store)


@app.command()
@without_collector
def lots(
    wallet: Annotated[str | None, typer.Option("--wallet", help="Only this wallet.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date (YYYY-MM-DD, end of day UTC); default: everything.")] = None,
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Open lots with their ids (for `taxscan trace ID`), oldest first."""
    only = parse_address(wallet) if wallet else None
    moment = _as_of(as_of) if as_of else None
    rules = _rules(method, jurisdiction, scope, assign)
    with _store(db) as store:
        rows = reports.lot_rows(queries.open_lots(store, rules, moment, only))
    emit(out, rows, reports.LOTS, fmt, "Open lots")


@app.command()
@without_collector
def trace(
    ident: Annotated[str, typer.Argument(help="A lot id, or the hash of a transaction that "
                                              "disposed of something.")],
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """The lineage behind a figure: lot -> acquisition leg (transaction, price source) ->
    the disposals that drew on it -> what is still open."""
    rules = _rules(method, jurisdiction, scope, assign)
    with _store(db) as store:
        rows = reports.trace_rows(queries.trace(store, ident, rules))
    emit(out, rows, reports.TRACE, fmt, f"Trace of {ident}")


@app.command()
def balances(
    year: Annotated[int, typer.Option("--year", help="Tax year: balances at its last second.")],
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Year-end balances per wallet and asset (December 31, 23:59:59 UTC), at that price."""
    with _store(db) as store:
        rows = reports.balance_rows(queries.year_end_balances(store, year))
    emit(out, rows, reports.BALANCES, fmt, f"Balances at the end of {year}")


@app.command()
def reconcile(
    rpc: Annotated[str, typer.Option("--rpc", envvar="TAXSCAN_RPC",
                                     help="Node of the chain to check against.")],
    wallet: Annotated[str | None, typer.Option("--wallet", help="Only this wallet.")] = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="A block number or a date (end of day UTC); default: the block the "
        "wallets are scanned to.")] = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Every balance the ledger implies against the chain's, at one block: mismatches are
    explained or located (the block where ledger and chain stop agreeing)."""
    only = parse_address(wallet) if wallet else None
    moment: int | datetime | None = None
    if at is not None:
        moment = int(at) if at.strip().isdigit() else _as_of(at)
    with _store(db) as store:
        rows = reports.reconcile_rows(reconciling.reconcile_chain(store, rpc, wallet=only,
                                                              at=moment))
    emit(out, rows, reports.RECONCILE, fmt, "Reconciliation")
    if fmt is Format.TABLE:
        _verdict(rows)


def _verdict(rows: list[dict[str, object]]) -> None:
    wrong = [r for r in rows if r["status"] not in ("ok", "spam")]
    if not rows:
        err.print("reconcile: nothing to check")
    elif not wrong:
        err.print(f"reconciled: all {len(rows)} balances match the chain at block "
                  f"{rows[0]['block_number']}")
    else:
        err.print(f"reconcile: {len(wrong)} of {len(rows)} balances differ from the chain: "
                  "see `taxscan reconcile --rpc URL`")


@prices_app.command("fetch")
def prices_fetch(
    source: Annotated[list[PriceSourceName] | None, typer.Option(
        "--source", help="Price sources to ask, in order (repeat the option).")] = None,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", envvar="TAXSCAN_RPC", help="Node whose pools `pool` reads.")] = None,
    defillama_url: Annotated[str | None, typer.Option(
        "--defillama-url", help="DefiLlama coins API base URL (a proxy, the pro API).")] = None,
    coingecko_url: Annotated[str | None, typer.Option(
        "--coingecko-url", help="CoinGecko API base URL (a proxy).")] = None,
    db: DbOption = None,
) -> None:
    """Ask price sources for every price the ledger lacks; answers and misses are cached,
    so nothing is asked twice and reports work offline afterwards. Keys come from
    DEFILLAMA_API_KEY, COINGECKO_API_KEY (demo) or COINGECKO_PRO_API_KEY."""
    names = source or ([PriceSourceName.DEFILLAMA, PriceSourceName.COINGECKO]
                       + ([PriceSourceName.POOL] if rpc else []))
    sources = price_sources(names, rpc, os.environ, defillama_url=defillama_url,
                            coingecko_url=coingecko_url)
    with _store(db) as store:
        fetched = importing.fetch_prices(store, sources)
        found = ", ".join(f"{n} from {s}" for s, n in sorted(fetched.by_source.items()))
        err.print(f"{fetched.lacking} prices lacking, {fetched.asked} asked: {fetched.found} "
                  f"found{' (' + found + ')' if found else ''}, {fetched.unanswered} without "
                  "an answer (a source that had none is not asked again)")
        _review(store)


@prices_app.command("missing")
def prices_missing(
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Assets without a price, and the quantities whose basis, proceeds or income that
    leaves unknown (shown as unknown in every report, never as zero)."""
    rules = _rules(method, jurisdiction, scope, assign)
    with _store(db) as store:
        rows = reports.missing_rows(queries.missing_prices(store, rules))
    emit(out, rows, reports.MISSING, fmt, "Missing prices")
    if fmt is Format.TABLE and not rows:
        err.print("every leg has a USD value")


@app.command()
@without_collector
def ledger(
    year: Annotated[int | None, typer.Option("--year", help="Only this tax year.")] = None,
    wallet: Annotated[str | None, typer.Option("--wallet", help="Only this wallet.")] = None,
    chain: Annotated[str | None, typer.Option("--chain", help="Only this chain.")] = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Every leg, one row each: the normalized ledger."""
    only = parse_address(wallet) if wallet else None
    chain_id = chain_by_name(chain).chain_id if chain else None
    with _store(db) as store:
        rows = reports.ledger_rows(queries.ledger(store, year, only, chain_id))
    emit(out, rows, reports.LEDGER, fmt, "Ledger")


@app.command()
@without_collector
def gains(
    year: Annotated[int, typer.Option("--year", help="Tax year.")],
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Realized gains and losses, one row per lot disposed."""
    with _store(db) as store:
        rules = _rules(method, jurisdiction, scope, assign)
        chosen = settings.describe(settings.policy_of(store, rules))
        disposals = queries.gains(store, year, rules)
    if fmt is Format.CSV:
        out.file.write(gains_to_csv(disposals))
        return
    rows = reports.gains_rows(disposals)
    emit(out, rows, reports.GAINS, fmt, f"Realized gains {year} ({chosen})")
    if fmt is Format.TABLE:
        _totals(rows)


def _totals(rows: list[dict[str, object]]) -> None:
    terms = [t for t in ("short", "long") if any(r["term"] == t for r in rows)]
    for term in terms or ["all"]:
        part = [r for r in rows if r["lot_id"] is not None and term in ("all", r["term"])]
        gain = reports.total(part, "gain_usd")
        err.print(f"{term}{'-term' if terms else ''}: {len(part)} rows, gain "
                  f"{'unknown' if gain is None else f'{gain:,.2f}'} USD")
    free = [r for r in rows if r["rule"] == "tax-free-after-1y"]
    if free:
        gain = reports.total(free, "gain_usd")
        err.print(f"of which tax-free (held over a year): {len(free)} rows, gain "
                  f"{'unknown' if gain is None else f'{gain:,.2f}'} USD")
    unknown = [r for r in rows if r["lot_id"] is None]
    if unknown:
        err.print(f"{len(unknown)} disposals have no lot (unknown basis): review them",
                  style="bold")


@app.command()
@without_collector
def income(
    year: Annotated[int, typer.Option("--year", help="Tax year.")],
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Income (claims, rewards) at fair value on receipt."""
    rules = _rules(method, jurisdiction, scope, assign)
    with _store(db) as store:
        rows = reports.income_rows(queries.income(store, year, rules))
    emit(out, rows, reports.INCOME, fmt, f"Income {year}")


@app.command()
@without_collector
def harvest(
    as_of: Annotated[str, typer.Option("--as-of", help="Date (YYYY-MM-DD, end of day UTC).")],
    include_gains: Annotated[bool, typer.Option(
        "--all", help="List every open lot, not only those at a loss.")] = False,
    target_loss: Annotated[str | None, typer.Option(
        "--target-loss", help="Suggest loss lots to sell to realize this much loss (USD).")
    ] = None,
    offset_gains: Annotated[bool, typer.Option(
        "--offset-gains", help="Suggest loss lots to offset the as-of year's realized "
        "gains.")] = False,
    short_rate: Annotated[str, typer.Option(
        "--short-rate", help="Marginal rate a short-term loss saves.")] = "0.37",
    long_rate: Annotated[str, typer.Option(
        "--long-rate", help="Marginal rate a long-term loss saves.")] = "0.20",
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Open lots at the as-of price: what can be sold to realize a loss, the tax it would
    save and the gas it may cost, and wash-sale risk; with a target, which lots to sell."""
    moment = _as_of(as_of)
    rates = Rates(_decimal(short_rate, "--short-rate", 1), _decimal(long_rate, "--long-rate", 1))
    if target_loss is not None and offset_gains:
        raise UserInputError("give --target-loss or --offset-gains, not both")
    with _store(db) as store:
        rules = _rules(method, jurisdiction, scope, assign)
        policy = settings.policy_of(store, rules)
        planned = queries.harvest(store, moment, rules, losses_only=not include_gains)
        target = _decimal(target_loss, "--target-loss") if target_loss is not None else (
            max(queries.realized_gains(store, moment.year, rules), Decimal(0))
            if offset_gains else None)
        plan = suggest(planned, target, rates) if target is not None else None
        rows = reports.harvest_rows(planned, plan.lot_ids if plan else (), rates,
                                    queries.gas_per_trade(store))
    emit(out, rows, reports.HARVEST, fmt, f"Harvest as of {as_of}")
    if fmt is Format.TABLE:
        if plan is not None:
            err.print(f"suggested: sell {len(plan.lot_ids)} lots to realize "
                      f"{plan.loss_usd:,.2f} USD of loss against a target of "
                      f"{plan.target_usd:,.2f}; estimated tax saved {plan.tax_saved_usd:,.2f} "
                      f"USD at {rates.short} short / {rates.long} long")
        _wash_sale_warning(rows, policy.jurisdiction)


def _decimal(text: str, option: str, most: int | None = None) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UserInputError(f"{option} must be a decimal number: {text!r}") from None
    if not value.is_finite() or value < 0 or (most is not None and value > most):
        limit = f" and at most {most}" if most is not None else ""
        raise UserInputError(f"{option} must be at least 0{limit}: {text!r}")
    return value


def _wash_sale_warning(rows: list[dict[str, object]], jurisdiction: TaxRules = US) -> None:
    if (rows and jurisdiction.warns_always) or any(r["wash_sale_risk"] for r in rows):
        err.print(jurisdiction.warning)


class LedgerFormat(StrEnum):
    LEDGER = "ledger"
    KOINLY = "koinly"


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="The file to import.")],
    fmt: Annotated[LedgerFormat, typer.Option(
        "--format", "-f", help="ledger: the CSV `taxscan export --format ledger` (exact) or "
        "`taxscan ledger --format csv` (USD in cents) writes; "
        "koinly: Koinly's universal CSV.")],
    account: Annotated[str | None, typer.Option(
        "--account", help="Koinly: the off-chain account the rows belong to (its lots are "
        "kept apart per account; default koinly:FILE_NAME).")] = None,
    asset: Annotated[list[str] | None, typer.Option(
        "--asset", help="Koinly: SYMBOL=ASSET_ID for a currency the defaults do not know "
        "(repeatable), e.g. SOL=solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/slip44:501.")] = None,
    db: DbOption = None,
) -> None:
    """Off-chain trades (or an exported ledger) join the same lots as the chain's."""
    assets: dict[str, str] = {}
    for pair in asset or []:
        symbol, sep, ident = pair.partition("=")
        if not sep or not symbol.strip() or not ident.strip():
            raise UserInputError(f"--asset {pair!r}: expected SYMBOL=ASSET_ID")
        assets[symbol.strip()] = ident.strip()
    with _store(db) as store:
        done = importing.import_ledger(store, path, fmt.value, account=account, assets=assets)
        err.print(f"{done.legs} legs imported from {path} ({done.source}); importing the "
                  "file again replaces them")
        _review(store)


class ExportFormat(StrEnum):
    LEDGER = "ledger"
    FORM8949 = "form8949"
    SCHEDULE_D = "schedule-d"
    TURBOTAX = "turbotax"
    TXF = "txf"
    KOINLY = "koinly"
    COINTRACKER = "cointracker"
    COINLEDGER = "coinledger"


class Reported(StrEnum):
    NONE = "none"
    BASIS = "basis"
    NO_BASIS = "no-basis"


@app.command("export")
@without_collector
def export_file(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="What to write.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write (ledger: .parquet for "
                                                    "Parquet; form8949: .pdf for PDF; else "
                                                    "CSV, or TXF text).")],
    year: Annotated[int | None, typer.Option(
        "--year", help="Tax year (needed for form8949, schedule-d, turbotax, txf).")] = None,
    reported: Annotated[Reported, typer.Option(
        "--reported", help="Form 8949 box: none (no 1099-DA/1099-B: boxes I/L, C/F before "
        "2025), basis (G/J, A/D) or no-basis (H/K, B/E).")] = Reported.NONE,
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    db: DbOption = None,
) -> None:
    """Files for accountants and other tools: the ledger, Form 8949, Schedule D, TurboTax,
    TXF, and Koinly, CoinTracker or CoinLedger transaction CSVs."""
    rules = _rules(method, jurisdiction, scope, assign)
    with _store(db) as store:
        done = exporting.export(store, fmt.value, out, year=year, rules=rules,
                              reported=reported.value)
    err.print(f"{fmt.value}: {done.rows} rows written to {done.path}")


@app.command("explain")
@without_collector
def explain_tx(
    tx_hash: Annotated[str, typer.Argument(help="The transaction hash.")],
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """A transaction's legs: kind and treatment of each, the decoder or rule behind it, and
    the lots it opened or drew on."""
    rules = _rules(method, jurisdiction, scope, assign)
    with _store(db) as store:
        done = explaining.explain(store, tx_hash, rules)
    emit(out, done.rows, explaining.EXPLAIN, fmt, f"Transaction {done.tx_hash}")
    if fmt is Format.TABLE:
        gain = explaining.total_gain(done.rows)
        if done.url:
            err.print(f"explorer: {done.url}")
        if gain is not None:
            err.print(f"realized gain: {gain:,.2f} USD")


@app.command("report")
@without_collector
def report_page(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    year: Annotated[int | None, typer.Option(
        "--year", help="Tax year (default: every year).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date for the harvestable losses and open positions (default: the "
        "end of the year, or today).")] = None,
    method: MethodOption = None,
    jurisdiction: JurisdictionOption = None,
    scope: ScopeOption = None,
    assign: AssignOption = None,
    db: DbOption = None,
) -> None:
    """One self-contained HTML page: gains by term, income by kind, harvestable losses per
    asset, open positions, what needs review, and the lineage behind each figure."""
    rules = _rules(method, jurisdiction, scope, assign)
    moment = _as_of(as_of) if as_of else None
    with _store(db) as store:
        done = exporting.report(store, out, year=year, as_of=moment, rules=rules)
    err.print(f"report: {done.rows} disposals, written to {done.path}")


@basis_app.command("allocate")
def basis_allocate(
    as_of: Annotated[str, typer.Option(
        "--as-of", help="January 1 of the first year with lots per wallet (YYYY-01-01).")
    ] = "2025-01-01",
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Give the lots held universally to the wallets that hold the coins at the start of
    the year, and record it: each wallet's own lots first, the rest by the method's order
    to wallets still short. Replaces a recorded allocation."""
    try:
        moment = datetime.strptime(as_of.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UserInputError(f"--as-of must be a date (YYYY-01-01): {as_of!r}") from None
    with _store(db) as store:
        rows = reports.allocation_rows(basis.allocate_basis(store, moment))
    emit(out, rows, reports.ALLOCATION, fmt, f"Basis allocation recorded as of {as_of}")
    if fmt is Format.TABLE:
        err.print(f"{len(rows)} lot parts given to wallets; reports use this allocation "
                  "from now on (`taxscan basis show`)")


@basis_app.command("show")
def basis_show(
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """The recorded allocation of universal lots to wallets."""
    with _store(db) as store:
        rows = reports.allocation_rows(basis.recorded_allocation(store))
    emit(out, rows, reports.ALLOCATION, fmt, "Recorded basis allocation")
    if fmt is Format.TABLE and not rows:
        err.print("no allocation recorded: the lots are given to wallets by the rule when a "
                  "year turns to per-wallet lots (`taxscan basis allocate` records it)")


@app.command()
def demo(
    db: DbOption = None,
) -> None:
    """Start a local chain, play the dated scenario, scan it, and print the reports."""
    from chains.devnet.anvil import Anvil
    from chains.devnet.scenario import GENESIS, play

    with tempfile.TemporaryDirectory(prefix="taxscan-demo-") as tmp:
        path = db if db is not None else Path(tmp) / "demo.duckdb"
        err.print("starting anvil and playing the scenario (2024-2025)...")
        with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node:
            scenario = play(node.url)
            prices = scenario.write_prices(Path(tmp) / "prices.csv")
            wallets = [parse_address(scenario.wallet), parse_address(scenario.defi.wallet)]
            err.print(f"wallets {', '.join(wallets)} on {node.url}")
            with Store(path) as store:
                with RichProgress(err) as progress:
                    node_source = open_source(SourcePlan(chain=None, rpc_url=node.url),
                                              progress).source
                    results = scanning.scan(store, node_source, wallets)
                _scan_summary(results)
                importing.import_prices(store, prices)
                _review(store)
                _demo_reports(store, scenario.as_of)
                rows = reports.reconcile_rows(reconciling.reconcile_chain(store, node.url))
                emit(out, rows, reports.RECONCILE, Format.TABLE, "Reconciliation")
                _verdict(rows)


def _demo_reports(store: Store, as_of: datetime) -> None:
    emit(out, reports.ledger_rows(queries.ledger(store)), reports.LEDGER, Format.TABLE,
         "Ledger")
    for year in (2024, 2025):
        rows = reports.gains_rows(queries.gains(store, year))
        emit(out, rows, reports.GAINS, Format.TABLE, f"Realized gains {year} (fifo)")
        _totals(rows)
        emit(out, reports.income_rows(queries.income(store, year)), reports.INCOME,
             Format.TABLE, f"Income {year}")
    rows = reports.harvest_rows(queries.harvest(store, as_of))
    emit(out, rows, reports.HARVEST, Format.TABLE, f"Harvest as of {as_of.date()}")
    _wash_sale_warning(rows)


# ---- spam: the verdicts, and your word over them ----------------------------------------

spam_app = typer.Typer(invoke_without_command=True)
app.add_typer(spam_app, name="spam")

AssetsArgument = Annotated[list[str], typer.Argument(
    help="Asset ids (CAIP-19), as `taxscan spam --all` lists them.", show_default=False)]


@spam_app.callback()
def spam_list(
    ctx: typer.Context,
    include_all: Annotated[bool, typer.Option(
        "--all", help="Every judged token, those below the threshold too.")] = False,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """Spam tokens, with the score and reasons of each: spam at a score of 3, unless you
    marked it. They stay in the ledger (kind spam) and out of every figure."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = db
        return
    with _store(db) as store:
        rows = reports.spam_rows(spamming.spam_tokens(store, include_all))
    emit(out, rows, reports.SPAM, fmt, "Judged tokens" if include_all else "Spam tokens")
    if fmt is Format.TABLE and not rows:
        err.print("no token is judged" if include_all else "no spam token (`--all` lists "
                  "every judged token)")


@spam_app.command("mark")
def spam_mark(ctx: typer.Context, assets: AssetsArgument, db: DbOption = None) -> None:
    """Mark tokens as spam: out of every figure, whatever their score."""
    _mark_spam(assets, True, db or ctx.obj)


@spam_app.command("unmark")
def spam_unmark(ctx: typer.Context, assets: AssetsArgument, db: DbOption = None) -> None:
    """Mark tokens as not spam: their legs count like any other, whatever their score."""
    _mark_spam(assets, False, db or ctx.obj)


@spam_app.command("clear")
def spam_clear(ctx: typer.Context, assets: AssetsArgument, db: DbOption = None) -> None:
    """Forget your mark on tokens: their score decides again."""
    _mark_spam(assets, None, db or ctx.obj)


def _mark_spam(assets: list[str], spam: bool | None, db: Path | None) -> None:
    with _store(db) as store:
        for row in spamming.mark_spam(store, assets, spam):
            verdict = "spam" if row.is_spam else "not spam"
            why = "marked by you" if row.marked is not None else "by its score"
            err.print(f"{row.asset} ({row.symbol or 'no symbol'}): {verdict}, {why} "
                      f"(score {row.score})", markup=False)
        _review(store)


_URL_OPTIONS = ("--rpc", "--explorer-url", "--defillama-url", "--coingecko-url")
_KEY_ENVS = (API_KEY_ENV, DEFILLAMA_KEY_ENV, COINGECKO_KEY_ENV, COINGECKO_PRO_KEY_ENV)


def _secrets(argv: Sequence[str], environ: Mapping[str, str]) -> set[str]:
    """What an error must not repeat, whatever a server put in it: the API keys in the
    environment, and the parts of the node and API URLs given that may hold a key (user
    info, path segments, query values)."""
    keys = [environ.get(name, "") for name in _KEY_ENVS]
    urls = [environ.get("TAXSCAN_RPC", "")]
    for n, arg in enumerate(argv):
        option, equals, value = arg.partition("=")
        value = value if equals else (argv[n + 1] if n + 1 < len(argv) else "")
        if option in _URL_OPTIONS:
            urls.append(value)
        elif option == "--config":
            try:
                config = load_config(Path(value))
            except TaxscanError:
                continue
            urls += [url for c in config.chains.values() for url in (c.rpc, c.explorer_url)
                     if url]
            keys += [config.api_key(chain, environ) or "" for chain in config.chain_keys()]
    for url in urls:
        parts = urlsplit(url)
        keys += [parts.username or "", parts.password or "", *parts.path.split("/"),
                 *(v for _, v in parse_qsl(parts.query))]
    return {key for key in keys if len(key) >= 8}


def _redacted(message: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def main() -> None:
    try:
        app()
    except TaxscanError as exc:
        message = _redacted(" ".join(str(exc).split()), _secrets(sys.argv[1:], os.environ))
        sys.stderr.write(f"error: {terminal_text(message)}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted: nothing half-written (each step commits whole or not at all)")
        sys.exit(130)
